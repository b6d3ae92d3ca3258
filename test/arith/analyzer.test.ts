/**
 * The Analyzer as a whole: binding variables, constraints, proofs, memoization, expressions
 * that only contain index arithmetic (loads, calls, lets, vectors), and error messages.
 */
import { describe, expect, test } from "vitest";
import { Analyzer } from "../../src/arith/analyzer.js";
import { Buffer } from "../../src/ir/buffer.js";
import { bool, float32, int32, int64 } from "../../src/ir/dtype.js";
import {
  Add, And, Broadcast, BufferLoad, Call, Cast, Div, EQ, FloatImm, FloorDiv, FloorMod, GE, IntImm, LE, LT, Let, Max, Min, Mul, NE, Not,
  Ramp, Range, Select, SizeVar, Sub, Var, type PrimExpr,
} from "../../src/ir/expr.js";
import { Op } from "../../src/ir/op_registry.js";
import { structuralEqual } from "../../src/ir/structural.js";
import { expectSimplify, show } from "./helpers.js";

const I = (v: number) => new IntImm(int32, v);
const T = new IntImm(bool, 1);
const add = (a: PrimExpr, b: PrimExpr) => new Add(a, b);
const sub = (a: PrimExpr, b: PrimExpr) => new Sub(a, b);
const mul = (a: PrimExpr, b: PrimExpr) => new Mul(a, b);
const fdiv = (a: PrimExpr, b: PrimExpr) => new FloorDiv(a, b);
const fmod = (a: PrimExpr, b: PrimExpr) => new FloorMod(a, b);

describe("bind", () => {
  test("a range bounds the variable; an extent-1 range binds its value", () => {
    const a = new Analyzer();
    const i = new Var("i"), j = new Var("j"), x = new Var("x");
    a.bind(i, new Range(I(2), I(6)));
    expect(a.constIntBound(i)).toEqual({ min: 2, max: 7 });
    a.bind(j, new Range(add(x, I(1)), I(1)));
    expectSimplify(a, sub(j, x), I(1));
    expect(a.getRange(i)).toBeInstanceOf(Range);
  });

  test("binding to an expression substitutes it", () => {
    const a = new Analyzer();
    const v = new Var("v"), i = new Var("i");
    a.bind(i, Range.fromExtent(I(4)));
    a.bind(v, add(mul(i, I(8)), I(3)));
    expectSimplify(a, fdiv(v, I(8)), i);
    expectSimplify(a, fmod(v, I(8)), I(3));
    expect(a.constIntBound(v)).toEqual({ min: 3, max: 27 });
    expect(a.modularSet(v)).toEqual({ coeff: 8, base: 3 });
  });

  test("a symbolic range is bounded through its ends", () => {
    const a = new Analyzer();
    const i = new Var("i"), j = new Var("j");
    a.bind(i, Range.fromExtent(I(10)));
    a.bind(j, new Range(i, sub(I(10), i)));
    expect(a.constIntBound(j)).toEqual({ min: 0, max: 9 });
  });

  test("rebinding: the same range is fine, a different one needs allowOverride", () => {
    const a = new Analyzer();
    const i = new Var("i");
    a.bind(i, Range.fromExtent(I(8)));
    a.bind(i, Range.fromExtent(I(8)));
    expect(() => a.bind(i, Range.fromExtent(I(16)))).toThrow(/variable "i" is already bound \(to values in \[0, 7\]\).*allowOverride/);
    a.bind(i, Range.fromExtent(I(16)), true);
    expect(a.constIntBound(i)).toEqual({ min: 0, max: 15 });
  });

  test("rebinding drops memoized answers", () => {
    const a = new Analyzer();
    const i = new Var("i");
    const e = new LT(i, I(8));
    a.bind(i, Range.fromExtent(I(8)));
    expect(a.canProve(e)).toBe(true);
    a.bind(i, Range.fromExtent(I(9)), true);
    expect(a.canProve(e)).toBe(false);
    expect(show(a.simplify(e))).toBe("(i < 8)");
  });

  test("bad input gets a clear error", () => {
    const a = new Analyzer();
    const f = new Var("f", float32), x = new Var("x");
    expect(() => a.bind(f, Range.fromExtent(I(4)))).toThrow(/variable "f" is float32; only scalar integer variables can be bound/);
    expect(() => a.bind(x, add(x, I(1)))).toThrow(/variable "x" cannot be bound to an expression that uses it/);
    expect(() => a.simplify(undefined as unknown as PrimExpr)).toThrow(/Analyzer.simplify: expected a PrimExpr, got undefined/);
    expect(() => a.withConstraint(I(1), () => 0)).toThrow(/Analyzer.withConstraint: the condition must be a scalar bool expression, got int32/);
    expect(() => a.canProve(x)).toThrow(/Analyzer.canProve: expected a bool condition, got int32/);
  });
});

describe("withConstraint", () => {
  test("comparisons with constants tighten bounds while f runs, and only then", () => {
    const a = new Analyzer();
    const i = new Var("i");
    a.bind(i, Range.fromExtent(I(16)));
    const inner = a.withConstraint(new LT(i, I(8)), () => [a.constIntBound(i), show(a.simplify(fdiv(i, I(8))))]);
    expect(inner).toEqual([{ min: 0, max: 7 }, "0"]);
    expect(a.constIntBound(i)).toEqual({ min: 0, max: 15 });
    expect(show(a.simplify(fdiv(i, I(8))))).toBe("floordiv(i, 8)");
  });

  test("conjunctions, >=, == and scaled variables", () => {
    const a = new Analyzer();
    const x = new Var("x"), y = new Var("y");
    a.withConstraint(new And(new GE(x, I(3)), new LE(mul(x, I(4)), I(30))), () => {
      expect(a.constIntBound(x)).toEqual({ min: 3, max: 7 });
    });
    a.withConstraint(new EQ(y, I(5)), () => {
      expectSimplify(a, add(y, I(1)), add(y, I(1)));
      expect(a.constIntBound(y)).toEqual({ min: 5, max: 5 });
      expect(a.canProve(new EQ(mul(y, I(2)), I(10)))).toBe(true);
    });
  });

  test("relations between variables and general facts", () => {
    const a = new Analyzer();
    const i = new Var("i"), n = new Var("n"), b = new Var("b", bool);
    a.withConstraint(new LT(i, n), () => {
      expect(a.canProve(new LT(i, n))).toBe(true);
      expect(a.canProve(new LE(add(i, I(1)), n))).toBe(true);
      expect(a.canProve(new GE(sub(n, i), I(1)))).toBe(true);
      expectSimplify(a, new Min(i, n), i);
    });
    a.withConstraint(new And(b, new NE(i, I(0))), () => {
      expect(a.canProve(b)).toBe(true);
      expectSimplify(a, new Select(b, i, n), i);
      expect(a.canProve(new NE(i, I(0)))).toBe(true);
      expect(a.canProve(new Not(new EQ(i, I(0))))).toBe(true);
    });
    expect(a.canProve(b)).toBe(false);
  });

  test("floormod(x, c) == r makes x congruent to r", () => {
    const a = new Analyzer();
    const x = new Var("x");
    a.withConstraint(new EQ(fmod(x, I(4)), I(1)), () => {
      expect(a.modularSet(x)).toEqual({ coeff: 4, base: 1 });
      expectSimplify(a, fmod(add(x, I(3)), I(4)), I(0));
    });
    expect(a.modularSet(x)).toEqual({ coeff: 1, base: 0 });
  });

  test("nesting restores each level, and the result of f is returned", () => {
    const a = new Analyzer();
    const x = new Var("x");
    const r = a.withConstraint(new LT(x, I(10)), () => {
      const inner = a.withConstraint(new LT(I(4), x), () => a.constIntBound(x));
      return [inner, a.constIntBound(x)];
    });
    expect(r).toEqual([{ min: 5, max: 9 }, { min: -(2 ** 31), max: 9 }]);
  });

  test("a bind inside a constraint scope outlives it", () => {
    const a = new Analyzer();
    const x = new Var("x"), i = new Var("i");
    a.withConstraint(new LT(x, I(10)), () => a.bind(i, Range.fromExtent(I(4))));
    expect(a.constIntBound(i)).toEqual({ min: 0, max: 3 });
  });
});

describe("branches", () => {
  test("each branch of if_then_else is simplified under its condition", () => {
    const a = new Analyzer();
    const i = new Var("i"), x = new Var("x");
    a.bind(i, Range.fromExtent(I(8)));
    const ite = (c: PrimExpr, t: PrimExpr, f: PrimExpr) => new Call(int32, Op.get("tir.if_then_else"), [c, t, f]);
    expectSimplify(a, ite(new LT(x, I(0)), new Max(x, I(0)), new Min(x, I(-1))), ite(new LT(x, I(0)), I(0), I(-1)));
    expectSimplify(a, ite(new LT(i, I(4)), add(new Min(i, I(3)), I(1)), mul(new Max(i, I(4)), I(2))), ite(new LT(i, I(4)), add(i, I(1)), mul(i, I(2))));
    // The condition is not assumed outside its branch.
    expect(show(a.simplify(add(ite(new LT(x, I(0)), x, I(0)), new Max(x, I(0)))))).toBe("(tir.if_then_else((x < 0), x, 0) + max(x, 0))");
  });

  test("select evaluates both branches, so they are not simplified under its condition", () => {
    const a = new Analyzer();
    const y = new Var("y"), x = new Var("x");
    // Assuming y == 1 in the false branch would make it divide by floordiv(1, 2) = 0.
    const e = new Select(new NE(y, I(1)), I(1), new Div(x, fdiv(y, I(2))));
    expect(show(a.simplify(e))).toBe("select((y != 1), 1, truncdiv(x, floordiv(y, 2)))");
  });
});

describe("proofs", () => {
  const a = new Analyzer();
  const i = new Var("i"), j = new Var("j"), x = new Var("x"), y = new Var("y");
  a.bind(i, Range.fromExtent(I(8)));
  a.bind(j, Range.fromExtent(I(16)));

  test("comparisons decided by bounds", () => {
    expect(a.canProve(new LT(add(mul(i, I(16)), j), I(128)))).toBe(true);
    expect(a.canProve(new LT(add(mul(i, I(16)), j), I(127)))).toBe(false);
    expect(a.canProve(new GE(sub(x, x), I(0)))).toBe(true);
    expect(a.canProve(new LE(x, add(x, I(1))))).toBe(true);
    expect(a.canProve(new LT(x, y))).toBe(false);
    const b = new Analyzer();
    const p = new Var("p"), q = new Var("q");
    b.bind(p, new Range(I(5), I(5)));
    b.bind(q, Range.fromExtent(I(5)));
    expect(b.canProve(new GE(sub(p, q), I(0)))).toBe(true);
    expect(b.canProve(new GE(sub(p, q), I(1)))).toBe(true);
    expect(b.canProve(new GE(sub(p, q), I(2)))).toBe(false);
  });
  test("helpers", () => {
    expect(a.canProveGreaterEqual(sub(add(i, I(2)), i), 2)).toBe(true);
    expect(a.canProveGreaterEqual(i, 1)).toBe(false);
    expect(a.canProveLess(add(mul(i, I(16)), j), 128)).toBe(true);
    expect(a.canProveEqual(fdiv(add(mul(i, I(16)), j), I(16)), i)).toBe(true);
    expect(a.canProveEqual(add(x, y), add(y, x))).toBe(true);
    expect(a.canProveEqual(x, y)).toBe(false);
  });
});

describe("expressions around index arithmetic", () => {
  const a = new Analyzer();
  const i = new Var("i"), j = new Var("j");
  a.bind(i, Range.fromExtent(I(8)));
  a.bind(j, Range.fromExtent(I(16)));
  const fused = add(mul(i, I(16)), j);

  test("buffer indices and call arguments are simplified; float values are left alone", () => {
    const A = new Buffer("A", float32, [I(8), I(16)]);
    const load = new BufferLoad(A, [fdiv(fused, I(16)), fmod(fused, I(16))]);
    expectSimplify(a, load, new BufferLoad(A, [i, j]));
    const f = new Add(load, new FloatImm(float32, 0));
    expectSimplify(a, f, new Add(new BufferLoad(A, [i, j]), new FloatImm(float32, 0)));
    const call = new Call(float32, Op.get("tir.exp"), [new Cast(float32, fdiv(fused, I(16)))]);
    expectSimplify(a, call, new Call(float32, Op.get("tir.exp"), [new Cast(float32, i)]));
  });

  test("if_then_else with a decided condition picks its branch", () => {
    const ite = new Call(int32, Op.get("tir.if_then_else"), [new LT(i, I(8)), j, I(0)]);
    expectSimplify(a, ite, j);
  });

  test("let: simple values are inlined, others keep the let with a simplified body", () => {
    const v = new Var("v");
    expectSimplify(a, new Let(v, I(3), add(v, I(1))), I(4));
    const w = new Var("w");
    const kept = new Let(w, mul(i, j), add(sub(w, i), i));
    expectSimplify(a, kept, new Let(w, mul(i, j), w));
    expect(a.constIntBound(new Let(w, add(i, I(1)), mul(w, I(2))))).toEqual({ min: 2, max: 16 });
  });

  test("vectors: ramp index arithmetic folds lane-wise", () => {
    const lanes = new Ramp(mul(i, I(4)), I(1), 4);
    const four = new Broadcast(I(4), 4);
    expectSimplify(a, new FloorDiv(lanes, four), new Broadcast(i, 4));
    expectSimplify(a, new FloorMod(lanes, four), new Ramp(I(0), I(1), 4));
    // A ramp that crosses a bucket boundary stays a vector division.
    const shifted = new Ramp(add(mul(i, I(4)), I(2)), I(1), 4);
    expect(show(a.simplify(new FloorDiv(shifted, four)))).toBe("floordiv(ramp(((i * 4) + 2), 1, 4), broadcast(4, 4))");
  });

  test("casts of constants fold; casts that cannot wrap keep integer bounds", () => {
    expectSimplify(a, new Cast(int64, I(7)), new IntImm(int64, 7));
    expectSimplify(a, new Cast(int32, new FloatImm(float32, 2.75)), I(2));
    expect(a.constIntBound(new Cast(int64, fused))).toEqual({ min: 0, max: 127 });
    // int64 -> int32 may wrap: only the target's range is known.
    expect(a.constIntBound(new Cast(int32, new Var("z", int64)))).toEqual({ min: -(2 ** 31), max: 2 ** 31 - 1 });
  });

  test("max/min of provably ordered values", () => {
    expectSimplify(a, new Max(i, add(i, I(3))), add(i, I(3)));
    expectSimplify(a, new Min(fused, I(200)), fused);
    expectSimplify(a, new Select(new LT(fused, I(128)), i, j), i);
  });
});

describe("memoization", () => {
  test("the same node is simplified once; repeated answers are the same object", () => {
    const a = new Analyzer();
    const i = new Var("i");
    a.bind(i, Range.fromExtent(I(8)));
    const e = fdiv(add(mul(i, I(16)), I(3)), I(16));
    const r1 = a.simplify(e);
    expect(a.simplify(e)).toBe(r1);
    expect(a.simplify(r1)).toBe(r1);
    expect(structuralEqual(r1, i)).toBe(true);
  });
  test("an already simplified expression comes back as the same object", () => {
    const a = new Analyzer();
    const x = new Var("x"), y = new Var("y");
    const e = add(mul(x, I(4)), y);
    expect(a.simplify(e)).toBe(e);
    expect(a.canonicalSimplify(e)).toBe(e);
  });
  test("constraint scopes do not leak memoized answers", () => {
    const a = new Analyzer();
    const x = new Var("x");
    const e = new Min(x, I(10));
    expect(show(a.simplify(e))).toBe("min(x, 10)");
    a.withConstraint(new LT(x, I(5)), () => expect(show(a.simplify(e))).toBe("x"));
    expect(show(a.simplify(e))).toBe("min(x, 10)");
  });
});

test("T.true stays true", () => {
  expect(new Analyzer().canProve(T)).toBe(true);
  const n = new SizeVar("n");
  expect(new Analyzer().canProve(new GE(n, I(0)))).toBe(true);
});
