/**
 * Loop and block builtins: `range` / `T.serial` / `T.parallel` / `T.vectorized` / `T.unroll` /
 * `T.thread_binding` / `T.grid` (loop headers), `T.block` / `T.sblock` / `T.init`, and the
 * block header statements `T.axis.*`, `T.where`, `T.reads`, `T.writes`, `T.block_attr`.
 */
import { DataType, int32 } from "../../../ir/dtype.js";
import { IntImm, PrimExpr, Range, Var } from "../../../ir/expr.js";
import * as E from "../../../ir/expr_ops.js";
import { IterVar, type IterVarType } from "../../stmt.js";
import type { Span } from "../python/ast.js";
import type { BlockFrame, ParseContext } from "./context.js";
import {
  binaryOperands, extentBetween, rangeFromBounds, regionOf, toAnnotations, toBool, toDType, toExpr, toList, toStr,
  unwrapMeta,
} from "./convert.js";
import { builtin } from "./signature.js";
import {
  BlockSpec, GridSpec, InitSpec, LoopSpec, Namespace, PyFloat, describe, isVarValue, type Arg, type BoundArgs, type Builtin,
  type CallSite, type LoopKind, type ScriptValue,
} from "./values.js";

// ------------------------------------------------------------------ loops

function present(a: BoundArgs, name: string): Arg | undefined {
  const x = a.get(name);
  return x && x.value !== null && x.value !== undefined ? x : undefined;
}

/** A loop from `start, stop` (or just `stop`), with TVM's typing: the wider of the two. */
function loopSpec(ctx: ParseContext, kind: LoopKind, a: BoundArgs, what: string, span: Span, thread?: string): LoopSpec {
  const first = a.get("start")!;
  const second = present(a, "stop");
  const lo: Arg = second ? first : { value: 0, span: first.span };
  const hi: Arg = second ?? first;
  for (const x of [lo, hi]) {
    const v = unwrapMeta(x.value);
    if (v instanceof PyFloat || typeof v === "string") ctx.fail(`${what}: loop bounds must be integers, got ${describe(v)}`, x.span);
  }
  const [p, q] = binaryOperands(ctx, lo.value, lo.span, hi.value, hi.span, what);
  const [min, max] = ctx.guard(span, () => E.matchTypes(p, q));
  if (!min.dtype.isIntegral() || min.dtype.lanes !== 1) ctx.fail(`${what}: loop bounds must be integers, got ${describe(min)}`, hi.span);
  const extent = extentBetween(ctx, min, max);
  let step: PrimExpr | undefined;
  const st = present(a, "step");
  if (st) {
    const s = unwrapMeta(st.value);
    if (typeof s === "number") {
      if (s <= 0) ctx.fail(`${what}: the step must be a positive integer, got ${s}`, st.span);
      step = s === 1 ? undefined : ctx.guard(st.span, () => new IntImm(min.dtype, s));
    } else {
      const e = toExpr(ctx, s, st.span, `${what} step`);
      const c = ctx.guard(st.span, () => E.cast(min.dtype, e));
      step = c instanceof IntImm && c.value === 1 ? undefined : c;
    }
  }
  const ann = present(a, "annotations");
  const annotations = ann ? toAnnotations(ctx, ann.value, ann.span, `${what} annotations`) : {};
  return new LoopSpec(kind, min, extent, min.dtype, step, thread, annotations);
}

function loopBuiltin(name: string, kind: LoopKind): Builtin {
  return builtin(name, "start, stop?, *, annotations?, step?", (a, site) => loopSpec(site.ctx, kind, a, name, site.span));
}

function addLoops(t: Map<string, Builtin>): void {
  t.set("serial", loopBuiltin("T.serial", "serial"));
  t.set("parallel", loopBuiltin("T.parallel", "parallel"));
  t.set("vectorized", loopBuiltin("T.vectorized", "vectorized"));
  t.set("unroll", loopBuiltin("T.unroll", "unrolled"));
  t.set("thread_binding", builtin("T.thread_binding", "start, stop?, thread?, *, annotations?, step?", (a, site) => {
    const ctx: ParseContext = site.ctx;
    let thread = present(a, "thread");
    let args: BoundArgs = a;
    const stop = present(a, "stop");
    // T.thread_binding(32, "threadIdx.x"): the thread tag given in the stop position.
    if (!thread && stop && typeof unwrapMeta(stop.value) === "string") {
      thread = stop;
      args = { get: (n) => (n === "stop" ? undefined : a.get(n)), rest: a.rest };
    }
    if (!thread) ctx.fail('T.thread_binding() missing the thread tag, e.g. thread="threadIdx.x"', site.span);
    const tag = toStr(ctx, thread.value, thread.span, "T.thread_binding thread");
    return loopSpec(ctx, "thread_binding", args, "T.thread_binding", site.span, tag);
  }));
  t.set("grid", builtin("T.grid", "*extents", (a, site) => {
    if (a.rest.length === 0) site.ctx.fail("T.grid() expects at least one extent", site.span);
    return new GridSpec(a.rest.map((x) => loopSpec(site.ctx, "serial", { get: (n) => (n === "start" ? x : undefined), rest: [] }, "T.grid", x.span)));
  }));
}

/** Python's `range` in a for header: `range(stop)`, `range(start, stop[, step])`. */
export const rangeBuiltin = builtin("range", "start, stop?, step?, *, annotations?", (a, site) =>
  loopSpec(site.ctx, "serial", a, "range", site.span),
);

// ------------------------------------------------------------------ blocks

function directBlock(ctx: ParseContext, what: string, span: Span): BlockFrame {
  const b = ctx.directBlock();
  if (!b) ctx.fail(`${what} must be used directly inside a \`with T.block(...)\` (not in a nested loop, if or with)`, span);
  return b;
}

function regions(site: CallSite, a: BoundArgs, what: string) {
  const items = a.rest.length === 1 && Array.isArray(unwrapMeta(a.rest[0]!.value))
    ? toList(a.rest[0]!.value).map((value) => ({ value, span: a.rest[0]!.span }))
    : a.rest;
  return items.map((x) => regionOf(site.ctx, x.value, x.span, what));
}

function addBlocks(t: Map<string, Builtin>): void {
  const block = (name: string) =>
    builtin(name, "name?, *, no_realize?", (a, site) => {
      const ctx: ParseContext = site.ctx;
      const n = present(a, "name");
      const nr = present(a, "no_realize");
      return new BlockSpec(
        n ? toStr(ctx, n.value, n.span, `${name} name`) : "",
        nr ? toBool(ctx, nr.value, nr.span, `${name} no_realize`) : false,
      );
    });
  t.set("block", block("T.block"));
  t.set("sblock", block("T.sblock"));
  t.set("init", builtin("T.init", "", () => new InitSpec()));
  t.set("where", builtin("T.where", "predicate", (a, site) => {
    const ctx: ParseContext = site.ctx;
    const b = directBlock(ctx, "T.where", site.span);
    if (b.predicate) ctx.fail(`block "${b.name}" already has a T.where`, site.span);
    const p = a.get("predicate")!;
    const e = toExpr(ctx, p.value, p.span, "T.where");
    if (!e.dtype.isBool() || e.dtype.lanes !== 1) ctx.fail(`T.where: expected a bool condition, got ${describe(e)}`, p.span);
    b.predicate = e;
    return undefined;
  }));
  for (const kind of ["reads", "writes"] as const) {
    t.set(kind, builtin(`T.${kind}`, "*regions", (a, site) => {
      const b = directBlock(site.ctx, `T.${kind}`, site.span);
      if (b[kind]) site.ctx.fail(`block "${b.name}" already has T.${kind}`, site.span);
      b[kind] = regions(site, a, `T.${kind}`);
      return undefined;
    }));
  }
  const attr = (name: string) =>
    builtin(name, "attrs", (a, site) => {
      const ctx: ParseContext = site.ctx;
      const b = directBlock(ctx, name, site.span);
      const x = a.get("attrs")!;
      const add = toAnnotations(ctx, x.value, x.span, name);
      b.annotations ??= {};
      for (const k of Object.keys(add)) {
        if (k in b.annotations) ctx.fail(`${name}: block "${b.name}" already has the annotation "${k}"`, x.span);
        b.annotations[k] = add[k]!;
      }
      return undefined;
    });
  t.set("block_attr", attr("T.block_attr"));
  t.set("sblock_attr", attr("T.sblock_attr"));
}

// ------------------------------------------------------------------ block iteration variables

const AXIS_KINDS: Readonly<Record<string, IterVarType>> = {
  spatial: "DataPar", S: "DataPar", reduce: "CommReduce", R: "CommReduce", scan: "Ordered", opaque: "Opaque",
};

/** The domain of `T.axis.*`: an extent, or a `(min, max)` pair. */
function axisDomain(ctx: ParseContext, d: Arg, what: string): Range {
  const v = unwrapMeta(d.value);
  if (Array.isArray(v)) {
    if (v.length !== 2) ctx.fail(`${what}: a domain pair must be (min, max), got ${v.length} items`, d.span);
    return rangeFromBounds(ctx, v[0]!, v[1]!, d.span, what);
  }
  if (v instanceof Range) return v;
  const ext = toExpr(ctx, v, d.span, `${what} domain`);
  if (!ext.dtype.isIntegral()) ctx.fail(`${what}: the domain must be an integer extent, got ${describe(ext)}`, d.span);
  return new Range(new IntImm(ext.dtype, 0), ext);
}

function castRange(ctx: ParseContext, r: Range, t: DataType, span: Span): Range {
  if (r.min.dtype === t) return r;
  return ctx.guard(span, () => new Range(E.cast(t, r.min), E.cast(t, r.extent)));
}

/** Adds an iter var with its binding to the current block; returns the variable. */
function pushIterVar(
  ctx: ParseContext, b: BlockFrame, name: string, dom: Range, type: IterVarType, binding: Arg | undefined, what: string, span: Span,
): Var {
  const v = ctx.freshVar(new Var(name, dom.min.dtype));
  b.iterVars.push(ctx.guard(span, () => new IterVar(dom, v, type)));
  if (b.noRealize) {
    if (binding) ctx.fail(`${what}: block "${b.name}" has no_realize=True, so its iter vars take no binding`, binding.span);
    return v;
  }
  if (!binding) ctx.fail(`${what}() missing required argument 'binding' (the loop expression ${name} is bound to)`, span);
  const raw = unwrapMeta(binding.value);
  const value = typeof raw === "number" ? ctx.guard(binding.span, () => new IntImm(v.dtype, raw)) : toExpr(ctx, raw, binding.span, `${what} binding`);
  if (value.dtype !== v.dtype) {
    ctx.fail(`${what}: block var ${name} is ${v.dtype} but its binding is ${describe(value)} (give dtype="${value.dtype}" or cast the binding)`, binding.span);
  }
  b.bindings.push(value);
  return v;
}

function axisBuiltin(kindName: string): Builtin {
  const what = `T.axis.${kindName}`;
  const type = AXIS_KINDS[kindName]!;
  return builtin(what, "dom, binding?, dtype?", (a, site) => {
    const ctx: ParseContext = site.ctx;
    const b = directBlock(ctx, what, site.span);
    let dom = axisDomain(ctx, a.get("dom")!, what);
    const d = present(a, "dtype");
    const want = d ? toDType(ctx, d.value, d.span, `${what} dtype`) : int32;
    const bits = Math.max(dom.min.dtype.bits, dom.extent.dtype.bits, want.bits);
    dom = castRange(ctx, dom, DataType.get(want.code, bits), site.span);
    return pushIterVar(ctx, b, site.names?.[0] ?? "v", dom, type, present(a, "binding"), what, site.span);
  });
}

/** `vi, vj, vk = T.axis.remap("SSR", [i, j, k])`: iter vars spanning the loops' domains. */
const remap = builtin("T.axis.remap", "kinds, bindings, dtype?", (a, site) => {
  const ctx: ParseContext = site.ctx;
  const b = directBlock(ctx, "T.axis.remap", site.span);
  const k = a.get("kinds")!;
  const kinds = toStr(ctx, k.value, k.span, "T.axis.remap kinds");
  const bs = a.get("bindings")!;
  const vars = toList(bs.value);
  if (kinds.length !== vars.length) {
    ctx.fail(`T.axis.remap: the kinds "${kinds}" have ${kinds.length} letter(s) but ${vars.length} binding(s) are given`, k.span);
  }
  const names = site.names;
  if (names && names.length !== kinds.length) {
    ctx.fail(`T.axis.remap: ${names.length} name(s) on the left but ${kinds.length} axes on the right`, site.span);
  }
  const out: ScriptValue[] = [];
  for (let i = 0; i < kinds.length; i++) {
    const c = kinds[i]!;
    if (c !== "S" && c !== "R") ctx.fail(`T.axis.remap: unknown axis kind '${c}' in "${kinds}" (expected S for spatial or R for reduce)`, k.span);
    const lv = unwrapMeta(vars[i]!);
    if (!isVarValue(lv)) ctx.fail(`T.axis.remap: binding ${i + 1} must be a loop variable, got ${describe(lv)}`, bs.span);
    const loop = ctx.findLoop(lv);
    if (!loop) ctx.fail(`T.axis.remap: ${lv.name} is not the variable of an enclosing loop`, bs.span);
    const dom = new Range(loop.min, loop.extent);
    const name = names?.[i] ?? lv.name;
    out.push(pushIterVar(ctx, b, name, dom, AXIS_KINDS[c]!, { value: lv, span: bs.span }, "T.axis.remap", site.span));
  }
  // `vk = T.axis.remap("R", [k])` binds one name: TVM accepts it although it prints the single form.
  return out.length === 1 && (!names || names.length === 1) ? out[0]! : out;
});

function axisNamespace(): Namespace {
  const m = new Map<string, Builtin>();
  for (const k of Object.keys(AXIS_KINDS)) m.set(k, axisBuiltin(k));
  m.set("remap", remap);
  return new Namespace("T.axis", (n) => m.get(n), () => [...m.keys()]);
}

export function blockBuiltins(): { table: Map<string, Builtin>; axis: Namespace } {
  const t = new Map<string, Builtin>();
  addLoops(t);
  addBlocks(t);
  return { table: t, axis: axisNamespace() };
}
