/**
 * The runtime signature of a PrimFunc: what `ArgChecker` (src/runtime/module.ts) checks each
 * call against. Buffer parameters (through buffer_map) give dtype, rank, shape and declared
 * strides; scalar parameters give their dtype. Shape variables become symbols (a scalar
 * parameter used as a dimension is the same symbol), other shape expressions are evaluated
 * from the symbols once all are bound.
 */
import type { Buffer } from "../ir/buffer.js";
import type { DataType } from "../ir/dtype.js";
import type { BinaryOp, IntImm, PrimExpr, Var } from "../ir/expr.js";
import type { BufferParamSpec, DimSpec, FuncSignature, ParamSpec } from "../runtime/module.js";
import { compileDimExpr, type DimBinaryOp, type DimExpr } from "../runtime/signature_json.js";
import type { PrimFunc } from "../tir/function.js";
import { printScript } from "../tir/script/index.js";

export interface SignatureInfo {
  readonly signature: FuncSignature;
  /** Symbol index of every variable the signature binds (shape vars and scalar params). */
  readonly symbolOf: ReadonlyMap<Var, number>;
}

export type StorageOf = (dtype: DataType) => { readonly name: string; readonly prototype: object } | undefined;

function isVar(e: PrimExpr): e is Var {
  return e.kind === "Var" || e.kind === "SizeVar";
}

const BINARY: Record<string, DimBinaryOp> = {
  Add: "add", Sub: "sub", Mul: "mul", FloorDiv: "floordiv", FloorMod: "floormod", Div: "div", Mod: "mod", Min: "min", Max: "max",
};

/** An integer shape expression as data over the symbols (undefined when it uses other variables). */
function dimExprOf(e: PrimExpr, symbolOf: Map<Var, number>): DimExpr | undefined {
  if (e.kind === "IntImm") return { op: "const", value: (e as IntImm).value };
  if (isVar(e)) {
    const k = symbolOf.get(e);
    return k === undefined ? undefined : { op: "sym", sym: k };
  }
  if (e.kind === "Cast") return dimExprOf((e as unknown as { value: PrimExpr }).value, symbolOf);
  const op = BINARY[e.kind];
  if (!op) return undefined;
  const b = e as BinaryOp;
  const a = dimExprOf(b.a, symbolOf), c = dimExprOf(b.b, symbolOf);
  return a && c ? { op, a, b: c } : undefined;
}

/** Builds the signature of `func` (called `name`). */
export function primFuncSignature(func: PrimFunc, name: string, storageOf?: StorageOf): SignatureInfo {
  const symbols: string[] = [];
  const symbolOf = new Map<Var, number>();
  const newSym = (v: Var): number => {
    let k = symbolOf.get(v);
    if (k === undefined) {
      k = symbols.length;
      symbols.push(v.name);
      symbolOf.set(v, k);
    }
    return k;
  };
  // Scalar parameters first: a shape may be written with one.
  for (const p of func.params) {
    if (!func.bufferMap.has(p) && !p.dtype.isHandle() && p.dtype.isIntegral()) newSym(p);
  }
  const pending: { spec: { shape: DimSpec[]; strides?: DimSpec[] }; list: "shape" | "strides"; i: number; e: PrimExpr }[] = [];
  const params: ParamSpec[] = [];
  for (const p of func.params) {
    const b: Buffer | undefined = func.bufferMap.get(p);
    if (!b) {
      if (p.dtype.isHandle()) throw new Error(`${name}: parameter ${p.name} is a handle without a buffer in buffer_map; build needs buffer parameters`);
      if (p.dtype.lanes !== 1) throw new Error(`${name}: parameter ${p.name} is a vector (${p.dtype}); only scalars and buffers can be passed`);
      params.push({ kind: "scalar", name: p.name, dtype: p.dtype, sym: symbolOf.get(p) });
      continue;
    }
    const spec: { shape: DimSpec[]; strides?: DimSpec[] } = { shape: [] };
    const dim = (e: PrimExpr, list: "shape" | "strides", i: number): DimSpec => {
      if (e.kind === "IntImm") return { kind: "const", value: (e as IntImm).value };
      if (isVar(e)) return { kind: "sym", sym: newSym(e) };
      pending.push({ spec, list, i, e });
      return { kind: "const", value: -1 }; // replaced below, once every symbol is known
    };
    b.shape.forEach((s, i) => spec.shape.push(dim(s, "shape", i)));
    if (b.strides.length) spec.strides = b.strides.map((s, i) => dim(s, "strides", i));
    const full: BufferParamSpec = {
      kind: "buffer",
      name: b.name,
      dtype: b.dtype,
      shape: spec.shape,
      ...(spec.strides ? { strides: spec.strides } : {}),
      ...(storageOf?.(b.dtype) ? { storage: storageOf(b.dtype)! } : {}),
    };
    params.push(full);
  }
  for (const p of pending) {
    const expr = dimExprOf(p.e, symbolOf);
    if (!expr) throw new Error(`${name}: cannot check dimension ${printScript(p.e)} of a parameter at run time (it uses variables no argument defines)`);
    const d: DimSpec = { kind: "expr", text: printScript(p.e), eval: compileDimExpr(expr), expr };
    p.spec[p.list]![p.i] = d;
  }
  return { signature: { name, params, symbols }, symbolOf };
}
