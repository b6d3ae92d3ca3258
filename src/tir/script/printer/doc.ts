/**
 * The statement layer of the printer: a small tree of Python statements (a line, a scope with
 * an indented body, an if/else, a decorated def/class) and the renderer that turns it into
 * text. Expressions are plain strings by the time they get here.
 *
 * Highlighting: a statement with `mark` gets a line of carets under its first line, and any
 * expression text wrapped in MARK_OPEN/MARK_CLOSE is underlined on the line it appears in.
 */

export interface LineDoc {
  readonly kind: "line";
  readonly text: string;
  mark?: boolean;
}

/** `header:` followed by an indented body (for, with, while). */
export interface ScopeDoc {
  readonly kind: "scope";
  readonly header: string;
  readonly body: readonly StmtDoc[];
  mark?: boolean;
}

export interface IfDoc {
  readonly kind: "if";
  readonly header: string;
  readonly then: readonly StmtDoc[];
  readonly orelse: readonly StmtDoc[];
  mark?: boolean;
}

/** A decorated `def` or `class`; functions are followed by a blank line when more follows. */
export interface DefDoc {
  readonly kind: "def";
  readonly decorators: readonly string[];
  readonly header: string;
  readonly body: readonly StmtDoc[];
  readonly blankAfter: boolean;
  mark?: boolean;
}

export type StmtDoc = LineDoc | ScopeDoc | IfDoc | DefDoc;

/** Brackets around expression text to underline; control characters never occur in printed
 * IR text because string literals escape them. */
export const MARK_OPEN = "\u0001";
export const MARK_CLOSE = "\u0002";

export function line(text: string): LineDoc {
  return { kind: "line", text };
}

export function scope(header: string, body: readonly StmtDoc[]): ScopeDoc {
  return { kind: "scope", header, body };
}

export interface RenderOptions {
  /** Spaces per indentation level. */
  indent?: number;
  /** Whether any text may carry marks (skips the per-line scan when false). */
  marks?: boolean;
}

/** Renders statements to text: lines joined by "\n", no trailing newline. */
export function renderDocs(docs: readonly StmtDoc[], opts: RenderOptions = {}): string {
  return new Renderer(opts.indent ?? 4, opts.marks ?? false).run(docs);
}

class Renderer {
  private readonly out: string[] = [];
  private readonly pads: string[] = [""];
  private pendingBlank = false;

  constructor(
    private readonly unit: number,
    private readonly marks: boolean,
  ) {}

  run(docs: readonly StmtDoc[]): string {
    this.block(docs, 0);
    let end = this.out.length;
    while (end > 0 && this.out[end - 1]!.trim() === "") end--;
    return this.out.slice(0, end).join("\n");
  }

  private pad(level: number): string {
    while (this.pads.length <= level) this.pads.push(" ".repeat(this.pads.length * this.unit));
    return this.pads[level]!;
  }

  private block(docs: readonly StmtDoc[], level: number): void {
    for (const d of docs) this.stmt(d, level);
  }

  private body(docs: readonly StmtDoc[], level: number): void {
    if (docs.length === 0) this.emit(level, "pass", false);
    else this.block(docs, level);
  }

  private stmt(d: StmtDoc, level: number): void {
    switch (d.kind) {
      case "line":
        this.emit(level, d.text, d.mark ?? false);
        return;
      case "scope":
        this.emit(level, d.header, d.mark ?? false);
        this.body(d.body, level + 1);
        return;
      case "if":
        this.emit(level, d.header, d.mark ?? false);
        this.body(d.then, level + 1);
        if (d.orelse.length > 0) {
          this.emit(level, "else:", false);
          this.body(d.orelse, level + 1);
        }
        return;
      case "def":
        for (const dec of d.decorators) this.emit(level, "@" + dec, false);
        this.emit(level, d.header, d.mark ?? false);
        this.body(d.body, level + 1);
        if (d.blankAfter) this.pendingBlank = true;
        return;
    }
  }

  private emit(level: number, text: string, mark: boolean): void {
    if (this.pendingBlank) {
      this.out.push("");
      this.pendingBlank = false;
    }
    const pad = this.pad(level);
    if (!this.marks) {
      this.out.push(text.length === 0 ? "" : pad + text);
      return;
    }
    const { clean, carets } = splitMarks(text);
    this.out.push(clean.length === 0 ? "" : pad + clean);
    if (mark) this.out.push(pad + "^".repeat(Math.max(1, clean.length)));
    else if (carets !== undefined) this.out.push(pad + carets);
  }
}

/** Removes the mark brackets from a line; returns the caret line for the marked spans. */
function splitMarks(text: string): { clean: string; carets: string | undefined } {
  if (text.indexOf(MARK_OPEN) < 0) return { clean: text, carets: undefined };
  let clean = "";
  let carets = "";
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === MARK_OPEN) depth++;
    else if (ch === MARK_CLOSE) depth = Math.max(0, depth - 1);
    else {
      clean += ch;
      carets += depth > 0 ? "^" : " ";
    }
  }
  return { clean, carets: carets.trimEnd() };
}
