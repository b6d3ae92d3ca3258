/**
 * NarrowDataType: int64 loop variables, let variables and index arithmetic become int32 where
 * the analyzer proves that every value they take fits in int32 (TVM's NarrowDataType(32)).
 * Relax kernels index with int64 (their shapes are int64); targets without native int64
 * arithmetic (wasm keeps int64 in f64 with exactness checks) pay for it at every access.
 *
 * What is narrowed: a For's variable (with its min and extent), a LetStmt's variable, buffer
 * indices, allocation extents, buffer shapes, the operands of comparisons and of casts. An
 * int64 expression becomes int32 only when the constant bound of it and of each of its
 * sub-expressions lies in [-2^31, 2^31), so the int32 operations never overflow and compute
 * exactly the int64 values (a division, modulo, min or max of int32 operands needs no bound of
 * its own: its result lies between them, INT32_MIN / -1 aside). Everything else stays int64; a
 * narrowed variable used there comes back through a cast. Scalar parameters stay as they are.
 *
 * Symbolic shapes: a symbolic dimension (a SizeVar of a parameter buffer) has no bound of its
 * own, so nothing computed from it is narrowed, unless `memoryBytes` says how much memory the
 * target can address at most (wasm32: the module's maximum memory). Every non-empty buffer
 * must fit there: for a buffer of E-byte elements with constant dims of product C and the
 * symbolic dim v appearing k times, v <= floor((memoryBytes / (E * C)) ^ (1 / k)) (the other
 * dims are at least 1). That bound is not trusted: the function asserts it at entry, so it is
 * a checked fact for the analyzer; only a call with an empty buffer of
 * an absurd dimension could fail it, and it fails with an error naming the dimension. The dim
 * itself becomes an int32 SizeVar in the parameter buffers' shapes, so the runtime binds it as
 * int32 (the wasm module range-checks the value before converting it).
 *
 * Buffer indices with `memoryBytes` <= 2^31: an in-bounds index is below 2^31 (an element takes
 * a byte at least), so the sums and products of an index may be computed in wrapping int32
 * arithmetic, exact modulo 2^32, and the final value is exact even where the bounds of a
 * part are too loose to prove (`(i // (n * 768)) * n * 768`, a reshape's, is 0 but bounded by
 * n^2 * 768); divisions, modulo and the like in it still need exact operands. Accesses that
 * are not executed (false guards, masked lanes) do not matter. This relies on the target's
 * int32 arithmetic wrapping, as wasm's does; on other targets give no `memoryBytes`.
 */
import { int32, int64, type DataType } from "../../ir/dtype.js";
import {
  Broadcast, BufferLoad, Cast, IntImm, LE, Ramp, Range, Select, SizeVar, StringImm, Var, type BinaryOp, type CmpOp, type PrimExpr,
} from "../../ir/expr.js";
import { binaryCtors } from "../../ir/expr_functor.js";
import { Analyzer } from "../../arith/analyzer.js";
import type { Buffer } from "../../ir/buffer.js";
import type { PrimFunc } from "../function.js";
import { Allocate, AssertStmt, BufferStore, DeclBuffer, For, LetStmt, type Stmt } from "../stmt.js";
import { StmtExprMutator } from "../stmt_functor.js";
import { primFuncPass, type Pass } from "./pass.js";

export interface NarrowDataTypeOptions {
  /**
   * The most bytes the target's memory can hold (every buffer lives in it): symbolic dims of
   * parameter buffers are bounded by it, and the bounds are asserted at entry. Undefined: no
   * such bound (64-bit targets), symbolic expressions stay int64. At most 2^31 on a target
   * whose int32 arithmetic wraps (wasm): buffer indices may then use wrapping int32 sums.
   */
  memoryBytes?: number;
}

const I32_MIN = -(2 ** 31);
const I32_MAX = 2 ** 31 - 1;
const ARITH = new Set(["Add", "Sub", "Mul", "Div", "Mod", "FloorDiv", "FloorMod", "Min", "Max"]);
const DIVS = new Set(["Div", "Mod", "FloorDiv", "FloorMod"]);
const CMP = new Set(["EQ", "NE", "LT", "LE", "GT", "GE"]);

const isI64 = (t: DataType): boolean => t.element() === int64;

/** floor(x ^ (1 / k)) for x >= 0, exact for the integers involved (up to 2^53). */
function intRoot(x: number, k: number): number {
  if (k === 1) return Math.floor(x);
  let r = Math.floor(Math.pow(x, 1 / k));
  while (Math.pow(r + 1, k) <= x) r++;
  while (r > 0 && Math.pow(r, k) > x) r--;
  return r;
}

/** Bytes of one element of `b` (at least 1: bools and sub-byte types take a byte or more). */
function elemBytes(b: Buffer): number {
  return Math.max(1, Math.ceil((b.dtype.bits * b.dtype.lanes) / 8));
}

/** Upper bounds of the symbolic dims of the parameter buffers, from the memory size. */
export function symbolicDimBounds(f: PrimFunc, memoryBytes: number): Map<Var, number> {
  const out = new Map<Var, number>();
  for (const b of f.bufferMap.values()) {
    let constProd = 1;
    const count = new Map<Var, number>();
    for (const d of b.shape) {
      if (d instanceof IntImm) constProd *= Math.max(1, d.value);
      else if (d instanceof Var && d.dtype.isInt() && d.dtype.lanes === 1) count.set(d, (count.get(d) ?? 0) + 1);
    }
    const room = Math.floor(memoryBytes / (elemBytes(b) * constProd));
    for (const [v, k] of count) {
      const bound = intRoot(room, k);
      out.set(v, Math.min(out.get(v) ?? Infinity, bound));
    }
  }
  return out;
}

class Narrower extends StmtExprMutator {
  readonly analyzer = new Analyzer();
  /** int64 variables and their int32 replacements. */
  readonly narrowed = new Map<Var, Var>();
  /** The symbolic dims made int32 (the parameter buffers' shapes define the new vars). */
  readonly dimVars = new Map<Var, Var>();
  private readonly memo = new Map<PrimExpr, PrimExpr | null>();
  private readonly buffers = new Map<Buffer, Buffer>();

  constructor(
    dims: ReadonlyMap<Var, number>,
    private readonly indexWraps: boolean,
  ) {
    super();
    for (const [v, bound] of dims) {
      if (!isI64(v.dtype) || bound > I32_MAX) continue;
      const v32 = new SizeVar(v.name, int32);
      this.narrowed.set(v, v32);
      this.dimVars.set(v, v32);
      this.analyzer.bind(v, new Range(new IntImm(v.dtype, 0), new IntImm(v.dtype, bound + 1)), true);
    }
  }

  /** `b` with its shape, strides and offset narrowed (a symbolic dim standing alone becomes its int32 var). */
  buffer(b: Buffer): Buffer {
    const hit = this.buffers.get(b);
    if (hit) return hit;
    const dim = (d: PrimExpr): PrimExpr => (d instanceof Var && this.dimVars.get(d)) || this.narrow(d) || this.visitExpr(d);
    const shape = b.shape.map(dim);
    // Offset and strides follow the shape when it all became int32 (as a parsed int32 buffer has them).
    const all32 = shape.every((d) => d.dtype === int32);
    const other = (d: PrimExpr): PrimExpr => (all32 ? dim(d) : this.visitExpr(d));
    const strides = b.strides.map(other), elemOffset = other(b.elemOffset);
    const same = shape.every((x, i) => x === b.shape[i]) && strides.every((x, i) => x === b.strides[i]) && elemOffset === b.elemOffset;
    const out = same ? b : b.with({ shape, strides, elemOffset });
    this.buffers.set(b, out);
    return out;
  }

  private fits(e: PrimExpr): boolean {
    const b = this.analyzer.constIntBound(e);
    return b.min >= I32_MIN && b.max <= I32_MAX;
  }

  /** The int32 form of an int64 expression, if every value in it provably fits in int32. */
  narrow(e: PrimExpr): PrimExpr | undefined {
    if (!isI64(e.dtype)) return undefined;
    const hit = this.memo.get(e);
    if (hit !== undefined) return hit ?? undefined;
    const r = this.narrowNew(e);
    this.memo.set(e, r ?? null);
    return r;
  }

  private narrowNew(e: PrimExpr): PrimExpr | undefined {
    if (e instanceof Cast) {
      // int64(x) of a narrower signed integer (or small unsigned one): x widened to int32 at most.
      const from = e.value.dtype.element();
      if (from === int32) return this.visitExpr(e.value);
      if (from.isBool() || (from.isInt() && from.bits < 32) || (from.isUInt() && from.bits < 32)) {
        return new Cast(int32.withLanes(e.dtype.lanes), this.visitExpr(e.value));
      }
      return undefined;
    }
    if (e instanceof Select) {
      const t = this.narrow(e.trueValue), f = this.narrow(e.falseValue);
      return t && f ? new Select(this.visitExpr(e.condition), t, f) : undefined;
    }
    if (DIVS.has(e.kind) || e.kind === "Min" || e.kind === "Max") {
      // No bound of their own needed (the analyzer gives none when the divisor's range holds 0):
      // min / max is an operand; for b != 0, |a / b| <= |a| and |a % b| < |b|, so only
      // INT32_MIN / -1 can leave int32 (division by 0 is undefined in both widths).
      const b = e as BinaryOp;
      const x = this.narrow(b.a), y = this.narrow(b.b);
      if (!x || !y) return undefined;
      if (DIVS.has(e.kind) && this.analyzer.constIntBound(b.a).min <= I32_MIN && this.analyzer.constIntBound(b.b).min < 0) return undefined;
      return new binaryCtors[b.kind]!(x, y);
    }
    if (!this.fits(e)) return undefined;
    if (e instanceof IntImm) return new IntImm(int32, e.value);
    if (e instanceof Var) return this.narrowed.get(e);
    if (e instanceof Ramp) {
      const base = this.narrow(e.base), stride = this.narrow(e.stride);
      return base && stride ? new Ramp(base, stride, e.lanes) : undefined;
    }
    if (e instanceof Broadcast) {
      const v = this.narrow(e.value);
      return v ? new Broadcast(v, e.lanes) : undefined;
    }
    if (ARITH.has(e.kind)) {
      const b = e as BinaryOp;
      const x = this.narrow(b.a), y = this.narrow(b.b);
      return x && y ? new binaryCtors[b.kind]!(x, y) : undefined;
    }
    return undefined;
  }

  /** `e` in a place that takes any integer type: narrowed when it can be, rewritten otherwise. */
  private anyInt(e: PrimExpr): PrimExpr {
    return this.narrow(e) ?? this.visitExpr(e);
  }

  /**
   * A buffer index, when every index is below 2^31 (`indexWraps`): sums and products may be
   * computed in wrapping int32 arithmetic, which is exact modulo 2^32 (a ring), so the final
   * value, which lies in [0, 2^31), comes out exact. Their other operands must be exact.
   */
  private index(e: PrimExpr): PrimExpr {
    return (this.indexWraps ? this.wrapping(e) : this.narrow(e)) ?? this.visitExpr(e);
  }

  private wrapping(e: PrimExpr): PrimExpr | undefined {
    if (!isI64(e.dtype)) return undefined;
    const exact = this.narrow(e);
    if (exact) return exact;
    if (e.kind === "Add" || e.kind === "Sub" || e.kind === "Mul") {
      const b = e as BinaryOp;
      const x = this.wrapping(b.a), y = this.wrapping(b.b);
      return x && y ? new binaryCtors[b.kind]!(x, y) : undefined;
    }
    if (e instanceof Ramp) {
      const base = this.wrapping(e.base), stride = this.wrapping(e.stride);
      return base && stride ? new Ramp(base, stride, e.lanes) : undefined;
    }
    if (e instanceof Broadcast) {
      const v = this.wrapping(e.value);
      return v ? new Broadcast(v, e.lanes) : undefined;
    }
    return undefined;
  }

  override visitVar(v: Var): PrimExpr {
    const n = this.narrowed.get(v);
    if (!n) return v;
    return new Cast(int64.withLanes(v.dtype.lanes), n);
  }

  override visitExpr(e: PrimExpr): PrimExpr {
    if (CMP.has(e.kind)) {
      const c = e as CmpOp;
      if (isI64(c.a.dtype)) {
        const a = this.narrow(c.a), b = this.narrow(c.b);
        if (a && b) return new binaryCtors[c.kind]!(a, b);
      }
      return super.visitExpr(e);
    }
    if (e instanceof Cast && isI64(e.value.dtype) && !isI64(e.dtype)) {
      const v = this.narrow(e.value);
      if (v) return e.dtype.element() === int32 ? v : new Cast(e.dtype, v);
    }
    return super.visitExpr(e);
  }

  override visitBufferLoad(e: BufferLoad): PrimExpr {
    const idx = e.indices.map((i) => this.index(i));
    const p = e.predicate ? this.visitExpr(e.predicate) : undefined;
    const b = this.buffer(e.buffer);
    if (b === e.buffer && idx.every((x, k) => x === e.indices[k]) && p === e.predicate) return e;
    return new BufferLoad(b, idx, p);
  }

  override visitBufferStore(s: BufferStore): Stmt {
    const v = this.visitExpr(s.value);
    const idx = s.indices.map((i) => this.index(i));
    const p = s.predicate ? this.visitExpr(s.predicate) : undefined;
    const b = this.buffer(s.buffer);
    if (b === s.buffer && v === s.value && idx.every((x, k) => x === s.indices[k]) && p === s.predicate) return s;
    return new BufferStore(b, v, idx, p);
  }

  override visitFor(f: For): Stmt {
    if (!isI64(f.loopVar.dtype) || f.loopVar.dtype.lanes !== 1) return super.visitFor(f);
    this.analyzer.bind(f.loopVar, new Range(f.min, f.extent), true);
    this.memo.clear();
    const min = this.narrow(f.min), extent = this.narrow(f.extent);
    const step = f.step ? this.narrow(f.step) : undefined;
    if (!min || !extent || (f.step && !step) || !this.fits(f.loopVar)) return super.visitFor(f);
    const v = new Var(f.loopVar.name, int32);
    this.narrowed.set(f.loopVar, v);
    return f.with({ loopVar: v, min, extent, body: this.visitStmt(f.body), ...(step ? { step } : {}) });
  }

  override visitStmt(s: Stmt): Stmt {
    if (s instanceof DeclBuffer) {
      const b = this.buffer(s.buffer), body = this.visitStmt(s.body);
      return b === s.buffer && body === s.body ? s : new DeclBuffer(b, body);
    }
    if (s instanceof Allocate) {
      const extents = s.extents.map((e) => this.anyInt(e)), body = this.visitStmt(s.body), cond = this.visitExpr(s.condition);
      if (body === s.body && cond === s.condition && extents.every((x, i) => x === s.extents[i])) return s;
      return new Allocate(s.bufferVar, s.dtype, extents, cond, body, s.annotations);
    }
    if (s instanceof LetStmt && isI64(s.variable.dtype) && s.variable.dtype.lanes === 1) {
      this.analyzer.bind(s.variable, s.value, true);
      this.memo.clear();
      const value = this.fits(s.variable) ? this.narrow(s.value) : undefined;
      if (!value) return super.visitStmt(s);
      const v = new Var(s.variable.name, int32);
      this.narrowed.set(s.variable, v);
      return new LetStmt(v, value, this.visitStmt(s.body));
    }
    return super.visitStmt(s);
  }
}

/** Narrows one PrimFunc (see the file comment). */
export function narrowDataType(f: PrimFunc, opts: NarrowDataTypeOptions = {}, funcName = "main"): PrimFunc {
  const dims = opts.memoryBytes !== undefined ? symbolicDimBounds(f, opts.memoryBytes) : new Map<Var, number>();
  for (const p of f.params) dims.delete(p); // a scalar parameter is passed as it is
  // Indices of in-bounds accesses are below 2^31 when the memory holds at most 2^31 bytes.
  const n = new Narrower(dims, opts.memoryBytes !== undefined && opts.memoryBytes <= 2 ** 31);
  let body = n.visitStmt(f.body);
  const bufferMap = new Map<Var, Buffer>();
  for (const [p, b] of f.bufferMap) bufferMap.set(p, n.buffer(b));
  if (body === f.body && [...f.bufferMap].every(([p, b]) => bufferMap.get(p) === b)) return f;
  // The bounds the narrowing relied on: true for every non-empty buffer, checked anyway.
  for (const [v, v32] of [...n.dimVars].reverse()) {
    const bound = dims.get(v)!;
    const msg = `${funcName}: the symbolic dimension ${v.name} must be at most ${bound}, so that its buffers fit in the target's ${opts.memoryBytes}-byte memory (is it a dimension of an empty array?)`;
    body = new AssertStmt(new LE(v32, new IntImm(int32, bound)), new StringImm(msg), body);
  }
  return f.with({ body, bufferMap });
}

/** The pass with given options (the default pipeline's `NarrowDataType` has none). */
export function narrowDataTypePass(opts: NarrowDataTypeOptions = {}): Pass {
  return primFuncPass("NarrowDataType", (f, name) => narrowDataType(f, opts, name));
}

export const NarrowDataType = narrowDataTypePass();
