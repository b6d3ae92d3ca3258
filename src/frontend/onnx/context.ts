/**
 * The state of one ONNX graph import and the view a converter gets of one node.
 *
 * Besides the Relax value of each ONNX tensor, the context tracks *known values*: small int
 * tensors (rank <= 1) whose elements are known at import time as int64 PrimExprs, possibly
 * symbolic. ONNX computes shapes with tensors (Shape -> Gather -> Concat -> Reshape); Relax has
 * first-class shapes instead. Tracking these values lets such chains fold into a ShapeExpr at
 * import time, the way TVM's importer does, so `Reshape(x, Concat(Shape(x)[0], [-1]))` becomes
 * `R.reshape(x, R.shape([n, 12]))`.
 */
import { DataType, int64 } from "../../ir/dtype.js";
import type { PrimExpr } from "../../ir/expr.js";
import * as E from "../../ir/expr_ops.js";
import { BlockBuilder, Constant, type Expr } from "../../relax/index.js";
import { i64 } from "../shape_util.js";
import { tensorValue, toNumber, type IAttributeProto, type INodeProto, type TensorValue } from "./proto.js";

/** An int tensor of rank 0 or 1 whose elements are known at import time. */
export interface KnownValue {
  readonly values: readonly PrimExpr[];
  /** Rank 0 (a scalar) rather than rank 1. */
  readonly scalar: boolean;
  readonly dtype: DataType;
}

/** Known values longer than this are not tracked (they are data, not shapes). */
const MAX_KNOWN = 64;

export class ImportContext {
  readonly values = new Map<string, Expr>();
  readonly known = new Map<string, KnownValue>();
  constructor(
    readonly bb: BlockBuilder,
    /** The default-domain opset the model imports. */
    readonly opset: number,
  ) {}

  /** Records a Constant and, for small int tensors, its known values. */
  setConstant(name: string, t: TensorValue): Constant {
    const c = new Constant(t.dtype, t.shape, t.data);
    this.values.set(name, c);
    if (t.dtype.isIntegral() && t.shape.length <= 1 && t.data.length <= MAX_KNOWN) {
      this.known.set(name, { values: t.data.map((v) => i64(v)), scalar: t.shape.length === 0, dtype: t.dtype });
    }
    return c;
  }
}

/** An empty ONNX input name marks an omitted optional input. */
const present = (s: string | undefined | null): s is string => s !== undefined && s !== null && s !== "";

export class NodeView {
  readonly opType: string;
  readonly name: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  private readonly attrs = new Map<string, IAttributeProto>();
  constructor(
    readonly proto: INodeProto,
    readonly index: number,
    readonly ctx: ImportContext,
  ) {
    this.opType = proto.opType ?? "";
    this.name = proto.name ?? "";
    this.inputs = proto.input ?? [];
    this.outputs = proto.output ?? [];
    for (const a of proto.attribute ?? []) if (a.name) this.attrs.set(a.name, a);
  }

  get bb(): BlockBuilder {
    return this.ctx.bb;
  }

  get opset(): number {
    return this.ctx.opset;
  }

  /** "Conv node 'conv1' (#3)": how errors name this node. */
  get label(): string {
    return `${this.opType} node ${this.name ? `'${this.name}' ` : ""}(#${this.index})`;
  }

  error(msg: string): TypeError {
    return new TypeError(`ONNX ${this.label}: ${msg}`);
  }

  hasInput(i: number): boolean {
    return present(this.inputs[i]);
  }

  /** The Relax value of input `i` (a known value is materialized as a Constant when static). */
  input(i: number): Expr {
    const name = this.inputs[i];
    if (!present(name)) throw this.error(`input ${i} is required but missing`);
    const v = this.ctx.values.get(name);
    if (v) return v;
    const k = this.ctx.known.get(name);
    if (k) {
      if (k.values.every((d) => E.isConstInt(d))) {
        const c = new Constant(k.dtype, k.scalar ? [] : [k.values.length], k.values.map((d) => (d as { value: number }).value));
        this.ctx.values.set(name, c);
        return c;
      }
      throw this.error(
        `input '${name}' holds the symbolic values [${k.values.map((d) => (E.isConstInt(d) ? String(d.value) : String(d))).join(", ")}] computed from shapes; using it as a tensor ` +
          "needs a shape-to-tensor operator, which weft's Relax does not have yet (use it only as a shape: Reshape, Expand, ConstantOfShape)",
      );
    }
    throw this.error(`input '${name}' is not defined by any graph input, initializer or earlier node (check the node order and input names)`);
  }

  optionalInput(i: number): Expr | undefined {
    return this.hasInput(i) ? this.input(i) : undefined;
  }

  /** The known int values of input `i`, if any. */
  known(i: number): KnownValue | undefined {
    const name = this.inputs[i];
    return present(name) ? this.ctx.known.get(name) : undefined;
  }

  /** Input `i` as import-time int64 values (possibly symbolic); an error when it is computed at run time. */
  knownInts(i: number, what: string): readonly PrimExpr[] {
    const k = this.known(i);
    if (!k) throw this.error(`${what} (input ${i}, '${this.inputs[i]}') must be known at import time (a Constant/initializer or computed from shapes); weft does not support data-dependent ${what}`);
    return k.values;
  }

  /** Input `i` as static ints. */
  staticInts(i: number, what: string): number[] {
    return this.knownInts(i, what).map((d) => {
      if (!E.isConstInt(d)) throw this.error(`${what} must be static, got the symbolic value ${String(d)}`);
      return d.value;
    });
  }

  // ------------------------------------------------------------ attributes

  hasAttr(name: string): boolean {
    return this.attrs.has(name);
  }

  int(name: string, dflt: number): number {
    const a = this.attrs.get(name);
    return a ? toNumber(a.i, `${this.label}: attribute ${name}`) : dflt;
  }

  float(name: string, dflt: number): number {
    const a = this.attrs.get(name);
    return a ? (a.f ?? 0) : dflt;
  }

  ints(name: string): number[] | undefined {
    const a = this.attrs.get(name);
    return a ? (a.ints ?? []).map((v) => toNumber(v, `${this.label}: attribute ${name}`)) : undefined;
  }

  floats(name: string): number[] | undefined {
    const a = this.attrs.get(name);
    return a ? [...(a.floats ?? [])] : undefined;
  }

  string(name: string, dflt: string): string {
    const a = this.attrs.get(name);
    return a?.s ? new TextDecoder().decode(a.s) : dflt;
  }

  tensor(name: string): TensorValue | undefined {
    const a = this.attrs.get(name);
    return a?.t ? tensorValue(a.t, `${this.label}: attribute ${name}`) : undefined;
  }

  /** Records that output `i` holds import-time known values (materialized only if used as a tensor). */
  setKnown(i: number, k: KnownValue): undefined {
    const name = this.outputs[i];
    if (present(name)) this.ctx.known.set(name, k);
    return undefined;
  }

  /** Output `i` is requested (present and non-empty). */
  wantsOutput(i: number): boolean {
    return present(this.outputs[i]);
  }
}

/** What a converter returns: one value per ONNX output (or one for a single output). */
export type ConvertResult = Expr | readonly (Expr | undefined)[];

/** `[known values] -> int64 KnownValue` helper for shape-computing converters. */
export function knownOf(values: readonly PrimExpr[], scalar = false, dtype: DataType = int64): KnownValue {
  return { values, scalar, dtype };
}
