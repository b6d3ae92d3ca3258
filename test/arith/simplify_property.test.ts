/**
 * Property tests: on random integer expressions over bound variables, simplification keeps
 * the value at every point of the variables' ranges, constIntBound contains every value,
 * and modularSet is satisfied by every value.
 */
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { Analyzer } from "../../src/arith/analyzer.js";
import { int32, bool } from "../../src/ir/dtype.js";
import {
  Add, And, Call, Div, EQ, FloorDiv, FloorMod, GE, GT, IntImm, LE, LT, Max, Min, Mod, Mul, NE, Not, Or, Range, Select, Sub,
  Var, type PrimExpr,
} from "../../src/ir/expr.js";
import { postOrderVisit } from "../../src/ir/expr_functor.js";
import { Op } from "../../src/ir/op_registry.js";
import { DivByZero, evaluate, show } from "./helpers.js";

/** Expression trees as data, so fast-check can shrink them. */
type Tree =
  | { t: "var"; i: number }
  | { t: "const"; v: number }
  | { t: "bin"; op: string; a: Tree; b: Tree }
  | { t: "select" | "ite"; c: Cond; a: Tree; b: Tree };
type Cond =
  | { t: "cmp"; op: string; a: Tree; b: Tree }
  | { t: "and" | "or"; a: Cond; b: Cond }
  | { t: "not"; a: Cond };

const binOps = ["Add", "Sub", "Mul", "FloorDiv", "FloorMod", "Div", "Mod", "Min", "Max"];
const cmpOps = ["LT", "LE", "GT", "GE", "EQ", "NE"];

function treeArb(nvars: number) {
  const { tree } = fc.letrec<{ tree: Tree; cond: Cond; leaf: Tree }>((tie) => ({
    leaf: fc.oneof(
      fc.integer({ min: 0, max: nvars - 1 }).map((i): Tree => ({ t: "var", i })),
      fc.integer({ min: -10, max: 10 }).map((v): Tree => ({ t: "const", v })),
      fc.constantFrom(1, 2, 4, 8, 16, 3, 6).map((v): Tree => ({ t: "const", v })),
    ),
    tree: fc.oneof(
      { depthSize: "small", withCrossShrink: true },
      tie("leaf"),
      fc.record({ t: fc.constant("bin" as const), op: fc.constantFrom(...binOps), a: tie("tree"), b: tie("tree") }),
      // Division and modulo by constants is what index arithmetic is made of: generate it often.
      fc.record({
        t: fc.constant("bin" as const),
        op: fc.constantFrom("FloorDiv", "FloorMod", "Div", "Mod", "Mul"),
        a: tie("tree"),
        b: fc.constantFrom(2, 3, 4, 8, 16, -2, -4).map((v): Tree => ({ t: "const", v })),
      }),
      fc.record({ t: fc.constantFrom("select" as const, "ite" as const), c: tie("cond"), a: tie("tree"), b: tie("tree") }),
    ),
    cond: fc.oneof(
      { depthSize: "small" },
      fc.record({ t: fc.constant("cmp" as const), op: fc.constantFrom(...cmpOps), a: tie("tree"), b: tie("tree") }),
      fc.record({ t: fc.constantFrom("and" as const, "or" as const), a: tie("cond"), b: tie("cond") }),
      fc.record({ t: fc.constant("not" as const), a: tie("cond") }),
    ),
  }));
  return tree;
}

/** Index-shaped trees: affine sums, split/fuse division and modulo, min/max, as schedules make them. */
function indexArb(nvars: number) {
  const k = (...vs: number[]) => fc.constantFrom(...vs).map((v): Tree => ({ t: "const", v }));
  const bin = (op: string, a: Tree, b: Tree): Tree => ({ t: "bin", op, a, b });
  const { tree } = fc.letrec<{ tree: Tree; term: Tree }>((tie) => ({
    term: fc.oneof(
      fc.integer({ min: 0, max: nvars - 1 }).map((i): Tree => ({ t: "var", i })),
      fc.tuple(tie("tree"), k(1, 2, 3, 4, 8, 16, -1, -2, -4)).map(([a, b]) => bin("Mul", a, b)),
      fc.tuple(tie("tree"), k(2, 3, 4, 8, 16, -4)).map(([a, b]) => bin("FloorDiv", a, b)),
      fc.tuple(tie("tree"), k(2, 3, 4, 8, 16, -4)).map(([a, b]) => bin("FloorMod", a, b)),
    ),
    tree: fc.oneof(
      { depthSize: "small", withCrossShrink: true },
      tie("term"),
      fc.tuple(tie("term"), tie("tree")).map(([a, b]) => bin("Add", a, b)),
      fc.tuple(tie("term"), tie("tree")).map(([a, b]) => bin("Sub", a, b)),
      fc.tuple(tie("tree"), fc.integer({ min: -20, max: 20 })).map(([a, v]) => bin("Add", a, { t: "const", v })),
      fc.tuple(fc.constantFrom("Div", "Mod"), tie("tree"), k(2, 4, 8, 3, -2)).map(([op, a, b]) => bin(op, a, b)),
      fc.tuple(fc.constantFrom("Min", "Max"), tie("tree"), tie("tree")).map(([op, a, b]) => bin(op, a, b)),
      fc.tuple(fc.constantFrom(...cmpOps), tie("tree"), tie("tree"), tie("tree"), tie("tree")).map(
        ([op, a, b, x, y]): Tree => ({ t: op === "EQ" || op === "LT" ? "ite" : "select", c: { t: "cmp", op, a, b }, a: x, b: y }),
      ),
    ),
  }));
  return tree;
}

const ctors: Record<string, new (a: PrimExpr, b: PrimExpr) => PrimExpr> = {
  Add, Sub, Mul, FloorDiv, FloorMod, Div, Mod, Min, Max, LT, LE, GT, GE, EQ, NE,
};

function build(t: Tree, vars: Var[]): PrimExpr {
  switch (t.t) {
    case "var":
      return vars[t.i]!;
    case "const":
      return new IntImm(int32, t.v);
    case "bin":
      return new ctors[t.op]!(build(t.a, vars), build(t.b, vars));
    case "select":
      return new Select(buildCond(t.c, vars), build(t.a, vars), build(t.b, vars));
    case "ite":
      return new Call(int32, Op.get("tir.if_then_else"), [buildCond(t.c, vars), build(t.a, vars), build(t.b, vars)]);
  }
}

function buildCond(c: Cond, vars: Var[]): PrimExpr {
  switch (c.t) {
    case "cmp":
      return new ctors[c.op]!(build(c.a, vars), build(c.b, vars));
    case "and":
      return new And(buildCond(c.a, vars), buildCond(c.b, vars));
    case "or":
      return new Or(buildCond(c.a, vars), buildCond(c.b, vars));
    case "not":
      return new Not(buildCond(c.a, vars));
  }
}

const rangeArb = fc.record({
  lo: fc.oneof(fc.constant(0), fc.integer({ min: -20, max: 20 })),
  extent: fc.oneof(fc.constantFrom(2, 4, 8, 16, 32), fc.integer({ min: 1, max: 40 })),
});
/** Points as fractions of each range, so they always land inside it. */
const pointsArb = (n: number) => fc.array(fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: n, maxLength: n }), { minLength: 1, maxLength: 12 });

interface Setup {
  vars: Var[];
  analyzer: Analyzer;
  envs: Map<Var, number>[];
}

function setup(ranges: { lo: number; extent: number }[], points: number[][]): Setup {
  const vars = ranges.map((_, i) => new Var(["x", "y", "z"][i]!));
  const analyzer = new Analyzer();
  ranges.forEach((r, i) => analyzer.bind(vars[i]!, new Range(new IntImm(int32, r.lo), new IntImm(int32, r.extent))));
  const envs = points.map((p) => {
    const env = new Map<Var, number>();
    ranges.forEach((r, i) => env.set(vars[i]!, r.lo + Math.min(r.extent - 1, Math.floor(p[i]! * r.extent))));
    return env;
  });
  // Always include the corners, where off-by-one mistakes live.
  envs.push(new Map(vars.map((v, i) => [v, ranges[i]!.lo])));
  envs.push(new Map(vars.map((v, i) => [v, ranges[i]!.lo + ranges[i]!.extent - 1])));
  return { vars, analyzer, envs };
}

function tryEval(e: PrimExpr, env: Map<Var, number>): number | undefined {
  try {
    return evaluate(e, env);
  } catch (err) {
    if (err instanceof DivByZero) return undefined;
    throw err;
  }
}

const envText = (env: Map<Var, number>) => [...env].map(([v, n]) => `${v.name}=${n}`).join(", ");

for (const [kind, nvars] of [["general", 2], ["general", 3], ["index", 2], ["index", 3]] as const) {
  const gen = kind === "general" ? treeArb : indexArb;
  describe(`random ${kind} expressions over ${nvars} variables`, () => {
    const caseArb = fc.record({
      tree: gen(nvars),
      ranges: fc.array(rangeArb, { minLength: nvars, maxLength: nvars }),
      points: pointsArb(nvars),
    });

    test("simplify keeps the value at every point", () => {
      fc.assert(
        fc.property(caseArb, ({ tree, ranges, points }) => {
          const { vars, analyzer, envs } = setup(ranges, points);
          const e = build(tree, vars);
          const s = analyzer.simplify(e);
          for (const env of envs) {
            const want = tryEval(e, env);
            if (want === undefined) continue;
            const got = tryEval(s, env);
            if (got !== want) {
              throw new Error(`simplify(${show(e)}) = ${show(s)}\n  at ${envText(env)}: original ${want}, simplified ${got}`);
            }
          }
        }),
        { numRuns: 600 },
      );
    });

    test("boolean conditions keep their truth value", () => {
      const condArb = fc.record({
        tree: gen(nvars),
        other: gen(nvars),
        op: fc.constantFrom(...cmpOps),
        ranges: fc.array(rangeArb, { minLength: nvars, maxLength: nvars }),
        points: pointsArb(nvars),
      });
      fc.assert(
        fc.property(condArb, ({ tree, other, op, ranges, points }) => {
          const { vars, analyzer, envs } = setup(ranges, points);
          const e = new ctors[op]!(build(tree, vars), build(other, vars));
          const s = analyzer.simplify(e);
          const proved = analyzer.canProve(e);
          for (const env of envs) {
            const want = tryEval(e, env);
            if (want === undefined) continue;
            expect(tryEval(s, env), `simplify(${show(e)}) = ${show(s)} at ${envText(env)}`).toBe(want);
            if (proved) expect(want, `canProve(${show(e)}) but false at ${envText(env)}`).toBe(1);
          }
        }),
        { numRuns: 500 },
      );
    });

    test("constIntBound and modularSet hold for every sub-expression", () => {
      fc.assert(
        fc.property(caseArb, ({ tree, ranges, points }) => {
          const { vars, analyzer, envs } = setup(ranges, points);
          const e = build(tree, vars);
          const subs: PrimExpr[] = [];
          postOrderVisit(e, (x) => {
            if (x.dtype === int32 || x.dtype === bool) subs.push(x);
          });
          for (const x of subs) {
            const b = analyzer.constIntBound(x);
            const m = analyzer.modularSet(x);
            for (const env of envs) {
              // A sub-expression is only meaningful where the whole is defined.
              if (tryEval(e, env) === undefined) continue;
              const val = tryEval(x, env);
              if (val === undefined) continue;
              if (val < b.min || val > b.max) throw new Error(`constIntBound(${show(x)}) = [${b.min}, ${b.max}] but ${val} at ${envText(env)}`);
              const ok = m.coeff === 0 ? val === m.base : (((val - m.base) % m.coeff) + m.coeff) % m.coeff === 0;
              if (!ok) throw new Error(`modularSet(${show(x)}) = ${m.coeff}k + ${m.base} but ${val} at ${envText(env)}`);
            }
          }
        }),
        { numRuns: 500 },
      );
    });
  });
}

describe("symbolic ranges and constraints", () => {
  const symArb = fc.record({
    tree: indexArb(3),
    cond: fc.record({ op: fc.constantFrom(...cmpOps), a: indexArb(3), b: indexArb(3) }),
    x: rangeArb,
    n: fc.integer({ min: 1, max: 24 }),
    points: pointsArb(3),
  });

  /** x in its range, y = n in [1, nmax], z in [x, x + y): a loop whose extent is another variable. */
  function symSetup(xr: { lo: number; extent: number }, nmax: number, points: number[][]) {
    const [x, y, z] = [new Var("x"), new Var("y"), new Var("z")];
    const analyzer = new Analyzer();
    analyzer.bind(x, new Range(new IntImm(int32, xr.lo), new IntImm(int32, xr.extent)));
    analyzer.bind(y, new Range(new IntImm(int32, 1), new IntImm(int32, nmax)));
    analyzer.bind(z, new Range(x, y));
    const envs = points.map((p) => {
      const xv = xr.lo + Math.min(xr.extent - 1, Math.floor(p[0]! * xr.extent));
      const yv = 1 + Math.min(nmax - 1, Math.floor(p[1]! * nmax));
      const zv = xv + Math.min(yv - 1, Math.floor(p[2]! * yv));
      return new Map([[x, xv], [y, yv], [z, zv]]);
    });
    envs.push(new Map([[x, xr.lo], [y, nmax], [z, xr.lo + nmax - 1]]));
    envs.push(new Map([[x, xr.lo + xr.extent - 1], [y, 1], [z, xr.lo + xr.extent - 1]]));
    return { vars: [x, y, z], analyzer, envs };
  }

  test("simplify keeps values over symbolic loop ranges", () => {
    fc.assert(
      fc.property(symArb, ({ tree, cond, x, n, points }) => {
        const { vars, analyzer, envs } = symSetup(x, n, points);
        for (const e of [build(tree, vars), new ctors[cond.op]!(build(cond.a, vars), build(cond.b, vars))]) {
          const s = analyzer.simplify(e);
          for (const env of envs) {
            const want = tryEval(e, env);
            if (want === undefined) continue;
            const got = tryEval(s, env);
            if (got !== want) throw new Error(`simplify(${show(e)}) = ${show(s)}\n  at ${envText(env)}: original ${want}, simplified ${got}`);
          }
        }
      }),
      { numRuns: 500 },
    );
  });

  /** Every point of x in [lo, lo+ext), y in [1, n], z in [x, x+y). */
  function allPoints(vars: Var[], xr: { lo: number; extent: number }, n: number): Map<Var, number>[] {
    const out: Map<Var, number>[] = [];
    for (let xv = xr.lo; xv < xr.lo + xr.extent; xv++) {
      for (let yv = 1; yv <= n; yv++) {
        for (let zv = xv; zv < xv + yv; zv++) out.push(new Map([[vars[0]!, xv], [vars[1]!, yv], [vars[2]!, zv]]));
      }
    }
    return out;
  }

  const smallArb = fc.record({
    tree: indexArb(3),
    cond: fc.oneof(
      fc.record({ op: fc.constantFrom(...cmpOps), a: indexArb(3), b: indexArb(3) }),
      // Comparisons of one variable with a constant: the constraints loops and guards produce.
      fc.record({
        op: fc.constantFrom(...cmpOps),
        a: fc.integer({ min: 0, max: 2 }).map((i): Tree => ({ t: "var", i })),
        b: fc.integer({ min: -4, max: 14 }).map((v): Tree => ({ t: "const", v })),
      }),
    ),
    x: fc.record({ lo: fc.integer({ min: -6, max: 6 }), extent: fc.integer({ min: 1, max: 12 }) }),
    n: fc.integer({ min: 1, max: 8 }),
  });

  test("under withConstraint, simplify keeps values wherever the constraint holds", () => {
    fc.assert(
      fc.property(smallArb, ({ tree, cond, x, n }) => {
        const { vars, analyzer } = symSetup(x, n, []);
        const envs = allPoints(vars, x, n);
        const c = new ctors[cond.op]!(build(cond.a, vars), build(cond.b, vars));
        const e = build(tree, vars);
        const [s, proved] = analyzer.withConstraint(c, () => [analyzer.simplify(e), analyzer.canProve(new LT(e, new IntImm(int32, 0)))] as const);
        for (const env of envs) {
          if (tryEval(c, env) !== 1) continue;
          const want = tryEval(e, env);
          if (want === undefined) continue;
          const got = tryEval(s, env);
          if (got !== want) throw new Error(`with ${show(c)}: simplify(${show(e)}) = ${show(s)}\n  at ${envText(env)}: original ${want}, simplified ${got}`);
          if (proved && !(want < 0)) throw new Error(`with ${show(c)}: proved ${show(e)} < 0 but it is ${want} at ${envText(env)}`);
        }
        // Leaving the scope forgets the constraint: results must hold everywhere again.
        for (const x of [e, c]) {
          const outside = analyzer.simplify(x);
          for (const env of envs) {
            const want = tryEval(x, env);
            if (want !== undefined && tryEval(outside, env) !== want) {
              throw new Error(`after leaving ${show(c)}: simplify(${show(x)}) = ${show(outside)} is wrong at ${envText(env)}`);
            }
          }
        }
      }),
      { numRuns: 500 },
    );
  });
});

test("simplification of the same expression is stable (simplify is idempotent)", () => {
  fc.assert(
    fc.property(fc.record({ tree: treeArb(2), ranges: fc.array(rangeArb, { minLength: 2, maxLength: 2 }) }), ({ tree, ranges }) => {
      const { vars, analyzer } = setup(ranges, [[0, 0]]);
      const s1 = analyzer.simplify(build(tree, vars));
      const fresh = new Analyzer();
      ranges.forEach((r, i) => fresh.bind(vars[i]!, new Range(new IntImm(int32, r.lo), new IntImm(int32, r.extent))));
      const s2 = fresh.simplify(s1);
      // A second pass may still find something, but must not change the value or blow up.
      expect(show(fresh.simplify(s2)).length).toBeLessThanOrEqual(show(s1).length + 40);
    }),
    { numRuns: 200 },
  );
});
