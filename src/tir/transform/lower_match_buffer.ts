/**
 * LowerMatchBuffer: a block's `match_buffer` views are removed; every use of a view becomes a
 * use of the region it was matched to.
 *
 * - `sub[i, j]` becomes `src[r0.min + i, r1.min + j]` (leading source dimensions that the
 *   view drops must have extent 1 and are indexed at their min); regions in nested blocks'
 *   reads / writes / match_buffers are rewritten the same way;
 * - the view's own variables are bound and substituted everywhere: its data pointer to the
 *   source's, its `elem_offset` to the flat offset of the region start, its strides to the
 *   source's strides (computed row-major when the source has none), its shape to the region
 *   extents. A field that is not a variable must provably equal what it is matched to.
 *
 * Preconditions, checked with messages naming the block and the view: the view and its source
 * agree on dtype and scope; a view declared with a zero elem_offset only matches a source
 * with a zero elem_offset; the region start is non-negative and meets the view's
 * offset_factor. Run after CompactBufferAllocation (as in TVM's pipeline), before flattening.
 */
import { Buffer, BufferRegion } from "../../ir/buffer.js";
import { Broadcast, BufferLoad, IntImm, Range, Var, type PrimExpr } from "../../ir/expr.js";
import * as ops from "../../ir/expr_ops.js";
import { substitute } from "../../ir/expr_functor.js";
import { Analyzer } from "../../arith/analyzer.js";
import { Block, BufferStore, MatchBufferRegion, type For, type Stmt } from "../stmt.js";
import { StmtExprMutator } from "../stmt_functor.js";
import { primFuncPass, type Pass } from "./pass.js";

const isZero = (e: PrimExpr) => e instanceof IntImm && e.value === 0;

/** `base + index`, broadcasting the scalar base over a vector index. */
function offsetIndex(base: PrimExpr, index: PrimExpr): PrimExpr {
  if (index.dtype.lanes > 1 && base.dtype.lanes === 1) {
    if (isZero(base)) return index;
    return ops.add(new Broadcast(base, index.dtype.lanes), index);
  }
  return ops.add(base, index);
}

class MatchBufferLowerer extends StmtExprMutator {
  private readonly varMap = new Map<Var, PrimExpr>();
  private readonly matched = new Map<Buffer, BufferRegion>();
  private readonly analyzer = new Analyzer();
  private blockName = "";

  override visitVar(v: Var): PrimExpr {
    return this.varMap.get(v) ?? v;
  }

  override visitFor(f: For): Stmt {
    if (f.loopVar.dtype.isIntegral() && f.loopVar.dtype.lanes === 1) {
      this.analyzer.bind(f.loopVar, new Range(this.visitExpr(f.min), this.visitExpr(f.extent)), true);
    }
    return super.visitFor(f);
  }

  /** The source region of `view[region]` (TVM's ConvertRegion). */
  private convertRegion(view: Buffer, source: BufferRegion, region: readonly Range[]): Range[] {
    const offset = source.region.length - region.length;
    const out: Range[] = [];
    for (let i = 0; i < offset; i++) {
      const r = source.region[i]!;
      if (!this.analyzer.canProveEqual(r.extent, new IntImm(r.extent.dtype, 1))) {
        throw this.fail(`match_buffer ${view.name}: source dimension ${i} of ${source.buffer.name} is dropped by the view but has extent ${r.extent}; expected 1`);
      }
      out.push(new Range(r.min, new IntImm(r.min.dtype, 1)));
    }
    region.forEach((r, i) => out.push(new Range(ops.add(source.region[i + offset]!.min, r.min), r.extent)));
    return out;
  }

  private indices(view: Buffer, source: BufferRegion, indices: readonly PrimExpr[]): PrimExpr[] {
    const offset = source.region.length - indices.length;
    const out: PrimExpr[] = [];
    for (let i = 0; i < offset; i++) out.push(source.region[i]!.min);
    indices.forEach((x, i) => out.push(offsetIndex(source.region[i + offset]!.min, x)));
    void view;
    return out;
  }

  override visitRegion(r: BufferRegion): BufferRegion {
    const v = super.visitRegion(r);
    const src = this.matched.get(v.buffer);
    if (!src) return v;
    return new BufferRegion(src.buffer, this.convertRegion(v.buffer, src, v.region));
  }

  override visitBufferLoad(e: BufferLoad): PrimExpr {
    const v = super.visitBufferLoad(e) as BufferLoad;
    const src = this.matched.get(v.buffer);
    if (!src) return v;
    return new BufferLoad(src.buffer, this.indices(v.buffer, src, v.indices), v.predicate);
  }

  override visitBufferStore(s: BufferStore): Stmt {
    const v = super.visitBufferStore(s) as BufferStore;
    const src = this.matched.get(v.buffer);
    if (!src) return v;
    return new BufferStore(src.buffer, v.value, this.indices(v.buffer, src, v.indices), v.predicate);
  }

  override visitBlock(b: Block): Stmt {
    const saved = this.blockName;
    this.blockName = b.nameHint;
    try {
      for (const m of b.matchBuffers) this.match(m);
      const v = super.visitBlock(b) as Block;
      return v.matchBuffers.length === 0 ? v : v.with({ matchBuffers: [] });
    } finally {
      this.blockName = saved;
    }
  }

  private fail(msg: string): Error {
    return new Error(`block "${this.blockName}": ${msg}`);
  }

  private match(m: MatchBufferRegion): void {
    const view = m.buffer;
    const source = this.visitRegion(m.source);
    const src = source.buffer;
    if (view.scope !== src.scope) {
      throw this.fail(`match_buffer ${view.name} has scope "${view.scope}" but its source ${src.name} has scope "${src.scope}"`);
    }
    if (view.dtype !== src.dtype) {
      throw this.fail(`match_buffer ${view.name} holds ${view.dtype} but its source ${src.name} holds ${src.dtype}`);
    }
    if (isZero(view.elemOffset) && !isZero(src.elemOffset)) {
      throw this.fail(`match_buffer ${view.name} has a zero elem_offset but its source ${src.name} has elem_offset ${src.elemOffset}`);
    }
    if (source.region.length < view.ndim) {
      throw this.fail(`match_buffer ${view.name} has ${view.ndim} dimensions but its source region of ${src.name} only ${source.region.length}`);
    }
    this.matched.set(view, source);
    this.bind(view.data, src.data, `${view.name}.data`);

    // Flat offset of the region start in the source's storage.
    const starts = source.region.map((r) => r.min);
    let flat: PrimExpr;
    if (src.strides.length === 0) {
      flat = new IntImm(starts[0]?.dtype ?? view.elemOffset.dtype, 0);
      starts.forEach((x, i) => (flat = ops.add(ops.mul(flat, src.shape[i]!), x)));
    } else {
      flat = new IntImm(starts[0]?.dtype ?? view.elemOffset.dtype, 0);
      starts.forEach((x, i) => (flat = ops.add(flat, ops.mul(x, src.strides[i]!))));
    }
    flat = this.analyzer.simplify(ops.add(src.elemOffset, flat));
    if (flat.dtype !== view.elemOffset.dtype) flat = ops.cast(view.elemOffset.dtype, flat);
    this.bind(view.elemOffset, flat, `${view.name}.elem_offset`);
    if (view.offsetFactor > 1 && !this.analyzer.canProve(ops.eq(ops.truncmod(flat, view.offsetFactor), 0))) {
      throw this.fail(`match_buffer ${view.name}: the source offset ${flat} does not satisfy the offset_factor ${view.offsetFactor}`);
    }

    const lead = source.region.length - view.ndim;
    if (view.strides.length > 0) {
      if (src.strides.length === 0) {
        let stride: PrimExpr = new IntImm(view.strides[view.ndim - 1]!.dtype, 1);
        for (let i = view.ndim - 1; i >= 0; i--) {
          this.bind(view.strides[i]!, stride, `${view.name}.strides_${i}`);
          stride = ops.mul(stride, src.shape[i + lead]!);
        }
      } else {
        for (let i = view.ndim - 1; i >= 0; i--) this.bind(view.strides[i]!, src.strides[i + lead]!, `${view.name}.strides_${i}`);
      }
    }
    for (let i = lead; i < source.region.length; i++) {
      const r = source.region[i]!;
      if (!this.analyzer.canProve(ops.ge(r.min, 0))) {
        throw this.fail(`match_buffer ${view.name}: the region of ${src.name} may start below 0 in dimension ${i} (at ${r.min})`);
      }
      this.bind(view.shape[i - lead]!, r.extent, `${view.name}.shape_${i - lead}`);
    }
  }

  private bind(arg: PrimExpr, value: PrimExpr, what: string): void {
    value = substitute(value, this.varMap);
    if (arg.dtype !== value.dtype) {
      if (arg.dtype.isIntegral() && value.dtype.isIntegral()) value = ops.cast(arg.dtype, value);
      else throw this.fail(`${what} is ${arg.dtype} but is matched to a ${value.dtype} value`);
    }
    if (arg instanceof Var && !this.varMap.has(arg)) {
      this.varMap.set(arg, value);
      if (arg.dtype.isIntegral() && arg.dtype.lanes === 1) this.analyzer.bind(arg, value, true);
      return;
    }
    const lhs = arg instanceof Var ? this.varMap.get(arg)! : arg;
    if (lhs === value) return;
    if (!lhs.dtype.isIntegral() || !this.analyzer.canProve(ops.eq(lhs, value))) {
      throw this.fail(`the match_buffer constraint ${what} is not met: ${lhs} == ${value}`);
    }
  }
}

/** Replaces match_buffer views by direct accesses to their source buffers. */
export const LowerMatchBuffer: Pass = primFuncPass("LowerMatchBuffer", (func) =>
  func.withBody(new MatchBufferLowerer().visitStmt(func.body)),
);
