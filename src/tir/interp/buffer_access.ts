/**
 * BufferLoad and BufferStore: element (i0, i1, ...) of a buffer lives at storage position
 * (elem_offset + sum(i_k * stride_k)) * lanes. Every access is bounds-checked against the
 * buffer's shape, so a schedule bug that reads or writes outside a buffer fails loudly with
 * the buffer, the indices and the shape instead of reading a neighbour's data.
 */
import type { Buffer } from "../../ir/buffer.js";
import type { BufferLoad, PrimExpr } from "../../ir/expr.js";
import type { BufferStore } from "../stmt.js";
import {
  CompileContext, InterpreterError, type BufferBinding, type ExprFn, type Frame, type StmtFn,
} from "./context.js";
import { normalizer } from "./scalar_ops.js";

function oob(kind: "load from" | "store to", b: BufferBinding, idx: readonly number[], where: string): InterpreterError {
  return new InterpreterError(
    `out-of-bounds ${kind} buffer ${b.name}${where}: indices [${idx.join(", ")}] are outside its shape [${b.shape.join(", ")}]`,
  );
}

/** Element offset of scalar indices, checking each against the shape. */
function elemOffset(b: BufferBinding, idx: readonly number[], kind: "load from" | "store to", where: string): number {
  let off = b.offset;
  for (let d = 0; d < idx.length; d++) {
    const i = idx[d]!;
    if (!(i >= 0 && i < b.shape[d]!)) throw oob(kind, b, idx, where);
    off += i * b.strides[d]!;
  }
  return off;
}

/** Whether the access is the plain scalar case (one lane, no predicate). */
function isScalarAccess(buffer: Buffer, indices: readonly PrimExpr[], predicate: PrimExpr | undefined): boolean {
  return buffer.dtype.lanes === 1 && !predicate && indices.every((i) => i.dtype.lanes === 1);
}

export function compileLoad(ctx: CompileContext, e: BufferLoad, compile: (x: PrimExpr) => ExprFn): ExprFn {
  const idx = e.indices.map(compile);
  const slot = ctx.useBuffer(e.buffer);
  const where = ctx.where();
  if (isScalarAccess(e.buffer, e.indices, e.predicate)) {
    switch (idx.length) {
      case 0:
        return (f) => {
          const b = f.o[slot] as BufferBinding;
          return b.data[b.offset]!;
        };
      case 1: {
        const [c0] = idx as [ExprFn];
        return (f) => {
          const b = f.o[slot] as BufferBinding;
          const i0 = c0(f);
          if (!(i0 >= 0 && i0 < b.shape[0]!)) throw oob("load from", b, [i0], where);
          return b.data[b.offset + i0 * b.strides[0]!]!;
        };
      }
      case 2: {
        const [c0, c1] = idx as [ExprFn, ExprFn];
        return (f) => {
          const b = f.o[slot] as BufferBinding;
          const i0 = c0(f), i1 = c1(f);
          const s = b.shape;
          if (!(i0 >= 0 && i0 < s[0]! && i1 >= 0 && i1 < s[1]!)) throw oob("load from", b, [i0, i1], where);
          return b.data[b.offset + i0 * b.strides[0]! + i1 * b.strides[1]!]!;
        };
      }
      case 3: {
        const [c0, c1, c2] = idx as [ExprFn, ExprFn, ExprFn];
        return (f) => {
          const b = f.o[slot] as BufferBinding;
          const i0 = c0(f), i1 = c1(f), i2 = c2(f);
          const s = b.shape;
          if (!(i0 >= 0 && i0 < s[0]! && i1 >= 0 && i1 < s[1]! && i2 >= 0 && i2 < s[2]!)) {
            throw oob("load from", b, [i0, i1, i2], where);
          }
          const st = b.strides;
          return b.data[b.offset + i0 * st[0]! + i1 * st[1]! + i2 * st[2]!]!;
        };
      }
      default:
        return (f) => {
          const b = f.o[slot] as BufferBinding;
          return b.data[elemOffset(b, idx.map((c) => c(f)), "load from", where)]!;
        };
    }
  }
  const access = vectorAccess(ctx, e.buffer, e.indices, idx, e.predicate, compile, "load from");
  return (f) => {
    const b = f.o[slot] as BufferBinding;
    const out = new Array<number>(access.total);
    access.forEachLane(f, b, (pos, lane, active) => {
      out[lane] = active ? b.data[pos]! : 0;
    });
    return access.total === 1 ? out[0] : out;
  };
}

export function compileStore(ctx: CompileContext, s: BufferStore, compile: (x: PrimExpr) => ExprFn): StmtFn {
  const value = compile(s.value);
  const idx = s.indices.map(compile);
  const slot = ctx.useBuffer(s.buffer);
  const where = ctx.where();
  const dt = s.buffer.dtype;
  // float16/bfloat16 live in Float32Arrays: round on every store so the storage never holds
  // more precision than the type has.
  const round = dt.isFloat() && dt.bits === 16 ? normalizer(dt) : undefined;
  if (isScalarAccess(s.buffer, s.indices, s.predicate)) {
    if (round) {
      return (f) => {
        const b = f.o[slot] as BufferBinding;
        const off = elemOffset(b, idx.map((c) => c(f)), "store to", where);
        b.data[off] = round(value(f));
      };
    }
    switch (idx.length) {
      case 1: {
        const [c0] = idx as [ExprFn];
        return (f) => {
          const b = f.o[slot] as BufferBinding;
          const i0 = c0(f);
          if (!(i0 >= 0 && i0 < b.shape[0]!)) throw oob("store to", b, [i0], where);
          b.data[b.offset + i0 * b.strides[0]!] = value(f);
        };
      }
      case 2: {
        const [c0, c1] = idx as [ExprFn, ExprFn];
        return (f) => {
          const b = f.o[slot] as BufferBinding;
          const i0 = c0(f), i1 = c1(f);
          const sh = b.shape;
          if (!(i0 >= 0 && i0 < sh[0]! && i1 >= 0 && i1 < sh[1]!)) throw oob("store to", b, [i0, i1], where);
          b.data[b.offset + i0 * b.strides[0]! + i1 * b.strides[1]!] = value(f);
        };
      }
      default:
        return (f) => {
          const b = f.o[slot] as BufferBinding;
          const off = elemOffset(b, idx.map((c) => c(f)), "store to", where);
          b.data[off] = value(f);
        };
    }
  }
  const access = vectorAccess(ctx, s.buffer, s.indices, idx, s.predicate, compile, "store to");
  return (f) => {
    const b = f.o[slot] as BufferBinding;
    const v = value(f);
    const lanes: number[] = access.total === 1 ? [v as number] : (v as number[]);
    access.forEachLane(f, b, (pos, lane, active) => {
      if (active) b.data[pos] = round ? round(lanes[lane]!) : lanes[lane]!;
    });
  };
}

interface VectorAccess {
  /** Lanes of the accessed value: index lanes * buffer dtype lanes. */
  readonly total: number;
  /** Calls `g` with the storage position, the value lane and whether the predicate allows it. */
  forEachLane(f: Frame, b: BufferBinding, g: (pos: number, lane: number, active: boolean) => void): void;
}

/** The general access: vector indices (Ramp, Broadcast, ...), vector buffer dtypes, predicates. */
function vectorAccess(
  ctx: CompileContext,
  buffer: Buffer,
  indices: readonly PrimExpr[],
  idx: readonly ExprFn[],
  predicate: PrimExpr | undefined,
  compile: (x: PrimExpr) => ExprFn,
  kind: "load from" | "store to",
): VectorAccess {
  const vec = indices.map((i) => i.dtype.lanes > 1);
  let L = 1;
  for (const i of indices) L = Math.max(L, i.dtype.lanes);
  for (const i of indices) {
    if (i.dtype.lanes !== 1 && i.dtype.lanes !== L) {
      throw ctx.error(`indices of buffer ${buffer.name} have different lane counts (${indices.map((x) => x.dtype).join(", ")})`);
    }
  }
  const bl = buffer.dtype.lanes;
  const total = L * bl;
  const pred = predicate ? compile(predicate) : undefined;
  const pl = predicate?.dtype.lanes ?? 1;
  if (predicate && pl !== 1 && pl !== L && pl !== total) {
    throw ctx.error(`predicate of an access to buffer ${buffer.name} has ${pl} lanes, expected ${total}`);
  }
  const where = ctx.where();
  const nd = idx.length;
  return {
    total,
    forEachLane(f, b, g) {
      const iv = idx.map((c) => c(f));
      const m = pred ? pred(f) : undefined;
      const laneIdx = new Array<number>(nd);
      for (let l = 0; l < L; l++) {
        let anyActive = true;
        if (m !== undefined) {
          if (pl === 1) anyActive = !!m;
          else if (pl === L) anyActive = !!(m as number[])[l];
          else {
            anyActive = false;
            for (let k = 0; k < bl; k++) if ((m as number[])[l * bl + k]) anyActive = true;
          }
        }
        for (let d = 0; d < nd; d++) laneIdx[d] = vec[d] ? (iv[d] as number[])[l]! : (iv[d] as number);
        if (!anyActive) {
          for (let k = 0; k < bl; k++) g(0, l * bl + k, false);
          continue;
        }
        const base = elemOffset(b, laneIdx, kind, where) * b.lanes;
        for (let k = 0; k < bl; k++) {
          const active = m === undefined || pl !== total ? true : !!(m as number[])[l * bl + k];
          g(base + k, l * bl + k, active);
        }
      }
    },
  };
}
