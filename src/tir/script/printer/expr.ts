/**
 * PrimExpr -> TVMScript text, and annotation values, which are mostly expressions. Each
 * expression comes back with its Python precedence so the parent can add exactly the
 * parentheses Python needs. Infix operators are used only when re-building the node with the
 * expr_ops builders gives the same node (otherwise the parser would fold it): `Add(1, 2)`
 * prints `T.Add(1, 2)`, never `1 + 2`.
 */
import { Buffer, BufferRegion } from "../../../ir/buffer.js";
import { DataType, int32 } from "../../../ir/dtype.js";
import {
  GlobalVar, PrimExpr, Range, type Broadcast, type BufferLoad, type Call, type Cast, type FloatImm, type IntImm, type Let,
  type Not, type Ramp, type Select, type Shuffle, type StringImm, type Var,
} from "../../../ir/expr.js";
import * as E from "../../../ir/expr_ops.js";
import { Op } from "../../../ir/op_registry.js";
import { IterVar } from "../../stmt.js";
import { inContext, type PrinterContext } from "./context.js";
import { line } from "./doc.js";
import { bufferIndices, bufferRef, regionText } from "./buffer.js";
import { callText, dtypeName, formatFloat, formatInt, quote } from "./literal.js";

/** Python operator precedence (the levels TIR uses), lowest to highest. */
export const Prec = {
  or: 3,
  and: 4,
  not: 5,
  compare: 6,
  add: 11,
  mult: 12,
  atom: 15,
} as const;

export interface ExprDoc {
  readonly text: string;
  readonly prec: number;
}

const atom = (text: string): ExprDoc => ({ text, prec: Prec.atom });

type Builder = (a: PrimExpr, b: PrimExpr) => PrimExpr;

/** Node kind -> [builder that would re-fold it, Python operator, precedence]. */
const INFIX: Readonly<Record<string, readonly [Builder, string, number]>> = {
  Add: [E.add, "+", Prec.add],
  Sub: [E.sub, "-", Prec.add],
  Mul: [E.mul, "*", Prec.mult],
  FloorDiv: [E.floordiv, "//", Prec.mult],
  FloorMod: [E.floormod, "%", Prec.mult],
  LT: [E.lt, "<", Prec.compare],
  LE: [E.le, "<=", Prec.compare],
  EQ: [E.eq, "==", Prec.compare],
  NE: [E.ne, "!=", Prec.compare],
  GT: [E.gt, ">", Prec.compare],
  GE: [E.ge, ">=", Prec.compare],
  And: [E.and, "and", Prec.and],
  Or: [E.or, "or", Prec.or],
};

/** Intrinsics whose result dtype is printed as their first argument (`T.call_extern("float32", ...)`). */
const DTYPE_FIRST = new Set(["tir.call_extern", "tir.call_pure_extern", "tir.reinterpret", "tir.call_llvm_intrin", "tir.call_llvm_pure_intrin"]);

/** Whether calls of `op` print their result dtype as the first argument. */
export function opPrintsDtypeFirst(op: Op): boolean {
  return DTYPE_FIRST.has(op.name);
}

interface BinaryLike extends PrimExpr {
  readonly a: PrimExpr;
  readonly b: PrimExpr;
}

export function exprText(p: PrinterContext, e: PrimExpr): string {
  return exprDoc(p, e).text;
}

export function exprDoc(p: PrinterContext, e: PrimExpr): ExprDoc {
  const d = exprDocInner(p, e);
  return p.marking && p.highlight.has(e) ? { text: p.markText(e, d.text), prec: d.prec } : d;
}

function exprDocInner(p: PrinterContext, e: PrimExpr): ExprDoc {
  switch (e.kind) {
    case "IntImm":
      return atom(intLiteral(p, e as IntImm));
    case "FloatImm":
      return atom(`${p.T(dtypeName(e.dtype))}(${formatFloat((e as FloatImm).value)})`);
    case "StringImm":
      return atom(quote((e as StringImm).value));
    case "Var":
    case "SizeVar":
      return atom(varRef(p, e as Var));
    case "Cast":
      return atom(callText(p.T("Cast"), [quote(dtypeName(e.dtype)), exprText(p, (e as Cast).value)]));
    case "Not":
      return notDoc(p, e as Not);
    case "Div":
      return divDoc(p, e as BinaryLike);
    case "Mod":
      return helperOrCall(p, "truncmod", E.truncmod, e as BinaryLike);
    case "Min":
      return helperOrCall(p, "min", E.min, e as BinaryLike);
    case "Max":
      return helperOrCall(p, "max", E.max, e as BinaryLike);
    case "Select": {
      const s = e as Select;
      return atom(callText(p.T("Select"), [exprText(p, s.condition), exprText(p, s.trueValue), exprText(p, s.falseValue)]));
    }
    case "Ramp": {
      const r = e as Ramp;
      return atom(callText(p.T("Ramp"), [exprText(p, r.base), exprText(p, r.stride), formatInt(r.lanes)]));
    }
    case "Broadcast": {
      const b = e as Broadcast;
      return atom(callText(p.T("Broadcast"), [exprText(p, b.value), formatInt(b.lanes)]));
    }
    case "Shuffle": {
      const s = e as Shuffle;
      const vecs = s.vectors.map((v) => exprText(p, v));
      return atom(callText(p.T("Shuffle"), [`[${vecs.join(", ")}]`, `[${s.indices.map(formatInt).join(", ")}]`]));
    }
    case "Let": {
      const l = e as Let;
      const v = varRef(p, l.variable);
      const value = exprText(p, l.value);
      const body = exprText(p, l.body);
      return atom(callText(p.T("Let"), [body], [["where", `{${v}: ${value}}`]]));
    }
    case "Call":
      return atom(callDoc(p, e as Call));
    case "BufferLoad":
      return atom(loadText(p, e as BufferLoad));
    default: {
      const spec = INFIX[e.kind];
      if (!spec) throw new Error(`printScript: cannot print an expression of kind ${e.kind}`);
      return infixOrCall(p, e as BinaryLike, spec);
    }
  }
}

function intLiteral(p: PrinterContext, imm: IntImm): string {
  if (imm.dtype === int32) return formatInt(imm.value);
  if (imm.dtype.isBool()) return `${p.T("bool")}(${imm.value !== 0 ? "True" : "False"})`;
  return `${p.T(dtypeName(imm.dtype))}(${formatInt(imm.value)})`;
}

/** An int32 literal: printed bare, so the parser reads it as a Python int. */
function isPyIntLiteral(e: PrimExpr): boolean {
  return e.kind === "IntImm" && e.dtype === int32;
}

/**
 * True when `build(a, b)` gives back a node of the same kind over the very same operands.
 * Two bare int32 literals never do: the parser evaluates `2147483647 + 1` with Python
 * arithmetic (an int64 2147483648), not with the builders.
 */
function refolds(e: BinaryLike, build: Builder): boolean {
  if (isPyIntLiteral(e.a) && isPyIntLiteral(e.b)) return false;
  let r: PrimExpr;
  try {
    r = build(e.a, e.b);
  } catch {
    return false;
  }
  return r.kind === e.kind && (r as BinaryLike).a === e.a && (r as BinaryLike).b === e.b;
}

function infixOrCall(p: PrinterContext, e: BinaryLike, [build, op, prec]: readonly [Builder, string, number]): ExprDoc {
  const a = exprDoc(p, e.a);
  const b = exprDoc(p, e.b);
  if (!refolds(e, build)) return atom(callText(p.T(e.kind), [a.text, b.text]));
  return infix(a, op, b, prec);
}

function infix(a: ExprDoc, op: string, b: ExprDoc, prec: number): ExprDoc {
  // Python chains comparisons (`a < b == c`), so a comparison operand of a comparison is
  // always parenthesized; otherwise the left side needs parentheses only when it binds looser.
  const leftParen = a.prec < prec || (prec === Prec.compare && a.prec === prec);
  const l = leftParen ? `(${a.text})` : a.text;
  const r = b.prec <= prec ? `(${b.text})` : b.text;
  return { text: `${l} ${op} ${r}`, prec };
}

/**
 * Mod / Min / Max print through TVM's folding helpers (`T.truncmod`, `T.min`, `T.max`) when
 * those give back the same node, and as the non-folding constructors (`T.Mod(x, 1)`,
 * `T.Min(0, 0)`) when the helper would fold or reject them.
 */
function helperOrCall(p: PrinterContext, helper: string, build: Builder, e: BinaryLike): ExprDoc {
  const a = exprText(p, e.a);
  const b = exprText(p, e.b);
  return atom(callText(p.T(refolds(e, build) ? helper : e.kind), [a, b]));
}

/** `not x`, or `T.Not(x)` where `not` would fold (a constant operand). */
function notDoc(p: PrinterContext, e: Not): ExprDoc {
  const a = exprDoc(p, e.a);
  let r: PrimExpr | undefined;
  try {
    r = E.not(e.a);
  } catch {
    r = undefined;
  }
  if (r === undefined || r.kind !== "Not" || (r as Not).a !== e.a) return atom(callText(p.T("Not"), [a.text]));
  return { text: `not ${a.prec < Prec.not ? `(${a.text})` : a.text}`, prec: Prec.not };
}

/**
 * Float division prints `/`; integer division (and anything that would fold, such as
 * `Div(Div(a, b), 1.0)`, which `/` gives back as the inner Div) `T.Div`.
 */
function divDoc(p: PrinterContext, e: BinaryLike): ExprDoc {
  const a = exprDoc(p, e.a);
  const b = exprDoc(p, e.b);
  if (e.a.dtype.isIntegral() || e.b.dtype.isIntegral() || !refolds(e, E.div)) {
    return atom(callText(p.T("Div"), [a.text, b.text]));
  }
  return infix(a, "/", b, Prec.mult);
}

function callDoc(p: PrinterContext, c: Call): string {
  const args: string[] = [];
  let callee: string;
  if (c.op.kind === "Op") {
    const op = c.op as Op;
    callee = p.T(op.scriptName);
    if (opPrintsDtypeFirst(op)) args.push(quote(dtypeName(c.dtype)));
  } else {
    callee = globalVarText(p, c.op as GlobalVar);
  }
  for (const a of c.args) args.push(exprText(p, a));
  return callText(callee, args);
}

/** A function reference: `cls.f` inside a module, the bare name otherwise. */
export function globalVarText(p: PrinterContext, gv: GlobalVar): string {
  return p.lookup(gv) ?? p.moduleGlobals?.get(gv.name) ?? gv.name;
}

function loadText(p: PrinterContext, load: BufferLoad): string {
  const buf = bufferRef(p, load.buffer);
  const idx = bufferIndices(p, load.indices, !load.predicate);
  if (load.predicate) {
    return callText(`${buf}.vload`, [`[${idx.join(", ")}]`], [["predicate", exprText(p, load.predicate)]]);
  }
  return idx.length === 0 ? `${buf}[()]` : `${buf}[${idx.join(", ")}]`;
}

/**
 * The printed name of a variable. A variable that is not defined anywhere in scope (a free
 * variable) is declared on first use, `n = T.int32()`, at the top of the enclosing function.
 */
export function varRef(p: PrinterContext, v: Var): string {
  const d = p.lookup(v);
  if (d !== undefined) return d;
  const f = p.declFrame ?? p.top();
  const name = p.define(v, v.name, f);
  f.stmts.push(line(`${name} = ${varCreation(p, v)}`));
  return name;
}

/** The right-hand side that declares a variable: `T.int32()`, `T.handle("float32", "global")`. */
export function varCreation(p: PrinterContext, v: Var): string {
  const kwargs: Array<[string, string]> = v.kind === "SizeVar" ? [["is_size_var", "True"]] : [];
  const ptr = v.typeAnnotation;
  if (ptr) {
    const args = [quote(dtypeName(ptr.elementType))];
    if (ptr.storageScope !== "") args.push(quote(ptr.storageScope));
    return callText(p.T("handle"), args, kwargs);
  }
  return callText(p.T(dtypeName(v.dtype)), [], kwargs);
}

/** A variable's type as an annotation: `T.int32`, `T.handle`, `T.handle("float32", "global")`. */
export function typeAnnotation(p: PrinterContext, v: Var): string {
  const ptr = v.typeAnnotation;
  if (ptr) {
    const args = [quote(dtypeName(ptr.elementType))];
    if (ptr.storageScope !== "") args.push(quote(ptr.storageScope));
    return callText(p.T("handle"), args);
  }
  return p.T(dtypeName(v.dtype));
}

// ------------------------------------------------------------------ annotation values
// `T.func_attr`, `T.block_attr`, loop `annotations=` and `T.attr` nodes: ints bare, strings
// quoted, bools `True`/`False`, PrimExprs as expressions, arrays as lists, dicts with sorted
// keys, plus the few other nodes that appear there (buffers, regions, ranges, iter vars).

export function attrValueText(p: PrinterContext, v: unknown): string {
  if (v === undefined || v === null) return "None";
  switch (typeof v) {
    case "boolean":
      return v ? "True" : "False";
    case "number":
      return Number.isInteger(v) ? formatInt(v) : formatFloat(v);
    case "string":
      return quote(v);
    case "bigint":
      return v.toString();
    case "object":
      break;
    default:
      throw new Error(`printScript: cannot print a ${typeof v} as an annotation value`);
  }
  if (Array.isArray(v)) return `[${v.map((x) => attrValueText(p, x)).join(", ")}]`;
  if (v instanceof PrimExpr) return exprText(p, v);
  if (v instanceof DataType) return quote(v.toString());
  if (v instanceof Buffer) return bufferRef(p, v);
  if (v instanceof BufferRegion) return regionText(p, v);
  if (v instanceof Range) return rangeText(p, v);
  if (v instanceof IterVar) return iterVarText(p, v);
  if (v instanceof GlobalVar) return globalVarText(p, v);
  if (v instanceof Op) return callText(p.I("Op"), [quote(v.name)]);
  if (v instanceof Map) return dictText(p, [...v.entries()].map(([k, x]) => [String(k), x] as const));
  const kind = (v as { kind?: unknown }).kind;
  if (typeof kind === "string" && Object.getPrototypeOf(v) !== Object.prototype) {
    throw new Error(`printScript: cannot print a ${kind} node as an annotation value`);
  }
  return dictText(p, Object.entries(v as Record<string, unknown>));
}

/** `{"a": 1, "b": True}` with keys sorted, as TVM prints string-keyed maps. */
export function dictText(p: PrinterContext, entries: ReadonlyArray<readonly [string, unknown]>): string {
  const sorted = [...entries].sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0));
  return `{${sorted.map(([k, x]) => `${quote(k)}: ${inContext(`key ${quote(k)}`, () => attrValueText(p, x))}`).join(", ")}}`;
}

/** `T.Range(min, min + extent)`, the TIR-context spelling of a Range. */
export function rangeText(p: PrinterContext, r: Range, prefix: "T" | "I" = "T"): string {
  const callee = prefix === "T" ? p.T("Range") : p.I("Range");
  return callText(callee, [exprText(p, r.min), exprText(p, E.add(r.min, r.extent))]);
}

/** `T.iter_var(v, T.Range(0, 128), "DataPar", "")`. */
export function iterVarText(p: PrinterContext, iv: IterVar): string {
  return callText(p.T("iter_var"), [varRef(p, iv.variable), rangeText(p, iv.dom), quote(iv.iterType), quote(iv.threadTag)]);
}
