/**
 * StructInfo: what Relax knows about a value at compile time. It is both the type (tensor,
 * shape, tuple, callable, ...) and the symbolic facts attached to it (a tensor's shape as
 * int64 PrimExprs, a shape's values, a scalar's value). Less known is always allowed:
 * `R.Tensor(ndim=2)` or plain `R.Object` are valid struct infos for any 2-D tensor.
 *
 * Symbolic dimensions are int64 TIR Vars. They are defined by a function parameter's struct
 * info or by a match_cast; everywhere else they are uses.
 */
import { DataType, int64, voidType } from "../ir/dtype.js";
import { IntImm, nodeToString, type PrimExpr } from "../ir/expr.js";
import { registerNode, type Node } from "../ir/node.js";
import type { Expr } from "./expr.js";

export abstract class StructInfo implements Node {
  abstract readonly kind: string;
  toString(): string {
    return nodeToString(this);
  }
}

/** Any value at all (the top of the lattice). */
export class ObjectStructInfo extends StructInfo {
  readonly kind = "relax.ObjectStructInfo";
}

/** A scalar of `dtype`, optionally with a known value. */
export class PrimStructInfo extends StructInfo {
  readonly kind = "relax.PrimStructInfo";
  readonly dtype: DataType;
  readonly value: PrimExpr | undefined;
  constructor(dtypeOrValue: DataType | PrimExpr) {
    super();
    if (dtypeOrValue instanceof DataType) {
      this.dtype = dtypeOrValue;
      this.value = undefined;
    } else {
      this.dtype = dtypeOrValue.dtype;
      this.value = dtypeOrValue;
    }
  }
}

/** A shape: its int64 values, or only its rank (`ndim` -1: unknown). */
export class ShapeStructInfo extends StructInfo {
  readonly kind = "relax.ShapeStructInfo";
  readonly values: readonly PrimExpr[] | undefined;
  readonly ndim: number;
  constructor(valuesOrNdim: readonly (PrimExpr | number)[] | number = -1) {
    super();
    if (typeof valuesOrNdim === "number") {
      checkNdim("ShapeStructInfo", valuesOrNdim);
      this.values = undefined;
      this.ndim = valuesOrNdim;
    } else {
      this.values = valuesOrNdim.map((v) => checkDim("ShapeStructInfo", v));
      this.ndim = valuesOrNdim.length;
    }
  }
}

/**
 * A tensor: `dtype` (void when unknown) and either a shape expression (a ShapeExpr or a Var
 * holding a shape) or only a rank (`ndim` -1: unknown).
 */
export class TensorStructInfo extends StructInfo {
  readonly kind = "relax.TensorStructInfo";
  readonly shape: Expr | undefined;
  readonly ndim: number;
  constructor(
    shapeOrNdim: Expr | number,
    readonly dtype: DataType = voidType,
  ) {
    super();
    if (typeof shapeOrNdim === "number") {
      checkNdim("TensorStructInfo", shapeOrNdim);
      this.shape = undefined;
      this.ndim = shapeOrNdim;
    } else {
      const s = shapeOrNdim.structInfo;
      if (!(s instanceof ShapeStructInfo)) {
        throw new TypeError(`TensorStructInfo: the shape must be a shape expression (R.shape or a Var of R.Shape), got ${shapeOrNdim.kind}`);
      }
      this.shape = shapeOrNdim;
      this.ndim = s.ndim;
    }
    if (dtype.lanes !== 1) throw new TypeError(`TensorStructInfo: dtype must be scalar, got ${dtype}`);
  }

  /** The dimensions when they are known (from a ShapeExpr, or a shape Var with known values). */
  get dims(): readonly PrimExpr[] | undefined {
    if (!this.shape) return undefined;
    if (this.shape.kind === "relax.ShapeExpr") return (this.shape as unknown as { values: readonly PrimExpr[] }).values;
    const s = this.shape.structInfo;
    return s instanceof ShapeStructInfo ? s.values : undefined;
  }

  get isUnknownDtype(): boolean {
    return this.dtype === voidType;
  }

  get isUnknownNdim(): boolean {
    return this.ndim < 0;
  }
}

export class TupleStructInfo extends StructInfo {
  readonly kind = "relax.TupleStructInfo";
  constructor(readonly fields: readonly StructInfo[]) {
    super();
  }
}

/**
 * A callable: parameter struct infos and the result. `params` undefined: an opaque function
 * whose arguments are not checked (packed functions).
 */
export class FuncStructInfo extends StructInfo {
  readonly kind = "relax.FuncStructInfo";
  constructor(
    readonly params: readonly StructInfo[] | undefined,
    readonly ret: StructInfo,
    readonly purity = true,
  ) {
    super();
  }

  static opaque(ret: StructInfo = new ObjectStructInfo(), purity = false): FuncStructInfo {
    return new FuncStructInfo(undefined, ret, purity);
  }

  get isOpaque(): boolean {
    return this.params === undefined;
  }
}

function checkNdim(what: string, ndim: number): void {
  if (!Number.isInteger(ndim) || ndim < -1) throw new RangeError(`${what}: ndim must be an integer >= -1 (-1: unknown), got ${ndim}`);
}

/** Shape dimensions are int64; a plain int is accepted and converted. */
export function checkDim(what: string, v: PrimExpr | number): PrimExpr {
  if (typeof v === "number") return new IntImm(int64, v);
  if (v.dtype !== int64) throw new TypeError(`${what}: shape values must be int64, got ${v.dtype} (${String(v)})`);
  return v;
}

registerNode("relax.ObjectStructInfo", {});
registerNode("relax.PrimStructInfo", { dtype: "value", value: "node" });
registerNode("relax.ShapeStructInfo", { ndim: "value", values: "nodes" });
registerNode("relax.TensorStructInfo", { dtype: "value", ndim: "value", shape: "node" });
registerNode("relax.TupleStructInfo", { fields: "nodes" });
registerNode("relax.FuncStructInfo", { params: "nodes", ret: "node", purity: "value" });
