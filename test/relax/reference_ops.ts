/**
 * Naive float64 references for the Relax operators (row-major, numpy semantics), shared by
 * the reference evaluator and the tests that state expected values directly. Written for
 * clarity, independently of the kernels under test.
 */
import { numel, ravel, unravel } from "../te/te_harness.js";

export { numel, ravel, unravel };

export interface Nd {
  shape: number[];
  data: Float64Array;
}

export const at = (a: Nd, idx: readonly number[]) => a.data[ravel(idx, a.shape)]!;

/** An array whose element at flat position i is f(i). */
export const arr = (shape: readonly number[], f: (i: number) => number): Nd => ({ shape: [...shape], data: Float64Array.from({ length: numel(shape) }, (_, i) => f(i)) });

/** An array whose element at index idx is f(idx). */
export function build(shape: readonly number[], f: (idx: number[]) => number): Nd {
  return arr(shape, (p) => f(unravel(p, shape)));
}

export const map = (x: Nd, f: (v: number) => number): Nd => ({ shape: [...x.shape], data: x.data.map(f) });

/** numpy broadcasting of any number of arrays. */
export function bcast(xs: readonly Nd[], f: (...v: number[]) => number): Nd {
  const n = Math.max(...xs.map((x) => x.shape.length));
  const shape: number[] = [];
  for (let k = 0; k < n; k++) {
    let d = 1;
    for (const x of xs) {
      const i = x.shape.length - n + k;
      if (i >= 0 && x.shape[i] !== 1) d = x.shape[i]!;
    }
    shape.push(d);
  }
  return build(shape, (idx) => f(...xs.map((x) => at(x, x.shape.map((d, i) => (d === 1 ? 0 : idx[i + n - x.shape.length]!))))));
}

export function matmul(a: Nd, b: Nd): Nd {
  const a1 = a.shape.length === 1, b1 = b.shape.length === 1;
  const A = a1 ? { shape: [1, a.shape[0]!], data: a.data } : a;
  const B = b1 ? { shape: [b.shape[0]!, 1], data: b.data } : b;
  const M = A.shape[A.shape.length - 2]!, K = A.shape[A.shape.length - 1]!, N = B.shape[B.shape.length - 1]!;
  const ba = A.shape.slice(0, -2), bb = B.shape.slice(0, -2);
  const nb = Math.max(ba.length, bb.length);
  const batch: number[] = [];
  for (let k = 0; k < nb; k++) {
    const x = ba[ba.length - nb + k] ?? 1, y = bb[bb.length - nb + k] ?? 1;
    batch.push(x === 1 ? y : x);
  }
  const full = build([...batch, M, N], (idx) => {
    const bi = idx.slice(0, nb), i = idx[nb]!, j = idx[nb + 1]!;
    const pick = (s: number[]) => s.map((d, q) => (d === 1 ? 0 : bi[q + nb - s.length]!));
    let s = 0;
    for (let k = 0; k < K; k++) s += at(A, [...pick(ba), i, k]) * at(B, [...pick(bb), k, j]);
    return s;
  });
  return { shape: [...batch, ...(a1 ? [] : [M]), ...(b1 ? [] : [N])], data: full.data };
}

export type ReduceKind = "sum" | "mean" | "max" | "min" | "prod";

/** Reduces `axes` (all when null; negative counts from the end). */
export function reduce(x: Nd, axes: readonly number[] | null, keepdims: boolean, kind: ReduceKind): Nd {
  const nd = x.shape.length;
  const red = new Set((axes ?? [...Array(nd).keys()]).map((a) => (a < 0 ? a + nd : a)));
  const kept = x.shape.map((d, i) => (red.has(i) ? 1 : d));
  const init = { sum: 0, mean: 0, max: -Infinity, min: Infinity, prod: 1 }[kind];
  const step = { sum: (a: number, v: number) => a + v, mean: (a: number, v: number) => a + v, max: Math.max, min: Math.min, prod: (a: number, v: number) => a * v }[kind];
  const acc = new Float64Array(numel(kept)).fill(init);
  x.data.forEach((v, p) => {
    const o = ravel(unravel(p, x.shape).map((q, i) => (red.has(i) ? 0 : q)), kept);
    acc[o] = step(acc[o]!, v);
  });
  const count = x.shape.filter((_, i) => red.has(i)).reduce((a, b) => a * b, 1);
  const data = kind === "mean" ? acc.map((s) => s / count) : acc;
  return { shape: keepdims ? kept : x.shape.filter((_, i) => !red.has(i)), data };
}

export function softmax(x: Nd, axis: number, log = false): Nd {
  const m = reduce(x, [axis], true, "max");
  const e = bcast([x, m], (v, mx) => Math.exp(v - mx));
  const s = reduce(e, [axis], true, "sum");
  return log ? bcast([x, m, s], (v, mx, sum) => v - mx - Math.log(sum)) : bcast([e, s], (v, sum) => v / sum);
}

/** Normalizes over `axes`; the scale and shift have the shape of those axes. */
export function layerNorm(x: Nd, g: Nd, b: Nd, axes: readonly number[], eps: number): Nd {
  const nd = x.shape.length;
  const ax = axes.map((a) => (a < 0 ? a + nd : a));
  const mean = reduce(x, ax, true, "mean");
  const c = bcast([x, mean], (v, m) => v - m);
  const variance = reduce(map(c, (v) => v * v), ax, true, "mean");
  const norm = bcast([c, variance], (v, s) => v / Math.sqrt(s + eps));
  return build(x.shape, (idx) => {
    const pi = ax.map((a) => idx[a]!);
    return at(norm, idx) * at(g, pi) + at(b, pi);
  });
}

export function batchNorm(x: Nd, g: Nd, b: Nd, mean: Nd, vr: Nd, axis: number, eps: number): Nd {
  return build(x.shape, (idx) => {
    const c = idx[axis]!;
    return ((at(x, idx) - mean.data[c]!) / Math.sqrt(vr.data[c]! + eps)) * g.data[c]! + b.data[c]!;
  });
}

export interface Conv2dParams {
  strides: readonly [number, number];
  /** top, left, bottom, right */
  pad: readonly [number, number, number, number];
  dilation: readonly [number, number];
  groups: number;
}

export function conv2d(x: Nd, w: Nd, p: Conv2dParams): Nd {
  const [N, , H, W] = x.shape as [number, number, number, number];
  const [O, I, KH, KW] = w.shape as [number, number, number, number];
  const OH = Math.floor((H + p.pad[0] + p.pad[2] - p.dilation[0] * (KH - 1) - 1) / p.strides[0]) + 1;
  const OW = Math.floor((W + p.pad[1] + p.pad[3] - p.dilation[1] * (KW - 1) - 1) / p.strides[1]) + 1;
  const og = O / p.groups;
  return build([N, O, OH, OW], ([n, o, oh, ow]) => {
    let s = 0;
    const g = Math.floor(o! / og);
    for (let c = 0; c < I; c++) {
      for (let kh = 0; kh < KH; kh++) {
        for (let kw = 0; kw < KW; kw++) {
          const h = oh! * p.strides[0] + kh * p.dilation[0] - p.pad[0];
          const ww = ow! * p.strides[1] + kw * p.dilation[1] - p.pad[1];
          if (h < 0 || h >= H || ww < 0 || ww >= W) continue;
          s += at(x, [n!, g * I + c, h, ww]) * at(w, [o!, c, kh, kw]);
        }
      }
    }
    return s;
  });
}

export function pool2d(
  x: Nd, kind: "max" | "avg", k: readonly [number, number], strides: readonly [number, number], pad: readonly [number, number, number, number], countIncludePad: boolean,
): Nd {
  const [N, C, H, W] = x.shape as [number, number, number, number];
  const OH = Math.floor((H + pad[0] + pad[2] - k[0]) / strides[0]) + 1;
  const OW = Math.floor((W + pad[1] + pad[3] - k[1]) / strides[1]) + 1;
  return build([N, C, OH, OW], ([n, c, oh, ow]) => {
    let m = -Infinity, s = 0, cnt = 0, all = 0;
    for (let kh = 0; kh < k[0]; kh++) {
      for (let kw = 0; kw < k[1]; kw++) {
        const h = oh! * strides[0] + kh - pad[0], w = ow! * strides[1] + kw - pad[1];
        all++;
        if (h < 0 || h >= H || w < 0 || w >= W) continue;
        const v = at(x, [n!, c!, h, w]);
        m = Math.max(m, v);
        s += v;
        cnt++;
      }
    }
    return kind === "max" ? m : s / (countIncludePad ? all : cnt);
  });
}

/** Output axis i is input axis axes[i]. */
export function transpose(x: Nd, axes: readonly number[]): Nd {
  return build(axes.map((a) => x.shape[a]!), (idx) => {
    const src: number[] = [];
    axes.forEach((a, i) => (src[a] = idx[i]!));
    return at(x, src);
  });
}

export function concat(xs: readonly Nd[], axis: number): Nd {
  const ax = axis < 0 ? axis + xs[0]!.shape.length : axis;
  const shape = [...xs[0]!.shape];
  shape[ax] = xs.reduce((a, x) => a + x.shape[ax]!, 0);
  return build(shape, (idx) => {
    let k = idx[ax]!;
    for (const x of xs) {
      if (k < x.shape[ax]!) {
        const j = [...idx];
        j[ax] = k;
        return at(x, j);
      }
      k -= x.shape[ax]!;
    }
    throw new Error("concat: index out of range");
  });
}

/** x[begin:end:stride] along `axes` (begin/end already non-negative and in range). */
export function slice(x: Nd, axes: readonly number[], begin: readonly number[], end: readonly number[], strides: readonly number[]): Nd {
  const start = x.shape.map(() => 0), step = x.shape.map(() => 1), shape = [...x.shape];
  axes.forEach((a, i) => {
    start[a] = begin[i]!;
    step[a] = strides[i]!;
    shape[a] = Math.max(0, Math.ceil((end[i]! - begin[i]!) / strides[i]!));
  });
  return build(shape, (idx) => at(x, idx.map((v, k) => start[k]! + v * step[k]!)));
}

/** numpy.take; negative indices count from the end; `axis` null takes from the flattened array. */
export function take(x: Nd, ind: Nd, axis: number | null): Nd {
  if (axis === null) return build(ind.shape, (idx) => x.data[wrap(at(ind, idx), x.data.length)]!);
  const ax = axis < 0 ? axis + x.shape.length : axis;
  const shape = [...x.shape.slice(0, ax), ...ind.shape, ...x.shape.slice(ax + 1)];
  const ni = ind.shape.length;
  return build(shape, (idx) => {
    const i = wrap(at(ind, idx.slice(ax, ax + ni)), x.shape[ax]!);
    return at(x, [...idx.slice(0, ax), i, ...idx.slice(ax + ni)]);
  });
}

const wrap = (i: number, d: number) => (i < 0 ? i + d : i);

/** erf to double precision: a power series near 0, a continued fraction in the tails. */
export function erf(x: number): number {
  const t = Math.abs(x);
  if (t < 2.5) {
    let sum = t, term = t;
    for (let n = 1; n < 60; n++) {
      term *= (-t * t) / n;
      sum += term / (2 * n + 1);
    }
    return Math.sign(x) * (2 / Math.sqrt(Math.PI)) * sum;
  }
  let f = 0;
  for (let n = 60; n >= 1; n--) f = n / 2 / (t + f);
  return Math.sign(x) * (1 - Math.exp(-t * t) / Math.sqrt(Math.PI) / (t + f));
}

export const gelu = (v: number) => 0.5 * v * (1 + erf(v / Math.SQRT2));
export const geluTanh = (v: number) => 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v ** 3)));
export const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));

export function maxAbsDiff(a: Nd, b: Nd): number {
  if (a.shape.join() !== b.shape.join()) throw new Error(`shape mismatch: (${a.shape}) vs (${b.shape})`);
  let m = 0;
  for (let i = 0; i < a.data.length; i++) m = Math.max(m, Math.abs(a.data[i]! - b.data[i]!));
  return m;
}
