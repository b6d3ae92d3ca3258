/**
 * constIntBound and modularSet on each operator, at the edges: negative ranges, divisors
 * that may be negative, dtype limits, infinities, casts.
 */
import { describe, expect, test } from "vitest";
import { Analyzer } from "../../src/arith/analyzer.js";
import { boundFloorDiv, boundFloorMod, boundMul, boundTruncDiv, boundTruncMod } from "../../src/arith/const_int_bound.js";
import { modularDivisible, modularUnion } from "../../src/arith/modular_set.js";
import { bool, int32, int64, int8, uint8 } from "../../src/ir/dtype.js";
import {
  Add, Cast, Div, FloorDiv, FloorMod, IntImm, LT, Max, Min, Mod, Mul, Range, Select, SizeVar, Sub, Var, type PrimExpr,
} from "../../src/ir/expr.js";

const I = (v: number) => new IntImm(int32, v);
const B = (min: number, max: number) => ({ min, max });

function setup() {
  const a = new Analyzer();
  const p = new Var("p"), q = new Var("q"), r = new Var("r"), x = new Var("x");
  a.bind(p, new Range(I(0), I(10))); // [0, 9]
  a.bind(q, new Range(I(-4), I(9))); // [-4, 4]
  a.bind(r, new Range(I(1), I(8))); // [1, 8]
  return { a, p, q, r, x };
}

describe("constIntBound", () => {
  const { a, p, q, r, x } = setup();
  const bound = (e: PrimExpr) => a.constIntBound(e);

  test("constants, variables, dtype limits", () => {
    expect(bound(I(-3))).toEqual(B(-3, -3));
    expect(bound(p)).toEqual(B(0, 9));
    expect(bound(x)).toEqual(B(-(2 ** 31), 2 ** 31 - 1));
    expect(bound(new Var("w", int64))).toEqual(B(-Infinity, Infinity));
    expect(bound(new SizeVar("n"))).toEqual(B(0, 2 ** 31 - 1));
    expect(bound(new Var("u", uint8))).toEqual(B(0, 255));
    expect(bound(new LT(p, q))).toEqual(B(0, 1));
  });

  test("add, sub, mul", () => {
    expect(bound(new Add(p, q))).toEqual(B(-4, 13));
    expect(bound(new Sub(p, q))).toEqual(B(-4, 13));
    expect(bound(new Mul(q, q))).toEqual(B(-16, 16));
    expect(bound(new Mul(p, I(-3)))).toEqual(B(-27, 0));
    expect(bound(new Add(new Var("w", int64), new IntImm(int64, 1)))).toEqual(B(-Infinity, Infinity));
  });

  test("flooring and truncating division by constants of either sign", () => {
    expect(bound(new FloorDiv(q, I(3)))).toEqual(B(-2, 1));
    expect(bound(new Div(q, I(3)))).toEqual(B(-1, 1));
    expect(bound(new FloorDiv(q, I(-3)))).toEqual(B(-2, 1));
    expect(bound(new Div(q, I(-3)))).toEqual(B(-1, 1));
    expect(bound(new FloorMod(q, I(3)))).toEqual(B(0, 2));
    expect(bound(new FloorMod(q, I(-3)))).toEqual(B(-2, 0));
    expect(bound(new Mod(q, I(3)))).toEqual(B(-2, 2));
    expect(bound(new Mod(p, I(3)))).toEqual(B(0, 2));
    expect(bound(new FloorMod(p, I(16)))).toEqual(B(0, 9));
    // One period only: the remainder is a shifted copy.
    expect(bound(new FloorMod(new Add(p, I(17)), I(32)))).toEqual(B(17, 26));
  });

  test("division by variables: zero is excluded, straddling divisors bound by magnitude", () => {
    expect(bound(new FloorDiv(p, r))).toEqual(B(0, 9));
    expect(bound(new FloorDiv(q, q))).toEqual(B(-4, 4));
    expect(bound(new FloorMod(p, r))).toEqual(B(0, 7));
    expect(bound(new Mod(q, r))).toEqual(B(-4, 4));
    expect(bound(new FloorDiv(x, r))).toEqual(B(-(2 ** 31), 2 ** 31 - 1));
  });

  test("min, max, select, casts", () => {
    expect(bound(new Min(p, q))).toEqual(B(-4, 4));
    expect(bound(new Max(p, q))).toEqual(B(0, 9));
    expect(bound(new Select(new LT(p, q), p, I(100)))).toEqual(B(0, 100));
    expect(bound(new Cast(int8, new Mul(p, I(20))))).toEqual(B(-128, 127));
    expect(bound(new Cast(int8, p))).toEqual(B(0, 9));
    expect(bound(new Cast(bool, x))).toEqual(B(0, 1));
  });

  test("interval helpers treat 0 * infinity as 0 and stay sound on infinities", () => {
    expect(boundMul(B(0, 0), B(-Infinity, Infinity))).toEqual(B(0, 0));
    expect(boundFloorDiv(B(1, Infinity), B(2, 2))).toEqual(B(0, Infinity));
    expect(boundTruncDiv(B(-Infinity, -1), B(2, 2))).toEqual(B(-Infinity, 0));
    expect(boundFloorMod(B(-Infinity, Infinity), B(8, 8))).toEqual(B(0, 7));
    expect(boundTruncMod(B(-Infinity, 5), B(8, 8))).toEqual(B(-7, 5));
    expect(boundFloorDiv(B(3, 9), B(0, 0))).toEqual(B(-Infinity, Infinity));
  });
});

describe("modularSet", () => {
  const { a, p, q, x } = setup();
  const mod = (e: PrimExpr) => a.modularSet(e);

  test("constants and unknowns", () => {
    expect(mod(I(7))).toEqual({ coeff: 0, base: 7 });
    expect(mod(x)).toEqual({ coeff: 1, base: 0 });
  });

  test("through + - *", () => {
    expect(mod(new Add(new Mul(x, I(8)), I(3)))).toEqual({ coeff: 8, base: 3 });
    expect(mod(new Sub(new Mul(x, I(8)), I(3)))).toEqual({ coeff: 8, base: 5 });
    expect(mod(new Add(new Mul(x, I(8)), new Mul(p, I(12))))).toEqual({ coeff: 4, base: 0 });
    expect(mod(new Mul(new Add(new Mul(x, I(4)), I(2)), new Add(new Mul(q, I(6)), I(3))))).toEqual({ coeff: 12, base: 6 });
  });

  test("floordiv when exact, floormod always", () => {
    expect(mod(new FloorDiv(new Add(new Mul(x, I(8)), I(4)), I(4)))).toEqual({ coeff: 2, base: 1 });
    expect(mod(new FloorDiv(new Add(new Mul(x, I(8)), I(4)), I(3)))).toEqual({ coeff: 1, base: 0 });
    expect(mod(new FloorMod(new Add(new Mul(x, I(8)), I(5)), I(4)))).toEqual({ coeff: 0, base: 1 });
    expect(mod(new FloorMod(new Add(new Mul(x, I(6)), I(5)), I(4)))).toEqual({ coeff: 2, base: 1 });
  });

  test("truncating division and modulo need a known sign unless the value is a multiple", () => {
    expect(mod(new Div(new Mul(x, I(8)), I(4)))).toEqual({ coeff: 2, base: 0 });
    expect(mod(new Div(new Add(new Mul(x, I(8)), I(4)), I(8)))).toEqual({ coeff: 1, base: 0 });
    expect(mod(new Div(new Add(new Mul(p, I(8)), I(4)), I(4)))).toEqual({ coeff: 2, base: 1 });
    expect(mod(new Mod(new Add(new Mul(x, I(8)), I(5)), I(4)))).toEqual({ coeff: 4, base: 1 });
    expect(mod(new Mod(new Add(new Mul(p, I(8)), I(5)), I(4)))).toEqual({ coeff: 0, base: 1 });
  });

  test("min, max and select unite their operands", () => {
    expect(mod(new Min(new Mul(x, I(8)), new Add(new Mul(x, I(4)), I(12))))).toEqual({ coeff: 4, base: 0 });
    expect(mod(new Select(new LT(x, I(0)), I(3), I(7)))).toEqual({ coeff: 4, base: 3 });
    expect(modularUnion({ coeff: 0, base: 5 }, { coeff: 0, base: 5 })).toEqual({ coeff: 0, base: 5 });
    expect(modularDivisible(mod(new Add(new Mul(x, I(8)), I(4))), 4)).toBe(true);
    expect(modularDivisible(mod(new Add(new Mul(x, I(8)), I(4))), 8)).toBe(false);
  });

  test("casts keep congruences only when they cannot wrap", () => {
    expect(mod(new Cast(int64, new Mul(p, I(4))))).toEqual({ coeff: 4, base: 0 });
    expect(mod(new Cast(int8, new Mul(x, I(4))))).toEqual({ coeff: 1, base: 0 });
  });
});

describe("wrapping integer types", () => {
  test("uint and narrow ints fall back to their type's range when arithmetic may wrap", () => {
    const a = new Analyzer();
    const u = new Var("u", uint8), s8 = new Var("s", int8);
    const U = (v: number) => new IntImm(uint8, v);
    expect(a.constIntBound(new Add(u, U(200)))).toEqual(B(0, 255));
    expect(a.constIntBound(new Sub(u, u))).toEqual(B(0, 255));
    expect(a.constIntBound(new FloorMod(u, U(16)))).toEqual(B(0, 15));
    expect(a.constIntBound(new Add(s8, new IntImm(int8, 1)))).toEqual(B(-128, 127));
    expect(a.modularSet(new Mul(u, U(4)))).toEqual({ coeff: 1, base: 0 });
    expect(a.modularSet(new Mul(new FloorMod(u, U(16)), U(4)))).toEqual({ coeff: 4, base: 0 });
  });

  test("their arithmetic is only constant-folded", () => {
    const a = new Analyzer();
    const u = new Var("u", uint8);
    const U = (v: number) => new IntImm(uint8, v);
    const e = new FloorDiv(new Add(new Mul(u, U(8)), U(3)), U(8));
    expect(a.simplify(e)).toBe(e);
    expect(a.simplify(new Add(U(200), U(50)))).toEqual(U(250));
    // 200 + 100 does not fit: left as it is rather than folded to a wrong constant.
    const over = new Add(U(200), U(100));
    expect(a.simplify(over)).toBe(over);
  });
});

