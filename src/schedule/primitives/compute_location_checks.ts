/**
 * Checks and tree surgery shared by the compute-location primitives (compute_at,
 * reverse_compute_at, compute_inline, reverse_compute_inline), following TensorIR's
 * definitions: a stage-pipeline scope, complete / reduction blocks, output blocks, and the
 * "leaf removal plan" that takes a block (with the loops only it uses) out of its scope.
 */
import type { Buffer } from "../../ir/buffer.js";
import { usesVar } from "../../ir/expr_functor.js";
import type { Var } from "../../ir/expr.js";
import { Block, BlockRealize, BufferStore, For, SeqStmt, type Stmt } from "../../tir/stmt.js";
import { postOrderVisitStmt } from "../../tir/stmt_functor.js";
import { childBlocks, scopeOf } from "../analysis.js";
import { replaceChild } from "../replace.js";
import type { Schedule } from "../schedule.js";
import type { StmtSRef } from "../sref.js";

const blockName = (s: StmtSRef): string => `"${s.block().nameHint}"`;

/** The function's root block has no scope to be moved or inlined in. */
export function requireNotRoot(sch: Schedule, prim: string, blockSRef: StmtSRef): void {
  if (!blockSRef.parent) {
    throw sch.error(prim, `block ${blockName(blockSRef)} is the root block of its function; it has no enclosing scope to be moved or inlined in`, blockSRef, [blockSRef]);
  }
}

/**
 * The scope block of `blockSRef`, checked to be a stage pipeline: no block writes a buffer that
 * an earlier block of the scope read (write-after-read), and every child block reads only what
 * its producers write (region cover).
 */
export function requireStagePipeline(sch: Schedule, prim: string, blockSRef: StmtSRef): StmtSRef {
  requireNotRoot(sch, prim, blockSRef);
  const scope = scopeOf(blockSRef);
  const children = childBlocks(sch.state, scope);
  const readers = new Map<Buffer, StmtSRef>();
  for (const c of children) {
    const b = c.block();
    for (const w of b.writes) {
      const reader = readers.get(w.buffer);
      if (reader && !b.reads.some((r) => r.buffer === w.buffer)) {
        throw sch.error(
          prim,
          `the scope block ${blockName(scope)} is not a stage pipeline: block ${blockName(c)} writes buffer ${w.buffer.name} after block ${blockName(reader)} read it (a write-after-read dependency)`,
          scope,
          [c, reader],
        );
      }
    }
    for (const r of b.reads) if (!readers.has(r.buffer)) readers.set(r.buffer, c);
  }
  for (const c of children) {
    if (!sch.state.blockInfo(c).regionCover) {
      throw sch.error(
        prim,
        `the scope block ${blockName(scope)} is not a stage pipeline: block ${blockName(c)} reads a region its producers do not fully write (region cover fails)`,
        scope,
        [c],
      );
    }
  }
  return scope;
}

/** Blocks of the scope (other than `blockSRef`) that also write `buf`. */
function otherWriters(sch: Schedule, blockSRef: StmtSRef, scope: StmtSRef, buf: Buffer): StmtSRef[] {
  return childBlocks(sch.state, scope).filter((c) => c !== blockSRef && c.block().writes.some((w) => w.buffer === buf));
}

/** Why the block is not dominant (the only writer of each buffer it writes), or undefined. */
function dominanceViolation(sch: Schedule, blockSRef: StmtSRef, scope: StmtSRef): string | undefined {
  for (const w of blockSRef.block().writes) {
    const others = otherWriters(sch, blockSRef, scope, w.buffer);
    if (others.length > 0) {
      return `it is not the only writer of buffer ${w.buffer.name} in its scope (block ${blockName(others[0]!)} writes it too)`;
    }
  }
  return undefined;
}

/** TVM's complete block: all iter vars data parallel, dominant, reads no buffer it writes. */
export function completeBlockViolation(sch: Schedule, blockSRef: StmtSRef, scope: StmtSRef): string | undefined {
  const block = blockSRef.block();
  const nonSpatial = block.iterVars.find((iv) => iv.iterType !== "DataPar");
  if (nonSpatial) return `iter var ${nonSpatial.variable.name} is not data parallel (it is ${nonSpatial.iterType})`;
  const dom = dominanceViolation(sch, blockSRef, scope);
  if (dom) return dom;
  const written = new Set(block.writes.map((w) => w.buffer));
  const rw = block.reads.find((r) => written.has(r.buffer));
  if (rw) return `it reads buffer ${rw.buffer.name}, which it also writes`;
  return undefined;
}

/** TVM's reduction block: init, affine bindings, spatial/reduction vars only, dominant, output not indexed by reduction vars. */
export function reductionBlockViolation(sch: Schedule, blockSRef: StmtSRef, scope: StmtSRef): string | undefined {
  const block = blockSRef.block();
  if (!block.init) return "it has no init statement";
  if (!sch.state.blockInfo(blockSRef).affineBinding) return "its iter var bindings are not affine in the loops above it";
  const other = block.iterVars.find((iv) => iv.iterType !== "DataPar" && iv.iterType !== "CommReduce");
  if (other) return `iter var ${other.variable.name} is neither data parallel nor a reduction (it is ${other.iterType})`;
  const dom = dominanceViolation(sch, blockSRef, scope);
  if (dom) return dom;
  const reduceVars = new Set<Var>(block.iterVars.filter((iv) => iv.iterType === "CommReduce").map((iv) => iv.variable));
  let bad: string | undefined;
  postOrderVisitStmt(block.body, (s) => {
    if (bad || !(s instanceof BufferStore)) return;
    if (s.indices.some((i) => usesVar(i, (v) => reduceVars.has(v)))) bad = s.buffer.name;
  });
  if (bad) return `a reduction iter var indexes the output buffer ${bad}`;
  return undefined;
}

export function requireCompleteBlock(sch: Schedule, prim: string, blockSRef: StmtSRef, scope: StmtSRef): void {
  const why = completeBlockViolation(sch, blockSRef, scope);
  if (why) throw sch.error(prim, `block ${blockName(blockSRef)} is not a complete block: ${why}`, blockSRef, [blockSRef]);
}

export function requireCompleteOrReductionBlock(sch: Schedule, prim: string, blockSRef: StmtSRef, scope: StmtSRef): void {
  const complete = completeBlockViolation(sch, blockSRef, scope);
  if (!complete) return;
  const reduction = reductionBlockViolation(sch, blockSRef, scope);
  if (!reduction) return;
  throw sch.error(
    prim,
    `block ${blockName(blockSRef)} is neither a complete block (${complete}) nor a reduction block (${reduction})`,
    blockSRef,
    [blockSRef],
  );
}

/** An output block writes a buffer its scope block does not allocate (e.g. a function parameter). */
export function requireNotOutputBlock(sch: Schedule, prim: string, blockSRef: StmtSRef, scope: StmtSRef): void {
  const allocated = new Set(scope.block().allocBuffers);
  const out = blockSRef.block().writes.find((w) => !allocated.has(w.buffer));
  if (out) {
    throw sch.error(
      prim,
      `block ${blockName(blockSRef)} is an output block: it writes buffer ${out.buffer.name}, which its scope block ${blockName(scope)} does not allocate`,
      blockSRef,
      [blockSRef],
    );
  }
}

/** Where a block's subtree is cut out: `src` (a loop or block) becomes `tgt`, its sequence minus the subtree. */
export interface LeafRemoval {
  readonly src: StmtSRef;
  readonly tgt: For | Block;
}

/**
 * TVM's LeafBlockRemovalPlan: climb from the block through loops that hold nothing else, up to
 * the first loop or block whose body is a sequence, and drop the climbed subtree from it.
 */
export function leafRemovalPlan(sch: Schedule, prim: string, blockSRef: StmtSRef): LeafRemoval {
  let last = blockSRef;
  let p = blockSRef.parent!;
  const holdsOnly = (body: Stmt, child: StmtSRef): boolean =>
    body === child.stmt || (body instanceof BlockRealize && body.block === child.stmt);
  while (p.isLoop && holdsOnly(p.loop().body, last)) {
    last = p;
    p = p.parent!;
  }
  const owner = p.stmt as For | Block;
  const body = owner.body;
  if (!(body instanceof SeqStmt)) {
    const what = p.isLoop
      ? `loop ${p.loop().loopVar.name} holds it together with other statements that are not a plain sequence`
      : `it is the only statement in its scope block ${blockName(p)}`;
    throw sch.error(prim, `cannot remove block ${blockName(blockSRef)} from where it is: ${what}`, blockSRef, [blockSRef]);
  }
  const kept = body.seq.filter((s) => !(s === last.stmt || (s instanceof BlockRealize && s.block === last.stmt)));
  const newBody = SeqStmt.flatten(kept);
  return { src: p, tgt: owner instanceof For ? owner.with({ body: newBody }) : owner.with({ body: newBody }) };
}

/**
 * Rebuilds the scope block with some loops / blocks (named by sref) swapped for new statements,
 * path-copying only the statements between them and the scope (nothing else is visited).
 */
export function rewriteUnderScope(scope: StmtSRef, edits: ReadonlyMap<StmtSRef, Stmt>): Block {
  const onPath = new Map<StmtSRef, StmtSRef[]>();
  for (const target of edits.keys()) {
    for (let s = target; s !== scope; s = s.parent!) {
      const parent = s.parent!;
      const kids = onPath.get(parent) ?? [];
      if (kids.includes(s)) break;
      kids.push(s);
      onPath.set(parent, kids);
    }
  }
  const rebuild = (s: StmtSRef): Stmt => {
    let cur: Stmt = edits.get(s) ?? s.stmt!;
    for (const c of onPath.get(s) ?? []) cur = replaceChild(cur, c.stmt!, rebuild(c));
    return cur;
  };
  const out = rebuild(scope);
  if (!(out instanceof Block)) throw new Error("internal: a scope block was rebuilt into a non-block");
  return out;
}
