/** ArgMax / ArgMin (int64 indices along one axis) and CumSum (axis given as a constant input). */
import { op } from "../../relax/index.js";
import { rankOf, normAxis } from "../shape_util.js";
import { registerConverter } from "./registry.js";

for (const [name, f] of [["ArgMax", op.argmax], ["ArgMin", op.argmin]] as const) {
  registerConverter(name, (node) => {
    const x = node.input(0);
    const axis = normAxis(node.int("axis", 0), rankOf(x, node.label), node.label);
    return f(x, axis, node.int("keepdims", 1) !== 0, node.int("select_last_index", 0) !== 0);
  });
}

registerConverter("CumSum", (node) => {
  const x = node.input(0);
  const axes = node.staticInts(1, "the CumSum axis");
  if (axes.length !== 1) throw node.error(`the axis input must hold one value, got ${axes.length}`);
  const axis = normAxis(axes[0]!, rankOf(x, node.label), node.label);
  return op.cumsum(x, axis, { exclusive: node.int("exclusive", 0) !== 0, reverse: node.int("reverse", 0) !== 0 });
});
