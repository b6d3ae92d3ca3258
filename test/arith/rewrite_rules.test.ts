/**
 * One example per rewrite rule: the rule must fire on the input (so it is reachable, not
 * shadowed by an earlier rule) and rewriting must give the stated result. A last test checks
 * that every rule in the table has an example here.
 */
import { describe, expect, test } from "vitest";
import { Analyzer } from "../../src/arith/analyzer.js";
import { REWRITE_RULES } from "../../src/arith/rewrite_rules.js";
import { bool, int32, float32 } from "../../src/ir/dtype.js";
import {
  Add, And, Broadcast, Div, EQ, FloatImm, FloorDiv, FloorMod, GE, GT, IntImm, LE, LT, Max, Min, Mod, Mul, NE, Not, Or,
  Ramp, Range, Select, Sub, Var, type PrimExpr,
} from "../../src/ir/expr.js";
import { structuralEqual } from "../../src/ir/structural.js";
import { show } from "./helpers.js";

const I = (v: number) => new IntImm(int32, v);
const T = new IntImm(bool, 1);
const F = new IntImm(bool, 0);
const add = (a: PrimExpr, b: PrimExpr) => new Add(a, b);
const sub = (a: PrimExpr, b: PrimExpr) => new Sub(a, b);
const mul = (a: PrimExpr, b: PrimExpr) => new Mul(a, b);
const fdiv = (a: PrimExpr, b: PrimExpr) => new FloorDiv(a, b);
const fmod = (a: PrimExpr, b: PrimExpr) => new FloorMod(a, b);
const tdiv = (a: PrimExpr, b: PrimExpr) => new Div(a, b);
const tmod = (a: PrimExpr, b: PrimExpr) => new Mod(a, b);
const min = (a: PrimExpr, b: PrimExpr) => new Min(a, b);
const max = (a: PrimExpr, b: PrimExpr) => new Max(a, b);
const lt = (a: PrimExpr, b: PrimExpr) => new LT(a, b);
const le = (a: PrimExpr, b: PrimExpr) => new LE(a, b);
const gt = (a: PrimExpr, b: PrimExpr) => new GT(a, b);
const ge = (a: PrimExpr, b: PrimExpr) => new GE(a, b);
const eq = (a: PrimExpr, b: PrimExpr) => new EQ(a, b);
const ne = (a: PrimExpr, b: PrimExpr) => new NE(a, b);
const and = (a: PrimExpr, b: PrimExpr) => new And(a, b);
const or = (a: PrimExpr, b: PrimExpr) => new Or(a, b);
const not = (a: PrimExpr) => new Not(a);
const sel = (c: PrimExpr, a: PrimExpr, b: PrimExpr) => new Select(c, a, b);
const bc = (v: PrimExpr) => new Broadcast(v, 4);
const ramp = (b: PrimExpr, s: PrimExpr) => new Ramp(b, s, 4);

// x, y, z range over all of int32; i, j, k and s are loop-like variables with known ranges.
const [x, y, z] = ["x", "y", "z"].map((n) => new Var(n));
const i = new Var("i"), j = new Var("j"), k = new Var("k"), s = new Var("s");
const b = new Var("b", bool), d = new Var("d", bool);
const analyzer = new Analyzer();
analyzer.bind(i, Range.fromExtent(I(8)));
analyzer.bind(j, Range.fromExtent(I(16)));
analyzer.bind(k, Range.fromExtent(I(4)));
analyzer.bind(s, new Range(I(-5), I(11)));

type Example = [rule: string, input: PrimExpr, expected: PrimExpr];

const arithmetic: Example[] = [
  ["add-zero-r", add(x, I(0)), x],
  ["add-zero-l", add(I(0), x), x],
  ["add-const-first", add(I(3), x), add(x, I(3))],
  ["add-negative-const", add(x, I(-3)), sub(x, I(3))],
  ["add-const-const", add(add(x, I(2)), I(3)), add(x, I(5))],
  ["add-subconst-const", add(sub(x, I(5)), I(2)), sub(x, I(3))],
  ["add-constsub-const", add(sub(I(7), x), I(3)), sub(I(10), x)],
  ["add-const-out-l", add(add(x, I(2)), y), add(add(x, y), I(2))],
  ["add-const-out-r", add(x, add(y, I(2))), add(add(x, y), I(2))],
  ["add-subconst-out-l", add(sub(x, I(2)), y), sub(add(x, y), I(2))],
  ["add-subconst-out-r", add(x, sub(y, I(2))), sub(add(x, y), I(2))],
  ["add-sub-cancel-l", add(sub(x, y), y), x],
  ["add-sub-cancel-r", add(y, sub(x, y)), x],
  ["add-neg-l", add(sub(I(0), x), y), sub(y, x)],
  ["add-neg-r", add(x, sub(I(0), y)), sub(x, y)],
  ["add-self", add(x, x), mul(x, I(2))],
  ["add-like-terms", add(mul(x, I(3)), mul(x, I(4))), mul(x, I(7))],
  ["add-like-term-x-l", add(mul(x, I(3)), x), mul(x, I(4))],
  ["add-like-term-x-r", add(x, mul(x, I(3))), mul(x, I(4))],
  ["add-min-max", add(min(x, y), max(x, y)), add(x, y)],
  ["add-max-min", add(max(x, y), min(x, y)), add(x, y)],
  ["add-min-max-swap", add(min(x, y), max(y, x)), add(x, y)],
  ["add-fuse-split", add(mul(fdiv(x, I(8)), I(8)), fmod(x, I(8))), x],
  ["add-fuse-split-r", add(fmod(x, I(8)), mul(fdiv(x, I(8)), I(8))), x],
  ["add-fuse-split-nested", add(add(y, mul(fdiv(x, I(8)), I(8))), fmod(x, I(8))), add(y, x)],
  ["add-fuse-split-nested-r", add(add(y, fmod(x, I(8))), mul(fdiv(x, I(8)), I(8))), add(y, x)],
  ["sub-zero", sub(x, I(0)), x],
  ["sub-self", sub(mul(x, y), mul(x, y)), I(0)],
  ["sub-negative-const", sub(x, I(-3)), add(x, I(3))],
  ["sub-add-cancel-l", sub(add(x, y), x), y],
  ["sub-add-cancel-r", sub(add(x, y), y), x],
  ["sub-cancel-add-l", sub(x, add(x, y)), sub(I(0), y)],
  ["sub-cancel-add-r", sub(y, add(x, y)), sub(I(0), x)],
  ["sub-sub-cancel", sub(x, sub(x, y)), y],
  ["sub-common-ll", sub(add(x, y), add(x, z)), sub(y, z)],
  ["sub-common-lr", sub(add(x, y), add(z, x)), sub(y, z)],
  ["sub-common-rl", sub(add(y, x), add(x, z)), sub(y, z)],
  ["sub-common-rr", sub(add(y, x), add(z, x)), sub(y, z)],
  ["sub-addconst-const", sub(add(x, I(5)), I(2)), add(x, I(3))],
  ["sub-subconst-const", sub(sub(x, I(5)), I(2)), sub(x, I(7))],
  ["sub-const-addconst", sub(I(10), add(x, I(3))), sub(I(7), x)],
  ["sub-const-constsub", sub(I(10), sub(I(3), x)), add(x, I(7))],
  ["sub-constsub-const", sub(sub(I(10), x), I(3)), sub(I(7), x)],
  ["sub-const-out-l", sub(add(x, I(2)), y), add(sub(x, y), I(2))],
  ["sub-const-out-r", sub(x, add(y, I(2))), sub(sub(x, y), I(2))],
  ["sub-subconst-out-r", sub(x, sub(y, I(2))), add(sub(x, y), I(2))],
  ["sub-neg", sub(x, sub(I(0), y)), add(x, y)],
  ["sub-like-terms", sub(mul(x, I(5)), mul(x, I(2))), mul(x, I(3))],
  ["sub-like-term-x-l", sub(mul(x, I(5)), x), mul(x, I(4))],
  ["sub-like-term-x-r", sub(x, mul(x, I(5))), mul(x, I(-4))],
  ["sub-floor-remainder", sub(x, mul(fdiv(x, I(8)), I(8))), fmod(x, I(8))],
  ["sub-floor-quotient", sub(x, fmod(x, I(8))), mul(fdiv(x, I(8)), I(8))],
  ["mul-zero-r", mul(x, I(0)), I(0)],
  ["mul-zero-l", mul(I(0), x), I(0)],
  ["mul-one-r", mul(x, I(1)), x],
  ["mul-one-l", mul(I(1), x), x],
  ["mul-const-first", mul(I(3), x), mul(x, I(3))],
  ["mul-const-const", mul(mul(x, I(2)), I(3)), mul(x, I(6))],
  ["mul-const-out-l", mul(mul(x, I(2)), y), mul(mul(x, y), I(2))],
  ["mul-const-out-r", mul(x, mul(y, I(2))), mul(mul(x, y), I(2))],
  ["mul-distribute-add", mul(add(x, I(2)), I(3)), add(mul(x, I(3)), I(6))],
  ["mul-distribute-sub", mul(sub(x, I(2)), I(3)), sub(mul(x, I(3)), I(6))],
];

const division: Example[] = [
  ["floordiv-zero", fdiv(I(0), x), I(0)],
  ["floordiv-self", fdiv(x, x), I(1)],
  ["floordiv-one", fdiv(x, I(1)), x],
  ["floordiv-minus-one", fdiv(x, I(-1)), sub(I(0), x)],
  ["floordiv-by-bound", fdiv(add(j, I(16)), I(16)), I(1)],
  ["floordiv-mul-exact", fdiv(mul(x, I(8)), I(4)), mul(x, I(2))],
  ["floordiv-mul-reduce", fdiv(mul(x, I(4)), I(8)), fdiv(x, I(2))],
  ["floordiv-floordiv", fdiv(fdiv(x, I(4)), I(8)), fdiv(x, I(32))],
  ["floordiv-mul-add", fdiv(add(mul(x, I(8)), y), I(4)), add(mul(x, I(2)), fdiv(y, I(4)))],
  ["floordiv-add-mul", fdiv(add(y, mul(x, I(8))), I(4)), add(fdiv(y, I(4)), mul(x, I(2)))],
  ["floordiv-add-const", fdiv(add(x, I(8)), I(4)), add(fdiv(x, I(4)), I(2))],
  ["floordiv-mul-add-small", fdiv(add(mul(x, I(4)), k), I(8)), fdiv(x, I(2))],
  ["floordiv-add-mul-small", fdiv(add(k, mul(x, I(4))), I(8)), fdiv(x, I(2))],
  ["floormod-zero", fmod(I(0), x), I(0)],
  ["floormod-self", fmod(x, x), I(0)],
  ["floormod-one", fmod(x, I(1)), I(0)],
  ["floormod-minus-one", fmod(x, I(-1)), I(0)],
  ["floormod-by-bound", fmod(add(j, I(16)), I(16)), j],
  ["floormod-by-modular", fmod(add(mul(x, I(4)), I(6)), I(2)), I(0)],
  ["floormod-mul-reduce", fmod(mul(x, I(4)), I(8)), mul(fmod(x, I(2)), I(4))],
  ["floormod-mul-add", fmod(add(mul(x, I(8)), y), I(4)), fmod(y, I(4))],
  ["floormod-add-mul", fmod(add(y, mul(x, I(8))), I(4)), fmod(y, I(4))],
  ["floormod-add-const", fmod(add(x, I(10)), I(4)), fmod(add(x, I(2)), I(4))],
  ["floormod-floormod", fmod(fmod(x, I(8)), I(4)), fmod(x, I(4))],
  ["floormod-mul-add-small", fmod(add(mul(x, I(4)), k), I(8)), add(mul(fmod(x, I(2)), I(4)), k)],
  ["truncdiv-zero", tdiv(I(0), x), I(0)],
  ["truncdiv-self", tdiv(x, x), I(1)],
  ["truncmod-zero", tmod(I(0), x), I(0)],
  ["truncmod-self", tmod(x, x), I(0)],
  ["truncdiv-one", tdiv(x, I(1)), x],
  ["truncdiv-minus-one", tdiv(x, I(-1)), sub(I(0), x)],
  ["truncdiv-nonneg-to-floor", tdiv(j, add(i, I(1))), fdiv(j, add(i, I(1)))],
  ["truncdiv-mul-exact", tdiv(mul(x, I(8)), I(-4)), mul(x, I(-2))],
  ["truncdiv-small", tdiv(s, I(8)), I(0)],
  ["truncmod-one", tmod(x, I(1)), I(0)],
  ["truncmod-minus-one", tmod(x, I(-1)), I(0)],
  ["truncmod-nonneg-to-floor", tmod(j, I(4)), fmod(j, I(4))],
  ["truncmod-mul", tmod(mul(x, I(8)), I(-4)), I(0)],
  ["truncmod-small", tmod(s, I(-8)), s],
];

function minMaxExamples(isMin: boolean): Example[] {
  const n = isMin ? "min" : "max";
  const M = isMin ? min : max;
  const N = isMin ? max : min;
  return [
    [`${n}-by-compare`, M(i, add(i, I(1))), isMin ? i : add(i, I(1))],
    [`${n}-const-first`, M(I(3), x), M(x, I(3))],
    [`${n}-const-const`, M(M(x, I(isMin ? 5 : 3)), I(isMin ? 3 : 5)), M(x, I(isMin ? 3 : 5))],
    [`${n}-absorb-l`, M(N(x, y), x), x],
    [`${n}-absorb-r`, M(x, N(x, y)), x],
    [`${n}-absorb-l-swap`, M(N(y, x), x), x],
    [`${n}-absorb-r-swap`, M(x, N(y, x)), x],
    [`${n}-nested-l`, M(M(x, y), x), M(x, y)],
    [`${n}-nested-l-swap`, M(M(x, y), y), M(x, y)],
    [`${n}-nested-r`, M(x, M(x, y)), M(x, y)],
    [`${n}-nested-r-swap`, M(y, M(x, y)), M(x, y)],
    [`${n}-common-add-l`, M(add(x, y), add(x, z)), add(x, M(y, z))],
    [`${n}-common-add-r`, M(add(y, x), add(z, x)), add(M(y, z), x)],
    [`${n}-common-sub-l`, M(sub(x, y), sub(x, z)), sub(x, N(y, z))],
    [`${n}-common-sub-r`, M(sub(y, x), sub(z, x)), sub(M(y, z), x)],
    [`${n}-mul-pos`, M(mul(x, I(4)), mul(y, I(4))), mul(M(x, y), I(4))],
    [`${n}-mul-neg`, M(mul(x, I(-4)), mul(y, I(-4))), mul(N(x, y), I(-4))],
    [`${n}-floordiv-pos`, M(fdiv(x, I(4)), fdiv(y, I(4))), fdiv(M(x, y), I(4))],
    [`${n}-floordiv-neg`, M(fdiv(x, I(-4)), fdiv(y, I(-4))), fdiv(N(x, y), I(-4))],
  ];
}

const comparisons: Example[] = [
  ["gt-to-lt", gt(x, y), lt(y, x)],
  ["ge-to-le", ge(x, y), le(y, x)],
  ["lt-by-compare", lt(i, I(8)), T],
  ["le-by-compare", le(i, I(7)), T],
  ["eq-by-compare", eq(mul(x, I(2)), I(7)), F],
  ["ne-by-compare", ne(i, I(8)), T],
  ["eq-const-first", eq(I(3), x), eq(x, I(3))],
  ["ne-const-first", ne(I(3), x), ne(x, I(3))],
  ["lt-floordiv-const", lt(fdiv(x, I(4)), I(3)), lt(x, I(12))],
  ["lt-const-floordiv", lt(I(3), fdiv(x, I(4))), lt(I(15), x)],
  ["le-floordiv-const", le(fdiv(x, I(4)), I(3)), lt(x, I(16))],
  ["le-const-floordiv", le(I(3), fdiv(x, I(4))), le(I(12), x)],
  ["lt-mul-const", lt(mul(x, I(4)), I(10)), lt(x, I(3))],
  ["lt-linear", lt(add(x, I(1)), add(y, I(3))), lt(x, add(y, I(2)))],
  ["le-linear", le(mul(x, I(2)), add(mul(y, I(2)), I(3))), le(x, add(y, I(1)))],
  ["eq-linear", eq(add(x, I(2)), add(y, I(5))), eq(x, add(y, I(3)))],
  ["ne-linear", ne(mul(x, I(3)), mul(y, I(3))), ne(x, y)],
];

const logic: Example[] = [
  ["and-true-r", and(b, T), b],
  ["and-true-l", and(T, b), b],
  ["and-false-r", and(b, F), F],
  ["and-false-l", and(F, b), F],
  ["and-self", and(b, b), b],
  ["and-not-self-r", and(b, not(b)), F],
  ["and-not-self-l", and(not(b), b), F],
  ["and-absorb-l", and(and(b, d), b), and(b, d)],
  ["and-absorb-r", and(b, and(b, d)), and(b, d)],
  ["and-intervals", and(lt(x, I(5)), lt(x, I(3))), lt(x, I(3))],
  ["and-intervals", and(lt(x, I(5)), lt(I(7), x)), F],
  ["and-intervals", and(le(x, I(5)), le(I(5), x)), eq(x, I(5))],
  ["or-true-r", or(b, T), T],
  ["or-true-l", or(T, b), T],
  ["or-false-r", or(b, F), b],
  ["or-false-l", or(F, b), b],
  ["or-self", or(b, b), b],
  ["or-not-self-r", or(b, not(b)), T],
  ["or-not-self-l", or(not(b), b), T],
  ["or-absorb-and-l", or(and(b, d), b), b],
  ["or-absorb-and-r", or(b, and(b, d)), b],
  ["and-absorb-or-l", and(or(b, d), b), b],
  ["and-absorb-or-r", and(b, or(b, d)), b],
  ["or-intervals", or(lt(x, I(5)), lt(x, I(3))), lt(x, I(5))],
  ["or-intervals", or(lt(x, I(5)), lt(I(4), x)), T],
  ["not-not", not(not(b)), b],
  ["not-lt", not(lt(x, y)), le(y, x)],
  ["not-le", not(le(x, y)), lt(y, x)],
  ["not-eq", not(eq(x, y)), ne(x, y)],
  ["not-ne", not(ne(x, y)), eq(x, y)],
  ["not-and", not(and(b, d)), or(not(b), not(d))],
  ["not-or", not(or(b, d)), and(not(b), not(d))],
  ["select-same", sel(b, x, x), x],
  ["select-not", sel(not(b), x, y), sel(b, y, x)],
  ["select-lt-min", sel(lt(x, y), x, y), min(x, y)],
  ["select-lt-max", sel(lt(x, y), y, x), max(x, y)],
  ["select-le-min", sel(le(x, y), x, y), min(x, y)],
  ["select-le-max", sel(le(x, y), y, x), max(x, y)],
];

const bb = bc(b), bd = bc(d);
const vector: Example[] = [
  ["add-broadcast-broadcast", add(bc(x), bc(y)), bc(add(x, y))],
  ["sub-broadcast-broadcast", sub(bc(x), bc(y)), bc(sub(x, y))],
  ["mul-broadcast-broadcast", mul(bc(x), bc(y)), bc(mul(x, y))],
  ["div-broadcast-broadcast", tdiv(bc(x), bc(y)), bc(tdiv(x, y))],
  ["mod-broadcast-broadcast", tmod(bc(x), bc(y)), bc(tmod(x, y))],
  ["floordiv-broadcast-broadcast", fdiv(bc(x), bc(y)), bc(fdiv(x, y))],
  ["floormod-broadcast-broadcast", fmod(bc(x), bc(y)), bc(fmod(x, y))],
  ["min-broadcast-broadcast", min(bc(x), bc(y)), bc(min(x, y))],
  ["max-broadcast-broadcast", max(bc(x), bc(y)), bc(max(x, y))],
  ["eq-broadcast-broadcast", eq(bc(x), bc(y)), bc(eq(x, y))],
  ["ne-broadcast-broadcast", ne(bc(x), bc(y)), bc(ne(x, y))],
  ["lt-broadcast-broadcast", lt(bc(x), bc(y)), bc(lt(x, y))],
  ["le-broadcast-broadcast", le(bc(x), bc(y)), bc(le(x, y))],
  ["gt-broadcast-broadcast", gt(bc(x), bc(y)), bc(lt(y, x))],
  ["ge-broadcast-broadcast", ge(bc(x), bc(y)), bc(le(y, x))],
  ["and-broadcast-broadcast", and(bb, bd), bc(and(b, d))],
  ["or-broadcast-broadcast", or(bb, bd), bc(or(b, d))],
  ["not-broadcast", not(bb), bc(not(b))],
  ["ramp-zero-stride", ramp(x, I(0)), bc(x)],
  ["ramp-add-ramp", add(ramp(x, I(1)), ramp(y, I(2))), ramp(add(x, y), I(3))],
  ["ramp-sub-ramp", sub(ramp(x, I(3)), ramp(y, I(1))), ramp(sub(x, y), I(2))],
  ["ramp-add-broadcast", add(ramp(x, I(1)), bc(y)), ramp(add(x, y), I(1))],
  ["broadcast-add-ramp", add(bc(y), ramp(x, I(1))), ramp(add(y, x), I(1))],
  ["ramp-sub-broadcast", sub(ramp(x, I(1)), bc(y)), ramp(sub(x, y), I(1))],
  ["broadcast-sub-ramp", sub(bc(y), ramp(x, I(1))), ramp(sub(y, x), I(-1))],
  ["ramp-mul-broadcast", mul(ramp(x, I(1)), bc(y)), ramp(mul(x, y), y)],
  ["broadcast-mul-ramp", mul(bc(y), ramp(x, I(2))), ramp(mul(x, y), mul(y, I(2)))],
  ["ramp-floordiv-one-bucket", fdiv(ramp(mul(x, I(4)), I(1)), bc(I(4))), bc(x)],
  ["ramp-floormod-one-bucket", fmod(ramp(mul(x, I(4)), I(1)), bc(I(4))), ramp(I(0), I(1))],
];

const families: [string, Example[]][] = [
  ["add, sub, mul", arithmetic],
  ["floordiv, floormod, truncdiv, truncmod", division],
  ["min", minMaxExamples(true)],
  ["max", minMaxExamples(false)],
  ["comparisons", comparisons],
  ["logic and select", logic],
  ["vectors", vector],
];

for (const [family, examples] of families) {
  describe(`rewrite rules: ${family}`, () => {
    test.each(examples.map(([rule, input, expected]) => ({ rule, input, expected, label: `${rule}: ${show(input)}` })))(
      "$label",
      ({ rule, input, expected }) => {
        const { result, rules } = analyzer.traceRewrite(input);
        expect(rules, `rules fired on ${show(input)}`).toContain(rule);
        if (!structuralEqual(result, expected)) {
          expect.fail(`rewrite(${show(input)})\n  got      ${show(result)}\n  expected ${show(expected)}`);
        }
      },
    );
  });
}

test("every rule in the table has an example above", () => {
  const covered = new Set(families.flatMap(([, ex]) => ex.map(([rule]) => rule)));
  const missing = REWRITE_RULES.map((r) => r.name).filter((n) => !covered.has(n));
  expect(missing).toEqual([]);
});

test("rule names are unique", () => {
  const names = REWRITE_RULES.map((r) => r.name);
  expect(new Set(names).size).toBe(names.length);
});

test("float arithmetic is only constant-folded, never reassociated", () => {
  const f = new Var("f", float32), g = new Var("g", float32);
  const F32 = (v: number) => new FloatImm(float32, v);
  const untouched = [
    add(add(f, F32(1)), F32(2)),
    add(f, F32(0)),
    sub(f, f),
    mul(mul(f, F32(2)), F32(3)),
    not(lt(f, g)),
    sel(lt(f, g), f, g),
    min(f, f),
  ];
  for (const e of untouched) expect(show(analyzer.simplify(e))).toBe(show(e));
  expect(structuralEqual(analyzer.simplify(add(F32(1.5), F32(2.25))), F32(3.75))).toBe(true);
  expect(structuralEqual(analyzer.simplify(lt(F32(1), F32(2))), T)).toBe(true);
});
