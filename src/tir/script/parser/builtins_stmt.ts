/**
 * Statement-level builtins: `T.evaluate`, `T.buffer_store`, the scoped statements `T.attr`,
 * `T.Assert`, `T.LetStmt`, `T.launch_thread` (with `T.env_thread`), function attributes
 * (`T.func_attr`), the decorators `T.prim_func` / `I.ir_module` and `I.module_attrs`.
 */
import { Buffer } from "../../../ir/buffer.js";
import { int32 } from "../../../ir/dtype.js";
import { IntImm, PrimExpr, Range, StringImm, Var } from "../../../ir/expr.js";
import { isNode } from "../../../ir/node.js";
import { AssertStmt, AttrStmt, BufferStore, Evaluate, IterVar, LetStmt, type IterVarType } from "../../stmt.js";
import type { Span } from "../python/ast.js";
import type { ParseContext } from "./context.js";
import {
  accessIndices, rangeFromBounds, toAnnotations, toAttrValue, toBool, toDType, toExpr, toList, toStr, unwrapMeta,
  valueOfType,
} from "./convert.js";
import { builtin } from "./signature.js";
import {
  BufferAccess, Decorator, EmitStmt, ScopeFrame, describe, isVarValue, type Arg, type Builtin, type ScriptValue,
} from "./values.js";

/** `A[i] = v`, `T.buffer_store(A, v, [i])`, `A.vstore([i], v)`: the store with TVM's value conversion. */
export function makeStore(
  ctx: ParseContext, target: BufferAccess, value: ScriptValue, valueSpan: Span, span: Span, predicate?: PrimExpr,
): BufferStore {
  const indices = accessIndices(ctx, target);
  let lanes = 1;
  for (const i of indices) lanes = Math.max(lanes, i.dtype.lanes);
  const b = target.buffer;
  const want = b.dtype.withLanes(b.dtype.lanes * lanes);
  const v = unwrapMeta(value);
  let e: PrimExpr;
  if (v instanceof PrimExpr || v instanceof BufferAccess) {
    e = toExpr(ctx, v, valueSpan, `value stored into ${b.name}`);
    if (e.dtype !== want) {
      ctx.fail(
        `cannot store a ${e.dtype} value into buffer ${b.name}, whose elements are ${want} (convert it, e.g. T.Cast("${want}", ...))`,
        valueSpan,
      );
    }
  } else {
    e = valueOfType(ctx, v, want, valueSpan, `value stored into buffer ${b.name}`);
  }
  return ctx.guard(span, () => new BufferStore(b, e, indices, predicate));
}

function attrNode(ctx: ParseContext, a: Arg): AttrStmt["node"] {
  const v = toAttrValue(ctx, a.value, a.span);
  if (typeof v === "string" || isNode(v)) return v;
  return ctx.fail(`T.attr: the node must be a variable, a buffer, an IR node or a string, got ${describe(a.value)}`, a.span);
}

function attrValue(ctx: ParseContext, a: Arg): PrimExpr {
  return toExpr(ctx, a.value, a.span, "T.attr value");
}

/** `T.launch_thread("threadIdx.x", 16)` or `T.launch_thread(tx, 16)` with `tx = T.env_thread(...)`. */
function launchThread(ctx: ParseContext, thread: Arg, ext: Arg, names: readonly string[] | undefined, span: Span): ScopeFrame {
  const t = unwrapMeta(thread.value);
  const raw = unwrapMeta(ext.value);
  let v: Var;
  let tag: string;
  if (typeof t === "string") {
    tag = t;
    const extent0 = toExpr(ctx, raw, ext.span, "T.launch_thread extent");
    v = ctx.freshVar(new Var(names?.[0] ?? t, extent0.dtype));
  } else if (isVarValue(t)) {
    const known = ctx.envThreads.get(t);
    if (known === undefined) ctx.fail(`T.launch_thread: ${t.name} was not created with T.env_thread`, thread.span);
    tag = known;
    v = t;
  } else {
    return ctx.fail(`T.launch_thread: expected a thread tag like "threadIdx.x" or a T.env_thread variable, got ${describe(t)}`, thread.span);
  }
  const extent = valueOfType(ctx, raw, v.dtype, ext.span, "T.launch_thread extent");
  const iv = ctx.guard(span, () => new IterVar(new Range(new IntImm(v.dtype, 0), extent), v, "ThreadIndex", tag));
  const key = tag === "vthread" ? "virtual_thread" : "thread_extent";
  return new ScopeFrame(v, (body) => new AttrStmt(iv, key, extent, body));
}

function addStatements(t: Map<string, Builtin>): void {
  t.set("evaluate", builtin("T.evaluate", "value", (a, site) => {
    const x = a.get("value")!;
    const e = toExpr(site.ctx, x.value, x.span, "T.evaluate");
    return new EmitStmt(new Evaluate(e));
  }));
  t.set("buffer_store", builtin("T.buffer_store", "buffer, value, indices, predicate?", (a, site) => {
    const ctx: ParseContext = site.ctx;
    const bArg = a.get("buffer")!;
    const buf = unwrapMeta(bArg.value);
    if (!(buf instanceof Buffer)) ctx.fail(`T.buffer_store: expected a buffer, got ${describe(buf)}`, bArg.span);
    const idx = a.get("indices")!;
    const indices = toList(idx.value).map((x, i) => toExpr(ctx, x, idx.span, `T.buffer_store index ${i}`));
    const p = a.get("predicate");
    const pred = p && p.value !== null ? toExpr(ctx, p.value, p.span, "T.buffer_store predicate") : undefined;
    const v = a.get("value")!;
    return new EmitStmt(makeStore(ctx, new BufferAccess(buf, indices, idx.span), v.value, v.span, site.span, pred));
  }));
  t.set("attr", builtin("T.attr", "node, attr_key, value", (a, site) => {
    const ctx: ParseContext = site.ctx;
    const node = attrNode(ctx, a.get("node")!);
    const k = a.get("attr_key")!;
    const key = toStr(ctx, k.value, k.span, "T.attr key");
    const value = attrValue(ctx, a.get("value")!);
    return new ScopeFrame(undefined, (body) => new AttrStmt(node, key, value, body));
  }));
  t.set("Assert", builtin("T.Assert", "condition, message", (a, site) => {
    const ctx: ParseContext = site.ctx;
    const c = a.get("condition")!;
    const cond = toExpr(ctx, c.value, c.span, "assert condition");
    if (!cond.dtype.isBool()) ctx.fail(`assert: the condition must be bool, got ${describe(cond)}`, c.span);
    const m = a.get("message")!;
    const msg = new StringImm(toStr(ctx, m.value, m.span, "assert message"));
    return new ScopeFrame(undefined, (body) => ctx.guard(site.span, () => new AssertStmt(cond, msg, body)));
  }));
  t.set("LetStmt", builtin("T.LetStmt", "value, type_annotation?, *, var?", (a, site) => {
    const ctx: ParseContext = site.ctx;
    const x = a.get("value")!;
    const given = a.get("var");
    let v: Var;
    if (given && given.value !== null) {
      const gv = unwrapMeta(given.value);
      if (!isVarValue(gv)) ctx.fail(`T.LetStmt: var= expects a variable, got ${describe(gv)}`, given.span);
      v = gv;
    } else {
      const name = site.names?.[0] ?? "v";
      const ann = a.get("type_annotation");
      if (ann && ann.value !== null) {
        const tv = unwrapMeta(ann.value);
        if (isVarValue(tv)) v = new Var(name, tv.dtype, tv.typeAnnotation);
        else v = new Var(name, toDType(ctx, tv, ann.span, "T.LetStmt type"));
      } else {
        v = new Var(name, toExpr(ctx, x.value, x.span, "T.LetStmt value").dtype);
      }
      ctx.freshVar(v);
    }
    const value = valueOfType(ctx, x.value, v.dtype, x.span, `T.LetStmt value of ${v.name}`);
    return new ScopeFrame(v, (body) => ctx.guard(site.span, () => new LetStmt(v, value, body)));
  }));
  t.set("launch_thread", builtin("T.launch_thread", "thread, extent", (a, site) =>
    launchThread(site.ctx, a.get("thread")!, a.get("extent")!, site.names, site.span),
  ));
  t.set("env_thread", builtin("T.env_thread", "thread_tag, dtype?", (a, site) => {
    const ctx: ParseContext = site.ctx;
    const tg = a.get("thread_tag")!;
    const tag = toStr(ctx, tg.value, tg.span, "T.env_thread tag");
    const d = a.get("dtype");
    const dtype = d ? toDType(ctx, d.value, d.span, "T.env_thread dtype") : int32;
    const v = ctx.freshVar(new Var(site.names?.[0] ?? tag, dtype));
    ctx.envThreads.set(v, tag);
    return v;
  }));
}

/** `T.Range(min, max)` / `T.Range(extent)`, and `T.iter_var(v, dom, kind, tag)` as the printer writes them. */
function addNodeValues(t: Map<string, Builtin>): void {
  t.set("Range", rangeCall("T.Range"));
  t.set("iter_var", builtin("T.iter_var", "var, dom, iter_type, thread_tag?", (a, site) => {
    const ctx: ParseContext = site.ctx;
    const va = a.get("var")!;
    const v = unwrapMeta(va.value);
    if (!isVarValue(v)) return ctx.fail(`T.iter_var: expected a variable, got ${describe(v)}`, va.span);
    const d = a.get("dom")!;
    const dom = unwrapMeta(d.value);
    if (!(dom instanceof Range)) return ctx.fail(`T.iter_var: the domain must be a T.Range(...), got ${describe(dom)}`, d.span);
    const k = a.get("iter_type")!;
    const kind = toStr(ctx, k.value, k.span, "T.iter_var kind");
    if (!ITER_TYPES.includes(kind)) ctx.fail(`T.iter_var: unknown iter type "${kind}" (expected one of ${ITER_TYPES.join(", ")})`, k.span);
    const tg = a.get("thread_tag");
    const tag = tg ? toStr(ctx, tg.value, tg.span, "T.iter_var thread tag") : "";
    return ctx.guard(site.span, () => new IterVar(dom, v, kind as IterVarType, tag));
  }));
}

const ITER_TYPES = ["DataPar", "CommReduce", "Ordered", "Opaque", "ThreadIndex"];

export function rangeCall(name: string): Builtin {
  return builtin(name, "begin, end?", (a, site) => {
    const b = a.get("begin")!;
    const e = a.get("end");
    if (!e) return rangeFromBounds(site.ctx, 0, b.value, b.span, name);
    return rangeFromBounds(site.ctx, b.value, e.value, site.span, name);
  });
}

function addFunctionLevel(t: Map<string, Builtin>): void {
  t.set("func_attr", builtin("T.func_attr", "attrs", (a, site) => {
    const ctx: ParseContext = site.ctx;
    const func = ctx.requireFunc("T.func_attr", site.span);
    const x = a.get("attrs")!;
    Object.assign(func.attrs, toAnnotations(ctx, x.value, x.span, "T.func_attr"));
    return undefined;
  }));
  t.set("prim_func", builtin("T.prim_func", "func?, *, private?, check_well_formed?, s_tir?", (a, site) => {
    const ctx: ParseContext = site.ctx;
    if (a.get("func")) ctx.fail("T.prim_func is a decorator: write @T.prim_func above a def", site.span);
    const p = a.get("private");
    const cw = a.get("check_well_formed");
    if (cw) toBool(ctx, cw.value, cw.span, "T.prim_func check_well_formed");
    return new Decorator("prim_func", p ? toBool(ctx, p.value, p.span, "T.prim_func private") : false);
  }));
}

export function stmtBuiltins(): Map<string, Builtin> {
  const t = new Map<string, Builtin>();
  addStatements(t);
  addNodeValues(t);
  addFunctionLevel(t);
  return t;
}

/** Members of `I`: the module decorator and module attributes. */
export function irBuiltins(): Map<string, Builtin> {
  const t = new Map<string, Builtin>();
  t.set("ir_module", builtin("I.ir_module", "cls?", (a, site) => {
    if (a.get("cls")) site.ctx.fail("I.ir_module is a decorator: write @I.ir_module above a class", site.span);
    return new Decorator("ir_module");
  }));
  t.set("Range", rangeCall("I.Range"));
  t.set("module_attrs", builtin("I.module_attrs", "attrs", (a, site) => {
    const ctx: ParseContext = site.ctx;
    if (ctx.func || !ctx.moduleAttrs) ctx.fail("I.module_attrs can only be used in the body of an @I.ir_module class", site.span);
    const x = a.get("attrs")!;
    Object.assign(ctx.moduleAttrs, toAnnotations(ctx, x.value, x.span, "I.module_attrs"));
    return undefined;
  }));
  return t;
}
