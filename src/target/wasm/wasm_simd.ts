/**
 * SIMD128 lowering of the wasm target: vector expressions on float32 / int32 (and bool masks)
 * whose lanes are a multiple of 4 are computed as f32x4 / i32x4 chunks, with v128 loads and
 * stores for unit-stride ramps; lanes SIMD cannot compute are gathered one by one. float32
 * exp / log / tanh / sigmoid / erf are computed inline on f32x4 (wasm_math.ts).
 */
import binaryen from "binaryen";
import type { Buffer } from "../../ir/buffer.js";
import type {
  And, BinaryOp, Broadcast, BufferLoad, Call, Cast, CmpOp, IntImm, Not, Or, PrimExpr, Ramp, Select, Var,
} from "../../ir/expr.js";
import type { Op } from "../../ir/op_registry.js";
import { type Ref, reprOf, simdElem } from "./wasm_types.js";
import { foldable, hasLoad, shortName, splitConst } from "./wasm_expr.js";
import { IntrinsicCodegen } from "./wasm_intrinsics.js";
import { F32_MATH, type F32MathFn, f32x4MathInline } from "./wasm_math.js";

/** float32 unary ops with an f32x4 instruction. */
const SIMD_UNARY = new Set(["sqrt", "floor", "ceil", "trunc", "fabs", "round", "nearbyint"]);

/** Vector expressions as v128 chunks of 4 lanes. */
export abstract class SimdCodegen extends IntrinsicCodegen {
  protected readonly vecOk = new Map<PrimExpr, boolean>();

  // ---- SIMD ------------------------------------------------------------------------------------

  /** The ramp base of a unit-stride contiguous vector access, when there is one. */
  protected contiguousVector(b: Buffer, indices: readonly PrimExpr[], total: number): Ramp | undefined {
    if (!this.simd || total % 4 !== 0 || b.dtype.lanes !== 1 || indices.length !== 1) return undefined;
    const e = b.dtype;
    if (!((e.isFloat() && e.bits === 32 && e.code === "float") || (e.isInt() && e.bits === 32))) return undefined;
    const i = indices[0]!;
    if (i.kind !== "Ramp") return undefined;
    const r = i as Ramp;
    if (!(r.stride.kind === "IntImm" && (r.stride as IntImm).value === 1) || reprOf(r.base.dtype) !== "i32") return undefined;
    return r;
  }

  /**
   * Address of chunk `chunk` (lanes 4c..4c+3) of a contiguous access, as a dynamic part and an
   * offset immediate: the ramp base's constant term plus the chunk's 16 bytes when that total is
   * foldable, else the chunk's bytes alone (addressOff in wasm_expr.ts gives the argument).
   */
  protected vecAddress(b: Buffer, r: Ramp, chunk: number): { addr: Ref; off: number } {
    const m = this.m;
    const [rest, c] = splitConst(r.base);
    let off = 0, dyn = 0;
    if (foldable(4 * c + 16 * chunk)) off = 4 * c + 16 * chunk;
    else {
      dyn = c;
      if (foldable(16 * chunk)) off = 16 * chunk;
      else dyn += 4 * chunk;
    }
    let elem = rest ? this.hoist(rest) : m.i32.const(0);
    if (dyn) elem = m.i32.add(elem, m.i32.const(dyn));
    const eo = b.elemOffset;
    if (!(eo.kind === "IntImm" && (eo as IntImm).value === 0)) elem = m.i32.add(elem, this.toI32(this.hoist(eo), eo.dtype));
    return { addr: m.i32.add(this.base(b), m.i32.shl(elem, m.i32.const(2))), off };
  }

  /**
   * `Broadcast(B[i])` of a float32 / int32 element in memory: one v128.load32_splat, computed once
   * per statement in its prelude (as the scalar was before: a store of several chunks must not
   * change what a later chunk reads).
   */
  protected splatLoad(bc: Broadcast): Ref | undefined {
    const m = this.m;
    const e = bc.value;
    if (e.kind !== "BufferLoad" || e.dtype.lanes !== 1) return undefined;
    const l = e as BufferLoad;
    const b = l.buffer;
    const k = simdElem(b.dtype);
    if (l.predicate || b.dtype.lanes !== 1 || this.regBufs.has(b.data) || (k !== "f32" && k !== "i32")) return undefined;
    const hit = this.memo.get(bc);
    if (hit !== undefined && hit >= 0) return this.get(hit);
    const { addr, off } = this.addressOff(b, l.indices, 0, 0);
    const x = m.v128.load32_splat(off, 4, addr);
    if (!this.pre) return x;
    const t = this.newLocal(binaryen.v128);
    this.pre.push(m.local.set(t, x));
    this.memo.set(bc, t);
    return this.get(t);
  }

  /** Whether `e` (a vector) can be computed as v128 chunks of 4 lanes. */
  protected vectorizable(e: PrimExpr): boolean {
    if (!this.simd) return false;
    let ok = this.vecOk.get(e);
    if (ok !== undefined) return ok;
    ok = this.checkVec(e);
    this.vecOk.set(e, ok);
    return ok;
  }

  protected checkVec(e: PrimExpr): boolean {
    const t = e.dtype;
    if (t.lanes < 4 || t.lanes % 4 !== 0) return false;
    const k = simdElem(t);
    if (!k) return false;
    const sub = (x: PrimExpr): boolean => x.dtype.lanes === 1 || this.vectorizable(x);
    switch (e.kind) {
      case "Ramp": return k === "i32";
      case "Broadcast": return k !== "mask";
      case "Var":
        return this.names.get(e as Var) !== undefined;
      case "BufferLoad":
        return true; // v128.load when contiguous, gathered lane by lane otherwise
      case "Add": case "Sub": case "Mul": case "Min": case "Max": {
        const b = e as BinaryOp;
        return k !== "mask" && sub(b.a) && sub(b.b);
      }
      case "Div": {
        const b = e as BinaryOp;
        return k === "f32" && sub(b.a) && sub(b.b);
      }
      case "EQ": case "NE": case "LT": case "LE": case "GT": case "GE": {
        const c = e as CmpOp;
        const ak = simdElem(c.a.dtype);
        return (ak === "f32" || ak === "i32") && sub(c.a) && sub(c.b);
      }
      case "And": case "Or": return sub((e as And).a) && sub((e as And).b);
      case "Not": return sub((e as Not).a);
      case "Select": {
        const s = e as Select;
        return k !== "mask" && sub(s.condition) && sub(s.trueValue) && sub(s.falseValue);
      }
      case "Cast": {
        const c = e as Cast;
        const from = simdElem(c.value.dtype);
        // int32 -> float32 only: float -> int32 casts wrap like `x | 0`, which trunc_sat does not.
        return k === "f32" && from === "i32" ? sub(c.value) : true;
      }
      case "Call": {
        const c = e as Call;
        if (c.op.kind !== "Op") return false;
        const op = shortName(c.op as Op);
        if (k === "f32" && (SIMD_UNARY.has(op) || F32_MATH.has(op)) && simdElem(c.args[0]!.dtype) === "f32") return sub(c.args[0]!);
        // Eager bitselect only when no branch loads (a guarded load may be out of range); else lazy lanes.
        if (op === "if_then_else" && k !== "mask" && !hasLoad(c.args[1]!) && !hasLoad(c.args[2]!)) return sub(c.args[0]!) && sub(c.args[1]!) && sub(c.args[2]!);
        return true; // gathered
      }
      default:
        return true; // gathered lane by lane (Shuffle, Let, other casts, ...)
    }
  }

  /** Lanes 4c..4c+3 of an access of a register-promoted buffer (a v128 local when aligned). */
  protected regChunk(rb: { locals: number[]; k: "f32" | "i32" }, idx: PrimExpr, c: number): Ref {
    const m = this.m;
    const first = this.regIndex(idx, 4 * c);
    if (idx.kind === "Ramp" && first % 4 === 0) return this.get(rb.locals[first >> 2]!);
    let v = rb.k === "f32" ? m.f32x4.splat(this.regLane(rb, first)) : m.i32x4.splat(this.regLane(rb, first));
    for (let j = 1; j < 4; j++) {
      const x = this.regLane(rb, this.regIndex(idx, 4 * c + j));
      v = rb.k === "f32" ? m.f32x4.replace_lane(v, j, x) : m.i32x4.replace_lane(v, j, x);
    }
    return v;
  }

  /** Lanes 4c..4c+3 of `e` computed one by one and packed into a v128. */
  protected gather(e: PrimExpr, c: number): Ref {
    const m = this.m;
    const k = simdElem(e.dtype)!;
    const lane = (j: number): Ref => {
      const x = this.expr(e, 4 * c + j);
      return k === "mask" ? m.i32.sub(m.i32.const(0), x) : x;
    };
    let v = k === "f32" ? m.f32x4.splat(lane(0)) : m.i32x4.splat(lane(0));
    for (let j = 1; j < 4; j++) v = k === "f32" ? m.f32x4.replace_lane(v, j, lane(j)) : m.i32x4.replace_lane(v, j, lane(j));
    return v;
  }

  /** A v128 holding lanes 4c..4c+3 of `e` (a vectorizable vector or a scalar, splatted). */
  protected vexpr(e: PrimExpr, c: number): Ref {
    const m = this.m;
    const t = e.dtype;
    const k = simdElem(t);
    if (t.lanes === 1) {
      const x = this.hoist(e);
      return k === "f32" ? m.f32x4.splat(x) : m.i32x4.splat(x);
    }
    switch (e.kind) {
      case "Ramp": {
        const r = e as Ramp;
        const base = this.hoist(r.base);
        if (r.stride.kind === "IntImm") {
          const s = (r.stride as IntImm).value;
          const lanes = [0, 1, 2, 3].map((j) => Math.imul(s, 4 * c + j) | 0);
          return m.i32x4.add(m.i32x4.splat(base), m.v128.const(new Uint8Array(new Int32Array(lanes).buffer)));
        }
        const s = this.hoist(r.stride);
        const lanes = [0, 1, 2, 3].map((j) => 4 * c + j);
        return m.i32x4.add(m.i32x4.splat(base), m.i32x4.mul(m.i32x4.splat(s), m.v128.const(new Uint8Array(new Int32Array(lanes).buffer))));
      }
      case "Broadcast": {
        const sp = this.splatLoad(e as Broadcast);
        if (sp) return sp;
        const x = this.hoist((e as Broadcast).value);
        return k === "f32" ? m.f32x4.splat(x) : m.i32x4.splat(x);
      }
      case "Var": {
        const b = this.names.get(e as Var)!;
        return b.kind === "v128" ? this.get(b.locals[c]!) : this.gather(e, c);
      }
      case "BufferLoad": {
        const l = e as BufferLoad;
        const rb = this.regBufs.get(l.buffer.data);
        if (rb) return this.regChunk(rb, l.indices[0]!, c);
        const r = l.predicate ? undefined : this.contiguousVector(l.buffer, l.indices, t.lanes);
        if (!r) return this.gather(e, c);
        const { addr, off } = this.vecAddress(l.buffer, r, c);
        return m.v128.load(off, 16, addr);
      }
      case "Add": case "Sub": case "Mul": case "Div": case "Min": case "Max": {
        const b = e as BinaryOp;
        const a = this.vexpr(b.a, c), y = this.vexpr(b.b, c);
        if (e.kind === "Min" || e.kind === "Max") {
          if (k === "i32") return e.kind === "Min" ? m.i32x4.min_s(a, y) : m.i32x4.max_s(a, y);
          // a < b ? a : b (and a > b ? a : b), lane-wise, as the interpreter computes it: that is
          // pmin(b, a) = (a < b ? a : b) (pmax likewise), one minps / maxps in V8.
          return e.kind === "Min" ? m.f32x4.pmin(y, a) : m.f32x4.pmax(y, a);
        }
        const ops = k === "f32" ? m.f32x4 : m.i32x4;
        switch (e.kind) {
          case "Add": return ops.add(a, y);
          case "Sub": return ops.sub(a, y);
          case "Mul": return ops.mul(a, y);
          default: return m.f32x4.div(a, y);
        }
      }
      case "EQ": case "NE": case "LT": case "LE": case "GT": case "GE": {
        const cm = e as CmpOp;
        const a = this.vexpr(cm.a, c), y = this.vexpr(cm.b, c);
        if (simdElem(cm.a.dtype) === "f32") {
          const f = { EQ: m.f32x4.eq, NE: m.f32x4.ne, LT: m.f32x4.lt, LE: m.f32x4.le, GT: m.f32x4.gt, GE: m.f32x4.ge }[cm.kind];
          return f(a, y);
        }
        const f = { EQ: m.i32x4.eq, NE: m.i32x4.ne, LT: m.i32x4.lt_s, LE: m.i32x4.le_s, GT: m.i32x4.gt_s, GE: m.i32x4.ge_s }[cm.kind];
        return f(a, y);
      }
      case "And": return m.v128.and(this.vmask((e as And).a, c), this.vmask((e as And).b, c));
      case "Or": return m.v128.or(this.vmask((e as Or).a, c), this.vmask((e as Or).b, c));
      case "Not": return m.v128.not(this.vmask((e as Not).a, c));
      case "Select": {
        const s = e as Select;
        return m.v128.bitselect(this.vexpr(s.trueValue, c), this.vexpr(s.falseValue, c), this.vmask(s.condition, c));
      }
      case "Cast": {
        const v = (e as Cast).value;
        if (k === "f32" && simdElem(v.dtype) === "i32") return m.f32x4.convert_i32x4_s(this.vexpr(v, c));
        return this.gather(e, c);
      }
      case "Call": {
        const call = e as Call;
        const op = shortName(call.op as Op);
        const eagerIf = op === "if_then_else" && !hasLoad(call.args[1]!) && !hasLoad(call.args[2]!);
        if (!(k === "f32" && (SIMD_UNARY.has(op) || F32_MATH.has(op)) && simdElem(call.args[0]!.dtype) === "f32") && !eagerIf) return this.gather(e, c);
        if (op === "if_then_else") {
          return m.v128.bitselect(this.vexpr(call.args[1]!, c), this.vexpr(call.args[2]!, c), this.vmask(call.args[0]!, c));
        }
        const x = this.vexpr(call.args[0]!, c);
        if (F32_MATH.has(op)) return f32x4MathInline(m, op as F32MathFn, x, (t) => this.newLocal(t));
        switch (op) {
          case "sqrt": return m.f32x4.sqrt(x);
          case "floor": return m.f32x4.floor(x);
          case "ceil": return m.f32x4.ceil(x);
          case "trunc": return m.f32x4.trunc(x);
          case "fabs": return m.f32x4.abs(x);
          default: return m.f32x4.nearest(x);
        }
      }
      default:
        return this.gather(e, c);
    }
  }

  /** A lane mask (all ones / zeros per 32-bit lane) for a bool vector or scalar. */
  protected vmask(e: PrimExpr, c: number): Ref {
    const m = this.m;
    if (e.dtype.lanes === 1) return m.i32x4.splat(m.i32.sub(m.i32.const(0), this.hoist(e)));
    return this.vexpr(e, c);
  }
}
