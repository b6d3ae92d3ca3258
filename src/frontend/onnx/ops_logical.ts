/**
 * Logical ONNX ops on bool tensors (And, Or, Xor, Not) and the float predicates IsNaN and
 * IsInf (with its detect_positive / detect_negative attributes).
 */
import { bool } from "../../ir/dtype.js";
import { Constant, ShapeExpr, op } from "../../relax/index.js";
import { dimsOf } from "../shape_util.js";
import { scalarLike } from "./ops_elementwise.js";
import { registerConverter } from "./registry.js";

registerConverter("And", (node) => op.logicalAnd(node.input(0), node.input(1)));
registerConverter("Or", (node) => op.logicalOr(node.input(0), node.input(1)));
registerConverter("Xor", (node) => op.logicalXor(node.input(0), node.input(1)));
registerConverter("Not", (node) => op.logicalNot(node.input(0)));
registerConverter("IsNaN", (node) => op.isnan(node.input(0)));

registerConverter("IsInf", (node) => {
  const x = node.input(0);
  const pos = node.int("detect_positive", 1) !== 0, neg = node.int("detect_negative", 1) !== 0;
  if (pos && neg) return op.isinf(x);
  if (!pos && !neg) return op.broadcastTo(new Constant(bool, [], [0]), new ShapeExpr(dimsOf(x, node.label)));
  const inf = node.bb.emit(op.isinf(x));
  const zero = scalarLike(x, 0, node.label);
  return op.logicalAnd(inf, node.bb.emit(pos ? op.greater(x, zero) : op.less(x, zero)));
});
