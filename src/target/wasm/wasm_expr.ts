/**
 * Scalar expressions of the wasm target: one lane of a PrimExpr becomes one binaryen expression
 * in its representation (wasm_types.ts), buffer loads and addresses included. Semantics follow
 * the interpreter bit for bit: int32 wraps, floor division / modulo round toward minus infinity,
 * float32 arithmetic is done in f32, min/max are `a < b ? a : b`, float -> int casts truncate
 * and wrap like `x | 0` (NaN / inf give 0); division by zero gives 0 instead of trapping.
 * Calls of intrinsics are lowered in wasm_intrinsics.ts, vectors in wasm_simd.ts, statements in
 * wasm_stmt.ts; FunctionCodegen (codegen_wasm.ts) puts the layers together.
 */
import binaryen from "binaryen";
import type { Buffer } from "../../ir/buffer.js";
import type { DataType } from "../../ir/dtype.js";
import { IntImm } from "../../ir/expr.js";
import type {
  And, BinaryOp, Broadcast, BufferLoad, Call, Cast, CmpOp, FloatImm, Let, Not, Or, PrimExpr, Ramp, Select, Shuffle, Var,
} from "../../ir/expr.js";
import type { Op } from "../../ir/op_registry.js";
import type { PrimFunc } from "../../tir/function.js";
import { normalizer } from "../../tir/interp/scalar_ops.js";
import {
  type Ref, type Repr, type Binding, WASM_GUARD_BYTES, WasmCodegenError, reprOf, storageBytes, wasmType, isUnsigned32, simdElem,
} from "./wasm_types.js";
import type { ModuleBuilder } from "./wasm_helpers.js";

/**
 * An int32 index as (the rest, its trailing constant term): `x + 3` -> [x, 3], `x - 1` -> [x, -1],
 * `5` -> [undefined, 5]. Sums are left-nested with the constant last (the simplifier and
 * wasm_index_hoist.ts put it there).
 */
export function splitConst(e: PrimExpr): [PrimExpr | undefined, number] {
  if (e.kind === "IntImm") return [undefined, (e as IntImm).value];
  if ((e.kind === "Add" || e.kind === "Sub") && (e as BinaryOp).b.kind === "IntImm") {
    const c = ((e as BinaryOp).b as IntImm).value;
    return [(e as BinaryOp).a, e.kind === "Add" ? c : -c];
  }
  return [e, 0];
}

/** Whether a byte constant may go into a memory instruction's offset (addressOff says why). */
export function foldable(bytes: number): boolean {
  return bytes > 0 && bytes <= WASM_GUARD_BYTES;
}

/** Whether an expression reads a buffer (then it must not be evaluated speculatively). */
export function hasLoad(e: PrimExpr): boolean {
  let found = false;
  const visit = (x: unknown): void => {
    if (found || typeof x !== "object" || x === null) return;
    const n = x as { kind?: string };
    if (n.kind === "BufferLoad") {
      found = true;
      return;
    }
    if (typeof n.kind !== "string") return;
    for (const [key, v] of Object.entries(x)) {
      if (key === "dtype" || key === "buffer") continue;
      if (Array.isArray(v)) v.forEach(visit);
      else visit(v);
    }
  };
  visit(e);
  return found;
}

export function shortName(op: Op): string {
  return op.name.startsWith("tir.") ? op.name.slice(4) : op.name;
}

/** Function state (locals, variable bindings, statement prelude) and lane-by-lane expressions, loads included. */
export abstract class ExprCodegen {
  protected readonly m: binaryen.Module;
  protected readonly localTypes: binaryen.Type[] = [];
  protected readonly names = new Map<Var, Binding>();
  /** Buffer data vars -> local holding the byte address. */
  protected readonly bufAddr = new Map<Var, number>();
  /**
   * Small constant-size float32 / int32 allocations accessed only at constant indices (register
   * tiles, e.g. a matmul's accumulators): data var -> one v128 local per 4 elements.
   */
  protected readonly regBufs = new Map<Var, { locals: number[]; k: "f32" | "i32" }>();
  protected pre: Ref[] | undefined;
  protected memo = new Map<PrimExpr, number>();
  protected readonly spLocal = 0;

  constructor(
    protected readonly mb: ModuleBuilder,
    protected readonly func: PrimFunc,
    protected readonly fname: string,
    protected readonly symbolOf: ReadonlyMap<Var, number>,
    protected readonly simd: boolean,
  ) {
    this.m = mb.m;
  }

  protected fail(msg: string): never {
    throw new WasmCodegenError(`wasm codegen, function ${this.fname}: ${msg}`);
  }

  protected newLocal(t: binaryen.Type): number {
    this.localTypes.push(t);
    return this.localTypes.length - 1;
  }
  protected get(i: number): Ref {
    return this.m.local.get(i, this.localTypes[i]!);
  }

  /** Lane `l` of a call to an intrinsic (wasm_intrinsics.ts). */
  protected abstract call(c: Call, l: number): Ref;
  /** Sets locals for `v` = `value` (inside a prelude); returns the set instructions (wasm_stmt.ts). */
  protected abstract bindValue(v: Var, value: PrimExpr): Ref[];

  // ---- buffers and addresses ------------------------------------------------------------------

  protected base(b: Buffer): Ref {
    const i = this.bufAddr.get(b.data);
    if (i === undefined) this.fail(`buffer ${b.name}: its data var ${b.data.name} is not defined here`);
    return this.get(i);
  }

  /** Element index (i32, before the dtype's lanes) of lane `l` of the indices. */
  protected elemIndex(b: Buffer, indices: readonly PrimExpr[], l: number): Ref {
    const m = this.m;
    const vector = indices.some((i) => i.dtype.lanes > 1);
    const idx = indices.map((i) => this.toI32(i.dtype.lanes > 1 ? this.expr(i, l) : vector ? this.hoist(i) : this.expr(i), i.dtype));
    let off: Ref;
    if (b.strides.length) {
      off = idx.map((x, d) => {
        const s = b.strides[d]!;
        return s.kind === "IntImm" && (s as IntImm).value === 1 ? x : m.i32.mul(x, this.toI32(this.hoist(s), s.dtype));
      }).reduce((acc, x) => m.i32.add(acc, x));
    } else {
      off = idx[0] ?? m.i32.const(0);
      for (let d = 1; d < idx.length; d++) off = m.i32.add(m.i32.mul(off, this.toI32(this.hoist(b.shape[d]!), b.shape[d]!.dtype)), idx[d]!);
    }
    const eo = b.elemOffset;
    if (!(eo.kind === "IntImm" && (eo as IntImm).value === 0)) off = m.i32.add(off, this.toI32(this.hoist(eo), eo.dtype));
    return off;
  }

  /** Index expressions come as int32 mostly; int64 (f64 representation) are converted. */
  protected toI32(x: Ref, t: DataType): Ref {
    return reprOf(t) === "i32" ? x : this.m.i32.trunc_s_sat.f64(x);
  }

  protected scaled(b: Buffer, elem: Ref, k: number): Ref {
    const m = this.m;
    const sb = storageBytes(b.dtype);
    const bl = b.dtype.lanes;
    let byteIdx = bl === 1 ? elem : m.i32.add(m.i32.mul(elem, m.i32.const(bl)), m.i32.const(k));
    if (sb > 1) byteIdx = m.i32.shl(byteIdx, m.i32.const(Math.log2(sb)));
    return m.i32.add(this.base(b), byteIdx);
  }

  /**
   * The byte address of lane `l` (part `k` of a multi-lane dtype) of an access, as a dynamic
   * part `addr` and a constant `off` for the memory instruction's offset immediate.
   *
   * Why folding is exact: wasm computes `addr + off` without wrap-around (`off` is unsigned), while
   * `addr` itself is i32 arithmetic (mod 2^32). An in-bounds access's address A satisfies
   * WASM_GUARD_BYTES <= A < 2^32 (buffers never use the first WASM_GUARD_BYTES bytes). Folding a
   * constant of 0 < off <= WASM_GUARD_BYTES leaves the dynamic part at A - off, which lies in
   * [0, 2^32): its mod-2^32 value is that number itself, so addr + off = A. Negative constants
   * (`A[i - 1]`) are not folded: they would need a dynamic part above A, i.e. a wrap. Accesses
   * that may be out of range are guarded (predicates, if) and not executed when they are.
   */
  protected addressOff(b: Buffer, indices: readonly PrimExpr[], l: number, k: number): { addr: Ref; off: number } {
    const sb = storageBytes(b.dtype);
    const idx = indices[0];
    const flat = indices.length === 1 && b.dtype.lanes === 1 && idx!.dtype.lanes === 1 && reprOf(idx!.dtype) === "i32" &&
      (b.strides.length === 0 || (b.strides[0]!.kind === "IntImm" && (b.strides[0] as IntImm).value === 1));
    if (flat) {
      const [rest, c] = splitConst(idx!);
      if (foldable(c * sb)) {
        const r = rest ?? new IntImm(idx!.dtype, 0);
        return { addr: this.scaled(b, this.elemIndex(b, [r], l), k), off: c * sb };
      }
    }
    return { addr: this.address(b, indices, l, k), off: 0 };
  }

  protected address(b: Buffer, indices: readonly PrimExpr[], l: number, k: number): Ref {
    return this.scaled(b, this.elemIndex(b, indices, l), k);
  }

  protected loadLane(b: Buffer, addr: Ref, off = 0): Ref {
    const m = this.m;
    const e = b.dtype.element();
    if (e.isBool()) return m.i32.load8_u(off, 1, addr);
    if (e.isFloat()) {
      if (e.bits === 64) return m.f64.load(off, 8, addr);
      const x = m.f32.load(off, 4, addr);
      return e.bits === 32 && e.code === "float" ? x : m.f64.promote(x);
    }
    if (e.bits === 64) return m.f64.load(off, 8, addr);
    if (e.bits <= 8) return e.isInt() ? m.i32.load8_s(off, 1, addr) : m.i32.load8_u(off, 1, addr);
    if (e.bits === 16) return e.isInt() ? m.i32.load16_s(off, 2, addr) : m.i32.load16_u(off, 2, addr);
    return m.i32.load(off, 4, addr);
  }

  protected storeLane(b: Buffer, addr: Ref, v: Ref, off = 0): Ref {
    const m = this.m;
    const e = b.dtype.element();
    if (e.isBool()) return m.i32.store8(off, 1, addr, v);
    if (e.isFloat()) {
      if (e.bits === 64) return m.f64.store(off, 8, addr, v);
      return m.f32.store(off, 4, addr, e.bits === 32 && e.code === "float" ? v : m.f32.demote(v));
    }
    if (e.bits === 64) return m.f64.store(off, 8, addr, v);
    if (e.bits <= 8) return m.i32.store8(off, 1, addr, v);
    if (e.bits === 16) return m.i32.store16(off, 2, addr, v);
    return m.i32.store(off, 4, addr, v);
  }

  protected predicateLane(pred: PrimExpr | undefined, l: number, k: number, L: number, total: number): Ref | undefined {
    if (!pred) return undefined;
    const pl = pred.dtype.lanes;
    if (pl === 1) return this.hoist(pred);
    if (pl === total) return this.expr(pred, k);
    if (pl === L) return this.expr(pred, l);
    this.fail(`predicate with ${pl} lanes for an access of ${total} lanes`);
  }

  /** Element `i` (a constant) of a register-promoted buffer. */
  protected regLane(rb: { locals: number[]; k: "f32" | "i32" }, i: number): Ref {
    const v = this.get(rb.locals[i >> 2]!);
    return rb.k === "f32" ? this.m.f32x4.extract_lane(v, i & 3) : this.m.i32x4.extract_lane(v, i & 3);
  }

  /** The constant element index of lane `lane` of a register-buffer access (promotion checked the form). */
  protected regIndex(idx: PrimExpr, lane: number): number {
    if (idx.kind === "IntImm") return (idx as IntImm).value;
    const r = idx as Ramp;
    return (r.base as IntImm).value + lane;
  }

  protected load(e: BufferLoad, lane: number | undefined): Ref {
    const m = this.m;
    const b = e.buffer;
    const rb = this.regBufs.get(b.data);
    if (rb) return this.regLane(rb, this.regIndex(e.indices[0]!, lane ?? 0));
    const total = e.dtype.lanes;
    const bl = b.dtype.lanes;
    const k = lane ?? 0;
    const L = total / bl;
    const l = Math.floor(k / bl), kk = k % bl;
    const x = total === 1 ? this.foldedLoad(b, e.indices) : this.loadLane(b, this.address(b, e.indices, l, kk));
    const pred = this.predicateLane(e.predicate, l, k, L, total);
    if (!pred) return x;
    const r = reprOf(b.dtype);
    return m.if(pred, x, this.zero(r));
  }

  /** A scalar load with its constant index part in the offset immediate. */
  protected foldedLoad(b: Buffer, indices: readonly PrimExpr[]): Ref {
    const { addr, off } = this.addressOff(b, indices, 0, 0);
    return this.loadLane(b, addr, off);
  }

  protected zero(r: Repr): Ref {
    return r === "i32" ? this.m.i32.const(0) : r === "f32" ? this.m.f32.const(0) : this.m.f64.const(0);
  }

  // ---- expressions -----------------------------------------------------------------------------

  protected scalar(e: PrimExpr, what: string): Ref {
    if (e.dtype.lanes !== 1) this.fail(`${what} must be a scalar, got ${e.dtype}`);
    return this.expr(e);
  }

  /** A scalar expression computed once per statement (into a local); returns a read of it. */
  protected hoist(e: PrimExpr): Ref {
    const m = this.m;
    if (e.kind === "IntImm" || e.kind === "FloatImm" || ((e.kind === "Var" || e.kind === "SizeVar") && e.dtype.lanes === 1)) return this.expr(e);
    if (!this.pre) return this.expr(e);
    const hit = this.memo.get(e);
    if (hit !== undefined) return this.get(hit);
    const x = this.expr(e);
    const t = this.newLocal(wasmType(reprOf(e.dtype)));
    this.pre.push(m.local.set(t, x));
    this.memo.set(e, t);
    return this.get(t);
  }

  protected sub(e: PrimExpr, l: number): Ref {
    return e.dtype.lanes === 1 ? this.expr(e) : this.expr(e, l);
  }

  protected cond(c: PrimExpr, parent: PrimExpr, l: number): Ref {
    if (c.dtype.lanes === 1) return parent.dtype.lanes > 1 ? this.hoist(c) : this.expr(c);
    return this.expr(c, l);
  }

  /** Lane `lane` (when a vector) of expression `e`, in its representation. */
  expr(e: PrimExpr, lane?: number): Ref {
    const m = this.m;
    const vec = e.dtype.lanes > 1;
    if (vec && lane === undefined) this.fail(`internal: vector expression ${e.kind} (${e.dtype}) used without a lane`);
    const l = vec ? lane! : 0;
    switch (e.kind) {
      case "IntImm": {
        const v = (e as IntImm).value;
        const r = reprOf(e.dtype);
        return r === "i32" ? m.i32.const(v | 0) : r === "f32" ? m.f32.const(v) : m.f64.const(v);
      }
      case "FloatImm": {
        const v = normalizer(e.dtype)((e as FloatImm).value);
        return reprOf(e.dtype) === "f32" ? m.f32.const(v) : m.f64.const(v);
      }
      case "StringImm":
        return this.fail("string values cannot be computed in wasm");
      case "Var":
      case "SizeVar": {
        const b = this.names.get(e as Var);
        if (b === undefined) this.fail(`variable ${(e as Var).name} is used but not defined`);
        if (b.kind === "local") return this.get(b.index);
        if (b.kind === "lanes") return this.get(b.locals[l]!);
        const k = simdElem(e.dtype)!;
        const v = this.get(b.locals[l >> 2]!);
        if (k === "f32") return m.f32x4.extract_lane(v, l & 3);
        const x = m.i32x4.extract_lane(v, l & 3);
        return k === "mask" ? m.i32.ne(x, m.i32.const(0)) : x;
      }
      case "Cast":
        return this.cast((e as Cast).value.dtype, e.dtype, this.sub((e as Cast).value, l));
      case "Add": case "Sub": case "Mul": case "Div": case "Mod": case "FloorDiv": case "FloorMod": case "Min": case "Max": {
        const b = e as BinaryOp;
        return this.arith(e.kind, b.a.dtype, this.sub(b.a, l), this.sub(b.b, l));
      }
      case "EQ": case "NE": case "LT": case "LE": case "GT": case "GE": {
        const c = e as CmpOp;
        return this.compare(c.kind, c.a.dtype, this.sub(c.a, l), this.sub(c.b, l));
      }
      case "And": return m.i32.and(this.sub((e as And).a, l), this.sub((e as And).b, l));
      case "Or": return m.i32.or(this.sub((e as Or).a, l), this.sub((e as Or).b, l));
      case "Not": return m.i32.eqz(this.sub((e as Not).a, l));
      case "Select": {
        const s = e as Select;
        return m.select(this.cond(s.condition, e, l), this.sub(s.trueValue, l), this.sub(s.falseValue, l));
      }
      case "Ramp": {
        const r = e as Ramp;
        const t = r.base.dtype;
        const base = this.hoist(r.base);
        if (l === 0) return base;
        if (reprOf(t) === "i32" && r.stride.kind === "IntImm") return this.arith("Add", t, base, m.i32.const(Math.imul(l, (r.stride as IntImm).value)));
        const lv = reprOf(t) === "i32" ? m.i32.const(l) : reprOf(t) === "f32" ? m.f32.const(l) : m.f64.const(l);
        return this.arith("Add", t, base, this.arith("Mul", t, lv, this.hoist(r.stride)));
      }
      case "Broadcast":
        return this.hoist((e as Broadcast).value);
      case "Shuffle": {
        const s = e as Shuffle;
        let i = s.indices[l]!;
        for (const v of s.vectors) {
          if (i < v.dtype.lanes) return v.dtype.lanes === 1 ? this.hoist(v) : this.expr(v, i);
          i -= v.dtype.lanes;
        }
        return this.fail(`Shuffle index ${s.indices[l]} is outside its vectors`);
      }
      case "Let": {
        const x = e as Let;
        if (!this.names.has(x.variable) || !this.memo.has(x)) {
          if (!this.pre) this.fail("internal: Let outside a statement");
          this.memo.clear();
          this.pre.push(...this.bindValue(x.variable, x.value));
          this.memo.set(x, -1);
        }
        return this.expr(x.body, vec ? l : undefined);
      }
      case "Call":
        return this.call(e as Call, l);
      case "BufferLoad":
        return this.load(e as BufferLoad, vec ? l : undefined);
      default:
        return this.fail(`cannot generate code for expressions of kind ${e.kind}`);
    }
  }

  /** Normalizes an i32 holding a wrapped result to a narrow integer dtype. */
  protected normI32(t: DataType, x: Ref): Ref {
    const m = this.m;
    const e = t.element();
    if (e.isBool()) return m.i32.ne(x, m.i32.const(0));
    if (e.bits >= 32) return x;
    if (e.isInt()) {
      if (e.bits === 8) return m.i32.extend8_s(x);
      if (e.bits === 16) return m.i32.extend16_s(x);
      const s = m.i32.const(32 - e.bits);
      return m.i32.shr_s(m.i32.shl(x, s), m.i32.const(32 - e.bits));
    }
    return m.i32.and(x, m.i32.const(2 ** e.bits - 1));
  }

  /** An i32 value of dtype `t` as an f64 (signed or unsigned). */
  protected i32ToF64(t: DataType, x: Ref): Ref {
    return isUnsigned32(t) ? this.m.f64.convert_u.i32(x) : this.m.f64.convert_s.i32(x);
  }
  protected toF64(t: DataType, x: Ref): Ref {
    const r = reprOf(t);
    return r === "i32" ? this.i32ToF64(t, x) : r === "f32" ? this.m.f64.promote(x) : x;
  }
  protected fromF64(t: DataType, x: Ref): Ref {
    const m = this.m;
    const r = reprOf(t);
    if (r === "f64") return x;
    if (r === "f32") return m.f32.demote(x);
    return isUnsigned32(t) ? m.i32.trunc_u_sat.f64(x) : m.i32.trunc_s_sat.f64(x);
  }
  /** Calls a JS function on f64 arguments (converted from dtype `t`); result converted to `rt`. */
  protected callJs(recipe: string, t: DataType, args: Ref[], rt: DataType): Ref {
    const name = this.mb.importFn(recipe, args.length);
    return this.fromF64(rt, this.m.call(name, args.map((a) => this.toF64(t, a)), binaryen.f64));
  }

  protected arith(kind: string, t: DataType, a: Ref, b: Ref): Ref {
    const m = this.m;
    const r = reprOf(t);
    const e = t.element();
    if (kind === "Min" || kind === "Max") {
      // a < b ? a : b (a > b ? a : b): NaN and -0 behave as in the interpreter.
      const wt = wasmType(r);
      const ta = this.newLocal(wt), tb = this.newLocal(wt);
      const c = this.compare(kind === "Min" ? "LT" : "GT", t, this.get(ta), this.get(tb));
      return m.block(null, [m.local.set(ta, a), m.local.set(tb, b), m.select(c, this.get(ta), this.get(tb))], wt);
    }
    if (r === "i32") {
      const uns = e.isUInt();
      const inl = this.divByConst(kind, uns, a, b);
      if (inl) return this.normI32(t, inl);
      switch (kind) {
        case "Add": return this.normI32(t, m.i32.add(a, b));
        case "Sub": return this.normI32(t, m.i32.sub(a, b));
        case "Mul": return this.normI32(t, m.i32.mul(a, b));
        case "Div": return this.normI32(t, m.call(this.mb.helper(uns ? "divu" : "divs"), [a, b], binaryen.i32));
        case "Mod": return this.normI32(t, m.call(this.mb.helper(uns ? "remu" : "rems"), [a, b], binaryen.i32));
        case "FloorDiv": return this.normI32(t, m.call(this.mb.helper(uns ? "divu" : "fdivs"), [a, b], binaryen.i32));
        case "FloorMod": return this.normI32(t, m.call(this.mb.helper(uns ? "remu" : "fmods"), [a, b], binaryen.i32));
      }
    } else if (r === "f32") {
      switch (kind) {
        case "Add": return m.f32.add(a, b);
        case "Sub": return m.f32.sub(a, b);
        case "Mul": return m.f32.mul(a, b);
        case "Div": return m.f32.div(a, b);
        case "FloorDiv": return m.f32.floor(m.f32.div(a, b));
      }
    } else if (e.isFloat() && e.bits === 64) {
      switch (kind) {
        case "Add": return m.f64.add(a, b);
        case "Sub": return m.f64.sub(a, b);
        case "Mul": return m.f64.mul(a, b);
        case "Div": return m.f64.div(a, b);
        case "FloorDiv": return m.f64.floor(m.f64.div(a, b));
      }
    }
    const op = ({ Add: "add", Sub: "sub", Mul: "mul", Div: "div", Mod: "mod", FloorDiv: "floordiv", FloorMod: "floormod" } as const)[kind as "Add"];
    if (!op) this.fail(`no arithmetic ${kind} for ${t}`);
    if (e.isInt() && e.bits === 64) return this.int64Arith(kind, op, t, a, b);
    return this.callJs(`arith:${e}:${op}`, t, [a, b], t);
  }

  /**
   * int64 values are f64 numbers (exact below 2^53). Index arithmetic (Relax kernels' shapes are
   * int64) stays in wasm: + - * in f64 are exact while the result is below 2^53 in magnitude,
   * division and modulo run in i32 while both operands fit in it (and the divisor is not 0);
   * anything else calls the interpreter's exact int64 function.
   */
  private int64Arith(kind: string, op: string, t: DataType, a: Ref, b: Ref): Ref {
    const m = this.m;
    const f64 = binaryen.f64;
    const ta = this.newLocal(f64), tb = this.newLocal(f64);
    const A = (): Ref => this.get(ta), B = (): Ref => this.get(tb);
    const slow = (): Ref => this.callJs(`arith:${t.element()}:${op}`, t, [A(), B()], t);
    const init = [m.local.set(ta, a), m.local.set(tb, b)];
    // The exact int64 result in wasm's own i64 arithmetic (wrapping, as int64 does), rounded
    // back to f64 like the interpreter's result: no JavaScript call, so parallel loop bodies
    // that do index arithmetic in int64 can still run on worker threads.
    const i64 = (f: (x: Ref, y: Ref) => Ref): Ref => m.f64.convert_s.i64(f(m.i64.trunc_s_sat.f64(A()), m.i64.trunc_s_sat.f64(B())));
    if (kind === "Add" || kind === "Sub" || kind === "Mul") {
      const tr = this.newLocal(f64);
      const r = kind === "Add" ? m.f64.add(A(), B()) : kind === "Sub" ? m.f64.sub(A(), B()) : m.f64.mul(A(), B());
      const exact = m.f64.lt(m.f64.abs(m.local.tee(tr, r, f64)), m.f64.const(2 ** 53));
      const wide = i64(kind === "Add" ? m.i64.add : kind === "Sub" ? m.i64.sub : m.i64.mul);
      return m.block(null, [...init, m.if(exact, this.get(tr), wide)], f64);
    }
    const d = binaryen.getExpressionId(b) === binaryen.ConstId ? ((binaryen.getExpressionInfo(b) as binaryen.ConstInfo).value as number) : undefined;
    if (d !== undefined && d > 0 && Number.isInteger(d)) {
      // A positive constant divisor: no zero or INT64_MIN / -1 case; floor semantics from the
      // truncated quotient and remainder (the signs of remainder and divisor differ: one step down).
      const dc = (): Ref => i64Const(m, BigInt(d));
      const quot = (): Ref => m.i64.div_s(m.i64.trunc_s_sat.f64(A()), dc());
      const rem = (): Ref => m.i64.rem_s(m.i64.trunc_s_sat.f64(A()), dc());
      const neg = (): Ref => m.i64.lt_s(rem(), i64Const(m, 0n));
      let r: Ref;
      if (kind === "Div") r = quot();
      else if (kind === "Mod") r = rem();
      else if (kind === "FloorDiv") r = m.i64.sub(quot(), m.i64.extend_u(neg()));
      else r = m.select(neg(), m.i64.add(rem(), dc()), rem());
      return m.block(null, [...init, m.f64.convert_s.i64(r)], f64);
    }
    const small = (x: Ref): Ref => m.f64.lt(m.f64.abs(x), m.f64.const(2 ** 31));
    const fast = m.i32.and(m.i32.and(small(A()), small(B())), m.f64.ne(B(), m.f64.const(0)));
    const helper = kind === "Div" ? "divs" : kind === "Mod" ? "rems" : kind === "FloorDiv" ? "fdivs" : "fmods";
    const q = m.call(this.mb.helper(helper), [m.i32.trunc_s_sat.f64(A()), m.i32.trunc_s_sat.f64(B())], binaryen.i32);
    return m.block(null, [...init, m.if(fast, m.f64.convert_s.i32(q), slow())], f64);
  }

  /**
   * Signed i32 division / modulo by a positive constant, inline: the helpers (wasm_helpers.ts)
   * are calls V8 does not inline, and with a constant divisor the zero and INT_MIN / -1 cases
   * they guard against cannot happen. A power of two needs no division at all (floor semantics
   * are an arithmetic shift / a mask in two's complement).
   */
  private divByConst(kind: string, uns: boolean, a: Ref, b: Ref): Ref | undefined {
    const m = this.m;
    if (uns || binaryen.getExpressionId(b) !== binaryen.ConstId) return undefined;
    const d = (binaryen.getExpressionInfo(b) as binaryen.ConstInfo).value as number;
    if (!(d > 0) || !["Div", "Mod", "FloorDiv", "FloorMod"].includes(kind)) return undefined;
    const pow2 = (d & (d - 1)) === 0;
    if (kind === "FloorDiv" && pow2) return m.i32.shr_s(a, m.i32.const(Math.log2(d)));
    if (kind === "FloorMod" && pow2) return m.i32.and(a, m.i32.const(d - 1));
    if (kind === "Div") return m.i32.div_s(a, b);
    if (kind === "Mod") return m.i32.rem_s(a, b);
    // floor: the truncated result, corrected when the remainder is negative (d > 0).
    const x = this.newLocal(binaryen.i32), rl = this.newLocal(binaryen.i32);
    const rem = m.local.set(rl, m.i32.rem_s(m.local.tee(x, a, binaryen.i32), m.i32.const(d)));
    const neg = m.i32.lt_s(this.get(rl), m.i32.const(0));
    const res = kind === "FloorDiv"
      ? m.i32.sub(m.i32.div_s(this.get(x), m.i32.const(d)), neg)
      : m.i32.add(this.get(rl), m.i32.and(m.i32.sub(m.i32.const(0), neg), m.i32.const(d)));
    return m.block(null, [rem, res], binaryen.i32);
  }

  protected compare(kind: string, t: DataType, a: Ref, b: Ref): Ref {
    const m = this.m;
    const r = reprOf(t);
    if (r === "i32") {
      const u = isUnsigned32(t);
      switch (kind) {
        case "EQ": return m.i32.eq(a, b);
        case "NE": return m.i32.ne(a, b);
        case "LT": return u ? m.i32.lt_u(a, b) : m.i32.lt_s(a, b);
        case "LE": return u ? m.i32.le_u(a, b) : m.i32.le_s(a, b);
        case "GT": return u ? m.i32.gt_u(a, b) : m.i32.gt_s(a, b);
        default: return u ? m.i32.ge_u(a, b) : m.i32.ge_s(a, b);
      }
    }
    const o = r === "f32" ? m.f32 : m.f64;
    switch (kind) {
      case "EQ": return o.eq(a, b);
      case "NE": return o.ne(a, b);
      case "LT": return o.lt(a, b);
      case "LE": return o.le(a, b);
      case "GT": return o.gt(a, b);
      default: return o.ge(a, b);
    }
  }

  protected cast(fromT: DataType, toT: DataType, x: Ref): Ref {
    const m = this.m;
    const from = fromT.element(), to = toT.element();
    if (from === to) return x;
    const rf = reprOf(from), rt = reprOf(to);
    if (to.isBool()) {
      return rf === "i32" ? m.i32.ne(x, m.i32.const(0)) : rf === "f32" ? m.f32.ne(x, m.f32.const(0)) : m.f64.ne(x, m.f64.const(0));
    }
    if (to.isFloat()) {
      if (rt === "f32") return rf === "i32" ? (isUnsigned32(from) ? m.f32.convert_u.i32(x) : m.f32.convert_s.i32(x)) : rf === "f32" ? x : m.f32.demote(x);
      const d = this.toF64(from, x);
      if (to.bits === 64 && to.code === "float") return d;
      return m.call(this.mb.importFn(`norm:${to}`, 1), [d], binaryen.f64);
    }
    // integer destination
    if (rf === "i32" && rt === "i32") return this.normI32(to, x);
    // int32 (and narrower) -> int64: exact in the f64 representation.
    if (rf === "i32" && to.isInt() && to.bits === 64) return isUnsigned32(from) ? m.f64.convert_u.i32(x) : m.f64.convert_s.i32(x);
    if (rt === "i32" && to.bits === 32 && to.isInt() && (rf === "f32" || from.isFloat() || rf === "f64")) {
      // x | 0 after truncation: exact via trunc_sat while |x| < 2^31, the interpreter's function otherwise.
      const t = this.newLocal(binaryen.f64);
      const d = this.toF64(from, x);
      const g = (): Ref => this.get(t);
      const slow = m.call(this.mb.importFn(`cast:${from}:${to}`, 1), [g()], binaryen.f64);
      return m.block(null, [
        m.local.set(t, d),
        m.if(m.f64.lt(m.f64.abs(g()), m.f64.const(2147483648)), m.i32.trunc_s_sat.f64(g()), m.i32.trunc_s_sat.f64(slow)),
      ], binaryen.i32);
    }
    const name = this.mb.importFn(`cast:${from}:${to}`, 1);
    return this.fromF64(to, m.call(name, [this.toF64(from, x)], binaryen.f64));
  }
}

/** An i64 constant: binaryen takes one bigint (its typings still declare two 32-bit halves). */
function i64Const(m: binaryen.Module, v: bigint): Ref {
  return (m.i64.const as unknown as (x: bigint) => Ref)(v);
}
