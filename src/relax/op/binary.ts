/**
 * Elementwise binary operators with numpy broadcasting over symbolic shapes. Arithmetic keeps
 * the operands' dtype; comparisons give bool tensors; logical and / or / xor take bool tensors.
 */
import { bool, voidType } from "../../ir/dtype.js";
import type { Expr } from "../expr.js";
import { broadcastDims, opName, tensorArg, tensorInfo, unifyDtype } from "./infer_util.js";
import { callOp, RelaxOp, type InferFn } from "./registry.js";

const ARITH = ["add", "subtract", "multiply", "divide", "floor_divide", "power", "maximum", "minimum"] as const;
const COMPARE = ["equal", "not_equal", "less", "less_equal", "greater", "greater_equal"] as const;
const LOGICAL = ["logical_and", "logical_or", "logical_xor"] as const;

function binaryInfer(compare: boolean, logical = false): InferFn {
  return (call, ctx) => {
    const a = tensorArg(call, 0, "x1");
    const b = tensorArg(call, 1, "x2");
    const dtype = unifyDtype(call, a.dtype, b.dtype, "x1", "x2");
    if (logical && dtype !== voidType && !dtype.isBool()) {
      throw new TypeError(`${opName(call)}: expects bool tensors, got dtype ${dtype} (compare with R.not_equal(x, 0) first)`);
    }
    const outDtype = compare ? bool : dtype;
    if (a.ndim < 0 || b.ndim < 0) return tensorInfo(undefined, -1, outDtype);
    const ndim = Math.max(a.ndim, b.ndim);
    const ad = a.dims, bd = b.dims;
    if (!ad || !bd) return tensorInfo(undefined, ndim, outDtype);
    return tensorInfo(broadcastDims(call, ad, bd, ctx), ndim, outDtype);
  };
}

const params = [
  { name: "x1", kind: "expr" },
  { name: "x2", kind: "expr" },
] as const;
for (const name of ARITH) RelaxOp.register(`relax.${name}`, { params, infer: binaryInfer(false) });
for (const name of COMPARE) RelaxOp.register(`relax.${name}`, { params, infer: binaryInfer(true) });
for (const name of LOGICAL) RelaxOp.register(`relax.${name}`, { params, infer: binaryInfer(false, true) });

const b = (name: string) => (x1: Expr, x2: Expr) => callOp(`relax.${name}`, [x1, x2]);
export const add = b("add");
export const subtract = b("subtract");
export const multiply = b("multiply");
export const divide = b("divide");
export const floorDivide = b("floor_divide");
export const power = b("power");
export const maximum = b("maximum");
export const minimum = b("minimum");
export const equal = b("equal");
export const notEqual = b("not_equal");
export const less = b("less");
export const lessEqual = b("less_equal");
export const greater = b("greater");
export const greaterEqual = b("greater_equal");
export const logicalAnd = b("logical_and");
export const logicalOr = b("logical_or");
export const logicalXor = b("logical_xor");

export const ARITH_BINARY_OPS: readonly string[] = ARITH;
export const COMPARE_OPS: readonly string[] = COMPARE;
export const LOGICAL_OPS: readonly string[] = LOGICAL;
