/**
 * The reference interpreter's entry points. A PrimFunc is compiled once into closures (cached
 * per function object) and then run on HostArrays and numbers: parameters bind in order (or by
 * name), buffers through buffer_map with their dtype, rank and shape checked and their
 * symbolic dimensions bound from the arrays; output arrays are written in place.
 *
 * Choices where TIR leaves room (all documented in the files that implement them):
 * - int64/uint64 values are JS numbers, exact up to 2^53 (wrapping through BigInt beyond);
 * - float storage from Allocate / alloc_buffers starts as NaN, so reads before writes show;
 * - every loop kind, and `thread_extent` attributes, run sequentially;
 * - float -> int casts of NaN or infinity give 0; min/max follow `a < b ? a : b`;
 * - scalar `&&` / `||` short-circuit like C; Select evaluates both sides, if_then_else one;
 * - a block iter value outside its domain, an out-of-bounds access and an integer division
 *   by zero are errors.
 */
import type { Buffer } from "../../ir/buffer.js";
import type { BufferLoad, Var } from "../../ir/expr.js";
import { intRange } from "../../ir/dtype.js";
import type { IRModule } from "../../ir/module.js";
import type { PrimFunc } from "../function.js";
import type { Block, BufferStore, DeclBuffer, MatchBufferRegion, Stmt } from "../stmt.js";
import { StmtExprVisitor } from "../stmt_functor.js";
import { compileBinder, makeBinding, bindImplicitBuffers, compactStrides, type BindItem } from "./binding.js";
import { compileStmt } from "./compile_stmt.js";
import { CompileContext, Frame, InterpreterError, ReturnSignal, describeExpr, type NumArray, type Storage, type StmtFn } from "./context.js";
import { bfloat16Bits, bfloat16FromBits, float16Bits, float16FromBits } from "../../ir/float_format.js";
import { isHostArray, numel, storageClass, type HostArray, type TypedArray } from "./host_array.js";
import { normalizer } from "./scalar_ops.js";

export type ArgValue = HostArray | number | boolean;
export type Args = readonly ArgValue[] | Readonly<Record<string, ArgValue>>;

/** Finds buffers that are defined somewhere and buffers used without a definition. */
function scanBuffers(func: PrimFunc): { declared: Set<Buffer>; implicit: Map<Var, Buffer[]> } {
  const declared = new Set<Buffer>(func.bufferMap.values());
  const used = new Set<Buffer>();
  class Scan extends StmtExprVisitor {
    override visitBufferLoad(e: BufferLoad): void {
      used.add(e.buffer);
      super.visitBufferLoad(e);
    }
    override visitBufferStore(s: BufferStore): void {
      used.add(s.buffer);
      super.visitBufferStore(s);
    }
    override visitBlock(b: Block): void {
      b.allocBuffers.forEach((x) => declared.add(x));
      b.matchBuffers.forEach((m: MatchBufferRegion) => {
        declared.add(m.buffer);
        used.add(m.source.buffer);
      });
      super.visitBlock(b);
    }
    override visitStmt(s: Stmt): void {
      if (s.kind === "DeclBuffer") declared.add((s as DeclBuffer).buffer);
      super.visitStmt(s);
    }
  }
  new Scan().visitStmt(func.body);
  const implicit = new Map<Var, Buffer[]>();
  for (const b of used) {
    if (declared.has(b)) continue;
    const list = implicit.get(b.data) ?? [];
    list.push(b);
    implicit.set(b.data, list);
  }
  return { declared, implicit };
}

interface ParamPlan {
  readonly param: Var;
  readonly slot: number;
  readonly obj: boolean;
  readonly buffer?: Buffer;
  readonly bufSlot?: number;
  readonly dataSlot?: number;
}

/** Converts argument data the interpreter does not compute on directly; returns a write-back. */
function toComputeStorage(arr: HostArray, what: string): { data: NumArray; writeBack?: () => void } {
  const t = arr.dtype.element();
  const d = arr.data as TypedArray;
  const want = storageClass(t);
  if (d instanceof want) return { data: d as NumArray };
  const n = d.length;
  if ((d instanceof BigInt64Array && t.isInt() && t.bits === 64) || (d instanceof BigUint64Array && t.isUInt() && t.bits === 64)) {
    const copy = new Float64Array(n);
    for (let i = 0; i < n; i++) copy[i] = Number(d[i]!);
    return {
      data: copy,
      writeBack: () => {
        for (let i = 0; i < n; i++) d[i] = BigInt(copy[i]!);
      },
    };
  }
  if (d instanceof Uint16Array && t.isFloat() && t.bits === 16) {
    const dec = t.code === "bfloat" ? bfloat16FromBits : float16FromBits;
    const enc = t.code === "bfloat" ? bfloat16Bits : float16Bits;
    const copy = new Float32Array(n);
    for (let i = 0; i < n; i++) copy[i] = dec(d[i]!);
    return {
      data: copy,
      writeBack: () => {
        for (let i = 0; i < n; i++) d[i] = enc(copy[i]!);
      },
    };
  }
  throw new InterpreterError(`${what}: a ${arr.dtype} array must keep its data in a ${want.name}, got ${d.constructor.name}`);
}

/** A PrimFunc compiled into closures, ready to run many times. */
export class CompiledPrimFunc {
  private readonly ctx: CompileContext;
  private readonly plans: ParamPlan[] = [];
  private readonly binder: ReturnType<typeof compileBinder>;
  private readonly bindItems: BindItem[] = [];
  private readonly implicitSteps: StmtFn[] = [];
  private readonly body: StmtFn;
  readonly name: string;

  constructor(readonly func: PrimFunc, name?: string) {
    this.name = name ?? func.name ?? "main";
    const { declared, implicit } = scanBuffers(func);
    const ctx = new CompileContext(this.name, declared, implicit);
    this.ctx = ctx;
    const seen = new Set<Var>();
    for (const p of func.params) {
      if (seen.has(p)) throw ctx.error(`parameter ${p.name} appears twice`);
      seen.add(p);
      const { slot, obj } = ctx.defineVar(p);
      const buffer = func.bufferMap.get(p);
      if (!buffer) {
        if (obj && !p.dtype.isHandle()) throw ctx.error(`parameter ${p.name} is a vector (${p.dtype}); only scalars and buffers can be passed`);
        this.plans.push({ param: p, slot, obj });
        continue;
      }
      if (!p.dtype.isHandle()) throw ctx.error(`parameter ${p.name} has buffer ${buffer.name} in buffer_map, so it must be a handle, got ${p.dtype}`);
      const bufSlot = ctx.defineBuffer(buffer);
      const dataSlot = buffer.data === p ? slot : ctx.defineVar(buffer.data).slot;
      this.plans.push({ param: p, slot, obj, buffer, bufSlot, dataSlot });
    }
    // Shape, stride and offset variables of the parameter buffers, bound from the arrays.
    for (const pl of this.plans) {
      const b = pl.buffer;
      if (!b) continue;
      const who = `parameter ${pl.param.name} (buffer ${b.name})`;
      b.shape.forEach((s, i) => this.bindItems.push({ expr: s, what: `dimension ${i} of ${who}` }));
      b.strides.forEach((s, i) => this.bindItems.push({ expr: s, what: `stride ${i} of ${who} (arrays are row-major)` }));
      this.bindItems.push({ expr: b.elemOffset, what: `elem_offset of ${who} (arrays start at element 0)` });
    }
    this.binder = compileBinder(ctx, this.bindItems, ` (calling ${this.name})`);
    for (const pl of this.plans) {
      if (!pl.obj) continue;
      const onParam = bindImplicitBuffers(ctx, pl.param).run;
      if (onParam) this.implicitSteps.push(onParam);
      if (pl.buffer && pl.buffer.data !== pl.param) {
        const onData = bindImplicitBuffers(ctx, pl.buffer.data).run;
        if (onData) this.implicitSteps.push(onData);
      }
    }
    this.body = compileStmt(ctx, func.body);
  }

  /** Runs the function; returns the value of T.ret if the body executes one. */
  run(args: Args): number | undefined {
    const ctx = this.ctx;
    const where = ` (calling ${this.name})`;
    const list = this.orderArgs(args, where);
    const f = new Frame(ctx.numSlots, ctx.objSlots);
    const writeBacks: (() => void)[] = [];
    const values: number[] = [];
    const pending: [ParamPlan, Storage, HostArray][] = [];
    for (let i = 0; i < this.plans.length; i++) {
      const pl = this.plans[i]!;
      const a = list[i]!;
      const p = pl.param;
      if (pl.buffer) {
        const b = pl.buffer;
        const expect = `a ${b.dtype} array of shape [${b.shape.map(describeExpr).join(", ")}] (buffer ${b.name})`;
        if (!isHostArray(a)) throw new InterpreterError(`parameter ${p.name} expects ${expect}, got ${describeArg(a)}${where}`);
        if (a.dtype !== b.dtype) throw new InterpreterError(`parameter ${p.name} expects ${expect}, got a ${a.dtype} array${where}`);
        if (a.shape.length !== b.shape.length) {
          throw new InterpreterError(`parameter ${p.name} expects ${expect}, got an array of shape [${a.shape.join(", ")}] (${a.shape.length} dimension(s))${where}`);
        }
        const need = numel(a.shape) * a.dtype.lanes;
        if (a.data.length < need) {
          throw new InterpreterError(`parameter ${p.name}: an array of shape [${a.shape.join(", ")}] needs ${need} elements, its data has ${a.data.length}${where}`);
        }
        const { data, writeBack } = toComputeStorage(a, `parameter ${p.name}`);
        if (writeBack) writeBacks.push(writeBack);
        const storage: Storage = { name: b.name, dtype: b.dtype.element(), data };
        f.o[pl.slot] = storage;
        f.o[pl.dataSlot!] = storage;
        values.push(...a.shape);
        if (b.strides.length) values.push(...compactStrides(a.shape));
        values.push(0);
        pending.push([pl, storage, a]);
      } else if (pl.obj) {
        if (!isHostArray(a)) throw new InterpreterError(`parameter ${p.name} is a handle and expects an array, got ${describeArg(a)}${where}`);
        const { data, writeBack } = toComputeStorage(a, `parameter ${p.name}`);
        if (writeBack) writeBacks.push(writeBack);
        f.o[pl.slot] = { name: p.name, dtype: a.dtype.element(), data } satisfies Storage;
      } else {
        f.n[pl.slot] = scalarArg(p, a, where);
      }
    }
    // Shapes are bound after every scalar parameter is set, so `A: (n,)` with a scalar `n` is checked.
    this.binder.run(f, values);
    for (const [pl, storage, a] of pending) {
      f.o[pl.bufSlot!] = makeBinding(pl.buffer!, storage, [...a.shape], compactStrides(a.shape), 0, where);
    }
    for (const s of this.implicitSteps) s(f);
    let ret: number | undefined;
    try {
      this.body(f);
    } catch (e) {
      if (!(e instanceof ReturnSignal)) throw e;
      ret = e.value as number;
    }
    for (const w of writeBacks) w();
    return ret;
  }

  private orderArgs(args: Args, where: string): ArgValue[] {
    const params = this.plans;
    const names = params.map((p) => p.param.name);
    if (Array.isArray(args)) {
      if (args.length !== params.length) {
        throw new InterpreterError(`expected ${params.length} argument(s) (${names.join(", ")}), got ${args.length}${where}`);
      }
      return args as ArgValue[];
    }
    const rec = args as Readonly<Record<string, ArgValue>>;
    const known = new Set<string>();
    const out = params.map((p) => {
      const keys = [p.param.name, ...(p.buffer ? [p.buffer.name] : [])];
      keys.forEach((k) => known.add(k));
      const k = keys.find((x) => Object.prototype.hasOwnProperty.call(rec, x));
      if (k === undefined) throw new InterpreterError(`missing argument for parameter ${p.param.name}${where}`);
      return rec[k]!;
    });
    for (const k of Object.keys(rec)) {
      if (!known.has(k)) throw new InterpreterError(`unknown argument "${k}" (parameters: ${names.join(", ")})${where}`);
    }
    return out;
  }
}

function describeArg(a: unknown): string {
  if (typeof a === "number") return `the number ${a}`;
  if (typeof a === "boolean") return `the boolean ${a}`;
  if (a === null || a === undefined) return String(a);
  if (isHostArray(a)) return `a ${a.dtype} array of shape [${a.shape.join(", ")}]`;
  return `a ${typeof a}`;
}

function scalarArg(p: Var, a: ArgValue, where: string): number {
  const t = p.dtype;
  const v = typeof a === "boolean" ? (a ? 1 : 0) : a;
  if (typeof v !== "number") throw new InterpreterError(`parameter ${p.name} expects a ${t} number, got ${describeArg(a)}${where}`);
  if (t.isFloat()) return normalizer(t)(v);
  if (t.isBool()) {
    if (v !== 0 && v !== 1) throw new InterpreterError(`parameter ${p.name} is bool and expects 0, 1, true or false, got ${v}${where}`);
    return v;
  }
  if (!Number.isInteger(v)) throw new InterpreterError(`parameter ${p.name} is ${t} and expects an integer, got ${v}${where}`);
  const [lo, hi] = intRange(t);
  if (v < Number(lo) || v > Number(hi)) throw new InterpreterError(`parameter ${p.name}: ${v} does not fit in ${t}${where}`);
  return v;
}

const cache = new WeakMap<PrimFunc, CompiledPrimFunc>();

/** The compiled form of a PrimFunc (compiled on first use, then cached per function object). */
export function compilePrimFunc(func: PrimFunc): CompiledPrimFunc {
  let c = cache.get(func);
  if (!c) {
    c = new CompiledPrimFunc(func);
    cache.set(func, c);
  }
  return c;
}

/**
 * Runs a PrimFunc on host arrays and numbers, in parameter order or by parameter / buffer
 * name. Output arrays are written in place; returns the value of T.ret, if any.
 */
export function runPrimFunc(func: PrimFunc, args: Args): number | undefined {
  return compilePrimFunc(func).run(args);
}

/** Runs the PrimFunc called `name` in a module. */
export function interpret(mod: IRModule, name: string, args: Args): number | undefined {
  const f = mod.get(name);
  if (f.kind !== "PrimFunc") throw new InterpreterError(`interpret: ${name} is a ${f.kind}, not a PrimFunc`);
  return runPrimFunc(f as PrimFunc, args);
}
