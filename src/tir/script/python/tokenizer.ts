/**
 * A single-pass tokenizer for the Python subset used by TVMScript. Produces NEWLINE / INDENT /
 * DEDENT tokens like CPython's tokenizer: lines inside (), [], {} are joined implicitly, a
 * backslash before a line break joins lines, comments and blank lines produce nothing, and tabs
 * advance to the next multiple of 8 (indentation that is ambiguous between tab sizes 1 and 8 is
 * rejected as inconsistent, as CPython does).
 */
import type { Span } from "./ast.js";
import { DEFAULT_FILE, ScriptError, scriptError, sourceLineAt } from "./errors.js";

export type TokenType =
  | "name"
  | "keyword"
  | "int"
  | "float"
  | "string"
  | "op"
  | "newline"
  | "indent"
  | "dedent"
  | "eof";

/**
 * A token. `value` is the source text, except for strings where it is the decoded value (the
 * source text is `source.slice(start, end)`). INDENT / DEDENT are zero-width at the first
 * character of the line; NEWLINE sits on the line break. Lines and columns are 1-based,
 * `endCol` is exclusive.
 */
export interface Token {
  type: TokenType;
  value: string;
  start: number;
  end: number;
  line: number;
  col: number;
  endLine: number;
  endCol: number;
}

export const KEYWORDS: ReadonlySet<string> = new Set([
  "False", "None", "True", "and", "as", "assert", "async", "await", "break", "class", "continue",
  "def", "del", "elif", "else", "except", "finally", "for", "from", "global", "if", "import", "in",
  "is", "lambda", "nonlocal", "not", "or", "pass", "raise", "return", "try", "while", "with", "yield",
]);

/** Single-character operators (interned), indexed by char code; "" where none. */
const OPS1: string[] = new Array<string>(128).fill("");
for (const ch of "+-*/%@&|^~<>=:,.;()[]{}") OPS1[ch.charCodeAt(0)] = ch;

/**
 * Length of the operator starting with char codes c, c2, c3 (longest match), or 0 if `c` starts
 * none. Operators: + - * / // % ** @ << >> & | ^ ~ < > <= >= == != = += -= *= /= //= %= **= @=
 * <<= >>= &= |= ^= := -> : , . ... ; ( ) [ ] { }
 */
function opLength(c: number, c2: number, c3: number): number {
  switch (c) {
    case 42: case 47: case 60: case 62: // * / < >  (doubled, optionally followed by '=')
      if (c2 === c) return c3 === 61 ? 3 : 2;
      return c2 === 61 ? 2 : 1;
    case 45: return c2 === 61 || c2 === 62 ? 2 : 1; // -= ->
    case 46: return c2 === 46 && c3 === 46 ? 3 : 1; // ...
    case 33: return c2 === 61 ? 2 : 0; // !=
    case 43: case 37: case 64: case 38: case 124: case 94: case 61: case 58: // + % @ & | ^ = :
      return c2 === 61 ? 2 : 1;
    default:
      return c < 128 && OPS1[c] !== "" ? 1 : 0;
  }
}

const CLOSER_OF: Record<string, string> = { "(": ")", "[": "]", "{": "}" };

const ID_START_RE = /\p{ID_Start}/u;
const ID_CONTINUE_RE = /[\p{ID_Continue}\u00b7]/u;

function isIdStart(c: number, src: string, i: number): boolean {
  if (c >= 128) return ID_START_RE.test(String.fromCodePoint(src.codePointAt(i)!));
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95;
}

/** NaN (past the end) is not an identifier character. */
function isIdContinue(c: number, src: string, i: number): boolean {
  if (c >= 128) return ID_CONTINUE_RE.test(String.fromCodePoint(src.codePointAt(i)!));
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95;
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

function isHex(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70);
}

const SIMPLE_ESCAPES: Record<string, string> = {
  "\\": "\\", "'": "'", '"': '"', a: "\x07", b: "\b", f: "\f", n: "\n", r: "\r", t: "\t", v: "\v",
};

class Lexer {
  private readonly src: string;
  private readonly file: string;
  private readonly n: number;
  private i = 0;
  private line = 1;
  private lineStart = 0;
  /** Produced but not yet handed out tokens: `queue[head..tail)` (never shrunk, to avoid reallocation). */
  private readonly queue: Token[] = [];
  private head = 0;
  private tail = 0;
  private lastType: TokenType | undefined;
  private atLineStart = true;
  private eof: Token | undefined;
  private readonly indents: number[] = [0];
  private readonly altIndents: number[] = [0];
  private readonly brackets: Token[] = [];

  constructor(src: string, file: string) {
    this.src = src;
    this.file = file;
    this.n = src.length;
  }

  fail(msg: string, line: number, col: number): never {
    throw new ScriptError(msg, this.file, { line, col }, sourceLineAt(this.src, line));
  }

  private failHere(msg: string, at = this.i): never {
    return this.fail(msg, this.line, at - this.lineStart + 1);
  }

  private push(type: TokenType, value: string, start: number, line: number, col: number): Token {
    const tok: Token = {
      type, value, start, end: this.i, line, col, endLine: this.line, endCol: this.i - this.lineStart + 1,
    };
    this.emit(tok);
    return tok;
  }

  private emit(tok: Token): void {
    this.queue[this.tail++] = tok;
    this.lastType = tok.type;
  }

  /** The next token; EOF is returned again once reached. */
  nextToken(): Token {
    if (this.head === this.tail) {
      if (this.eof !== undefined) return this.eof;
      this.head = this.tail = 0;
      this.produce();
    }
    return this.queue[this.head++]!;
  }

  /** Consume the line break at `i` (\n, \r\n or \r) and start a new line. */
  private newline(): void {
    const src = this.src;
    this.i += src.charCodeAt(this.i) === 13 && src.charCodeAt(this.i + 1) === 10 ? 2 : 1;
    this.line++;
    this.lineStart = this.i;
  }

  /** Scan until at least one token is queued. */
  private produce(): void {
    const src = this.src;
    const n = this.n;
    while (this.tail === 0) {
      if (this.atLineStart) {
        this.atLineStart = false;
        if (!this.indentation()) {
          this.atLineStart = true;
          continue;
        }
      }
      if (this.i >= n) return this.finish();
      const c = src.charCodeAt(this.i);
      if (c === 32 || c === 9 || c === 12) {
        this.i++;
      } else if (c === 10 || c === 13) {
        if (this.brackets.length === 0) {
          const start = this.i;
          const col = start - this.lineStart + 1;
          this.emit({ type: "newline", value: "\n", start, end: start, line: this.line, col, endLine: this.line, endCol: col });
          this.atLineStart = true;
        }
        this.newline();
      } else if (c === 35) {
        this.skipComment();
      } else if (c === 92) {
        const next = src.charCodeAt(this.i + 1);
        if (next === 10 || next === 13) {
          this.i++;
          this.newline();
          if (this.i >= n) this.failHere("unexpected end of file after line continuation character");
        } else if (this.i + 1 >= n) {
          this.failHere("unexpected end of file after line continuation character");
        } else {
          this.failHere("unexpected character after line continuation character", this.i + 1);
        }
      } else if (isDigit(c) || (c === 46 && isDigit(src.charCodeAt(this.i + 1)))) {
        this.number();
      } else if (c === 34 || c === 39) {
        this.string(this.i, false);
      } else if (isIdStart(c, src, this.i)) {
        this.identifier();
      } else {
        this.operator(c);
      }
    }
  }

  /**
   * Handle the indentation at the start of a physical line outside brackets. Returns false if the
   * line was blank / comment-only (consumed entirely) so the caller should start over.
   */
  private indentation(): boolean {
    const src = this.src;
    let j = this.i;
    let col = 0;
    let alt = 0;
    for (;;) {
      const c = src.charCodeAt(j);
      if (c === 32) { col++; alt++; }
      else if (c === 9) { col = (col >> 3) * 8 + 8; alt++; }
      else if (c === 12) { col = 0; alt = 0; }
      else break;
      j++;
    }
    this.i = j;
    if (j >= this.n) return true;
    const c = src.charCodeAt(j);
    if (c === 35 || c === 10 || c === 13) {
      if (c === 35) this.skipComment();
      if (this.i < this.n) this.newline();
      return false;
    }
    const indents = this.indents;
    const alts = this.altIndents;
    const top = indents[indents.length - 1]!;
    const tokCol = j - this.lineStart + 1;
    if (col > top) {
      if (alt <= alts[alts.length - 1]!) this.failHere("inconsistent use of tabs and spaces in indentation");
      indents.push(col);
      alts.push(alt);
      this.emit({ type: "indent", value: "", start: j, end: j, line: this.line, col: tokCol, endLine: this.line, endCol: tokCol });
    } else {
      while (col < indents[indents.length - 1]!) {
        indents.pop();
        alts.pop();
        this.emit({ type: "dedent", value: "", start: j, end: j, line: this.line, col: tokCol, endLine: this.line, endCol: tokCol });
      }
      if (col !== indents[indents.length - 1]) this.failHere("unindent does not match any outer indentation level");
      if (alt !== alts[alts.length - 1]) this.failHere("inconsistent use of tabs and spaces in indentation");
    }
    return true;
  }

  private skipComment(): void {
    const src = this.src;
    let j = this.i;
    while (j < this.n) {
      const c = src.charCodeAt(j);
      if (c === 10 || c === 13) break;
      j++;
    }
    this.i = j;
  }

  private finish(): void {
    if (this.brackets.length > 0) {
      const b = this.brackets[this.brackets.length - 1]!;
      this.fail(`'${b.value}' was never closed`, b.line, b.col);
    }
    const col = this.i - this.lineStart + 1;
    const at = (type: TokenType): Token =>
      ({ type, value: "", start: this.i, end: this.i, line: this.line, col, endLine: this.line, endCol: col });
    if (this.lastType !== undefined && this.lastType !== "newline") this.emit(at("newline"));
    for (let k = this.indents.length; k > 1; k--) this.emit(at("dedent"));
    this.emit((this.eof = at("eof")));
  }

  private identifier(): void {
    const src = this.src;
    const start = this.i;
    const c0 = src.charCodeAt(start);
    let j = start + (c0 >= 0xd800 && c0 <= 0xdbff ? 2 : 1);
    while (j < this.n) {
      const c = src.charCodeAt(j);
      if (!isIdContinue(c, src, j)) break;
      j += c >= 0xd800 && c <= 0xdbff ? 2 : 1;
    }
    const text = src.slice(start, j);
    const q = src.charCodeAt(j);
    if ((q === 34 || q === 39) && j - start <= 2) {
      const p = text.toLowerCase();
      if (p === "r" || p === "u") {
        this.i = j;
        this.string(start, p === "r");
        return;
      }
      if (p === "f" || p === "rf" || p === "fr") this.failHere("f-strings are not supported in TVMScript", start);
      if (p === "b" || p === "rb" || p === "br") this.failHere("bytes literals are not supported in TVMScript", start);
    }
    const col = start - this.lineStart + 1;
    this.i = j;
    this.push(KEYWORDS.has(text) ? "keyword" : "name", text, start, this.line, col);
  }

  /** Scan `digit ('_'? digit)*` (digits per `ok`) from `j`; returns the end. */
  private digits(j: number, ok: (c: number) => boolean, what: string): number {
    const src = this.src;
    for (;;) {
      const c = src.charCodeAt(j);
      if (ok(c)) j++;
      else if (c === 95 && ok(src.charCodeAt(j + 1))) j += 2;
      else if (c === 95) this.failHere(`invalid ${what} literal`, j);
      else return j;
    }
  }

  private number(): void {
    const src = this.src;
    const start = this.i;
    const col = start - this.lineStart + 1;
    let j = start;
    let type: TokenType = "int";
    const c1 = src.charCodeAt(j + 1) | 32;
    if (src.charCodeAt(j) === 48 && (c1 === 120 || c1 === 111 || c1 === 98)) {
      const [ok, what] =
        c1 === 120 ? [isHex, "hexadecimal"] as const
        : c1 === 111 ? [(c: number) => c >= 48 && c <= 55, "octal"] as const
        : [(c: number) => c === 48 || c === 49, "binary"] as const;
      j += 2;
      if (src.charCodeAt(j) === 95) j++;
      if (!ok(src.charCodeAt(j))) this.failHere(`invalid ${what} literal`, j);
      j = this.digits(j, ok, what);
      if (isDigit(src.charCodeAt(j)) || isIdContinue(src.charCodeAt(j), src, j)) this.failHere(`invalid ${what} literal`, j);
    } else {
      if (src.charCodeAt(j) !== 46) j = this.digits(j, isDigit, "decimal");
      if (src.charCodeAt(j) === 46) {
        type = "float";
        j++;
        if (isDigit(src.charCodeAt(j))) j = this.digits(j, isDigit, "decimal");
      }
      const e = src.charCodeAt(j) | 32;
      if (e === 101) {
        const s = src.charCodeAt(j + 1);
        const k = s === 43 || s === 45 ? j + 2 : j + 1;
        if (isDigit(src.charCodeAt(k))) {
          type = "float";
          j = this.digits(k, isDigit, "decimal");
        }
      }
      const t = src.charCodeAt(j);
      if ((t | 32) === 106) this.failHere("complex literals are not supported in TVMScript", start);
      if (isIdContinue(t, src, j)) this.failHere("invalid decimal literal", j);
      if (type === "int" && src.charCodeAt(start) === 48) {
        for (let k = start; k < j; k++) {
          const d = src.charCodeAt(k);
          if (d !== 48 && d !== 95) {
            this.failHere("leading zeros in decimal integer literals are not permitted; use an 0o prefix for octal integers", start);
          }
        }
      }
    }
    this.i = j;
    this.push(type, src.slice(start, j), start, this.line, col);
  }

  /** Scan a string literal whose prefix starts at `start`; `this.i` is at the opening quote. */
  private string(start: number, raw: boolean): void {
    const src = this.src;
    const line = this.line;
    const col = start - this.lineStart + 1;
    const q = src.charCodeAt(this.i);
    const triple = src.charCodeAt(this.i + 1) === q && src.charCodeAt(this.i + 2) === q;
    let j = this.i + (triple ? 3 : 1);
    let out = "";
    let seg = j;
    for (;;) {
      if (j >= this.n) {
        this.fail(triple ? "unterminated triple-quoted string literal" : "unterminated string literal", line, col);
      }
      const c = src.charCodeAt(j);
      if (c === q && (!triple || (src.charCodeAt(j + 1) === q && src.charCodeAt(j + 2) === q))) {
        out += src.slice(seg, j);
        j += triple ? 3 : 1;
        break;
      }
      if (c === 10 || c === 13) {
        if (!triple) this.fail("unterminated string literal", line, col);
        out += src.slice(seg, j) + "\n";
        this.i = j;
        this.newline();
        j = seg = this.i;
      } else if (c === 92) {
        const d = src.charCodeAt(j + 1);
        if (d === 10 || d === 13) {
          // Backslash-newline: kept verbatim in raw strings, removed otherwise.
          out += src.slice(seg, j) + (raw ? "\\\n" : "");
          this.i = j + 1;
          this.newline();
          j = seg = this.i;
        } else if (raw) {
          j += j + 1 < this.n ? 2 : 1;
        } else {
          out += src.slice(seg, j);
          j = this.escape(j);
          out += this.escaped;
          seg = j;
        }
      } else {
        j++;
      }
    }
    this.i = j;
    this.push("string", out, start, line, col);
  }

  private escaped = "";

  /** Decode the escape sequence at `j` (a backslash) into `this.escaped`; returns the end. */
  private escape(j: number): number {
    const src = this.src;
    const ch = src[j + 1];
    if (ch === undefined) return j + 1;
    const simple = SIMPLE_ESCAPES[ch];
    if (simple !== undefined) {
      this.escaped = simple;
      return j + 2;
    }
    const c = ch.charCodeAt(0);
    if (c >= 48 && c <= 55) {
      let k = j + 1;
      let v = 0;
      while (k < j + 4 && src.charCodeAt(k) >= 48 && src.charCodeAt(k) <= 55) v = v * 8 + src.charCodeAt(k++) - 48;
      this.escaped = String.fromCharCode(v);
      return k;
    }
    const len = ch === "x" ? 2 : ch === "u" ? 4 : ch === "U" ? 8 : 0;
    if (len > 0) {
      for (let k = j + 2; k < j + 2 + len; k++) {
        if (!isHex(src.charCodeAt(k))) this.failHere(`truncated \\${ch}${"X".repeat(len)} escape`, j);
      }
      const v = parseInt(src.slice(j + 2, j + 2 + len), 16);
      if (v > 0x10ffff) this.failHere("illegal Unicode character in \\U escape", j);
      this.escaped = String.fromCodePoint(v);
      return j + 2 + len;
    }
    if (ch === "N") this.failHere("\\N{...} escapes are not supported in TVMScript", j);
    this.escaped = "\\" + ch; // unknown escapes are kept verbatim, as in Python
    return j + 2;
  }

  private operator(c: number): void {
    const src = this.src;
    const start = this.i;
    const col = start - this.lineStart + 1;
    const len = opLength(c, src.charCodeAt(start + 1), src.charCodeAt(start + 2));
    if (len === 0) {
      if (c === 33) this.failHere("invalid syntax: '!' is not an operator (did you mean 'not' or '!='?)");
      const ch = String.fromCodePoint(src.codePointAt(start)!);
      this.failHere(`invalid character '${ch}' (U+${ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")})`);
    }
    const op = len === 1 ? OPS1[c]! : src.slice(start, start + len);
    this.i = start + op.length;
    const tok = this.push("op", op, start, this.line, col);
    if (op.length === 1) {
      if (op === "(" || op === "[" || op === "{") {
        this.brackets.push(tok);
      } else if (op === ")" || op === "]" || op === "}") {
        const open = this.brackets.pop();
        if (open === undefined) this.fail(`unmatched '${op}'`, tok.line, col);
        if (CLOSER_OF[open.value] !== op) {
          const where = open.line !== tok.line ? ` on line ${open.line}` : "";
          this.fail(`closing parenthesis '${op}' does not match opening parenthesis '${open.value}'${where}`, tok.line, col);
        }
      }
    }
  }
}

/** Tokenize `source`; throws ScriptError (located in `file`) on lexical errors. */
export function tokenize(source: string, file: string = DEFAULT_FILE): Token[] {
  const lexer = new Lexer(source, file);
  const toks: Token[] = [];
  for (;;) {
    const t = lexer.nextToken();
    toks.push(t);
    if (t.type === "eof") return toks;
  }
}

/** A short description of a token for error messages ("end of line", "name 'x'", "':'"...). */
export function describeToken(t: Token): string {
  switch (t.type) {
    case "newline": return "end of line";
    case "indent": return "indent";
    case "dedent": return "unindent";
    case "eof": return "end of input";
    case "name": return `name '${t.value}'`;
    case "keyword": return `keyword '${t.value}'`;
    case "int": case "float": return `number ${t.value}`;
    case "string": return "string literal";
    default: return `'${t.value}'`;
  }
}

/** A cursor over the tokens of a source, with the helpers a recursive-descent parser needs. */
export class TokenStream {
  private readonly lexer: Lexer;
  /** The current token (tokens are scanned on demand, so errors surface in source order). */
  protected t: Token;
  /** The last consumed token (ends spans). */
  protected prev: Token;
  private ahead: Token | undefined;

  constructor(protected readonly src: string, protected readonly file: string = DEFAULT_FILE) {
    this.lexer = new Lexer(src, file);
    this.t = this.prev = this.lexer.nextToken();
  }

  get current(): Token { return this.t; }

  /** Consume and return the current token (EOF is never consumed). */
  protected next(): Token {
    const t = this.t;
    if (t.type !== "eof") {
      this.prev = t;
      if (this.ahead !== undefined) {
        this.t = this.ahead;
        this.ahead = undefined;
      } else {
        this.t = this.lexer.nextToken();
      }
    }
    return t;
  }

  /** The token after the current one. */
  protected peek(): Token { return (this.ahead ??= this.t.type === "eof" ? this.t : this.lexer.nextToken()); }
  protected isOp(v: string): boolean { return this.t.type === "op" && this.t.value === v; }
  protected isKw(v: string): boolean { return this.t.type === "keyword" && this.t.value === v; }
  protected eatOp(v: string): boolean { return this.isOp(v) && (this.next(), true); }
  protected eatKw(v: string): boolean { return this.isKw(v) && (this.next(), true); }

  /** Consume operator `v`, or fail with `msg` (plus ", found <token>" when `withFound`). */
  protected expectOp(v: string, msg: string, withFound = true): Token {
    if (!this.isOp(v)) this.fail(withFound ? this.found(msg) : msg);
    return this.next();
  }

  protected expectName(msg: string): Token {
    if (this.t.type !== "name") this.fail(this.found(msg));
    return this.next();
  }

  /** Throw a ScriptError at `at` (default: the current token). */
  protected fail(msg: string, at: Token | Span = this.t): never {
    throw scriptError(msg, at, this.src, this.file);
  }

  /** `${msg}, found <description of the current token>`. */
  protected found(msg: string): string { return `${msg}, found ${describeToken(this.t)}`; }

  /** Span from the start of `start` to the end of the last consumed token. */
  protected span(start: Token | Span): Span {
    const e = this.prev;
    return { line: start.line, col: start.col, endLine: e.endLine, endCol: e.endCol };
  }
}
