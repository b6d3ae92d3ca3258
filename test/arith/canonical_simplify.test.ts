/**
 * The canonical simplifier on the index arithmetic schedule primitives produce (split, fuse,
 * reorder, compute_at, cache_read), and the shape of its output: `i0*32 + i1`, constants
 * last, `x - 1` rather than `x + -1`.
 */
import { describe, expect, test } from "vitest";
import { Analyzer } from "../../src/arith/analyzer.js";
import { int32, int64 } from "../../src/ir/dtype.js";
import {
  Add, Cast, Div, FloorDiv, FloorMod, IntImm, LT, Min, Mod, Mul, Range, SizeVar, Sub, Var, type PrimExpr,
} from "../../src/ir/expr.js";
import { expectSimplify, show } from "./helpers.js";

const I = (v: number) => new IntImm(int32, v);
const add = (a: PrimExpr, b: PrimExpr) => new Add(a, b);
const sub = (a: PrimExpr, b: PrimExpr) => new Sub(a, b);
const mul = (a: PrimExpr, b: PrimExpr) => new Mul(a, b);
const fdiv = (a: PrimExpr, b: PrimExpr) => new FloorDiv(a, b);
const fmod = (a: PrimExpr, b: PrimExpr) => new FloorMod(a, b);

function loops(...extents: [string, number][]): { a: Analyzer; v: Var[] } {
  const a = new Analyzer();
  const v = extents.map(([name, ext]) => {
    const x = new Var(name);
    a.bind(x, Range.fromExtent(I(ext)));
    return x;
  });
  return { a, v };
}

describe("linear forms", () => {
  const { a, v } = loops(["i_0", 4], ["i_1", 32]);
  const [i0, i1] = v as [Var, Var];
  const [x, y, z] = ["x", "y", "z"].map((n) => new Var(n)) as [Var, Var, Var];

  test("cancellation: (i_0*32 + i_1) - i_0*32 -> i_1", () => {
    expectSimplify(a, sub(add(mul(i0, I(32)), i1), mul(i0, I(32))), i1);
  });
  test("like terms collect across nesting", () => {
    expectSimplify(a, sub(add(mul(x, I(3)), y), add(x, mul(y, I(2)))), sub(mul(x, I(2)), y));
    expectSimplify(a, add(add(x, y), sub(z, add(y, x))), z);
  });
  test("outer loop first: i_1 + i_0*32 -> i_0*32 + i_1", () => {
    expectSimplify(a, add(i1, mul(i0, I(32))), add(mul(i0, I(32)), i1));
  });
  test("constants last and subtracted: x + -1 -> x - 1, 3 + x -> x + 3", () => {
    expectSimplify(a, add(x, I(-1)), sub(x, I(1)));
    expectSimplify(a, add(add(I(3), x), I(-7)), sub(x, I(4)));
    expectSimplify(a, add(I(3), x), add(x, I(3)));
  });
  test("negative-only sums start from the constant or zero", () => {
    expectSimplify(a, sub(I(3), add(x, y)), sub(sub(I(3), x), y));
    expectSimplify(a, sub(I(0), add(x, I(2))), sub(I(-2), x));
    expectSimplify(a, sub(I(0), x), sub(I(0), x));
  });
  test("distribution of constants: (x + y)*4 -> x*4 + y*4", () => {
    expectSimplify(a, mul(add(x, y), I(4)), add(mul(x, I(4)), mul(y, I(4))));
  });
  test("products of variables are atoms that keep their scale outside", () => {
    expectSimplify(a, mul(mul(x, I(2)), mul(y, I(3))), mul(mul(x, y), I(6)));
    expectSimplify(a, sub(mul(x, y), mul(x, y)), I(0));
  });
});

describe("split and fuse", () => {
  test("split then fuse collapses: floordiv(x, 8)*8 + floormod(x, 8) -> x", () => {
    const x = new Var("x");
    const a = new Analyzer();
    expectSimplify(a, add(mul(fdiv(x, I(8)), I(8)), fmod(x, I(8))), x);
    // Three levels, written in any order.
    const e = add(add(fmod(x, I(4)), mul(fdiv(x, I(16)), I(16))), mul(fdiv(fmod(x, I(16)), I(4)), I(4)));
    expectSimplify(a, e, x);
  });
  test("fuse then split recovers the loops: floordiv(i*16 + j, 16) -> i, floormod(...) -> j", () => {
    const { a, v } = loops(["i", 8], ["j", 16]);
    const [i, j] = v as [Var, Var];
    const fused = add(mul(i, I(16)), j);
    expectSimplify(a, fdiv(fused, I(16)), i);
    expectSimplify(a, fmod(fused, I(16)), j);
  });
  test("a three-level split index: floordiv(i0*64 + i1*8 + i2, 8) -> i0*8 + i1", () => {
    const { a, v } = loops(["i0", 4], ["i1", 8], ["i2", 8]);
    const [i0, i1, i2] = v as [Var, Var, Var];
    const idx = add(add(mul(i0, I(64)), mul(i1, I(8))), i2);
    expectSimplify(a, fdiv(idx, I(8)), add(mul(i0, I(8)), i1));
    expectSimplify(a, fmod(idx, I(8)), i2);
    expectSimplify(a, fmod(fdiv(idx, I(8)), I(8)), i1);
    expectSimplify(a, fdiv(idx, I(64)), i0);
  });
  test("splitting by a factor that does not divide the inner extent keeps the remainder", () => {
    const { a, v } = loops(["j", 16], ["k", 4]);
    const [j, k] = v as [Var, Var];
    // j*4 + k with 0 <= k < 4: dividing by 8 only sees j.
    expectSimplify(a, fdiv(add(mul(j, I(4)), k), I(8)), fdiv(j, I(2)));
    expectSimplify(a, fmod(add(mul(j, I(4)), k), I(8)), add(mul(fmod(j, I(2)), I(4)), k));
  });
  test("nested division and modulo compose", () => {
    const x = new Var("x");
    const a = new Analyzer();
    expectSimplify(a, fdiv(fdiv(x, I(4)), I(8)), fdiv(x, I(32)));
    expectSimplify(a, fmod(fdiv(x, I(4)), I(8)), fdiv(fmod(x, I(32)), I(4)));
    expectSimplify(a, fmod(fmod(x, I(32)), I(8)), fmod(x, I(8)));
    expectSimplify(a, fdiv(fmod(x, I(32)), I(64)), I(0));
  });
  test("the mod disappears when the index already fits", () => {
    const { a, v } = loops(["i", 8], ["j", 16]);
    const [i, j] = v as [Var, Var];
    expectSimplify(a, fmod(add(mul(i, I(16)), j), I(128)), add(mul(i, I(16)), j));
    expectSimplify(a, fdiv(add(mul(i, I(16)), j), I(128)), I(0));
    expectSimplify(a, fmod(fdiv(add(mul(i, I(16)), j), I(4)), I(32)), add(mul(i, I(4)), fdiv(j, I(4))));
  });
  test("coefficients reduce modulo the divisor: floormod(x*5, 4) -> floormod(x, 4)", () => {
    const x = new Var("x");
    expectSimplify(new Analyzer(), fmod(mul(x, I(5)), I(4)), fmod(x, I(4)));
  });
  test("a constant offset across a split boundary stays exact", () => {
    const { a, v } = loops(["i", 8], ["j", 16]);
    const [i, j] = v as [Var, Var];
    // (i*16 + j + 16) / 16 = i + 1 exactly; the mod keeps j.
    expectSimplify(a, fdiv(add(add(mul(i, I(16)), j), I(16)), I(16)), add(i, I(1)));
    expectSimplify(a, fmod(add(add(mul(i, I(16)), j), I(16)), I(16)), j);
  });
});

describe("truncated division", () => {
  test("becomes flooring division only for non-negative operands", () => {
    const { a, v } = loops(["i", 8], ["j", 16]);
    const [i, j] = v as [Var, Var];
    expectSimplify(a, new Div(add(mul(i, I(16)), j), I(16)), i);
    expectSimplify(a, new Mod(add(mul(i, I(16)), j), I(16)), j);
    expectSimplify(a, new Div(j, I(4)), fdiv(j, I(4)));
    // x may be negative: C division must stay as it is.
    const x = new Var("x");
    expect(show(a.simplify(new Div(x, I(4))))).toBe("truncdiv(x, 4)");
    expect(show(a.simplify(new Mod(x, I(4))))).toBe("truncmod(x, 4)");
    expect(show(a.simplify(new Div(add(mul(x, I(16)), j), I(16))))).toBe("truncdiv(((x * 16) + j), 16)");
  });
});

describe("symbolic shapes", () => {
  test("a loop over a symbolic extent: i < n, min(i, n - 1) -> i", () => {
    const n = new SizeVar("n");
    const i = new Var("i");
    const a = new Analyzer();
    a.bind(i, new Range(I(0), n));
    expect(a.canProve(new LT(i, n))).toBe(true);
    expectSimplify(a, new Min(i, sub(n, I(1))), i);
    expect(a.canProve(new LT(i, sub(n, I(1))))).toBe(false);
  });
});

describe("int64 indices", () => {
  test("the same rules on int64 (including casts of int32 loop variables)", () => {
    const a = new Analyzer();
    const i = new Var("i", int64), j = new Var("j", int64);
    const L = (v: number) => new IntImm(int64, v);
    a.bind(i, Range.fromExtent(L(1024)));
    a.bind(j, Range.fromExtent(L(64)));
    const idx = new Add(new Mul(i, L(64)), j);
    expectSimplify(a, new FloorDiv(idx, L(64)), i);
    expectSimplify(a, new FloorMod(idx, L(64)), j);
    const k = new Var("k");
    a.bind(k, Range.fromExtent(I(8)));
    const ck = new Cast(int64, k);
    expectSimplify(a, new FloorDiv(new Add(new Mul(ck, L(8)), L(3)), L(8)), ck);
  });
  test("large int64 constants fold exactly", () => {
    const a = new Analyzer();
    const x = new Var("x", int64);
    const big = 2 ** 40;
    expectSimplify(a, new Add(new Add(x, new IntImm(int64, big)), new IntImm(int64, big)), new Add(x, new IntImm(int64, 2 * big)));
  });
});

describe("differences of split pieces", () => {
  const x = new Var("x");
  const a = new Analyzer();
  test("a value minus its high digits is its low digits", () => {
    expectSimplify(a, sub(x, mul(fdiv(x, I(4)), I(4))), fmod(x, I(4)));
    expectSimplify(a, sub(mul(fdiv(x, I(4)), I(4)), x), sub(I(0), fmod(x, I(4))));
    expectSimplify(a, sub(fdiv(x, I(2)), mul(fdiv(x, I(8)), I(4))), fdiv(fmod(x, I(8)), I(2)));
  });
  test("a value minus its low digits is its high digits", () => {
    expectSimplify(a, sub(x, fmod(x, I(4))), mul(fdiv(x, I(4)), I(4)));
    expectSimplify(a, sub(fmod(x, I(32)), fmod(x, I(8))), mul(fdiv(fmod(x, I(32)), I(8)), I(8)));
  });
  test("pieces of different indices do not combine", () => {
    const y = new Var("y");
    expectSimplify(a, sub(x, fmod(y, I(4))), sub(x, fmod(y, I(4))));
  });
});
