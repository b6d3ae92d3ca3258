/**
 * T.* builtins that build expressions: dtype constructors (`T.float32(0)`, `T.int32()` for
 * a symbolic variable), the node constructors that never fold (`T.Add`, `T.Cast`, `T.Let`,
 * `T.Ramp`, ...), the folding helpers (`T.max`, `T.floordiv`, `T.if_then_else`, ...) and
 * intrinsic calls by their script name (`T.exp`, `T.call_extern`, ...).
 */
import { DataType, bool, float64, handle, int32 } from "../../../ir/dtype.js";
import {
  Add, And, Broadcast, Call, Cast, Div, EQ, FloatImm, FloorDiv, FloorMod, GE, GT, LE, LT, Let, Max, Min, Mod, Mul, NE,
  Not, Or, PrimExpr, Ramp, Select, Shuffle, SizeVar, Sub, Var,
} from "../../../ir/expr.js";
import * as E from "../../../ir/expr_ops.js";
import { Op } from "../../../ir/op_registry.js";
import type { Span } from "../python/ast.js";
import type { ParseContext } from "./context.js";
import {
  binaryOperands, toBool, toDType, toExpr, toInt, toList, toStr, unwrapMeta, valueOfType,
} from "./convert.js";
import { builtin } from "./signature.js";
import {
  Builtin, DataTypeValue, DictValue, MetaVar, PyFloat, describe, isVarValue, type Arg, type BoundArgs, type CallArgs,
  type CallSite, type ScriptValue,
} from "./values.js";

type Table = Map<string, Builtin>;

function req(a: BoundArgs, name: string): Arg {
  const x = a.get(name);
  if (!x) throw new Error(`internal: builtin argument ${name} was not bound`);
  return x;
}

function exprArg(ctx: ParseContext, a: Arg, what: string): PrimExpr {
  return toExpr(ctx, a.value, a.span, what);
}

// ------------------------------------------------------------------ dtypes and variables

function declName(site: CallSite, fallback: string): string {
  return site.names?.[0] ?? fallback;
}

/** `T.float32(x)`: constant, cast or (without argument) a new symbolic variable. */
function dtypeCall(dtype: DataType, a: BoundArgs, site: CallSite): ScriptValue {
  const ctx: ParseContext = site.ctx;
  const what = `T.${dtype}`;
  const sizeArg = a.get("is_size_var");
  const isSize = sizeArg ? toBool(ctx, sizeArg.value, sizeArg.span, `${what}(is_size_var=...)`) : false;
  const x = a.get("expr");
  if (!x || x.value === null) {
    const name = declName(site, "v");
    return ctx.freshVar(isSize ? new SizeVar(name, dtype) : new Var(name, dtype));
  }
  const v = unwrapMeta(x.value);
  if (typeof v === "string") {
    const num = parseFloatText(v);
    if (num === undefined) ctx.fail(`${what}: cannot convert the string ${JSON.stringify(v)} to a number`, x.span);
    if (!dtype.isFloat() && !Number.isInteger(num)) ctx.fail(`${what}: ${JSON.stringify(v)} is not an integer`, x.span);
    return ctx.guard(x.span, () => E.constant(num, dtype));
  }
  if (v instanceof PyFloat && !dtype.isFloat()) {
    return ctx.guard(x.span, () => E.cast(dtype, new FloatImm(float64, v.value)));
  }
  if (typeof v === "number" || typeof v === "boolean" || v instanceof PyFloat) {
    return valueOfType(ctx, v, dtype, x.span, what);
  }
  const e = toExpr(ctx, v, x.span, what);
  return ctx.guard(site.span, () => E.cast(dtype, e));
}

function parseFloatText(s: string): number | undefined {
  const t = s.trim().toLowerCase();
  if (t === "inf" || t === "+inf" || t === "infinity") return Infinity;
  if (t === "-inf" || t === "-infinity") return -Infinity;
  if (t === "nan" || t === "+nan" || t === "-nan") return NaN;
  if (!/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/.test(t)) return undefined;
  return Number(t);
}

/** `T.handle`, `T.handle("float32", "shared")`: a handle variable, optionally typed. */
function handleCall(a: BoundArgs, site: CallSite): ScriptValue {
  const ctx: ParseContext = site.ctx;
  const d = a.get("dtype");
  const sc = a.get("storage_scope");
  const name = declName(site, "handle");
  if (!d || d.value === null) return ctx.freshVar(new Var(name, handle));
  const elem = toDType(ctx, d.value, d.span, "T.handle dtype");
  const scope = sc ? toStr(ctx, sc.value, sc.span, "T.handle storage_scope") : "global";
  return ctx.freshVar(new Var(name, handle, { elementType: elem, storageScope: scope }));
}

/** The value `T.<dtype>` evaluates to: usable as a dtype and callable. */
export function dtypeValue(dtype: DataType): DataTypeValue {
  const name = `T.${dtype}`;
  const b = dtype === handle
    ? builtin(name, "dtype?, storage_scope?, *, is_size_var?", handleCall)
    : builtin(name, "expr?, *, is_size_var?", (a, site) => dtypeCall(dtype, a, site));
  return new DataTypeValue(dtype, b);
}

function addDeclarations(t: Table): void {
  const decl = (a: BoundArgs, site: CallSite, size: boolean) => {
    const d = a.get("dtype");
    const dtype = d ? toDType(site.ctx, d.value, d.span, "T.var dtype") : int32;
    const name = declName(site, "v");
    return site.ctx.freshVar(size ? new SizeVar(name, dtype) : new Var(name, dtype));
  };
  t.set("var", builtin("T.var", "dtype?", (a, site) => decl(a, site, false)));
  t.set("size_var", builtin("T.size_var", "dtype?", (a, site) => decl(a, site, true)));
  t.set("Ptr", builtin("T.Ptr", "dtype, storage_scope?", (a, site) => {
    const args = new Map<string, Arg>([["dtype", req(a, "dtype")]]);
    const sc = a.get("storage_scope");
    if (sc) args.set("storage_scope", sc);
    return handleCall({ get: (n) => args.get(n), rest: [] }, site);
  }));
  t.set("meta_var", builtin("T.meta_var", "value", (a) => new MetaVar(req(a, "value").value)));
}

// ------------------------------------------------------------------ node constructors

type Ctor2 = new (a: PrimExpr, b: PrimExpr) => PrimExpr;

/** Operands of a non-folding constructor: a literal takes the other operand's dtype. */
function strictPair(ctx: ParseContext, x: Arg, y: Arg, what: string): [PrimExpr, PrimExpr] {
  const [a, b] = binaryOperands(ctx, x.value, x.span, y.value, y.span, what);
  if (a instanceof PrimExpr && b instanceof PrimExpr) return [a, b];
  if (a instanceof PrimExpr) return [a, ctx.guard(y.span, () => E.convert(b, a.dtype))];
  if (b instanceof PrimExpr) return [ctx.guard(x.span, () => E.convert(a, b.dtype)), b];
  return [E.convert(a), E.convert(b)];
}

function addNodeCtors(t: Table): void {
  const binary: Record<string, Ctor2> = {
    Add, Sub, Mul, Div, Mod, FloorDiv, FloorMod, Min, Max, EQ, NE, LT, LE, GT, GE, And, Or,
  };
  for (const [name, C] of Object.entries(binary)) {
    t.set(name, builtin(`T.${name}`, "a, b", (a, site) => {
      const [x, y] = strictPair(site.ctx, req(a, "a"), req(a, "b"), `T.${name}`);
      return site.ctx.guard(site.span, () => new C(x, y));
    }));
  }
  t.set("Not", builtin("T.Not", "a", (a, site) => {
    const x = exprArg(site.ctx, req(a, "a"), "T.Not");
    return site.ctx.guard(site.span, () => new Not(x));
  }));
  t.set("Cast", builtin("T.Cast", "dtype, value", (a, site) => {
    const d = req(a, "dtype");
    const dtype = toDType(site.ctx, d.value, d.span, "T.Cast");
    const x = exprArg(site.ctx, req(a, "value"), "T.Cast");
    return site.ctx.guard(site.span, () => new Cast(dtype, x));
  }));
  t.set("Select", builtin("T.Select", "condition, true_value, false_value", (a, site) => {
    const ctx: ParseContext = site.ctx;
    const c = exprArg(ctx, req(a, "condition"), "T.Select condition");
    const [x, y] = strictPair(ctx, req(a, "true_value"), req(a, "false_value"), "T.Select");
    return ctx.guard(site.span, () => new Select(c, x, y));
  }));
  t.set("Ramp", builtin("T.Ramp", "base, stride, lanes", (a, site) => {
    const ctx: ParseContext = site.ctx;
    const [b, s] = strictPair(ctx, req(a, "base"), req(a, "stride"), "T.Ramp");
    const l = req(a, "lanes");
    const lanes = toInt(ctx, l.value, l.span, "T.Ramp lanes");
    return ctx.guard(site.span, () => new Ramp(b, s, lanes));
  }));
  t.set("Broadcast", builtin("T.Broadcast", "value, lanes", (a, site) => {
    const ctx: ParseContext = site.ctx;
    const v = exprArg(ctx, req(a, "value"), "T.Broadcast");
    const l = req(a, "lanes");
    const lanes = toInt(ctx, l.value, l.span, "T.Broadcast lanes");
    return ctx.guard(site.span, () => new Broadcast(v, lanes));
  }));
  t.set("Shuffle", builtin("T.Shuffle", "vectors, indices", (a, site) => {
    const ctx: ParseContext = site.ctx;
    const vs = req(a, "vectors");
    const is = req(a, "indices");
    const vectors = toList(vs.value).map((v, i) => toExpr(ctx, v, vs.span, `T.Shuffle vectors[${i}]`));
    const indices = toList(is.value).map((v, i) => toInt(ctx, v, is.span, `T.Shuffle indices[${i}]`));
    if (vectors.length === 0) ctx.fail("T.Shuffle: expected at least one vector", vs.span);
    return ctx.guard(site.span, () => new Shuffle(vectors, indices));
  }));
  t.set("Let", builtin("T.Let", "a, b?, c?, *, where?", letCall));
}

/** `T.Let(body, where={x: value})` (TVM's printed form) or `T.Let(x, value, body)`. */
function letCall(a: BoundArgs, site: CallSite): ScriptValue {
  const ctx: ParseContext = site.ctx;
  const where = a.get("where");
  const first = req(a, "a");
  let pairs: Array<[ScriptValue, ScriptValue, Span]>;
  let bodyArg: Arg;
  if (where) {
    const w = unwrapMeta(where.value);
    if (!(w instanceof DictValue) || w.entries.length === 0) ctx.fail("T.Let: where= expects a dict {var: value}", where.span);
    if (a.get("b") || a.get("c")) ctx.fail("T.Let: with where=, pass only the body positionally", site.span);
    pairs = w.entries.map(([k, v]) => [k, v, where.span]);
    bodyArg = first;
  } else {
    const b = a.get("b"), c = a.get("c");
    if (!b || !c) ctx.fail("T.Let: expected T.Let(body, where={var: value}) or T.Let(var, value, body)", site.span);
    pairs = [[first.value, b.value, first.span]];
    bodyArg = c;
  }
  let body = exprArg(ctx, bodyArg, "T.Let body");
  for (let i = pairs.length - 1; i >= 0; i--) {
    const [k, v, span] = pairs[i]!;
    if (!isVarValue(k)) ctx.fail(`T.Let: the bound name must be a variable, got ${describe(k)}`, span);
    const value = valueOfType(ctx, v, k.dtype, span, `T.Let value of ${k.name}`);
    const inner = body;
    body = ctx.guard(site.span, () => new Let(k, value, inner));
  }
  return body;
}

// ------------------------------------------------------------------ folding helpers

function addFoldingHelpers(t: Table): void {
  const folding: Record<string, (a: E.ExprLike, b: E.ExprLike) => PrimExpr> = {
    min: E.min, max: E.max, floordiv: E.floordiv, floormod: E.floormod, truncdiv: E.truncdiv, truncmod: E.truncmod,
    ceildiv: (x, y) => E.floordiv(E.sub(E.add(x, y), 1), y),
  };
  for (const [name, f] of Object.entries(folding)) {
    t.set(name, builtin(`T.${name}`, "a, b", (a, site) => {
      const x = req(a, "a"), y = req(a, "b");
      const [p, q] = binaryOperands(site.ctx, x.value, x.span, y.value, y.span, `T.${name}`);
      return site.ctx.guard(site.span, () => f(p, q));
    }));
  }
  t.set("abs", builtin("T.abs", "x", (a, site) => {
    const x = exprArg(site.ctx, req(a, "x"), "T.abs");
    return site.ctx.guard(site.span, () => E.abs(x));
  }));
  t.set("if_then_else", builtin("T.if_then_else", "cond, t, f", (a, site) => {
    const ctx: ParseContext = site.ctx;
    const c = exprArg(ctx, req(a, "cond"), "T.if_then_else condition");
    const x = req(a, "t"), y = req(a, "f");
    const [p, q] = binaryOperands(ctx, x.value, x.span, y.value, y.span, "T.if_then_else");
    return ctx.guard(site.span, () => E.ifThenElse(c, p, q));
  }));
  t.set("cast", builtin("T.cast", "x, dtype", (a, site) => {
    const d = req(a, "dtype");
    const dtype = toDType(site.ctx, d.value, d.span, "T.cast");
    const x = exprArg(site.ctx, req(a, "x"), "T.cast");
    return site.ctx.guard(site.span, () => E.cast(dtype, x));
  }));
  const limit = (name: string, f: (d: DataType) => PrimExpr) =>
    t.set(name, builtin(`T.${name}`, "dtype", (a, site) => {
      const d = req(a, "dtype");
      const dtype = toDType(site.ctx, d.value, d.span, `T.${name}`);
      return site.ctx.guard(site.span, () => f(dtype));
    }));
  limit("min_value", E.minValue);
  limit("max_value", E.maxValue);
  limit("infinity", (d) => {
    if (!d.isFloat()) throw new TypeError(`T.infinity: ${d} is not a float type`);
    return new FloatImm(d, Infinity);
  });
}

// ------------------------------------------------------------------ intrinsic calls

/** Intrinsics whose result dtype is their first argument, as TVM prints them. */
const DTYPE_FIRST = new Set(["tir.call_extern", "tir.call_pure_extern", "tir.reinterpret", "tir.call_llvm_intrin", "tir.call_llvm_pure_intrin"]);
const BOOL_RESULT = new Set(["tir.isnan", "tir.isinf", "tir.isfinite"]);
const FIXED_RESULT: Readonly<Record<string, DataType>> = {
  "tir.address_of": handle,
  "tir.tvm_access_ptr": handle,
  "tir.assume": bool,
  "tir.undef": int32,
};

/** A call of a registered intrinsic with the result dtype TVM gives it. */
export function callOp(op: Op, args: CallArgs, site: CallSite): PrimExpr {
  const ctx: ParseContext = site.ctx;
  const name = `T.${op.scriptName}`;
  for (const [k, a] of args.kw) ctx.fail(`${name}() got an unexpected keyword argument '${k}'`, a.span);
  let pos = args.pos;
  let dtype: DataType | undefined;
  const firstIsDType = pos.length > 0 && typeof unwrapMeta(pos[0]!.value) === "string" && DataType.tryParse(unwrapMeta(pos[0]!.value) as string);
  if (DTYPE_FIRST.has(op.name) || (op.category === "extern" && firstIsDType)) {
    if (pos.length === 0) ctx.fail(`${name}() missing the result dtype as first argument`, site.span);
    dtype = toDType(ctx, pos[0]!.value, pos[0]!.span, `${name} result dtype`);
    pos = pos.slice(1);
  }
  let xs: PrimExpr[];
  if (pos.length === 2 && (op.category === "math" || op.category === "bits") && !dtype) {
    const [p, q] = binaryOperands(ctx, pos[0]!.value, pos[0]!.span, pos[1]!.value, pos[1]!.span, name);
    xs = ctx.guard(site.span, () => E.matchTypes(p, q));
  } else {
    xs = pos.map((a, i) => toExpr(ctx, a.value, a.span, `${name} argument ${i + 1}`));
  }
  if (!dtype) {
    if (BOOL_RESULT.has(op.name)) dtype = bool.withLanes(xs[0]?.dtype.lanes ?? 1);
    else dtype = FIXED_RESULT[op.name] ?? xs[0]?.dtype ?? int32;
  }
  const t = dtype;
  return ctx.guard(site.span, () => new Call(t, op, xs));
}

function addIntrinsicForms(t: Table): void {
  t.set("call_intrin", builtin("T.call_intrin", undefined, (a, site) => {
    const ctx: ParseContext = site.ctx;
    if (a.pos.length < 2) ctx.fail("T.call_intrin() expects (dtype, op_name, *args)", site.span);
    const opName = toStr(ctx, a.pos[1]!.value, a.pos[1]!.span, "T.call_intrin op name");
    const op = Op.tryGet(opName);
    if (!op) ctx.fail(`T.call_intrin: unknown operator "${opName}"`, a.pos[1]!.span);
    const dtype = toDType(ctx, a.pos[0]!.value, a.pos[0]!.span, "T.call_intrin result dtype");
    const xs = a.pos.slice(2).map((x, i) => toExpr(ctx, x.value, x.span, `T.call_intrin argument ${i + 1}`));
    return ctx.guard(site.span, () => new Call(dtype, op, xs));
  }));
}

/** The expression builtins, keyed by their name after `T.`. */
export function exprBuiltins(): Table {
  const t: Table = new Map();
  addDeclarations(t);
  addNodeCtors(t);
  addFoldingHelpers(t);
  addIntrinsicForms(t);
  return t;
}
