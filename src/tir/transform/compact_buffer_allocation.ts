/**
 * CompactBufferAllocation: a buffer allocated by a block (`alloc_buffers`) is shrunk to the
 * region its accesses cover inside that block, and every access is shifted by the region's
 * start. Run after PlanAndUpdateBufferAllocationLocation and ConvertBlocksToOpaque, so that
 * temporaries sit under the loops they live in and accesses are written in loop variables:
 *
 *     for i_0 in range(4):                      for i_0 in range(4):
 *         with T.block(""):                          with T.block(""):
 *             C_l = T.alloc_buffer((16, 16))  ->         C_l = T.alloc_buffer((4, 16))
 *             ... C_l[i_0 * 4 + i_1, j] ...               ... C_l[i_0 * 4 + i_1 - i_0 * 4, j] ...
 *
 * Each access is relaxed over the loops between the allocation and the access (evalSet), the
 * sets are unioned per dimension, clipped to the buffer shape, and a dimension is narrowed only
 * when the new extent is provably smaller; an extent that still depends on outer loops is
 * replaced by its constant upper bound. Indices are rewritten as `index - min` without
 * simplification (Simplify runs next in the pipeline), exactly as TVM does.
 *
 * storage_align (a `buffer_dim_align` annotation `[[write_index, axis, factor, offset], ...]` on
 * a block writing the buffer) is realized here, as in TVM: the compacted buffer gets strides,
 * innermost first, each padded so that `stride % factor == offset`.
 *
 * Not handled (the buffer keeps its shape): buffers with explicit strides, accesses through the
 * data pointer, indices using let-bound variables or block-local definitions; conditions (if /
 * T.where) do not narrow regions. Preconditions: inits lowered, blocks opaque.
 */
import { Buffer, BufferRegion } from "../../ir/buffer.js";
import { int32 } from "../../ir/dtype.js";
import { BufferLoad, IntImm, Range, type PrimExpr, type Var } from "../../ir/expr.js";
import * as ops from "../../ir/expr_ops.js";
import { usesVar } from "../../ir/expr_functor.js";
import { Analyzer } from "../../arith/analyzer.js";
import { IntervalSet, evalSet, evalSetRange, union, type IntSet } from "../../arith/int_set.js";
import { Block, BufferStore, LetStmt, MatchBufferRegion, type For, type Stmt } from "../stmt.js";
import { StmtExprMutator, StmtExprVisitor, postOrderVisitStmt } from "../stmt_functor.js";
import { primFuncPass, type Pass } from "./pass.js";

interface Tracked {
  /** Number of variables defined (loops, lets) when the buffer was allocated. */
  readonly defCount: number;
  /** Union of the accessed sets per dimension; undefined until the first access. */
  sets: IntSet[] | undefined;
  /** Set when some access cannot be described in variables visible at the allocation. */
  giveUp: boolean;
}

/** Collects, for every allocated buffer, the region accessed below its allocation. */
class AccessRegionCollector extends StmtExprVisitor {
  readonly analyzer = new Analyzer();
  /** Currently defined loop / let variables with their definition position. */
  private readonly defined = new Map<Var, number>();
  /** Loop variables by position (undefined for let variables) with their ranges. */
  private readonly loops: ({ v: Var; set: IntSet } | undefined)[] = [];
  private readonly tracked = new Map<Buffer, Tracked>();
  private readonly trackedByData = new Map<Var, Tracked>();
  readonly regions = new Map<Buffer, Range[]>();

  private define(v: Var, set: IntSet | undefined): void {
    this.defined.set(v, this.loops.length);
    this.loops.push(set ? { v, set } : undefined);
  }
  private undefine(v: Var): void {
    this.defined.delete(v);
    this.loops.pop();
  }

  override visitFor(f: For): void {
    this.visitExpr(f.min);
    this.visitExpr(f.extent);
    const range = new Range(f.min, f.extent);
    if (f.loopVar.dtype.isIntegral()) this.analyzer.bind(f.loopVar, range, true);
    this.define(f.loopVar, IntervalSet.fromRange(range));
    this.visitStmt(f.body);
    this.undefine(f.loopVar);
  }

  override visitStmt(s: Stmt): void {
    if (s instanceof LetStmt) {
      this.visitExpr(s.value);
      this.define(s.variable, undefined);
      this.visitStmt(s.body);
      this.undefine(s.variable);
      return;
    }
    super.visitStmt(s);
  }

  override visitBlock(b: Block): void {
    if (b.init) throw new Error(`block "${b.nameHint}" still has an init (T.init()); expected LowerInitBlock to run first`);
    if (b.iterVars.length > 0) {
      throw new Error(`block "${b.nameHint}" still has iter vars; expected an opaque block (run ConvertBlocksToOpaque first)`);
    }
    for (const buf of b.allocBuffers) {
      const t: Tracked = { defCount: this.loops.length, sets: undefined, giveUp: buf.strides.length > 0 };
      this.tracked.set(buf, t);
      this.trackedByData.set(buf.data, t);
    }
    for (const m of b.matchBuffers) this.access(m.source.buffer, m.source.region);
    super.visitBlock(b);
    for (const buf of b.allocBuffers) {
      this.regions.set(buf, this.narrow(buf, this.tracked.get(buf)!));
      this.tracked.delete(buf);
      this.trackedByData.delete(buf.data);
    }
  }

  override visitVar(v: Var): void {
    // An opaque use of a tracked buffer's data pointer: its layout must stay.
    const t = this.trackedByData.get(v);
    if (t) t.giveUp = true;
  }

  override visitBufferLoad(e: BufferLoad): void {
    this.access(e.buffer, e.indices);
    super.visitBufferLoad(e);
  }

  override visitBufferStore(s: BufferStore): void {
    this.access(s.buffer, s.indices);
    super.visitBufferStore(s);
  }

  private access(buf: Buffer, where: readonly (PrimExpr | Range)[]): void {
    const t = this.tracked.get(buf);
    if (!t || t.giveUp) return;
    const dom = new Map<Var, IntSet>();
    for (let i = t.defCount; i < this.loops.length; i++) {
      const l = this.loops[i];
      if (l) dom.set(l.v, l.set);
    }
    const inner = (v: Var) => (this.defined.get(v) ?? -1) >= t.defCount;
    const sets = where.map((w) => {
      if (w instanceof Range) return evalSetRange(w, dom, this.analyzer);
      // A vector index (Ramp / Broadcast) covers its lanes: relax it like a range.
      return evalSet(w, dom, this.analyzer);
    });
    for (const s of sets) {
      if (!s.hasLowerBound() || !s.hasUpperBound() || usesVar(s.min, inner) || usesVar(s.max, inner)) {
        t.giveUp = true;
        return;
      }
    }
    t.sets = t.sets ? t.sets.map((s, i) => union(s, sets[i]!, this.analyzer)) : sets;
  }

  /** The region to keep per dimension (the full dimension when nothing smaller is proven). */
  private narrow(buf: Buffer, t: Tracked): Range[] {
    const full = buf.shape.map((s) => Range.fromExtent(s));
    if (t.giveUp || !t.sets) return full;
    const a = this.analyzer;
    return t.sets.map((s, i) => {
      const shape = buf.shape[i]!;
      let lo = s.min, hi = s.max;
      if (lo.dtype !== shape.dtype || hi.dtype !== shape.dtype) return full[i]!;
      if (!a.canProve(ops.ge(lo, 0))) lo = a.simplify(ops.max(lo, 0));
      if (!a.canProve(ops.lt(hi, shape))) hi = a.simplify(ops.min(hi, ops.sub(shape, 1)));
      const raw = a.simplify(ops.add(ops.sub(hi, lo), 1));
      let extent: IntImm;
      if (raw instanceof IntImm) extent = raw;
      else {
        // Clipping makes the extent a min/max expression whose bound is loose; the unclipped
        // extent also covers every access (they lie in [lo, s.max] with lo >= s.min).
        const unclipped = a.simplify(ops.add(ops.sub(s.max, s.min), 1));
        const bound = Math.min(a.constIntBound(raw).max, a.constIntBound(unclipped).max);
        if (!Number.isFinite(bound)) return full[i]!;
        extent = new IntImm(shape.dtype, bound);
      }
      if (extent.value <= 0 || a.canProve(ops.ge(extent, shape))) return full[i]!;
      return new Range(a.simplify(lo), extent);
    });
  }
}

interface DimAlign {
  readonly factor: number;
  readonly offset: number;
}

/** storage_align requests by buffer: `buffer_dim_align` annotations name written buffers by index. */
function collectDimAligns(body: Stmt): Map<Buffer, (DimAlign | undefined)[]> {
  const out = new Map<Buffer, (DimAlign | undefined)[]>();
  postOrderVisitStmt(body, (s) => {
    if (!(s instanceof Block)) return;
    const ann = s.annotations["buffer_dim_align"];
    if (ann === undefined) return;
    const bad = () =>
      new Error(`block "${s.nameHint}": expected "buffer_dim_align" to be a list of [write_index, axis, factor, offset] integers`);
    if (!Array.isArray(ann)) throw bad();
    for (const t of ann as readonly unknown[]) {
      const nums = Array.isArray(t) ? (t as unknown[]).map((x) => (x instanceof IntImm ? x.value : x)) : [];
      if (nums.length !== 4 || !nums.every((x) => typeof x === "number" && Number.isInteger(x))) throw bad();
      const [index, axis, factor, offset] = nums as number[];
      const buf = s.writes[index!]?.buffer;
      if (!buf) throw new Error(`block "${s.nameHint}": "buffer_dim_align" names write ${index}, but the block writes ${s.writes.length} buffer(s)`);
      if (axis! < 0 || axis! >= buf.ndim || factor! <= 0) {
        throw new Error(`block "${s.nameHint}": "buffer_dim_align" of ${buf.name}: expected an axis in [0, ${buf.ndim}) and a positive factor, got axis ${axis}, factor ${factor}`);
      }
      const list = out.get(buf) ?? new Array<DimAlign | undefined>(buf.ndim).fill(undefined);
      list[axis!] = { factor: factor!, offset: offset! };
      out.set(buf, list);
    }
  });
  return out;
}

/** Row-major strides with each aligned dimension's stride padded to `offset` modulo `factor`. */
function alignedStrides(shape: readonly PrimExpr[], aligns: readonly (DimAlign | undefined)[], a: Analyzer): PrimExpr[] {
  const strides = new Array<PrimExpr>(shape.length);
  let stride: PrimExpr = new IntImm(shape[0]?.dtype ?? int32, 1);
  for (let dim = shape.length - 1; dim >= 0; dim--) {
    const al = aligns[dim];
    if (al) {
      const pad = ops.floormod(ops.sub(ops.add(al.factor, al.offset), ops.floormod(stride, al.factor)), al.factor);
      stride = a.simplify(ops.add(stride, pad));
    }
    strides[dim] = stride;
    stride = a.simplify(ops.mul(stride, shape[dim]!));
  }
  return strides;
}

/** Rewrites allocations to their compact shapes and accesses to the shifted indices. */
class BufferCompactor extends StmtExprMutator {
  constructor(private readonly info: ReadonlyMap<Buffer, { buffer: Buffer; mins: readonly PrimExpr[] }>) {
    super();
  }

  private shift(indices: readonly PrimExpr[], mins: readonly PrimExpr[]): PrimExpr[] {
    return indices.map((x, i) => ops.sub(x, mins[i]!));
  }

  override visitBufferLoad(e: BufferLoad): PrimExpr {
    const v = super.visitBufferLoad(e) as BufferLoad;
    const inf = this.info.get(v.buffer);
    if (!inf) return v;
    return new BufferLoad(inf.buffer, this.shift(v.indices, inf.mins), v.predicate);
  }

  override visitBufferStore(s: BufferStore): Stmt {
    const v = super.visitBufferStore(s) as BufferStore;
    const inf = this.info.get(v.buffer);
    if (!inf) return v;
    return new BufferStore(inf.buffer, v.value, this.shift(v.indices, inf.mins), v.predicate);
  }

  private region(r: BufferRegion): BufferRegion {
    const inf = this.info.get(r.buffer);
    if (!inf) return r;
    return new BufferRegion(inf.buffer, r.region.map((x, i) => new Range(ops.sub(x.min, inf.mins[i]!), x.extent)));
  }

  private regions(rs: readonly BufferRegion[]): readonly BufferRegion[] {
    const out = rs.map((r) => this.region(r));
    return out.every((r, i) => r === rs[i]) ? rs : out;
  }

  override visitBlock(b: Block): Stmt {
    const v = super.visitBlock(b) as Block;
    const allocBuffers = v.allocBuffers.map((x) => this.info.get(x)?.buffer ?? x);
    const reads = this.regions(v.reads), writes = this.regions(v.writes);
    let mbChanged = false;
    const matchBuffers = v.matchBuffers.map((m) => {
      const src = this.region(m.source);
      if (src === m.source) return m;
      mbChanged = true;
      return new MatchBufferRegion(m.buffer, src);
    });
    const allocChanged = allocBuffers.some((x, i) => x !== v.allocBuffers[i]);
    if (!allocChanged && reads === v.reads && writes === v.writes && !mbChanged) return v;
    return v.with({ allocBuffers, reads, writes, matchBuffers });
  }
}

/** Shrinks block-allocated buffers to the region accessed under their allocation. */
export const CompactBufferAllocation: Pass = primFuncPass("CompactBufferAllocation", (func) => {
  const collector = new AccessRegionCollector();
  collector.visitStmt(func.body);
  const aligns = collectDimAligns(func.body);
  const info = new Map<Buffer, { buffer: Buffer; mins: readonly PrimExpr[] }>();
  for (const [buf, region] of collector.regions) {
    const align = buf.strides.length === 0 ? aligns.get(buf) : undefined;
    const changed = region.some((r, i) => r.extent !== buf.shape[i] || !(r.min instanceof IntImm && r.min.value === 0));
    if (!changed && !align) continue;
    const shape = region.map((r) => r.extent);
    const strides = align ? alignedStrides(shape, align, collector.analyzer) : buf.strides;
    info.set(buf, { buffer: buf.with({ shape, strides }), mins: region.map((r) => r.min) });
  }
  if (info.size === 0) return func;
  return func.withBody(new BufferCompactor(info).visitStmt(func.body));
});
