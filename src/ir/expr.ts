/**
 * PrimExpr: scalar (and vector) expressions of the loop-level IR. Nodes are immutable;
 * constructors check types, so an ill-typed expression cannot be built.
 */
import { DataType, bool, handle, int32, intRangeNumber } from "./dtype.js";
import { registerNode, type Node } from "./node.js";
import type { Buffer } from "./buffer.js";
import type { Op } from "./op_registry.js";

let printHook: ((n: Node) => string) | undefined;
/** The script printer installs itself here so that `String(expr)` reads as TVMScript. */
export function setNodePrinter(f: (n: Node) => string): void {
  printHook = f;
}
export function nodeToString(n: Node): string {
  return printHook ? printHook(n) : `<${n.kind}>`;
}

export abstract class PrimExpr implements Node {
  abstract readonly kind: string;
  constructor(readonly dtype: DataType) {}
  toString(): string {
    return nodeToString(this);
  }
}

export class IntImm extends PrimExpr {
  readonly kind = "IntImm";
  constructor(
    dtype: DataType,
    readonly value: number,
  ) {
    super(dtype);
    if (!(dtype.isIntegral() || dtype.isBool()) || dtype.lanes !== 1) {
      throw new TypeError(`IntImm: dtype must be a scalar integer or bool, got ${dtype}`);
    }
    if (!Number.isInteger(value)) throw new TypeError(`IntImm: value ${value} is not an integer`);
    if (dtype.bits <= 32 || dtype.isBool()) {
      const [lo, hi] = intRangeNumber(dtype);
      if (value < lo || value > hi) {
        throw new RangeError(`IntImm: value ${value} does not fit in ${dtype} [${lo}, ${hi}]`);
      }
    }
  }
}

export class FloatImm extends PrimExpr {
  readonly kind = "FloatImm";
  constructor(
    dtype: DataType,
    readonly value: number,
  ) {
    super(dtype);
    if (!dtype.isFloat() || dtype.lanes !== 1) throw new TypeError(`FloatImm: dtype must be a scalar float, got ${dtype}`);
  }
}

export class StringImm extends PrimExpr {
  readonly kind = "StringImm";
  constructor(readonly value: string) {
    super(handle);
  }
}

/** Pointer type carried by handle variables that point at buffer data. */
export interface PointerType {
  readonly elementType: DataType;
  readonly storageScope: string;
}

let varCounter = 0;

export class Var extends PrimExpr {
  readonly kind: "Var" | "SizeVar" = "Var";
  /** Unique per object; lets free variables hash by identity when needed. */
  readonly id = ++varCounter;
  constructor(
    readonly name: string,
    dtype: DataType = int32,
    readonly typeAnnotation?: PointerType,
  ) {
    super(dtype);
  }
  /** A fresh variable of the same type with another name. */
  copyWithName(name: string): Var {
    return new Var(name, this.dtype, this.typeAnnotation);
  }
}

/** A variable known to be non-negative (shape dimensions). */
export class SizeVar extends Var {
  override readonly kind = "SizeVar";
  override copyWithName(name: string): Var {
    return new SizeVar(name, this.dtype, this.typeAnnotation);
  }
}

export class Cast extends PrimExpr {
  readonly kind = "Cast";
  constructor(
    dtype: DataType,
    readonly value: PrimExpr,
  ) {
    super(dtype);
    if (dtype.lanes !== value.dtype.lanes) {
      throw new TypeError(`Cast: lanes differ between target ${dtype} and operand ${value.dtype}`);
    }
  }
}

function checkSame(op: string, a: PrimExpr, b: PrimExpr): void {
  if (a.dtype !== b.dtype) {
    throw new TypeError(`${op}: operand dtypes differ: ${a.dtype} vs ${b.dtype} (insert a T.Cast to convert one of them)`);
  }
}

export type BinaryKind = "Add" | "Sub" | "Mul" | "Div" | "Mod" | "FloorDiv" | "FloorMod" | "Min" | "Max";
export type CompareKind = "EQ" | "NE" | "LT" | "LE" | "GT" | "GE";

export abstract class BinaryOp extends PrimExpr {
  abstract override readonly kind: BinaryKind;
  constructor(
    readonly a: PrimExpr,
    readonly b: PrimExpr,
  ) {
    super(a.dtype);
    checkSame(new.target.name, a, b);
  }
}
export class Add extends BinaryOp {
  readonly kind = "Add";
}
export class Sub extends BinaryOp {
  readonly kind = "Sub";
}
export class Mul extends BinaryOp {
  readonly kind = "Mul";
}
/** Division rounding toward zero for integers (C semantics); true division for floats. */
export class Div extends BinaryOp {
  readonly kind = "Div";
}
/** Remainder with the sign of the dividend (C semantics, `T.truncmod`). */
export class Mod extends BinaryOp {
  readonly kind = "Mod";
}
export class FloorDiv extends BinaryOp {
  readonly kind = "FloorDiv";
}
export class FloorMod extends BinaryOp {
  readonly kind = "FloorMod";
}
export class Min extends BinaryOp {
  readonly kind = "Min";
}
export class Max extends BinaryOp {
  readonly kind = "Max";
}

export abstract class CmpOp extends PrimExpr {
  abstract override readonly kind: CompareKind;
  constructor(
    readonly a: PrimExpr,
    readonly b: PrimExpr,
  ) {
    super(bool.withLanes(a.dtype.lanes));
    checkSame(new.target.name, a, b);
  }
}
export class EQ extends CmpOp {
  readonly kind = "EQ";
}
export class NE extends CmpOp {
  readonly kind = "NE";
}
export class LT extends CmpOp {
  readonly kind = "LT";
}
export class LE extends CmpOp {
  readonly kind = "LE";
}
export class GT extends CmpOp {
  readonly kind = "GT";
}
export class GE extends CmpOp {
  readonly kind = "GE";
}

function checkBool(op: string, e: PrimExpr): void {
  if (!e.dtype.isBool()) throw new TypeError(`${op}: operand must be bool, got ${e.dtype}`);
}

export class And extends PrimExpr {
  readonly kind = "And";
  constructor(
    readonly a: PrimExpr,
    readonly b: PrimExpr,
  ) {
    super(a.dtype);
    checkBool("And", a);
    checkSame("And", a, b);
  }
}
export class Or extends PrimExpr {
  readonly kind = "Or";
  constructor(
    readonly a: PrimExpr,
    readonly b: PrimExpr,
  ) {
    super(a.dtype);
    checkBool("Or", a);
    checkSame("Or", a, b);
  }
}
export class Not extends PrimExpr {
  readonly kind = "Not";
  constructor(readonly a: PrimExpr) {
    super(a.dtype);
    checkBool("Not", a);
  }
}

export class Select extends PrimExpr {
  readonly kind = "Select";
  constructor(
    readonly condition: PrimExpr,
    readonly trueValue: PrimExpr,
    readonly falseValue: PrimExpr,
  ) {
    super(trueValue.dtype);
    checkBool("Select", condition);
    checkSame("Select", trueValue, falseValue);
  }
}

/** The vector `base, base + stride, ..., base + (lanes - 1) * stride`. */
export class Ramp extends PrimExpr {
  readonly kind = "Ramp";
  constructor(
    readonly base: PrimExpr,
    readonly stride: PrimExpr,
    readonly lanes: number,
  ) {
    super(base.dtype.withLanes(lanes));
    if (!base.dtype.isScalar()) throw new TypeError(`Ramp: base must be scalar, got ${base.dtype}`);
    checkSame("Ramp", base, stride);
  }
}

export class Broadcast extends PrimExpr {
  readonly kind = "Broadcast";
  constructor(
    readonly value: PrimExpr,
    readonly lanes: number,
  ) {
    super(value.dtype.withLanes(lanes));
    if (!value.dtype.isScalar()) throw new TypeError(`Broadcast: value must be scalar, got ${value.dtype}`);
  }
}

/** Picks lanes out of concatenated vectors. */
export class Shuffle extends PrimExpr {
  readonly kind = "Shuffle";
  constructor(
    readonly vectors: readonly PrimExpr[],
    readonly indices: readonly number[],
  ) {
    super(vectors[0]!.dtype.withLanes(indices.length));
  }
}

export class Let extends PrimExpr {
  readonly kind = "Let";
  constructor(
    readonly variable: Var,
    readonly value: PrimExpr,
    readonly body: PrimExpr,
  ) {
    super(body.dtype);
    if (variable.dtype !== value.dtype) {
      throw new TypeError(`Let: variable ${variable.name} is ${variable.dtype} but its value is ${value.dtype}`);
    }
  }
}

/** A global function reference (a PrimFunc or Relax function in an IRModule). */
export class GlobalVar implements Node {
  readonly kind = "GlobalVar";
  constructor(readonly name: string) {}
  toString(): string {
    return `@${this.name}`;
  }
}

export class Call extends PrimExpr {
  readonly kind = "Call";
  constructor(
    dtype: DataType,
    readonly op: Op | GlobalVar,
    readonly args: readonly PrimExpr[],
  ) {
    super(dtype);
    if (op.kind === "Op") op.check?.(this);
  }
}

export class BufferLoad extends PrimExpr {
  readonly kind = "BufferLoad";
  constructor(
    readonly buffer: Buffer,
    readonly indices: readonly PrimExpr[],
    /** Optional predicate for masked vector loads. */
    readonly predicate?: PrimExpr,
  ) {
    let lanes = 1;
    for (const i of indices) lanes = Math.max(lanes, i.dtype.lanes);
    super(buffer.dtype.withLanes(lanes * buffer.dtype.lanes));
    checkIndices("BufferLoad", buffer, indices);
  }
}

export function checkIndices(what: string, buffer: Buffer, indices: readonly PrimExpr[]): void {
  if (indices.length !== buffer.shape.length) {
    throw new TypeError(
      `${what}: buffer ${buffer.name} has ${buffer.shape.length} dimension(s) but is indexed with ${indices.length}`,
    );
  }
  for (const i of indices) {
    if (!i.dtype.isIntegral()) {
      throw new TypeError(`${what}: index of buffer ${buffer.name} must be an integer, got ${i.dtype}`);
    }
  }
}

/** A half-open interval [min, min + extent) of integers. */
export class Range implements Node {
  readonly kind = "Range";
  constructor(
    readonly min: PrimExpr,
    readonly extent: PrimExpr,
  ) {
    if (min.dtype !== extent.dtype) {
      throw new TypeError(`Range: min is ${min.dtype} but extent is ${extent.dtype}`);
    }
  }
  static fromExtent(extent: PrimExpr): Range {
    return new Range(new IntImm(extent.dtype, 0), extent);
  }
  toString(): string {
    return nodeToString(this);
  }
}

const bin = { a: "node", b: "node" } as const;
for (const k of ["Add", "Sub", "Mul", "Div", "Mod", "FloorDiv", "FloorMod", "Min", "Max", "EQ", "NE", "LT", "LE", "GT", "GE", "And", "Or"]) {
  registerNode(k, { dtype: "value", ...bin });
}
registerNode("IntImm", { dtype: "value", value: "value" });
registerNode("FloatImm", { dtype: "value", value: "value" });
registerNode("StringImm", { value: "value" });
registerNode("Var", { dtype: "value", name: "ignore" });
registerNode("SizeVar", { dtype: "value", name: "ignore" });
registerNode("Cast", { dtype: "value", value: "node" });
registerNode("Not", { a: "node" });
registerNode("Select", { condition: "node", trueValue: "node", falseValue: "node" });
registerNode("Ramp", { base: "node", stride: "node", lanes: "value" });
registerNode("Broadcast", { value: "node", lanes: "value" });
registerNode("Shuffle", { vectors: "nodes", indices: "value" });
registerNode("Let", { value: "node", variable: "def", body: "node" });
registerNode("Call", { dtype: "value", op: "value", args: "nodes" });
registerNode("BufferLoad", { buffer: "node", indices: "nodes", predicate: "node" });
registerNode("Range", { min: "node", extent: "node" });
registerNode("GlobalVar", { name: "value" });
