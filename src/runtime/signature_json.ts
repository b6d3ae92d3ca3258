/**
 * Function signatures as data: what a saved kernel artifact records so that a loader can make
 * the `ArgChecker` of each function without the PrimFunc. Shape expressions that are neither a
 * constant nor a symbol are kept as a small expression tree (`DimExpr`) and compiled to a closure
 * on load; storage classes are recorded as "the dtype's NDArray storage class".
 */
import { dtypeOf } from "../ir/dtype.js";
import type { DimSpec, FuncSignature, ParamSpec } from "./module.js";
import { storageClassOf } from "./ndarray.js";

/** An integer shape expression over the signature's symbols. */
export type DimExpr =
  | { readonly op: "const"; readonly value: number }
  | { readonly op: "sym"; readonly sym: number }
  | { readonly op: DimBinaryOp; readonly a: DimExpr; readonly b: DimExpr };

export const DIM_BINARY_OPS = ["add", "sub", "mul", "floordiv", "floormod", "div", "mod", "min", "max"] as const;
export type DimBinaryOp = (typeof DIM_BINARY_OPS)[number];

export class SignatureFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SignatureFormatError";
  }
}

/** Compiles a DimExpr to a function of the symbol values. */
export function compileDimExpr(e: DimExpr): (s: Float64Array) => number {
  switch (e.op) {
    case "const": {
      const v = e.value;
      return () => v;
    }
    case "sym": {
      const k = e.sym;
      return (s) => s[k]!;
    }
    default: {
      const x = compileDimExpr(e.a), y = compileDimExpr(e.b);
      switch (e.op) {
        case "add": return (s) => x(s) + y(s);
        case "sub": return (s) => x(s) - y(s);
        case "mul": return (s) => x(s) * y(s);
        case "floordiv": return (s) => Math.floor(x(s) / y(s));
        case "floormod": return (s) => { const a = x(s), m = y(s); return a - Math.floor(a / m) * m; };
        case "div": return (s) => Math.trunc(x(s) / y(s));
        case "mod": return (s) => x(s) % y(s);
        case "min": return (s) => Math.min(x(s), y(s));
        case "max": return (s) => Math.max(x(s), y(s));
        default: throw new SignatureFormatError(`signature: unknown shape expression operator ${JSON.stringify((e as { op: unknown }).op)}`);
      }
    }
  }
}

type DimJson = { kind: "const"; value: number } | { kind: "sym"; sym: number } | { kind: "expr"; text: string; expr: DimExpr };

type ParamJson =
  | { kind: "buffer"; name: string; dtype: string; shape: DimJson[]; strides?: DimJson[]; storage: boolean }
  | { kind: "scalar"; name: string; dtype: string; sym?: number };

export interface SignatureJson {
  name: string;
  symbols: string[];
  params: ParamJson[];
}

function dimJson(d: DimSpec, fname: string): DimJson {
  if (d.kind !== "expr") return { ...d };
  if (!d.expr) throw new SignatureFormatError(`${fname}: the shape expression ${d.text} has no expression tree, so it cannot be saved`);
  return { kind: "expr", text: d.text, expr: d.expr };
}

/** The signature as JSON-ready data (throws for a shape expression that has no DimExpr). */
export function signatureToJson(sig: FuncSignature): SignatureJson {
  return {
    name: sig.name,
    symbols: [...sig.symbols],
    params: sig.params.map((p): ParamJson => {
      if (p.kind === "scalar") return { kind: "scalar", name: p.name, dtype: p.dtype.toString(), ...(p.sym !== undefined ? { sym: p.sym } : {}) };
      return {
        kind: "buffer", name: p.name, dtype: p.dtype.toString(), shape: p.shape.map((d) => dimJson(d, sig.name)),
        ...(p.strides ? { strides: p.strides.map((d) => dimJson(d, sig.name)) } : {}), storage: p.storage !== undefined,
      };
    }),
  };
}

function dimFromJson(d: DimJson, where: string): DimSpec {
  switch (d?.kind) {
    case "const": return { kind: "const", value: d.value };
    case "sym": return { kind: "sym", sym: d.sym };
    case "expr": return { kind: "expr", text: d.text, expr: d.expr, eval: compileDimExpr(d.expr) };
    default: throw new SignatureFormatError(`${where}: unknown dimension ${JSON.stringify(d)}`);
  }
}

/** Rebuilds a signature saved by `signatureToJson`. */
export function signatureFromJson(j: SignatureJson): FuncSignature {
  if (typeof j?.name !== "string" || !Array.isArray(j.params) || !Array.isArray(j.symbols)) {
    throw new SignatureFormatError(`signature: expected { name, symbols, params }, got ${JSON.stringify(j)?.slice(0, 200)}`);
  }
  const params = j.params.map((p): ParamSpec => {
    const where = `signature of ${j.name}, parameter ${p.name}`;
    const dtype = dtypeOf(p.dtype);
    if (p.kind === "scalar") return { kind: "scalar", name: p.name, dtype, ...(p.sym !== undefined ? { sym: p.sym } : {}) };
    if (p.kind !== "buffer") throw new SignatureFormatError(`${where}: unknown parameter kind ${JSON.stringify((p as { kind: unknown }).kind)}`);
    return {
      kind: "buffer", name: p.name, dtype, shape: p.shape.map((d) => dimFromJson(d, where)),
      ...(p.strides ? { strides: p.strides.map((d) => dimFromJson(d, where)) } : {}),
      ...(p.storage ? { storage: storageClassOf(dtype) } : {}),
    };
  });
  return { name: j.name, params, symbols: [...j.symbols] };
}
