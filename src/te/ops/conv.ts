/**
 * Convolutions (1-D, 2-D, 3-D) over any data layout made of N, C and the spatial letters (NCHW,
 * NHWC, NCW, NWC, NCDHW, ...) and any kernel layout of O, I and the same spatial letters (OIHW,
 * HWIO, ...), with strides, padding, dilation and groups (groups = channels gives depthwise).
 * Padding becomes a separate `pad_temp` compute, as in TVM.
 */
import { dtypeOf, type DataType, type DTypeLike } from "../../ir/dtype.js";
import type { PrimExpr } from "../../ir/expr.js";
import { add, cast, floordiv, mul, sub } from "../../ir/expr_ops.js";
import { reduceAxis, sum } from "../reduce.js";
import { Tensor, compute } from "../tensor.js";
import { pad } from "./pad.js";
import { checkTensor, constDim, dimsCompatible, expandInts, expandPadding, formatShape } from "./shape_utils.js";

export interface ConvOptions {
  strides?: number | readonly number[];
  /** A number, one per spatial dim, or all befores then all afters ([top, left, bottom, right]). */
  padding?: number | readonly number[];
  dilation?: number | readonly number[];
  groups?: number;
  /** Default "NCW" / "NCHW" / "NCDHW". */
  dataLayout?: string;
  /** Default "OI" + spatial for channels-first data, spatial + "IO" for channels-last. */
  kernelLayout?: string;
  /** Accumulate and return in this dtype (operands are cast). */
  outDtype?: DTypeLike;
}

const SPATIAL: Record<number, string> = { 1: "W", 2: "HW", 3: "DHW" };
const AXIS_NAMES: Record<string, string> = { D: "zz", H: "yy", W: "xx" };
const REDUCE_NAMES: Record<string, string> = { D: "rz", H: "ry", W: "rx" };

function parseLayout(op: string, arg: string, layout: string, first: string, second: string, spatial: string): Record<string, number> {
  const want = first + second + spatial;
  const pos: Record<string, number> = {};
  for (let i = 0; i < layout.length; i++) pos[layout[i]!] = i;
  if (layout.length !== want.length || [...want].some((ch) => pos[ch] === undefined)) {
    throw new TypeError(`${op}: ${arg} "${layout}" must be a permutation of ${first}, ${second} and ${[...spatial].join(", ")}`);
  }
  return pos;
}

function convNd(op: string, nsp: number, data: Tensor, weight: Tensor, opts: ConvOptions): Tensor {
  checkTensor(op, "data", data);
  checkTensor(op, "weight", weight);
  const sp = SPATIAL[nsp]!;
  const dl = opts.dataLayout ?? `NC${sp}`;
  const dpos = parseLayout(op, "dataLayout", dl, "N", "C", sp);
  const channelsLast = dpos["C"]! > dpos[sp[0]!]!;
  const kl = opts.kernelLayout ?? (channelsLast ? `${sp}IO` : `OI${sp}`);
  const kpos = parseLayout(op, "kernelLayout", kl, "O", "I", sp);
  const rank = nsp + 2;
  if (data.ndim !== rank) throw new TypeError(`${op}: data must be ${rank}-D (${dl}), got shape ${formatShape(data.shape)}`);
  if (weight.ndim !== rank) throw new TypeError(`${op}: weight must be ${rank}-D (${kl}), got shape ${formatShape(weight.shape)}`);
  let dtype: DataType;
  if (opts.outDtype !== undefined) dtype = dtypeOf(opts.outDtype);
  else if (data.dtype !== weight.dtype) {
    throw new TypeError(`${op}: dtypes differ: data is ${data.dtype} but weight is ${weight.dtype} (give outDtype to mix them)`);
  } else dtype = data.dtype;

  const strides = expandInts(op, "strides", opts.strides ?? 1, nsp);
  const dilation = expandInts(op, "dilation", opts.dilation ?? 1, nsp);
  const { before, after } = expandPadding(op, opts.padding ?? 0, nsp);
  const groups = opts.groups ?? 1;
  if (!Number.isInteger(groups) || groups < 1) throw new RangeError(`${op}: groups must be a positive integer, got ${groups}`);

  const N = data.shape[dpos["N"]!]!, C = data.shape[dpos["C"]!]!;
  const O = weight.shape[kpos["O"]!]!, I = weight.shape[kpos["I"]!]!;
  const shapes = `data ${formatShape(data.shape)} (${dl}), weight ${formatShape(weight.shape)} (${kl})`;
  const cC = constDim(C), cO = constDim(O), cI = constDim(I);
  if (cC !== undefined && cC % groups !== 0) throw new TypeError(`${op}: ${cC} input channels are not divisible by groups=${groups}; ${shapes}`);
  if (cO !== undefined && cO % groups !== 0) throw new TypeError(`${op}: ${cO} output channels are not divisible by groups=${groups}; ${shapes}`);
  const perGroup = cC !== undefined ? cC / groups : groups === 1 ? C : floordiv(C, groups);
  if (cI !== undefined && typeof perGroup === "number" && cI !== perGroup) {
    throw new TypeError(`${op}: weight has ${cI} input channels per group but data has ${cC} channels / groups=${groups} = ${perGroup}; ${shapes}`);
  }
  if (typeof perGroup !== "number" && cI === undefined && !dimsCompatible(I, perGroup)) {
    throw new TypeError(`${op}: weight input channels do not match data channels / groups; ${shapes}`);
  }

  const K = [...sp].map((ch) => weight.shape[kpos[ch]!]!);
  const X = [...sp].map((ch) => data.shape[dpos[ch]!]!);
  const outSp = X.map((x, d) => {
    const span = add(mul(sub(K[d]!, 1), dilation[d]!), 1);
    const o = add(floordiv(sub(add(add(x, before[d]!), after[d]!), span), strides[d]!), 1);
    const c = constDim(o);
    if (c !== undefined && c <= 0) {
      throw new RangeError(`${op}: the output would be empty along ${sp[d]}: input ${formatShape([x])} padded by ${before[d]}+${after[d]} is smaller than the dilated kernel; ${shapes}`);
    }
    return o;
  });

  const needPad = before.some((p) => p !== 0) || after.some((p) => p !== 0);
  let src = data;
  if (needPad) {
    const pb = Array<number>(rank).fill(0), pa = Array<number>(rank).fill(0);
    [...sp].forEach((ch, d) => {
      pb[dpos[ch]!] = before[d]!;
      pa[dpos[ch]!] = after[d]!;
    });
    src = pad(data, pb, pa, { name: "pad_temp" });
  }

  const outShape: PrimExpr[] = Array(rank);
  const names: string[] = Array(rank);
  outShape[dpos["N"]!] = N;
  names[dpos["N"]!] = "nn";
  outShape[dpos["C"]!] = O;
  names[dpos["C"]!] = "ff";
  [...sp].forEach((ch, d) => {
    outShape[dpos[ch]!] = outSp[d]!;
    names[dpos[ch]!] = AXIS_NAMES[ch]!;
  });

  const rc = reduceAxis(I, "rc");
  const rs = K.map((k, d) => reduceAxis(k, REDUCE_NAMES[sp[d]!]!));
  const outPerGroup = groups === 1 ? undefined : cO !== undefined ? cO / groups : floordiv(O, groups);
  const conv = (e: PrimExpr) => (e.dtype === dtype ? e : cast(dtype, e));
  const name = `conv${nsp}d_${dl.toLowerCase()}`;
  return compute(
    outShape,
    (...idx) => {
      const n = idx[dpos["N"]!]!, f = idx[dpos["C"]!]!;
      const ch = outPerGroup === undefined ? rc.variable : add(mul(floordiv(f, outPerGroup), I), rc.variable);
      const di: PrimExpr[] = Array(rank);
      const wi: PrimExpr[] = Array(rank);
      di[dpos["N"]!] = n;
      di[dpos["C"]!] = ch;
      wi[kpos["O"]!] = f;
      wi[kpos["I"]!] = rc.variable;
      [...sp].forEach((c, d) => {
        di[dpos[c]!] = add(mul(idx[dpos[c]!]!, strides[d]!), mul(rs[d]!.variable, dilation[d]!));
        wi[kpos[c]!] = rs[d]!.variable;
      });
      return sum(mul(conv(src.load(di)), conv(weight.load(wi))), [rc, ...rs]);
    },
    name,
    { tag: `conv${nsp}d`, axisNames: names },
  );
}

/** 1-D convolution; data NCW (or NWC), weight OIW (or WIO). */
export function conv1d(data: Tensor, weight: Tensor, opts: ConvOptions = {}): Tensor {
  return convNd("conv1d", 1, data, weight, opts);
}

/** 2-D convolution; data NCHW (or NHWC), weight OIHW (or HWIO). */
export function conv2d(data: Tensor, weight: Tensor, opts: ConvOptions = {}): Tensor {
  return convNd("conv2d", 2, data, weight, opts);
}

/** 3-D convolution; data NCDHW (or NDHWC), weight OIDHW (or DHWIO). */
export function conv3d(data: Tensor, weight: Tensor, opts: ConvOptions = {}): Tensor {
  return convNd("conv3d", 3, data, weight, opts);
}

/** Depthwise 2-D convolution: groups = input channels; weight [C * multiplier, 1, KH, KW] (OIHW). */
export function depthwiseConv2d(data: Tensor, weight: Tensor, opts: Omit<ConvOptions, "groups"> = {}): Tensor {
  checkTensor("depthwise_conv2d", "data", data);
  const dl = opts.dataLayout ?? "NCHW";
  const c = dl.indexOf("C");
  if (c < 0 || data.ndim !== 4) throw new TypeError(`depthwise_conv2d: data must be 4-D with a C axis in "${dl}", got ${formatShape(data.shape)}`);
  const C = constDim(data.shape[c]!);
  if (C === undefined) throw new TypeError(`depthwise_conv2d: the channel count must be a constant, got ${formatShape(data.shape)}`);
  return convNd("depthwise_conv2d", 2, data, weight, { ...opts, groups: C });
}
