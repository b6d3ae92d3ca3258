/**
 * How LegalizeOps computes each core operator with the TE operator library. Every rule calls
 * `ctx.te(name, inputs, fte)`: `name` names the PrimFunc (TVM's names: `add`, `matmul`,
 * `transpose` for permute_dims, `cast` for astype, `concatenate` for concat), `inputs` are
 * the call's tensor arguments with the names their buffers get, `fte` builds the output
 * tensor(s) from the placeholders. Shapes that the TE ops cannot derive themselves (reshape's
 * target, broadcast_to's, expand_dims' output) come from the call's inferred StructInfo.
 */
import { int64 } from "../../ir/dtype.js";
import { IntImm, type PrimExpr } from "../../ir/expr.js";
import { add, cast, max, min, mul, sub } from "../../ir/expr_ops.js";
import * as topi from "../../te/ops/index.js";
import { compute, type Tensor } from "../../te/tensor.js";
import { TensorStructInfo, type TupleStructInfo } from "../struct_info.js";
import { Tuple, type AttrValue, type Call, type Expr } from "../expr.js";
import type { LegalizeFn } from "./legalize_ops.js";
import { RESHAPE_ATTR } from "./rewrite_dataflow_reshape.js";

/** The call's output dims (from its StructInfo), or an error saying they are unknown. */
function outDims(call: Call): readonly PrimExpr[] {
  const s = call.structInfo;
  const dims = s instanceof TensorStructInfo ? s.dims : undefined;
  if (!dims) throw new Error(`the output shape is unknown${s instanceof TensorStructInfo ? ` (rank ${s.ndim})` : ""}; give the input a shape with R.match_cast first`);
  return dims;
}

function ints(call: Call, name: string): number[] | undefined {
  const v = call.attrs[name];
  if (v === null || v === undefined) return undefined;
  return (Array.isArray(v) ? v : [v]) as number[];
}

function int(call: Call, name: string): number {
  return ints(call, name)![0]!;
}

function bool(call: Call, name: string): boolean {
  return call.attrs[name] === true;
}

function num(call: Call, name: string): number {
  return call.attrs[name] as number;
}

const x = (call: Call, i = 0, name = "x"): readonly [Expr, string] => [call.args[i] as Expr, name];
const one = (name: string, f: (t: Tensor) => Tensor): LegalizeFn => (call, ctx) => ctx.te(name, [x(call)], f);

const rules: Record<string, LegalizeFn> = {};

// ------------------------------------------------------------------ elementwise

const UNARY: Record<string, (t: Tensor) => Tensor> = {
  exp: topi.exp, log: topi.log, sqrt: topi.sqrt, rsqrt: topi.rsqrt, tanh: topi.tanh, sigmoid: topi.sigmoid, sin: topi.sin,
  cos: topi.cos, tan: topi.tan, erf: topi.erf, log1p: topi.log1p, negative: topi.negative, abs: topi.abs, square: topi.square,
  floor: topi.floor, ceil: topi.ceil, round: topi.round, sign: topi.sign,
};
for (const [name, f] of Object.entries(UNARY)) rules[`relax.${name}`] = one(name, f);

rules["relax.astype"] = (call, ctx) => ctx.te("cast", [x(call)], (t: Tensor) => topi.cast(t, call.attrs["dtype"] as string));

const BINARY: Record<string, (a: Tensor, b: Tensor) => Tensor> = {
  add: topi.add, subtract: topi.subtract, multiply: topi.multiply, divide: topi.divide, floor_divide: topi.floorDivide,
  power: topi.power, maximum: topi.maximum, minimum: topi.minimum, equal: topi.equal, not_equal: topi.notEqual,
  less: topi.less, less_equal: topi.lessEqual, greater: topi.greater, greater_equal: topi.greaterEqual,
};
for (const [name, f] of Object.entries(BINARY)) {
  rules[`relax.${name}`] = (call, ctx) => ctx.te(name, [x(call, 0, "x1"), x(call, 1, "x2")], f);
}

rules["relax.where"] = (call, ctx) =>
  ctx.te("where", [x(call, 0, "condition"), x(call, 1, "x1"), x(call, 2, "x2")], (c: Tensor, a: Tensor, b: Tensor) => topi.where(c, a, b));

rules["relax.nn.relu"] = one("relu", topi.relu);
rules["relax.nn.gelu"] = one("gelu", (t) => topi.gelu(t, "none"));
rules["relax.nn.gelu_tanh"] = one("gelu_tanh", (t) => topi.gelu(t, "tanh"));
rules["relax.nn.silu"] = one("silu", topi.silu);

// ------------------------------------------------------------------ matmul, reductions, normalization

rules["relax.matmul"] = (call, ctx) => {
  const outDtype = call.attrs["out_dtype"];
  const opts = typeof outDtype === "string" && outDtype !== "void" ? { outDtype } : {};
  return ctx.te("matmul", [x(call, 0, "x1"), x(call, 1, "x2")], (a: Tensor, b: Tensor) => topi.matmul(a, b, opts));
};

const REDUCE: Record<string, (t: Tensor, axis?: number[], keepdims?: boolean) => Tensor> = {
  sum: topi.sum, mean: topi.mean, max: topi.max, min: topi.min, prod: topi.prod,
};
for (const [name, f] of Object.entries(REDUCE)) {
  rules[`relax.${name}`] = (call, ctx) => ctx.te(name, [x(call)], (t: Tensor) => f(t, ints(call, "axis"), bool(call, "keepdims")));
}

rules["relax.nn.softmax"] = (call, ctx) => ctx.te("softmax", [x(call)], (t: Tensor) => topi.softmax(t, int(call, "axis")));
rules["relax.nn.log_softmax"] = (call, ctx) => ctx.te("log_softmax", [x(call)], (t: Tensor) => topi.logSoftmax(t, int(call, "axis")));

rules["relax.nn.layer_norm"] = (call, ctx) =>
  ctx.te("layer_norm", [x(call), x(call, 1, "gamma"), x(call, 2, "beta")], (t: Tensor, g: Tensor, b: Tensor) =>
    topi.layerNorm(t, bool(call, "scale") ? g : undefined, bool(call, "center") ? b : undefined, ints(call, "axes"), num(call, "epsilon")),
  );

rules["relax.nn.batch_norm"] = (call, ctx) => {
  if (bool(call, "training")) throw new Error("training mode is not supported (batch_norm has inference semantics here)");
  const s = call.structInfo as TupleStructInfo;
  const names = ["data", "gamma", "beta", "moving_mean", "moving_var"];
  const out = ctx.te(
    "batch_norm",
    names.map((n, i) => x(call, i, n)),
    (t: Tensor, g: Tensor, b: Tensor, m: Tensor, v: Tensor) =>
      topi.batchNorm(t, m, v, bool(call, "scale") ? g : undefined, bool(call, "center") ? b : undefined, int(call, "axis"), num(call, "epsilon")),
    s.fields[0],
  );
  return new Tuple([ctx.bb.emit(out), call.args[3] as Expr, call.args[4] as Expr]);
};

// ------------------------------------------------------------------ convolution and pooling

rules["relax.nn.conv2d"] = (call, ctx) => {
  const outDtype = call.attrs["out_dtype"];
  return ctx.te("conv2d", [x(call, 0, "data"), x(call, 1, "weight")], (d: Tensor, w: Tensor) =>
    topi.conv2d(d, w, {
      strides: ints(call, "strides"), padding: ints(call, "padding"), dilation: ints(call, "dilation"), groups: int(call, "groups"),
      ...(typeof outDtype === "string" && outDtype !== "void" ? { outDtype } : {}),
    }),
  );
};

rules["relax.nn.conv2d_transpose"] = (call, ctx) => {
  const outDtype = call.attrs["out_dtype"];
  return ctx.te("conv2d_transpose", [x(call, 0, "data"), x(call, 1, "weight")], (d: Tensor, w: Tensor) =>
    topi.conv2dTranspose(d, w, {
      strides: ints(call, "strides"), padding: ints(call, "padding"), outputPadding: ints(call, "output_padding"), dilation: ints(call, "dilation"),
      groups: int(call, "groups"), ...(typeof outDtype === "string" && outDtype !== "void" ? { outDtype } : {}),
    }),
  );
};

function poolRule(name: string, type: topi.PoolType): LegalizeFn {
  return (call, ctx) =>
    ctx.te(name, [x(call, 0, "data")], (d: Tensor) =>
      topi.pool2d(d, type, {
        kernel: ints(call, "pool_size")!, strides: ints(call, "strides"), padding: ints(call, "padding"), dilation: ints(call, "dilation"),
        ceilMode: bool(call, "ceil_mode"), countIncludePad: bool(call, "count_include_pad"),
      }),
    );
}
rules["relax.nn.max_pool2d"] = poolRule("max_pool2d", "max");
rules["relax.nn.avg_pool2d"] = poolRule("avg_pool2d", "avg");

// ------------------------------------------------------------------ shape manipulation

/** Kernels that only reinterpret the input's data in another shape (RewriteDataflowReshape makes them views). */
const VIEW = { [RESHAPE_ATTR]: true };

rules["relax.reshape"] = (call, ctx) => {
  const dims = outDims(call);
  return ctx.te("reshape", [x(call)], (t: Tensor) => topi.reshape(t, dims), undefined, VIEW);
};

rules["relax.permute_dims"] = (call, ctx) => ctx.te("transpose", [x(call)], (t: Tensor) => topi.transpose(t, ints(call, "axes")));

rules["relax.expand_dims"] = (call, ctx) => {
  const dims = outDims(call);
  const at = new Set((ints(call, "axis") ?? []).map((a) => (a < 0 ? a + dims.length : a)));
  return ctx.te("expand_dims", [x(call)], (t: Tensor) =>
    compute(dims, (...idx) => t.load(idx.filter((_, i) => !at.has(i))), "T_expand_dims", {
      tag: "broadcast",
      axisNames: topi.axNames(dims.length),
    }),
    undefined, VIEW,
  );
};

rules["relax.squeeze"] = (call, ctx) => ctx.te("squeeze", [x(call)], (t: Tensor) => topi.squeeze(t, ints(call, "axis")), undefined, VIEW);

rules["relax.broadcast_to"] = (call, ctx) => {
  const dims = outDims(call);
  return ctx.te("broadcast_to", [x(call)], (t: Tensor) => topi.broadcastTo(t, dims));
};

rules["relax.concat"] = (call, ctx) => ctx.te("concatenate", [x(call, 0, "x")], (ts: Tensor[]) => topi.concat(ts, int(call, "axis")));

rules["relax.split"] = (call, ctx) => {
  const ios = call.attrs["indices_or_sections"] as number | number[];
  return ctx.te("split", [x(call)], (t: Tensor) => topi.split(t, ios, int(call, "axis")));
};

// ------------------------------------------------------------------ indexing

rules["relax.take"] = (call, ctx) => {
  const axis = call.attrs["axis"];
  return ctx.te("take", [x(call), x(call, 1, "indices")], (t: Tensor, i: Tensor) => topi.take(t, i, typeof axis === "number" ? axis : undefined));
};

rules["relax.strided_slice"] = (call, ctx) => {
  const list = (k: string) => (call.attrs[k] ?? []) as readonly AttrValue[];
  const axes = list("axes") as number[];
  const begin = list("begin"), end = list("end");
  const strides = (call.attrs["strides"] ?? axes.map(() => 1)) as number[];
  if ([...begin, ...end].every((v) => typeof v === "number")) {
    return ctx.te("strided_slice", [x(call)], (t: Tensor) => topi.stridedSlice(t, begin as number[], end as number[], strides, axes));
  }
  // Symbolic bounds: the start of each sliced axis as an int64 expression, the extent from inference.
  const dims = outDims(call);
  const inbound = call.attrs["assume_inbound"] === true;
  return ctx.te("strided_slice", [x(call)], (t: Tensor) => {
    const start: PrimExpr[] = t.shape.map(() => new IntImm(int64, 0));
    const step = t.shape.map(() => 1);
    axes.forEach((a0, i) => {
      const a = a0 < 0 ? a0 + t.ndim : a0;
      const D = t.shape[a]!;
      const s = strides[i]!;
      const b = begin[i]!;
      let v: PrimExpr;
      if (typeof b === "number") v = b < 0 ? max(add(D, b), s > 0 ? 0 : -1) : min(new IntImm(int64, b), s > 0 ? D : sub(D, 1));
      else {
        const e = (b as PrimExpr).dtype === int64 ? (b as PrimExpr) : cast(int64, b as PrimExpr);
        v = inbound ? e : s > 0 ? min(e, D) : min(e, sub(D, 1));
      }
      start[a] = v;
      step[a] = s;
    });
    return compute(dims, (...idx) => t.load(idx.map((v, k) => add(start[k]!, mul(v, step[k]!)))), "T_strided_slice", {
      tag: "injective",
      axisNames: topi.axNames(dims.length),
    });
  });
};

// ------------------------------------------------------------------ logical and predicates

rules["relax.logical_not"] = one("logical_not", topi.logicalNot);
rules["relax.isnan"] = one("isnan", topi.isnan);
rules["relax.isinf"] = one("isinf", topi.isinf);
rules["relax.isfinite"] = one("isfinite", topi.isfinite);
const LOGICAL: Record<string, (a: Tensor, b: Tensor) => Tensor> = {
  logical_and: topi.logicalAnd, logical_or: topi.logicalOr, logical_xor: topi.logicalXor,
};
for (const [name, f] of Object.entries(LOGICAL)) {
  rules[`relax.${name}`] = (call, ctx) => ctx.te(name, [x(call, 0, "x1"), x(call, 1, "x2")], f);
}

// ------------------------------------------------------------------ arg reductions and scans

for (const name of ["argmax", "argmin"] as const) {
  rules[`relax.${name}`] = (call, ctx) => {
    const axis = call.attrs["axis"];
    return ctx.te(name, [x(call)], (t: Tensor) =>
      topi[name](t, typeof axis === "number" ? axis : undefined, { keepdims: bool(call, "keepdims"), selectLastIndex: bool(call, "select_last_index") }),
    );
  };
}

rules["relax.cumsum"] = (call, ctx) => {
  const axis = call.attrs["axis"];
  const dtype = call.attrs["dtype"];
  const opts = { exclusive: bool(call, "exclusive"), reverse: bool(call, "reverse"), ...(typeof dtype === "string" && dtype !== "void" ? { dtype } : {}) };
  return ctx.te("cumsum", [x(call, 0, "data")], (t: Tensor) =>
    typeof axis === "number" ? topi.cumsum(t, axis, opts) : topi.cumsum(topi.reshape(t, [topi.prodDims(t.shape)]), 0, opts),
  );
};

rules["relax.topk"] = (call, ctx) => {
  const ret = call.attrs["ret_type"];
  return ctx.te("topk", [x(call, 0, "data")], (t: Tensor) => {
    const [values, indices] = topi.topk(t, int(call, "k"), int(call, "axis"), { largest: bool(call, "largest"), indexDtype: call.attrs["dtype"] as string });
    return ret === "both" ? [values, indices] : ret === "values" ? values : indices;
  });
};

// ------------------------------------------------------------------ attention, group / instance norm, resize

rules["relax.nn.attention"] = (call, ctx) => {
  const scale = call.attrs["scale"], causal = call.attrs["causal_mask"];
  const opts = { ...(typeof scale === "number" ? { scale } : {}), ...(typeof causal === "string" ? { causal: causal as topi.CausalMask } : {}) };
  const names = ["query", "key", "value", "bias"];
  return ctx.te("attention", call.args.map((_, i) => x(call, i, names[i])), (q: Tensor, k: Tensor, v: Tensor, b?: Tensor) =>
    topi.attention(q, k, v, { ...opts, ...(b ? { bias: b } : {}) }),
  );
};

rules["relax.nn.group_norm"] = (call, ctx) =>
  ctx.te("group_norm", [x(call, 0, "data"), x(call, 1, "gamma"), x(call, 2, "beta")], (t: Tensor, g: Tensor, b: Tensor) =>
    topi.groupNorm(t, bool(call, "scale") ? g : undefined, bool(call, "center") ? b : undefined, int(call, "num_groups"), int(call, "channel_axis"), num(call, "epsilon")),
  );

rules["relax.nn.instance_norm"] = (call, ctx) =>
  ctx.te("instance_norm", [x(call, 0, "data"), x(call, 1, "gamma"), x(call, 2, "beta")], (t: Tensor, g: Tensor, b: Tensor) =>
    topi.instanceNorm(t, bool(call, "scale") ? g : undefined, bool(call, "center") ? b : undefined, int(call, "channel_axis"), num(call, "epsilon")),
  );

rules["relax.image.resize2d"] = (call, ctx) => {
  const dims = outDims(call);
  const scales = call.attrs["scales"] as [number, number] | null;
  const outDtype = call.attrs["out_dtype"];
  return ctx.te("resize2d", [x(call, 0, "data")], (t: Tensor) => {
    const r = topi.resize2d(t, [dims[2]!, dims[3]!], {
      method: call.attrs["method"] as topi.ResizeMethod,
      coordinateTransformationMode: call.attrs["coordinate_transformation_mode"] as topi.CoordinateMode,
      roundingMethod: call.attrs["rounding_method"] as topi.RoundingMethod,
      cubicAlpha: num(call, "cubic_alpha"),
      cubicExclude: call.attrs["cubic_exclude"] === 1,
      ...(scales ? { scales } : {}),
    });
    return typeof outDtype === "string" && outDtype !== "void" && outDtype !== r.dtype.toString() ? topi.cast(r, outDtype) : r;
  });
};

export const LEGALIZE_RULES: Readonly<Record<string, LegalizeFn>> = rules;
