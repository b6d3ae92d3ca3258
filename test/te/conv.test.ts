import { describe, expect, it } from "vitest";
import { placeholder, topi } from "../../src/te/index.js";
import { fromArray } from "../../src/tir/interp/index.js";
import { Rng, build, get, nd, rand, runAndCheck, type Nd } from "./te_harness.js";

interface ConvParams {
  strides: number[];
  before: number[];
  after: number[];
  dilation: number[];
  groups: number;
}

/** Direct convolution, data N C spatial..., weight O I spatial.... */
function convRef(x: Nd, w: Nd, p: ConvParams): Nd {
  const [N, , ...X] = x.shape;
  const [O, I, ...K] = w.shape;
  const out = X.map((xd, d) => Math.floor((xd! + p.before[d]! + p.after[d]! - p.dilation[d]! * (K[d]! - 1) - 1) / p.strides[d]!) + 1);
  const og = O! / p.groups;
  return build([N!, O!, ...out], ([n, o, ...os]) => {
    let s = 0;
    const g = Math.floor(o! / og);
    const kn = K.reduce((a, b) => a * b!, 1);
    for (let rc = 0; rc < I!; rc++) {
      for (let kp = 0; kp < kn; kp++) {
        const kk: number[] = [];
        let r = kp;
        for (let d = K.length - 1; d >= 0; d--) {
          kk[d] = r % K[d]!;
          r = Math.floor(r / K[d]!);
        }
        const pos = os.map((o2, d) => o2 * p.strides[d]! + kk[d]! * p.dilation[d]! - p.before[d]!);
        if (pos.some((q, d) => q < 0 || q >= X[d]!)) continue;
        s += get(x, [n!, g * I! + rc, ...pos]) * get(w, [o!, rc, ...kk]);
      }
    }
    return s;
  });
}

/** Moves axes: out axis i is input axis perm[i]. */
function permute(a: Nd, perm: number[]): Nd {
  const shape = perm.map((p) => a.shape[p]!);
  return build(shape, (idx) => {
    const src: number[] = [];
    perm.forEach((p, i) => (src[p] = idx[i]!));
    return get(a, src);
  });
}

const tol = { rtol: 1e-5, atol: 1e-5 };
const params = (n: number, o: Partial<ConvParams> = {}): ConvParams => ({
  strides: o.strides ?? Array(n).fill(1),
  before: o.before ?? Array(n).fill(0),
  after: o.after ?? Array(n).fill(0),
  dilation: o.dilation ?? Array(n).fill(1),
  groups: o.groups ?? 1,
});

describe("conv2d", () => {
  const rng = new Rng(31);

  it("NCHW / OIHW, 3x3, padding 1 (pad_temp + conv2d_nchw)", () => {
    const X = placeholder([1, 3, 5, 5], "float32", "X");
    const W = placeholder([4, 3, 3, 3], "float32", "W");
    const x = rand(rng, [1, 3, 5, 5]), w = rand(rng, [4, 3, 3, 3]);
    const Y = topi.conv2d(X, W, { padding: 1 });
    expect(Y.op.name).toBe("conv2d_nchw");
    expect(Y.op.inputTensors()[0]!.op.name).toBe("pad_temp");
    runAndCheck([X, W], Y, [x, w], convRef(nd(x), nd(w), params(2, { before: [1, 1], after: [1, 1] })), tol);
  });

  it("stride 2, dilation 2 and asymmetric [top, left, bottom, right] padding", () => {
    const X = placeholder([2, 2, 7, 6], "float32", "X");
    const W = placeholder([3, 2, 2, 3], "float32", "W");
    const x = rand(rng, [2, 2, 7, 6]), w = rand(rng, [3, 2, 2, 3]);
    const Y = topi.conv2d(X, W, { strides: [2, 1], dilation: [2, 1], padding: [1, 0, 2, 1] });
    runAndCheck([X, W], Y, [x, w], convRef(nd(x), nd(w), params(2, { strides: [2, 1], dilation: [2, 1], before: [1, 0], after: [2, 1] })), tol);
  });

  it("grouped and depthwise convolutions", () => {
    const X = placeholder([1, 4, 5, 5], "float32", "X");
    const W = placeholder([6, 2, 3, 3], "float32", "W");
    const x = rand(rng, [1, 4, 5, 5]), w = rand(rng, [6, 2, 3, 3]);
    runAndCheck([X, W], topi.conv2d(X, W, { groups: 2, padding: 1 }), [x, w], convRef(nd(x), nd(w), params(2, { groups: 2, before: [1, 1], after: [1, 1] })), tol);
    const Wd = placeholder([8, 1, 3, 3], "float32", "Wd");
    const wd = rand(rng, [8, 1, 3, 3]);
    runAndCheck([X, Wd], topi.depthwiseConv2d(X, Wd, { strides: 2 }), [x, wd], convRef(nd(x), nd(wd), params(2, { groups: 4, strides: [2, 2] })), tol);
  });

  it("NHWC / HWIO", () => {
    const X = placeholder([1, 5, 4, 3], "float32", "X");
    const W = placeholder([3, 2, 3, 4], "float32", "W");
    const x = rand(rng, [1, 5, 4, 3]), w = rand(rng, [3, 2, 3, 4]);
    const Y = topi.conv2d(X, W, { dataLayout: "NHWC", padding: [1, 0], strides: [1, 2] });
    expect(Y.op.name).toBe("conv2d_nhwc");
    const ref = convRef(permute(nd(x), [0, 3, 1, 2]), permute(nd(w), [3, 2, 0, 1]), params(2, { before: [1, 0], after: [1, 0], strides: [1, 2] }));
    runAndCheck([X, W], Y, [x, w], permute(ref, [0, 2, 3, 1]), tol);
  });

  it("NHWC depthwise with HWIO weights (groups = channels)", () => {
    const X = placeholder([1, 4, 4, 3], "float32", "X");
    const W = placeholder([3, 3, 1, 3], "float32", "W");
    const x = rand(rng, [1, 4, 4, 3]), w = rand(rng, [3, 3, 1, 3]);
    const Y = topi.conv2d(X, W, { dataLayout: "NHWC", groups: 3, padding: 1 });
    const ref = convRef(permute(nd(x), [0, 3, 1, 2]), permute(nd(w), [3, 2, 0, 1]), params(2, { groups: 3, before: [1, 1], after: [1, 1] }));
    runAndCheck([X, W], Y, [x, w], permute(ref, [0, 2, 3, 1]), tol);
  });

  it("accumulates int8 convolution in int32", () => {
    const X = placeholder([1, 2, 3, 3], "int8", "X");
    const W = placeholder([2, 2, 2, 2], "int8", "W");
    const x = rand(rng, [1, 2, 3, 3], "int8"), w = rand(rng, [2, 2, 2, 2], "int8");
    const Y = topi.conv2d(X, W, { outDtype: "int32" });
    runAndCheck([X, W], Y, [x, w], convRef(nd(x), nd(w), params(2)), { rtol: 0, atol: 0 });
  });

  it("reports shape and option errors", () => {
    const X = placeholder([1, 3, 5, 5], "float32", "X");
    expect(() => topi.conv2d(X, placeholder([4, 2, 3, 3], "float32", "W"))).toThrow(
      "conv2d: weight has 2 input channels per group but data has 3 channels / groups=1 = 3; data [1, 3, 5, 5] (NCHW), weight [4, 2, 3, 3] (OIHW)",
    );
    expect(() => topi.conv2d(X, placeholder([4, 1, 3, 3]), { groups: 2 })).toThrow(/conv2d: 3 input channels are not divisible by groups=2/);
    expect(() => topi.conv2d(X, placeholder([4, 3, 7, 7]))).toThrow(/conv2d: the output would be empty along H/);
    expect(() => topi.conv2d(X, placeholder([4, 3, 3, 3]), { dataLayout: "NCHX" })).toThrow(/dataLayout "NCHX" must be a permutation of N, C and H, W/);
    expect(() => topi.conv2d(placeholder([3, 5, 5]), placeholder([4, 3, 3, 3]))).toThrow(/conv2d: data must be 4-D \(NCHW\), got shape \[3, 5, 5\]/);
    expect(() => topi.conv2d(X, placeholder([4, 3, 3, 3]), { padding: [1, 2, 3] })).toThrow(/padding must be a number, 2 numbers or 4 numbers/);
    expect(() => topi.conv2d(X, placeholder([4, 3, 3, 3]), { strides: 0 })).toThrow(/strides entries must be integers >= 1/);
    expect(() => topi.conv2d(X, placeholder([4, 3, 3, 3], "float16"))).toThrow(/dtypes differ: data is float32 but weight is float16/);
  });
});

describe("conv1d and conv3d", () => {
  const rng = new Rng(32);
  it("conv1d NCW and NWC", () => {
    const X = placeholder([2, 3, 9], "float32", "X");
    const W = placeholder([4, 3, 3], "float32", "W");
    const x = rand(rng, [2, 3, 9]), w = rand(rng, [4, 3, 3]);
    const p = params(1, { strides: [2], before: [1], after: [2], dilation: [2] });
    runAndCheck([X, W], topi.conv1d(X, W, { strides: 2, padding: [1, 2], dilation: 2 }), [x, w], convRef(nd(x), nd(w), p), tol);
    const Xn = placeholder([2, 9, 3], "float32", "Xn");
    const Wn = placeholder([3, 3, 4], "float32", "Wn");
    const xn = fromArray(permute(nd(x), [0, 2, 1]).data, [2, 9, 3]);
    const wn = fromArray(permute(nd(w), [2, 1, 0]).data, [3, 3, 4]);
    const Y = topi.conv1d(Xn, Wn, { dataLayout: "NWC", strides: 2, padding: [1, 2], dilation: 2 });
    runAndCheck([Xn, Wn], Y, [xn, wn], permute(convRef(nd(x), nd(w), p), [0, 2, 1]), tol);
  });

  it("conv3d NCDHW", () => {
    const X = placeholder([1, 2, 3, 4, 4], "float32", "X");
    const W = placeholder([2, 2, 2, 2, 2], "float32", "W");
    const x = rand(rng, [1, 2, 3, 4, 4]), w = rand(rng, [2, 2, 2, 2, 2]);
    runAndCheck([X, W], topi.conv3d(X, W, { padding: [0, 1, 1] }), [x, w], convRef(nd(x), nd(w), params(3, { before: [0, 1, 1], after: [0, 1, 1] })), tol);
  });
});
