/**
 * `R.nn.attention`: scaled dot-product attention in TVM's layout. query [B, S, N, H], key
 * [B, L, Nk, H], value [B, L, Nk, Hv] give [B, S, N, Hv]; softmax(q·kᵀ * scale + bias) · v per
 * head, with scale 1/sqrt(H) unless given, an optional additive bias that broadcasts to
 * [B, N, S, L], and an optional causal mask ("TopLeft": key j <= query i; "BottomRight":
 * j <= i + L - S). Nk may be a divisor of N (grouped-query attention).
 */
import type { PrimExpr } from "../../ir/expr.js";
import * as E from "../../ir/expr_ops.js";
import type { Call, Expr } from "../expr.js";
import { compareDims } from "../struct_info_analysis.js";
import { TensorStructInfo } from "../struct_info.js";
import { dimText, opName, shapeText, tensorArg, tensorInfo, unifyDtype } from "./infer_util.js";
import { callOp, RelaxOp, type InferContext } from "./registry.js";

const CAUSAL = ["TopLeft", "BottomRight"];

function checkAttrs(call: Call): void {
  const scale = call.attrs["scale"];
  if (scale !== null && (typeof scale !== "number" || !Number.isFinite(scale))) {
    throw new TypeError(`${opName(call)}: attribute 'scale' must be a finite number or None (1/sqrt(head_dim)), got ${JSON.stringify(scale)}`);
  }
  const causal = call.attrs["causal_mask"];
  if (causal !== null && !CAUSAL.includes(causal as string)) {
    throw new TypeError(`${opName(call)}: attribute 'causal_mask' must be "TopLeft", "BottomRight" or None, got ${JSON.stringify(causal)}`);
  }
}

function mustMatch(call: Call, ctx: InferContext, a: PrimExpr, b: PrimExpr, what: string, shapes: string): void {
  if (compareDims(a, b, ctx.analyzer) === "fail") throw new TypeError(`${opName(call)}: ${what} differ (${dimText(a)} vs ${dimText(b)}); ${shapes}`);
}

RelaxOp.register("relax.nn.attention", {
  params: [
    { name: "query", kind: "expr" },
    { name: "key", kind: "expr" },
    { name: "value", kind: "expr" },
    { name: "bias", kind: "expr", optional: true },
  ],
  attrs: { scale: null, causal_mask: null },
  infer: (call, ctx) => {
    checkAttrs(call);
    const names = ["query", "key", "value"] as const;
    const [q, k, v] = names.map((n, i) => {
      const t = tensorArg(call, i, n);
      if (!t.isUnknownDtype && !t.dtype.isFloat()) throw new TypeError(`${opName(call)}: '${n}' must be a float tensor, got dtype ${t.dtype}`);
      if (t.ndim >= 0 && t.ndim !== 4) throw new TypeError(`${opName(call)}: '${n}' must be 4-D [batch, seq, heads, head_dim], got rank ${t.ndim}`);
      return t;
    }) as [TensorStructInfo, TensorStructInfo, TensorStructInfo];
    let dtype = unifyDtype(call, q.dtype, k.dtype, "query", "key");
    dtype = unifyDtype(call, dtype, v.dtype, "query", "value");
    const bias = call.args.length > 3 ? tensorArg(call, 3, "bias") : undefined;
    if (bias) dtype = unifyDtype(call, dtype, bias.dtype, "query", "bias");
    const qd = q.dims, kd = k.dims, vd = v.dims;
    if (!qd || !kd || !vd) return new TensorStructInfo(4, dtype);
    const shapes = `query ${shapeText(qd)}, key ${shapeText(kd)}, value ${shapeText(vd)}`;
    mustMatch(call, ctx, qd[0]!, kd[0]!, "the batch sizes of query and key", shapes);
    mustMatch(call, ctx, kd[0]!, vd[0]!, "the batch sizes of key and value", shapes);
    mustMatch(call, ctx, kd[1]!, vd[1]!, "the sequence lengths of key and value", shapes);
    mustMatch(call, ctx, kd[2]!, vd[2]!, "the head counts of key and value", shapes);
    mustMatch(call, ctx, qd[3]!, kd[3]!, "the head sizes of query and key", shapes);
    const rem = ctx.analyzer.simplify(E.floormod(qd[2]!, kd[2]!));
    if (E.isConstInt(rem) && rem.value !== 0) {
      throw new TypeError(`${opName(call)}: ${dimText(qd[2]!)} query heads are not a multiple of ${dimText(kd[2]!)} key/value heads; ${shapes}`);
    }
    if (bias && bias.ndim > 4) throw new TypeError(`${opName(call)}: 'bias' must broadcast to [batch, heads, seq, seq_kv], got rank ${bias.ndim}`);
    const bd = bias?.dims;
    if (bd) {
      // The bias broadcasts to the scores; it may not enlarge them.
      const sd = [qd[0]!, qd[2]!, qd[1]!, kd[1]!];
      bd.forEach((d, i) => {
        const s = sd[4 - bd.length + i]!;
        if (!E.isConstInt(d, 1) && compareDims(d, s, ctx.analyzer) === "fail") {
          throw new TypeError(`${opName(call)}: 'bias' ${shapeText(bd)} does not broadcast to the scores [batch, heads, seq, seq_kv] ${shapeText(sd)} (each dim must be 1 or equal)`);
        }
      });
    }
    return tensorInfo([qd[0]!, qd[1]!, qd[2]!, vd[3]!], 4, dtype);
  },
});

export interface AttentionOptions {
  bias?: Expr;
  /** Default 1 / sqrt(head_dim). */
  scale?: number;
  causalMask?: "TopLeft" | "BottomRight";
}

export function attention(query: Expr, key: Expr, value: Expr, o: AttentionOptions = {}) {
  return callOp("relax.nn.attention", o.bias ? [query, key, value, o.bias] : [query, key, value], {
    scale: o.scale ?? null, causal_mask: o.causalMask ?? null,
  });
}
