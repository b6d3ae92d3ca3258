/**
 * 2-D resize of an NCHW tensor (ONNX Resize / TVM image.resize2d): nearest-neighbor with the
 * ONNX rounding modes, bilinear with edge clamping, and bicubic (4x4 taps of the cubic
 * convolution kernel with parameter A, edge-clamped or with outside taps excluded). The output coordinate of each axis maps
 * to an input coordinate by the coordinate transformation mode; coordinates are computed in
 * float32 (float64 for float64 data), divisions last so that exact ratios stay exact.
 */
import { float32, float64, int64, type DataType } from "../../ir/dtype.js";
import type { PrimExpr } from "../../ir/expr.js";
import { add, and, cast, ceil, convert, div, eq, floor, ge, lt, max, min, mul, round, select, sub } from "../../ir/expr_ops.js";
import { Tensor, compute, type Dim } from "../tensor.js";
import { checkTensor, formatShape } from "./shape_utils.js";

export type ResizeMethod = "nearest_neighbor" | "linear" | "cubic";
export type CoordinateMode = "half_pixel" | "asymmetric" | "align_corners" | "pytorch_half_pixel" | "half_pixel_symmetric";
export type RoundingMethod = "round" | "round_prefer_floor" | "round_prefer_ceil" | "floor" | "ceil";

export const RESIZE_METHODS: readonly ResizeMethod[] = ["nearest_neighbor", "linear", "cubic"];
export const COORDINATE_MODES: readonly CoordinateMode[] = ["half_pixel", "asymmetric", "align_corners", "pytorch_half_pixel", "half_pixel_symmetric"];
export const ROUNDING_METHODS: readonly RoundingMethod[] = ["round", "round_prefer_floor", "round_prefer_ceil", "floor", "ceil"];

export interface ResizeOptions {
  method?: ResizeMethod;
  coordinateTransformationMode?: CoordinateMode;
  /** How nearest_neighbor rounds the input coordinate (default "round": halves away from zero). */
  roundingMethod?: RoundingMethod;
  /**
   * The scale factors (output / input) along H and W when the size came from scales (ONNX):
   * coordinates then use these factors rather than the ratio of the integer sizes.
   */
  scales?: readonly [number, number];
  /** The cubic kernel's A (default -0.5, as TVM; ONNX's default is -0.75). */
  cubicAlpha?: number;
  /** Cubic taps outside the input get weight 0 and the rest are renormalized (ONNX exclude_outside). */
  cubicExclude?: boolean;
}

function checkChoice<T extends string>(op: string, name: string, v: T, allowed: readonly T[]): void {
  if (!allowed.includes(v)) throw new TypeError(`${op}: ${name} must be one of ${allowed.map((a) => `"${a}"`).join(", ")}, got ${JSON.stringify(v)}`);
}

/** The input coordinate (float) of output index `o` along an axis of input extent `inDim`. */
function inputCoord(mode: CoordinateMode, o: PrimExpr, inDim: PrimExpr, outDim: PrimExpr, scale: number | undefined, ct: DataType): PrimExpr {
  const f = (e: PrimExpr | number) => (typeof e === "number" ? convert(e, ct) : e.dtype === ct ? e : cast(ct, e));
  const I = f(inDim), O = f(outDim);
  // e / scale, with scale = O / I unless a scale factor is given.
  const toIn = (e: PrimExpr) => (scale !== undefined ? div(e, f(scale)) : div(mul(e, I), O));
  const x = f(o);
  const half = f(0.5);
  switch (mode) {
    case "asymmetric":
      return toIn(x);
    case "half_pixel":
      return sub(toIn(add(x, half)), half);
    case "pytorch_half_pixel":
      return select(eq(outDim, 1), f(0), sub(toIn(add(x, half)), half));
    case "align_corners":
      return select(eq(outDim, 1), f(0), div(mul(x, sub(I, f(1))), sub(O, f(1))));
    case "half_pixel_symmetric": {
      // ONNX: adjustment = O / (scale * I); offset = I / 2 * (1 - adjustment).
      const adj = scale !== undefined ? div(O, mul(f(scale), I)) : f(1);
      const offset = mul(div(I, f(2)), sub(f(1), adj));
      return add(offset, sub(toIn(add(x, half)), half));
    }
  }
}

function roundCoord(method: RoundingMethod, x: PrimExpr): PrimExpr {
  const half = convert(0.5, x.dtype);
  switch (method) {
    case "round":
      return round(x);
    case "round_prefer_floor":
      return ceil(sub(x, half));
    case "round_prefer_ceil":
      return floor(add(x, half));
    case "floor":
      return floor(x);
    case "ceil":
      return ceil(x);
  }
}

const clampIndex = (i: PrimExpr, dim: PrimExpr) => max(min(i, sub(dim, 1)), 0);

/**
 * The four taps floor(x) - 1 .. floor(x) + 2 around input coordinate `x` (edge-clamped
 * indices) and their cubic convolution weights for fraction t = x - floor(x):
 * |d| <= 1: (A + 2)|d|³ - (A + 3)|d|² + 1; 1 < |d| < 2: A|d|³ - 5A|d|² + 8A|d| - 4A.
 */
function cubicTaps(x: PrimExpr, dim: PrimExpr, a: number, exclude: boolean, dt: DataType): { index: PrimExpr[]; weights: PrimExpr[] } {
  const x0 = floor(x);
  const t = cast(dt, sub(x, x0));
  const c = (v: number) => convert(v, dt);
  const near = (d: PrimExpr) => add(mul(mul(sub(mul(c(a + 2), d), c(a + 3)), d), d), c(1));
  const far = (d: PrimExpr) => sub(mul(add(mul(sub(mul(c(a), d), c(5 * a)), d), c(8 * a)), d), c(4 * a));
  const one = c(1);
  let weights = [far(add(t, one)), near(t), near(sub(one, t)), far(sub(c(2), t))];
  const raw = [-1, 0, 1, 2].map((k) => cast(dim.dtype, add(x0, convert(k, x0.dtype))));
  if (exclude) {
    weights = weights.map((w, k) => select(and(ge(raw[k]!, 0), lt(raw[k]!, dim)), w, c(0)));
    const total = weights.reduce((p, q) => add(p, q));
    weights = weights.map((w) => div(w, total));
  }
  return { index: raw.map((i) => clampIndex(i, dim)), weights };
}

/** Resizes data [N, C, H, W] to [N, C, size[0], size[1]]. */
export function resize2d(data: Tensor, size: readonly [Dim, Dim], opts: ResizeOptions = {}): Tensor {
  const op = "resize2d";
  checkTensor(op, "data", data);
  if (data.ndim !== 4) throw new TypeError(`${op}: data must be 4-D (NCHW), got ${formatShape(data.shape)}`);
  const method = opts.method ?? "linear";
  const mode = opts.coordinateTransformationMode ?? "half_pixel";
  const rounding = opts.roundingMethod ?? "round";
  checkChoice(op, "method", method, RESIZE_METHODS);
  checkChoice(op, "coordinateTransformationMode", mode, COORDINATE_MODES);
  checkChoice(op, "roundingMethod", rounding, ROUNDING_METHODS);
  if (method !== "nearest_neighbor" && !data.dtype.isFloat()) throw new TypeError(`${op}: ${method} interpolation needs a float tensor, got ${data.dtype} (use nearest_neighbor or cast first)`);
  if (opts.scales) {
    for (const s of opts.scales) if (!(s > 0)) throw new RangeError(`${op}: scale factors must be positive, got [${opts.scales.join(", ")}]`);
  }
  const [N, C, H, W] = data.shape as [PrimExpr, PrimExpr, PrimExpr, PrimExpr];
  const OH = typeof size[0] === "number" ? convert(size[0], int64) : size[0];
  const OW = typeof size[1] === "number" ? convert(size[1], int64) : size[1];
  const ct = data.dtype === float64 ? float64 : float32;
  const coord = (o: PrimExpr, axis: 0 | 1) => inputCoord(mode, o, axis === 0 ? H : W, axis === 0 ? OH : OW, opts.scales?.[axis], ct);
  const idx = (e: PrimExpr, dim: PrimExpr) => clampIndex(cast(dim.dtype, e), dim);
  const names = ["n", "c", "y", "x"];
  if (method === "nearest_neighbor") {
    return compute(
      [N, C, OH, OW],
      (n, c, y, x) => data.at(n, c, idx(roundCoord(rounding, coord(y, 0)), H), idx(roundCoord(rounding, coord(x, 1)), W)),
      "T_resize2d",
      { tag: "injective", axisNames: names },
    );
  }
  if (method === "cubic") {
    const a = opts.cubicAlpha ?? -0.5, exclude = opts.cubicExclude ?? false;
    return compute(
      [N, C, OH, OW],
      (n, c, y, x) => {
        const ty = cubicTaps(coord(y, 0), H, a, exclude, data.dtype), tx = cubicTaps(coord(x, 1), W, a, exclude, data.dtype);
        let acc: PrimExpr | undefined;
        for (let i = 0; i < 4; i++) {
          let row: PrimExpr | undefined;
          for (let j = 0; j < 4; j++) {
            const term = mul(tx.weights[j]!, data.at(n, c, ty.index[i]!, tx.index[j]!));
            row = row ? add(row, term) : term;
          }
          const t = mul(ty.weights[i]!, row!);
          acc = acc ? add(acc, t) : t;
        }
        return acc!;
      },
      "T_resize2d",
      { tag: "injective", axisNames: names },
    );
  }
  return compute(
    [N, C, OH, OW],
    (n, c, y, x) => {
      const iy = coord(y, 0), ix = coord(x, 1);
      const y0 = floor(iy), x0 = floor(ix);
      const fy = cast(data.dtype, sub(iy, y0)), fx = cast(data.dtype, sub(ix, x0));
      const ya = idx(y0, H), yb = idx(add(y0, convert(1, ct)), H);
      const xa = idx(x0, W), xb = idx(add(x0, convert(1, ct)), W);
      const one = convert(1, data.dtype);
      const lerp = (a: PrimExpr, b: PrimExpr, t: PrimExpr) => add(mul(a, sub(one, t)), mul(b, t));
      const top = lerp(data.at(n, c, ya, xa), data.at(n, c, ya, xb), fx);
      const bottom = lerp(data.at(n, c, yb, xa), data.at(n, c, yb, xb), fx);
      return lerp(top, bottom, fy);
    },
    "T_resize2d",
    { tag: "injective", axisNames: names },
  );
}
