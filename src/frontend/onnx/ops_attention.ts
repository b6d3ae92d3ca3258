/**
 * ONNX Attention (opset 23) as R.nn.attention. 4-D inputs are [batch, heads, seq, head_size]
 * and are permuted to Relax's [batch, seq, heads, head_size]; 3-D inputs [batch, seq, hidden]
 * are split into q_num_heads / kv_num_heads heads by a reshape. A bool attn_mask (true =
 * attend) becomes an additive 0 / -inf bias; is_causal is the upper-left aligned mask (TopLeft).
 * The KV cache inputs/outputs, softcap and the qk_matmul output are not supported.
 */
import { bool } from "../../ir/dtype.js";
import type { PrimExpr } from "../../ir/expr.js";
import * as E from "../../ir/expr_ops.js";
import { Constant, op, type Expr } from "../../relax/index.js";
import { dimsOf, i64, rankOf, staticDim, tensorSinfo } from "../shape_util.js";
import type { NodeView } from "./context.js";
import { registerConverter } from "./registry.js";

/** An input as [batch, seq, heads, head_size]. */
function toBSNH(node: NodeView, x: Expr, headsAttr: string, what: string): Expr {
  const rank = rankOf(x, node.label);
  if (rank === 4) return node.bb.emit(op.permuteDims(x, [0, 2, 1, 3]));
  if (rank !== 3) throw node.error(`${what} must be 3-D [batch, seq, hidden] or 4-D [batch, heads, seq, head_size], got rank ${rank}`);
  if (!node.hasAttr(headsAttr)) throw node.error(`3-D ${what} needs the attribute ${headsAttr}`);
  const heads = node.int(headsAttr, 1);
  const [b, s, hidden] = dimsOf(x, node.label) as [PrimExpr, PrimExpr, PrimExpr];
  const h = staticDim(hidden);
  if (h === undefined || h % heads !== 0) throw node.error(`${what} hidden size ${h ?? String(hidden)} must be static and divide into ${headsAttr}=${heads}`);
  return node.bb.emit(op.reshape(x, [b, s, i64(heads), i64(h / heads)]));
}

registerConverter("Attention", (node) => {
  if (node.hasInput(4) || node.hasInput(5) || node.wantsOutput(1) || node.wantsOutput(2)) {
    throw node.error("the KV cache (past_key / past_value inputs, present_key / present_value outputs) is not supported");
  }
  if (node.wantsOutput(3)) throw node.error("the qk_matmul_output output is not supported");
  if (node.float("softcap", 0) !== 0) throw node.error("softcap is not supported");
  const q0 = node.input(0);
  const threeD = rankOf(q0, node.label) === 3;
  const q = toBSNH(node, q0, "q_num_heads", "Q");
  const k = toBSNH(node, node.input(1), "kv_num_heads", "K");
  const v = toBSNH(node, node.input(2), "kv_num_heads", "V");
  let bias = node.optionalInput(3);
  if (bias) {
    const s = tensorSinfo(bias, node.label);
    if (s.dtype === bool) {
      const dt = tensorSinfo(q0, node.label).dtype;
      bias = node.bb.emit(op.where(bias, new Constant(dt, [], [0]), new Constant(dt, [], [-Infinity])));
    }
  }
  const y = node.bb.emit(
    op.nn.attention(q, k, v, {
      ...(bias ? { bias } : {}),
      ...(node.hasAttr("scale") ? { scale: node.float("scale", 1) } : {}),
      ...(node.int("is_causal", 0) !== 0 ? { causalMask: "TopLeft" as const } : {}),
    }),
  );
  if (!threeD) return op.permuteDims(y, [0, 2, 1, 3]);
  const [b, s, n, hv] = dimsOf(y, node.label);
  return op.reshape(y, [b!, s!, node.bb.analyzer.simplify(E.mul(n!, hv!))]);
}, 23);
