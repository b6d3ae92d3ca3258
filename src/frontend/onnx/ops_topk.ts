/** TopK: values and int64 indices of the K largest (or smallest) along an axis, K a known input. */
import { TupleGetItem, op } from "../../relax/index.js";
import { normAxis, rankOf } from "../shape_util.js";
import { registerConverter } from "./registry.js";

registerConverter("TopK", (node) => {
  const x = node.input(0);
  const ks = node.staticInts(1, "K");
  if (ks.length !== 1) throw node.error(`K must hold one value, got ${ks.length}`);
  const axis = normAxis(node.int("axis", -1), rankOf(x, node.label), node.label);
  // sorted=0 leaves the order unspecified; the sorted order is one valid answer.
  const t = node.bb.emit(op.topk(x, ks[0]!, { axis, largest: node.int("largest", 1) !== 0, dtype: "int64" }));
  return [new TupleGetItem(t, 0), new TupleGetItem(t, 1)];
}, 11);
