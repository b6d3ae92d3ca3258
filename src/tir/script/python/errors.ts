/**
 * Errors located in script source. Used by the tokenizer and parser for syntax errors, and meant
 * to be reused by later stages (IR building) for semantic errors via `scriptError`.
 */
import type { Span } from "./ast.js";

/** A position in a source file: 1-based line and column (end optional, exclusive). */
export interface SourcePos {
  line: number;
  col: number;
  endLine?: number;
  endCol?: number;
}

export const DEFAULT_FILE = "<string>";

/**
 * An error at a source position. `message` is
 * `${file}:${line}:${col}: ${detail}\n${sourceLine}\n${caret}` where the caret line has one
 * blank per character before `col` (a tab where the source line has a tab, so it lines up).
 */
export class ScriptError extends Error {
  override readonly name = "ScriptError";
  readonly file: string;
  readonly line: number;
  readonly col: number;
  readonly endLine: number;
  readonly endCol: number;
  /** The message without location, source line or caret. */
  readonly detail: string;
  /** The text of the offending line (without its line terminator). */
  readonly sourceLine: string;

  constructor(detail: string, file: string, pos: SourcePos, sourceLine: string) {
    super(formatDiagnostic(detail, file, pos.line, pos.col, sourceLine));
    this.file = file;
    this.line = pos.line;
    this.col = pos.col;
    this.endLine = pos.endLine ?? pos.line;
    this.endCol = pos.endCol ?? pos.col + 1;
    this.detail = detail;
    this.sourceLine = sourceLine;
  }
}

/** Format a located diagnostic: location header, the source line, and a caret under `col`. */
export function formatDiagnostic(msg: string, file: string, line: number, col: number, sourceLine: string): string {
  let pad = "";
  for (let i = 0; i < col - 1; i++) pad += i < sourceLine.length && sourceLine.charCodeAt(i) === 9 ? "\t" : " ";
  return `${file}:${line}:${col}: ${msg}\n${sourceLine}\n${pad}^`;
}

/** The text of 1-based line `line` of `source` (empty when out of range), without `\r`/`\n`. */
export function sourceLineAt(source: string, line: number): string {
  let start = 0;
  for (let l = 1; l < line; l++) {
    const nl = nextLineBreak(source, start);
    if (nl < 0) return "";
    start = nl + (source.charCodeAt(nl) === 13 && source.charCodeAt(nl + 1) === 10 ? 2 : 1);
  }
  const end = nextLineBreak(source, start);
  return source.slice(start, end < 0 ? source.length : end);
}

function nextLineBreak(source: string, from: number): number {
  for (let i = from; i < source.length; i++) {
    const c = source.charCodeAt(i);
    if (c === 10 || c === 13) return i;
  }
  return -1;
}

/**
 * Build (not throw) a ScriptError for `msg` at `span` (any AST node's span, or a bare position)
 * in `source`, e.g. `throw scriptError("unknown name 'x'", node.span, mod.source, mod.file)`.
 */
export function scriptError(msg: string, span: Span | SourcePos, source: string, file: string = DEFAULT_FILE): ScriptError {
  return new ScriptError(msg, file, span, sourceLineAt(source, span.line));
}
