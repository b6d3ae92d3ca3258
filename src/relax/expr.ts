/**
 * Relax expressions. Nodes are immutable. Leaves know their StructInfo when built; a Call,
 * If or SeqExpr gets its StructInfo from normalization (the BlockBuilder runs the operator's
 * inference and rebuilds the node with it). StructInfo of a non-variable node is not part of
 * structural equality: it is derived from the node.
 */
import { DataType, bool, int64 } from "../ir/dtype.js";
import { GlobalVar, IntImm, nodeToString, type PrimExpr } from "../ir/expr.js";
import { registerNode, type Node } from "../ir/node.js";
import type { BindingBlock } from "./binding.js";
import type { RelaxOp } from "./op/registry.js";
import {
  FuncStructInfo, ObjectStructInfo, PrimStructInfo, ShapeStructInfo, StructInfo, TensorStructInfo, TupleStructInfo, checkDim,
} from "./struct_info.js";

export abstract class Expr implements Node {
  abstract readonly kind: string;
  constructor(readonly structInfo: StructInfo | undefined) {}
  toString(): string {
    return nodeToString(this);
  }
}

let relaxVarCounter = 0;

/** A variable bound once: a function parameter or the target of a binding. */
export class Var extends Expr {
  readonly kind: "relax.Var" | "relax.DataflowVar" = "relax.Var";
  readonly id = ++relaxVarCounter;
  declare readonly structInfo: StructInfo;
  constructor(
    readonly name: string,
    structInfo: StructInfo,
  ) {
    super(structInfo);
  }
}

/** A variable local to a dataflow block (not visible after the block). */
export class DataflowVar extends Var {
  override readonly kind = "relax.DataflowVar";
}

/** Flat tensor data in row-major order; int64 values must be exact in a double. */
export interface TensorData {
  readonly dtype: DataType;
  readonly shape: readonly number[];
  readonly data: readonly number[];
}

export class Constant extends Expr {
  readonly kind = "relax.Constant";
  constructor(
    readonly dtype: DataType,
    readonly shape: readonly number[],
    readonly data: readonly number[],
  ) {
    super(new TensorStructInfo(new ShapeExpr(shape.map((d) => new IntImm(int64, d))), dtype));
    const n = shape.reduce((a, b) => a * b, 1);
    if (data.length !== n) {
      throw new RangeError(`Constant: shape (${shape.join(", ")}) holds ${n} element(s) but ${data.length} value(s) were given`);
    }
    if (dtype.lanes !== 1) throw new TypeError(`Constant: dtype must be scalar, got ${dtype}`);
  }
}

export class Tuple extends Expr {
  readonly kind = "relax.Tuple";
  constructor(readonly fields: readonly Expr[]) {
    const infos = fields.map((f) => f.structInfo);
    super(infos.every((s) => s !== undefined) ? new TupleStructInfo(infos as StructInfo[]) : undefined);
  }
}

export class TupleGetItem extends Expr {
  readonly kind = "relax.TupleGetItem";
  constructor(
    readonly tuple: Expr,
    readonly index: number,
  ) {
    super(tupleItemInfo(tuple, index));
  }
}

function tupleItemInfo(tuple: Expr, index: number): StructInfo | undefined {
  if (!Number.isInteger(index) || index < 0) throw new RangeError(`TupleGetItem: index must be a non-negative integer, got ${index}`);
  const s = tuple.structInfo;
  if (s === undefined) return undefined;
  if (s instanceof TupleStructInfo) {
    const f = s.fields[index];
    if (!f) throw new RangeError(`TupleGetItem: index ${index} is out of range for a tuple of ${s.fields.length} field(s)`);
    return f;
  }
  if (s instanceof ObjectStructInfo) return new ObjectStructInfo();
  throw new TypeError(`TupleGetItem: the value is not a tuple (its struct info is ${s.kind})`);
}

/** A shape value `R.shape([n, 4])`: int64 PrimExprs. */
export class ShapeExpr extends Expr {
  readonly kind = "relax.ShapeExpr";
  readonly values: readonly PrimExpr[];
  constructor(values: readonly (PrimExpr | number)[]) {
    const vs = values.map((v) => checkDim("ShapeExpr", v));
    super(new ShapeStructInfo(vs));
    this.values = vs;
  }
}

/** A scalar value `R.prim_value(n)`. */
export class PrimValue extends Expr {
  readonly kind = "relax.PrimValue";
  constructor(readonly value: PrimExpr) {
    super(new PrimStructInfo(value));
  }
  static int64(v: number): PrimValue {
    return new PrimValue(new IntImm(int64, v));
  }
  static bool(v: boolean): PrimValue {
    return new PrimValue(new IntImm(bool, v ? 1 : 0));
  }
}

/** `R.str("...")`. */
export class StringImm extends Expr {
  readonly kind = "relax.StringImm";
  constructor(readonly value: string) {
    super(new ObjectStructInfo());
  }
}

/** `R.dtype("float32")`. */
export class DataTypeImm extends Expr {
  readonly kind = "relax.DataTypeImm";
  constructor(readonly value: DataType) {
    super(new ObjectStructInfo());
  }
}

export type AttrValue = string | number | boolean | null | PrimExpr | readonly AttrValue[] | { readonly [k: string]: AttrValue };
export type Attrs = Readonly<Record<string, AttrValue>>;

/** What a Call calls: an operator, a module function, or a value of function type. */
export type Callee = RelaxOp | GlobalVar | Expr;
/** A call argument: an expression, or a module function (call_tir's first argument). */
export type CallArg = Expr | GlobalVar;

export class Call extends Expr {
  readonly kind = "relax.Call";
  constructor(
    readonly op: Callee,
    readonly args: readonly CallArg[],
    readonly attrs: Attrs = {},
    /** Struct infos the op needs as arguments (call_tir's out_sinfo, call_pure_packed's result). */
    readonly sinfoArgs: readonly StructInfo[] = [],
    structInfo?: StructInfo,
  ) {
    super(structInfo);
  }

  withStructInfo(s: StructInfo): Call {
    return new Call(this.op, this.args, this.attrs, this.sinfoArgs, s);
  }
}

export class If extends Expr {
  readonly kind = "relax.If";
  constructor(
    readonly cond: Expr,
    readonly trueBranch: Expr,
    readonly falseBranch: Expr,
    structInfo?: StructInfo,
  ) {
    super(structInfo);
  }
}

/**
 * Binding blocks followed by a result expression. Its StructInfo defaults to the result's; a
 * scope passes a less specific one when the result mentions vars defined inside.
 */
export class SeqExpr extends Expr {
  readonly kind = "relax.SeqExpr";
  constructor(
    readonly blocks: readonly BindingBlock[],
    readonly body: Expr,
    structInfo?: StructInfo,
  ) {
    super(structInfo ?? body.structInfo);
  }
}

export class Function extends Expr {
  readonly kind = "relax.Function";
  declare readonly structInfo: FuncStructInfo;
  readonly retStructInfo: StructInfo;
  constructor(
    readonly params: readonly Var[],
    readonly body: Expr,
    retStructInfo?: StructInfo,
    readonly isPure = true,
    readonly attrs: Attrs = {},
  ) {
    const ret = retStructInfo ?? body.structInfo;
    if (!ret) throw new TypeError("Function: the body has no struct info and no return struct info was given; normalize the body first");
    super(new FuncStructInfo(params.map((p) => p.structInfo), ret, isPure));
    this.retStructInfo = ret;
  }

  withAttrs(attrs: Attrs): Function {
    return new Function(this.params, this.body, this.retStructInfo, this.isPure, attrs);
  }
}

/** A function provided by the runtime, referenced by its symbol. */
export class ExternFunc extends Expr {
  readonly kind = "relax.ExternFunc";
  constructor(
    readonly globalSymbol: string,
    structInfo: StructInfo = FuncStructInfo.opaque(),
  ) {
    super(structInfo);
  }
}

/** The StructInfo of `e`, or an error saying to normalize it first. */
export function structInfoOf(e: Expr): StructInfo {
  const s = e.structInfo;
  if (!s) throw new TypeError(`${e.kind} has no struct info yet; normalize it with a BlockBuilder first`);
  return s;
}

/** Whether `e` is a leaf: it may appear as a call argument in normal form. */
export function isLeaf(e: Expr): boolean {
  switch (e.kind) {
    case "relax.Var":
    case "relax.DataflowVar":
    case "relax.Constant":
    case "relax.ShapeExpr":
    case "relax.PrimValue":
    case "relax.StringImm":
    case "relax.DataTypeImm":
    case "relax.ExternFunc":
      return true;
    case "relax.Tuple":
      return (e as Tuple).fields.every(isLeaf);
    default:
      return false;
  }
}

/** The StructInfo of a call argument (a GlobalVar is an opaque function here). */
export function argStructInfo(a: CallArg): StructInfo {
  return a instanceof GlobalVar ? FuncStructInfo.opaque() : structInfoOf(a);
}

export function isRelaxVar(x: unknown): x is Var {
  return x instanceof Var;
}

export { GlobalVar };

registerNode("relax.Var", { structInfo: "defnode", name: "ignore" }, { isVar: true });
registerNode("relax.DataflowVar", { structInfo: "defnode", name: "ignore" }, { isVar: true });
registerNode("relax.Constant", { dtype: "value", shape: "value", data: "value" });
registerNode("relax.Tuple", { fields: "nodes" });
registerNode("relax.TupleGetItem", { tuple: "node", index: "value" });
registerNode("relax.ShapeExpr", { values: "nodes" });
registerNode("relax.PrimValue", { value: "node" });
registerNode("relax.StringImm", { value: "value" });
registerNode("relax.DataTypeImm", { value: "value" });
registerNode("relax.Call", { op: "node", args: "nodes", attrs: "attrs", sinfoArgs: "nodes" });
registerNode("relax.If", { cond: "node", trueBranch: "node", falseBranch: "node" });
registerNode("relax.SeqExpr", { blocks: "nodes", body: "node" });
registerNode("relax.Function", { params: "defs", body: "node", retStructInfo: "node", isPure: "value", attrs: "attrs" });
registerNode("relax.ExternFunc", { globalSymbol: "value" });
