/** Small IR builders shared by the interpreter tests (constructors only, no parser). */
import { DataType, bool, handle, int32, type DTypeLike, dtypeOf } from "../../src/ir/dtype.js";
import { Buffer, type BufferOptions } from "../../src/ir/buffer.js";
import { IntImm, PrimExpr, Range, Var } from "../../src/ir/expr.js";
import {
  Block, BlockRealize, BufferStore, For, IterVar, type BlockFields, type ForKind, type Stmt,
} from "../../src/tir/stmt.js";
import { PrimFunc } from "../../src/tir/function.js";
import { emptyArray, runPrimFunc, toArray, type HostArray } from "../../src/tir/interp/index.js";

export const i32 = (v: number): IntImm => new IntImm(int32, v);
export const TRUE = new IntImm(bool, 1);

export function buf(name: string, dtype: DTypeLike, shape: readonly (number | PrimExpr)[], opts?: BufferOptions): Buffer {
  return new Buffer(name, dtypeOf(dtype), shape.map((s) => (typeof s === "number" ? i32(s) : s)), opts);
}

/** A serial loop nest; `vars[k]` runs over [0, extents[k]). */
export function loops(vars: readonly [Var, number | PrimExpr][], body: Stmt, kind: ForKind = "serial"): Stmt {
  let s = body;
  for (let k = vars.length - 1; k >= 0; k--) {
    const [v, e] = vars[k]!;
    s = new For(v, i32(0), typeof e === "number" ? i32(e) : e, kind, s);
  }
  return s;
}

export interface IterSpec {
  v: Var;
  ext: number | PrimExpr;
  min?: number;
  kind?: "S" | "R";
  bind: PrimExpr;
}

/** A BlockRealize with the given iter vars (spatial by default). */
export function realize(
  name: string,
  iters: readonly IterSpec[],
  body: Stmt,
  extra: Omit<BlockFields, "iterVars" | "body" | "nameHint"> = {},
  predicate: PrimExpr = TRUE,
): BlockRealize {
  const iterVars = iters.map((it) => {
    const ext = typeof it.ext === "number" ? i32(it.ext) : it.ext;
    return new IterVar(new Range(i32(it.min ?? 0), ext), it.v, it.kind === "R" ? "CommReduce" : "DataPar");
  });
  const block = new Block({ nameHint: name, iterVars, body, ...extra });
  return new BlockRealize(
    iters.map((it) => it.bind),
    predicate,
    block,
  );
}

/** A PrimFunc whose buffer parameters are given as buffers and scalars as vars. */
export function primFunc(params: readonly (Buffer | Var)[], body: Stmt, rootAllocs: readonly Buffer[] = []): PrimFunc {
  const ps: Var[] = [];
  const map = new Map<Var, Buffer>();
  for (const p of params) {
    if (p instanceof Buffer) {
      const v = new Var(p.name.toLowerCase() + "_handle", handle);
      ps.push(v);
      map.set(v, p);
    } else ps.push(p);
  }
  const root = BlockRealize.of(new Block({ nameHint: "root", body, allocBuffers: rootAllocs }));
  return new PrimFunc(ps, root, map, { global_symbol: "main" });
}

/**
 * Evaluates `e` by storing it into a one-element buffer; `scalars` become parameters.
 * Returns a number for scalar expressions and the lanes for vector ones.
 */
export function evalExpr(e: PrimExpr, scalars: readonly [Var, number][] = []): number | number[] {
  const out = buf("out", e.dtype, [1]);
  const f = primFunc([...scalars.map(([v]) => v), out], new BufferStore(out, e, [i32(0)]));
  const arr = emptyArray([1], e.dtype);
  runPrimFunc(f, [...scalars.map(([, x]) => x), arr]);
  const vals = toArray(arr);
  return e.dtype.lanes === 1 ? vals[0]! : vals;
}

/** A fresh scalar variable of a dtype. */
export function v(name: string, dtype: DTypeLike = int32): Var {
  return new Var(name, dtypeOf(dtype));
}

export function naiveMatmul(a: HostArray, b: HostArray, n: number, m: number, k: number): number[] {
  const A = toArray(a), B = toArray(b);
  const out = new Array<number>(n * m).fill(0);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < m; j++) {
      let s = 0;
      for (let q = 0; q < k; q++) s = Math.fround(s + Math.fround(A[i * k + q]! * B[q * m + j]!));
      out[i * m + j] = s;
    }
  }
  return out;
}

export type { DataType };
