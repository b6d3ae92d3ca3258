/**
 * LegalizeOps, numerically: every core operator is legalized on its own, the PrimFunc it
 * becomes runs in the TIR interpreter on seeded random inputs, and the result is compared with
 * a naive JavaScript reference. Cases with symbolic dims run with concrete sizes bound from
 * the argument shapes (and tir_vars where the PrimFunc needs them).
 */
import { describe, expect, it } from "vitest";
import { DataType, float32, int64 } from "../../../src/ir/dtype.js";
import { Var as TirVar, type PrimExpr } from "../../../src/ir/expr.js";
import * as E from "../../../src/ir/expr_ops.js";
import type { IRModule } from "../../../src/ir/module.js";
import {
  BlockBuilder, Call, Constant, Function, SeqExpr, ShapeExpr, TensorStructInfo, Var, op, transform, type Expr,
} from "../../../src/relax/index.js";
import { PrimFunc } from "../../../src/tir/function.js";
import { Rng, fromArray, randomArray, toArray, type HostArray } from "../../../src/tir/interp/index.js";
import { evalDim, evalRelax, type Value } from "../reference_eval.js";
import * as ref from "../reference_ops.js";
import * as ref2 from "../reference_ops_extra.js";
import type { Nd } from "../reference_ops.js";

type Dim = number | string | ((s: Syms) => PrimExpr);
type Syms = (name: string) => TirVar;

interface Case {
  name: string;
  params: readonly (readonly [readonly Dim[], string?])[];
  call: (v: Var[], s: Syms) => Expr;
  ref: (xs: Nd[]) => Nd | Nd[];
  sym?: Readonly<Record<string, number>>;
  /** Input generators per parameter index (default: uniform in [-1, 1) or small ints). */
  gen?: Readonly<Record<number, (rng: Rng, shape: number[]) => HostArray>>;
  tol?: number;
}

const positive = (rng: Rng, shape: number[]) => {
  const a = randomArray(shape, "float32", rng);
  const d = a.data as Float32Array;
  for (let i = 0; i < d.length; i++) d[i] = Math.abs(d[i]!) + 0.1;
  return a;
};
const ints = (lo: number, hi: number) => (rng: Rng, shape: number[]) =>
  fromArray(Array.from({ length: ref.numel(shape) }, () => rng.int(lo, hi)), shape, "int64");

function buildModule(c: Case): { mod: IRModule; syms: Map<string, TirVar> } {
  const syms = new Map<string, TirVar>();
  const sym: Syms = (n) => {
    let v = syms.get(n);
    if (!v) syms.set(n, (v = new TirVar(n, int64)));
    return v;
  };
  const dim = (d: Dim): PrimExpr | number => (typeof d === "number" ? d : typeof d === "string" ? sym(d) : d(sym));
  const params = c.params.map(([dims, dt], i) => new Var(`p${i}`, new TensorStructInfo(new ShapeExpr(dims.map(dim)), DataType.parse(dt ?? "float32"))));
  const bb = new BlockBuilder();
  bb.function("main", params, (b) => b.dataflow(() => b.emitOutput(c.call(params, sym))));
  return { mod: bb.getModule(), syms };
}

function inputs(c: Case, mod: IRModule, syms: Map<string, TirVar>, rng: Rng): HostArray[] {
  const env = new Map<TirVar, number>();
  for (const [k, v] of Object.entries(c.sym ?? {})) env.set(syms.get(k)!, v);
  const fn = mod.get("main") as Function;
  return fn.params.map((p, i) => {
    const s = p.structInfo as TensorStructInfo;
    const shape = s.dims!.map((d) => evalDim(d, env));
    return c.gen?.[i]?.(rng, shape) ?? randomArray(shape, s.dtype, rng);
  });
}

const nd = (a: HostArray): Nd => ({ shape: [...a.shape], data: Float64Array.from(toArray(a)) });

function compare(got: Value, want: Nd | Nd[], tol: number): void {
  if (Array.isArray(want)) {
    (want as Nd[]).forEach((w, i) => compare((got as readonly Value[])[i]!, w, tol));
    return;
  }
  const g = got as HostArray;
  expect([...g.shape]).toEqual(want.shape);
  const d = toArray(g);
  for (let i = 0; i < d.length; i++) {
    const w = (want as Nd).data[i]!;
    if (!(Math.abs(d[i]! - w) <= tol + tol * Math.abs(w))) throw new Error(`element ${i}: got ${d[i]}, expected ${w}`);
  }
}

function check(c: Case): void {
  const { mod, syms } = buildModule(c);
  const out = transform.LegalizeOps(mod);
  const main = out.get("main") as Function;
  // Only call_tir (and tuples around them) remain; every callee is a PrimFunc of the module.
  for (const b of (main.body as SeqExpr).blocks.flatMap((x) => x.bindings)) {
    if (b.value instanceof Call) {
      expect(String(b.value.op)).toBe("R.call_tir");
      expect(out.get((b.value.args[0] as { name: string }).name)).toBeInstanceOf(PrimFunc);
    }
  }
  const rng = new Rng(7);
  const xs = inputs(c, mod, syms, rng);
  const got = evalRelax(out, "main", xs);
  compare(got, c.ref(xs.map(nd)), c.tol ?? 1e-4);
}

const f = (dims: readonly Dim[], dt?: string) => [dims, dt] as const;
const unary = (name: string, g: (v: number) => number, gen?: Case["gen"]): Case => ({
  name,
  params: [f([3, 4])],
  call: ([x]) => (op as unknown as Record<string, (x: Expr) => Expr>)[name]!(x!),
  ref: ([x]) => ref.map(x!, g),
  gen,
});

const UNARY: Case[] = [
  unary("exp", Math.exp),
  unary("log", Math.log, { 0: positive }),
  unary("sqrt", Math.sqrt, { 0: positive }),
  unary("rsqrt", (v) => 1 / Math.sqrt(v), { 0: positive }),
  unary("tanh", Math.tanh),
  unary("sigmoid", ref.sigmoid),
  unary("sin", Math.sin),
  unary("cos", Math.cos),
  unary("tan", Math.tan),
  unary("erf", ref.erf),
  unary("log1p", Math.log1p, { 0: positive }),
  unary("negative", (v) => -v),
  unary("abs", Math.abs),
  unary("square", (v) => v * v),
  unary("floor", Math.floor),
  unary("ceil", Math.ceil),
  unary("round", Math.round),
  unary("sign", Math.sign),
  { name: "astype", params: [f([3, 4])], call: ([x]) => op.astype(x!, "int32"), ref: ([x]) => ref.map(x!, Math.trunc) },
  { name: "nn.relu", params: [f([3, 4])], call: ([x]) => op.nn.relu(x!), ref: ([x]) => ref.map(x!, (v) => Math.max(v, 0)) },
  { name: "nn.gelu", params: [f([3, 4])], call: ([x]) => op.nn.gelu(x!), ref: ([x]) => ref.map(x!, ref.gelu) },
  { name: "nn.gelu_tanh", params: [f([3, 4])], call: ([x]) => op.nn.geluTanh(x!), ref: ([x]) => ref.map(x!, ref.geluTanh) },
  { name: "nn.silu", params: [f([3, 4])], call: ([x]) => op.nn.silu(x!), ref: ([x]) => ref.map(x!, (v) => v * ref.sigmoid(v)) },
];

const binary = (name: string, fn: string, g: (a: number, b: number) => number, gen?: Case["gen"]): Case => ({
  name,
  params: [f([2, 3, 4]), f([3, 1])],
  call: ([a, b]) => (op as unknown as Record<string, (a: Expr, b: Expr) => Expr>)[fn]!(a!, b!),
  ref: ([a, b]) => ref.bcast([a!, b!], g),
  gen,
});

const BINARY: Case[] = [
  binary("add", "add", (a, b) => a + b),
  binary("subtract", "subtract", (a, b) => a - b),
  binary("multiply", "multiply", (a, b) => a * b),
  binary("divide", "divide", (a, b) => a / b, { 1: positive }),
  binary("floor_divide", "floorDivide", (a, b) => Math.floor(a / b), { 1: positive }),
  binary("power", "power", (a, b) => a ** b, { 0: positive }),
  binary("maximum", "maximum", Math.max),
  binary("minimum", "minimum", Math.min),
  binary("equal", "equal", (a, b) => +(a === b)),
  binary("not_equal", "notEqual", (a, b) => +(a !== b)),
  binary("less", "less", (a, b) => +(a < b)),
  binary("less_equal", "lessEqual", (a, b) => +(a <= b)),
  binary("greater", "greater", (a, b) => +(a > b)),
  binary("greater_equal", "greaterEqual", (a, b) => +(a >= b)),
  {
    name: "where",
    params: [f([3, 1], "bool"), f([3, 4]), f([4])],
    call: ([c, a, b]) => op.where(c!, a!, b!),
    ref: ([c, a, b]) => ref.bcast([c!, a!, b!], (p, q, r) => (p ? q : r)),
  },
  {
    name: "add with a scalar constant",
    params: [f([2, 3])],
    call: ([a]) => op.add(a!, new Constant(float32, [], [2.5])),
    ref: ([a]) => ref.map(a!, (v) => v + 2.5),
  },
];


const LINALG: Case[] = [
  { name: "matmul 2-D", params: [f([3, 4]), f([4, 5])], call: ([a, b]) => op.matmul(a!, b!), ref: ([a, b]) => ref.matmul(a!, b!) },
  { name: "matmul batched, broadcast", params: [f([2, 3, 4]), f([4, 5])], call: ([a, b]) => op.matmul(a!, b!), ref: ([a, b]) => ref.matmul(a!, b!) },
  { name: "matmul 1-D @ 2-D", params: [f([4]), f([4, 5])], call: ([a, b]) => op.matmul(a!, b!), ref: ([a, b]) => ref.matmul(a!, b!) },
  { name: "matmul 2-D @ 1-D", params: [f([3, 4]), f([4])], call: ([a, b]) => op.matmul(a!, b!), ref: ([a, b]) => ref.matmul(a!, b!) },
  {
    name: "linear (permute_dims + matmul + add)",
    params: [f([3, 4]), f([5, 4]), f([5])],
    call: ([x, w, b]) => op.linear(x!, w!, b!),
    ref: ([x, w, b]) => ref.bcast([ref.matmul(x!, ref.transpose(w!, [1, 0])), b!], (p, q) => p + q),
  },
];

const reduceCase = (kind: "sum" | "mean" | "max" | "min" | "prod", axis: number[] | null, keep: boolean): Case => ({
  name: `${kind} axis=${JSON.stringify(axis)} keepdims=${keep}`,
  params: [f([2, 3, 4])],
  call: ([x]) => (op as unknown as Record<string, (x: Expr, a: unknown, k: boolean) => Expr>)[kind]!(x!, axis, keep),
  ref: ([x]) => ref.reduce(x!, axis, keep, kind),
});

const REDUCE: Case[] = [
  reduceCase("sum", [1], false),
  reduceCase("sum", null, false),
  reduceCase("mean", [0, 2], true),
  reduceCase("max", [-1], false),
  reduceCase("min", [1], true),
  reduceCase("prod", [2], false),
  { name: "softmax", params: [f([3, 5])], call: ([x]) => op.nn.softmax(x!, -1), ref: ([x]) => ref.softmax(x!, -1) },
  { name: "softmax axis 0", params: [f([3, 5])], call: ([x]) => op.nn.softmax(x!, 0), ref: ([x]) => ref.softmax(x!, 0) },
  { name: "log_softmax", params: [f([3, 5])], call: ([x]) => op.nn.logSoftmax(x!, 1), ref: ([x]) => ref.softmax(x!, 1, true) },
  {
    name: "layer_norm",
    params: [f([2, 3, 4]), f([4]), f([4])],
    call: ([x, g, b]) => op.nn.layerNorm(x!, g!, b!, [-1], 1e-5),
    ref: ([x, g, b]) => ref.layerNorm(x!, g!, b!, [-1], 1e-5),
  },
  {
    name: "layer_norm over two axes",
    params: [f([2, 3, 4]), f([3, 4]), f([3, 4])],
    call: ([x, g, b]) => op.nn.layerNorm(x!, g!, b!, [1, 2], 1e-5),
    ref: ([x, g, b]) => ref.layerNorm(x!, g!, b!, [1, 2], 1e-5),
  },
  {
    name: "batch_norm (inference)",
    params: [f([2, 3, 2, 2]), f([3]), f([3]), f([3]), f([3])],
    call: ([x, g, b, m, v]) => op.nn.batchNorm(x!, g!, b!, m!, v!, { axis: 1, epsilon: 1e-3 }),
    ref: ([x, g, b, m, v]) => [ref.batchNorm(x!, g!, b!, m!, v!, 1, 1e-3), m!, v!],
    gen: { 4: positive },
  },
];

const CONV: Case[] = [
  {
    name: "conv2d",
    params: [f([1, 2, 5, 5]), f([3, 2, 3, 3])],
    call: ([x, w]) => op.nn.conv2d(x!, w!),
    ref: ([x, w]) => ref.conv2d(x!, w!, { strides: [1, 1], pad: [0, 0, 0, 0], dilation: [1, 1], groups: 1 }),
  },
  {
    name: "conv2d stride 2, padding, dilation",
    params: [f([2, 2, 7, 6]), f([4, 2, 3, 2])],
    call: ([x, w]) => op.nn.conv2d(x!, w!, { strides: [2, 1], padding: [1, 0, 2, 1], dilation: [1, 2] }),
    ref: ([x, w]) => ref.conv2d(x!, w!, { strides: [2, 1], pad: [1, 0, 2, 1], dilation: [1, 2], groups: 1 }),
  },
  {
    name: "conv2d groups",
    params: [f([1, 4, 5, 5]), f([6, 2, 3, 3])],
    call: ([x, w]) => op.nn.conv2d(x!, w!, { padding: [1, 1], groups: 2 }),
    ref: ([x, w]) => ref.conv2d(x!, w!, { strides: [1, 1], pad: [1, 1, 1, 1], dilation: [1, 1], groups: 2 }),
  },
  {
    name: "max_pool2d",
    params: [f([1, 2, 6, 6])],
    call: ([x]) => op.nn.maxPool2d(x!, [3, 3], { strides: [2, 2], padding: [1, 1, 1, 1] }),
    ref: ([x]) => ref.pool2d(x!, "max", [3, 3], [2, 2], [1, 1, 1, 1], false),
  },
  {
    name: "max_pool2d ceil_mode: a last window starting in the padding is dropped",
    params: [f([1, 1, 5, 5])],
    call: ([x]) => op.nn.maxPool2d(x!, [2, 2], { strides: [2, 2], padding: [1, 1, 1, 1], ceilMode: true }),
    ref: ([x]) => ref.pool2d(x!, "max", [2, 2], [2, 2], [1, 1, 1, 1], false),
  },
  {
    name: "avg_pool2d",
    params: [f([1, 2, 6, 6])],
    call: ([x]) => op.nn.avgPool2d(x!, [2, 2], { strides: [2, 2] }),
    ref: ([x]) => ref.pool2d(x!, "avg", [2, 2], [2, 2], [0, 0, 0, 0], false),
  },
  {
    name: "avg_pool2d with padding, count_include_pad",
    params: [f([1, 1, 5, 5])],
    call: ([x]) => op.nn.avgPool2d(x!, [3, 3], { padding: [1, 1, 1, 1], countIncludePad: true }),
    ref: ([x]) => ref.pool2d(x!, "avg", [3, 3], [1, 1], [1, 1, 1, 1], true),
  },
];

const same = (x: Nd, shape: number[]): Nd => ({ shape, data: x.data });

const MANIP: Case[] = [
  { name: "reshape", params: [f([2, 3, 4])], call: ([x]) => op.reshape(x!, [6, -1]), ref: ([x]) => same(x!, [6, 4]) },
  { name: "permute_dims", params: [f([2, 3, 4])], call: ([x]) => op.permuteDims(x!, [2, 0, 1]), ref: ([x]) => ref.transpose(x!, [2, 0, 1]) },
  { name: "permute_dims default", params: [f([2, 3, 4])], call: ([x]) => op.permuteDims(x!), ref: ([x]) => ref.transpose(x!, [2, 1, 0]) },
  { name: "expand_dims", params: [f([2, 3])], call: ([x]) => op.expandDims(x!, [0, -1]), ref: ([x]) => same(x!, [1, 2, 3, 1]) },
  { name: "squeeze", params: [f([2, 1, 3, 1])], call: ([x]) => op.squeeze(x!, [1]), ref: ([x]) => same(x!, [2, 3, 1]) },
  { name: "squeeze all", params: [f([2, 1, 3, 1])], call: ([x]) => op.squeeze(x!), ref: ([x]) => same(x!, [2, 3]) },
  {
    name: "concat",
    params: [f([2, 3]), f([2, 1]), f([2, 2])],
    call: ([a, b, c]) => op.concat([a!, b!, c!], 1),
    ref: (xs) => ref.concat(xs, 1),
  },
  {
    name: "split sections",
    params: [f([4, 6])],
    call: ([x]) => op.split(x!, 3, 1),
    ref: ([x]) => [0, 2, 4].map((s) => ref.slice(x!, [1], [s], [s + 2], [1])),
  },
  {
    name: "split indices",
    params: [f([5, 2])],
    call: ([x]) => op.split(x!, [1, 3], 0),
    ref: ([x]) => [[0, 1], [1, 3], [3, 5]].map(([b, e]) => ref.slice(x!, [0], [b!], [e!], [1])),
  },
  {
    name: "broadcast_to",
    params: [f([3, 1])],
    call: ([x]) => op.broadcastTo(x!, [2, 3, 4]),
    ref: ([x]) => ref.bcast([x!, { shape: [2, 3, 4], data: new Float64Array(24) }], (p) => p),
  },
  {
    name: "strided_slice",
    params: [f([5, 6])],
    call: ([x]) => op.stridedSlice(x!, [0, 1], [1, -1], [4, 1], { strides: [2, -2] }),
    ref: ([x]) => ref.slice(x!, [0, 1], [1, 5], [4, 1], [2, -2]),
  },
  {
    name: "take along axis",
    params: [f([4, 3]), f([2, 2], "int64")],
    call: ([x, i]) => op.take(x!, i!, 0),
    ref: ([x, i]) => ref.take(x!, i!, 0),
    gen: { 1: ints(-4, 4) },
  },
  {
    name: "take flattened",
    params: [f([4, 3]), f([5], "int64")],
    call: ([x, i]) => op.take(x!, i!),
    ref: ([x, i]) => ref.take(x!, i!, null),
    gen: { 1: ints(0, 12) },
  },
];

const SYMBOLIC: Case[] = [
  {
    name: "add (n, 4) + (4,)",
    params: [f(["n", 4]), f([4])],
    call: ([a, b]) => op.add(a!, b!),
    ref: ([a, b]) => ref.bcast([a!, b!], (p, q) => p + q),
    sym: { n: 3 },
  },
  {
    name: "matmul (n, k) @ (k, 5)",
    params: [f(["n", "k"]), f(["k", 5])],
    call: ([a, b]) => op.matmul(a!, b!),
    ref: ([a, b]) => ref.matmul(a!, b!),
    sym: { n: 3, k: 4 },
  },
  {
    name: "sum over a symbolic axis",
    params: [f([2, "n"])],
    call: ([x]) => op.sum(x!, [1]),
    ref: ([x]) => ref.reduce(x!, [1], false, "sum"),
    sym: { n: 5 },
  },
  {
    name: "reshape (n, 6) -> (n * 2, 3)",
    params: [f(["n", 6])],
    call: ([x], s) => op.reshape(x!, [E.mul(s("n"), 2), 3]),
    ref: ([x]) => same(x!, [x!.shape[0]! * 2, 3]),
    sym: { n: 3 },
  },
  {
    name: "softmax over (n * 2, 3): n comes in tir_vars",
    params: [f(["n"]), f([(s) => E.mul(s("n"), 2), 3])],
    call: ([, x]) => op.nn.softmax(x!, -1),
    ref: ([, x]) => ref.softmax(x!, -1),
    sym: { n: 2 },
  },
  {
    name: "strided_slice with a symbolic end",
    params: [f(["n", 4])],
    call: ([x], s) => op.stridedSlice(x!, [0], [1], [s("n")]),
    ref: ([x]) => ref.slice(x!, [0], [1], [x!.shape[0]!], [1]),
    sym: { n: 5 },
  },
  {
    name: "conv2d over a symbolic batch",
    params: [f(["b", 2, 4, 4]), f([2, 2, 3, 3])],
    call: ([x, w]) => op.nn.conv2d(x!, w!, { padding: [1, 1] }),
    ref: ([x, w]) => ref.conv2d(x!, w!, { strides: [1, 1], pad: [1, 1, 1, 1], dilation: [1, 1], groups: 1 }),
    sym: { b: 2 },
  },
  {
    name: "concat along a symbolic axis",
    params: [f(["n", 2]), f(["m", 2])],
    call: ([a, b]) => op.concat([a!, b!], 0),
    ref: (xs) => ref.concat(xs, 0),
    sym: { n: 2, m: 3 },
  },
];

const bools = (rng: Rng, shape: number[]) => fromArray(Array.from({ length: ref.numel(shape) }, () => rng.int(0, 2)), shape, "bool");
const withSpecials = (rng: Rng, shape: number[]) => {
  const a = randomArray(shape, "float32", rng);
  const d = a.data as Float32Array;
  [NaN, Infinity, -Infinity].forEach((v, i) => (d[i * 2] = v));
  return a;
};
/** Small ints as floats, so that argmax / argmin see ties. */
const tied = (rng: Rng, shape: number[]) => fromArray(Array.from({ length: ref.numel(shape) }, () => rng.int(0, 3)), shape, "float32");
const resizeCase = (name: string, inHW: [number, number], size: [number, number], o: Parameters<typeof op.image.resize2d>[2], r: ref2.ResizeRef): Case => ({
  name: `resize2d ${name}`,
  params: [f([1, 2, ...inHW])],
  call: ([x]) => op.image.resize2d(x!, size, o),
  ref: ([x]) => ref2.resize(x!, size, r),
});

const MORE: Case[] = [
  { name: "logical_and", params: [f([2, 3], "bool"), f([3], "bool")], call: ([a, b]) => op.logicalAnd(a!, b!), ref: ([a, b]) => ref.bcast([a!, b!], (p, q) => +(p && q)), gen: { 0: bools, 1: bools } },
  { name: "logical_or", params: [f([2, 3], "bool"), f([3], "bool")], call: ([a, b]) => op.logicalOr(a!, b!), ref: ([a, b]) => ref.bcast([a!, b!], (p, q) => +(p || q)), gen: { 0: bools, 1: bools } },
  { name: "logical_xor", params: [f([2, 3], "bool"), f([3], "bool")], call: ([a, b]) => op.logicalXor(a!, b!), ref: ([a, b]) => ref.bcast([a!, b!], (p, q) => +(!!p !== !!q)), gen: { 0: bools, 1: bools } },
  { name: "logical_not", params: [f([2, 3], "bool")], call: ([a]) => op.logicalNot(a!), ref: ([a]) => ref.map(a!, (p) => +!p), gen: { 0: bools } },
  { name: "isnan", params: [f([2, 4])], call: ([a]) => op.isnan(a!), ref: ([a]) => ref.map(a!, (p) => +Number.isNaN(p)), gen: { 0: withSpecials } },
  { name: "isinf", params: [f([2, 4])], call: ([a]) => op.isinf(a!), ref: ([a]) => ref.map(a!, (p) => +(Math.abs(p) === Infinity)), gen: { 0: withSpecials } },
  { name: "isfinite", params: [f([2, 4])], call: ([a]) => op.isfinite(a!), ref: ([a]) => ref.map(a!, (p) => +Number.isFinite(p)), gen: { 0: withSpecials } },
  { name: "argmax axis 1", params: [f([3, 5])], call: ([a]) => op.argmax(a!, 1), ref: ([a]) => ref2.argReduce(a!, "max", 1, false, false), gen: { 0: tied } },
  { name: "argmax keepdims, last index", params: [f([3, 5])], call: ([a]) => op.argmax(a!, 0, true, true), ref: ([a]) => ref2.argReduce(a!, "max", 0, true, true), gen: { 0: tied } },
  { name: "argmin flattened", params: [f([3, 5])], call: ([a]) => op.argmin(a!), ref: ([a]) => ref2.argReduce(a!, "min", null, false, false), gen: { 0: tied } },
  { name: "argmin last index over a symbolic axis", params: [f([2, "n"])], call: ([a]) => op.argmin(a!, -1, false, true), ref: ([a]) => ref2.argReduce(a!, "min", -1, false, true), gen: { 0: tied }, sym: { n: 6 } },
  { name: "cumsum", params: [f([3, 4])], call: ([a]) => op.cumsum(a!, 1), ref: ([a]) => ref2.cumsum(a!, 1, false, false) },
  { name: "cumsum exclusive", params: [f([3, 4])], call: ([a]) => op.cumsum(a!, 0, { exclusive: true }), ref: ([a]) => ref2.cumsum(a!, 0, true, false) },
  { name: "cumsum reverse", params: [f([3, "n"])], call: ([a]) => op.cumsum(a!, -1, { reverse: true }), ref: ([a]) => ref2.cumsum(a!, -1, false, true), sym: { n: 5 } },
  { name: "cumsum reverse exclusive", params: [f([4, 2])], call: ([a]) => op.cumsum(a!, 0, { reverse: true, exclusive: true }), ref: ([a]) => ref2.cumsum(a!, 0, true, true) },
  {
    name: "cumsum flattened, int32 into int64",
    params: [f([2, 3], "int32")],
    call: ([a]) => op.cumsum(a!, null, { dtype: "int64" }),
    ref: ([a]) => ref2.cumsum({ shape: [6], data: a!.data }, 0, false, false),
    gen: { 0: (rng, shape) => fromArray(Array.from({ length: ref.numel(shape) }, () => rng.int(-5, 5)), shape, "int32") },
  },
  {
    name: "attention",
    params: [f([2, 3, 2, 4]), f([2, 5, 2, 4]), f([2, 5, 2, 3])],
    call: ([q, k, v]) => op.nn.attention(q!, k!, v!),
    ref: ([q, k, v]) => ref2.attention(q!, k!, v!),
  },
  {
    name: "attention with bias, scale and a TopLeft causal mask",
    params: [f([1, 4, 2, 3]), f([1, 4, 2, 3]), f([1, 4, 2, 3]), f([1, 4, 4])],
    call: ([q, k, v, b]) => op.nn.attention(q!, k!, v!, { bias: b, scale: 0.7, causalMask: "TopLeft" }),
    ref: ([q, k, v, b]) => ref2.attention(q!, k!, v!, { bias: b, scale: 0.7, causal: "TopLeft" }),
  },
  {
    name: "attention BottomRight causal, grouped-query heads",
    params: [f([1, 2, 4, 3]), f([1, 5, 2, 3]), f([1, 5, 2, 2])],
    call: ([q, k, v]) => op.nn.attention(q!, k!, v!, { causalMask: "BottomRight" }),
    ref: ([q, k, v]) => ref2.attention(q!, k!, v!, { causal: "BottomRight" }),
  },
  {
    name: "attention over symbolic sequence lengths and head size",
    params: [f(["b", "s", 2, "h"]), f(["b", "l", 2, "h"]), f(["b", "l", 2, 3])],
    call: ([q, k, v]) => op.nn.attention(q!, k!, v!, { causalMask: "TopLeft" }),
    ref: ([q, k, v]) => ref2.attention(q!, k!, v!, { causal: "TopLeft" }),
    sym: { b: 2, s: 3, l: 4, h: 5 },
  },
  {
    name: "group_norm",
    params: [f([2, 4, 3, 2]), f([4]), f([4])],
    call: ([x, g, b]) => op.nn.groupNorm(x!, g!, b!, 2, { epsilon: 1e-3 }),
    ref: ([x, g, b]) => ref2.groupNorm(x!, g!, b!, 2, 1e-3),
  },
  {
    name: "instance_norm",
    params: [f([2, 3, 5]), f([3]), f([3])],
    call: ([x, g, b]) => op.nn.instanceNorm(x!, g!, b!),
    ref: ([x, g, b]) => ref2.groupNorm(x!, g!, b!, 3, 1e-5),
  },
  {
    name: "conv2d_transpose",
    params: [f([1, 2, 3, 3]), f([2, 3, 3, 3])],
    call: ([x, w]) => op.nn.conv2dTranspose(x!, w!),
    ref: ([x, w]) => ref2.conv2dTranspose(x!, w!, { strides: [1, 1], pad: [0, 0, 0, 0], outputPadding: [0, 0], dilation: [1, 1], groups: 1 }),
  },
  {
    name: "conv2d_transpose stride 2, padding, output padding, dilation",
    params: [f([2, 2, 3, 4]), f([2, 3, 3, 2])],
    call: ([x, w]) => op.nn.conv2dTranspose(x!, w!, { strides: [2, 3], padding: [1, 0, 0, 1], outputPadding: [1, 2], dilation: [1, 2] }),
    ref: ([x, w]) => ref2.conv2dTranspose(x!, w!, { strides: [2, 3], pad: [1, 0, 0, 1], outputPadding: [1, 2], dilation: [1, 2], groups: 1 }),
  },
  {
    name: "conv2d_transpose groups over a symbolic batch",
    params: [f(["b", 4, 3, 3]), f([4, 1, 2, 2])],
    call: ([x, w]) => op.nn.conv2dTranspose(x!, w!, { strides: [2, 2], groups: 2 }),
    ref: ([x, w]) => ref2.conv2dTranspose(x!, w!, { strides: [2, 2], pad: [0, 0, 0, 0], outputPadding: [0, 0], dilation: [1, 1], groups: 2 }),
    sym: { b: 2 },
  },
  {
    name: "topk largest with ties (values and indices)",
    params: [f([3, 6])],
    call: ([x]) => op.topk(x!, 4, { dtype: "int64" }),
    ref: ([x]) => ref2.topk(x!, 4, -1, true),
    gen: { 0: tied },
  },
  {
    name: "topk smallest along axis 0 over a symbolic column count, indices only",
    params: [f([5, "n"])],
    call: ([x]) => op.topk(x!, 2, { axis: 0, largest: false, retType: "indices" }),
    ref: ([x]) => ref2.topk(x!, 2, 0, false)[1],
    gen: { 0: tied },
    sym: { n: 3 },
  },
  resizeCase("linear half_pixel up", [3, 4], [5, 7], {}, { mode: "linear", coord: "half_pixel" }),
  resizeCase("linear align_corners", [3, 4], [5, 7], { coordinateTransformationMode: "align_corners" }, { mode: "linear", coord: "align_corners" }),
  resizeCase("linear asymmetric down", [5, 6], [2, 4], { coordinateTransformationMode: "asymmetric" }, { mode: "linear", coord: "asymmetric" }),
  resizeCase("linear pytorch_half_pixel to one row", [4, 4], [1, 3], { coordinateTransformationMode: "pytorch_half_pixel" }, { mode: "linear", coord: "pytorch_half_pixel" }),
  resizeCase("linear half_pixel with scales 1.5", [5, 3], [7, 4], { scales: [1.5, 1.5] }, { mode: "linear", coord: "half_pixel", scales: [1.5, 1.5] }),
  resizeCase("linear half_pixel_symmetric with scales", [5, 3], [7, 4], { coordinateTransformationMode: "half_pixel_symmetric", scales: [1.5, 1.5] }, { mode: "linear", coord: "half_pixel_symmetric", scales: [1.5, 1.5] }),
  resizeCase("cubic half_pixel up (A = -0.75)", [4, 5], [7, 9], { method: "cubic", cubicAlpha: -0.75 }, { mode: "cubic", coord: "half_pixel", cubicA: -0.75 }),
  resizeCase("cubic align_corners down, outside taps excluded (A = -0.5)", [6, 7], [4, 3], { method: "cubic", coordinateTransformationMode: "align_corners", cubicExclude: true }, { mode: "cubic", coord: "align_corners", cubicA: -0.5, exclude: true }),
  resizeCase("cubic asymmetric with scales, excluded", [3, 4], [6, 6], { method: "cubic", coordinateTransformationMode: "asymmetric", cubicAlpha: -0.75, cubicExclude: true, scales: [2, 1.5] }, { mode: "cubic", coord: "asymmetric", cubicA: -0.75, exclude: true, scales: [2, 1.5] }),
  resizeCase("nearest asymmetric floor", [3, 4], [6, 10], { method: "nearest_neighbor", coordinateTransformationMode: "asymmetric", roundingMethod: "floor" }, { mode: "nearest", coord: "asymmetric", nearest: "floor" }),
  resizeCase("nearest half_pixel round_prefer_floor down (ties)", [6, 8], [3, 4], { method: "nearest_neighbor", roundingMethod: "round_prefer_floor" }, { mode: "nearest", coord: "half_pixel", nearest: "round_prefer_floor" }),
  resizeCase("nearest half_pixel round_prefer_ceil down (ties)", [6, 8], [3, 4], { method: "nearest_neighbor", roundingMethod: "round_prefer_ceil" }, { mode: "nearest", coord: "half_pixel", nearest: "round_prefer_ceil" }),
  resizeCase("nearest align_corners ceil", [3, 4], [5, 7], { method: "nearest_neighbor", coordinateTransformationMode: "align_corners", roundingMethod: "ceil" }, { mode: "nearest", coord: "align_corners", nearest: "ceil" }),
  {
    name: "resize2d to a symbolic size (tir_vars)",
    params: [f([1, 2, 3, 4]), f(["oh", "ow"])],
    call: ([x], s) => op.image.resize2d(x!, [s("oh"), s("ow")]),
    ref: ([x, shape]) => ref2.resize(x!, [shape!.shape[0]!, shape!.shape[1]!], { mode: "linear", coord: "half_pixel" }),
    sym: { oh: 5, ow: 3 },
  },
];

describe("LegalizeOps: every operator against a JavaScript reference", () => {
  for (const [group, cases] of [
    ["unary", UNARY], ["binary", BINARY], ["linear algebra", LINALG], ["reductions and normalization", REDUCE],
    ["convolution and pooling", CONV], ["shape manipulation and indexing", MANIP], ["symbolic shapes", SYMBOLIC],
    ["logical, arg reductions, scans, topk, attention, group norms, conv2d_transpose and resize", MORE],
  ] as const) {
    describe(group, () => {
      for (const c of cases) it(c.name, () => check(c));
    });
  }

  it("covers every registered core operator", () => {
    const covered = new Set<string>();
    for (const cases of [UNARY, BINARY, LINALG, REDUCE, CONV, MANIP, SYMBOLIC, MORE]) {
      for (const c of cases) {
        const { mod } = buildModule(c);
        for (const b of ((mod.get("main") as Function).body as SeqExpr).blocks.flatMap((x) => x.bindings)) {
          if (b.value instanceof Call) covered.add(String(b.value.op));
        }
      }
    }
    const all = transform.legalizedOps().map((n) => `R.${n.replace(/^relax\./, "")}`);
    expect(all.filter((n) => !covered.has(n))).toEqual([]);
  });
});
