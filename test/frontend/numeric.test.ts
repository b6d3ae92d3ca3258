/**
 * Numerical checks of import and export without the VM: the reference evaluator (test/relax/reference_eval.ts)
 * runs the Relax functions; converters that compose several Relax ops are compared with a
 * direct JavaScript implementation of the ONNX op, and each nn model's two export paths
 * (straight to Relax, and through ONNX bytes and the importer) must compute the same values.
 */
import { describe, expect, it } from "vitest";
import { OnnxGraphBuilder, importOnnx, nn, type OnnxAttrValue } from "../../src/frontend/index.js";
import { mainOf, opsOf } from "./helpers.js";
import { TinyBert, cnn, mlp } from "./models.js";
import { evalMain } from "../relax/reference_eval.js";
import { arr, maxAbsDiff, type Nd } from "../relax/reference_ops.js";

const rand = (rng: InstanceType<typeof nn.Rng>, shape: number[]) => arr(shape, () => rng.next() * 2 - 1);

/** Imports a one-node model with float inputs `shapes` (all graph inputs) and evaluates it. */
function runOnnx(opType: string, inputs: Nd[], attrs: Readonly<Record<string, OnnxAttrValue>> = {}, extra: (g: OnnxGraphBuilder) => string[] = () => []): Nd {
  const g = new OnnxGraphBuilder();
  const names = inputs.map((a, i) => g.input(`x${i}`, "float32", a.shape));
  g.output(g.op(opType, [...names, ...extra(g)], attrs));
  return evalMain(mainOf(importOnnx(g.toBytes())), inputs);
}

function idx(shape: number[], i: number): number[] {
  const out: number[] = [];
  for (let k = shape.length - 1; k >= 0; k--) {
    out.unshift(i % shape[k]!);
    i = Math.floor(i / shape[k]!);
  }
  return out;
}
const get = (a: Nd, ix: number[]) => a.data[ix.reduce((o, v, k) => o * a.shape[k]! + v, 0)]!;

describe("converters compared with a direct implementation of the ONNX op", () => {
  const rng = new nn.Rng(11);

  it("Conv 1-D with pads, stride, dilation and group", () => {
    const x = rand(rng, [2, 4, 11]), w = rand(rng, [6, 2, 3]), b = rand(rng, [6]);
    const [s, d, pl, pr, G] = [2, 2, 1, 2, 2];
    const y = runOnnx("Conv", [x, w, b], { strides: [s], dilations: [d], pads: [pl, pr], group: G });
    const L = Math.floor((11 + pl + pr - (3 - 1) * d - 1) / s) + 1;
    expect(y.shape).toEqual([2, 6, L]);
    const want = arr([2, 6, L], (i) => {
      const [n, o, l] = idx([2, 6, L], i) as [number, number, number];
      let acc = b.data[o]!;
      const g = Math.floor(o / 3);
      for (let c = 0; c < 2; c++) for (let k = 0; k < 3; k++) {
        const p = l * s + k * d - pl;
        if (p >= 0 && p < 11) acc += get(x, [n, g * 2 + c, p]) * get(w, [o, c, k]);
      }
      return acc;
    });
    expect(maxAbsDiff(y, want)).toBeLessThan(1e-12);
  });

  it("Gemm with transA, transB, alpha and beta", () => {
    const a = rand(rng, [3, 2]), bm = rand(rng, [4, 3]), c = rand(rng, [4]);
    const y = runOnnx("Gemm", [a, bm, c], { transA: 1, transB: 1, alpha: 0.5, beta: 1.5 });
    const want = arr([2, 4], (i) => {
      const [r, k] = idx([2, 4], i) as [number, number];
      let acc = 0;
      for (let p = 0; p < 3; p++) acc += get(a, [p, r]) * get(bm, [k, p]);
      return 0.5 * acc + 1.5 * c.data[k]!;
    });
    expect(maxAbsDiff(y, want)).toBeLessThan(1e-12);
  });

  it("BatchNormalization folded from initializers matches the formula", () => {
    const x = rand(rng, [2, 3, 2, 2]);
    const ps = [[1.5, 0.5, -1], [0.1, 0.2, 0.3], [0.5, -0.5, 0], [0.25, 2, 1]];
    const y = runOnnx("BatchNormalization", [x], { epsilon: 0.001 }, (g) => ps.map((p, i) => g.initializer(`p${i}`, "float32", [3], p)));
    const f32 = (v: number) => Math.fround(v);
    const want = arr(x.shape, (i) => {
      const c = idx(x.shape, i)[1]!;
      const [sc, bi, me, va] = ps.map((p) => f32(p[c]!));
      return ((x.data[i]! - me!) / Math.sqrt(va! + f32(0.001))) * sc! + bi!;
    });
    expect(maxAbsDiff(y, want)).toBeLessThan(1e-9);
  });

  it("Pad (constant) with negative and positive pads", () => {
    const x = rand(rng, [3, 4]);
    const y = runOnnx("Pad", [x], {}, (g) => [g.ints([1, -1, 0, 2]), g.scalar(7)]);
    expect(y.shape).toEqual([4, 5]);
    const want = arr([4, 5], (i) => {
      const [r, c] = idx([4, 5], i) as [number, number];
      const sr = r - 1, sc = c + 1;
      return sr >= 0 && sr < 3 && sc < 4 ? get(x, [sr, sc]) : 7;
    });
    expect(maxAbsDiff(y, want)).toBe(0);
  });

  it("LeakyRelu, HardSwish, Softplus, Elu, HardSigmoid, Reciprocal and Clip", () => {
    const x = rand(rng, [10]);
    const check = (op: string, f: (v: number) => number, attrs: Readonly<Record<string, OnnxAttrValue>> = {}, extra?: (g: OnnxGraphBuilder) => string[]) =>
      expect(maxAbsDiff(runOnnx(op, [x], attrs, extra), arr([10], (i) => f(x.data[i]!)))).toBeLessThan(1e-12);
    // ONNX float attributes are float32.
    check("LeakyRelu", (v) => (v > 0 ? v : Math.fround(0.3) * v), { alpha: 0.3 });
    check("HardSwish", (v) => v * Math.min(Math.max(v / 6 + 0.5, 0), 1));
    check("Softplus", (v) => Math.log(1 + Math.exp(v)));
    check("Elu", (v) => (v > 0 ? v : Math.fround(0.7) * (Math.exp(v) - 1)), { alpha: 0.7 });
    check("HardSigmoid", (v) => Math.min(Math.max(Math.fround(0.25) * v + Math.fround(0.4), 0), 1), { alpha: 0.25, beta: 0.4 });
    check("Reciprocal", (v) => 1 / v);
    check("Clip", (v) => Math.min(Math.max(v, -0.25), 0.5), {}, (g) => [g.scalar(-0.25), g.scalar(0.5)]);
  });

  it("Slice with a negative step and Flatten", () => {
    const x = rand(rng, [4, 6]);
    const y = runOnnx("Slice", [x], {}, (g) => [g.ints([-1]), g.ints([-(2 ** 63)]), g.ints([1]), g.ints([-2])]);
    expect(y.shape).toEqual([4, 3]);
    expect(maxAbsDiff(y, arr([4, 3], (i) => get(x, [Math.floor(i / 3), 5 - 2 * (i % 3)])))).toBe(0);
    const z = rand(rng, [2, 3, 4]);
    expect(runOnnx("Flatten", [z], { axis: 2 }).shape).toEqual([6, 4]);
  });
});

describe("nn models: the Relax export and the imported ONNX export compute the same values", () => {
  function compare(model: nn.Module, inputs: nn.InputSpec[], values: Nd[], tol: number, opts: nn.ExportRelaxOptions = {}) {
    const direct = evalMain(mainOf(nn.exportRelax(model, inputs, opts)), values);
    const viaOnnx = evalMain(mainOf(importOnnx(nn.exportOnnx(model, inputs))), values);
    expect(direct.data.every(Number.isFinite)).toBe(true);
    expect(maxAbsDiff(direct, viaOnnx)).toBeLessThan(tol);
    return direct;
  }

  it("MLP (batch 3), checked against a direct computation", () => {
    const m = mlp(5);
    const x = rand(new nn.Rng(1), [3, 8]);
    const y = compare(m, [{ name: "x", shape: ["batch", 8] }], [x], 1e-12);
    const [w0, b0, w1, b1] = m.namedParameters().map(([, p]) => p.data);
    const want = arr([3, 4], (i) => {
      const [r, o] = idx([3, 4], i) as [number, number];
      let acc = b1![o]!;
      for (let h = 0; h < 16; h++) {
        let z = b0![h]!;
        for (let k = 0; k < 8; k++) z += x.data[r * 8 + k]! * w0![k * 16 + h]!;
        acc += Math.max(z, 0) * w1![h * 4 + o]!;
      }
      return acc;
    });
    expect(maxAbsDiff(y, want)).toBeLessThan(1e-12);
  });

  it("small CNN (BatchNorm composed vs folded at import)", () => {
    compare(cnn(6), [{ name: "image", shape: ["n", 3, 16, 16] }], [rand(new nn.Rng(2), [2, 3, 16, 16])], 1e-9);
  });

  it("BERT-style encoder layer at two sequence lengths", () => {
    const model = new TinyBert(new nn.Rng(9));
    for (const seq of [3, 5]) {
      const ids = arr([2, seq], (i) => (i * 7 + seq) % 50);
      // The ONNX export stores sqrt(2), 1/sqrt(d) and epsilon as float32: agreement to ~1e-8, not exactly.
      const y = compare(model, [{ name: "input_ids", shape: ["batch", "seq"], dtype: "int64" }], [ids], 1e-6);
      expect(y.shape).toEqual([2, seq, 16]);
      // Not degenerate (e.g. every token equal after a wrong reshape or softmax axis).
      expect(new Set(Array.from(y.data, (v) => v.toFixed(6))).size).toBeGreaterThan(seq * 8);
    }
  });

  it("BERT-style layer with fusedAttention: one R.nn.attention, the same values as the ONNX export", () => {
    const model = new TinyBert(new nn.Rng(9));
    const spec: nn.InputSpec[] = [{ name: "input_ids", shape: ["batch", "seq"], dtype: "int64" }];
    const ops = opsOf(mainOf(nn.exportRelax(model, spec, { fusedAttention: true })));
    expect(ops.filter((o) => o === "nn.attention")).toHaveLength(1);
    expect(ops).not.toContain("nn.softmax");
    const ids = arr([2, 4], (i) => (i * 5 + 1) % 50);
    compare(model, spec, [ids], 1e-6, { fusedAttention: true });
  });
});
