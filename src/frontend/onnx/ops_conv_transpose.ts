/**
 * ConvTranspose (1-D and 2-D) as R.nn.conv2d_transpose; 1-D goes through a unit H axis. The
 * padding comes from `pads`, or from `output_shape` / auto_pad SAME_* as the ONNX spec
 * computes it: total = stride * (in - 1) + output_padding + (k - 1) * dilation + 1 - out, split
 * with the odd unit at the end for SAME_UPPER and at the beginning otherwise (a negative end
 * pad becomes output padding).
 */
import { Constant, op, type Expr } from "../../relax/index.js";
import { dimsOf, i64, rankOf, staticDim } from "../shape_util.js";
import { registerConverter } from "./registry.js";

registerConverter("ConvTranspose", (node) => {
  let x = node.input(0), w = node.input(1);
  const k = rankOf(x, node.label) - 2;
  if (k !== 1 && k !== 2) throw node.error(`${k}-D transposed convolution is not supported (weft has 1-D and 2-D)`);
  const wd = dimsOf(w, node.label);
  const kernel = node.ints("kernel_shape") ?? wd.slice(2).map((d) => {
    const s = staticDim(d);
    if (s === undefined) throw node.error("the kernel size must be static");
    return s;
  });
  const ones = new Array<number>(k).fill(1);
  const strides = node.ints("strides") ?? ones;
  const dilations = node.ints("dilations") ?? ones;
  const outPad = [...(node.ints("output_padding") ?? new Array<number>(k).fill(0))];
  for (const [name, v] of [["kernel_shape", kernel], ["strides", strides], ["dilations", dilations], ["output_padding", outPad]] as const) {
    if (v.length !== k) throw node.error(`${name} must have ${k} values (one per spatial axis), got ${v.length}`);
  }
  const autoPad = node.string("auto_pad", "NOTSET");
  const outShape = node.ints("output_shape");
  let lo: number[], hi: number[];
  if (outShape || autoPad === "SAME_UPPER" || autoPad === "SAME_LOWER") {
    const inDims = dimsOf(x, node.label).slice(2).map(staticDim);
    if (inDims.some((d) => d === undefined)) throw node.error("output_shape / auto_pad need static spatial input dims; give explicit pads");
    const want = outShape ? outShape.slice(-k) : inDims.map((d, i) => d! * strides[i]!);
    if (want.length !== k) throw node.error(`output_shape must give ${k} spatial sizes, got ${outShape!.length}`);
    lo = [];
    hi = [];
    for (let i = 0; i < k; i++) {
      const total = strides[i]! * (inDims[i]! - 1) + outPad[i]! + (kernel[i]! - 1) * dilations[i]! + 1 - want[i]!;
      const half = Math.floor(total / 2);
      let b = autoPad === "SAME_UPPER" ? half : total - half, e = autoPad === "SAME_UPPER" ? total - half : half;
      // A negative end pad (output_shape beyond the full output) extends the end, as output_padding does.
      if (e < 0) {
        outPad[i] = outPad[i]! - e;
        e = 0;
      }
      if (b < 0) throw node.error(`output_shape ${want[i]} would need negative padding at the start of spatial axis ${i}; give pads and output_padding instead`);
      lo.push(b);
      hi.push(e);
    }
  } else if (autoPad === "NOTSET" || autoPad === "VALID") {
    const pads = autoPad === "VALID" ? undefined : node.ints("pads");
    const p = pads ?? new Array<number>(2 * k).fill(0);
    if (p.length !== 2 * k) throw node.error(`pads must have ${2 * k} values (begin and end per spatial axis), got ${p.length}`);
    lo = p.slice(0, k);
    hi = p.slice(k);
  } else throw node.error(`auto_pad="${autoPad}" is not an ONNX padding mode`);
  if (k === 1) {
    x = node.bb.emit(op.expandDims(x, [2]));
    w = node.bb.emit(op.expandDims(w, [2]));
  }
  const two = (v: readonly number[], fill: number) => (k === 1 ? [fill, v[0]!] : [...v]);
  let y: Expr = node.bb.emit(
    op.nn.conv2dTranspose(x, w, {
      strides: two(strides, 1), dilation: two(dilations, 1), outputPadding: two(outPad, 0), groups: node.int("group", 1),
      padding: k === 1 ? [0, lo[0]!, 0, hi[0]!] : [lo[0]!, lo[1]!, hi[0]!, hi[1]!],
    }),
  );
  if (k === 1) y = node.bb.emit(op.squeeze(y, [2]));
  const b = node.optionalInput(2);
  if (!b) return y;
  const unit = new Array<number>(k).fill(1);
  const bshape = b instanceof Constant ? new Constant(b.dtype, [1, b.data.length, ...unit], b.data) : op.reshape(b, [i64(1), dimsOf(b, node.label)[0]!, ...unit.map(i64)]);
  return op.add(y, bshape);
});
