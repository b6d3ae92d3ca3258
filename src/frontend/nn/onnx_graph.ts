/**
 * The ONNX side of the nn builder: a Graph whose values are tensor names, written with the
 * OnnxGraphBuilder at opset 17, and `exportOnnx` producing a ModelProto (or its bytes) with
 * every weight as an initializer and symbolic dims as dim_params. Opset 17 has no Gelu, so GELU
 * is written out as x * 0.5 * (1 + erf(x / sqrt(2))), as PyTorch exports it.
 */
import { OnnxGraphBuilder, onnxFloat } from "../onnx/builder.js";
import { encodeModel, type IModelProto } from "../onnx/proto.js";
import type { Conv2dAttrs, Graph, InputSpec, Module, Parameter } from "./module.js";

export class OnnxGraph implements Graph<string> {
  private readonly params = new Map<Parameter, string>();
  constructor(readonly g: OnnxGraphBuilder) {}

  /** Registers `p` as initializer `name` (export does this for all parameters up front, in order). */
  addInitializer(p: Parameter, name: string): void {
    this.params.set(p, this.g.initializer(name, "float32", p.shape, p.data));
  }

  param(p: Parameter): string {
    let n = this.params.get(p);
    if (!n) this.params.set(p, (n = this.g.initializer(this.g.fresh("param"), "float32", p.shape, p.data)));
    return n;
  }

  /** Scalars are Constant nodes (as PyTorch exports them), not initializers: they are not weights. */
  scalar(v: number): string {
    return this.g.op("Constant", [], { value: { dtype: "float32", shape: [], data: [v] } });
  }

  add(a: string, b: string): string {
    return this.g.op("Add", [a, b]);
  }
  sub(a: string, b: string): string {
    return this.g.op("Sub", [a, b]);
  }
  mul(a: string, b: string): string {
    return this.g.op("Mul", [a, b]);
  }
  div(a: string, b: string): string {
    return this.g.op("Div", [a, b]);
  }
  matmul(a: string, b: string): string {
    return this.g.op("MatMul", [a, b]);
  }
  transpose(x: string, perm: readonly number[]): string {
    return this.g.op("Transpose", [x], { perm });
  }
  reshape(x: string, spec: readonly number[]): string {
    return this.g.op("Reshape", [x, this.g.ints(spec, "shape")]);
  }
  softmax(x: string, axis: number): string {
    return this.g.op("Softmax", [x], { axis });
  }
  relu(x: string): string {
    return this.g.op("Relu", [x]);
  }

  gelu(x: string): string {
    const erf = this.g.op("Erf", [this.div(x, this.scalar(Math.SQRT2))]);
    return this.mul(this.mul(x, this.scalar(0.5)), this.add(erf, this.scalar(1)));
  }

  layerNorm(x: string, gamma: Parameter, beta: Parameter, eps: number): string {
    return this.g.op("LayerNormalization", [x, this.param(gamma), this.param(beta)], { axis: -1, epsilon: onnxFloat(eps) });
  }

  batchNorm(x: string, scale: Parameter, bias: Parameter, mean: Parameter, variance: Parameter, eps: number): string {
    return this.g.op("BatchNormalization", [x, this.param(scale), this.param(bias), this.param(mean), this.param(variance)], { epsilon: onnxFloat(eps) });
  }

  conv2d(x: string, w: Parameter, b: Parameter | undefined, a: Conv2dAttrs): string {
    const ins = [x, this.param(w), ...(b ? [this.param(b)] : [])];
    const [t, l, bo, r] = a.padding;
    return this.g.op("Conv", ins, {
      kernel_shape: w.shape.slice(2), strides: [...a.strides], pads: [t, l, bo, r], dilations: [...a.dilation], group: a.groups,
    });
  }

  maxPool2d(x: string, kernel: readonly [number, number], strides: readonly [number, number]): string {
    return this.g.op("MaxPool", [x], { kernel_shape: [...kernel], strides: [...strides] });
  }

  globalAvgPool(x: string): string {
    return this.g.op("GlobalAveragePool", [x]);
  }

  gather(table: Parameter, ids: string): string {
    return this.g.op("Gather", [this.param(table), ids], { axis: 0 });
  }
}

export interface ExportOnnxOptions {
  /** Default-domain opset (default 17). */
  opset?: number;
  /** Name of the graph output (default "output"). */
  outputName?: string;
}

/** The model as an ONNX ModelProto: inputs with dim_params, weights as initializers. */
export function exportOnnxModel(model: Module, inputs: readonly InputSpec[], opts: ExportOnnxOptions = {}): IModelProto {
  if (inputs.length === 0) throw new TypeError("exportOnnx: give at least one input (name and shape)");
  const b = new OnnxGraphBuilder(model.constructor.name);
  const g = new OnnxGraph(b);
  const xs = inputs.map((i) => b.input(i.name, i.dtype ?? "float32", i.shape));
  for (const [name, p] of model.namedParameters()) g.addInitializer(p, name);
  const y = model.forward(g, ...xs);
  const out = opts.outputName ?? "output";
  // The result gets the requested name through an Identity (the forward may return an input).
  b.node("Identity", [y], {}, [out], "output");
  b.output(out, "float32");
  return b.model(opts.opset ?? 17);
}

export function exportOnnx(model: Module, inputs: readonly InputSpec[], opts: ExportOnnxOptions = {}): Uint8Array {
  return encodeModel(exportOnnxModel(model, inputs, opts));
}
