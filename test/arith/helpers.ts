/**
 * Test helpers for the arithmetic analyzer: a compact expression printer (so failures read
 * as `floordiv(i*16 + j, 16)` rather than `<FloorDiv>`), a structural-equality assertion on
 * simplification results, and an exact evaluator with TIR semantics for property tests.
 */
import { expect } from "vitest";
import type {
  BinaryOp, Broadcast, Call, Cast, FloatImm, IntImm, Let, Not, PrimExpr, Ramp, Select, Var,
} from "../../src/ir/expr.js";
import { structuralEqual } from "../../src/ir/structural.js";
import type { Analyzer } from "../../src/arith/analyzer.js";

const infix: Record<string, string> = {
  Add: "+", Sub: "-", Mul: "*", EQ: "==", NE: "!=", LT: "<", LE: "<=", GT: ">", GE: ">=", And: "&&", Or: "||",
};
const fn: Record<string, string> = {
  Div: "truncdiv", Mod: "truncmod", FloorDiv: "floordiv", FloorMod: "floormod", Min: "min", Max: "max",
};

export function show(e: PrimExpr): string {
  switch (e.kind) {
    case "IntImm":
      return e.dtype.isBool() ? ((e as IntImm).value ? "true" : "false") : String((e as IntImm).value);
    case "FloatImm":
      return `${(e as FloatImm).value}f`;
    case "Var":
    case "SizeVar":
      return (e as Var).name;
    case "Not":
      return `!(${show((e as Not).a)})`;
    case "Select": {
      const s = e as Select;
      return `select(${show(s.condition)}, ${show(s.trueValue)}, ${show(s.falseValue)})`;
    }
    case "Cast":
      return `${e.dtype}(${show((e as Cast).value)})`;
    case "Ramp":
      return `ramp(${show((e as Ramp).base)}, ${show((e as Ramp).stride)}, ${(e as Ramp).lanes})`;
    case "Broadcast":
      return `broadcast(${show((e as Broadcast).value)}, ${(e as Broadcast).lanes})`;
    case "Let": {
      const l = e as Let;
      return `let ${l.variable.name} = ${show(l.value)} in ${show(l.body)}`;
    }
    case "Call": {
      const c = e as Call;
      return `${c.op.kind === "Op" ? c.op.name : c.op.name}(${c.args.map(show).join(", ")})`;
    }
    default: {
      const b = e as BinaryOp;
      if (infix[e.kind]) return `(${show(b.a)} ${infix[e.kind]} ${show(b.b)})`;
      if (fn[e.kind]) return `${fn[e.kind]}(${show(b.a)}, ${show(b.b)})`;
      return `<${e.kind}>`;
    }
  }
}

/** Asserts that `a.simplify(input)` is structurally equal to `expected`. */
export function expectSimplify(a: Analyzer, input: PrimExpr, expected: PrimExpr): void {
  const got = a.simplify(input);
  if (!structuralEqual(got, expected)) {
    expect.fail(`simplify(${show(input)})\n  got      ${show(got)}\n  expected ${show(expected)}`);
  }
}

export class DivByZero extends Error {}

const fdiv = (a: number, b: number) => Math.floor(a / b);

/** Evaluates an integer/bool expression exactly; throws DivByZero on division by zero. */
export function evaluate(e: PrimExpr, env: Map<Var, number>): number {
  const ev = (x: PrimExpr) => evaluate(x, env);
  switch (e.kind) {
    case "IntImm":
      return (e as IntImm).value;
    case "Var":
    case "SizeVar": {
      const v = env.get(e as Var);
      if (v === undefined) throw new Error(`evaluate: unbound variable ${(e as Var).name}`);
      return v;
    }
    case "Not":
      return ev((e as Not).a) ? 0 : 1;
    case "Select": {
      // TIR's select evaluates both branches.
      const s = e as Select;
      const c = ev(s.condition), t = ev(s.trueValue), f = ev(s.falseValue);
      return c ? t : f;
    }
    case "Cast":
      return ev((e as Cast).value);
    case "Call": {
      // if_then_else evaluates only the branch it takes.
      const c = e as Call;
      if (c.op.kind !== "Op" || c.op.name !== "tir.if_then_else") throw new Error(`evaluate: unsupported call ${c.op.name}`);
      return ev(c.args[0]!) ? ev(c.args[1]!) : ev(c.args[2]!);
    }
    default: {
      const b = e as BinaryOp;
      const x = ev(b.a), y = ev(b.b);
      switch (e.kind) {
        case "Add": return x + y;
        case "Sub": return x - y;
        case "Mul": return x * y;
        case "FloorDiv": if (y === 0) throw new DivByZero(); return fdiv(x, y);
        case "FloorMod": if (y === 0) throw new DivByZero(); return x - fdiv(x, y) * y;
        case "Div": if (y === 0) throw new DivByZero(); return Math.trunc(x / y) + 0;
        case "Mod": if (y === 0) throw new DivByZero(); return (x % y) + 0;
        case "Min": return Math.min(x, y);
        case "Max": return Math.max(x, y);
        case "EQ": return x === y ? 1 : 0;
        case "NE": return x !== y ? 1 : 0;
        case "LT": return x < y ? 1 : 0;
        case "LE": return x <= y ? 1 : 0;
        case "GT": return x > y ? 1 : 0;
        case "GE": return x >= y ? 1 : 0;
        case "And": return x && y ? 1 : 0;
        case "Or": return x || y ? 1 : 0;
        default: throw new Error(`evaluate: unsupported node ${e.kind}`);
      }
    }
  }
}
