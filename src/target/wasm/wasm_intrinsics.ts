/**
 * Calls of TIR intrinsics in the wasm target: if_then_else / likely / assume, the float
 * operations wasm has instructions for (sqrt, floor, fabs, copysign, ...), transcendental
 * functions (float32 exp / log / log2 / log10 / tanh / sigmoid / erf in wasm, wasm_math.ts;
 * the others, and every other dtype, JavaScript's Math or the interpreter's erf / pow in double
 * precision, rounded to the dtype), isnan / isinf / popcount / clz / nextafter, and bitwise operations.
 */
import binaryen from "binaryen";
import { int32, type DataType } from "../../ir/dtype.js";
import type { Call, Var } from "../../ir/expr.js";
import type { Op } from "../../ir/op_registry.js";
import { type Ref, reprOf, wasmType } from "./wasm_types.js";
import { floatUnary, floatBinary } from "../kernel_imports.js";
import { ExprCodegen, shortName } from "./wasm_expr.js";
import { F32_MATH, type F32MathFn, f32MathFunction } from "./wasm_math.js";
import { type UkernelCallEnv, ukernelCall } from "./wasm_ukernel.js";

/** Calls of intrinsics (lane by lane). */
export abstract class IntrinsicCodegen extends ExprCodegen {
  /** Rounds an f64 result of a math function to dtype `t`'s representation. */
  protected roundTo(t: DataType, d: Ref): Ref {
    const e = t.element();
    if (reprOf(e) === "f32") return this.m.f32.demote(d);
    if (e.isFloat() && e.bits === 64) return d;
    return this.m.call(this.mb.importFn(`norm:${e}`, 1), [d], binaryen.f64);
  }

  protected override call(c: Call, l: number): Ref {
    const m = this.m;
    if (c.op.kind === "GlobalVar") this.fail(`calls to @${c.op.name} are not supported by the wasm target`);
    const op = shortName(c.op as Op);
    const args = c.args;
    const t = c.dtype;
    const r = reprOf(t.isHandle() ? args[0]?.dtype ?? t : t);
    switch (op) {
      case "if_then_else": {
        const cond = this.cond(args[0]!, c, l);
        return m.if(cond, this.sub(args[1]!, l), this.sub(args[2]!, l));
      }
      case "likely":
        return this.sub(args[0]!, l);
      case "assume":
        return m.i32.const(1);
      case "undef":
        return this.zero(reprOf(t));
      case "ret":
        return this.fail("T.ret is only supported as a statement (T.evaluate(T.ret(x)))");
      case "fabs": {
        const x = this.sub(args[0]!, l);
        return r === "f32" ? m.f32.abs(x) : r === "f64" && t.element().isFloat() ? m.f64.abs(x) : this.callJs(`abs:${t.element()}`, t, [x], t);
      }
      case "sqrt": case "floor": case "ceil": case "trunc": case "round": case "nearbyint": {
        const x = this.sub(args[0]!, l);
        const o = r === "f32" ? m.f32 : m.f64;
        const a = op === "sqrt" ? o.sqrt(x) : op === "floor" ? o.floor(x) : op === "ceil" ? o.ceil(x) : op === "trunc" ? o.trunc(x) : o.nearest(x);
        return r === "f32" || (t.element().isFloat() && t.element().bits === 64) ? a : this.roundTo(t, a);
      }
      case "isnan": {
        const at = args[0]!.dtype;
        const ra = reprOf(at);
        if (ra === "i32") return m.i32.const(0);
        const tl = this.newLocal(wasmType(ra));
        const o = ra === "f32" ? m.f32 : m.f64;
        return o.ne(m.local.tee(tl, this.sub(args[0]!, l), wasmType(ra)), this.get(tl));
      }
      case "isinf": case "isfinite": {
        const ra = reprOf(args[0]!.dtype);
        if (ra === "i32") return m.i32.const(op === "isfinite" ? 1 : 0);
        const o = ra === "f32" ? m.f32 : m.f64;
        const inf = ra === "f32" ? m.f32.const(Infinity) : m.f64.const(Infinity);
        const a = o.abs(this.sub(args[0]!, l));
        return op === "isinf" ? o.eq(a, inf) : o.lt(a, inf);
      }
      case "popcount": case "clz": {
        const at = args[0]!.dtype;
        const x = this.sub(args[0]!, l);
        if (reprOf(at) === "i32" && at.bits === 32) return this.cast(int32, t, op === "popcount" ? m.i32.popcnt(x) : m.i32.clz(x));
        const bits = at.isBool() ? 1 : at.bits;
        return this.callJs(`${op}:${bits}`, at, [x], t);
      }
      case "copysign": {
        if (r === "f32") return m.f32.copysign(this.sub(args[0]!, l), this.sub(args[1]!, l));
        if (t.element().isFloat() && t.element().bits === 64) return m.f64.copysign(this.sub(args[0]!, l), this.sub(args[1]!, l));
        return this.roundTo(t, m.call(this.mb.importFn("copysign", 2), [this.toF64(args[0]!.dtype, this.sub(args[0]!, l)), this.toF64(args[1]!.dtype, this.sub(args[1]!, l))], binaryen.f64));
      }
      case "nextafter": {
        return this.callJs(`nextafter:${args[0]!.dtype.element()}`, args[0]!.dtype, [this.sub(args[0]!, l), this.sub(args[1]!, l)], t);
      }
      case "bitwise_and": case "bitwise_or": case "bitwise_xor": case "bitwise_not": case "shift_left": case "shift_right":
        return this.bitOp(op, c, l);
      case "call_extern": case "call_pure_extern": {
        const uk = ukernelCall(this.ukernelEnv(), c);
        if (uk !== undefined) return uk;
        this.fail(`cannot run extern function ${args[0]?.kind === "StringImm" ? (args[0] as unknown as { value: string }).value : "?"} in the wasm target (it defines weft_ukernel_fma_f32_<M>x<N> only)`);
      }
      default:
        break;
    }
    if (F32_MATH.has(op) && r === "f32" && reprOf(args[0]!.dtype) === "f32") {
      // float32 exp / log / tanh / sigmoid / erf in wasm (wasm_math.ts), not JavaScript's Math
      return m.call(f32MathFunction(m, op as F32MathFn), [this.sub(args[0]!, l)], binaryen.f32);
    }
    if (floatUnary[op]) {
      const at = args[0]!.dtype;
      return this.roundTo(t, m.call(this.mb.importFn(`unary:${op}`, 1), [this.toF64(at, this.sub(args[0]!, l))], binaryen.f64));
    }
    if (floatBinary[op]) {
      const a = this.toF64(args[0]!.dtype, this.sub(args[0]!, l)), b = this.toF64(args[1]!.dtype, this.sub(args[1]!, l));
      return this.roundTo(t, m.call(this.mb.importFn(`binary:${op}`, 2), [a, b], binaryen.f64));
    }
    if (op === "round_half_even") return this.roundTo(t, m.call(this.mb.importFn("round_half_even", 1), [this.toF64(args[0]!.dtype, this.sub(args[0]!, l))], binaryen.f64));
    return this.fail(`operator ${(c.op as Op).name} is not supported by the wasm target`);
  }

  /** What the micro-kernels (wasm_ukernel.ts) need from this function: buffer addresses, i32 scalars. */
  protected ukernelEnv(): UkernelCallEnv {
    return {
      mb: this.mb,
      simd: this.simd,
      handle: (h) => {
        const i = h.kind === "Var" ? this.bufAddr.get(h as Var) : undefined;
        return i === undefined ? undefined : this.get(i);
      },
      i32: (e) => this.toI32(this.scalar(e, "argument of a micro-kernel"), e.dtype),
      fail: (msg) => this.fail(msg),
    };
  }

  protected bitOp(op: string, c: Call, l: number): Ref {
    const m = this.m;
    const t = c.args[0]!.dtype.element();
    const a = this.sub(c.args[0]!, l);
    const b = c.args.length > 1 ? this.sub(c.args[1]!, l) : undefined;
    if (reprOf(t) !== "i32") return this.callJs(`bit:${op}:${t}`, t, b === undefined ? [a] : [a, b], t);
    switch (op) {
      case "bitwise_and": return this.normI32(t, m.i32.and(a, b!));
      case "bitwise_or": return this.normI32(t, m.i32.or(a, b!));
      case "bitwise_xor": return this.normI32(t, m.i32.xor(a, b!));
      case "bitwise_not": return this.normI32(t, m.i32.xor(a, m.i32.const(-1)));
      case "shift_left": return this.normI32(t, m.i32.shl(a, b!));
      default: return t.isInt() ? m.i32.shr_s(a, b!) : this.normI32(t, m.i32.shr_u(a, b!));
    }
  }
}
