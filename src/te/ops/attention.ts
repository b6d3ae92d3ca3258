/**
 * Scaled dot-product attention over q [B, S, N, H], k [B, L, Nk, H], v [B, L, Nk, Hv] (TVM's
 * R.nn.attention layout) as three stages: the scores q·kᵀ * scale (+ bias, causal mask), a
 * softmax over the key axis, and the weighted sum of v. Nk may divide N (grouped-query
 * attention: query head n reads key/value head n / (N / Nk)). The result is [B, S, N, Hv].
 */
import type { PrimExpr } from "../../ir/expr.js";
import { add, cast, convert, floordiv, gt, minValue, mul, rsqrt, select, sub } from "../../ir/expr_ops.js";
import { reduceAxis, sum } from "../reduce.js";
import { Tensor, compute } from "../tensor.js";
import { broadcastIndex, checkFloat, checkTensor, constDim, dimsCompatible, formatShape, isConstDim } from "./shape_utils.js";
import { softmax } from "./softmax.js";

export type CausalMask = "TopLeft" | "BottomRight";

export interface AttentionOptions {
  /** Added to the scores; broadcasts (numpy rules) to [B, N, S, L]. */
  bias?: Tensor;
  /** Multiplies q·kᵀ; default 1 / sqrt(H). */
  scale?: number;
  /**
   * Hides keys after the query: "TopLeft" keeps j <= i, "BottomRight" keeps j <= i + L - S
   * (the last query sees every key).
   */
  causal?: CausalMask;
}

export function attention(q: Tensor, k: Tensor, v: Tensor, opts: AttentionOptions = {}): Tensor {
  const op = "attention";
  for (const [n, t] of [["q", q], ["k", k], ["v", v]] as const) {
    checkTensor(op, n, t);
    checkFloat(op, n, t);
    if (t.ndim !== 4) throw new TypeError(`${op}: ${n} must be 4-D [batch, seq, heads, head_dim], got ${formatShape(t.shape)}`);
    if (t.dtype !== q.dtype) throw new TypeError(`${op}: dtypes differ: q is ${q.dtype} but ${n} is ${t.dtype}`);
  }
  const [B, S, N, H] = q.shape as [PrimExpr, PrimExpr, PrimExpr, PrimExpr];
  const [, L, Nk, Hk] = k.shape as [PrimExpr, PrimExpr, PrimExpr, PrimExpr];
  const Hv = v.shape[3]!;
  const shapes = `q ${formatShape(q.shape)}, k ${formatShape(k.shape)}, v ${formatShape(v.shape)}`;
  if (!dimsCompatible(H, Hk)) throw new TypeError(`${op}: q and k head sizes differ; ${shapes}`);
  if (![0, 1, 2].every((i) => dimsCompatible(k.shape[i]!, v.shape[i]!))) throw new TypeError(`${op}: k and v must agree in batch, seq and heads; ${shapes}`);
  if (!dimsCompatible(B, k.shape[0]!)) throw new TypeError(`${op}: q and k batch sizes differ; ${shapes}`);
  const cN = constDim(N), cNk = constDim(Nk);
  if (cN !== undefined && cNk !== undefined && cN % cNk !== 0) throw new TypeError(`${op}: ${cN} query heads do not divide into ${cNk} key/value heads; ${shapes}`);
  const group = cN !== undefined && cNk !== undefined ? cN / cNk : undefined;
  const kvHead = (n: PrimExpr) => (group === 1 ? n : floordiv(n, group ?? floordiv(N, Nk)));
  const causal = opts.causal;
  if (causal !== undefined && causal !== "TopLeft" && causal !== "BottomRight") {
    throw new TypeError(`${op}: causal must be "TopLeft" or "BottomRight", got ${JSON.stringify(causal)}`);
  }
  const dt = q.dtype;
  const scale = opts.scale;
  const scoreShape = [B, N, S, L];
  const bias = opts.bias;
  if (bias) {
    checkTensor(op, "bias", bias);
    if (bias.dtype !== dt) throw new TypeError(`${op}: bias is ${bias.dtype} but q is ${dt}`);
    // The bias broadcasts to the scores and may not enlarge them.
    const fits = bias.ndim <= 4 && bias.shape.every((d, i) => isConstDim(d, 1) || dimsCompatible(d, scoreShape[4 - bias.ndim + i]!));
    if (!fits) throw new TypeError(`${op}: bias ${formatShape(bias.shape)} must broadcast to the scores [batch, heads, seq, seq_kv] ${formatShape(scoreShape)}`);
  }
  const r = reduceAxis(H, "rh");
  const cH = constDim(H);
  const scaleExpr = scale !== undefined ? convert(scale, dt) : cH !== undefined ? convert(1 / Math.sqrt(cH), dt) : rsqrt(cast(dt, H));
  const scores = compute(
    scoreShape,
    (b, n, i, j) => sum(mul(q.at(b, i, n, r.variable), k.at(b, j, kvHead(n), r.variable)), r),
    "T_attention_qk",
    { tag: "matmul", axisNames: ["b", "h", "i", "j"] },
  );
  const masked = compute(
    scoreShape,
    (b, n, i, j) => {
      let s: PrimExpr = mul(scores.at(b, n, i, j), scaleExpr);
      if (bias) s = add(s, bias.load(broadcastIndex(bias.shape, scoreShape, [b, n, i, j])));
      if (causal) {
        const limit = causal === "TopLeft" ? i : add(i, sub(L, S));
        s = select(gt(j, limit), minValue(dt), s);
      }
      return s;
    },
    "T_attention_scores",
    { tag: "elemwise", axisNames: ["b", "h", "i", "j"] },
  );
  const p = softmax(masked, -1);
  const rj = reduceAxis(L, "rj");
  return compute(
    [B, S, N, Hv],
    (b, i, n, h) => sum(mul(p.at(b, n, i, rj.variable), v.at(b, rj.variable, kvHead(n), h)), rj),
    "T_attention",
    { tag: "matmul", axisNames: ["b", "i", "h", "d"] },
  );
}
