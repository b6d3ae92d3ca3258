/**
 * 2-D transposed convolution (the gradient of conv2d with respect to its input; ONNX
 * ConvTranspose, PyTorch ConvTranspose2d): data NCHW, weight IOHW [C_in, C_out / groups, KH,
 * KW]. Output extent per spatial axis: (in - 1) * stride - pad_before - pad_after +
 * dilation * (k - 1) + output_padding + 1. Each output element sums the input positions whose
 * strided footprint covers it: a reduction over (input channel of the group, ky, kx) restricted
 * to the taps where (y + pad_before - ky * dilation) is a multiple of the stride inside the input.
 */
import { dtypeOf, type DataType, type DTypeLike } from "../../ir/dtype.js";
import type { PrimExpr } from "../../ir/expr.js";
import { add, and, cast, eq, floordiv, floormod, ge, lt, max, min, mul, sub } from "../../ir/expr_ops.js";
import { reduceAxis, sum } from "../reduce.js";
import { Tensor, compute } from "../tensor.js";
import { checkTensor, constDim, expandInts, expandPadding, formatShape } from "./shape_utils.js";

export interface ConvTransposeOptions {
  strides?: number | readonly number[];
  /** A number, one per spatial dim, or [top, left, bottom, right]: cropped from the full output. */
  padding?: number | readonly number[];
  /** Extra rows / columns at the end of the output (each smaller than the stride or dilation). */
  outputPadding?: number | readonly number[];
  dilation?: number | readonly number[];
  groups?: number;
  outDtype?: DTypeLike;
}

export function conv2dTranspose(data: Tensor, weight: Tensor, opts: ConvTransposeOptions = {}): Tensor {
  const op = "conv2d_transpose";
  checkTensor(op, "data", data);
  checkTensor(op, "weight", weight);
  if (data.ndim !== 4) throw new TypeError(`${op}: data must be 4-D (NCHW), got ${formatShape(data.shape)}`);
  if (weight.ndim !== 4) throw new TypeError(`${op}: weight must be 4-D (IOHW), got ${formatShape(weight.shape)}`);
  let dtype: DataType;
  if (opts.outDtype !== undefined) dtype = dtypeOf(opts.outDtype);
  else if (data.dtype !== weight.dtype) throw new TypeError(`${op}: dtypes differ: data is ${data.dtype} but weight is ${weight.dtype} (give outDtype to mix them)`);
  else dtype = data.dtype;
  const strides = expandInts(op, "strides", opts.strides ?? 1, 2);
  const dilation = expandInts(op, "dilation", opts.dilation ?? 1, 2);
  const outPad = expandInts(op, "outputPadding", opts.outputPadding ?? 0, 2, 0);
  const { before, after } = expandPadding(op, opts.padding ?? 0, 2);
  outPad.forEach((p, d) => {
    if (p >= Math.max(strides[d]!, dilation[d]!)) {
      throw new RangeError(`${op}: output padding ${p} must be smaller than the stride (${strides[d]}) or the dilation (${dilation[d]})`);
    }
  });
  const groups = opts.groups ?? 1;
  if (!Number.isInteger(groups) || groups < 1) throw new RangeError(`${op}: groups must be a positive integer, got ${groups}`);
  const [N, C, H, W] = data.shape as [PrimExpr, PrimExpr, PrimExpr, PrimExpr];
  const [I, Og, KH, KW] = weight.shape as [PrimExpr, PrimExpr, PrimExpr, PrimExpr];
  const shapes = `data ${formatShape(data.shape)}, weight ${formatShape(weight.shape)}`;
  const cC = constDim(C), cI = constDim(I);
  if (cC !== undefined && cI !== undefined && cC !== cI) throw new TypeError(`${op}: weight has ${cI} input channels but data has ${cC}; ${shapes}`);
  if (cC !== undefined && cC % groups !== 0) throw new TypeError(`${op}: ${cC} input channels are not divisible by groups=${groups}; ${shapes}`);
  const inPerGroup = groups === 1 ? C : cC !== undefined ? cC / groups : floordiv(C, groups);
  const outSize = (x: PrimExpr, k: PrimExpr, d: number) =>
    add(sub(add(mul(sub(x, 1), strides[d]!), mul(sub(k, 1), dilation[d]!)), before[d]! + after[d]!), outPad[d]! + 1);
  const OH = outSize(H, KH, 0), OW = outSize(W, KW, 1);
  for (const o of [OH, OW]) {
    const c = constDim(o);
    if (c !== undefined && c <= 0) throw new RangeError(`${op}: the output would be empty (padding ${before}/${after} crops everything); ${shapes}`);
  }
  const O = groups === 1 ? Og : mul(Og, groups);
  const rc = reduceAxis(inPerGroup, "rc"), ry = reduceAxis(KH, "ry"), rx = reduceAxis(KW, "rx");
  const conv = (e: PrimExpr) => (e.dtype === dtype ? e : cast(dtype, e));
  /** The input index for output position `o` and tap `k` along axis `d`, and whether the tap is used. */
  const tap = (o: PrimExpr, k: PrimExpr, dim: PrimExpr, d: number): [PrimExpr, PrimExpr] => {
    const t = sub(add(o, before[d]!), mul(k, dilation[d]!));
    const s = strides[d]!;
    const i = s === 1 ? t : floordiv(t, s);
    const ok = and(s === 1 ? ge(t, 0) : and(ge(t, 0), eq(floormod(t, s), 0)), lt(i, dim));
    return [min(max(i, 0), sub(dim, 1)), ok];
  };
  return compute(
    [N, O, OH, OW],
    (n, f, y, x) => {
      const g = groups === 1 ? undefined : floordiv(f, Og);
      const c = g === undefined ? rc.variable : add(mul(g, inPerGroup), rc.variable);
      const fo = g === undefined ? f : sub(f, mul(g, Og));
      const [iy, oky] = tap(y, ry.variable, H, 0), [ix, okx] = tap(x, rx.variable, W, 1);
      return sum(mul(conv(data.at(n, c, iy, ix)), conv(weight.at(c, fo, ry.variable, rx.variable))), [rc, ry, rx], and(oky, okx));
    },
    "conv2d_transpose_nchw",
    { tag: "conv2d_transpose", axisNames: ["nn", "ff", "yy", "xx"] },
  );
}
