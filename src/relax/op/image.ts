/**
 * Image operators (`R.image.*`): resize2d of an NCHW tensor to a given (possibly symbolic)
 * size, nearest-neighbor, bilinear or bicubic, with the ONNX coordinate transformation and
 * rounding modes. `scales` optionally gives the (output / input) factors the size came from, which
 * ONNX uses for the coordinate mapping instead of the ratio of the integer sizes.
 */
import { voidType } from "../../ir/dtype.js";
import { argStructInfo, ShapeExpr, type Call, type Expr } from "../expr.js";
import type { PrimExpr } from "../../ir/expr.js";
import { ShapeStructInfo, TensorStructInfo } from "../struct_info.js";
import { dtypeAttr, opName, sinfoText, tensorArg, tensorInfo } from "./infer_util.js";
import { callOp, RelaxOp } from "./registry.js";

export const RESIZE_METHODS = ["nearest_neighbor", "linear", "cubic"] as const;
export const COORDINATE_MODES = ["half_pixel", "asymmetric", "align_corners", "pytorch_half_pixel", "half_pixel_symmetric"] as const;
export const ROUNDING_METHODS = ["round", "round_prefer_floor", "round_prefer_ceil", "floor", "ceil"] as const;

function choice(call: Call, name: string, allowed: readonly string[]): void {
  const v = call.attrs[name];
  if (typeof v !== "string" || !allowed.includes(v)) {
    throw new TypeError(`${opName(call)}: attribute '${name}' must be one of ${allowed.map((a) => `"${a}"`).join(", ")}, got ${JSON.stringify(v)}`);
  }
}

RelaxOp.register("relax.image.resize2d", {
  params: [{ name: "data", kind: "expr" }, { name: "size", kind: "shape" }],
  attrs: {
    layout: "NCHW", method: "linear", coordinate_transformation_mode: "half_pixel", rounding_method: "round", cubic_alpha: -0.5, cubic_exclude: 0,
    scales: null, out_dtype: "void",
  },
  infer: (call) => {
    const x = tensorArg(call, 0, "data");
    if (call.attrs["layout"] !== "NCHW") throw new TypeError(`${opName(call)}: only layout="NCHW" is supported, got ${JSON.stringify(call.attrs["layout"])}`);
    choice(call, "method", RESIZE_METHODS);
    choice(call, "coordinate_transformation_mode", COORDINATE_MODES);
    choice(call, "rounding_method", ROUNDING_METHODS);
    const scales = call.attrs["scales"];
    if (scales !== null && (!Array.isArray(scales) || scales.length !== 2 || !scales.every((s) => typeof s === "number" && s > 0))) {
      throw new TypeError(`${opName(call)}: attribute 'scales' must be None or two positive numbers (H and W factors), got ${JSON.stringify(scales)}`);
    }
    const out = dtypeAttr(call, "out_dtype");
    const dtype = out !== voidType ? out : x.dtype;
    if (call.attrs["method"] !== "nearest_neighbor" && !x.isUnknownDtype && !x.dtype.isFloat()) {
      throw new TypeError(`${opName(call)}: method="${String(call.attrs["method"])}" needs a float tensor, got dtype ${x.dtype} (use "nearest_neighbor" or cast first)`);
    }
    const alpha = call.attrs["cubic_alpha"], exclude = call.attrs["cubic_exclude"];
    if (typeof alpha !== "number" || !Number.isFinite(alpha)) throw new TypeError(`${opName(call)}: attribute 'cubic_alpha' must be a number, got ${JSON.stringify(alpha)}`);
    if (exclude !== 0 && exclude !== 1) throw new TypeError(`${opName(call)}: attribute 'cubic_exclude' must be 0 or 1, got ${JSON.stringify(exclude)}`);
    if (x.ndim >= 0 && x.ndim !== 4) throw new TypeError(`${opName(call)}: 'data' must be 4-D (NCHW), got rank ${x.ndim}`);
    const s = argStructInfo(call.args[1]!);
    if (!(s instanceof ShapeStructInfo)) throw new TypeError(`${opName(call)}: argument 'size' must be a shape (R.shape([h, w])), got ${sinfoText(s)}`);
    if (s.ndim >= 0 && s.ndim !== 2) throw new TypeError(`${opName(call)}: 'size' must have 2 values (output H and W), got ${s.ndim}`);
    const xd = x.dims;
    if (!xd || !s.values) return new TensorStructInfo(4, dtype);
    return tensorInfo([xd[0]!, xd[1]!, s.values[0]!, s.values[1]!], 4, dtype);
  },
});

export interface Resize2dOptions {
  method?: (typeof RESIZE_METHODS)[number];
  coordinateTransformationMode?: (typeof COORDINATE_MODES)[number];
  roundingMethod?: (typeof ROUNDING_METHODS)[number];
  scales?: readonly [number, number];
  /** The cubic kernel's A (default -0.5; ONNX uses -0.75). */
  cubicAlpha?: number;
  /** Exclude cubic taps outside the input and renormalize (ONNX exclude_outside). */
  cubicExclude?: boolean;
  outDtype?: string;
}

export function resize2d(data: Expr, size: Expr | readonly (PrimExpr | number)[], o: Resize2dOptions = {}) {
  const sz = Array.isArray(size) ? new ShapeExpr(size as readonly (PrimExpr | number)[]) : (size as Expr);
  return callOp("relax.image.resize2d", [data, sz], {
    method: o.method ?? "linear",
    coordinate_transformation_mode: o.coordinateTransformationMode ?? "half_pixel",
    rounding_method: o.roundingMethod ?? "round",
    cubic_alpha: o.cubicAlpha ?? -0.5,
    cubic_exclude: o.cubicExclude ? 1 : 0,
    scales: o.scales ? [...o.scales] : null,
    out_dtype: o.outDtype ?? "void",
  });
}
