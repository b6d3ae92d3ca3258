/**
 * Converters for Resize, Attention, ArgMax / ArgMin, CumSum, the logical ops, IsNaN / IsInf and
 * Instance / GroupNormalization: the Relax they build, and their values (through the float64
 * test evaluator) against the ONNX operator definitions and the examples of the ONNX spec.
 */
import { describe, expect, it } from "vitest";
import { OnnxGraphBuilder, importOnnx, nn, onnxFloat, type OnnxAttrValue } from "../../src/frontend/index.js";
import { callOf, mainOf, opsOf, retText, single } from "./helpers.js";
import { evalMain } from "../relax/reference_eval.js";
import { arr, maxAbsDiff, type Nd as Arr } from "../relax/reference_ops.js";
import * as refOps from "../relax/reference_ops_extra.js";

const T = (dims: string, dtype = "float32") => `R.Tensor(${dims}, dtype="${dtype}")`;
const rand = (rng: InstanceType<typeof nn.Rng>, shape: number[]) => arr(shape, () => rng.next() * 2 - 1);
const A = (shape: number[], data: number[]): Arr => ({ shape, data: Float64Array.from(data) });

interface Extra {
  /** Initializers after the graph inputs ("" for an omitted optional input). */
  extra?: (g: OnnxGraphBuilder) => string[];
  opset?: number;
  dtypes?: string[];
  outDtype?: string;
}

/** A one-node model with graph inputs `inputs`, imported and evaluated in float64. */
function run(opType: string, inputs: Arr[], attrs: Readonly<Record<string, OnnxAttrValue>> = {}, o: Extra = {}): Arr {
  const g = new OnnxGraphBuilder();
  const names = inputs.map((a, i) => g.input(`x${i}`, o.dtypes?.[i] ?? "float32", a.shape));
  g.output(g.op(opType, [...names, ...(o.extra?.(g) ?? [])], attrs), o.outDtype ?? "float32");
  const opset = o.opset ?? 19;
  return evalMain(mainOf(importOnnx(g.toBytes(opset), { allowAnyOpset: opset > 21 })), inputs);
}

const close = (got: Arr, want: Arr, tol = 1e-6) => expect(maxAbsDiff(got, want)).toBeLessThan(tol);

describe("Resize", () => {
  const scalesInput = (s: number[]) => (g: OnnxGraphBuilder) => ["", g.initializer(g.fresh("scales"), "float32", [s.length], s)];
  const sizesInput = (s: number[]) => (g: OnnxGraphBuilder) => ["", "", g.ints(s, "sizes")];

  it("ONNX spec examples: nearest and linear, up and down, half_pixel and align_corners", () => {
    const x22 = A([1, 1, 2, 2], [1, 2, 3, 4]);
    close(run("Resize", [x22], { mode: "nearest" }, { extra: scalesInput([1, 1, 2, 3]) }), A([1, 1, 4, 6], [
      1, 1, 1, 2, 2, 2, 1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4, 3, 3, 3, 4, 4, 4,
    ]));
    const x24 = A([1, 1, 2, 4], [1, 2, 3, 4, 5, 6, 7, 8]);
    close(run("Resize", [x24], { mode: "nearest" }, { extra: scalesInput([1, 1, 0.6, 0.6]) }), A([1, 1, 1, 2], [1, 3]));
    close(run("Resize", [x24], { mode: "linear" }, { extra: scalesInput([1, 1, 0.6, 0.6]) }), A([1, 1, 1, 2], [2.6666665, 4.3333331]), 1e-6);
    const ac = run("Resize", [x22], { mode: "linear", coordinate_transformation_mode: "align_corners" }, { extra: scalesInput([1, 1, 2, 2]) });
    close(ac, A([1, 1, 4, 4], [
      1, 4 / 3, 5 / 3, 2, 5 / 3, 2, 7 / 3, 8 / 3, 7 / 3, 8 / 3, 3, 10 / 3, 3, 10 / 3, 11 / 3, 4,
    ]), 1e-6);
  });

  it("ONNX spec example: cubic upsampling of 1..16 by 2 (A = -0.75), first row", () => {
    const x = arr([1, 1, 4, 4], (i) => i + 1);
    const y = run("Resize", [x], { mode: "cubic" }, { extra: scalesInput([1, 1, 2, 2]) });
    expect(y.shape).toEqual([1, 1, 8, 8]);
    close({ shape: [8], data: y.data.slice(0, 8) }, A([8], [0.47265625, 0.76953125, 1.24609375, 1.875, 2.28125, 2.91015625, 3.38671875, 3.68359375]), 1e-6);
  });

  it("cubic with cubic_coeff_a and exclude_outside", () => {
    const x = rand(new nn.Rng(3), [1, 2, 5, 4]);
    for (const [a, ex] of [[-0.75, 0], [-0.5, 1]] as const) {
      const y = run("Resize", [x], { mode: "cubic", cubic_coeff_a: onnxFloat(a), exclude_outside: ex, coordinate_transformation_mode: "pytorch_half_pixel" }, { extra: sizesInput([1, 2, 8, 3]) });
      close(y, refOps.resize(x, [8, 3], { mode: "cubic", coord: "pytorch_half_pixel", cubicA: a, exclude: ex === 1 }) as unknown as Arr, 1e-9);
    }
  });

  it("every coordinate mode and nearest mode matches the ONNX formulas", () => {
    const rng = new nn.Rng(5);
    const x = rand(rng, [1, 2, 5, 6]);
    const coords = ["half_pixel", "asymmetric", "align_corners", "pytorch_half_pixel", "half_pixel_symmetric"] as const;
    for (const coord of coords) {
      for (const [sizes, scales] of [[[1, 2, 8, 9], undefined], [[1, 2, 3, 4], undefined], [undefined, [1, 1, 1.5, 0.75]]] as const) {
        const extra = sizes ? sizesInput([...sizes]) : scalesInput([...scales!]);
        const out: [number, number] = sizes ? [sizes[2], sizes[3]] : [Math.floor(5 * scales![2]), Math.floor(6 * scales![3])];
        const sc = scales ? ([scales[2], scales[3]] as const) : undefined;
        const lin = run("Resize", [x], { mode: "linear", coordinate_transformation_mode: coord }, { extra });
        close(lin, refOps.resize(x, out, { mode: "linear", coord, ...(sc ? { scales: sc } : {}) }) as unknown as Arr, 1e-9);
        for (const nearest of ["round_prefer_floor", "round_prefer_ceil", "floor", "ceil"] as const) {
          const got = run("Resize", [x], { mode: "nearest", coordinate_transformation_mode: coord, nearest_mode: nearest }, { extra });
          close(got, refOps.resize(x, out, { mode: "nearest", coord, nearest, ...(sc ? { scales: sc } : {}) }) as unknown as Arr, 1e-12);
        }
      }
    }
  });

  it("maps attributes to R.image.resize2d and keeps symbolic sizes", () => {
    const f = single("Resize", [{ name: "x", dims: ["n", 3, "h", "w"] }, "", { init: { shape: [4], data: [1, 1, 2, 2] } }], { mode: "nearest", nearest_mode: "floor", coordinate_transformation_mode: "asymmetric" });
    const c = callOf(f, "image.resize2d");
    expect(c.attrs["method"]).toBe("nearest_neighbor");
    expect(c.attrs["rounding_method"]).toBe("floor");
    expect(c.attrs["coordinate_transformation_mode"]).toBe("asymmetric");
    expect(c.attrs["scales"]).toEqual([2, 2]);
    expect(retText(f)).toBe(T("(n, 3, h * 2, w * 2)"));
    const half = single("Resize", [{ name: "x", dims: [1, 3, "h", 8] }, "", { init: { shape: [4], data: [1, 1, 0.5, 1.5] } }], { mode: "linear" });
    expect(retText(half)).toBe(T("(1, 3, h // 2, 12)"));
    // Sizes computed from the input's shape stay symbolic.
    const g = new OnnxGraphBuilder();
    const xin = g.input("x", "float32", [1, 3, "h", "w"]);
    const y = g.input("y", "float32", [1, 3, "oh", "ow"]);
    const shape = g.op("Shape", [y]);
    g.output(g.op("Resize", [xin, "", "", shape], { mode: "linear" }));
    expect(retText(mainOf(importOnnx(g.toBytes(19))))).toBe(T("(1, 3, oh, ow)"));
  });

  it("a float32 scale that rounds output / input means that ratio (floor of an exact 2.0 is 2)", () => {
    // 5 rows * 0.6 -> 3; output row 1 maps to (1 + 0.5) / (3 / 5) - 0.5 = 2, not 1.9999999.
    const x = arr([1, 1, 5, 1], (i) => i);
    const y = run("Resize", [x], { mode: "nearest", nearest_mode: "floor" }, { extra: scalesInput([1, 1, 0.6, 1]) });
    expect(Array.from(y.data)).toEqual([0, 2, 3]);
    const f = single("Resize", [{ name: "x", dims: [1, 1, 5, 4] }, "", { init: { shape: [4], data: [1, 1, 0.6, 0.5] } }], { mode: "nearest" });
    expect(callOf(f, "image.resize2d").attrs["scales"]).toBeNull();
    // 5 * 1.5 = 7.5 -> 7 rows: the factor 1.5 (not 7 / 5) drives the coordinates.
    const g = single("Resize", [{ name: "x", dims: [1, 1, 5, 4] }, "", { init: { shape: [4], data: [1, 1, 1.5, 2] } }], { mode: "linear" });
    expect(callOf(g, "image.resize2d").attrs["scales"]).toEqual([1.5, 2]);
  });

  it("3-D (NCW) inputs resize through a unit H axis", () => {
    const x = rand(new nn.Rng(9), [2, 3, 5]);
    const unitH = (a: Arr) => ({ shape: [a.shape[0]!, a.shape[1]!, 1, a.shape[2]!], data: a.data });
    for (const mode of ["nearest", "linear", "cubic"] as const) {
      const y = run("Resize", [x], { mode, coordinate_transformation_mode: "align_corners" }, { extra: scalesInput([1, 1, 1.6]) });
      const want = refOps.resize(unitH(x), [1, 8], { mode, coord: "align_corners", nearest: "round_prefer_floor" });
      close(y, { shape: [2, 3, 8], data: Float64Array.from(want.data) }, 1e-9);
    }
    const f = single("Resize", [{ name: "x", dims: ["n", 3, "w"] }, "", { init: { shape: [3], data: [1, 1, 2] } }], { mode: "linear" });
    expect(opsOf(f)).toEqual(["expand_dims", "image.resize2d", "squeeze"]);
    expect(retText(f)).toBe(T("(n, 3, w * 2)"));
  });

  it("opset 18 axes and keep_aspect_ratio_policy", () => {
    const x = rand(new nn.Rng(2), [1, 1, 4, 6]);
    const viaAxes = run("Resize", [x], { mode: "linear", axes: [2, 3] }, { extra: sizesInput([6, 9]) });
    close(viaAxes, refOps.resize(x, [6, 9], { mode: "linear", coord: "half_pixel" }) as unknown as Arr, 1e-9);
    // not_larger: one scale min(8/4, 9/6) = 1.5 for both axes -> (6, 9).
    const nl = run("Resize", [x], { mode: "linear", axes: [2, 3], keep_aspect_ratio_policy: "not_larger" }, { extra: sizesInput([8, 9]) });
    close(nl, refOps.resize(x, [6, 9], { mode: "linear", coord: "half_pixel", scales: [1.5, 1.5] }) as unknown as Arr, 1e-9);
  });

  it("rejects what it cannot do, naming the node", () => {
    const x = { name: "x", dims: [1, 3, 4, 4] };
    const sc = (s: number[]) => ({ init: { shape: [4], data: s } });
    expect(() => single("Resize", [x, "", sc([1, 1, 2, 2])], { mode: "bicubic" })).toThrow(/Resize node 'resize_node' \(#0\): mode="bicubic" is not an ONNX Resize mode/);
    expect(() => single("Resize", [x, "", sc([1, 1, 2, 2])], { coordinate_transformation_mode: "tf_crop_and_resize" })).toThrow(/tf_crop_and_resize needs roi cropping/);
    expect(() => single("Resize", [x, "", sc([1, 2, 2, 2])])).toThrow(/only the spatial axes can be resized; axis 1 \(channels\)/);
    expect(() => single("Resize", [x, "", sc([1, 1, 0.5, 0.5])], { mode: "linear", antialias: 1 }, { opset: 18 })).toThrow(/antialias=1 when downsampling is not supported/);
    expect(() => single("Resize", [{ name: "x", dims: [4, 4] }, "", { init: { shape: [2], data: [2, 2] } }])).toThrow(/only 3-D \(NCW\) and 4-D \(NCHW\) inputs are supported, got rank 2/);
    expect(() => single("Resize", [x])).toThrow(/one of scales and sizes is required/);
  });
});

describe("Attention (opset 23)", () => {
  /** softmax(Q Kᵀ * scale + mask) V per head over [B, N, S, H] inputs, written directly. */
  function direct(q: Arr, k: Arr, v: Arr, o: { scale?: number; causal?: boolean; mask?: Arr; maskBool?: boolean }): Arr {
    const [B, N, S, H] = q.shape as [number, number, number, number];
    const [, Nk, L] = k.shape as [number, number, number];
    const Hv = v.shape[3]!;
    const g = (a: Arr, i: number[]) => a.data[i.reduce((p, x, t) => p * a.shape[t]! + x, 0)]!;
    const out = new Float64Array(B * N * S * Hv);
    const scale = o.scale ?? 1 / Math.sqrt(H);
    for (let b = 0; b < B; b++) for (let n = 0; n < N; n++) for (let i = 0; i < S; i++) {
      const kn = Math.floor((n * Nk) / N);
      const w: number[] = [];
      for (let j = 0; j < L; j++) {
        let s = 0;
        for (let h = 0; h < H; h++) s += g(q, [b, n, i, h]) * g(k, [b, kn, j, h]);
        s *= scale;
        if (o.mask) {
          const m = o.mask.data[i * L + j]!;
          s = o.maskBool ? (m ? s : -Infinity) : s + m;
        }
        if (o.causal && j > i) s = -Infinity;
        w.push(s);
      }
      const mx = Math.max(...w), e = w.map((s) => Math.exp(s - mx)), z = e.reduce((p, c) => p + c, 0);
      for (let d = 0; d < Hv; d++) out[((b * N + n) * S + i) * Hv + d] = e.reduce((acc, ej, j) => acc + (ej / z) * g(v, [b, kn, j, d]), 0);
    }
    return { shape: [B, N, S, Hv], data: out };
  }

  const rng = new nn.Rng(8);
  const q = rand(rng, [2, 4, 3, 5]), k = rand(rng, [2, 2, 6, 5]), v = rand(rng, [2, 2, 6, 3]);

  it("4-D inputs with grouped heads, scale and is_causal", () => {
    close(run("Attention", [q, k, v], {}, { opset: 23 }), direct(q, k, v, {}), 1e-12);
    close(run("Attention", [q, k, v], { scale: onnxFloat(0.25), is_causal: 1 }, { opset: 23 }), direct(q, k, v, { scale: 0.25, causal: true }), 1e-12);
  });

  it("float and bool attention masks", () => {
    const m = rand(rng, [3, 6]);
    close(run("Attention", [q, k, v, m], {}, { opset: 23 }), direct(q, k, v, { mask: m }), 1e-12);
    const mb = arr([3, 6], (i) => +(i % 4 !== 1));
    close(run("Attention", [q, k, v, mb], {}, { opset: 23, dtypes: ["float32", "float32", "float32", "bool"] }), direct(q, k, v, { mask: mb, maskBool: true }), 1e-12);
  });

  it("3-D inputs use q_num_heads / kv_num_heads", () => {
    const g = new OnnxGraphBuilder();
    const [qi, ki, vi] = [["q", [1, 3, 8]], ["k", [1, 5, 4]], ["v", [1, 5, 6]]].map(([n, s]) => g.input(n as string, "float32", s as number[]));
    g.output(g.op("Attention", [qi!, ki!, vi!], { q_num_heads: 2, kv_num_heads: 1 }));
    const f = mainOf(importOnnx(g.toBytes(23), { allowAnyOpset: true }));
    expect(opsOf(f)).toEqual(["reshape", "reshape", "reshape", "nn.attention", "reshape"]);
    expect(retText(f)).toBe(T("(1, 3, 12)"));
    const r = new nn.Rng(3);
    const [q3, k3, v3] = [rand(r, [1, 3, 8]), rand(r, [1, 5, 4]), rand(r, [1, 5, 6])];
    const got = evalMain(f, [q3!, k3!, v3!]);
    // [1, S, N * H] -> [1, N, S, H] for the direct computation.
    const split = (a: Arr, heads: number) => {
      const [, S, D] = a.shape as [number, number, number];
      const h = D / heads;
      return arr([1, heads, S, h], (i) => {
        const d = i % h, s = Math.floor(i / h) % S, n = Math.floor(i / (h * S));
        return a.data[s * D + n * h + d]!;
      });
    };
    const want = direct(split(q3!, 2), split(k3!, 1), split(v3!, 1), {});
    // [1, N, S, Hv] -> [1, S, N * Hv].
    const merged = arr([1, 3, 12], (i) => {
      const d = i % 6, n = Math.floor(i / 6) % 2, s = Math.floor(i / 12);
      return want.data[(n * 3 + s) * 6 + d]!;
    });
    close(got, merged, 1e-12);
  });

  it("rejects the KV cache and softcap", () => {
    const ins = [{ name: "q", dims: [1, 2, 3, 4] }, { name: "k", dims: [1, 2, 3, 4] }, { name: "v", dims: [1, 2, 3, 4] }];
    const o = { opset: 23, import: { allowAnyOpset: true } };
    expect(() => single("Attention", [...ins, "", { name: "pk", dims: [1, 2, 1, 4] }], {}, o)).toThrow(/KV cache .* is not supported/);
    expect(() => single("Attention", ins, { softcap: 30.5 }, o)).toThrow(/softcap is not supported/);
    expect(() => single("Attention", [{ name: "q", dims: [1, 3, 8] }, ...ins.slice(1)], {}, o)).toThrow(/3-D Q needs the attribute q_num_heads/);
  });
});

describe("ArgMax / ArgMin and CumSum", () => {
  it("ArgMax / ArgMin with keepdims and select_last_index give int64", () => {
    const x = A([2, 4], [1, 5, 5, 0, 3, 3, -1, 2]);
    const run1 = (op: string, attrs: Readonly<Record<string, OnnxAttrValue>>) => run(op, [x], attrs, { outDtype: "int64" });
    expect(Array.from(run1("ArgMax", { axis: 1 }).data)).toEqual([1, 0]);
    expect(run1("ArgMax", { axis: 1 }).shape).toEqual([2, 1]);
    expect(Array.from(run1("ArgMax", { axis: 1, select_last_index: 1, keepdims: 0 }).data)).toEqual([2, 1]);
    expect(Array.from(run1("ArgMin", { axis: 0, keepdims: 0 }).data)).toEqual([0, 1, 1, 0]);
    expect(Array.from(run1("ArgMin", { axis: -1, keepdims: 0, select_last_index: 1 }).data)).toEqual([3, 2]);
    const f = single("ArgMax", [{ name: "x", dims: ["n", 7] }], { axis: -1, keepdims: 0 });
    expect(retText(f)).toBe('R.Tensor((n,), dtype="int64")');
  });

  it("CumSum: the ONNX spec examples (exclusive, reverse) and a 2-D axis", () => {
    const x = A([5], [1, 2, 3, 4, 5]);
    const axis = (a: number) => (g: OnnxGraphBuilder) => [g.initializer(g.fresh("axis"), "int32", [], [a])];
    const cs = (attrs: Readonly<Record<string, OnnxAttrValue>>) => Array.from(run("CumSum", [x], attrs, { extra: axis(0) }).data);
    expect(cs({})).toEqual([1, 3, 6, 10, 15]);
    expect(cs({ exclusive: 1 })).toEqual([0, 1, 3, 6, 10]);
    expect(cs({ reverse: 1 })).toEqual([15, 14, 12, 9, 5]);
    expect(cs({ exclusive: 1, reverse: 1 })).toEqual([14, 12, 9, 5, 0]);
    const m = A([2, 3], [1, 2, 3, 4, 5, 6]);
    expect(Array.from(run("CumSum", [m], {}, { extra: axis(-1) }).data)).toEqual([1, 3, 6, 4, 9, 15]);
    expect(() => single("CumSum", [{ name: "x", dims: [3] }, { name: "a", dims: [], dtype: "int64" }])).toThrow(/the CumSum axis .* must be known at import time/);
  });
});

describe("logical ops, IsNaN and IsInf", () => {
  it("And / Or / Xor / Not on bool tensors with broadcasting", () => {
    const a = A([2, 2], [1, 0, 1, 0]), b = A([2], [1, 1]);
    const bools = { dtypes: ["bool", "bool"], outDtype: "bool" };
    expect(Array.from(run("And", [a, b], {}, bools).data)).toEqual([1, 0, 1, 0]);
    expect(Array.from(run("Or", [a, A([2], [0, 0])], {}, bools).data)).toEqual([1, 0, 1, 0]);
    expect(Array.from(run("Xor", [a, b], {}, bools).data)).toEqual([0, 1, 0, 1]);
    expect(Array.from(run("Not", [a], {}, bools).data)).toEqual([0, 1, 0, 1]);
    expect(opsOf(single("And", [{ name: "a", dims: ["n", 1], dtype: "bool" }, { name: "b", dims: [3], dtype: "bool" }]))).toEqual(["logical_and"]);
  });

  it("IsNaN and IsInf with detect_positive / detect_negative", () => {
    const x = A([5], [1, NaN, Infinity, -Infinity, -2]);
    const b = { outDtype: "bool" };
    expect(Array.from(run("IsNaN", [x], {}, b).data)).toEqual([0, 1, 0, 0, 0]);
    expect(Array.from(run("IsInf", [x], {}, b).data)).toEqual([0, 0, 1, 1, 0]);
    expect(Array.from(run("IsInf", [x], { detect_negative: 0 }, b).data)).toEqual([0, 0, 1, 0, 0]);
    expect(Array.from(run("IsInf", [x], { detect_positive: 0 }, b).data)).toEqual([0, 0, 0, 1, 0]);
    expect(Array.from(run("IsInf", [x], { detect_positive: 0, detect_negative: 0 }, b).data)).toEqual([0, 0, 0, 0, 0]);
  });
});

describe("InstanceNormalization and GroupNormalization", () => {
  const rng = new nn.Rng(4);
  const x = rand(rng, [2, 4, 3, 3]);
  const per = (v: number[]) => (g: OnnxGraphBuilder) => [g.initializer(g.fresh("s"), "float32", [v.length], v), g.initializer(g.fresh("b"), "float32", [v.length], v.map((t) => t / 2))];

  it("InstanceNormalization", () => {
    const s = [0.5, 1, 1.5, 2];
    const got = run("InstanceNormalization", [x], { epsilon: 1e-3 }, { extra: per(s) });
    const want = refOps.groupNorm(x, A([4], s), A([4], s.map((t) => t / 2)), 4, Math.fround(1e-3));
    close(got, want as unknown as Arr, 1e-9);
  });

  it("GroupNormalization: per-channel scale (opset 21) and per-group scale repeated (opset 18)", () => {
    const s = [0.5, 1, 1.5, 2];
    const got21 = run("GroupNormalization", [x], { num_groups: 2 }, { extra: per(s), opset: 21 });
    close(got21, refOps.groupNorm(x, A([4], s), A([4], s.map((t) => t / 2)), 2, Math.fround(1e-5)) as unknown as Arr, 1e-9);
    const got18 = run("GroupNormalization", [x], { num_groups: 2 }, { extra: per([3, -1]), opset: 18 });
    close(got18, refOps.groupNorm(x, A([4], [3, 3, -1, -1]), A([4], [1.5, 1.5, -0.5, -0.5]), 2, Math.fround(1e-5)) as unknown as Arr, 1e-9);
    const fromInputs = run("GroupNormalization", [x, A([2], [3, -1]), A([2], [1.5, -0.5])], { num_groups: 2 }, { opset: 18 });
    close(fromInputs, got18, 1e-12);
    // A per-group scale given as a graph input is repeated with reshape / broadcast_to.
    const f = single("GroupNormalization", [{ name: "x", dims: ["n", 6, 5] }, { name: "s", dims: [3] }, { name: "b", dims: [3] }], { num_groups: 3 }, { opset: 18 });
    expect(opsOf(f)).toEqual(["reshape", "broadcast_to", "reshape", "reshape", "broadcast_to", "reshape", "nn.group_norm"]);
    expect(() => single("GroupNormalization", [{ name: "x", dims: [1, 6, 5] }, { name: "s", dims: [6] }, { name: "b", dims: [6] }], { num_groups: 4 }, { opset: 21 })).toThrow(/6 channels do not divide into num_groups=4/);
  });
});

describe("ConvTranspose", () => {
  const rng = new nn.Rng(6);
  const ref = (x: Arr, w: Arr, p: Partial<refOps.ConvTransposeRef>) =>
    refOps.conv2dTranspose(x, w, { strides: [1, 1], pad: [0, 0, 0, 0], outputPadding: [0, 0], dilation: [1, 1], groups: 1, ...p }) as unknown as Arr;
  const unitH = (a: Arr) => ({ shape: [a.shape[0]!, a.shape[1]!, 1, a.shape[2]!], data: a.data });
  const dropH = (a: Arr) => ({ shape: [a.shape[0]!, a.shape[1]!, a.shape[3]!], data: a.data });

  it("the ONNX spec example (3x3 input, all-ones 3x3 kernel, two output channels)", () => {
    const x = A([1, 1, 3, 3], [0, 1, 2, 3, 4, 5, 6, 7, 8]);
    const w = A([1, 2, 3, 3], new Array(18).fill(1));
    const plane = [0, 1, 3, 3, 2, 3, 8, 15, 12, 7, 9, 21, 36, 27, 15, 9, 20, 33, 24, 13, 6, 13, 21, 15, 8];
    close(run("ConvTranspose", [x, w]), A([1, 2, 5, 5], [...plane, ...plane]), 0.5e-12);
  });

  it("strides, pads, output_padding, dilations, group and a bias", () => {
    const x = rand(rng, [2, 4, 3, 4]), w = rand(rng, [4, 3, 3, 2]);
    const attrs = { strides: [2, 3], pads: [1, 0, 0, 1], output_padding: [1, 2], dilations: [1, 2], group: 2 };
    const got = run("ConvTranspose", [x, w], attrs);
    close(got, ref(x, w, { strides: [2, 3], pad: [1, 0, 0, 1], outputPadding: [1, 2], dilation: [1, 2], groups: 2 }), 1e-12);
    const b = rand(rng, [6]);
    const withBias = run("ConvTranspose", [x, w, b], attrs);
    close(withBias, arr(got.shape, (i) => got.data[i]! + b.data[Math.floor(i / (got.shape[2]! * got.shape[3]!)) % 6]!), 1e-12);
  });

  it("output_shape and auto_pad compute the padding (negative end padding extends the output)", () => {
    const x = rand(rng, [1, 1, 3, 3]), w = rand(rng, [1, 2, 3, 3]);
    const os = run("ConvTranspose", [x, w], { strides: [3, 2], output_shape: [10, 8] });
    // Full output (9, 7): total padding -1 on both axes -> one extra row / column at the end.
    close(os, ref(x, w, { strides: [3, 2], outputPadding: [1, 1] }), 1e-12);
    const up = run("ConvTranspose", [x, w], { strides: [2, 2], auto_pad: "SAME_UPPER" });
    // Output 6 x 6 from a full 7 x 7: total 1, the odd unit at the end.
    close(up, ref(x, w, { strides: [2, 2], pad: [0, 0, 1, 1] }), 1e-12);
    const low = run("ConvTranspose", [x, w], { strides: [2, 2], auto_pad: "SAME_LOWER" });
    close(low, ref(x, w, { strides: [2, 2], pad: [1, 1, 0, 0] }), 1e-12);
  });

  it("1-D goes through a unit H axis", () => {
    const x = rand(rng, [2, 3, 5]), w = rand(rng, [3, 2, 3]);
    const got = run("ConvTranspose", [x, w], { strides: [2], pads: [1, 0], output_padding: [1] });
    close(got, dropH(ref(unitH(x), unitH(w), { strides: [1, 2], pad: [0, 1, 0, 0], outputPadding: [0, 1] })), 1e-12);
    const f = single("ConvTranspose", [{ name: "x", dims: ["n", 3, 5] }, { name: "w", dims: [3, 2, 3] }], { strides: [2] });
    expect(opsOf(f)).toEqual(["expand_dims", "expand_dims", "nn.conv2d_transpose", "squeeze"]);
    expect(retText(f)).toBe(T("(n, 2, 11)"));
  });

  it("errors name the node and the problem", () => {
    const ins = [{ name: "x", dims: [1, 2, 4, 4] }, { name: "w", dims: [2, 2, 3, 3] }];
    expect(() => single("ConvTranspose", ins, { output_padding: [2, 2], strides: [2, 2] })).toThrow(/output_padding 2 must be >= 0 and smaller than the stride \(2\)/);
    expect(() => single("ConvTranspose", ins, { pads: [1, 1] })).toThrow(/pads must have 4 values/);
    expect(() => single("ConvTranspose", [{ name: "x", dims: [1, 2, 4, 4, 4] }, { name: "w", dims: [2, 2, 3, 3, 3] }])).toThrow(/3-D transposed convolution is not supported/);
  });
});

describe("Einsum", () => {
  /** einsum by its definition: sum over every assignment of the letters. */
  function einsum(eq: string, xs: Arr[]): Arr {
    const [lhs, out] = eq.split("->") as [string, string];
    const terms = lhs.split(",");
    const size = new Map<string, number>();
    terms.forEach((t, i) => [...t].forEach((c, k) => size.set(c, xs[i]!.shape[k]!)));
    const letters = [...size.keys()];
    const outShape = [...out].map((c) => size.get(c)!);
    const res = new Float64Array(outShape.reduce((a, b) => a * b, 1));
    const idx = new Map<string, number>();
    const flat = (t: string, a: Arr) => [...t].reduce((o, c, k) => o * a.shape[k]! + idx.get(c)!, 0);
    const rec = (i: number): void => {
      if (i === letters.length) {
        let v = 1;
        terms.forEach((t, k) => (v *= xs[k]!.data[flat(t, xs[k]!)]!));
        res[[...out].reduce((o, c, k) => o * outShape[k]! + idx.get(c)!, 0)] += v;
        return;
      }
      for (let v = 0; v < size.get(letters[i]!)!; v++) {
        idx.set(letters[i]!, v);
        rec(i + 1);
      }
    };
    rec(0);
    return { shape: outShape, data: res };
  }

  const rng = new nn.Rng(12);
  const cases: [string, number[][], string?][] = [
    ["ij,jk->ik", [[3, 4], [4, 5]]],
    ["ij,kj->ik", [[3, 4], [5, 4]]],
    ["bij,bjk->bik", [[2, 3, 4], [2, 4, 5]]],
    ["bhqd,bhkd->bhqk", [[2, 3, 4, 5], [2, 3, 6, 5]]],
    ["bhqk,bkhd->bqhd", [[2, 3, 4, 6], [2, 6, 3, 5]]],
    ["i,j->ij", [[3], [4]]],
    ["i,i->", [[5], [5]]],
    ["ij,ij->i", [[3, 4], [3, 4]]],
    ["abc,cd->bda", [[2, 3, 4], [4, 5]]],
    ["ij,jk", [[3, 4], [4, 5]], "ik"],
    ["ik,k->i", [[3, 4], [4]]],
    ["ijk,j->ik", [[2, 3, 4], [3]]],
    ["ij->ji", [[3, 4]]],
    ["ij->j", [[3, 4]]],
    ["ijk,jl->il", [[2, 3, 4], [3, 5]]],
  ];
  for (const [eq, shapes, implicitOut] of cases) {
    it(`${eq} matches the definition`, () => {
      const xs = shapes.map((s) => rand(rng, s));
      const got = run("Einsum", xs, { equation: eq });
      close(got, einsum(implicitOut ? `${eq}->${implicitOut}` : eq, xs), 1e-12);
    });
  }

  it("ellipsis batch dims and symbolic sizes; matmul forms need no reshape", () => {
    const g = new OnnxGraphBuilder();
    const a = g.input("a", "float32", ["b", "s", 4]), b = g.input("b", "float32", ["b", 4, "t"]);
    g.output(g.op("Einsum", [a, b], { equation: "...ij,...jk->...ik" }));
    const f = mainOf(importOnnx(g.toBytes(17)));
    expect(opsOf(f)).toEqual(["matmul"]);
    expect(retText(f)).toBe(T("(b, s, t)"));
    const xs = [rand(rng, [2, 3, 4]), rand(rng, [2, 4, 5])];
    close(evalMain(f, xs), einsum("zij,zjk->zik", xs), 1e-12);
  });

  it("rejects diagonals, more than two operands and mismatched extents", () => {
    expect(() => single("Einsum", [{ name: "a", dims: [3, 3] }], { equation: "ii->i" })).toThrow(/the term 'ii' repeats a letter \(diagonals are not supported\)/);
    expect(() => single("Einsum", [{ name: "a", dims: [3] }, { name: "b", dims: [3] }, { name: "c", dims: [3] }], { equation: "i,i,i->i" })).toThrow(/3 operands are not supported/);
    expect(() => single("Einsum", [{ name: "a", dims: [3, 4] }, { name: "b", dims: [5, 2] }], { equation: "ij,jk->ik" })).toThrow(/subscript 'j' has extent 4 in one place and 5 in another/);
    expect(() => single("Einsum", [{ name: "a", dims: [3, 4] }], { equation: "ijk->i" })).toThrow(/names 3 axes but its operand has rank 2/);
  });
});

describe("TopK", () => {
  it("values and int64 indices, largest / smallest, ties in index order", () => {
    const g = new OnnxGraphBuilder();
    const x = g.input("x", "float32", ["n", 5]);
    const [v, i] = g.node("TopK", [x, g.ints([3], "k")], { axis: 1, largest: 0 }, 2);
    g.output(v!);
    g.output(i!, "int64");
    const f = mainOf(importOnnx(g.toBytes(17)));
    expect(opsOf(f)).toEqual(["topk"]);
    expect(retText(f)).toBe('R.Tuple(R.Tensor((n, 3), dtype="float32"), R.Tensor((n, 3), dtype="int64"))');
    const out = (evalMain as unknown as (fn: unknown, xs: Arr[]) => unknown)(f, [A([2, 5], [3, 1, 2, 1, 5, 0, 0, -1, 7, 0])]) as Arr[];
    expect(Array.from(out[0]!.data)).toEqual([1, 1, 2, -1, 0, 0]);
    expect(Array.from(out[1]!.data)).toEqual([1, 3, 2, 2, 0, 1]);
    const largest = run("TopK", [A([6], [4, 9, 9, 1, 4, 0])], {}, { extra: (gb) => [gb.ints([4], "k")] });
    expect(Array.from(largest.data)).toEqual([9, 9, 4, 4]);
    expect(() => single("TopK", [{ name: "x", dims: [4] }, { name: "k", dims: [1], dtype: "int64" }])).toThrow(/K \(input 1, 'k'\) must be known at import time/);
    expect(() => single("TopK", [{ name: "x", dims: [4] }, { ints: [5] }])).toThrow(/R.topk: k=5 is larger than the extent 4 of axis 0/);
  });
});
