/**
 * Recursive-descent parser for the Python subset used by TVMScript, with Python's operator
 * precedence. Produces the AST in ./ast.ts (shapes and spans match CPython's `ast` module for
 * the supported subset); every syntax error is a ScriptError.
 */
import type * as A from "./ast.js";
import { DEFAULT_FILE, ScriptError, scriptError } from "./errors.js";
import { TokenStream, describeToken, type Token } from "./tokenizer.js";

/** Binary operator precedence (higher binds tighter); `**` is handled in `factor`. */
const BIN_PREC: ReadonlyMap<string, number> = new Map([
  ["|", 1], ["^", 2], ["&", 3], ["<<", 4], [">>", 4], ["+", 5], ["-", 5],
  ["*", 6], ["/", 6], ["//", 6], ["%", 6], ["@", 6],
]);
const CMP_OPS: ReadonlySet<string> = new Set(["<", ">", "<=", ">=", "==", "!="]);
const AUG_OPS: ReadonlySet<string> = new Set(["+=", "-=", "*=", "/=", "//=", "%=", "**=", "@=", "<<=", ">>=", "&=", "|=", "^="]);
const EXPR_START_KEYWORDS: ReadonlySet<string> = new Set(["lambda", "not", "True", "False", "None"]);
const EXPR_START_OPS: ReadonlySet<string> = new Set(["(", "[", "{", "-", "+", "~", "*", "..."]);
const COMPOUND_KEYWORDS: ReadonlySet<string> = new Set(["def", "class", "if", "for", "while", "with"]);
const UNSUPPORTED_STMTS: ReadonlySet<string> = new Set([
  "try", "except", "finally", "raise", "del", "global", "nonlocal", "yield", "async", "await",
]);

const EXPR_DESCRIPTIONS: Partial<Record<A.Expr["kind"], string>> = {
  Call: "function call", Constant: "literal", Lambda: "lambda", IfExp: "conditional expression",
  Compare: "comparison", Dict: "dict literal", Set: "set display", Tuple: "tuple",
};
const describeExpr = (e: A.Expr): string => EXPR_DESCRIPTIONS[e.kind] ?? "expression";
const isSimpleTarget = (e: A.Expr): boolean => e.kind === "Name" || e.kind === "Attribute" || e.kind === "Subscript";

class Parser extends TokenStream {
  /** Span of a compound statement: its keyword to the end of its last body statement. */
  private stmtSpan(kw: Token, body: A.Stmt[], orelse?: A.Stmt[]): A.Span {
    const last = (orelse !== undefined && orelse.length > 0 ? orelse : body).at(-1)!.span;
    return { line: kw.line, col: kw.col, endLine: last.endLine, endCol: last.endCol };
  }

  private canStartExpr(): boolean {
    const t = this.t;
    switch (t.type) {
      case "name": case "int": case "float": case "string": return true;
      case "keyword": return EXPR_START_KEYWORDS.has(t.value);
      case "op": return EXPR_START_OPS.has(t.value);
      default: return false;
    }
  }

  // ----- statements -----

  parseModule(): A.Module {
    const body: A.Stmt[] = [];
    while (this.t.type !== "eof") {
      if (this.t.type === "indent") this.fail("unexpected indent");
      this.statement(body);
    }
    const end = this.t;
    return {
      kind: "Module", body, file: this.file, source: this.src,
      span: { line: 1, col: 1, endLine: end.endLine, endCol: end.endCol },
    };
  }

  private statement(out: A.Stmt[]): void {
    const t = this.t;
    if (t.type === "keyword") {
      switch (t.value) {
        case "def": out.push(this.functionDef([])); return;
        case "class": out.push(this.classDef([])); return;
        case "if": out.push(this.ifStmt()); return;
        case "for": out.push(this.forStmt()); return;
        case "while": out.push(this.whileStmt()); return;
        case "with": out.push(this.withStmt()); return;
      }
    } else if (t.type === "op" && t.value === "@") {
      out.push(this.decorated());
      return;
    }
    this.simpleStatements(out);
  }

  /** small_stmt (';' small_stmt)* [';'] NEWLINE */
  private simpleStatements(out: A.Stmt[]): void {
    do out.push(this.smallStatement());
    while (this.eatOp(";") && this.t.type !== "newline");
    if (this.t.type !== "newline") this.fail(`invalid syntax: unexpected ${describeToken(this.t)} after statement`);
    this.next();
  }

  /** A suite after ':': an indented block, or simple statements on the same line. */
  private block(what: string, header: Token): A.Stmt[] {
    const body: A.Stmt[] = [];
    const first = this.t;
    if (first.type !== "newline") {
      if (first.type === "keyword" && COMPOUND_KEYWORDS.has(first.value)) {
        this.fail(`'${first.value}' statement must start on its own line`);
      }
      this.simpleStatements(body);
      return body;
    }
    this.next();
    if (this.t.type !== "indent") this.fail(`expected an indented block after ${what} on line ${header.line}`);
    this.next();
    return this.indentedBody(body);
  }

  private indentedBody(body: A.Stmt[]): A.Stmt[] {
    while (this.t.type !== "dedent" && this.t.type !== "eof") {
      if (this.t.type === "indent") this.fail("unexpected indent");
      this.statement(body);
    }
    this.next();
    return body;
  }

  private decorated(): A.Stmt {
    const decorators: A.Expr[] = [];
    while (this.eatOp("@")) {
      decorators.push(this.test());
      if (this.t.type !== "newline") this.fail(this.found("expected end of line after decorator"));
      this.next();
    }
    if (this.isKw("def")) return this.functionDef(decorators);
    if (this.isKw("class")) return this.classDef(decorators);
    if (this.t.type === "indent") this.fail("unexpected indent");
    return this.fail(this.found("expected 'def' or 'class' after decorator"));
  }

  private functionDef(decorators: A.Expr[]): A.FunctionDef {
    const kw = this.next();
    const name = this.expectName("expected function name after 'def'").value;
    this.expectOp("(", "expected '(' after function name");
    const args = this.params(")", true);
    this.expectOp(")", "expected ',' or ')' in parameter list");
    const returns = this.eatOp("->") ? this.test() : undefined;
    this.expectOp(":", "expected ':' after function signature", false);
    const body = this.block("function definition", kw);
    const fn: A.FunctionDef = { kind: "FunctionDef", name, args, body, decorators, span: this.stmtSpan(kw, body) };
    if (returns !== undefined) fn.returns = returns;
    return fn;
  }

  /** Parameters up to (not including) `closer`: `)` for def, `:` for lambda. */
  private params(closer: string, annotations: boolean): A.Arg[] {
    const args: A.Arg[] = [];
    const seen = new Set<string>();
    let star = false;
    let sawDefault = false;
    let bareStar: Token | undefined;
    while (!this.isOp(closer)) {
      const s = this.t;
      if (this.eatOp("/")) {
        if (star || args.length === 0 || args[0]!.kind === "posonly") this.fail("invalid '/' in parameter list", s);
        for (const a of args) a.kind = "posonly";
      } else {
        let kind: A.ArgKind = star ? "kwonly" : "normal";
        if (this.eatOp("**")) kind = "kwarg";
        else if (this.eatOp("*")) {
          if (star) this.fail("'*' may appear only once in a parameter list", s);
          star = true;
          if (this.isOp(",") || this.isOp(closer)) {
            bareStar = s;
            if (this.eatOp(",")) continue;
            break;
          }
          kind = "vararg";
        }
        const nameTok = this.expectName("expected parameter name");
        bareStar = undefined;
        if (seen.has(nameTok.value)) this.fail(`duplicate parameter '${nameTok.value}'`, nameTok);
        seen.add(nameTok.value);
        const arg: A.Arg = { name: nameTok.value, kind, span: nameTok };
        if (annotations && this.eatOp(":")) arg.annotation = this.test();
        arg.span = this.span(nameTok);
        if ((kind === "normal" || kind === "kwonly") && this.eatOp("=")) {
          arg.default = this.test();
          if (kind === "normal") sawDefault = true;
        } else if (kind === "normal" && sawDefault) {
          this.fail("parameter without a default follows parameter with a default", nameTok);
        }
        args.push(arg);
        if (kind === "kwarg" && !this.isOp(closer) && !(this.isOp(",") && this.peek().value === closer)) {
          this.fail("the '**' parameter must be the last parameter");
        }
      }
      if (!this.eatOp(",")) break;
    }
    if (bareStar !== undefined) this.fail("named parameters must follow bare '*'", bareStar);
    return args;
  }

  private classDef(decorators: A.Expr[]): A.ClassDef {
    const kw = this.next();
    const name = this.expectName("expected class name after 'class'").value;
    let bases: A.Expr[] = [];
    let keywords: A.Keyword[] = [];
    if (this.eatOp("(")) {
      ({ args: bases, keywords } = this.callArgs());
      this.expectOp(")", "expected ',' or ')' in class bases");
    }
    this.expectOp(":", "expected ':' after class header", false);
    const body = this.block("class definition", kw);
    return { kind: "ClassDef", name, bases, keywords, body, decorators, span: this.stmtSpan(kw, body) };
  }

  private ifStmt(): A.If {
    const kw = this.next();
    const test = this.test();
    this.expectOp(":", `expected ':' after '${kw.value}' condition`, false);
    const body = this.block(`'${kw.value}' statement`, kw);
    const orelse = this.isKw("elif") ? [this.ifStmt()] : this.elseBlock();
    return { kind: "If", test, body, orelse, span: this.stmtSpan(kw, body, orelse) };
  }

  private elseBlock(): A.Stmt[] {
    if (!this.isKw("else")) return [];
    const kw = this.next();
    this.expectOp(":", "expected ':' after 'else'", false);
    return this.block("'else' statement", kw);
  }

  private forStmt(): A.For {
    const kw = this.next();
    const target = this.exprList(false);
    this.checkTarget(target);
    if (!this.eatKw("in")) this.fail(this.found("expected 'in' after 'for' target"));
    const iter = this.exprList(true);
    this.expectOp(":", "expected ':' after 'for' header", false);
    const body = this.block("'for' statement", kw);
    const orelse = this.elseBlock();
    return { kind: "For", target, iter, body, orelse, span: this.stmtSpan(kw, body, orelse) };
  }

  private whileStmt(): A.While {
    const kw = this.next();
    const test = this.test();
    this.expectOp(":", "expected ':' after 'while' condition", false);
    const body = this.block("'while' statement", kw);
    const orelse = this.elseBlock();
    return { kind: "While", test, body, orelse, span: this.stmtSpan(kw, body, orelse) };
  }

  private withStmt(): A.With {
    const kw = this.next();
    const items: A.WithItem[] = [];
    do {
      const s = this.t;
      const item: A.WithItem = { context: this.test(), span: s };
      if (this.eatKw("as")) this.checkTarget((item.target = this.starOr(false)));
      item.span = this.span(s);
      items.push(item);
    } while (this.eatOp(","));
    this.expectOp(":", "expected ':' after 'with' items", false);
    const body = this.block("'with' statement", kw);
    return { kind: "With", items, body, span: this.stmtSpan(kw, body) };
  }

  private smallStatement(): A.Stmt {
    const s = this.t;
    if (s.type === "keyword") {
      const v = s.value;
      switch (v) {
        case "pass": this.next(); return { kind: "Pass", span: this.span(s) };
        case "break": this.next(); return { kind: "Break", span: this.span(s) };
        case "continue": this.next(); return { kind: "Continue", span: this.span(s) };
        case "return": {
          this.next();
          const ret: A.Return = { kind: "Return", span: s };
          if (this.canStartExpr()) ret.value = this.exprList(true);
          ret.span = this.span(s);
          return ret;
        }
        case "assert": {
          this.next();
          const node: A.Assert = { kind: "Assert", test: this.test(), span: s };
          if (this.eatOp(",")) node.msg = this.test();
          node.span = this.span(s);
          return node;
        }
        case "import": case "from": return this.importStmt();
        case "elif": case "else": return this.fail(`'${v}' without a matching 'if'`);
      }
      if (COMPOUND_KEYWORDS.has(v)) this.fail(`'${v}' statement must start on its own line`);
      if (UNSUPPORTED_STMTS.has(v)) this.fail(`'${v}' is not supported in TVMScript`);
    }
    const first = this.exprList(true);
    const t = this.t;
    if (t.type === "op") {
      if (t.value === "=") {
        const targets = [first];
        while (this.eatOp("=")) targets.push(this.exprList(true));
        const value = targets.pop()!;
        for (const tg of targets) this.checkTarget(tg);
        return { kind: "Assign", targets, value, span: this.span(s) };
      }
      if (t.value === ":") {
        if (!isSimpleTarget(first)) {
          this.fail(first.kind === "Tuple" ? "only a single target (not a tuple) can be annotated" : `cannot annotate ${describeExpr(first)}`, first.span);
        }
        this.next();
        const node: A.AnnAssign = { kind: "AnnAssign", target: first, annotation: this.test(), span: s };
        if (this.eatOp("=")) node.value = this.exprList(true);
        node.span = this.span(s);
        return node;
      }
      if (AUG_OPS.has(t.value)) {
        if (!isSimpleTarget(first)) this.fail(`${describeExpr(first)} is an illegal target for augmented assignment`, first.span);
        this.next();
        const op = t.value.slice(0, -1) as A.BinOpKind;
        return { kind: "AugAssign", target: first, op, value: this.exprList(true), span: this.span(s) };
      }
    }
    return { kind: "ExprStmt", value: first, span: this.span(s) };
  }

  private importStmt(): A.Import | A.ImportFrom {
    const kw = this.next();
    const names: A.Alias[] = [];
    if (kw.value === "import") {
      do names.push(this.alias(true));
      while (this.eatOp(","));
      return { kind: "Import", names, span: this.span(kw) };
    }
    let level = 0;
    for (;;) {
      if (this.eatOp(".")) level++;
      else if (this.eatOp("...")) level += 3;
      else break;
    }
    const module = level > 0 && this.isKw("import") ? null : this.dottedName();
    if (!this.eatKw("import")) this.fail(this.found("expected 'import'"));
    if (this.isOp("*")) {
      const star = this.next();
      names.push({ name: "*", span: this.span(star) });
    } else {
      const paren = this.eatOp("(");
      do names.push(this.alias(false));
      while (this.eatOp(",") && !(paren && this.isOp(")")));
      if (paren) this.expectOp(")", "expected ',' or ')' in import list");
    }
    return { kind: "ImportFrom", module, names, level, span: this.span(kw) };
  }

  private dottedName(): string {
    let name = this.expectName("expected module name").value;
    while (this.eatOp(".")) name += "." + this.expectName("expected name after '.'").value;
    return name;
  }

  private alias(dotted: boolean): A.Alias {
    const s = this.t;
    const alias: A.Alias = { name: dotted ? this.dottedName() : this.expectName("expected name to import").value, span: s };
    if (this.eatKw("as")) alias.asname = this.expectName("expected name after 'as'").value;
    alias.span = this.span(s);
    return alias;
  }

  /** Reject expressions that cannot be assigned to. */
  private checkTarget(e: A.Expr): void {
    switch (e.kind) {
      case "Name": case "Attribute": case "Subscript": return;
      case "Starred": return this.checkTarget(e.value);
      case "Tuple": case "List": for (const x of e.elts) this.checkTarget(x); return;
      default: this.fail(`cannot assign to ${describeExpr(e)}`, e.span);
    }
  }

  // ----- expressions -----

  /**
   * A comma-separated list (`a, b` or `a,` give a bare Tuple). Items are full expressions when
   * `full`, else bitwise-or expressions (for-loop targets, which must stop before `in`).
   */
  private exprList(full: boolean): A.Expr {
    const s = this.t;
    const first = this.starOr(full);
    if (!this.isOp(",")) return first;
    const elts = [first];
    while (this.eatOp(",") && this.canStartExpr()) elts.push(this.starOr(full));
    return { kind: "Tuple", elts, parenthesized: false, span: this.span(s) };
  }

  /** `*x` (Starred) or an expression (see exprList for `full`). */
  private starOr(full: boolean): A.Expr {
    if (!this.isOp("*")) return full ? this.test() : this.binary(1);
    const s = this.next();
    return { kind: "Starred", value: this.binary(1), span: this.span(s) };
  }

  /** test: lambda | or_test ['if' or_test 'else' test] */
  private test(): A.Expr {
    if (this.isKw("lambda")) {
      const kw = this.next();
      const args = this.params(":", false);
      this.expectOp(":", "expected ':' after lambda parameters");
      return { kind: "Lambda", args, body: this.test(), span: this.span(kw) };
    }
    const s = this.t;
    const body = this.boolOp("or");
    if (!this.eatKw("if")) return body;
    const test = this.boolOp("or");
    if (!this.eatKw("else")) this.fail(this.found("expected 'else' in conditional expression"));
    return { kind: "IfExp", test, body, orelse: this.test(), span: this.span(s) };
  }

  /** or_test / and_test, flattened into one BoolOp per chain. */
  private boolOp(op: A.BoolOpKind): A.Expr {
    const s = this.t;
    const first = op === "or" ? this.boolOp("and") : this.notTest();
    if (!this.isKw(op)) return first;
    const values = [first];
    while (this.eatKw(op)) values.push(op === "or" ? this.boolOp("and") : this.notTest());
    return { kind: "BoolOp", op, values, span: this.span(s) };
  }

  private notTest(): A.Expr {
    if (!this.isKw("not")) return this.comparison();
    const s = this.next();
    return { kind: "UnaryOp", op: "not", operand: this.notTest(), span: this.span(s) };
  }

  private comparison(): A.Expr {
    const s = this.t;
    const left = this.binary(1);
    let ops: A.CmpOpKind[] | undefined;
    const comparators: A.Expr[] = [];
    for (;;) {
      const t = this.t;
      let op: A.CmpOpKind;
      if (t.type === "op" && CMP_OPS.has(t.value)) op = t.value as A.CmpOpKind;
      else if (t.type !== "keyword") break;
      else if (t.value === "in") op = "in";
      else if (t.value === "is") {
        op = "is";
        if (this.peek().type === "keyword" && this.peek().value === "not") op = (this.next(), "is not");
      } else if (t.value === "not" && this.peek().type === "keyword" && this.peek().value === "in") {
        op = (this.next(), "not in");
      } else break;
      this.next();
      (ops ??= []).push(op);
      comparators.push(this.binary(1));
    }
    if (ops === undefined) return left;
    return { kind: "Compare", left, ops, comparators, span: this.span(s) };
  }

  /** Left-associative binary operators with precedence >= minPrec (| ^ & shifts + - * / // % @). */
  private binary(minPrec: number): A.Expr {
    const s = this.t;
    let left = this.factor();
    for (;;) {
      const t = this.t;
      if (t.type !== "op") return left;
      const prec = BIN_PREC.get(t.value);
      if (prec === undefined || prec < minPrec) return left;
      this.next();
      const right = this.binary(prec + 1);
      left = { kind: "BinOp", op: t.value as A.BinOpKind, left, right, span: this.span(s) };
    }
  }

  /** factor: ('+'|'-'|'~') factor | primary ['**' factor] */
  private factor(): A.Expr {
    const t = this.t;
    if (t.type === "op" && (t.value === "-" || t.value === "+" || t.value === "~")) {
      this.next();
      return { kind: "UnaryOp", op: t.value, operand: this.factor(), span: this.span(t) };
    }
    const base = this.primary();
    if (!this.eatOp("**")) return base;
    return { kind: "BinOp", op: "**", left: base, right: this.factor(), span: this.span(t) };
  }

  /** primary: atom ('.' NAME | '(' args ')' | '[' subscript ']')* */
  private primary(): A.Expr {
    const s = this.t;
    let e = this.atom();
    for (;;) {
      const t = this.t;
      if (t.type !== "op") return e;
      if (t.value === ".") {
        this.next();
        const attr = this.expectName("expected attribute name after '.'").value;
        e = { kind: "Attribute", value: e, attr, span: this.span(s) };
      } else if (t.value === "(") {
        this.next();
        const { args, keywords } = this.callArgs();
        if (this.isOp("=")) this.fail("invalid keyword argument: expected a name before '=' (did you mean '=='?)");
        this.expectOp(")", "expected ',' or ')' in call arguments");
        e = { kind: "Call", func: e, args, keywords, span: this.span(s) };
      } else if (t.value === "[") {
        this.next();
        const index = this.subscriptList();
        this.expectOp("]", "expected ',' or ']' in subscript");
        e = { kind: "Subscript", value: e, index, span: this.span(s) };
      } else {
        return e;
      }
    }
  }

  /** Call arguments up to (not including) ')'. */
  private callArgs(): { args: A.Expr[]; keywords: A.Keyword[] } {
    const args: A.Expr[] = [];
    const keywords: A.Keyword[] = [];
    while (!this.isOp(")")) {
      const s = this.t;
      if (this.eatOp("**")) {
        keywords.push({ name: null, value: this.test(), span: this.span(s) });
      } else if (s.type === "name" && this.peek().type === "op" && this.peek().value === "=") {
        this.next();
        this.next();
        if (keywords.some((k) => k.name === s.value)) this.fail(`keyword argument repeated: ${s.value}`, s);
        keywords.push({ name: s.value, value: this.test(), span: this.span(s) });
      } else {
        const arg = this.starOr(true);
        if (arg.kind !== "Starred" && keywords.length > 0) {
          const unpack = keywords.some((k) => k.name === null);
          this.fail(`positional argument follows keyword argument${unpack ? " unpacking" : ""}`, arg.span);
        }
        this.noComprehension();
        args.push(arg);
      }
      if (!this.eatOp(",")) break;
    }
    return { args, keywords };
  }

  /** The inside of `[...]`: one item, or a bare Tuple of items (Exprs and Slices). */
  private subscriptList(): A.Expr {
    const s = this.t;
    const first = this.sliceItem();
    if (!this.isOp(",")) return first;
    const elts = [first];
    while (this.eatOp(",") && !this.isOp("]")) elts.push(this.sliceItem());
    return { kind: "Tuple", elts, parenthesized: false, span: this.span(s) };
  }

  private sliceItem(): A.Expr {
    const s = this.t;
    const slice: A.Slice = { kind: "Slice", span: s };
    if (!this.isOp(":")) {
      const lower = this.starOr(true);
      if (!this.isOp(":")) return lower;
      slice.lower = lower;
    }
    this.next();
    const more = (): boolean => !this.isOp(",") && !this.isOp("]");
    if (!this.isOp(":") && more()) slice.upper = this.test();
    if (this.eatOp(":") && more()) slice.step = this.test();
    slice.span = this.span(s);
    return slice;
  }

  private atom(): A.Expr {
    const t = this.t;
    switch (t.type) {
      case "name":
        this.next();
        return { kind: "Name", id: t.value, span: this.span(t) };
      case "int": case "float": {
        this.next();
        const text = t.value.indexOf("_") >= 0 ? t.value.replaceAll("_", "") : t.value;
        const n = Number(text); // handles 0x / 0o / 0b prefixes too
        const value = t.type === "float" || Number.isSafeInteger(n) ? n : BigInt(text);
        return { kind: "Constant", value, valueKind: t.type, raw: t.value, span: this.span(t) };
      }
      case "string": {
        let value = t.value;
        this.next();
        while (this.t.type === "string") value += this.next().value;
        const raw = this.src.slice(t.start, this.prev.end);
        return { kind: "Constant", value, valueKind: "str", raw, span: this.span(t) };
      }
      case "keyword":
        if (t.value === "True" || t.value === "False" || t.value === "None") {
          this.next();
          const value = t.value === "None" ? null : t.value === "True";
          return { kind: "Constant", value, valueKind: value === null ? "none" : "bool", raw: t.value, span: this.span(t) };
        }
        break;
      case "op":
        switch (t.value) {
          case "(": return this.parenthesized();
          case "[": return this.listDisplay();
          case "{": return this.braceDisplay();
          case "...":
            this.next();
            return { kind: "Constant", value: null, valueKind: "ellipsis", raw: "...", span: this.span(t) };
        }
        break;
    }
    return this.fail(this.found("expected an expression"));
  }

  private noComprehension(): void {
    if (this.isKw("for")) this.fail("comprehensions and generator expressions are not supported in TVMScript");
  }

  private parenthesized(): A.Expr {
    const s = this.next();
    if (this.eatOp(")")) return { kind: "Tuple", elts: [], parenthesized: true, span: this.span(s) };
    const first = this.starOr(true);
    this.noComprehension();
    if (!this.isOp(",")) {
      if (first.kind === "Starred") this.fail("cannot use starred expression here", first.span);
      this.expectOp(")", "expected ')'");
      return first;
    }
    const elts = [first];
    while (this.eatOp(",") && !this.isOp(")")) elts.push(this.starOr(true));
    this.expectOp(")", "expected ',' or ')' in tuple");
    return { kind: "Tuple", elts, parenthesized: true, span: this.span(s) };
  }

  private listDisplay(): A.List {
    const s = this.next();
    const elts: A.Expr[] = [];
    while (!this.isOp("]")) {
      elts.push(this.starOr(true));
      if (elts.length === 1) this.noComprehension();
      if (!this.eatOp(",")) break;
    }
    this.expectOp("]", "expected ',' or ']' in list");
    return { kind: "List", elts, span: this.span(s) };
  }

  private braceDisplay(): A.Dict | A.SetExpr {
    const s = this.next();
    const keys: (A.Expr | null)[] = [];
    const values: A.Expr[] = [];
    let isDict = true;
    while (!this.isOp("}")) {
      if (this.eatOp("**")) {
        if (!isDict) this.fail("cannot use '**' in a set display");
        keys.push(null);
        values.push(this.binary(1));
      } else {
        const e = this.starOr(true);
        if (values.length === 0) isDict = this.isOp(":");
        if (isDict) {
          if (e.kind === "Starred") this.fail("cannot use a starred expression as a dict key", e.span);
          this.expectOp(":", "expected ':' after dict key");
          keys.push(e);
          values.push(this.test());
        } else {
          values.push(e);
        }
      }
      if (values.length === 1) this.noComprehension();
      if (!this.eatOp(",")) break;
    }
    this.expectOp("}", `expected ',' or '}' in ${isDict ? "dict" : "set"}`);
    return isDict ? { kind: "Dict", keys, values, span: this.span(s) } : { kind: "Set", elts: values, span: this.span(s) };
  }
}

/**
 * Parse Python (TVMScript) source into a Module AST. `file` is used in error locations.
 * Throws ScriptError on any syntax error.
 */
export function parsePython(source: string, file: string = DEFAULT_FILE): A.Module {
  const parser = new Parser(source, file);
  try {
    return parser.parseModule();
  } catch (e) {
    if (e instanceof ScriptError) throw e;
    // Never leak a raw JS exception (e.g. stack overflow on absurdly deep nesting).
    const msg = e instanceof RangeError ? "expression is too deeply nested" : `internal parser error: ${String(e)}`;
    throw scriptError(msg, parser.current, source, file);
  }
}
