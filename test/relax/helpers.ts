import { float32, int64, type DataType } from "../../src/ir/dtype.js";
import { Var as TirVar, type PrimExpr } from "../../src/ir/expr.js";
import { ShapeExpr, TensorStructInfo, Var } from "../../src/relax/index.js";

export const sym = (name: string) => new TirVar(name, int64);

export function tensor(dims: readonly (PrimExpr | number)[], dtype: DataType = float32): TensorStructInfo {
  return new TensorStructInfo(new ShapeExpr(dims), dtype);
}

export function tvar(name: string, dims: readonly (PrimExpr | number)[], dtype: DataType = float32): Var {
  return new Var(name, tensor(dims, dtype));
}
