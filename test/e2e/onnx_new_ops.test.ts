/**
 * End to end for the newer operators: one-node ONNX models (Resize, Attention, ArgMax, CumSum,
 * GroupNormalization, logical ops) compiled by relax.build with the default schedules for js,
 * wasm and c, run on the VM and compared with the float64 evaluation of the imported function.
 * Symbolic dims are bound at run time, so one build serves several input sizes. Also the nn
 * builder's BERT-style layer exported to Relax with one fused R.nn.attention.
 */
import { describe, expect, it } from "vitest";
import { OnnxGraphBuilder, importOnnx, nn, type OnnxAttrValue, type OnnxDim } from "../../src/frontend/index.js";
import { build } from "../../src/relax/pipeline.js";
import { NDArray } from "../../src/runtime/ndarray.js";
import { findCompiler } from "../../src/target/c/index.js";
import { mainOf } from "../frontend/helpers.js";
import { TinyBert } from "../frontend/models.js";
import { evalMain } from "../relax/reference_eval.js";
import { arr, type Nd as Arr } from "../relax/reference_ops.js";

const hasC = (() => {
  try {
    findCompiler();
    return true;
  } catch {
    return false;
  }
})();
const TARGETS = ["js", "wasm", ...(hasC ? ["c"] : [])];

interface Input {
  name: string;
  dims: readonly OnnxDim[];
  dtype?: string;
}

function model(opType: string, inputs: readonly Input[], attrs: Readonly<Record<string, OnnxAttrValue>>, extra: (g: OnnxGraphBuilder) => string[], outDtype = "float32", opset = 19) {
  const g = new OnnxGraphBuilder();
  const names = inputs.map((x) => g.input(x.name, x.dtype ?? "float32", x.dims));
  g.output(g.op(opType, [...names, ...extra(g)], attrs), outDtype);
  return importOnnx(g.toBytes(opset), { allowAnyOpset: opset > 21 });
}

async function check(mod: ReturnType<typeof importOnnx>, target: string, cases: { values: Arr[]; dtypes?: string[] }[], outDtype = "float32"): Promise<void> {
  const { vm } = await build(mod, target);
  for (const c of cases) {
    const want = evalMain(mainOf(mod), c.values);
    const args = c.values.map((a, i) => NDArray.fromArray(Array.from(a.data), a.shape, c.dtypes?.[i] ?? "float32"));
    const got = vm.invoke("main", ...args) as NDArray;
    expect(got.shape).toEqual(want.shape);
    expect(got.dtype.toString()).toBe(outDtype);
    const g = got.toArray();
    let scale = 1e-6, err = 0;
    for (let i = 0; i < g.length; i++) {
      scale = Math.max(scale, Math.abs(want.data[i]!));
      err = Math.max(err, Math.abs(g[i]! - want.data[i]!));
    }
    expect(err / scale).toBeLessThan(outDtype === "float32" ? 1e-5 : 1e-12);
  }
}

const rng = new nn.Rng(21);
const rand = (shape: number[]) => arr(shape, () => rng.next() * 2 - 1);

describe.each(TARGETS)("new operators compiled for %s with the default schedules", (target) => {
  it("Resize linear x2 over symbolic H and W (output h * 2, w * 2)", async () => {
    const mod = model("Resize", [{ name: "x", dims: ["n", 3, "h", "w"] }], { mode: "linear" }, (g) => ["", g.initializer("scales", "float32", [4], [1, 1, 2, 2])]);
    await check(mod, target, [{ values: [rand([1, 3, 5, 7])] }, { values: [rand([2, 3, 4, 4])] }]);
  });

  it("Resize nearest (asymmetric, floor) to static sizes", async () => {
    const mod = model("Resize", [{ name: "x", dims: [1, 2, 6, 5] }], { mode: "nearest", coordinate_transformation_mode: "asymmetric", nearest_mode: "floor" }, (g) => ["", "", g.ints([1, 2, 4, 11], "sizes")]);
    await check(mod, target, [{ values: [rand([1, 2, 6, 5])] }]);
  });

  it("Resize cubic (exclude_outside) over a symbolic batch", async () => {
    const mod = model("Resize", [{ name: "x", dims: ["n", 2, 5, 4] }], { mode: "cubic", exclude_outside: 1 }, (g) => ["", g.initializer("scales", "float32", [4], [1, 1, 1.5, 2])]);
    await check(mod, target, [{ values: [rand([2, 2, 5, 4])] }]);
  });

  it("Attention with a symbolic sequence length, grouped heads and a causal mask", async () => {
    const mod = model(
      "Attention",
      [{ name: "q", dims: [2, 4, "s", 8] }, { name: "k", dims: [2, 2, "s", 8] }, { name: "v", dims: [2, 2, "s", 8] }],
      { is_causal: 1 },
      () => [],
      "float32",
      23,
    );
    await check(mod, target, [5, 17].map((s) => ({ values: [rand([2, 4, s, 8]), rand([2, 2, s, 8]), rand([2, 2, s, 8])] })));
  });

  it("Attention with a bool mask", async () => {
    const mod = model("Attention", [{ name: "q", dims: [1, 2, 3, 4] }, { name: "k", dims: [1, 2, 6, 4] }, { name: "v", dims: [1, 2, 6, 4] }, { name: "m", dims: [3, 6], dtype: "bool" }], {}, () => [], "float32", 23);
    const mask = arr([3, 6], (i) => +(i % 3 !== 2));
    await check(mod, target, [{ values: [rand([1, 2, 3, 4]), rand([1, 2, 6, 4]), rand([1, 2, 6, 4]), mask], dtypes: ["float32", "float32", "float32", "bool"] }]);
  });

  it("ArgMax, CumSum and GroupNormalization", async () => {
    const x = arr([2, 9], (i) => (i * 7) % 5);
    await check(model("ArgMax", [{ name: "x", dims: ["n", 9] }], { axis: 1, select_last_index: 1 }, () => [], "int64"), target, [{ values: [x] }], "int64");
    await check(model("CumSum", [{ name: "x", dims: [3, "n"] }], { reverse: 1 }, (g) => [g.ints([1], "axis")]), target, [{ values: [rand([3, 6])] }]);
    const gn = model("GroupNormalization", [{ name: "x", dims: ["n", 4, 3, 3] }], { num_groups: 2 }, (g) => [
      g.initializer("s", "float32", [4], [1, 2, 3, 4]), g.initializer("b", "float32", [4], [0, 1, 0, -1]),
    ], "float32", 21);
    await check(gn, target, [{ values: [rand([2, 4, 3, 3])] }]);
  });

  it("ConvTranspose with stride, pads, output_padding and a bias over a symbolic batch", async () => {
    const mod = model("ConvTranspose", [{ name: "x", dims: ["n", 4, 5, 6] }], { strides: [2, 2], pads: [1, 0, 1, 1], output_padding: [1, 0], group: 2 }, (g) => [
      g.initializer("w", "float32", [4, 3, 3, 3], Array.from({ length: 108 }, (_, i) => Math.sin(i))),
      g.initializer("b", "float32", [6], [1, 2, 3, 4, 5, 6]),
    ]);
    await check(mod, target, [{ values: [rand([1, 4, 5, 6])] }, { values: [rand([3, 4, 5, 6])] }]);
  });

  it("Einsum bhqd,bhkd->bhqk over a symbolic sequence length", async () => {
    const mod = model("Einsum", [{ name: "q", dims: [2, 3, "s", 4] }, { name: "k", dims: [2, 3, "s", 4] }], { equation: "bhqd,bhkd->bhqk" }, () => []);
    await check(mod, target, [{ values: [rand([2, 3, 5, 4]), rand([2, 3, 5, 4])] }]);
  });

  it("BERT-style layer exported to Relax with fusedAttention (seq 5 and 16 from one build)", async () => {
    const mod = nn.exportRelax(new TinyBert(new nn.Rng(9)), [{ name: "input_ids", shape: ["batch", "seq"], dtype: "int64" }], { fusedAttention: true });
    const cases = [5, 16].map((seq) => ({ values: [arr([2, seq], (i) => (i * 7 + seq) % 50)], dtypes: ["int64"] }));
    await check(mod, target, cases);
  });

  it("TopK (values output) over a symbolic row count", async () => {
    const mod = model("TopK", [{ name: "x", dims: ["n", 7] }], { largest: 1 }, (g) => [g.ints([3], "k")]);
    await check(mod, target, [{ values: [arr([2, 7], (i) => (i * 5) % 7 - 3)] }, { values: [rand([4, 7])] }]);
  });

  it("Xor and IsNaN", async () => {
    const bools = ["bool", "bool"];
    const xor = model("Xor", [{ name: "a", dims: [2, 3], dtype: "bool" }, { name: "b", dims: [3], dtype: "bool" }], {}, () => [], "bool");
    await check(xor, target, [{ values: [arr([2, 3], (i) => i % 2), arr([3], (i) => +(i === 1))], dtypes: bools }], "bool");
    const isnan = model("IsNaN", [{ name: "x", dims: [4] }], {}, () => [], "bool");
    await check(isnan, target, [{ values: [arr([4], (i) => (i === 2 ? NaN : i))] }], "bool");
  });
});
