/**
 * Scalar expression lowering of the C renderer (literals, arithmetic with 8/16-bit wrapping,
 * calls and intrinsics), and the index arithmetic shared with the vector and statement layers:
 * flat buffer indices (`flattenIndex`) and `base + stride * lane` recognition (`asRamp`).
 */
import { float32, type DataType } from "../../ir/dtype.js";
import { roundToBFloat16, roundToFloat16 } from "../../ir/float_format.js";
import {
  Add, Broadcast, BufferLoad, Call, Cast, FloatImm, Mul, IntImm, Let, PrimExpr, Ramp, Select, StringImm, Var,
  type BinaryOp, type CmpOp, type And, type Or, type Not,
} from "../../ir/expr.js";
import type { Buffer } from "../../ir/buffer.js";
import type { Op } from "../../ir/op_registry.js";
import { isUkernel } from "./ukernels.js";
import { CodegenError, CRendererBase, cScalarType, shortName } from "./c_types.js";
import { narrowFloat, type NarrowFloat } from "./c_float16.js";

const MATH_F32: Record<string, string> = {
  exp: "expf", exp2: "exp2f", log: "logf", log2: "log2f", log10: "log10f", log1p: "log1pf", expm1: "expm1f",
  sqrt: "sqrtf", tanh: "tanhf", erf: "erff", sin: "sinf", cos: "cosf", tan: "tanf", asin: "asinf", acos: "acosf",
  atan: "atanf", sinh: "sinhf", cosh: "coshf", asinh: "asinhf", acosh: "acoshf", atanh: "atanhf", floor: "floorf",
  ceil: "ceilf", round: "nearbyintf", nearbyint: "nearbyintf", trunc: "truncf", fabs: "fabsf", pow: "powf",
  atan2: "atan2f", fmod: "fmodf", copysign: "copysignf", hypot: "hypotf", nextafter: "nextafterf",
};

/** Expression lowering; vector expressions are left to the vector layer (c_vector.ts). */
export abstract class CExprRenderer extends CRendererBase {
  protected abstract vecExpr(e: PrimExpr): string;

  /** `ptr` as seen through `buf` (casts when the buffer's dtype differs from the storage's). */
  protected dataPtr(buf: Buffer): string {
    const n = this.nameOf(buf.data);
    const want = cScalarType(buf.dtype);
    const have = this.ptrElem.get(buf.data);
    return have === want ? n : `((${want}*)${n})`;
  }

  /** The flat element index of `indices` into `buf` (row-major unless strides are given). */
  protected flatIndex(buf: Buffer, indices: readonly PrimExpr[]): PrimExpr {
    return flattenIndex(buf, indices);
  }

  // ---------- expressions ----------
  expr(e: PrimExpr): string {
    if (e.dtype.lanes > 1) return this.vecExpr(e);
    return this.scalar(e);
  }

  protected intImm(t: DataType, v: number): string {
    if (t.isBool()) return v ? "true" : "false";
    if (t.bits === 64) return t.isUInt() ? `UINT64_C(${v})` : `INT64_C(${v})`;
    if (t.isInt() && t.bits === 32 && v === -2147483648) return "(-2147483647 - 1)";
    const c = cScalarType(t);
    return t.bits === 32 ? (t.isUInt() ? `${v}u` : `${v}`) : `((${c})${v})`;
  }

  protected floatImm(t: DataType, v: number): string {
    const nf = narrowFloat(t);
    if (nf) return this.floatImm(float32, nf === "f16" ? roundToFloat16(v) : roundToBFloat16(v));
    if (Number.isNaN(v)) return t.bits === 32 ? "NAN" : "((double)NAN)";
    if (v === Infinity) return t.bits === 32 ? "INFINITY" : "((double)INFINITY)";
    if (v === -Infinity) return t.bits === 32 ? "(-INFINITY)" : "(-(double)INFINITY)";
    const s = Object.is(v, -0) ? "-0.0" : v.toPrecision(17);
    return t.bits === 32 ? `((float)${s})` : `(${s})`;
  }

  /** Wraps 8/16-bit integer results back into their type (C promotes them to int). */
  protected wrap(t: DataType, s: string): string {
    const nf = narrowFloat(t);
    if (nf) return `weft_rnd_${nf}(${s})`;
    return t.isIntegral() && t.bits < 32 ? `((${cScalarType(t)})${s})` : s;
  }

  protected scalar(e: PrimExpr): string {
    const t = e.dtype;
    switch (e.kind) {
      case "IntImm":
        return this.intImm(t, (e as IntImm).value);
      case "FloatImm":
        return this.floatImm(t, (e as FloatImm).value);
      case "StringImm":
        return JSON.stringify((e as StringImm).value);
      case "Var":
      case "SizeVar":
        return this.nameOf(e as Var);
      case "Cast":
        return this.castScalar(t, this.scalar((e as Cast).value));
      case "Add":
      case "Sub":
      case "Mul":
      case "Div":
      case "Mod": {
        const b = e as BinaryOp;
        const x = this.scalar(b.a), y = this.scalar(b.b);
        const nf = narrowFloat(t);
        if (nf) return this.narrowArith(e.kind, nf, x, y);
        if (e.kind === "Mod" && t.isFloat()) return `${t.bits === 32 ? "fmodf" : "fmod"}(${x}, ${y})`;
        const op = { Add: "+", Sub: "-", Mul: "*", Div: "/", Mod: "%" }[e.kind];
        return this.wrap(t, `(${x} ${op} ${y})`);
      }
      case "FloorDiv":
      case "FloorMod": {
        const b = e as BinaryOp;
        const x = this.scalar(b.a), y = this.scalar(b.b);
        const nf = narrowFloat(t);
        if (nf) return this.narrowArith(e.kind, nf, x, y);
        if (t.isFloat()) {
          const fl = t.bits === 32 ? "floorf" : "floor";
          return e.kind === "FloorDiv" ? `${fl}(${x} / ${y})` : `({ ${cScalarType(t)} _a = ${x}, _b = ${y}; _a - ${fl}(_a / _b) * _b; })`;
        }
        return `weft_${e.kind === "FloorDiv" ? "floordiv" : "floormod"}_${shortName(t)}(${x}, ${y})`;
      }
      case "Min":
      case "Max": {
        const b = e as BinaryOp;
        return `weft_${e.kind === "Min" ? "min" : "max"}_${shortName(t)}(${this.scalar(b.a)}, ${this.scalar(b.b)})`;
      }
      case "EQ":
      case "NE":
      case "LT":
      case "LE":
      case "GT":
      case "GE": {
        const c = e as CmpOp;
        const op = { EQ: "==", NE: "!=", LT: "<", LE: "<=", GT: ">", GE: ">=" }[e.kind];
        return `(${this.scalar(c.a)} ${op} ${this.scalar(c.b)})`;
      }
      case "And":
        return `(${this.scalar((e as And).a)} && ${this.scalar((e as And).b)})`;
      case "Or":
        return `(${this.scalar((e as Or).a)} || ${this.scalar((e as Or).b)})`;
      case "Not":
        return `(!${this.scalar((e as Not).a)})`;
      case "Select": {
        // Both sides of a Select are evaluated in TIR; C's ?: evaluating one is equivalent for pure code.
        const s = e as Select;
        return `(${this.scalar(s.condition)} ? ${this.scalar(s.trueValue)} : ${this.scalar(s.falseValue)})`;
      }
      case "Let": {
        const l = e as Let;
        const v = this.expr(l.value);
        const n = this.define(l.variable, this.type(l.variable.dtype));
        return `({ ${this.type(l.variable.dtype)} ${n} = ${v}; ${this.scalar(l.body)}; })`;
      }
      case "BufferLoad": {
        const l = e as BufferLoad;
        const ptr = this.dataPtr(l.buffer);
        return `${ptr}[${this.expr(this.flatIndex(l.buffer, l.indices))}]`;
      }
      case "Call":
        return this.narrowCall(t, this.call(e as Call, (x) => this.scalar(x)));
      case "Ramp":
      case "Broadcast":
      case "Shuffle":
        throw new CodegenError(`c codegen: ${e.kind} with scalar type ${t}`);
      default:
        throw new CodegenError(`c codegen: unsupported expression ${e.kind}`);
    }
  }

  /** A scalar cast of the C expression `x` to `t` (rounding to float16 / bfloat16 from double). */
  protected castScalar(t: DataType, x: string): string {
    const nf = narrowFloat(t);
    return nf ? `weft_rnd_${nf}((double)(${x}))` : `((${cScalarType(t)})${x})`;
  }

  /** The result of a call of type `t` (rounded when it is float16 / bfloat16; math runs in double). */
  protected narrowCall(t: DataType, s: string): string {
    const nf = narrowFloat(t);
    return nf ? `weft_rnd_${nf}(${s})` : s;
  }

  /**
   * A float16 / bfloat16 operation as the interpreter computes it: in double, rounded to the
   * type (floordiv / floormod round their intermediate results too, see scalar_ops.ts).
   */
  protected narrowArith(kind: string, nf: NarrowFloat, x: string, y: string): string {
    const r = `weft_rnd_${nf}`;
    switch (kind) {
      case "Add":
        return `${r}((double)${x} + (double)${y})`;
      case "Sub":
        return `${r}((double)${x} - (double)${y})`;
      case "Mul":
        return `${r}((double)${x} * (double)${y})`;
      case "Div":
        return `${r}((double)${x} / (double)${y})`;
      case "Mod":
        return `${r}(fmod(${x}, ${y}))`;
      case "FloorDiv":
        return `${r}(floor(${r}((double)${x} / (double)${y})))`;
      case "FloorMod":
        return `({ float _a = ${x}, _b = ${y}; float _q = ${r}(floor(${r}((double)_a / _b))); ${r}((double)_a - ${r}((double)_q * _b)); })`;
      default:
        throw new CodegenError(`c codegen: no ${nf} lowering for ${kind}`);
    }
  }

  /** A call whose arguments are rendered by `arg` (scalar, or one lane of a vector call). */
  protected call(c: Call, arg: (x: PrimExpr) => string): string {
    if (c.op.kind === "GlobalVar") return `${c.op.name.replace(/[^A-Za-z0-9_]/g, "_")}(${c.args.map(arg).join(", ")})`;
    const op = c.op as Op;
    const name = op.name.startsWith("tir.") ? op.name.slice(4) : op.name;
    const t = c.dtype.element();
    const a = c.args;
    const f32 = t.isFloat() && t.bits === 32;
    switch (name) {
      case "if_then_else":
        return `(${arg(a[0]!)} ? ${arg(a[1]!)} : ${arg(a[2]!)})`;
      case "likely":
        return `__builtin_expect(!!(${arg(a[0]!)}), 1)`;
      case "sigmoid":
        return f32 ? `(1.0f / (1.0f + expf(-${arg(a[0]!)})))` : `(1.0 / (1.0 + exp(-${arg(a[0]!)})))`;
      case "rsqrt":
        return f32 ? `(1.0f / sqrtf(${arg(a[0]!)}))` : `(1.0 / sqrt(${arg(a[0]!)}))`;
      case "exp10":
        return f32 ? `powf(10.0f, ${arg(a[0]!)})` : `pow(10.0, ${arg(a[0]!)})`;
      case "ldexp":
        return `${f32 ? "ldexpf" : "ldexp"}(${arg(a[0]!)}, (int)${arg(a[1]!)})`;
      case "fabs":
        if (!t.isFloat()) return `({ ${cScalarType(t)} _x = ${arg(a[0]!)}; _x < 0 ? -_x : _x; })`;
        break;
      case "isnan":
        return `isnan(${arg(a[0]!)})`;
      case "isinf":
        return `isinf(${arg(a[0]!)})`;
      case "isfinite":
        return `isfinite(${arg(a[0]!)})`;
      case "bitwise_and":
        return this.wrap(t, `(${arg(a[0]!)} & ${arg(a[1]!)})`);
      case "bitwise_or":
        return this.wrap(t, `(${arg(a[0]!)} | ${arg(a[1]!)})`);
      case "bitwise_xor":
        return this.wrap(t, `(${arg(a[0]!)} ^ ${arg(a[1]!)})`);
      case "bitwise_not":
        return this.wrap(t, `(~${arg(a[0]!)})`);
      case "shift_left":
        // Shift the unsigned pattern so that shifting into the sign bit is defined.
        return `((${cScalarType(t)})((u${cScalarType(t).replace(/^u/, "")})${arg(a[0]!)} << ${arg(a[1]!)}))`;
      case "shift_right":
        return this.wrap(t, `(${arg(a[0]!)} >> ${arg(a[1]!)})`);
      case "popcount":
        return `__builtin_popcountll((uint64_t)(u${cScalarType(a[0]!.dtype).replace(/^u/, "")})${arg(a[0]!)})`;
      case "reinterpret": {
        const nfFrom = narrowFloat(a[0]!.dtype), nfTo = narrowFloat(t);
        if (nfFrom && !t.isFloat() && t.bits === 16) return `((${cScalarType(t)})weft_${nfFrom}_bits(${arg(a[0]!)}))`;
        if (nfTo && !a[0]!.dtype.isFloat() && a[0]!.dtype.bits === 16) return `weft_${nfTo}_from_bits((uint16_t)${arg(a[0]!)})`;
        if (nfFrom || nfTo) throw new CodegenError(`c codegen: T.reinterpret between ${a[0]!.dtype} and ${t}: ${nfFrom ?? nfTo} reinterprets only to or from 16-bit integers`);
        const from = cScalarType(a[0]!.dtype);
        return `({ ${from} _f = ${arg(a[0]!)}; ${cScalarType(t)} _r; memcpy(&_r, &_f, sizeof _r); _r; })`;
      }
      case "call_extern":
      case "call_pure_extern": {
        const fn = a[0];
        if (!(fn instanceof StringImm)) throw new CodegenError(`c codegen: ${name} needs the function name as its first argument`);
        const rest = a.slice(1);
        if (isUkernel(fn.value)) this.ukernels.add(fn.value);
        else if (!this.externProtos.has(fn.value)) {
          const ps = rest.map((x) => (x.dtype.isHandle() ? "void*" : cScalarType(x.dtype)));
          this.externProtos.set(fn.value, `extern ${c.dtype.isVoid() ? "void" : cScalarType(c.dtype)} ${fn.value}(${ps.join(", ") || "void"});\n`);
        }
        this.externs.add(fn.value);
        return `${fn.value}(${rest.map(arg).join(", ")})`;
      }
      case "address_of": {
        const l = a[0];
        if (!(l instanceof BufferLoad)) throw new CodegenError("c codegen: T.address_of expects a buffer load");
        return `(&${this.dataPtr(l.buffer)}[${this.scalar(this.flatIndex(l.buffer, l.indices))}])`;
      }
      case "tvm_access_ptr": {
        const data = a[1]!, off = a[2]!;
        const elem = a[0] instanceof Call ? "void" : "void";
        const v = data instanceof Var ? this.ptrElem.get(data) ?? "char" : "char";
        return `((${elem}*)((${v}*)${this.scalar(data)} + ${this.scalar(off)}))`;
      }
      case "assume":
        return "((void)0)";
      case "undef":
        return "0";
      default:
        break;
    }
    if (op.category === "math") {
      if (!t.isFloat()) throw new CodegenError(`c codegen: T.${name} on ${t}`);
      const fn = MATH_F32[name] ?? name;
      const cname = f32 ? fn : fn.endsWith("f") && MATH_F32[name] ? fn.slice(0, -1) : fn;
      return `${cname}(${a.map(arg).join(", ")})`;
    }
    throw new CodegenError(`c codegen: no C lowering for T.${name}`);
  }
}

export function isConst(e: PrimExpr, v: number): boolean {
  return e instanceof IntImm && e.value === v;
}

/** Recognizes `base + stride * lane` shapes: Ramp, Broadcast, and sums / scalings of them. */
export function asRamp(e: PrimExpr): { base: PrimExpr; stride: PrimExpr } | undefined {
  const t = e.dtype.element();
  const zero = new IntImm(t, 0);
  if (e.dtype.lanes === 1) return { base: e, stride: zero };
  if (e instanceof Ramp) return { base: e.base, stride: e.stride };
  if (e instanceof Broadcast) return { base: e.value, stride: zero };
  if (e.kind === "Add" || e.kind === "Sub") {
    const b = e as BinaryOp;
    const x = asRamp(b.a), y = asRamp(b.b);
    if (!x || !y) return undefined;
    const mk = (p: PrimExpr, q: PrimExpr): PrimExpr => {
      if (e.kind === "Add") {
        if (isConst(q, 0)) return p;
        if (isConst(p, 0)) return q;
      } else if (isConst(q, 0)) return p;
      return new (b.constructor as new (a: PrimExpr, b: PrimExpr) => PrimExpr)(p, q);
    };
    return { base: mk(x.base, y.base), stride: foldConst(mk(x.stride, y.stride)) };
  }
  if (e.kind === "Mul") {
    const b = e as BinaryOp;
    const x = asRamp(b.a), y = asRamp(b.b);
    if (!x || !y) return undefined;
    // One side must be uniform (stride 0).
    if (isConst(y.stride, 0)) return { base: new (b.constructor as new (a: PrimExpr, b: PrimExpr) => PrimExpr)(x.base, y.base), stride: foldConst(mulExpr(x.stride, y.base)) };
    if (isConst(x.stride, 0)) return { base: new (b.constructor as new (a: PrimExpr, b: PrimExpr) => PrimExpr)(x.base, y.base), stride: foldConst(mulExpr(y.stride, x.base)) };
  }
  return undefined;
}

function mulExpr(a: PrimExpr, b: PrimExpr): PrimExpr {
  if (isConst(a, 0) || isConst(b, 0)) return new IntImm(a.dtype, 0);
  if (isConst(a, 1)) return b;
  if (isConst(b, 1)) return a;
  if (a instanceof IntImm && b instanceof IntImm) return new IntImm(a.dtype, Math.imul(a.value, b.value));
  return new Mul(a, b);
}

function foldConst(e: PrimExpr): PrimExpr {
  if ((e.kind === "Add" || e.kind === "Sub" || e.kind === "Mul") && e.dtype.bits <= 32) {
    const b = e as BinaryOp;
    if (b.a instanceof IntImm && b.b instanceof IntImm) {
      const v = e.kind === "Add" ? b.a.value + b.b.value : e.kind === "Sub" ? b.a.value - b.b.value : Math.imul(b.a.value, b.b.value);
      if (Number.isSafeInteger(v) && v >= -(2 ** 31) && v < 2 ** 31) return new IntImm(e.dtype, v);
    }
  }
  return e;
}

/** Flat element index of an access (the identity for flattened 1-D buffers with offset 0). */
export function flattenIndex(buf: Buffer, indices: readonly PrimExpr[]): PrimExpr {
  const lanes = Math.max(1, ...indices.map((i) => i.dtype.lanes));
  const it = indices[0]?.dtype.element() ?? buf.elemOffset.dtype;
  const bc = (x: PrimExpr): PrimExpr => {
    let y = x.dtype.element() !== it && x.dtype.lanes === 1 ? castTo(it, x) : x;
    if (lanes > 1 && y.dtype.lanes === 1) y = new Broadcast(y, lanes);
    return y;
  };
  let flat: PrimExpr | undefined;
  const n = indices.length;
  let stride: PrimExpr = new IntImm(it, 1);
  for (let d = n - 1; d >= 0; d--) {
    const s = buf.strides.length ? buf.strides[d]! : stride;
    const idx = indices[d]!;
    const sv = castTo(it, s);
    const term = isConst(sv, 1) ? idx : mulExpr(idx, idx.dtype.lanes > 1 ? bc(sv) : sv);
    flat = flat ? new Add(bc(term), bc(flat)) : term;
    if (!buf.strides.length) stride = foldConst(mulExpr(stride, castTo(it, buf.shape[d]!)));
  }
  flat ??= new IntImm(it, 0);
  if (!isConst(buf.elemOffset, 0)) flat = new Add(bc(flat), bc(castTo(it, buf.elemOffset)));
  return flat;
}

function castTo(t: DataType, e: PrimExpr): PrimExpr {
  return e.dtype === t ? e : new Cast(t, e);
}
