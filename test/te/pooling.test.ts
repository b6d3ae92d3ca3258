import { describe, expect, it } from "vitest";
import { placeholder, topi, type Tensor } from "../../src/te/index.js";
const { constDim } = topi;
import { Rng, build, get, nd, rand, runAndCheck, type Nd } from "./te_harness.js";

interface P {
  kernel: number[];
  strides: number[];
  before: number[];
  after: number[];
  dilation: number[];
  ceil: boolean;
  includePad: boolean;
}

/** PyTorch-style pooling over N C spatial... (ceil mode drops windows starting in the end padding). */
function poolRef(x: Nd, type: "max" | "avg", p: P): Nd {
  const [N, C, ...X] = x.shape;
  const out = X.map((xd, d) => {
    const span = (p.kernel[d]! - 1) * p.dilation[d]! + 1;
    const total = xd! + p.before[d]! + p.after[d]! - span;
    let o = (p.ceil ? Math.ceil(total / p.strides[d]!) : Math.floor(total / p.strides[d]!)) + 1;
    if (p.ceil && (o - 1) * p.strides[d]! >= xd! + p.before[d]!) o--;
    return o;
  });
  return build([N!, C!, ...out], ([n, c, ...os]) => {
    const kn = p.kernel.reduce((a, b) => a * b, 1);
    let best = -Infinity, sum = 0, count = 0, countPad = 0;
    for (let kp = 0; kp < kn; kp++) {
      const kk: number[] = [];
      let r = kp;
      for (let d = p.kernel.length - 1; d >= 0; d--) {
        kk[d] = r % p.kernel[d]!;
        r = Math.floor(r / p.kernel[d]!);
      }
      const pos = os.map((o, d) => o * p.strides[d]! + kk[d]! * p.dilation[d]! - p.before[d]!);
      if (pos.every((q, d) => q >= -p.before[d]! && q < X[d]! + p.after[d]!)) countPad++;
      if (pos.some((q, d) => q < 0 || q >= X[d]!)) continue;
      const v = get(x, [n!, c!, ...pos]);
      best = Math.max(best, v);
      sum += v;
      count++;
    }
    return type === "max" ? best : sum / (p.includePad ? countPad : count);
  });
}

function permute(a: Nd, perm: number[]): Nd {
  const shape = perm.map((q) => a.shape[q]!);
  return build(shape, (idx) => {
    const src: number[] = [];
    perm.forEach((q, i) => (src[q] = idx[i]!));
    return get(a, src);
  });
}

const full = (n: number, o: Partial<P>): P => ({
  kernel: o.kernel!,
  strides: o.strides ?? Array(n).fill(1),
  before: o.before ?? Array(n).fill(0),
  after: o.after ?? Array(n).fill(0),
  dilation: o.dilation ?? Array(n).fill(1),
  ceil: o.ceil ?? false,
  includePad: o.includePad ?? false,
});

describe("pool2d", () => {
  const rng = new Rng(41);
  const X = placeholder([1, 2, 5, 5], "float32", "X");
  const x = rand(rng, [1, 2, 5, 5]);
  const rx = nd(x);
  const tol = { rtol: 1e-5, atol: 1e-6 };

  it("max pool 2x2 stride 2 (pool_max, no pad compute)", () => {
    const Y = topi.maxPool2d(X, { kernel: 2, strides: 2 });
    expect(Y.op.name).toBe("pool_max");
    expect(Y.op.inputTensors()[0]).toBe(X);
    runAndCheck([X], Y, [x], poolRef(rx, "max", full(2, { kernel: [2, 2], strides: [2, 2] })), tol);
  });

  it("max pool with padding, dilation and ceil mode (drops a window starting in the padding)", () => {
    const Y = topi.maxPool2d(X, { kernel: 2, strides: 2, padding: 1, ceilMode: true });
    expect(Y.shape.map(constDim)).toEqual([1, 2, 3, 3]);
    runAndCheck([X], Y, [x], poolRef(rx, "max", full(2, { kernel: [2, 2], strides: [2, 2], before: [1, 1], after: [1, 1], ceil: true })), tol);
    const Z = topi.pool2d(X, "max", { kernel: [2, 3], dilation: [2, 1], padding: [1, 0, 1, 2], strides: [1, 2] });
    runAndCheck([X], Z, [x], poolRef(rx, "max", full(2, { kernel: [2, 3], dilation: [2, 1], before: [1, 0], after: [1, 2], strides: [1, 2] })), tol);
  });

  for (const includePad of [false, true]) {
    for (const ceil of [false, true]) {
      it(`avg pool 3x3 stride 2 pad 1, count_include_pad=${includePad}, ceil_mode=${ceil}`, () => {
        const Y = topi.avgPool2d(X, { kernel: 3, strides: 2, padding: 1, countIncludePad: includePad, ceilMode: ceil });
        expect(Y.op.name).toBe("pool_avg");
        const ref = poolRef(rx, "avg", full(2, { kernel: [3, 3], strides: [2, 2], before: [1, 1], after: [1, 1], ceil, includePad }));
        runAndCheck([X], Y, [x], ref, tol);
      });
    }
  }

  it("avg pool with a ceil-mode window hanging over the end", () => {
    const X6 = placeholder([1, 1, 6, 6], "float32", "X6");
    const x6 = rand(rng, [1, 1, 6, 6]);
    const Y = topi.avgPool2d(X6, { kernel: 3, strides: 2, ceilMode: true, countIncludePad: true });
    runAndCheck([X6], Y, [x6], poolRef(nd(x6), "avg", full(2, { kernel: [3, 3], strides: [2, 2], ceil: true, includePad: true })), tol);
  });

  it("NHWC layout", () => {
    const Xh = placeholder([1, 5, 5, 2], "float32", "Xh");
    const xh = rand(rng, [1, 5, 5, 2]);
    const ref = poolRef(permute(nd(xh), [0, 3, 1, 2]), "avg", full(2, { kernel: [2, 2], strides: [2, 2], before: [1, 1], after: [1, 1] }));
    const Y = topi.avgPool2d(Xh, { kernel: 2, strides: 2, padding: 1, layout: "NHWC" });
    runAndCheck([Xh], Y, [xh], permute(ref, [0, 2, 3, 1]), tol);
  });

  it("global max and avg pooling keep 1x1 spatial dims", () => {
    const refMax = build([1, 2, 1, 1], ([, c]) => Math.max(...Array.from({ length: 25 }, (_, p) => get(rx, [0, c!, Math.floor(p / 5), p % 5]))));
    const refAvg = build([1, 2, 1, 1], ([, c]) => Array.from({ length: 25 }, (_, p) => get(rx, [0, c!, Math.floor(p / 5), p % 5])).reduce((a, b) => a + b) / 25);
    runAndCheck([X], topi.globalPool2d(X, "max"), [x], refMax, tol);
    runAndCheck([X], topi.globalPool2d(X, "avg"), [x], refAvg, tol);
    const Xh = placeholder([1, 5, 5, 2], "float32", "Xh");
    const xh = rand(rng, [1, 5, 5, 2]);
    const Y = topi.globalPool2d(Xh, "avg", "NHWC");
    expect(Y.shape.map(constDim)).toEqual([1, 1, 1, 2]);
    runAndCheck([Xh], Y, [xh], build([1, 1, 1, 2], ([, , , c]) => nd(xh).data.filter((_, p) => p % 2 === c).reduce((a, b) => a + b) / 25), tol);
  });

  it("reports bad arguments", () => {
    expect(() => topi.pool2d(X, "sum" as never, { kernel: 2 })).toThrow(/pool2d: pool type must be "max" or "avg", got sum/);
    expect(() => topi.maxPool2d(X, { kernel: 2, padding: 2 })).toThrow(/max_pool2d: padding \[2, 2\] \/ \[2, 2\] must be smaller than the \(dilated\) kernel \[2, 2\]/);
    expect(() => topi.maxPool2d(X, { kernel: 7 })).toThrow(/max_pool2d: the output would be empty/);
    expect(() => topi.maxPool2d(placeholder([2, 5, 5]), { kernel: 2 })).toThrow(/max_pool2d: data must be 4-D \(NCHW\), got shape \[2, 5, 5\]/);
    expect(() => topi.maxPool2d(X, { kernel: [2, 2, 2] })).toThrow(/kernel must be a number or a list of 2, got \[2, 2, 2\]/);
    expect(() => topi.maxPool2d(X, {} as never)).toThrow(/the kernel size is required/);
  });
});

describe("pool1d and pool3d", () => {
  const rng = new Rng(42);
  it("1-D max and 3-D avg", () => {
    const X = placeholder([2, 2, 7], "float32", "X");
    const x = rand(rng, [2, 2, 7]);
    const Y: Tensor = topi.pool1d(X, "max", { kernel: 3, strides: 2, padding: 1 });
    runAndCheck([X], Y, [x], poolRef(nd(x), "max", full(1, { kernel: [3], strides: [2], before: [1], after: [1] })));
    const X3 = placeholder([1, 1, 3, 4, 4], "float32", "X3");
    const x3 = rand(rng, [1, 1, 3, 4, 4]);
    const Z = topi.pool3d(X3, "avg", { kernel: 2, strides: [1, 2, 2] });
    runAndCheck([X3], Z, [x3], poolRef(nd(x3), "avg", full(3, { kernel: [2, 2, 2], strides: [1, 2, 2] })), { rtol: 1e-5, atol: 1e-6 });
  });
});
