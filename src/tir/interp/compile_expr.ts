/**
 * Compiles a PrimExpr into a closure over the frame. Scalars evaluate to numbers (bool as 0/1),
 * vectors to arrays of lane values. The common scalar cases (int32 and float32/float64
 * +, -, *) get dedicated closures; everything else goes through the dtype's ArithKit.
 */
import type {
  BinaryOp, Broadcast, BufferLoad, Call, Cast, CmpOp, FloatImm, IntImm, Let, Not, PrimExpr, Ramp, Select, Shuffle,
  StringImm, Var, And, Or,
} from "../../ir/expr.js";
import { compileLoad } from "./buffer_access.js";
import { CompileContext, InterpreterError, describeExpr, type ExprFn, type NumFn } from "./context.js";
import { compileCall } from "./intrinsics.js";
import { castFn, kitFor, normalizer, type Binary } from "./scalar_ops.js";

export function compileExpr(ctx: CompileContext, e: PrimExpr): ExprFn {
  switch (e.kind) {
    case "IntImm": {
      const v = (e as IntImm).value;
      return () => v;
    }
    case "FloatImm": {
      // A float32 constant written as 0.1 denotes float32(0.1).
      const v = normalizer(e.dtype)((e as FloatImm).value);
      return () => v;
    }
    case "StringImm": {
      const v = (e as StringImm).value;
      return () => v;
    }
    case "Var":
    case "SizeVar": {
      const { slot, obj } = ctx.useVar(e as Var);
      return obj ? (f) => f.o[slot] : (f) => f.n[slot]!;
    }
    case "Cast":
      return compileCast(ctx, e as Cast);
    case "Add":
    case "Sub":
    case "Mul":
    case "Div":
    case "Mod":
    case "FloorDiv":
    case "FloorMod":
    case "Min":
    case "Max":
      return compileBinary(ctx, e as BinaryOp);
    case "EQ":
    case "NE":
    case "LT":
    case "LE":
    case "GT":
    case "GE":
      return compileCompare(ctx, e as CmpOp);
    case "And":
    case "Or":
      return compileLogic(ctx, e as And | Or);
    case "Not": {
      const a = compileExpr(ctx, (e as Not).a);
      if (e.dtype.lanes === 1) return (f) => (a(f) ? 0 : 1);
      return (f) => (a(f) as number[]).map((x) => (x ? 0 : 1));
    }
    case "Select":
      return compileSelect(ctx, e as Select);
    case "Ramp": {
      const r = e as Ramp;
      const kit = kitFor(r.base.dtype);
      const b = compileExpr(ctx, r.base), s = compileExpr(ctx, r.stride);
      const lanes = r.lanes;
      return (f) => {
        const base = b(f), step = s(f);
        const out = new Array<number>(lanes);
        for (let i = 0; i < lanes; i++) out[i] = kit.add(base, kit.mul(i, step));
        return out;
      };
    }
    case "Broadcast": {
      const bc = e as Broadcast;
      const v = compileExpr(ctx, bc.value);
      const lanes = bc.lanes;
      return (f) => new Array<number>(lanes).fill(v(f));
    }
    case "Shuffle":
      return compileShuffle(ctx, e as Shuffle);
    case "Let": {
      const l = e as Let;
      const value = compileExpr(ctx, l.value);
      const { slot, obj } = ctx.defineVar(l.variable);
      const body = compileExpr(ctx, l.body);
      ctx.undefineVar(l.variable);
      if (obj) {
        return (f) => {
          f.o[slot] = value(f);
          return body(f);
        };
      }
      return (f) => {
        f.n[slot] = value(f);
        return body(f);
      };
    }
    case "Call":
      return compileCall(ctx, e as Call, (x) => compileExpr(ctx, x));
    case "BufferLoad":
      return compileLoad(ctx, e as BufferLoad, (x) => compileExpr(ctx, x));
    default:
      throw ctx.error(`the interpreter cannot evaluate expressions of kind ${e.kind}`);
  }
}

/** Compiles an expression that must be a scalar (loop bounds, conditions, shapes). */
export function compileScalar(ctx: CompileContext, e: PrimExpr, what: string): NumFn {
  if (e.dtype.lanes !== 1) throw ctx.error(`${what} must be a scalar, got ${e.dtype} (${describeExpr(e)})`);
  return compileExpr(ctx, e) as NumFn;
}

function compileCast(ctx: CompileContext, c: Cast): ExprFn {
  const from = c.value.dtype;
  const a = compileExpr(ctx, c.value);
  if (from === c.dtype) return a;
  const g = castFn(from, c.dtype);
  const lanes = c.dtype.lanes;
  if (lanes === 1) {
    if (c.dtype.toString() === "float32") return (f) => Math.fround(a(f));
    return (f) => g(a(f));
  }
  return (f) => (a(f) as number[]).map(g);
}

const isDivKind = (k: string): boolean => k === "Div" || k === "Mod" || k === "FloorDiv" || k === "FloorMod";

function compileBinary(ctx: CompileContext, e: BinaryOp): ExprFn {
  const t = e.a.dtype;
  const kit = kitFor(t);
  const fa = compileExpr(ctx, e.a), fb = compileExpr(ctx, e.b);
  const opName = e.kind === "Div" ? "div" : e.kind === "Mod" ? "mod" : (e.kind.toLowerCase() as "add");
  const op: Binary = kit[opName as keyof typeof kit] as Binary;
  const lanes = t.lanes;
  const checkZero = isDivKind(e.kind) && !t.isFloat();
  const where = ctx.where();
  const divZero = (): InterpreterError => new InterpreterError(`integer division by zero in ${describeExpr(e)}${where}`);
  if (lanes === 1) {
    if (checkZero) {
      return (f) => {
        const x = fa(f), y = fb(f);
        if (y === 0) throw divZero();
        return op(x, y);
      };
    }
    const name = t.toString();
    if (name === "int32") {
      if (e.kind === "Add") return (f) => (fa(f) + fb(f)) | 0;
      if (e.kind === "Sub") return (f) => (fa(f) - fb(f)) | 0;
      if (e.kind === "Mul") return (f) => Math.imul(fa(f), fb(f));
    } else if (name === "float32") {
      if (e.kind === "Add") return (f) => Math.fround(fa(f) + fb(f));
      if (e.kind === "Sub") return (f) => Math.fround(fa(f) - fb(f));
      if (e.kind === "Mul") return (f) => Math.fround(fa(f) * fb(f));
      if (e.kind === "Div") return (f) => Math.fround(fa(f) / fb(f));
    } else if (name === "float64") {
      if (e.kind === "Add") return (f) => fa(f) + fb(f);
      if (e.kind === "Sub") return (f) => fa(f) - fb(f);
      if (e.kind === "Mul") return (f) => fa(f) * fb(f);
      if (e.kind === "Div") return (f) => fa(f) / fb(f);
    }
    return (f) => op(fa(f), fb(f));
  }
  return (f) => {
    const x = fa(f) as number[], y = fb(f) as number[];
    const out = new Array<number>(lanes);
    for (let i = 0; i < lanes; i++) {
      if (checkZero && y[i] === 0) throw divZero();
      out[i] = op(x[i]!, y[i]!);
    }
    return out;
  };
}

const comparisons: Record<string, Binary> = {
  EQ: (a, b) => (a === b ? 1 : 0),
  NE: (a, b) => (a !== b ? 1 : 0),
  LT: (a, b) => (a < b ? 1 : 0),
  LE: (a, b) => (a <= b ? 1 : 0),
  GT: (a, b) => (a > b ? 1 : 0),
  GE: (a, b) => (a >= b ? 1 : 0),
};

function compileCompare(ctx: CompileContext, e: CmpOp): ExprFn {
  const fa = compileExpr(ctx, e.a), fb = compileExpr(ctx, e.b);
  const lanes = e.a.dtype.lanes;
  if (lanes === 1) {
    switch (e.kind) {
      case "EQ":
        return (f) => (fa(f) === fb(f) ? 1 : 0);
      case "NE":
        return (f) => (fa(f) !== fb(f) ? 1 : 0);
      case "LT":
        return (f) => (fa(f) < fb(f) ? 1 : 0);
      case "LE":
        return (f) => (fa(f) <= fb(f) ? 1 : 0);
      case "GT":
        return (f) => (fa(f) > fb(f) ? 1 : 0);
      case "GE":
        return (f) => (fa(f) >= fb(f) ? 1 : 0);
    }
  }
  const op = comparisons[e.kind]!;
  return (f) => {
    const x = fa(f) as number[], y = fb(f) as number[];
    const out = new Array<number>(lanes);
    for (let i = 0; i < lanes; i++) out[i] = op(x[i]!, y[i]!);
    return out;
  };
}

function compileLogic(ctx: CompileContext, e: And | Or): ExprFn {
  const fa = compileExpr(ctx, e.a), fb = compileExpr(ctx, e.b);
  const isAnd = e.kind === "And";
  if (e.dtype.lanes === 1) {
    // Short-circuit, as C's && and || do: `i < n && A[i] > 0` must not load A[n].
    return isAnd ? (f) => (fa(f) && fb(f) ? 1 : 0) : (f) => (fa(f) || fb(f) ? 1 : 0);
  }
  return (f) => {
    const x = fa(f) as number[], y = fb(f) as number[];
    return x.map((v, i) => (isAnd ? (v && y[i] ? 1 : 0) : v || y[i] ? 1 : 0));
  };
}

function compileSelect(ctx: CompileContext, s: Select): ExprFn {
  // Select evaluates both sides (unlike if_then_else).
  const c = compileExpr(ctx, s.condition), t = compileExpr(ctx, s.trueValue), fv = compileExpr(ctx, s.falseValue);
  const lanes = s.dtype.lanes;
  if (lanes === 1) {
    return (f) => {
      const k = c(f), x = t(f), y = fv(f);
      return k ? x : y;
    };
  }
  const scalarCond = s.condition.dtype.lanes === 1;
  return (f) => {
    const k = c(f), x = t(f) as number[], y = fv(f) as number[];
    if (scalarCond) return k ? x : y;
    const m = k as number[];
    const out = new Array<number>(lanes);
    for (let i = 0; i < lanes; i++) out[i] = m[i] ? x[i]! : y[i]!;
    return out;
  };
}

function compileShuffle(ctx: CompileContext, s: Shuffle): ExprFn {
  const parts = s.vectors.map((v) => ({ fn: compileExpr(ctx, v), vec: v.dtype.lanes > 1 }));
  const total = s.vectors.reduce((n, v) => n + v.dtype.lanes, 0);
  for (const i of s.indices) {
    if (!Number.isInteger(i) || i < 0 || i >= total) {
      throw ctx.error(`Shuffle index ${i} is outside the ${total} lanes of its vectors`);
    }
  }
  const indices = [...s.indices];
  const single = indices.length === 1;
  return (f) => {
    const all: number[] = [];
    for (const p of parts) {
      const v = p.fn(f);
      if (p.vec) for (const x of v as number[]) all.push(x);
      else all.push(v as number);
    }
    const out = indices.map((i) => all[i]!);
    return single ? out[0]! : out;
  };
}
