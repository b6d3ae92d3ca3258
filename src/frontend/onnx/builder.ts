/**
 * OnnxGraphBuilder: writes ONNX models node by node (the nn builder's ONNX export and the
 * tests use it). Attribute values are plain JS values: an integer is an INT, a non-integer
 * number a FLOAT, `onnxFloat(1)` forces a FLOAT, arrays become INTS / FLOATS, strings STRING,
 * `{dtype, shape, data}` a TENSOR.
 */
import { DataType } from "../../ir/dtype.js";
import { encodeModel, makeTensor, onnx, onnxFromDtype, type IAttributeProto, type IModelProto, type INodeProto, type ITensorProto, type IValueInfoProto } from "./proto.js";

/** A float attribute even when the value is integral (alpha = 1.0). */
export interface FloatAttr {
  readonly float: number | readonly number[];
}
export const onnxFloat = (v: number | readonly number[]): FloatAttr => ({ float: v });

export interface TensorAttr {
  readonly dtype: string;
  readonly shape: readonly number[];
  readonly data: readonly number[];
}

export type OnnxAttrValue = number | readonly number[] | string | FloatAttr | TensorAttr;

/** A dim: a static size, a symbolic name (dim_param), or null (unknown). */
export type OnnxDim = number | string | null;

const AT = onnx.AttributeProto.AttributeType;

function attribute(name: string, v: OnnxAttrValue): IAttributeProto {
  if (typeof v === "string") return { name, type: AT.STRING, s: new TextEncoder().encode(v) };
  if (typeof v === "number") return Number.isInteger(v) ? { name, type: AT.INT, i: v } : { name, type: AT.FLOAT, f: v };
  if (Array.isArray(v)) {
    const xs = v as readonly number[];
    return xs.every(Number.isInteger) ? { name, type: AT.INTS, ints: [...xs] } : { name, type: AT.FLOATS, floats: [...xs] };
  }
  if ("float" in (v as FloatAttr)) {
    const f = (v as FloatAttr).float;
    return typeof f === "number" ? { name, type: AT.FLOAT, f } : { name, type: AT.FLOATS, floats: [...f] };
  }
  const t = v as TensorAttr;
  return { name, type: AT.TENSOR, t: makeTensor("", DataType.parse(t.dtype), t.shape, t.data) };
}

export function valueInfo(name: string, dtype: string, dims: readonly OnnxDim[] | undefined): IValueInfoProto {
  const elemType = onnxFromDtype(DataType.parse(dtype));
  const shape = dims && { dim: dims.map((d) => (d === null ? {} : typeof d === "number" ? { dimValue: d } : { dimParam: d })) };
  return { name, type: { tensorType: shape ? { elemType, shape } : { elemType } } };
}

export class OnnxGraphBuilder {
  readonly nodes: INodeProto[] = [];
  readonly inputs: IValueInfoProto[] = [];
  readonly outputs: IValueInfoProto[] = [];
  readonly initializers: ITensorProto[] = [];
  private counter = 0;
  private readonly names = new Set<string>();

  constructor(readonly name = "weft_graph") {}

  /** A fresh tensor name with `hint` as prefix. */
  fresh(hint: string): string {
    let n = hint;
    while (this.names.has(n)) n = `${hint}_${++this.counter}`;
    this.names.add(n);
    return n;
  }

  input(name: string, dtype: string, dims: readonly OnnxDim[] | undefined): string {
    this.names.add(name);
    this.inputs.push(valueInfo(name, dtype, dims));
    return name;
  }

  initializer(name: string, dtype: string, shape: readonly number[], data: ArrayLike<number>): string {
    this.names.add(name);
    this.initializers.push(makeTensor(name, DataType.parse(dtype), shape, data));
    return name;
  }

  /** Adds a node; returns its output names (fresh ones when `outputs` is a count). */
  node(opType: string, inputs: readonly string[], attrs: Readonly<Record<string, OnnxAttrValue>> = {}, outputs: number | readonly string[] = 1, name?: string): string[] {
    const outs = typeof outputs === "number" ? Array.from({ length: outputs }, () => this.fresh(opType.toLowerCase())) : [...outputs];
    for (const o of outs) this.names.add(o);
    const attribute_ = Object.entries(attrs).map(([k, v]) => attribute(k, v));
    this.nodes.push({ opType, input: [...inputs], output: outs, attribute: attribute_, name: name ?? `${opType}_${this.nodes.length}` });
    return outs;
  }

  /** One-output node shorthand. */
  op(opType: string, inputs: readonly string[], attrs: Readonly<Record<string, OnnxAttrValue>> = {}): string {
    return this.node(opType, inputs, attrs, 1)[0]!;
  }

  /** An int64 vector initializer (shapes, axes). */
  ints(values: readonly number[], hint = "const"): string {
    return this.initializer(this.fresh(hint), "int64", [values.length], values);
  }

  /** A 0-d initializer. */
  scalar(value: number, dtype = "float32", hint = "scalar"): string {
    return this.initializer(this.fresh(hint), dtype, [], [value]);
  }

  output(name: string, dtype = "float32", dims?: readonly OnnxDim[]): void {
    this.outputs.push(valueInfo(name, dtype, dims));
  }

  model(opset = 17): IModelProto {
    return {
      irVersion: 8,
      producerName: "weft",
      opsetImport: [{ domain: "", version: opset }],
      graph: { name: this.name, node: this.nodes, input: this.inputs, output: this.outputs, initializer: this.initializers },
    };
  }

  toBytes(opset = 17): Uint8Array {
    return encodeModel(this.model(opset));
  }
}
