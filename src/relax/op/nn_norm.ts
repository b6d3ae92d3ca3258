/**
 * Group and instance normalization (`R.nn.group_norm`, `R.nn.instance_norm`) of data
 * [N, ..., C, ...]: statistics per batch element and channel group over the group's channels
 * and every axis other than the batch (0) and channel axes; gamma and beta are per channel [C].
 * Instance norm is group norm with one channel per group.
 */
import type { Call, Expr } from "../expr.js";
import { compareDims } from "../struct_info_analysis.js";
import type { TensorStructInfo } from "../struct_info.js";
import { dimText, intAttr, normalizeAxis, opName, shapeText, tensorArg, unifyDtype } from "./infer_util.js";
import { callOp, RelaxOp, type InferContext, type InferFn } from "./registry.js";
import * as E from "../../ir/expr_ops.js";

function normInfer(grouped: boolean): InferFn {
  return (call: Call, ctx: InferContext): TensorStructInfo => {
    const x = tensorArg(call, 0, "data");
    const gamma = tensorArg(call, 1, "gamma"), beta = tensorArg(call, 2, "beta");
    if (!x.isUnknownDtype && !x.dtype.isFloat()) throw new TypeError(`${opName(call)}: expects a float tensor, got dtype ${x.dtype}`);
    unifyDtype(call, x.dtype, gamma.dtype, "data", "gamma");
    unifyDtype(call, x.dtype, beta.dtype, "data", "beta");
    const eps = call.attrs["epsilon"];
    if (typeof eps !== "number" || !(eps >= 0)) throw new TypeError(`${opName(call)}: attribute 'epsilon' must be a non-negative number, got ${JSON.stringify(eps)}`);
    const groups = grouped ? intAttr(call, "num_groups") : 1;
    if (groups < 1) throw new RangeError(`${opName(call)}: num_groups must be positive, got ${groups}`);
    for (const [n, p] of [["gamma", gamma], ["beta", beta]] as const) {
      if (p.ndim >= 0 && p.ndim !== 1) throw new TypeError(`${opName(call)}: '${n}' must be 1-D (one value per channel), got rank ${p.ndim}`);
    }
    if (x.ndim < 0) return x;
    if (x.ndim < 2) throw new TypeError(`${opName(call)}: 'data' must be at least 2-D (batch, channels, ...), got rank ${x.ndim}`);
    const cax = normalizeAxis(call, intAttr(call, "channel_axis"), x.ndim);
    if (cax === 0) throw new TypeError(`${opName(call)}: channel_axis 0 is the batch axis; give the channel axis (usually 1)`);
    const xd = x.dims;
    if (!xd) return x;
    const C = xd[cax]!;
    const rem = ctx.analyzer.simplify(E.floormod(C, groups));
    if (E.isConstInt(rem) && rem.value !== 0) throw new TypeError(`${opName(call)}: ${dimText(C)} channels of 'data' ${shapeText(xd)} do not divide into ${groups} groups`);
    for (const [n, p] of [["gamma", gamma], ["beta", beta]] as const) {
      const pd = p.dims;
      if (pd && compareDims(pd[0]!, C, ctx.analyzer) === "fail") {
        throw new TypeError(`${opName(call)}: '${n}' ${shapeText(pd)} does not match the ${dimText(C)} channels (axis ${cax}) of 'data' ${shapeText(xd)}`);
      }
    }
    return x;
  };
}

const params = [{ name: "data", kind: "expr" }, { name: "gamma", kind: "expr" }, { name: "beta", kind: "expr" }] as const;
RelaxOp.register("relax.nn.group_norm", {
  params,
  attrs: { num_groups: 1, channel_axis: 1, epsilon: 1e-5, center: true, scale: true },
  infer: normInfer(true),
});
RelaxOp.register("relax.nn.instance_norm", {
  params,
  attrs: { channel_axis: 1, epsilon: 1e-5, center: true, scale: true },
  infer: normInfer(false),
});

export interface NormOptions {
  channelAxis?: number;
  epsilon?: number;
  center?: boolean;
  scale?: boolean;
}

export function groupNorm(data: Expr, gamma: Expr, beta: Expr, numGroups: number, o: NormOptions = {}) {
  return callOp("relax.nn.group_norm", [data, gamma, beta], {
    num_groups: numGroups, channel_axis: o.channelAxis ?? 1, epsilon: o.epsilon ?? 1e-5, center: o.center ?? true, scale: o.scale ?? true,
  });
}

export function instanceNorm(data: Expr, gamma: Expr, beta: Expr, o: NormOptions = {}) {
  return callOp("relax.nn.instance_norm", [data, gamma, beta], {
    channel_axis: o.channelAxis ?? 1, epsilon: o.epsilon ?? 1e-5, center: o.center ?? true, scale: o.scale ?? true,
  });
}
