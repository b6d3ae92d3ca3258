/**
 * matmul with numpy semantics (batched, broadcast batch dims, 1-D operands promoted and the
 * promoted dim dropped again) and `linear` (x @ w^T + b) built from matmul, permute_dims, add.
 */
import { voidType } from "../../ir/dtype.js";
import type { PrimExpr } from "../../ir/expr.js";
import type { Expr } from "../expr.js";
import { add } from "./binary.js";
import { broadcastDims, dimText, dtypeAttr, opName, shapeText, tensorArg, tensorInfo, unifyDtype } from "./infer_util.js";
import { permuteDims } from "./manipulate.js";
import { callOp, RelaxOp } from "./registry.js";
import { compareDims } from "../struct_info_analysis.js";

RelaxOp.register("relax.matmul", {
  params: [
    { name: "x1", kind: "expr" },
    { name: "x2", kind: "expr" },
  ],
  attrs: { out_dtype: "void" },
  infer: (call, ctx) => {
    const a = tensorArg(call, 0, "x1");
    const b = tensorArg(call, 1, "x2");
    const out = dtypeAttr(call, "out_dtype");
    const dtype = out !== voidType ? out : unifyDtype(call, a.dtype, b.dtype, "x1", "x2");
    if (a.ndim === 0 || b.ndim === 0) throw new TypeError(`${opName(call)}: operands must have rank >= 1, got a scalar (use R.multiply)`);
    if (a.ndim < 0 || b.ndim < 0) return tensorInfo(undefined, -1, dtype);
    const aBatch = Math.max(a.ndim - 2, 0), bBatch = Math.max(b.ndim - 2, 0);
    const ndim = Math.max(aBatch, bBatch) + (a.ndim > 1 ? 1 : 0) + (b.ndim > 1 ? 1 : 0);
    const ad = a.dims, bd = b.dims;
    if (!ad || !bd) return tensorInfo(undefined, ndim, dtype);
    const ka = ad[ad.length - 1]!;
    const kb = bd.length === 1 ? bd[0]! : bd[bd.length - 2]!;
    if (compareDims(ka, kb, ctx.analyzer) === "fail") {
      throw new TypeError(
        `${opName(call)}: reduction dimension mismatch: 'x1' ${shapeText(ad)} has ${dimText(ka)} columns but 'x2' ${shapeText(bd)} has ${dimText(kb)} rows`,
      );
    }
    const batch = broadcastDims(call, ad.slice(0, aBatch), bd.slice(0, bBatch), ctx);
    if (!batch) return tensorInfo(undefined, ndim, dtype);
    const dims: PrimExpr[] = [...batch];
    if (a.ndim > 1) dims.push(ad[ad.length - 2]!);
    if (b.ndim > 1) dims.push(bd[bd.length - 1]!);
    return tensorInfo(dims, ndim, dtype);
  },
});

export function matmul(x1: Expr, x2: Expr, outDtype = "void") {
  return callOp("relax.matmul", [x1, x2], { out_dtype: outDtype });
}

/** `x @ w^T (+ b)` for a weight of shape (out_features, in_features), as TVM's nn.linear builds it. */
export function linear(x: Expr, weight: Expr, bias?: Expr, outDtype = "void") {
  const y = matmul(x, permuteDims(weight), outDtype);
  return bias ? add(y, bias) : y;
}
