/**
 * The Relax side of the nn builder: a Graph whose values are Relax exprs, emitted binding by
 * binding into one dataflow block with the BlockBuilder, and `exportRelax` wrapping a model
 * into an IRModule with a `main` function. Weights are Constants, or trailing parameters with
 * `paramsAsInputs` (in `namedParameters` order, named like the ONNX importer names them).
 */
import { DataType, float32, int64 } from "../../ir/dtype.js";
import { Var as TirVar } from "../../ir/expr.js";
import type { IRModule } from "../../ir/module.js";
import { BlockBuilder, Constant, ShapeExpr, TensorStructInfo, Var, op, type Expr } from "../../relax/index.js";
import { sanitizeName } from "../onnx/importer.js";
import { dimsOf, i64, rankOf, resolveReshape } from "../shape_util.js";
import type { Conv2dAttrs, Graph, InputSpec, Module, Parameter } from "./module.js";

export class RelaxGraph implements Graph<Expr> {
  private readonly params = new Map<Parameter, Expr>();
  /** Set (by `fusedAttention`) to write attention as one R.nn.attention. */
  attention?: (q: Expr, k: Expr, v: Expr, scale: number) => Expr;
  constructor(
    readonly bb: BlockBuilder,
    fusedAttention = false,
  ) {
    if (fusedAttention) this.attention = (q, k, v, scale) => this.emit(op.nn.attention(q, k, v, { scale }));
  }

  /** Makes `p` a function parameter instead of a Constant. */
  bindParam(p: Parameter, v: Var): void {
    this.params.set(p, v);
  }

  private emit(e: Expr): Expr {
    return this.bb.emit(e);
  }

  param(p: Parameter): Expr {
    let v = this.params.get(p);
    if (!v) this.params.set(p, (v = new Constant(float32, p.shape, Array.from(p.data))));
    return v;
  }

  scalar(v: number): Expr {
    return new Constant(float32, [], [v]);
  }

  add(a: Expr, b: Expr): Expr {
    return this.emit(op.add(a, b));
  }
  sub(a: Expr, b: Expr): Expr {
    return this.emit(op.subtract(a, b));
  }
  mul(a: Expr, b: Expr): Expr {
    return this.emit(op.multiply(a, b));
  }
  div(a: Expr, b: Expr): Expr {
    return this.emit(op.divide(a, b));
  }
  matmul(a: Expr, b: Expr): Expr {
    return this.emit(op.matmul(a, b));
  }
  transpose(x: Expr, perm: readonly number[]): Expr {
    return this.emit(op.permuteDims(x, perm));
  }

  reshape(x: Expr, spec: readonly number[]): Expr {
    const dims = resolveReshape(dimsOf(x, "nn reshape"), spec.map(i64), this.bb.analyzer, false, "nn reshape");
    return this.emit(op.reshape(x, new ShapeExpr(dims)));
  }

  softmax(x: Expr, axis: number): Expr {
    return this.emit(op.nn.softmax(x, axis));
  }
  relu(x: Expr): Expr {
    return this.emit(op.nn.relu(x));
  }
  gelu(x: Expr): Expr {
    return this.emit(op.nn.gelu(x));
  }

  layerNorm(x: Expr, gamma: Parameter, beta: Parameter, eps: number): Expr {
    return this.emit(op.nn.layerNorm(x, this.param(gamma), this.param(beta), [rankOf(x, "nn layerNorm") - 1], eps));
  }

  batchNorm(x: Expr, scale: Parameter, bias: Parameter, mean: Parameter, variance: Parameter, eps: number): Expr {
    const c = scale.shape[0]!;
    const chan = [c, ...new Array<number>(Math.max(rankOf(x, "nn batchNorm") - 2, 0)).fill(1)];
    const r = (p: Parameter) => this.emit(op.reshape(this.param(p), chan));
    const inv = this.emit(op.divide(r(scale), this.emit(op.sqrt(this.emit(op.add(r(variance), this.scalar(eps)))))));
    return this.emit(op.add(this.emit(op.multiply(this.emit(op.subtract(x, r(mean))), inv)), r(bias)));
  }

  conv2d(x: Expr, w: Parameter, b: Parameter | undefined, a: Conv2dAttrs): Expr {
    const y = this.emit(op.nn.conv2d(x, this.param(w), { strides: a.strides, padding: a.padding, dilation: a.dilation, groups: a.groups }));
    if (!b) return y;
    return this.emit(op.add(y, this.emit(op.reshape(this.param(b), [1, b.shape[0]!, 1, 1]))));
  }

  maxPool2d(x: Expr, kernel: readonly [number, number], strides: readonly [number, number]): Expr {
    return this.emit(op.nn.maxPool2d(x, kernel, { strides }));
  }

  globalAvgPool(x: Expr): Expr {
    const rank = rankOf(x, "nn globalAvgPool");
    return this.emit(op.mean(x, Array.from({ length: rank - 2 }, (_, i) => i + 2), true));
  }

  gather(table: Parameter, ids: Expr): Expr {
    return this.emit(op.take(this.param(table), ids, 0));
  }
}

export interface ExportRelaxOptions {
  /** Weights become trailing parameters of main instead of Constants. */
  paramsAsInputs?: boolean;
  /** MultiHeadAttention becomes one R.nn.attention instead of matmul + softmax + matmul. */
  fusedAttention?: boolean;
  entry?: string;
}

/** Symbolic dims by name, shared across inputs (as the ONNX importer shares dim_params). */
export function inputVars(inputs: readonly InputSpec[]): Var[] {
  const syms = new Map<string, TirVar>();
  const sym = (s: string) => {
    let v = syms.get(s);
    if (!v) syms.set(s, (v = new TirVar(s, int64)));
    return v;
  };
  return inputs.map((i) => {
    const shape = new ShapeExpr(i.shape.map((d) => (typeof d === "number" ? i64(d) : sym(d))));
    return new Var(sanitizeName(i.name), new TensorStructInfo(shape, DataType.parse(i.dtype ?? "float32")));
  });
}

/** Builds `main(inputs...) -> model.forward(inputs...)` as a Relax IRModule. */
export function exportRelax(model: Module, inputs: readonly InputSpec[], opts: ExportRelaxOptions = {}): IRModule {
  if (inputs.length === 0) throw new TypeError("exportRelax: give at least one input (name and shape)");
  const bb = new BlockBuilder();
  const g = new RelaxGraph(bb, opts.fusedAttention ?? false);
  const params = inputVars(inputs);
  if (opts.paramsAsInputs) {
    for (const [name, p] of model.namedParameters()) {
      const v = new Var(sanitizeName(name), new TensorStructInfo(new ShapeExpr(p.shape), float32));
      g.bindParam(p, v);
      params.push(v);
    }
  }
  bb.function(opts.entry ?? "main", params, () =>
    bb.dataflow(() => bb.emitOutput(model.forward(g, ...params.slice(0, inputs.length)))),
  );
  return bb.getModule();
}
