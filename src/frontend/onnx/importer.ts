/**
 * importOnnx: an ONNX ModelProto -> a Relax IRModule with one function (`main` by default).
 *
 * - Graph inputs become parameters with TensorStructInfo. A `dim_param` dim becomes an int64
 *   symbolic var shared by name across all inputs (so two inputs with "batch" agree); a
 *   `dim_value` dim is a constant; a dim with neither gets a fresh var of its own.
 * - Initializers become Constants, or parameters after the inputs with `keepParamsInInput`.
 * - Nodes are converted in order inside one dataflow block; graph outputs leave it through
 *   emitOutput (several outputs as a tuple).
 * - Before anything is converted every node is checked against the converter table, so a
 *   model with unsupported ops fails once, listing all of them.
 */
import { int64 } from "../../ir/dtype.js";
import { Var as TirVar, type PrimExpr } from "../../ir/expr.js";
import type { IRModule } from "../../ir/module.js";
import { BlockBuilder, ShapeExpr, TensorStructInfo, Tuple, Var, type Expr } from "../../relax/index.js";
import { i64 } from "../shape_util.js";
import { ImportContext, NodeView, type ConvertResult } from "./context.js";
import { decodeModel, dtypeFromOnnx, onnx, tensorValue, toNumber, type IGraphProto, type IModelProto, type IValueInfoProto } from "./proto.js";
import { lookupConverter, supportedOps } from "./registry.js";
import "./ops_elementwise.js";
import "./ops_nn.js";
import "./ops_shape.js";
import "./ops_logical.js";
import "./ops_norm.js";
import "./ops_arg_cumsum.js";
import "./ops_resize.js";
import "./ops_attention.js";
import "./ops_conv_transpose.js";
import "./ops_einsum.js";
import "./ops_topk.js";

/** The default-domain opsets whose semantics the converters implement. */
export const MIN_OPSET = 13;
export const MAX_OPSET = 21;

export interface ImportOptions {
  /**
   * Initializers become trailing parameters of main instead of Constants (TVM's
   * keep_params_in_input); small int vectors (shapes, axes) stay Constants.
   */
  keepParamsInInput?: boolean;
  /** Name of the Relax function (default "main"). */
  entry?: string;
  /**
   * Overrides for input shapes, by input name: numbers are static dims, strings symbolic ones
   * (e.g. `{ input: ["batch", 3, 224, 224] }`). Use it when the model leaves dims unknown.
   */
  inputShapes?: Readonly<Record<string, readonly (number | string)[]>>;
  /** Import even when the model's opset is outside 13..21 (the converters may then be wrong). */
  allowAnyOpset?: boolean;
}

/** Turns an ONNX name ("input.1", "onnx::MatMul_7") into a valid Relax identifier. */
export function sanitizeName(name: string): string {
  let s = name.replace(/[^A-Za-z0-9_]/g, "_");
  if (!/^[A-Za-z_]/.test(s)) s = `v_${s}`;
  return s;
}

function defaultOpset(model: IModelProto): number {
  const imports = model.opsetImport ?? [];
  const d = imports.find((o) => !o.domain || o.domain === "ai.onnx");
  if (!d) throw new TypeError("importOnnx: the model imports no default-domain (ai.onnx) opset; it is not a standard ONNX model");
  return toNumber(d.version, "opset version");
}

/** Every node whose op weft cannot convert, as one error. */
function checkSupported(graph: IGraphProto, opset: number): void {
  const bad: string[] = [];
  (graph.node ?? []).forEach((n, i) => {
    const domain = n.domain ?? "";
    const conv = domain === "" || domain === "ai.onnx" ? lookupConverter(n.opType ?? "") : undefined;
    const label = `${domain && domain !== "ai.onnx" ? `${domain}.` : ""}${n.opType || "<no op_type>"} (node ${n.name ? `'${n.name}', ` : ""}#${i})`;
    if (!conv) bad.push(label);
    else if (opset < conv.since) bad.push(`${label} needs opset >= ${conv.since}`);
  });
  if (bad.length > 0) {
    throw new TypeError(`importOnnx: unsupported ONNX ops (opset ${opset}): ${bad.join(", ")} — weft supports: ${supportedOps().join(", ")}`);
  }
}

/** The struct info of a graph input, creating/reusing symbolic vars by dim_param name. */
function inputStructInfo(vi: IValueInfoProto, symbols: Map<string, TirVar>, override: readonly (number | string)[] | undefined, fresh: () => string): TensorStructInfo {
  const name = vi.name ?? "";
  const tt = vi.type?.tensorType;
  if (!tt) throw new TypeError(`importOnnx: graph input '${name}' is not a tensor (sequences, maps and optionals are not supported)`);
  const dtype = dtypeFromOnnx(tt.elemType ?? 0, `graph input '${name}'`);
  const sym = (s: string) => {
    let v = symbols.get(s);
    if (!v) symbols.set(s, (v = new TirVar(sanitizeName(s), int64)));
    return v;
  };
  if (override) {
    return new TensorStructInfo(new ShapeExpr(override.map((d) => (typeof d === "number" ? i64(d) : sym(d)))), dtype);
  }
  if (!tt.shape) return new TensorStructInfo(-1, dtype);
  const dims: PrimExpr[] = (tt.shape.dim ?? []).map((d) => {
    if (d.dimParam) return sym(d.dimParam);
    // Decoded messages default dim_value to 0 on the prototype: only an own field was written.
    if (Object.prototype.hasOwnProperty.call(d, "dimValue") && d.dimValue !== null && d.dimValue !== undefined) return i64(toNumber(d.dimValue, `graph input '${name}' dim`));
    return sym(fresh());
  });
  return new TensorStructInfo(new ShapeExpr(dims), dtype);
}

/** Imports an ONNX model (its bytes or a decoded ModelProto) as a Relax IRModule. */
export function importOnnx(model: Uint8Array | IModelProto, opts: ImportOptions = {}): IRModule {
  const m: IModelProto = model instanceof Uint8Array ? decodeModel(model) : model;
  if (!m || typeof m !== "object") throw new TypeError("importOnnx: expected the model's bytes or an onnx.ModelProto");
  const graph = m.graph;
  if (!graph) throw new TypeError("importOnnx: the model has no graph (is this an ONNX model? ModelProto.graph is empty)");
  if ((graph.output ?? []).length === 0) throw new TypeError("importOnnx: the graph has no outputs; nothing to compute");
  const opset = defaultOpset(m);
  if (!opts.allowAnyOpset && (opset < MIN_OPSET || opset > MAX_OPSET)) {
    throw new TypeError(
      `importOnnx: the model uses opset ${opset}; weft converts opsets ${MIN_OPSET}..${MAX_OPSET} (convert it with onnx.version_converter, or pass allowAnyOpset to try anyway)`,
    );
  }
  checkSupported(graph, opset);

  const initNames = new Set((graph.initializer ?? []).map((t) => t.name ?? ""));
  const realInputs = (graph.input ?? []).filter((vi) => !initNames.has(vi.name ?? ""));
  const overrides = opts.inputShapes ?? {};
  for (const k of Object.keys(overrides)) {
    if (!realInputs.some((vi) => vi.name === k)) {
      throw new TypeError(`importOnnx: inputShapes names '${k}', which is not a graph input (inputs: ${realInputs.map((v) => v.name).join(", ") || "none"})`);
    }
  }

  const bb = new BlockBuilder();
  const ctx = new ImportContext(bb, opset);
  const symbols = new Map<string, TirVar>();
  let freshCount = 0;
  const fresh = () => {
    while (symbols.has(`d${freshCount}`)) freshCount++;
    return `d${freshCount++}`;
  };
  const usedNames = new Set<string>();
  const paramName = (raw: string) => {
    let s = sanitizeName(raw), k = 1;
    while (usedNames.has(s)) s = `${sanitizeName(raw)}_${k++}`;
    usedNames.add(s);
    return s;
  };
  // Named dims first, so a fresh var never takes a dim_param's name.
  for (const vi of realInputs) for (const d of vi.type?.tensorType?.shape?.dim ?? []) if (d.dimParam && !symbols.has(d.dimParam)) symbols.set(d.dimParam, new TirVar(sanitizeName(d.dimParam), int64));

  const params: Var[] = [];
  for (const vi of realInputs) {
    const v = new Var(paramName(vi.name ?? ""), inputStructInfo(vi, symbols, overrides[vi.name ?? ""], fresh));
    params.push(v);
    ctx.values.set(vi.name ?? "", v);
  }
  for (const t of graph.initializer ?? []) {
    const value = tensorValue(t, `initializer '${t.name}'`);
    // Small int vectors are shapes and axes: they stay Constants so shape folding still works.
    const shapeLike = value.dtype.isIntegral() && value.shape.length <= 1 && value.data.length <= 64;
    if (opts.keepParamsInInput && !shapeLike) {
      const v = new Var(paramName(t.name ?? ""), new TensorStructInfo(new ShapeExpr(value.shape), value.dtype));
      params.push(v);
      ctx.values.set(t.name ?? "", v);
    } else ctx.setConstant(t.name ?? "", value);
  }

  const entry = opts.entry ?? "main";
  bb.function(entry, params, () =>
    bb.dataflow(() => {
      (graph.node ?? []).forEach((proto, i) => convertNode(new NodeView(proto, i, ctx)));
      const outs = (graph.output ?? []).map((o, i) => {
        const name = o.name ?? "";
        if (!ctx.values.has(name) && !ctx.known.has(name)) {
          throw new TypeError(`importOnnx: graph output '${name}' is not produced by any node, input or initializer (check the output names)`);
        }
        // A NodeView reads it like a node input would (known values become Constants).
        return new NodeView({ opType: "graph output", name, input: [name] }, i, ctx).input(0);
      });
      return bb.emitOutput(outs.length === 1 ? outs[0]! : new Tuple(outs));
    }),
  );
  return bb.getModule();
}

function convertNode(node: NodeView): void {
  const conv = lookupConverter(node.opType)!;
  try {
    bindOutputs(node, conv.convert(node));
  } catch (e) {
    // Relax inference errors name the Relax op; say which ONNX node they came from.
    const msg = (e as Error).message;
    if (msg.startsWith("ONNX ")) throw e;
    throw node.error(msg);
  }
}

function bindOutputs(node: NodeView, result: ConvertResult | undefined): void {
  const outs = node.outputs;
  const list = result === undefined ? [] : Array.isArray(result) ? (result as readonly (Expr | undefined)[]) : [result as Expr];
  outs.forEach((name, i) => {
    if (!name) return;
    const v = list[i];
    if (v === undefined) {
      if (!node.ctx.known.has(name) && !node.ctx.values.has(name)) throw node.error(`produced no value for output ${i} ('${name}')`);
      return;
    }
    // Leaves (constants, params) are shared as they are; calls get a binding named after the output.
    const bound = v.kind === "relax.Call" || v.kind === "relax.TupleGetItem" ? node.bb.emit(v, sanitizeName(name)) : v;
    node.ctx.values.set(name, bound);
  });
}

export { onnx };
