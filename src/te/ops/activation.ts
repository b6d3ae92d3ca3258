/**
 * Activation functions as single elementwise computes: relu, leaky_relu, prelu, gelu (erf and
 * tanh forms), silu, hardswish, hard_sigmoid, elu, softplus. (sigmoid and tanh live with the
 * other unary math in elemwise.ts.)
 */
import type { PrimExpr } from "../../ir/expr.js";
import {
  abs, add, convert, div, erf, exp, gt, log, max, min, mul, select, sigmoid as sigmoidExpr, sub, tanh as tanhExpr,
} from "../../ir/expr_ops.js";
import { Tensor, compute } from "../tensor.js";
import { unaryMap } from "./elemwise.js";
import { axNames, checkFloat, checkTensor, formatDim, formatShape, normalizeAxis, dimsCompatible } from "./shape_utils.js";

const c = (v: number, like: PrimExpr) => convert(v, like.dtype);

/** max(x, 0). */
export function relu(x: Tensor): Tensor {
  return unaryMap("relu", x, (v) => max(v, c(0, v)), "numeric", "elemwise");
}

/** x for x > 0, alpha * x otherwise. */
export function leakyRelu(x: Tensor, alpha = 0.01): Tensor {
  checkTensor("leaky_relu", "x", x);
  checkFloat("leaky_relu", "x", x);
  return unaryMap("leaky_relu", x, (v) => select(gt(v, c(0, v)), v, mul(v, c(alpha, v))), "float");
}

/** Leaky relu with a learned slope per channel: `slope` is 1-D along `axis` of x. */
export function prelu(x: Tensor, slope: Tensor, axis = 1): Tensor {
  checkTensor("prelu", "x", x);
  checkTensor("prelu", "slope", slope);
  checkFloat("prelu", "x", x);
  const ax = normalizeAxis("prelu", axis, x.ndim);
  if (slope.ndim !== 1 || !dimsCompatible(slope.shape[0]!, x.shape[ax]!)) {
    throw new TypeError(`prelu: slope must be 1-D with ${formatDim(x.shape[ax]!)} entries (x is ${formatShape(x.shape)}, axis ${axis}), got ${formatShape(slope.shape)}`);
  }
  if (slope.dtype !== x.dtype) throw new TypeError(`prelu: dtypes differ: x is ${x.dtype} but slope is ${slope.dtype}`);
  return compute(
    x.shape,
    (...idx) => {
      const v = x.load(idx);
      return select(gt(v, c(0, v)), v, mul(v, slope.at(idx[ax]!)));
    },
    "T_prelu",
    { tag: "broadcast", axisNames: axNames(x.ndim) },
  );
}

/**
 * GELU. `"none"`: x * Φ(x) = 0.5 x (1 + erf(x / √2)); `"tanh"`: the approximation
 * 0.5 x (1 + tanh(√(2/π) (x + 0.044715 x³))).
 */
export function gelu(x: Tensor, approximate: "none" | "tanh" = "none"): Tensor {
  if (approximate !== "none" && approximate !== "tanh") {
    throw new TypeError(`gelu: approximate must be "none" or "tanh", got ${String(approximate)}`);
  }
  if (approximate === "none") {
    return unaryMap("gelu", x, (v) => mul(mul(c(0.5, v), v), add(c(1, v), erf(mul(v, c(Math.SQRT1_2, v))))), "float");
  }
  const k = Math.sqrt(2 / Math.PI);
  return unaryMap(
    "gelu_tanh",
    x,
    (v) => {
      const inner = mul(c(k, v), add(v, mul(c(0.044715, v), mul(mul(v, v), v))));
      return mul(mul(c(0.5, v), v), add(c(1, v), tanhExpr(inner)));
    },
    "float",
  );
}

/** x * sigmoid(x) (also called swish). */
export function silu(x: Tensor): Tensor {
  return unaryMap("silu", x, (v) => mul(v, sigmoidExpr(v)), "float");
}

/** x * relu6(x + 3) / 6. */
export function hardswish(x: Tensor): Tensor {
  return unaryMap("hardswish", x, (v) => div(mul(v, min(max(add(v, c(3, v)), c(0, v)), c(6, v))), c(6, v)), "float");
}

/** clip(alpha * x + beta, 0, 1). */
export function hardSigmoid(x: Tensor, alpha = 1 / 6, beta = 0.5): Tensor {
  return unaryMap("hard_sigmoid", x, (v) => min(max(add(mul(c(alpha, v), v), c(beta, v)), c(0, v)), c(1, v)), "float");
}

/** x for x > 0, alpha * (exp(x) - 1) otherwise. */
export function elu(x: Tensor, alpha = 1): Tensor {
  return unaryMap("elu", x, (v) => select(gt(v, c(0, v)), v, mul(c(alpha, v), sub(exp(v), c(1, v)))), "float");
}

/** log(1 + exp(x)), computed as max(x, 0) + log(1 + exp(-|x|)) so large inputs do not overflow. */
export function softplus(x: Tensor): Tensor {
  return unaryMap("softplus", x, (v) => add(max(v, c(0, v)), log(add(c(1, v), exp(sub(c(0, v), abs(v)))))), "float");
}
