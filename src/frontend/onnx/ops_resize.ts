/**
 * ONNX Resize (opsets 11-19 semantics) of NCHW (and NCW, through a unit H axis) tensors as
 * R.image.resize2d: nearest (with nearest_mode), linear and cubic (cubic_coeff_a,
 * exclude_outside); the coordinate
 * transformation modes half_pixel, asymmetric, align_corners, pytorch_half_pixel and
 * half_pixel_symmetric; the output size from constant `scales` (floor(in * scale); the scale
 * itself drives the coordinates, as in ONNX) or from `sizes` (possibly computed from shapes);
 * opset 18's `axes` and keep_aspect_ratio_policy.
 */
import type { PrimExpr } from "../../ir/expr.js";
import * as E from "../../ir/expr_ops.js";
import { Constant, op } from "../../relax/index.js";
import { dimsOf, i64, staticDim } from "../shape_util.js";
import type { NodeView } from "./context.js";
import { registerConverter } from "./registry.js";

const MODES: Record<string, "nearest_neighbor" | "linear" | "cubic"> = { nearest: "nearest_neighbor", linear: "linear", cubic: "cubic" };
const COORDS = ["half_pixel", "asymmetric", "align_corners", "pytorch_half_pixel", "half_pixel_symmetric"] as const;
const NEAREST = ["round_prefer_floor", "round_prefer_ceil", "floor", "ceil"] as const;

/** floor(dim * scale) for a static dim, or a symbolic dim times a dyadic scale (2, 0.5, 1.5, ...). */
function scaledDim(node: NodeView, d: PrimExpr, scale: number): PrimExpr {
  const s = staticDim(d);
  if (s !== undefined) return i64(Math.floor(s * scale));
  for (let k = 0, den = 1; k <= 10; k++, den *= 2) {
    const num = scale * den;
    if (Number.isInteger(num)) return node.bb.analyzer.simplify(den === 1 ? E.mul(d, i64(num)) : E.floordiv(E.mul(d, i64(num)), i64(den)));
  }
  throw node.error(`scale ${scale} of a symbolic dim cannot be computed exactly; give sizes instead of scales, or a static input shape`);
}

/** Reads a per-axis list given for `axes` into a full-rank list (unlisted axes get `fill`). */
function fullRank<T>(node: NodeView, vals: readonly T[], axes: readonly number[] | undefined, rank: number, fill: (i: number) => T, what: string): T[] {
  if (!axes) {
    if (vals.length !== rank) throw node.error(`${what} must have ${rank} values (one per input axis), got ${vals.length}`);
    return [...vals];
  }
  if (vals.length !== axes.length) throw node.error(`${what} must have one value per entry of axes (${axes.length}), got ${vals.length}`);
  const out = Array.from({ length: rank }, (_, i) => fill(i));
  axes.forEach((a, i) => (out[a < 0 ? a + rank : a] = vals[i]!));
  return out;
}

registerConverter("Resize", (node) => {
  const x = node.input(0);
  const dims = dimsOf(x, node.label);
  const rank = dims.length;
  if (rank !== 3 && rank !== 4) throw node.error(`only 3-D (NCW) and 4-D (NCHW) inputs are supported, got rank ${rank}`);
  const spatial = rank === 4 ? [2, 3] : [2];
  const modeName = node.string("mode", "nearest");
  const method = MODES[modeName];
  if (!method) throw node.error(`mode="${modeName}" is not an ONNX Resize mode (nearest, linear, cubic)`);
  const coord = node.string("coordinate_transformation_mode", "half_pixel");
  if (!(COORDS as readonly string[]).includes(coord)) {
    throw node.error(`coordinate_transformation_mode="${coord}" is not supported (use one of ${COORDS.join(", ")}; tf_crop_and_resize needs roi cropping, which weft lacks)`);
  }
  const nearest = node.string("nearest_mode", "round_prefer_floor");
  if (!(NEAREST as readonly string[]).includes(nearest)) throw node.error(`nearest_mode="${nearest}" is not an ONNX nearest mode (${NEAREST.join(", ")})`);
  const axes = node.ints("axes");
  const policy = node.string("keep_aspect_ratio_policy", "stretch");

  const scalesIn = node.optionalInput(2);
  const hasScales = scalesIn !== undefined && !(scalesIn instanceof Constant && scalesIn.data.length === 0);
  let size: PrimExpr[];
  let scales: number[] | undefined;
  /** The scales as given (before an exact size ratio replaces them). */
  let nScales: number[] | undefined;
  if (hasScales) {
    if (node.hasInput(3)) throw node.error("give either scales or sizes, not both");
    if (!(scalesIn instanceof Constant)) throw node.error("scales must be a constant (an initializer or Constant node); weft does not support data-dependent scales");
    scales = fullRank(node, scalesIn.data, axes, rank, () => 1, "scales");
    size = dims.map((d, i) => scaledDim(node, d, scales![i]!));
    // A float32 scale that is just the rounding of output / input (0.6 for 5 -> 3) means that
    // ratio; using the exact ratio keeps coordinates exact (2.0, not 1.9999999, whose floor
    // differs), as float32 runtimes effectively compute it.
    const exact = spatial.every((i) => {
      const o = staticDim(size[i]!), n = staticDim(dims[i]!);
      return o !== undefined && n !== undefined && Math.fround(o / n) === scales![i];
    });
    nScales = scales;
    if (exact) scales = undefined;
  } else {
    if (!node.hasInput(3)) throw node.error("one of scales and sizes is required");
    const sizes = fullRank(node, node.knownInts(3, "sizes"), axes, rank, (i) => dims[i]!, "sizes");
    size = sizes;
    if (policy !== "stretch") {
      if (policy !== "not_larger" && policy !== "not_smaller") throw node.error(`keep_aspect_ratio_policy="${policy}" is not an ONNX policy (stretch, not_larger, not_smaller)`);
      // One scale for the resized axes; the other axes keep their size.
      const resized = axes ? axes.map((a) => (a < 0 ? a + rank : a)) : dims.map((_, i) => i);
      const ratios = resized.map((a) => {
        const want = staticDim(sizes[a]!), have = staticDim(dims[a]!);
        if (want === undefined || have === undefined) throw node.error(`keep_aspect_ratio_policy="${policy}" needs static sizes and input dims`);
        return want / have;
      });
      const s = policy === "not_larger" ? Math.min(...ratios) : Math.max(...ratios);
      scales = dims.map((_, i) => (resized.includes(i) ? s : 1));
      nScales = scales;
      size = dims.map((d, i) => (resized.includes(i) ? i64(Math.round(staticDim(d)! * s)) : d));
    }
  }
  for (const i of [0, 1]) {
    const same = (nScales ? nScales[i] === 1 : true) && E.isConstInt(node.bb.analyzer.simplify(E.sub(size[i]!, dims[i]!)), 0);
    if (!same) throw node.error(`only the spatial axes can be resized; axis ${i} (${i === 0 ? "batch" : "channels"}) must keep its size`);
  }
  if (node.int("antialias", 0) !== 0 && method !== "nearest_neighbor") {
    const down = scales ? scales.some((s) => s < 1) : spatial.some((i) => {
      const a = staticDim(size[i]!), b = staticDim(dims[i]!);
      return a === undefined || b === undefined || a < b;
    });
    if (down) throw node.error("antialias=1 when downsampling is not supported (weft has no antialiasing filter)");
  }
  // A 1-D resize is a 2-D one over a unit H axis (every mode maps a unit axis to row 0).
  const x4 = rank === 4 ? x : node.bb.emit(op.expandDims(x, [2]));
  const hw = rank === 4 ? [size[2]!, size[3]!] : [i64(1), size[2]!];
  const scalesHW = scales && (rank === 4 ? ([scales[2]!, scales[3]!] as const) : ([1, scales[2]!] as const));
  const y = op.image.resize2d(x4, hw, {
    method,
    coordinateTransformationMode: coord as (typeof COORDS)[number],
    roundingMethod: method === "nearest_neighbor" ? (nearest as (typeof NEAREST)[number]) : "round",
    cubicAlpha: node.float("cubic_coeff_a", -0.75),
    cubicExclude: node.int("exclude_outside", 0) !== 0,
    ...(scalesHW ? { scales: scalesHW } : {}),
  });
  return rank === 4 ? y : op.squeeze(node.bb.emit(y), [2]);
}, 11);
