import { describe, expect, it } from "vitest";
import { placeholder, topi, type Tensor } from "../../src/te/index.js";
import { fromArray, toArray } from "../../src/tir/interp/index.js";
import { Rng, build, get, nd, rand, runAndCheck, type Nd } from "./te_harness.js";

const erfRef = (x: number) => {
  // Abramowitz-Stegun 7.1.26 is too coarse for 1e-5; integrate the series instead.
  let sum = x, term = x;
  for (let n = 1; n < 60; n++) {
    term *= (-x * x) / n;
    sum += term / (2 * n + 1);
  }
  return (2 / Math.sqrt(Math.PI)) * sum;
};

function mapRef(a: Nd, f: (x: number) => number): Nd {
  return { shape: a.shape, data: a.data.map(f) };
}

// All unary float ops on float32 inputs in [-1, 1); relative tolerance 1e-5 (float32 rounding).
const unary: [string, (x: Tensor) => Tensor, (x: number) => number, ((x: number) => number)?][] = [
  ["exp", topi.exp, Math.exp],
  ["exp2", topi.exp2, (x) => 2 ** x],
  ["log", topi.log, Math.log, (x) => Math.abs(x) + 0.1],
  ["log2", topi.log2, Math.log2, (x) => Math.abs(x) + 0.1],
  ["log10", topi.log10, Math.log10, (x) => Math.abs(x) + 0.1],
  ["log1p", topi.log1p, Math.log1p],
  ["expm1", topi.expm1, Math.expm1],
  ["sqrt", topi.sqrt, Math.sqrt, (x) => Math.abs(x)],
  ["rsqrt", topi.rsqrt, (x) => 1 / Math.sqrt(x), (x) => Math.abs(x) + 0.1],
  ["sigmoid", topi.sigmoid, (x) => 1 / (1 + Math.exp(-x))],
  ["tanh", topi.tanh, Math.tanh],
  ["erf", topi.erf, erfRef],
  ["sin", topi.sin, Math.sin],
  ["cos", topi.cos, Math.cos],
  ["tan", topi.tan, Math.tan],
  ["asin", topi.asin, Math.asin],
  ["acos", topi.acos, Math.acos],
  ["atan", topi.atan, Math.atan],
  ["sinh", topi.sinh, Math.sinh],
  ["cosh", topi.cosh, Math.cosh],
  ["floor", topi.floor, Math.floor, (x) => x * 5],
  ["ceil", topi.ceil, Math.ceil, (x) => x * 5],
  ["round", topi.round, Math.round, (x) => Math.round(x * 5) + 0.3 * Math.sign(x)],
  ["trunc", topi.trunc, Math.trunc, (x) => x * 5],
  ["negative", topi.negative, (x) => -x],
  ["abs", topi.abs, Math.abs],
  ["sign", topi.sign, Math.sign],
  ["square", topi.square, (x) => x * x],
  ["reciprocal", topi.reciprocal, (x) => 1 / x, (x) => x + 2],
  ["relu", topi.relu, (x) => Math.max(x, 0)],
  ["leaky_relu", (x) => topi.leakyRelu(x, 0.2), (x) => (x > 0 ? x : 0.2 * x)],
  ["gelu", (x) => topi.gelu(x), (x) => 0.5 * x * (1 + erfRef(x / Math.SQRT2)), (x) => 3 * x],
  [
    "gelu_tanh",
    (x) => topi.gelu(x, "tanh"),
    (x) => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3))),
    (x) => 3 * x,
  ],
  ["silu", topi.silu, (x) => x / (1 + Math.exp(-x)), (x) => 4 * x],
  ["hardswish", topi.hardswish, (x) => (x * Math.min(Math.max(x + 3, 0), 6)) / 6, (x) => 5 * x],
  ["hard_sigmoid", (x) => topi.hardSigmoid(x), (x) => Math.min(Math.max(x / 6 + 0.5, 0), 1), (x) => 5 * x],
  ["elu", (x) => topi.elu(x, 0.7), (x) => (x > 0 ? x : 0.7 * (Math.exp(x) - 1))],
  ["softplus", topi.softplus, (x) => Math.log1p(Math.exp(x)), (x) => 40 * x],
];

describe("unary elementwise ops", () => {
  for (const [name, op, ref, shape] of unary) {
    it(`${name} matches the reference (rtol 1e-5)`, () => {
      const rng = new Rng(name.length * 31 + name.charCodeAt(0));
      const raw = rand(rng, [3, 4]);
      const vals = toArray(raw).map(shape ?? ((x) => x));
      const a = fromArray(vals, [3, 4], "float32");
      const X = placeholder([3, 4], "float32", "X");
      runAndCheck([X], op(X), [a], mapRef(nd(a), ref), { rtol: 1e-5, atol: 1e-6 });
    });
  }

  it("rounding ops are the identity on integers; abs and negative work on ints", () => {
    const X = placeholder([5], "int32", "X");
    const a = fromArray([-3, -1, 0, 2, 7], [5], "int32");
    for (const op of [topi.floor, topi.ceil, topi.round, topi.trunc]) runAndCheck([X], op(X), [a], nd(a));
    runAndCheck([X], topi.abs(X), [a], mapRef(nd(a), Math.abs));
    runAndCheck([X], topi.negative(X), [a], mapRef(nd(a), (x) => -x));
    runAndCheck([X], topi.sign(X), [a], mapRef(nd(a), Math.sign));
  });

  it("isnan / isinf / isfinite and logical_not", () => {
    const X = placeholder([4], "float32", "X");
    const a = fromArray([1, NaN, Infinity, -2], [4], "float32");
    runAndCheck([X], topi.isnan(X), [a], { shape: [4], data: [0, 1, 0, 0] });
    runAndCheck([X], topi.isinf(X), [a], { shape: [4], data: [0, 0, 1, 0] });
    runAndCheck([X], topi.isfinite(X), [a], { shape: [4], data: [1, 0, 0, 1] });
    const B = placeholder([3], "bool", "B");
    runAndCheck([B], topi.logicalNot(B), [fromArray([1, 0, 1], [3], "bool")], { shape: [3], data: [0, 1, 0] });
  });

  it("cast converts elementwise", () => {
    const X = placeholder([4], "float32", "X");
    const a = fromArray([1.7, -1.7, 2.2, 0], [4]);
    runAndCheck([X], topi.cast(X, "int32"), [a], { shape: [4], data: [1, -1, 2, 0] });
  });

  it("float math rejects integer tensors, naming the op", () => {
    const X = placeholder([4], "int32", "X");
    expect(() => topi.exp(X)).toThrow(/exp: x must be a float tensor, got int32 \(cast it to a float type first\)/);
    expect(() => topi.gelu(X)).toThrow(/gelu: x must be a float tensor/);
    expect(() => topi.logicalNot(X)).toThrow(/logical_not: x must be a bool tensor, got int32/);
    expect(() => topi.gelu(placeholder([2]), "fast" as never)).toThrow(/gelu: approximate must be "none" or "tanh"/);
    expect(() => topi.exp(3 as never)).toThrow(/exp: x must be a Tensor, got number 3/);
  });

  it("prelu scales negatives by a per-channel slope", () => {
    const X = placeholder([2, 3, 2], "float32", "X");
    const S = placeholder([3], "float32", "S");
    const rng = new Rng(4);
    const a = rand(rng, [2, 3, 2]), s = rand(rng, [3]);
    const ra = nd(a), rs = nd(s);
    const ref = build([2, 3, 2], (i) => {
      const v = get(ra, i);
      return v > 0 ? v : v * get(rs, [i[1]!]);
    });
    runAndCheck([X, S], topi.prelu(X, S, 1), [a, s], ref);
    expect(() => topi.prelu(X, placeholder([4], "float32", "S4"))).toThrow(/prelu: slope must be 1-D with 3 entries/);
  });
});

describe("binary broadcasting ops", () => {
  const rng = new Rng(11);
  const cases: [string, (a: Tensor, b: Tensor) => Tensor, (x: number, y: number) => number][] = [
    ["add", topi.add, (x, y) => x + y],
    ["subtract", topi.subtract, (x, y) => x - y],
    ["multiply", topi.multiply, (x, y) => x * y],
    ["divide", topi.divide, (x, y) => x / y],
    ["floor_divide", topi.floorDivide, (x, y) => Math.floor(x / y)],
    ["mod", topi.mod, (x, y) => x - Math.trunc(x / y) * y],
    ["floor_mod", topi.floorMod, (x, y) => x - Math.floor(x / y) * y],
    ["power", topi.power, (x, y) => x ** y],
    ["maximum", topi.maximum, Math.max],
    ["minimum", topi.minimum, Math.min],
    ["equal", topi.equal, (x, y) => +(x === y)],
    ["not_equal", topi.notEqual, (x, y) => +(x !== y)],
    ["less", topi.less, (x, y) => +(x < y)],
    ["less_equal", topi.lessEqual, (x, y) => +(x <= y)],
    ["greater", topi.greater, (x, y) => +(x > y)],
    ["greater_equal", topi.greaterEqual, (x, y) => +(x >= y)],
  ];
  for (const [name, op, ref] of cases) {
    it(`${name} broadcasts [2, 1, 4] with [3, 1] (rtol 1e-5)`, () => {
      const A = placeholder([2, 1, 4], "float32", "A");
      const B = placeholder([3, 1], "float32", "B");
      let a = rand(rng, [2, 1, 4]), b = rand(rng, [3, 1]);
      if (name === "power") a = fromArray(toArray(a).map((x) => Math.abs(x) + 0.5), [2, 1, 4]);
      if (name.includes("divide") || name.includes("mod")) b = fromArray(toArray(b).map((x) => (x < 0 ? x - 0.25 : x + 0.25)), [3, 1]);
      if (name.includes("equal")) b = fromArray([toArray(a)[0]!, toArray(a)[1]!, 0.5], [3, 1]);
      const ra = nd(a), rb = nd(b);
      const out = build([2, 3, 4], ([i, j, k]) => ref(get(ra, [i!, 0, k!]), get(rb, [j!, 0])));
      const T = op(A, B);
      expect(T.shape.length).toBe(3);
      runAndCheck([A, B], T, [a, b], out, { rtol: 1e-5, atol: 1e-6 });
    });
  }

  it("integer division and modulo follow C (trunc) and Python (floor) rules", () => {
    const A = placeholder([4], "int32", "A");
    const B = placeholder([4], "int32", "B");
    const a = fromArray([7, -7, 7, -7], [4], "int32"), b = fromArray([2, 2, -2, -2], [4], "int32");
    runAndCheck([A, B], topi.divide(A, B), [a, b], { shape: [4], data: [3, -3, -3, 3] });
    runAndCheck([A, B], topi.floorDivide(A, B), [a, b], { shape: [4], data: [3, -4, -4, 3] });
    runAndCheck([A, B], topi.mod(A, B), [a, b], { shape: [4], data: [1, -1, 1, -1] });
    runAndCheck([A, B], topi.floorMod(A, B), [a, b], { shape: [4], data: [1, 1, -1, -1] });
  });

  it("scalar operands take the tensor's dtype", () => {
    const A = placeholder([3], "float32", "A");
    const a = fromArray([1, 2, 3], [3]);
    runAndCheck([A], topi.subtract(10, A), [a], { shape: [3], data: [9, 8, 7] });
    runAndCheck([A], topi.multiply(A, 0.5), [a], { shape: [3], data: [0.5, 1, 1.5] });
    const I = placeholder([3], "int32", "I");
    expect(() => topi.add(I, 0.5)).toThrow(/add: rhs 0.5 is not an integer but the tensor is int32/);
  });

  it("logical and/or/xor on bools", () => {
    const A = placeholder([4], "bool", "A");
    const B = placeholder([4], "bool", "B");
    const a = fromArray([0, 0, 1, 1], [4], "bool"), b = fromArray([0, 1, 0, 1], [4], "bool");
    runAndCheck([A, B], topi.logicalAnd(A, B), [a, b], { shape: [4], data: [0, 0, 0, 1] });
    runAndCheck([A, B], topi.logicalOr(A, B), [a, b], { shape: [4], data: [0, 1, 1, 1] });
    runAndCheck([A, B], topi.logicalXor(A, B), [a, b], { shape: [4], data: [0, 1, 1, 0] });
  });

  it("bitwise ops on integers", () => {
    const A = placeholder([3], "int32", "A");
    const B = placeholder([3], "int32", "B");
    const a = fromArray([12, 5, -1], [3], "int32"), b = fromArray([10, 3, 6], [3], "int32");
    runAndCheck([A, B], topi.bitwiseAnd(A, B), [a, b], { shape: [3], data: [8, 1, 6] });
    runAndCheck([A, B], topi.bitwiseOr(A, B), [a, b], { shape: [3], data: [14, 7, -1] });
    runAndCheck([A, B], topi.bitwiseXor(A, B), [a, b], { shape: [3], data: [6, 6, -7] });
    runAndCheck([A], topi.bitwiseNot(A), [a], { shape: [3], data: [-13, -6, 0] });
  });

  it("where and clip", () => {
    const C = placeholder([2, 1], "bool", "C");
    const X = placeholder([2, 3], "float32", "X");
    const rng2 = new Rng(2);
    const c = fromArray([1, 0], [2, 1], "bool"), x = rand(rng2, [2, 3]);
    const rx = nd(x);
    runAndCheck([C, X], topi.where(C, X, -5), [c, x], build([2, 3], ([i, j]) => (i === 0 ? get(rx, [i, j!]) : -5)));
    runAndCheck([X], topi.clip(X, -0.25, 0.5), [x], mapRef(rx, (v) => Math.min(Math.max(v, -0.25), 0.5)));
    expect(() => topi.clip(X, 1, 0)).toThrow(/clip: a_min 1 is greater than a_max 0/);
  });

  it("reports shapes that do not broadcast and dtype mismatches", () => {
    const A = placeholder([2, 3], "float32", "A");
    const B = placeholder([4], "float32", "B");
    expect(() => topi.add(A, B)).toThrow(/add: shapes cannot be broadcast: lhs \[2, 3\], rhs \[4\] \(dimension -1: 3 in lhs vs 4 in rhs\)/);
    const I = placeholder([2, 3], "int32", "I");
    expect(() => topi.multiply(A, I)).toThrow(/multiply: dtypes differ: lhs is float32 but rhs is int32/);
    expect(() => topi.power(I, I)).toThrow(/power: operands must be float tensors, got int32/);
    expect(() => topi.add(1, 2)).toThrow(/add: at least one operand must be a Tensor/);
  });
});
