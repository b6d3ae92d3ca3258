/** Builders shared by the printer tests: they keep the IR in the tests close to the TVMScript it prints as. */
import { Buffer, BufferRegion } from "../../src/ir/buffer.js";
import { float32, int32, type DataType } from "../../src/ir/dtype.js";
import { IntImm, PrimExpr, Range, Var } from "../../src/ir/expr.js";
import * as E from "../../src/ir/expr_ops.js";
import {
  Block, BlockRealize, BufferStore, For, IterVar, SeqStmt, type Annotations, type ForKind, type Stmt,
} from "../../src/tir/stmt.js";

export const c = (v: number, t: DataType = int32): IntImm => new IntImm(t, v);
export const f32 = (v: number): PrimExpr => E.constant(v, float32);
export const buf = (name: string, shape: ReadonlyArray<number | PrimExpr>, dtype: DataType = float32): Buffer =>
  new Buffer(name, dtype, shape.map((s) => (typeof s === "number" ? c(s) : s)));
export const ld = (b: Buffer, ...idx: E.ExprLike[]): PrimExpr => E.load(b, idx);
export const st = (b: Buffer, value: PrimExpr, ...idx: E.ExprLike[]): BufferStore =>
  new BufferStore(b, value, idx.map((i) => E.convert(i)));
export const seq = (...s: Stmt[]): Stmt => new SeqStmt(s);

export function loop(v: Var, extent: number | PrimExpr, body: Stmt, kind: ForKind = "serial", annotations: Annotations = {}): For {
  return new For(v, c(0, v.dtype), typeof extent === "number" ? c(extent, v.dtype) : extent, kind, body, undefined, annotations);
}

export const S = (v: Var, extent: number | PrimExpr): IterVar =>
  new IterVar(Range.fromExtent(typeof extent === "number" ? c(extent) : extent), v, "DataPar");
export const R = (v: Var, extent: number | PrimExpr): IterVar =>
  new IterVar(Range.fromExtent(typeof extent === "number" ? c(extent) : extent), v, "CommReduce");

/** A point region `B[i, j]` (extent 1 per index). */
export const pt = (b: Buffer, ...idx: PrimExpr[]): BufferRegion => new BufferRegion(b, idx.map((i) => new Range(i, c(1, i.dtype))));
/** A region with explicit [min, extent] pairs. */
export const rg = (b: Buffer, ...r: Array<[PrimExpr | number, PrimExpr | number]>): BufferRegion =>
  new BufferRegion(b, r.map(([m, e]) => new Range(typeof m === "number" ? c(m) : m, typeof e === "number" ? c(e) : e)));

export interface BlockSpec {
  name: string;
  iters?: Array<[IterVar, PrimExpr]>;
  reads?: BufferRegion[];
  writes?: BufferRegion[];
  init?: Stmt;
  body: Stmt;
  alloc?: Buffer[];
  annotations?: Annotations;
  where?: PrimExpr;
}

export function block(s: BlockSpec): BlockRealize {
  const iters = s.iters ?? [];
  return new BlockRealize(
    iters.map(([, v]) => v),
    s.where ?? c(1, DataTypeBool),
    new Block({
      nameHint: s.name,
      iterVars: iters.map(([iv]) => iv),
      reads: s.reads ?? [],
      writes: s.writes ?? [],
      init: s.init,
      body: s.body,
      allocBuffers: s.alloc ?? [],
      annotations: s.annotations ?? {},
    }),
  );
}

import { bool as DataTypeBool } from "../../src/ir/dtype.js";

/** The implicit root block every parsed function with blocks has. */
export const root = (body: Stmt, alloc: Buffer[] = []): BlockRealize =>
  block({ name: "root", body, alloc });

/** Strips the common indentation of a template literal and its first/last blank lines. */
export function dedent(text: string): string {
  const lines = text.split("\n");
  while (lines.length && lines[0]!.trim() === "") lines.shift();
  while (lines.length && lines[lines.length - 1]!.trim() === "") lines.pop();
  let min = Infinity;
  for (const l of lines) if (l.trim() !== "") min = Math.min(min, l.length - l.trimStart().length);
  return lines.map((l) => l.slice(Math.min(min, l.length))).join("\n");
}
