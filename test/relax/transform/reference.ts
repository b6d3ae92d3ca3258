/**
 * Naive JavaScript references for the Relax operators (double precision, row-major).
 */
import { numericErf } from "../../../src/tir/interp/index.js";

export interface Nd {
  shape: number[];
  data: number[];
}

export const numel = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

export function unravel(p: number, shape: readonly number[]): number[] {
  const idx = Array<number>(shape.length);
  for (let i = shape.length - 1; i >= 0; i--) {
    idx[i] = p % shape[i]!;
    p = Math.floor(p / shape[i]!);
  }
  return idx;
}

export function ravel(idx: readonly number[], shape: readonly number[]): number {
  let p = 0;
  for (let i = 0; i < shape.length; i++) p = p * shape[i]! + idx[i]!;
  return p;
}

export const at = (a: Nd, idx: readonly number[]) => a.data[ravel(idx, a.shape)]!;

export function build(shape: readonly number[], f: (idx: number[]) => number): Nd {
  const n = numel(shape);
  const data = Array<number>(n);
  for (let p = 0; p < n; p++) data[p] = f(unravel(p, shape));
  return { shape: [...shape], data };
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
  return build(shape, (idx) =>
    f(...xs.map((x) => at(x, x.shape.map((d, i) => (d === 1 ? 0 : idx[i + n - x.shape.length]!))))),
  );
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
  let shape = [...batch, ...(a1 ? [] : [M]), ...(b1 ? [] : [N])];
  if (a1 && b1) shape = [...batch];
  return { shape, data: full.data };
}

export function reduce(x: Nd, axes: number[] | null, keepdims: boolean, kind: "sum" | "mean" | "max" | "min" | "prod"): Nd {
  const nd = x.shape.length;
  const red = new Set((axes ?? [...Array(nd).keys()]).map((a) => (a < 0 ? a + nd : a)));
  const outShape: number[] = [];
  x.shape.forEach((d, i) => (red.has(i) ? keepdims && outShape.push(1) : outShape.push(d)));
  const acc = new Map<number, number[]>();
  x.data.forEach((v, p) => {
    const idx = unravel(p, x.shape);
    const o: number[] = [];
    idx.forEach((q, i) => (red.has(i) ? keepdims && o.push(0) : o.push(q)));
    const key = ravel(o, outShape);
    const l = acc.get(key) ?? [];
    l.push(v);
    acc.set(key, l);
  });
  return build(outShape, (idx) => {
    const l = acc.get(ravel(idx, outShape))!;
    switch (kind) {
      case "sum":
        return l.reduce((a, b) => a + b, 0);
      case "mean":
        return l.reduce((a, b) => a + b, 0) / l.length;
      case "max":
        return Math.max(...l);
      case "min":
        return Math.min(...l);
      case "prod":
        return l.reduce((a, b) => a * b, 1);
    }
  });
}

/** Values along `axis` through position `idx` (whose entry at axis is ignored). */
function line(x: Nd, idx: readonly number[], axis: number): number[] {
  const out: number[] = [];
  for (let k = 0; k < x.shape[axis]!; k++) {
    const j = [...idx];
    j[axis] = k;
    out.push(at(x, j));
  }
  return out;
}

export function softmax(x: Nd, axis: number, log = false): Nd {
  const ax = axis < 0 ? axis + x.shape.length : axis;
  return build(x.shape, (idx) => {
    const l = line(x, idx, ax);
    const m = Math.max(...l);
    const s = l.reduce((a, v) => a + Math.exp(v - m), 0);
    const v = at(x, idx);
    return log ? v - m - Math.log(s) : Math.exp(v - m) / s;
  });
}

export function layerNorm(x: Nd, g: Nd, b: Nd, axes: number[], eps: number): Nd {
  const nd = x.shape.length;
  const ax = axes.map((a) => (a < 0 ? a + nd : a));
  return build(x.shape, (idx) => {
    const vals: number[] = [];
    const walk = (k: number, j: number[]) => {
      if (k === ax.length) return void vals.push(at(x, j));
      for (let q = 0; q < x.shape[ax[k]!]!; q++) {
        const jj = [...j];
        jj[ax[k]!] = q;
        walk(k + 1, jj);
      }
    };
    walk(0, [...idx]);
    const mean = vals.reduce((a, v) => a + v, 0) / vals.length;
    const variance = vals.reduce((a, v) => a + (v - mean) ** 2, 0) / vals.length;
    const pi = ax.map((a) => idx[a]!);
    return ((at(x, idx) - mean) / Math.sqrt(variance + eps)) * at(g, pi) + at(b, pi);
  });
}

export function batchNorm(x: Nd, g: Nd, b: Nd, mean: Nd, vr: Nd, axis: number, eps: number): Nd {
  return build(x.shape, (idx) => {
    const c = idx[axis]!;
    return ((at(x, idx) - mean.data[c]!) / Math.sqrt(vr.data[c]! + eps)) * g.data[c]! + b.data[c]!;
  });
}

export interface Conv2dParams {
  strides: [number, number];
  pad: [number, number, number, number];
  dilation: [number, number];
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

export function pool2d(x: Nd, kind: "max" | "avg", k: [number, number], strides: [number, number], pad: [number, number, number, number], countIncludePad: boolean): Nd {
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

export function transpose(x: Nd, axes: number[]): Nd {
  return build(axes.map((a) => x.shape[a]!), (idx) => {
    const src: number[] = [];
    axes.forEach((a, i) => (src[a] = idx[i]!));
    return at(x, src);
  });
}

export function concat(xs: readonly Nd[], axis: number): Nd {
  const shape = [...xs[0]!.shape];
  shape[axis] = xs.reduce((a, x) => a + x.shape[axis]!, 0);
  return build(shape, (idx) => {
    let k = idx[axis]!;
    for (const x of xs) {
      if (k < x.shape[axis]!) {
        const j = [...idx];
        j[axis] = k;
        return at(x, j);
      }
      k -= x.shape[axis]!;
    }
    throw new Error("unreachable");
  });
}

/** x[begin:end:stride] along `axes` (begin/end already non-negative and in range). */
export function slice(x: Nd, axes: number[], begin: number[], end: number[], strides: number[]): Nd {
  const start = x.shape.map(() => 0), step = x.shape.map(() => 1), shape = [...x.shape];
  axes.forEach((a, i) => {
    start[a] = begin[i]!;
    step[a] = strides[i]!;
    shape[a] = Math.max(0, Math.ceil((end[i]! - begin[i]!) / strides[i]!));
  });
  return build(shape, (idx) => at(x, idx.map((v, k) => start[k]! + v * step[k]!)));
}

export function take(x: Nd, ind: Nd, axis: number | null): Nd {
  if (axis === null) return build(ind.shape, (idx) => x.data[norm(at(ind, idx), x.data.length)]!);
  const shape = [...x.shape.slice(0, axis), ...ind.shape, ...x.shape.slice(axis + 1)];
  const ni = ind.shape.length;
  return build(shape, (idx) => {
    const i = norm(at(ind, idx.slice(axis, axis + ni)), x.shape[axis]!);
    return at(x, [...idx.slice(0, axis), i, ...idx.slice(axis + ni)]);
  });
}

const norm = (i: number, d: number) => (i < 0 ? i + d : i);

export const erf = numericErf;
export const gelu = (v: number) => 0.5 * v * (1 + erf(v / Math.SQRT2));
export const geluTanh = (v: number) => 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v ** 3)));
export const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));
