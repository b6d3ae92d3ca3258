/**
 * Naive double-precision references for attention, resize (ONNX Resize semantics), cumsum,
 * argmax / argmin and group normalization, written from the operator definitions. Shared by
 * the LegalizeOps tests and the frontend's test evaluator.
 */
import { at, build, numel, type Nd } from "./reference_ops.js";

export interface NdLike {
  shape: readonly number[];
  data: ArrayLike<number>;
}
const nd = (x: NdLike): Nd => ({ shape: [...x.shape], data: Float64Array.from(x.data) });

export interface AttentionRef {
  scale?: number;
  causal?: "TopLeft" | "BottomRight";
  bias?: NdLike;
}

/** q [B, S, N, H], k [B, L, Nk, H], v [B, L, Nk, Hv] -> [B, S, N, Hv]. */
export function attention(q0: NdLike, k0: NdLike, v0: NdLike, o: AttentionRef = {}): Nd {
  const q = nd(q0), k = nd(k0), v = nd(v0);
  const [B, S, N, H] = q.shape as [number, number, number, number];
  const [, L, Nk] = k.shape as [number, number, number];
  const Hv = v.shape[3]!;
  const scale = o.scale ?? 1 / Math.sqrt(H);
  const bias = o.bias && nd(o.bias);
  const biasAt = (b: number, n: number, i: number, j: number) => {
    if (!bias) return 0;
    const full = [b, n, i, j].slice(4 - bias.shape.length);
    return at(bias, full.map((x, t) => (bias.shape[t] === 1 ? 0 : x)));
  };
  const out = build([B, S, N, Hv], () => 0);
  for (let b = 0; b < B; b++) for (let n = 0; n < N; n++) for (let i = 0; i < S; i++) {
    const kn = Math.floor(n / (N / Nk));
    const scores: number[] = [];
    for (let j = 0; j < L; j++) {
      let s = 0;
      for (let h = 0; h < H; h++) s += at(q, [b, i, n, h]) * at(k, [b, j, kn, h]);
      s = s * scale + biasAt(b, n, i, j);
      const limit = o.causal === "TopLeft" ? i : o.causal === "BottomRight" ? i + L - S : Infinity;
      scores.push(j > limit ? -Infinity : s);
    }
    const m = Math.max(...scores);
    const e = scores.map((s) => Math.exp(s - m));
    const z = e.reduce((p, c) => p + c, 0);
    for (let d = 0; d < Hv; d++) {
      let acc = 0;
      for (let j = 0; j < L; j++) acc += (e[j]! / z) * at(v, [b, j, kn, d]);
      out.data[((b * S + i) * N + n) * Hv + d] = acc;
    }
  }
  return out;
}

export interface ResizeRef {
  mode: "nearest" | "linear" | "cubic";
  /** Cubic kernel parameter A (ONNX cubic_coeff_a, default -0.75) and exclude_outside. */
  cubicA?: number;
  exclude?: boolean;
  coord: "half_pixel" | "asymmetric" | "align_corners" | "pytorch_half_pixel" | "half_pixel_symmetric";
  /** "round" (TVM's default) rounds halves away from zero. */
  nearest?: "round" | "round_prefer_floor" | "round_prefer_ceil" | "floor" | "ceil";
  /** The scale factors when the size came from scales; else output / input. */
  scales?: readonly [number, number];
}

/** ONNX Resize of x [N, C, H, W] to [N, C, OH, OW] (spec formulas, edge-clamped neighbors). */
export function resize(x0: NdLike, size: readonly [number, number], o: ResizeRef): Nd {
  const x = nd(x0);
  const [N, C, H, W] = x.shape as [number, number, number, number];
  // Coordinates in float32, as the kernels (and float32 runtimes) compute them: near-integer
  // coordinates then floor the same way (5 -> 3 with scale 0.6 gives 2, not 1.9999999).
  const f = Math.fround;
  const given = o.scales !== undefined;
  const orig = (out: number, inLen: number, outLen: number, scale: number): number => {
    // e / scale: by the given scale, or e * in / out for a ratio of sizes (exact when it can be).
    const toIn = (e: number) => (given ? f(e / scale) : f(f(e * inLen) / outLen));
    const half = () => f(toIn(f(out + 0.5)) - 0.5);
    switch (o.coord) {
      case "half_pixel": return half();
      case "asymmetric": return toIn(out);
      case "pytorch_half_pixel": return outLen > 1 ? half() : 0;
      case "align_corners": return outLen === 1 ? 0 : f(f(out * (inLen - 1)) / (outLen - 1));
      case "half_pixel_symmetric": {
        const adj = given ? f(outLen / f(scale * inLen)) : 1;
        return f(f(f(inLen / 2) * f(1 - adj)) + half());
      }
    }
  };
  const near = (v: number): number => {
    switch (o.nearest ?? "round_prefer_floor") {
      case "round_prefer_floor": return v - Math.floor(v) === 0.5 ? Math.floor(v) : Math.round(v);
      case "round_prefer_ceil": return v - Math.floor(v) === 0.5 ? Math.ceil(v) : Math.round(v);
      case "round": return Math.sign(v) * Math.round(Math.abs(v));
      case "floor": return Math.floor(v);
      case "ceil": return Math.ceil(v);
    }
  };
  const clamp = (i: number, n: number) => Math.min(Math.max(i, 0), n - 1);
  const sh = o.scales?.[0] ?? size[0] / H, sw = o.scales?.[1] ?? size[1] / W;
  return build([N, C, size[0], size[1]], ([n, c, y, xx]) => {
    const fy = orig(y!, H, size[0], sh), fx = orig(xx!, W, size[1], sw);
    if (o.mode === "nearest") return at(x, [n!, c!, clamp(near(fy), H), clamp(near(fx), W)]);
    if (o.mode === "cubic") {
      const ty = cubicTaps(fy, H, o.cubicA ?? -0.75, o.exclude ?? false), tx = cubicTaps(fx, W, o.cubicA ?? -0.75, o.exclude ?? false);
      let acc = 0;
      ty.forEach(([yy, wy]) => tx.forEach(([xi, wx]) => (acc += wy * wx * at(x, [n!, c!, clamp(yy, H), clamp(xi, W)]))));
      return acc;
    }
    const y0 = Math.floor(fy), x0 = Math.floor(fx), ty = fy - y0, tx = fx - x0;
    const g = (yy: number, xi: number) => at(x, [n!, c!, clamp(yy, H), clamp(xi, W)]);
    return (1 - ty) * ((1 - tx) * g(y0, x0) + tx * g(y0, x0 + 1)) + ty * ((1 - tx) * g(y0 + 1, x0) + tx * g(y0 + 1, x0 + 1));
  });
}

/** ONNX's cubic coefficients for the taps floor(v) - 1 .. floor(v) + 2 (edge padding, or outside taps dropped and renormalized). */
function cubicTaps(v: number, len: number, A: number, exclude: boolean): [number, number][] {
  const i0 = Math.floor(v), r = v - i0;
  const c = [
    ((A * (r + 1) - 5 * A) * (r + 1) + 8 * A) * (r + 1) - 4 * A,
    ((A + 2) * r - (A + 3)) * r * r + 1,
    ((A + 2) * (1 - r) - (A + 3)) * (1 - r) * (1 - r) + 1,
    ((A * (2 - r) - 5 * A) * (2 - r) + 8 * A) * (2 - r) - 4 * A,
  ];
  const taps = c.map((w, k): [number, number] => [i0 - 1 + k, w]);
  if (!exclude) return taps;
  const kept = taps.map(([i, w]): [number, number] => [i, i >= 0 && i < len ? w : 0]);
  const total = kept.reduce((s, [, w]) => s + w, 0);
  return kept.map(([i, w]) => [i, w / total]);
}

export function cumsum(x0: NdLike, axis: number, exclusive: boolean, reverse: boolean): Nd {
  const x = nd(x0);
  const ax = axis < 0 ? axis + x.shape.length : axis;
  const n = x.shape[ax]!;
  return build(x.shape, (idx) => {
    let s = 0;
    for (let k = 0; k < n; k++) {
      const i = idx[ax]!;
      const take = reverse ? (exclusive ? k > i : k >= i) : exclusive ? k < i : k <= i;
      if (take) s += at(x, idx.map((v, t) => (t === ax ? k : v)));
    }
    return s;
  });
}

/** Index of the max / min along `axis` (flattened when null); first or last on ties. */
export function argReduce(x0: NdLike, kind: "max" | "min", axis: number | null, keepdims: boolean, last: boolean): Nd {
  const x = nd(x0);
  const flat = axis === null;
  const src = flat ? { shape: [numel(x.shape)], data: x.data } : x;
  const ax = flat ? 0 : axis! < 0 ? axis! + x.shape.length : axis!;
  const outShape = src.shape.filter((_, i) => i !== ax);
  const better = (a: number, b: number) => (kind === "max" ? a > b : a < b);
  const r = build(outShape, (idx) => {
    let best = 0;
    const full = (k: number) => [...idx.slice(0, ax), k, ...idx.slice(ax)];
    for (let k = 1; k < src.shape[ax]!; k++) {
      const v = at(src, full(k)), b = at(src, full(best));
      if (better(v, b) || (last && v === b)) best = k;
    }
    return best;
  });
  if (!keepdims) return r;
  return { shape: flat ? x.shape.map(() => 1) : x.shape.map((d, i) => (i === ax ? 1 : d)), data: r.data };
}

/** Group norm of x [N, C, ...] with per-channel gamma / beta. */
export function groupNorm(x0: NdLike, g0: NdLike, b0: NdLike, groups: number, eps: number): Nd {
  const x = nd(x0), g = nd(g0), b = nd(b0);
  const [N, C] = x.shape as [number, number];
  const inner = numel(x.shape.slice(2)), per = C / groups;
  const stats = new Map<string, [number, number]>();
  for (let n = 0; n < N; n++) for (let gr = 0; gr < groups; gr++) {
    const vals: number[] = [];
    for (let c = gr * per; c < (gr + 1) * per; c++) for (let p = 0; p < inner; p++) vals.push(x.data[(n * C + c) * inner + p]!);
    const mean = vals.reduce((s, v) => s + v, 0) / vals.length;
    const variance = vals.reduce((s, v) => s + (v - mean) ** 2, 0) / vals.length;
    stats.set(`${n},${gr}`, [mean, variance]);
  }
  return build(x.shape, (idx) => {
    const [n, c] = idx as [number, number];
    const [mean, variance] = stats.get(`${n},${Math.floor(c / per)}`)!;
    return ((at(x, idx) - mean) / Math.sqrt(variance + eps)) * g.data[c]! + b.data[c]!;
  });
}

export interface ConvTransposeRef {
  strides: [number, number];
  /** [top, left, bottom, right]. */
  pad: [number, number, number, number];
  outputPadding: [number, number];
  dilation: [number, number];
  groups: number;
}

/**
 * Transposed convolution by its definition as a scatter: every input element adds
 * x * w[c, o, ky, kx] at (y * stride + ky * dilation - pad_top, ...) of the full output.
 */
export function conv2dTranspose(x0: NdLike, w0: NdLike, p: ConvTransposeRef): Nd {
  const x = nd(x0), w = nd(w0);
  const [N, C, H, W] = x.shape as [number, number, number, number];
  const [, Og, KH, KW] = w.shape as [number, number, number, number];
  const [sh, sw] = p.strides, [dh, dw] = p.dilation, [pt, pl, pb, pr] = p.pad;
  const OH = (H - 1) * sh - pt - pb + dh * (KH - 1) + p.outputPadding[0] + 1;
  const OW = (W - 1) * sw - pl - pr + dw * (KW - 1) + p.outputPadding[1] + 1;
  const O = Og * p.groups, Cg = C / p.groups;
  const out = build([N, O, OH, OW], () => 0);
  for (let n = 0; n < N; n++) for (let c = 0; c < C; c++) for (let y = 0; y < H; y++) for (let xx = 0; xx < W; xx++) {
    const g = Math.floor(c / Cg);
    for (let o = 0; o < Og; o++) for (let ky = 0; ky < KH; ky++) for (let kx = 0; kx < KW; kx++) {
      const oy = y * sh + ky * dh - pt, ox = xx * sw + kx * dw - pl;
      if (oy < 0 || oy >= OH || ox < 0 || ox >= OW) continue;
      out.data[((n * O + g * Og + o) * OH + oy) * OW + ox] += at(x, [n, c, y, xx]) * at(w, [c, o, ky, kx]);
    }
  }
  return out;
}

/** The k largest / smallest along `axis` by a stable sort of each row: [values, indices]. */
export function topk(x0: NdLike, k: number, axis: number, largest: boolean): [Nd, Nd] {
  const x = nd(x0);
  const ax = axis < 0 ? axis + x.shape.length : axis;
  const n = x.shape[ax]!;
  const outShape = x.shape.map((d, i) => (i === ax ? k : d));
  const order = (idx: number[]) => {
    const row = Array.from({ length: n }, (_, j) => ({ j, v: at(x, idx.map((e, d) => (d === ax ? j : e))) }));
    row.sort((a, b) => (a.v === b.v ? a.j - b.j : largest ? b.v - a.v : a.v - b.v));
    return row;
  };
  return [build(outShape, (idx) => order(idx)[idx[ax]!]!.v), build(outShape, (idx) => order(idx)[idx[ax]!]!.j)];
}
