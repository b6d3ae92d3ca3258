/**
 * Compiles Call nodes: the intrinsics of src/ir/op_registry.ts that make sense on a host. Math
 * runs in double precision and rounds the result to the call's dtype; bit ops work on the
 * two's-complement pattern of the argument's width. Calls into the outside world
 * (call_extern), into other functions, and ops the interpreter has no model of compile to a
 * closure that throws a clear error when (and only when) it is reached.
 */
import type { DataType } from "../../ir/dtype.js";
import type { Call, PrimExpr, StringImm } from "../../ir/expr.js";
import type { Op } from "../../ir/op_registry.js";
import { CompileContext, InterpreterError, ReturnSignal, describeExpr, type ExprFn, type Frame } from "./context.js";
import { roundHalfEven } from "../../ir/float_format.js";
import { clz, copysign, cpow, erf, ldexp, nextafterFn, popcount, reinterpretFn } from "./math.js";
import { normalizer, type Norm } from "./scalar_ops.js";

type Unary = (x: number) => number;
type Binary = (x: number, y: number) => number;

const floatUnary: Record<string, Unary> = {
  exp: Math.exp,
  exp2: (x) => 2 ** x,
  exp10: (x) => 10 ** x,
  log: Math.log,
  log2: Math.log2,
  log10: Math.log10,
  log1p: Math.log1p,
  expm1: Math.expm1,
  sqrt: Math.sqrt,
  rsqrt: (x) => 1 / Math.sqrt(x),
  tanh: Math.tanh,
  sigmoid: (x) => 1 / (1 + Math.exp(-x)),
  erf,
  sin: Math.sin,
  cos: Math.cos,
  tan: Math.tan,
  asin: Math.asin,
  acos: Math.acos,
  atan: Math.atan,
  sinh: Math.sinh,
  cosh: Math.cosh,
  asinh: Math.asinh,
  acosh: Math.acosh,
  atanh: Math.atanh,
  floor: Math.floor,
  ceil: Math.ceil,
  // TVM's round is nearbyint: ties go to the even neighbour.
  round: roundHalfEven,
  nearbyint: roundHalfEven,
  trunc: Math.trunc,
};

const floatBinary: Record<string, Binary> = {
  pow: cpow,
  atan2: Math.atan2,
  fmod: (a, b) => a % b,
  copysign,
  hypot: Math.hypot,
  ldexp,
};

/** A closure that throws `msg` (with the compile-time location) when reached. */
function thrower(ctx: CompileContext, msg: string): ExprFn {
  const full = `${msg}${ctx.where()}`;
  return () => {
    throw new InterpreterError(full);
  };
}

/** Applies a scalar function lane by lane. */
function lift1(a: ExprFn, lanes: number, g: Unary): ExprFn {
  if (lanes === 1) return (f) => g(a(f));
  return (f) => {
    const x = a(f) as number[];
    const out = new Array<number>(lanes);
    for (let i = 0; i < lanes; i++) out[i] = g(x[i]!);
    return out;
  };
}
function lift2(a: ExprFn, b: ExprFn, lanes: number, g: Binary): ExprFn {
  if (lanes === 1) return (f) => g(a(f), b(f));
  return (f) => {
    const x = a(f) as number[];
    const y = b(f) as number[];
    const out = new Array<number>(lanes);
    for (let i = 0; i < lanes; i++) out[i] = g(x[i]!, y[i]!);
    return out;
  };
}

function requireInt(ctx: CompileContext, e: Call, t: DataType): void {
  if (!(t.isIntegral() || t.isBool())) {
    throw ctx.error(`${(e.op as Op).name} expects integer arguments, got ${t} in ${describeExpr(e)}`);
  }
}

/** Bitwise and shift ops on the pattern of an integer of `bits` width. */
function bitOp(ctx: CompileContext, e: Call, name: string, t: DataType, norm: Norm): Binary | Unary | undefined {
  const bits = t.bits;
  const signed = t.isInt();
  const wide = bits === 64;
  const big = (g: (x: bigint, y: bigint) => bigint): Binary => (x, y) => {
    const r = g(BigInt(x), BigInt(y));
    return Number(signed ? BigInt.asIntN(64, r) : BigInt.asUintN(64, r));
  };
  const where = ctx.where();
  const checkShift = (s: number): void => {
    if (!(s >= 0 && s < bits)) {
      throw new InterpreterError(`shift amount ${s} is outside [0, ${bits}) for ${t} in ${describeExpr(e)}${where}`);
    }
  };
  switch (name) {
    case "bitwise_and":
      return wide ? big((x, y) => x & y) : (x, y) => norm(x & y);
    case "bitwise_or":
      return wide ? big((x, y) => x | y) : (x, y) => norm(x | y);
    case "bitwise_xor":
      return wide ? big((x, y) => x ^ y) : (x, y) => norm(x ^ y);
    case "bitwise_not":
      return wide
        ? (x: number) => Number(signed ? BigInt.asIntN(64, ~BigInt(x)) : BigInt.asUintN(64, ~BigInt(x)))
        : (x: number) => norm(~x);
    case "shift_left": {
      const g = wide ? big((x, y) => x << y) : (x: number, y: number) => norm(x << y);
      return (x, y) => {
        checkShift(y);
        return g(x, y);
      };
    }
    case "shift_right": {
      const g = wide ? big((x, y) => x >> y) : signed ? (x: number, y: number) => x >> y : (x: number, y: number) => norm(x >>> y);
      return (x, y) => {
        checkShift(y);
        return g(x, y);
      };
    }
    default:
      return undefined;
  }
}

/** Compiles a Call; `compile` compiles its argument expressions. */
export function compileCall(ctx: CompileContext, e: Call, compile: (x: PrimExpr) => ExprFn): ExprFn {
  if (e.op.kind === "GlobalVar") {
    return thrower(ctx, `cannot call function @${e.op.name} from a PrimFunc in the interpreter`);
  }
  const op = e.op as Op;
  const short = op.name.startsWith("tir.") ? op.name.slice(4) : op.name;
  const lanes = e.dtype.lanes;
  const args = e.args;

  switch (short) {
    case "if_then_else": {
      // Only the taken side runs, so a guarded out-of-bounds load on the other side is fine.
      const c = compile(args[0]!), t = compile(args[1]!), el = compile(args[2]!);
      if (args[0]!.dtype.lanes === 1) return (f) => (c(f) ? t(f) : el(f));
      return (f) => {
        const m = c(f) as number[];
        let all = true, none = true;
        for (const x of m) {
          if (x) none = false;
          else all = false;
        }
        if (all) return t(f);
        if (none) return el(f);
        const x = t(f) as number[], y = el(f) as number[];
        return m.map((k, i) => (k ? x[i]! : y[i]!));
      };
    }
    case "likely":
      return compile(args[0]!);
    case "assume": {
      const c = compile(args[0]!);
      const where = ctx.where();
      return (f) => {
        const v = c(f);
        if (Array.isArray(v) ? v.some((x) => !x) : !v) {
          throw new InterpreterError(`T.assume(${describeExpr(args[0]!)}) does not hold${where}`);
        }
        return 1;
      };
    }
    case "ret": {
      const v = compile(args[0]!);
      return (f: Frame) => {
        throw new ReturnSignal(v(f));
      };
    }
    case "undef":
      // Any value is a correct value of T.undef().
      return lanes === 1 ? () => 0 : () => new Array<number>(lanes).fill(0);
    case "call_extern":
    case "call_pure_extern": {
      const fn = args[0]?.kind === "StringImm" ? (args[0] as StringImm).value : describeExpr(args[0]!);
      return thrower(ctx, `cannot run extern function ${fn} in the interpreter`);
    }
    case "reinterpret": {
      const from = args[0]!.dtype;
      const g = reinterpretFn(from, e.dtype);
      if (!g) throw ctx.error(`T.reinterpret from ${from} to ${e.dtype} is not supported by the interpreter (no byte layout)`);
      const a = compile(args[0]!);
      const inV = from.lanes > 1, outV = lanes > 1;
      return (f) => {
        const x = a(f);
        const r = g(inV ? (x as number[]) : [x as number]);
        return outV ? r : r[0]!;
      };
    }
    default:
      break;
  }

  const fu = floatUnary[short];
  const fb = floatBinary[short];
  if (fu || fb || short === "nextafter") {
    const at = args[0]!.dtype;
    if (!at.isFloat()) throw ctx.error(`${op.name} expects float arguments, got ${at} in ${describeExpr(e)}`);
    const norm = normalizer(e.dtype);
    if (fu) return lift1(compile(args[0]!), lanes, (x) => norm(fu(x)));
    const g = fb ?? nextafterFn(at);
    return lift2(compile(args[0]!), compile(args[1]!), lanes, (x, y) => norm(g(x, y)));
  }
  switch (short) {
    case "fabs": {
      const norm = normalizer(e.dtype);
      return lift1(compile(args[0]!), lanes, (x) => norm(Math.abs(x)));
    }
    case "isnan":
      return lift1(compile(args[0]!), lanes, (x) => (x !== x ? 1 : 0));
    case "isinf":
      return lift1(compile(args[0]!), lanes, (x) => (x === Infinity || x === -Infinity ? 1 : 0));
    case "isfinite":
      return lift1(compile(args[0]!), lanes, (x) => (Number.isFinite(x) ? 1 : 0));
    case "popcount":
    case "clz": {
      const at = args[0]!.dtype;
      requireInt(ctx, e, at);
      const norm = normalizer(e.dtype);
      const bits = at.isBool() ? 1 : at.bits;
      const g = short === "popcount" ? popcount : clz;
      return lift1(compile(args[0]!), lanes, (x) => norm(g(x, bits)));
    }
    default:
      break;
  }
  if (/^(bitwise_(and|or|xor|not)|shift_(left|right))$/.test(short)) {
    const at = args[0]!.dtype;
    requireInt(ctx, e, at);
    const g = bitOp(ctx, e, short, at.element(), normalizer(at));
    if (g && args.length === 1) return lift1(compile(args[0]!), lanes, g as Unary);
    if (g) return lift2(compile(args[0]!), compile(args[1]!), lanes, g as Binary);
  }
  return thrower(ctx, `operator ${op.name} is not supported by the interpreter (in ${describeExpr(e)})`);
}
