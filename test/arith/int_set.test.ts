import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { int32, int64 } from "../../src/ir/dtype.js";
import { FloorDiv, FloorMod, IntImm, PrimExpr, Ramp, Range, SizeVar, Var } from "../../src/ir/expr.js";
import { Buffer } from "../../src/ir/buffer.js";
import * as E from "../../src/ir/expr_ops.js";
import { Analyzer } from "../../src/arith/analyzer.js";
import {
  IntSet, NEG_INF, POS_INF, evalRegion, evalSet, evalSetRange, intersect, relaxRegion, union, unionAll,
} from "../../src/arith/int_set.js";
import { constantDifference, knownEqual, knownResidue, linearForm, tidyLinear } from "../../src/arith/linear_facts.js";

const c = (v: number) => new IntImm(int32, v);
const rng = (lo: number, hi: number) => IntSet.interval(c(lo), c(hi));

/** Evaluates an integer expression with the given variable values. */
function evalInt(e: PrimExpr, env: ReadonlyMap<Var, number>): number {
  const b = e as unknown as { a: PrimExpr; b: PrimExpr };
  const A = () => evalInt(b.a, env), B = () => evalInt(b.b, env);
  switch (e.kind) {
    case "IntImm": return (e as IntImm).value;
    case "Var":
    case "SizeVar": {
      const v = env.get(e as Var);
      if (v === undefined) throw new Error(`evalInt: no value for ${(e as Var).name}`);
      return v;
    }
    case "Add": return A() + B();
    case "Sub": return A() - B();
    case "Mul": return A() * B();
    case "FloorDiv": return Math.floor(A() / B());
    case "FloorMod": { const y = B(); return A() - Math.floor(A() / y) * y; }
    case "Div": return Math.trunc(A() / B());
    case "Mod": return A() % B() || 0;
    case "Min": return Math.min(A(), B());
    case "Max": return Math.max(A(), B());
    case "LT": return A() < B() ? 1 : 0;
    case "Select": {
      const s = e as unknown as { condition: PrimExpr; trueValue: PrimExpr; falseValue: PrimExpr };
      return evalInt(s.condition, env) ? evalInt(s.trueValue, env) : evalInt(s.falseValue, env);
    }
    case "Cast": return evalInt((e as unknown as { value: PrimExpr }).value, env);
    default: throw new Error(`evalInt: unexpected ${e.kind}`);
  }
}

const bound = (s: IntSet): [number, number] => {
  const lo = s.min === NEG_INF ? -Infinity : evalInt(s.min, new Map());
  const hi = s.max === POS_INF ? Infinity : evalInt(s.max, new Map());
  return [lo, hi];
};

describe("IntSet constructors and predicates", () => {
  it("builds points, intervals, ranges, everything and nothing", () => {
    const x = new Var("x");
    expect(IntSet.single(x).isSinglePoint()).toBe(true);
    expect(IntSet.single(x).min).toBe(x);
    expect(bound(IntSet.fromRange(new Range(c(2), c(5))))).toEqual([2, 6]);
    expect(IntSet.fromRange(new Range(x, c(1))).min).toBe(x);
    expect(IntSet.everything().isEverything()).toBe(true);
    expect(IntSet.everything().hasLowerBound()).toBe(false);
    expect(IntSet.nothing().isNothing()).toBe(true);
    expect(rng(3, 2).isNothing()).toBe(true);
    expect(IntSet.fromRange(new Range(x, c(0))).isNothing()).toBe(true);
    expect(rng(2, 2).isSinglePoint()).toBe(true);
    expect(IntSet.interval(E.add(x, 1), E.add(E.add(x, 0), 1)).isSinglePoint()).toBe(true);
  });

  it("converts to ranges; unbounded sets need a cover", () => {
    const x = new Var("x");
    const s = IntSet.interval(E.mul(x, 16), E.add(E.mul(x, 16), 15));
    const r = s.toRange();
    expect(r.min).toBe(s.min);
    expect((r.extent as IntImm).value).toBe(16);
    expect(() => IntSet.everything().toRange()).toThrow(/unbounded/);
    const cov = IntSet.interval(c(4), POS_INF).coverRange(Range.fromExtent(c(10)));
    expect([(cov.min as IntImm).value, (cov.extent as IntImm).value]).toEqual([4, 6]);
    expect(IntSet.single(x).toRange().min).toBe(x);
  });

  it("unions and intersections", () => {
    expect(bound(union(rng(0, 3), rng(5, 9)))).toEqual([0, 9]);
    expect(bound(union(IntSet.nothing(), rng(5, 9)))).toEqual([5, 9]);
    expect(bound(intersect(rng(0, 6), rng(5, 9)))).toEqual([5, 6]);
    expect(intersect(rng(0, 3), rng(5, 9)).isNothing()).toBe(true);
    expect(bound(intersect(IntSet.everything(), rng(1, 2)))).toEqual([1, 2]);
    expect(bound(unionAll([rng(3, 4), rng(-2, 0), rng(7, 7)]))).toEqual([-2, 7]);
    expect(union(rng(0, 1), IntSet.everything()).isEverything()).toBe(true);
    // symbolic bounds that differ by constants are ordered exactly
    const x = new Var("x");
    const u = union(IntSet.single(x), IntSet.single(E.add(x, 2)));
    expect(u.min).toBe(x);
    expect((u.toRange().extent as IntImm).value).toBe(3);
  });
});

describe("evalSet", () => {
  const x = new Var("x"), y = new Var("y");
  const dom = new Map([[x, rng(-3, 5)], [y, rng(2, 4)]]);
  const cases: [string, PrimExpr, [number, number]][] = [
    ["x + y", E.add(x, y), [-1, 9]],
    ["x - y", E.sub(x, y), [-7, 3]],
    ["x * 3", E.mul(x, 3), [-9, 15]],
    ["x * -2", E.mul(x, -2), [-10, 6]],
    ["x * y", E.mul(x, y), [-12, 20]],
    ["floordiv(x, 2)", E.floordiv(x, 2), [-2, 2]],
    ["floordiv(x, -2)", E.floordiv(x, -2), [-3, 1]],
    ["floordiv(x, y)", E.floordiv(x, y), [-2, 2]],
    ["floormod(x, 4)", E.floormod(x, 4), [0, 3]],
    ["floormod(x, -4)", E.floormod(x, -4), [-3, 0]],
    ["floormod(y, 8)", E.floormod(y, 8), [2, 4]],
    ["truncdiv(x, 2)", E.truncdiv(x, 2), [-1, 2]],
    ["truncmod(x, 4)", E.truncmod(x, 4), [-3, 3]],
    ["truncmod(y, 3)", E.truncmod(y, 3), [0, 2]],
    ["min(x, y)", E.min(x, y), [-3, 4]],
    ["max(x, y)", E.max(x, y), [2, 5]],
    ["select(x < y, x, y * 2)", E.select(E.lt(x, y), x, E.mul(y, 2)), [-3, 8]],
    ["cast int64", E.cast(int64, x), [-3, 5]],
    ["0 - x", E.sub(0, x), [-5, 3]],
  ];
  for (const [name, e, want] of cases) {
    it(name, () => {
      expect(bound(evalSet(e, dom))).toEqual(want);
    });
  }

  it("keeps expressions without relaxed variables as they are", () => {
    const vi = new Var("vi");
    const e = E.add(E.mul(vi, 4), 1);
    const s = evalSet(e, dom);
    expect(s.min).toBe(e);
    expect(s.max).toBe(e);
  });

  it("works with symbolic bounds", () => {
    const n = new Var("n"), i = new Var("i");
    const s = evalSet(E.add(E.mul(i, 2), 1), new Map([[i, IntSet.interval(n, E.add(n, 4))]]));
    expect(knownEqual(s.min, E.add(E.mul(n, 2), 1))).toBe(true);
    expect((s.toRange().extent as IntImm).value).toBe(9);
    // floormod of something that stays within one period
    const vi = new Var("vi"), j = new Var("j");
    const m = evalSet(E.floormod(E.add(E.mul(vi, 8), j), 8), new Map([[j, rng(0, 3)]]));
    expect(bound(m)).toEqual([0, 3]);
  });

  it("relaxes a variable whose domain uses another relaxed variable", () => {
    const i = new Var("i"), j = new Var("j");
    // for i in [0, 4): for j in [i, i + 3): j * 2
    const dom2 = new Map([[i, rng(0, 3)], [j, IntSet.interval(i, E.add(i, 2))]]);
    expect(bound(evalSet(E.mul(j, 2), dom2))).toEqual([0, 10]);
  });

  it("multiplication by a symbolic value of unknown sign keeps both products", () => {
    const n = new Var("n"), i = new Var("i");
    const s = evalSet(E.mul(i, n), new Map([[i, rng(0, 3)]]));
    for (const nv of [-5, 0, 7]) {
      const env = new Map([[n, nv]]);
      const lo = evalInt(s.min, env), hi = evalInt(s.max, env);
      for (let iv = 0; iv <= 3; iv++) {
        expect(iv * nv).toBeGreaterThanOrEqual(lo);
        expect(iv * nv).toBeLessThanOrEqual(hi);
      }
    }
    const sz = new SizeVar("m");
    const t = evalSet(E.mul(i, sz), new Map([[i, rng(0, 3)]]));
    expect(knownEqual(t.max, E.mul(sz, 3))).toBe(true);
  });

  it("loads of relaxed indices are unbounded, other loads are points", () => {
    const A = new Buffer("A", int32, [c(8)]);
    const i = new Var("i"), j = new Var("j");
    const d2 = new Map([[i, rng(0, 3)]]);
    expect(evalSet(E.load(A, [i]), d2).isEverything()).toBe(true);
    const fixed = E.add(E.load(A, [j]), 1);
    expect(evalSet(fixed, d2).min).toBe(fixed);
    // a Ramp covers its lanes
    const r = evalSet(new Ramp(E.mul(i, 4), c(1), 4), d2);
    expect(bound(r)).toEqual([0, 15]);
  });

  it("rejects division by zero with a message", () => {
    const i = new Var("i");
    const d2 = new Map([[i, rng(0, 3)]]);
    expect(() => evalSet(new FloorMod(i, c(0)), d2)).toThrow(/modulo by zero/);
    expect(() => evalSet(new FloorDiv(i, c(0)), d2)).toThrow(/division by zero/);
    // an unknown divisor gives no bound
    expect(evalSet(E.floormod(i, new Var("z")), d2).isEverything()).toBe(true);
  });

  it("evalRegion / relaxRegion over loop ranges", () => {
    const vi = new Var("vi"), k = new Var("k"), j = new Var("j");
    const region = evalRegion([E.add(E.mul(vi, 16), k), j], new Map([[k, Range.fromExtent(c(16))], [j, new Range(c(2), c(3))]]));
    expect(knownEqual(region[0]!.min, E.mul(vi, 16))).toBe(true);
    expect((region[0]!.extent as IntImm).value).toBe(16);
    expect([(region[1]!.min as IntImm).value, (region[1]!.extent as IntImm).value]).toEqual([2, 3]);
    const relaxed = relaxRegion([new Range(E.mul(k, 4), c(4))], new Map([[k, Range.fromExtent(c(8))]]));
    expect([(relaxed[0]!.min as IntImm).value, (relaxed[0]!.extent as IntImm).value]).toEqual([0, 32]);
    // an unbounded dimension falls back to the shape, or throws without one
    const n = new Var("n");
    const idx = E.mul(k, n);
    expect(() => evalRegion([E.floordiv(idx, n)], new Map([[k, Range.fromExtent(c(8))]]))).toThrow(/unbounded/);
    const cov = evalRegion([E.floordiv(idx, n)], new Map([[k, Range.fromExtent(c(8))]]), new Analyzer(), [c(100)]);
    expect((cov[0]!.extent as IntImm).value).toBe(100);
    const s = evalSetRange(new Range(E.mul(k, 2), c(2)), new Map([[k, rng(0, 3)]]));
    expect(bound(s)).toEqual([0, 7]);
  });
});

describe("evalSet soundness (property)", () => {
  const x = new Var("x"), y = new Var("y"), n = new Var("n");
  type Gen = fc.Arbitrary<PrimExpr>;
  const leaf: Gen = fc.oneof(
    fc.constant(x as PrimExpr),
    fc.constant(y as PrimExpr),
    fc.constant(n as PrimExpr),
    fc.integer({ min: -6, max: 6 }).map((v) => c(v) as PrimExpr),
  );
  const nonZero = fc.integer({ min: -5, max: 5 }).filter((v) => v !== 0);
  const { expr } = fc.letrec<{ expr: PrimExpr }>((tie) => ({
    expr: fc.oneof(
      { depthSize: "small", withCrossShrink: true },
      leaf,
      fc.tuple(tie("expr"), tie("expr")).map(([a, b]) => E.add(a, b)),
      fc.tuple(tie("expr"), tie("expr")).map(([a, b]) => E.sub(a, b)),
      fc.tuple(tie("expr"), tie("expr")).map(([a, b]) => E.mul(a, b)),
      fc.tuple(tie("expr"), nonZero).map(([a, d]) => E.floordiv(a, d)),
      fc.tuple(tie("expr"), nonZero).map(([a, d]) => E.floormod(a, d)),
      fc.tuple(tie("expr"), nonZero).map(([a, d]) => E.truncdiv(a, d)),
      fc.tuple(tie("expr"), nonZero).map(([a, d]) => E.truncmod(a, d)),
      fc.tuple(tie("expr"), tie("expr")).map(([a, b]) => E.min(a, b)),
      fc.tuple(tie("expr"), tie("expr")).map(([a, b]) => E.max(a, b)),
      fc.tuple(tie("expr"), tie("expr"), tie("expr")).map(([p, a, b]) => E.select(E.lt(p, 0), a, b)),
    ),
  }));

  it("every value of the expression lies in its set (x, y relaxed; n symbolic)", () => {
    fc.assert(
      fc.property(
        expr,
        fc.integer({ min: -4, max: 3 }), fc.integer({ min: 0, max: 4 }),
        fc.integer({ min: -3, max: 3 }), fc.integer({ min: 0, max: 3 }),
        fc.integer({ min: -5, max: 5 }),
        (e, xlo, xlen, ylo, ylen, nv) => {
          const dom = new Map([[x, rng(xlo, xlo + xlen)], [y, IntSet.interval(E.add(n, ylo), E.add(n, ylo + ylen))]]);
          const s = evalSet(e, dom);
          const env = new Map([[n, nv]]);
          const lo = s.min === NEG_INF ? -Infinity : evalInt(s.min, env);
          const hi = s.max === POS_INF ? Infinity : evalInt(s.max, env);
          for (let xv = xlo; xv <= xlo + xlen; xv++) {
            for (let yv = nv + ylo; yv <= nv + ylo + ylen; yv++) {
              let v: number;
              try {
                v = evalInt(e, new Map([[x, xv], [y, yv], [n, nv]]));
              } catch {
                continue;
              }
              if (!Number.isFinite(v)) continue; // division by a zero-valued sub-expression
              if (v < lo || v > hi) return false;
            }
          }
          return true;
        },
      ),
      { numRuns: 400 },
    );
  });
});

describe("linear facts", () => {
  it("sees constant differences and residues", () => {
    const x = new Var("x"), y = new Var("y");
    expect(constantDifference(E.add(E.mul(x, 16), 15), E.mul(x, 16))).toBe(15);
    expect(constantDifference(E.add(x, y), E.add(y, x))).toBe(0);
    expect(constantDifference(E.add(x, y), x)).toBeUndefined();
    expect(knownResidue(E.add(E.mul(x, 8), 12), 4)).toBe(0);
    expect(knownResidue(E.add(E.mul(x, 8), 13), 4)).toBe(1);
    expect(knownResidue(E.add(x, 1), 4)).toBeUndefined();
    const f = linearForm(E.sub(E.mul(E.add(x, 2), 3), x))!;
    expect(f.constant).toBe(6);
    expect(f.terms.map((t) => t.coeff)).toEqual([2]);
    const t = tidyLinear(E.sub(E.add(E.mul(x, 4), 7), E.add(E.mul(x, 4), 2)));
    expect((t as IntImm).value).toBe(5);
  });
});
