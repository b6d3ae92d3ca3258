/**
 * A plain, Python-like AST for the subset of Python syntax that TVMScript uses.
 *
 * Every node carries `kind` (the discriminant) and `span`. Spans follow Python's `ast`
 * conventions: a parenthesized non-tuple expression `(a + b)` has the span of `a + b`, but any
 * node built around it (e.g. `(a + b) * c`) starts at the `(`; parenthesized tuples include
 * their parentheses.
 */

/**
 * A source range. `line`/`col` are 1-based and point at the first character; `endLine`/`endCol`
 * are 1-based and point just past the last character (exclusive end), so a one-character token
 * at column 5 has `col: 5, endCol: 6`.
 */
export interface Span {
  line: number;
  col: number;
  endLine: number;
  endCol: number;
}

export type BinOpKind = "+" | "-" | "*" | "/" | "//" | "%" | "**" | "@" | "<<" | ">>" | "&" | "|" | "^";
export type UnaryOpKind = "-" | "+" | "~" | "not";
export type BoolOpKind = "and" | "or";
export type CmpOpKind = "<" | ">" | "<=" | ">=" | "==" | "!=" | "in" | "not in" | "is" | "is not";

// ---------------------------------------------------------------------------------------------
// Expressions
// ---------------------------------------------------------------------------------------------

export interface Name {
  kind: "Name";
  id: string;
  span: Span;
}

export type ConstantValue = number | bigint | string | boolean | null;
export type ConstantKind = "int" | "float" | "str" | "bool" | "none" | "ellipsis";

/**
 * A literal. Ints are `number` when they fit in a safe integer, `bigint` otherwise; floats are
 * `number` (so `1.0` has value 1: use `valueKind`/`raw` to tell it from `1`). Adjacent string
 * literals are concatenated into one Constant whose `raw` spans all of them. `...` is
 * `valueKind: "ellipsis"` with value null. `raw` is the exact source text.
 */
export interface Constant {
  kind: "Constant";
  value: ConstantValue;
  valueKind: ConstantKind;
  raw: string;
  span: Span;
}

export interface Attribute {
  kind: "Attribute";
  value: Expr;
  attr: string;
  span: Span;
}

/** A keyword argument `name=value`; `name` is null for `**value`. */
export interface Keyword {
  name: string | null;
  value: Expr;
  span: Span;
}

/** `func(args..., keywords...)`; `*x` positional arguments appear in `args` as Starred. */
export interface Call {
  kind: "Call";
  func: Expr;
  args: Expr[];
  keywords: Keyword[];
  span: Span;
}

/** `value[index]`; `index` is a single Expr, a Slice, or a Tuple (of Exprs and Slices). */
export interface Subscript {
  kind: "Subscript";
  value: Expr;
  index: Expr;
  span: Span;
}

/** `lower:upper:step` inside a subscript; absent parts are undefined. */
export interface Slice {
  kind: "Slice";
  lower?: Expr;
  upper?: Expr;
  step?: Expr;
  span: Span;
}

/** A tuple; `parenthesized` is false for bare tuples (`a, b = ...`, `A[i, j]`, `return a, b`). */
export interface Tuple {
  kind: "Tuple";
  elts: Expr[];
  parenthesized: boolean;
  span: Span;
}

export interface List {
  kind: "List";
  elts: Expr[];
  span: Span;
}

/** `{k: v, **d}`: `keys[i]` is null for a `**values[i]` entry. */
export interface Dict {
  kind: "Dict";
  keys: (Expr | null)[];
  values: Expr[];
  span: Span;
}

/** A set display `{a, b}` (named SetExpr so it does not shadow the global `Set`). */
export interface SetExpr {
  kind: "Set";
  elts: Expr[];
  span: Span;
}

export interface BinOp {
  kind: "BinOp";
  op: BinOpKind;
  left: Expr;
  right: Expr;
  span: Span;
}

/** Unary operator. Negative literals stay UnaryOp("-", Constant). */
export interface UnaryOp {
  kind: "UnaryOp";
  op: UnaryOpKind;
  operand: Expr;
  span: Span;
}

/** `a and b and c` is one BoolOp with three values (chains of the same operator are flattened). */
export interface BoolOp {
  kind: "BoolOp";
  op: BoolOpKind;
  values: Expr[];
  span: Span;
}

/** Chained comparison `left ops[0] comparators[0] ops[1] comparators[1] ...`. */
export interface Compare {
  kind: "Compare";
  left: Expr;
  ops: CmpOpKind[];
  comparators: Expr[];
  span: Span;
}

/** `body if test else orelse` */
export interface IfExp {
  kind: "IfExp";
  test: Expr;
  body: Expr;
  orelse: Expr;
  span: Span;
}

export interface Lambda {
  kind: "Lambda";
  args: Arg[];
  body: Expr;
  span: Span;
}

export interface Starred {
  kind: "Starred";
  value: Expr;
  span: Span;
}

export type Expr =
  | Name
  | Constant
  | Attribute
  | Call
  | Subscript
  | Slice
  | Tuple
  | List
  | Dict
  | SetExpr
  | BinOp
  | UnaryOp
  | BoolOp
  | Compare
  | IfExp
  | Lambda
  | Starred;

// ---------------------------------------------------------------------------------------------
// Statements
// ---------------------------------------------------------------------------------------------

/**
 * Parameter kinds: "posonly" (before `/`), "normal", "vararg" (`*args`), "kwonly" (after `*` or
 * `*args`), "kwarg" (`**kw`).
 */
export type ArgKind = "posonly" | "normal" | "vararg" | "kwonly" | "kwarg";

/**
 * A function or lambda parameter. Lambda parameters never have annotations. As in Python, the
 * span covers `name: annotation` (not the default, nor the `*`/`**`).
 */
export interface Arg {
  name: string;
  annotation?: Expr;
  default?: Expr;
  kind: ArgKind;
  span: Span;
}

/** `def name(args) -> returns: body`; the span starts at `def` (decorators are separate). */
export interface FunctionDef {
  kind: "FunctionDef";
  name: string;
  args: Arg[];
  returns?: Expr;
  body: Stmt[];
  decorators: Expr[];
  span: Span;
}

/** `class name(bases, keywords): body`; the span starts at `class`. */
export interface ClassDef {
  kind: "ClassDef";
  name: string;
  bases: Expr[];
  keywords: Keyword[];
  body: Stmt[];
  decorators: Expr[];
  span: Span;
}

export interface WithItem {
  context: Expr;
  target?: Expr;
  span: Span;
}

export interface With {
  kind: "With";
  items: WithItem[];
  body: Stmt[];
  span: Span;
}

/** `for target in iter: body [else: orelse]`; `target` is a (bare) Tuple for `for i, j in`. */
export interface For {
  kind: "For";
  target: Expr;
  iter: Expr;
  body: Stmt[];
  orelse: Stmt[];
  span: Span;
}

/** `if test: body [else: orelse]`; `elif` is a single nested If in `orelse`. */
export interface If {
  kind: "If";
  test: Expr;
  body: Stmt[];
  orelse: Stmt[];
  span: Span;
}

export interface While {
  kind: "While";
  test: Expr;
  body: Stmt[];
  orelse: Stmt[];
  span: Span;
}

/** `t1 = t2 = value` has targets [t1, t2]. */
export interface Assign {
  kind: "Assign";
  targets: Expr[];
  value: Expr;
  span: Span;
}

/** `target: annotation [= value]` */
export interface AnnAssign {
  kind: "AnnAssign";
  target: Expr;
  annotation: Expr;
  value?: Expr;
  span: Span;
}

/** `target op= value` (op without the `=`, e.g. "+"). */
export interface AugAssign {
  kind: "AugAssign";
  target: Expr;
  op: BinOpKind;
  value: Expr;
  span: Span;
}

export interface ExprStmt {
  kind: "ExprStmt";
  value: Expr;
  span: Span;
}

export interface Return {
  kind: "Return";
  value?: Expr;
  span: Span;
}

export interface Pass {
  kind: "Pass";
  span: Span;
}

export interface Break {
  kind: "Break";
  span: Span;
}

export interface Continue {
  kind: "Continue";
  span: Span;
}

export interface Assert {
  kind: "Assert";
  test: Expr;
  msg?: Expr;
  span: Span;
}

/** `name as asname` in an import; `name` may be dotted (`tvm.script`) or `*`. */
export interface Alias {
  name: string;
  asname?: string;
  span: Span;
}

/** `import a.b as c, d` */
export interface Import {
  kind: "Import";
  names: Alias[];
  span: Span;
}

/** `from ..module import a as b`: `level` counts the leading dots; `module` is null for `from . import x`. */
export interface ImportFrom {
  kind: "ImportFrom";
  module: string | null;
  names: Alias[];
  level: number;
  span: Span;
}

export type Stmt =
  | FunctionDef
  | ClassDef
  | With
  | For
  | If
  | While
  | Assign
  | AnnAssign
  | AugAssign
  | ExprStmt
  | Return
  | Pass
  | Break
  | Continue
  | Assert
  | Import
  | ImportFrom;

/** A parsed file. `source` and `file` are kept so later stages can build errors with `scriptError`. */
export interface Module {
  kind: "Module";
  body: Stmt[];
  file: string;
  source: string;
  span: Span;
}

export type Node = Module | Stmt | Expr;
