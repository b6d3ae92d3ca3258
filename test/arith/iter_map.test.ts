import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { int32 } from "../../src/ir/dtype.js";
import { IntImm, PrimExpr, Range, Var } from "../../src/ir/expr.js";
import * as E from "../../src/ir/expr_ops.js";
import { Analyzer } from "../../src/arith/analyzer.js";
import {
  IterMark, IterSplitExpr, IterSumExpr, detectIterMap, isAffineBinding, iterMapSimplify, normalizeIterMapToExpr,
  subspaceDivide, type IterMapLevel,
} from "../../src/arith/iter_map.js";
import { structuralEqual } from "../../src/ir/structural.js";

const c = (v: number) => new IntImm(int32, v);
const TRUE = E.convert(true);

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
    case "LE": return A() <= B() ? 1 : 0;
    case "GT": return A() > B() ? 1 : 0;
    case "GE": return A() >= B() ? 1 : 0;
    case "And": return A() && B() ? 1 : 0;
    default: throw new Error(`evalInt: unexpected ${e.kind}`);
  }
}

/** Every assignment of the loop variables (within their ranges) that satisfies `pred`. */
function* points(doms: Map<Var, Range>, pred: PrimExpr = TRUE): Generator<Map<Var, number>> {
  const vars = [...doms.keys()];
  const rec = function* (k: number, env: Map<Var, number>): Generator<Map<Var, number>> {
    if (k === vars.length) {
      if (evalInt(pred, env)) yield new Map(env);
      return;
    }
    const r = doms.get(vars[k]!)!;
    const lo = evalInt(r.min, env), n = evalInt(r.extent, env);
    for (let x = lo; x < lo + n; x++) {
      env.set(vars[k]!, x);
      yield* rec(k + 1, env);
    }
    env.delete(vars[k]!);
  };
  yield* rec(0, new Map());
}

function doms(...xs: [Var, number, number?][]): Map<Var, Range> {
  return new Map(xs.map(([v, ext, min]) => [v, new Range(c(min ?? 0), c(ext))]));
}

/** detect, then check normalize(result) == index at every point of the domain. */
function roundTrip(indices: PrimExpr[], d: Map<Var, Range>, pred: PrimExpr = TRUE, level: IterMapLevel = "bijective"): IterSumExpr[] {
  const r = detectIterMap(indices, d, pred, level, new Analyzer());
  expect(r.errors).toEqual([]);
  expect(r.indices.length).toBe(indices.length);
  const back = r.indices.map((s) => normalizeIterMapToExpr(s));
  const simp = iterMapSimplify(indices, d, pred, level, new Analyzer());
  for (const env of points(d, pred)) {
    indices.forEach((e, k) => {
      expect(evalInt(back[k]!, env)).toBe(evalInt(e, env));
      expect(evalInt(simp[k]!, env)).toBe(evalInt(e, env));
    });
  }
  return r.indices;
}

const extentOf = (s: IterSumExpr) => (s.args[0]!.extent as IntImm).value;

describe("detectIterMap: affine and fused bindings", () => {
  const i = new Var("i"), j = new Var("j"), k = new Var("k"), f = new Var("f");

  it("plain iterators are whole marks", () => {
    const [a, b] = roundTrip([i, j], doms([i, 3], [j, 4]));
    expect(a!.args.length).toBe(1);
    expect(a!.args[0]!.source.source).toBe(i);
    expect(extentOf(b!)).toBe(4);
  });

  it("i*4 + j fuses into one mark of extent 12", () => {
    const [s] = roundTrip([E.add(E.mul(i, 4), j)], doms([i, 3], [j, 4]));
    expect(s!.args.length).toBe(1);
    expect((s!.args[0]!.source.extent as IntImm).value).toBe(12);
    const src = s!.args[0]!.source.source as IterSumExpr;
    expect(src.args.map((a) => (a.scale as IntImm).value)).toEqual([4, 1]);
  });

  it("floordiv / floormod of a fused variable", () => {
    const [hi, lo] = roundTrip([E.floordiv(f, 16), E.floormod(f, 16)], doms([f, 64]));
    expect([extentOf(hi!), extentOf(lo!)]).toEqual([4, 16]);
    expect((hi!.args[0]!.lowerFactor as IntImm).value).toBe(16);
  });

  it("three-way split of a fused variable", () => {
    roundTrip([E.floordiv(f, 16), E.floormod(E.floordiv(f, 4), 4), E.floormod(f, 4)], doms([f, 64]));
  });

  it("split of a fused sum", () => {
    const fusedIJ = E.add(E.mul(i, 16), j);
    const [a, b] = roundTrip([E.floordiv(fusedIJ, 8), E.floormod(fusedIJ, 8)], doms([i, 4], [j, 16]));
    expect(a!.args[0]!.source).toBe(b!.args[0]!.source);
    expect([extentOf(a!), extentOf(b!)]).toEqual([8, 8]);
  });

  it("division aligned with the fused terms distributes: floordiv(i*4 + j, 4) is i", () => {
    const fusedIJ = E.add(E.mul(i, 4), j);
    const [a, b] = roundTrip([E.floordiv(fusedIJ, 4), E.floormod(fusedIJ, 4)], doms([i, 3], [j, 4]));
    expect(a!.args[0]!.source.source).toBe(i);
    expect(b!.args[0]!.source.source).toBe(j);
    const simp = iterMapSimplify([E.floordiv(fusedIJ, 4), j], doms([i, 3], [j, 4]), TRUE, "bijective");
    expect(simp[0]).toBe(i);
    expect(simp[1]).toBe(j);
  });

  it("fuse of split reads back as the original variable", () => {
    const e = E.add(E.mul(E.floordiv(f, 16), 16), E.floormod(f, 16));
    const [s] = roundTrip([e], doms([f, 64]));
    expect(s!.args[0]!.source.source).toBe(f);
    const simp = iterMapSimplify([e], doms([f, 64]));
    expect(simp[0]).toBe(f);
  });

  it("three loops fused then split in two", () => {
    const fused = E.add(E.add(E.mul(i, 32), E.mul(j, 8)), k);
    roundTrip([E.floordiv(fused, 16), E.floormod(fused, 16)], doms([i, 2], [j, 4], [k, 8]));
  });

  it("non-zero loop minimums, offsets and constants", () => {
    const [s] = roundTrip([E.add(i, 1)], doms([i, 4, 2]));
    expect((s!.base as IntImm).value).toBe(3);
    roundTrip([E.add(E.mul(i, 4), E.add(j, 5)), c(7)], doms([i, 3], [j, 4]), TRUE, "surjective");
  });

  it("extent-1 iterators become constants", () => {
    const [s] = roundTrip([E.add(E.mul(k, 4), j)], doms([k, 1, 2], [j, 4]));
    expect((s!.base as IntImm).value).toBe(8);
  });

  it("symbolic extents", () => {
    const n = new Var("n");
    const d = new Map([[f, new Range(c(0), E.mul(n, 4))]]);
    const r = detectIterMap([E.floordiv(f, 4), E.floormod(f, 4)], d, TRUE, "bijective", new Analyzer());
    expect(r.errors).toEqual([]);
    const d2 = new Map([[i, new Range(c(0), n)], [j, new Range(c(0), c(4))]]);
    expect(detectIterMap([E.add(E.mul(i, 4), j)], d2, TRUE, "bijective", new Analyzer()).errors).toEqual([]);
    const d3 = new Map([[i, new Range(c(0), c(4))], [j, new Range(c(0), n)]]);
    const r3 = detectIterMap([E.add(E.mul(i, n), j)], d3, TRUE, "bijective", new Analyzer());
    expect(r3.errors).toEqual([]);
    for (const nv of [1, 3]) {
      const env = new Map([[n, nv]]);
      for (let a = 0; a < 4; a++) {
        for (let b = 0; b < nv; b++) {
          env.set(i, a);
          env.set(j, b);
          expect(evalInt(normalizeIterMapToExpr(r3.indices[0]!), env)).toBe(a * nv + b);
        }
      }
    }
  });

  it("truncating division of a non-negative index acts like floor division", () => {
    roundTrip([E.truncdiv(f, 8), E.truncmod(f, 8)], doms([f, 32]));
  });
});

describe("detectIterMap: predicates", () => {
  const i = new Var("i"), j = new Var("j");
  it("a non-divisible split: i*4 + j < 10 gives a mark of extent 10", () => {
    const d = doms([i, 3], [j, 4]);
    const pred = E.lt(E.add(E.mul(i, 4), j), 10);
    const [s] = roundTrip([E.add(E.mul(i, 4), j)], d, pred);
    expect((s!.args[0]!.source.extent as IntImm).value).toBe(10);
    expect(extentOf(s!)).toBe(10);
    // without the predicate the same binding covers 12
    expect(extentOf(roundTrip([E.add(E.mul(i, 4), j)], d)[0]!)).toBe(12);
  });

  it("a predicated fused variable split again", () => {
    const d = doms([i, 3], [j, 4]);
    const fused = E.add(E.mul(i, 4), j);
    roundTrip([E.floordiv(fused, 2), E.floormod(fused, 2)], d, E.lt(fused, 10));
  });

  it("a lower bound and a bound on a single variable", () => {
    const d = doms([i, 3], [j, 4]);
    const fused = E.add(E.mul(i, 4), j);
    const [s] = roundTrip([fused], d, E.and(E.ge(fused, 2), E.lt(fused, 11)));
    expect(extentOf(s!)).toBe(9);
    const [t] = roundTrip([i], doms([i, 8]), E.lt(i, 5));
    expect(extentOf(t!)).toBe(5);
  });

  it("rejects a predicate no index expresses", () => {
    const d = doms([i, 3], [j, 4]);
    const r = detectIterMap([i, j], d, E.lt(E.add(E.mul(i, 4), j), 10), "surjective", new Analyzer());
    expect(r.errors[0]).toMatch(/predicate .* constrains iterators that no index uses/);
    const q = detectIterMap([i], d, E.lt(E.mul(i, j), 5), "surjective", new Analyzer());
    expect(q.errors[0]).toMatch(/multiplies two iterator expressions/);
    const s = detectIterMap([i], d, E.eq(i, 1), "surjective", new Analyzer());
    expect(s.errors[0]).toMatch(/is not a comparison/);
  });
});

describe("detectIterMap: failures", () => {
  const i = new Var("i"), j = new Var("j");
  const d = doms([i, 4], [j, 4]);
  const fails = (indices: PrimExpr[], level: IterMapLevel, msg: RegExp, dd = d) => {
    const r = detectIterMap(indices, dd, TRUE, level, new Analyzer());
    expect(r.indices).toEqual([]);
    expect(r.errors.length).toBe(1);
    expect(r.errors[0]).toMatch(msg);
  };
  it("non-affine products and divisions", () => {
    fails([E.mul(i, i)], "noCheck", /multiplies two iterator expressions/);
    fails([E.floordiv(i, j)], "noCheck", /divides by an iterator expression/);
    fails([E.min(i, 3)], "noCheck", /not affine/);
  });
  it("an iterator used twice", () => {
    fails([i, i], "bijective", /iterator i is used more than once/);
    fails([i, i], "surjective", /iterator i is used more than once/);
    fails([E.add(E.mul(i, 4), j), j], "surjective", /iterator j is used more than once/);
  });
  it("overlapping sums", () => {
    fails([E.add(i, j)], "surjective", /share scale 1 and overlap/);
    fails([E.add(E.mul(i, 3), j)], "surjective", /no iterator has scale 4/);
  });
  it("unused iterators break bijectivity only", () => {
    fails([i], "bijective", /input iterator j is not used/);
    expect(detectIterMap([i], d, TRUE, "surjective", new Analyzer()).errors).toEqual([]);
    expect(detectIterMap([E.mul(i, 2)], d, TRUE, "surjective", new Analyzer()).errors).toEqual([]);
  });
  it("non-divisible splits without a predicate", () => {
    const k = new Var("k");
    fails([E.floordiv(k, 3), E.floormod(k, 3)], "surjective", /extent 10 is not divisible by 3/, doms([k, 10]));
  });
  it("partial digits: bijective needs them all, surjective only needs them disjoint", () => {
    const f = new Var("f");
    fails([E.floordiv(f, 4)], "bijective", /iterator f is not covered exactly/, doms([f, 16]));
    expect(detectIterMap([E.floordiv(f, 4)], doms([f, 16]), TRUE, "surjective", new Analyzer()).errors).toEqual([]);
    expect(detectIterMap([E.floormod(E.floordiv(f, 2), 2), E.floordiv(f, 8)], doms([f, 16]), TRUE, "surjective", new Analyzer()).errors).toEqual([]);
    fails([E.floormod(E.floordiv(f, 2), 4), E.floordiv(f, 4)], "surjective", /overlap/, doms([f, 16]));
  });
  it("iterMapSimplify leaves indices alone on failure", () => {
    const idx = [E.add(i, j)];
    expect(iterMapSimplify(idx, d)[0]).toBe(idx[0]);
  });
  it("isAffineBinding", () => {
    expect(isAffineBinding([E.add(E.mul(i, 4), j)], d)).toBe(true);
    expect(isAffineBinding([E.mul(i, j)], d)).toBe(false);
    expect(isAffineBinding([i, E.add(i, j)], d)).toBe(false);
  });
});

describe("iterator-map data structures", () => {
  it("normalize splits with lower factors and scales", () => {
    const v = new Var("v");
    const m = new IterMark(v, c(24));
    const s = new IterSplitExpr(m, c(2), c(3), c(5));
    const e = normalizeIterMapToExpr(new IterSumExpr([s], c(1)));
    for (let x = 0; x < 24; x++) expect(evalInt(e, new Map([[v, x]]))).toBe((Math.floor(x / 2) % 3) * 5 + 1);
    expect(structuralEqual(IterSplitExpr.whole(m), IterSplitExpr.whole(m))).toBe(true);
    expect(structuralEqual(IterSplitExpr.whole(m), s)).toBe(false);
  });
});

describe("detectIterMap soundness (property)", () => {
  // Random indices over up to three loops; whenever detection accepts them, the numbers must agree.
  const arb = fc.record({
    exts: fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 3 }),
    terms: fc.array(
      fc.record({
        coeffs: fc.array(fc.constantFrom(0, 1, 2, 3, 4, 6, 8, 12), { minLength: 3, maxLength: 3 }),
        op: fc.constantFrom("none", "div", "mod"),
        d: fc.constantFrom(2, 3, 4, 6, 8),
        base: fc.integer({ min: 0, max: 3 }),
      }),
      { minLength: 1, maxLength: 3 },
    ),
    level: fc.constantFrom<IterMapLevel>("bijective", "surjective"),
  });
  it("accepted maps evaluate back exactly and are injective / onto as claimed", () => {
    let accepted = 0;
    fc.assert(
      fc.property(arb, ({ exts, terms, level }) => {
        const vars = exts.map((_, k) => new Var(`x${k}`));
        const d = new Map(vars.map((v, k) => [v, new Range(c(0), c(exts[k]!))]));
        const indices = terms.map((t) => {
          let e: PrimExpr = c(t.base);
          vars.forEach((v, k) => (e = E.add(e, E.mul(v, t.coeffs[k]!))));
          return t.op === "div" ? E.floordiv(e, t.d) : t.op === "mod" ? E.floormod(e, t.d) : e;
        });
        const r = detectIterMap(indices, d, TRUE, level, new Analyzer());
        if (r.errors.length > 0) return true;
        accepted++;
        const back = r.indices.map((s) => normalizeIterMapToExpr(s));
        const seen = new Set<string>();
        let total = 0;
        for (const env of points(d)) {
          total++;
          const vals = indices.map((e) => evalInt(e, env));
          if (back.some((b, k) => evalInt(b, env) !== vals[k])) return false;
          seen.add(vals.join(","));
        }
        const image = r.indices.reduce((p, s) => p * (s.args.length ? extentOf(s) : 1), 1);
        if (seen.size !== image) return false; // onto the product of the index extents
        if (level === "bijective" && seen.size !== total) return false;
        return true;
      }),
      { numRuns: 600 },
    );
    expect(accepted).toBeGreaterThan(20);
  });
});

describe("predicated splits (property)", () => {
  it("a fused pair under `fused < P`, split again by d, is a bijection onto [0, P) when detected", () => {
    let accepted = 0;
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 6 }), fc.integer({ min: 2, max: 6 }), fc.integer({ min: 1, max: 36 }),
        fc.constantFrom(0, 2, 3, 4), fc.constantFrom(0, 1, 2),
        (a, b, p, d, lo) => {
          const x = new Var("x"), y = new Var("y");
          const P = Math.min(p, a * b);
          const fused = E.add(E.mul(x, b), y);
          const pred = lo > 0 ? E.and(E.lt(fused, P), E.ge(fused, Math.min(lo, P - 1))) : E.lt(fused, P);
          const dd = doms([x, a], [y, b]);
          const indices = d === 0 ? [fused] : [E.floordiv(fused, d), E.floormod(fused, d)];
          const r = detectIterMap(indices, dd, pred, "bijective", new Analyzer());
          if (d === 0 && a > 1) expect(r.errors).toEqual([]);
          if (r.errors.length > 0) return true;
          accepted++;
          const back = r.indices.map((s) => normalizeIterMapToExpr(s));
          const seen = new Set<string>();
          let total = 0;
          for (const env of points(dd, pred)) {
            total++;
            const vals = indices.map((e) => evalInt(e, env));
            if (back.some((bk, k) => evalInt(bk, env) !== vals[k])) return false;
            seen.add(vals.join(","));
          }
          return seen.size === total;
        },
      ),
      { numRuns: 300 },
    );
    expect(accepted).toBeGreaterThan(30);
  });
});

describe("subspaceDivide", () => {
  const markValue = (m: IterMark) => (m.source instanceof IterSumExpr ? normalizeIterMapToExpr(m.source) : m.source);
  /** outer * inner.extent + inner == binding at every point; inner uses only inner loops. */
  function divides(bindings: PrimExpr[], d: Map<Var, Range>, inner: Var[], pred: PrimExpr = TRUE) {
    const r = subspaceDivide(bindings, d, inner, pred, "surjective", new Analyzer());
    expect(r.errors).toEqual([]);
    expect(r.bindings.length).toBe(bindings.length);
    for (const env of points(d, pred)) {
      bindings.forEach((b, k) => {
        const { outer, inner: in_ } = r.bindings[k]!;
        const o = evalInt(markValue(outer), env), i = evalInt(markValue(in_), env);
        const ie = evalInt(in_.extent, env);
        expect(o * ie + i).toBe(evalInt(b, env));
        expect(i).toBeGreaterThanOrEqual(0);
        expect(i).toBeLessThan(ie);
        // the outer part ignores the inner loops and vice versa
        const zeroInner = new Map([...env].map(([v, x]) => [v, inner.includes(v) ? 0 : x]));
        const zeroOuter = new Map([...env].map(([v, x]) => [v, inner.includes(v) ? x : 0]));
        expect(evalInt(markValue(outer), zeroInner)).toBe(o);
        expect(evalInt(markValue(in_), zeroOuter)).toBe(i);
      });
    }
    return r;
  }
  const i0 = new Var("i0"), i1 = new Var("i1"), j0 = new Var("j0"), j1 = new Var("j1"), k0 = new Var("k0"), k1 = new Var("k1");

  it("tiled matmul bindings split at the tile loops", () => {
    const d = doms([i0, 2], [j0, 3], [k0, 2], [i1, 4], [j1, 2], [k1, 3]);
    const r = divides([E.add(E.mul(i0, 4), i1), E.add(E.mul(j0, 2), j1), E.add(E.mul(k0, 3), k1)], d, [i1, j1, k1]);
    expect(r.bindings.map((b) => (b.inner.extent as IntImm).value)).toEqual([4, 2, 3]);
    expect(r.bindings.map((b) => (b.outer.extent as IntImm).value)).toEqual([2, 3, 2]);
  });

  it("bindings entirely inside or outside, and constants", () => {
    const d = doms([i0, 4], [i1, 8]);
    const r = divides([i0, i1, c(3)], d, [i1]);
    expect((r.bindings[0]!.inner.extent as IntImm).value).toBe(1);
    expect((r.bindings[1]!.outer.extent as IntImm).value).toBe(1);
  });

  it("a digit that straddles the boundary is split in two", () => {
    const d = doms([i0, 4], [i1, 8]);
    const fused = E.add(E.mul(i0, 8), i1);
    const r = divides([E.floordiv(fused, 4), E.floormod(fused, 4)], d, [i1]);
    expect((r.bindings[0]!.inner.extent as IntImm).value).toBe(2);
    expect((r.bindings[0]!.outer.extent as IntImm).value).toBe(4);
  });

  it("three fused loops, the inner two inside", () => {
    const d = doms([i0, 3], [j0, 4], [k0, 5]);
    divides([E.add(E.add(E.mul(i0, 20), E.mul(j0, 5)), k0)], d, [j0, k0]);
  });

  it("separates the predicate", () => {
    const d = doms([i0, 3], [i1, 4], [j1, 8]);
    const pred = E.lt(E.add(E.mul(i0, 8), j1), 20);
    const r = subspaceDivide([E.add(E.mul(i0, 4), i1), j1], d, [i1, j1], E.lt(j1, 6), "surjective", new Analyzer());
    expect(r.errors).toEqual([]);
    expect(structuralEqual(r.innerPredicate, E.lt(j1, 6))).toBe(true);
    const bad = subspaceDivide([E.add(E.mul(i0, 8), j1), i1], d, [i1, j1], pred, "surjective", new Analyzer());
    expect(bad.errors[0]).toMatch(/spans both inner and outer loops/);
  });

  it("fails when an inner loop sits above an outer one", () => {
    const d = doms([i0, 4], [i1, 8]);
    const r = subspaceDivide([E.add(E.mul(i1, 4), i0)], d, [i1], TRUE, "surjective", new Analyzer());
    expect(r.errors[0]).toMatch(/fuses an inner loop above an outer loop/);
    const q = subspaceDivide([i0], d, [new Var("zz")], TRUE, "surjective", new Analyzer());
    expect(q.errors[0]).toMatch(/inner loop zz is not one of the input iterators/);
  });
});
