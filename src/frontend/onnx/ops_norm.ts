/**
 * InstanceNormalization and GroupNormalization. GroupNormalization before opset 21 took one
 * scale and bias per group; they are repeated per channel for R.nn.group_norm (folded when
 * constant).
 */
import { Constant, ShapeExpr, op, type Expr } from "../../relax/index.js";
import type { PrimExpr } from "../../ir/expr.js";
import * as E from "../../ir/expr_ops.js";
import { dimsOf, i64, rankOf, staticDim } from "../shape_util.js";
import type { NodeView } from "./context.js";
import { registerConverter } from "./registry.js";

registerConverter("InstanceNormalization", (node) => {
  const x = node.input(0);
  if (rankOf(x, node.label) < 3) throw node.error("the input must be at least 3-D (N, C, D1, ...)");
  return op.nn.instanceNorm(x, node.input(1), node.input(2), { epsilon: node.float("epsilon", 1e-5) });
});

/** A per-group parameter [G] repeated to one value per channel [C]. */
function perChannel(node: NodeView, p: Expr, groups: number, channels: PrimExpr): Expr {
  const c = staticDim(channels);
  if (p instanceof Constant) {
    if (p.data.length !== groups) throw node.error(`scale and bias must have num_groups=${groups} values before opset 21, got ${p.data.length}`);
    if (c === undefined) throw node.error("per-group scale/bias need a static channel count");
    return new Constant(p.dtype, [c], Array.from({ length: c }, (_, i) => p.data[Math.floor(i / (c / groups))]!));
  }
  const per = c !== undefined ? i64(c / groups) : node.bb.analyzer.simplify(E.floordiv(channels, i64(groups)));
  const g = node.bb.emit(op.reshape(p, [i64(groups), i64(1)]));
  const rep = node.bb.emit(op.broadcastTo(g, new ShapeExpr([i64(groups), per])));
  return node.bb.emit(op.reshape(rep, [channels]));
}

registerConverter("GroupNormalization", (node) => {
  const x = node.input(0);
  if (!node.hasAttr("num_groups")) throw node.error("attribute 'num_groups' is required");
  const groups = node.int("num_groups", 1);
  const dims = dimsOf(x, node.label);
  if (dims.length < 3) throw node.error("the input must be at least 3-D (N, C, D1, ...)");
  const c = staticDim(dims[1]!);
  if (groups < 1 || (c !== undefined && c % groups !== 0)) throw node.error(`${c ?? "the"} channels do not divide into num_groups=${groups}`);
  let scale = node.input(1), bias = node.input(2);
  if (node.opset < 21) {
    scale = perChannel(node, scale, groups, dims[1]!);
    bias = perChannel(node, bias, groups, dims[1]!);
  }
  return op.nn.groupNorm(x, scale, bias, groups, { epsilon: node.float("epsilon", 1e-5) });
}, 18);
