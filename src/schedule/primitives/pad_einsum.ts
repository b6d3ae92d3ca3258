/**
 * pad_einsum (TVM's PadEinsum): pads the iteration space of an Einsum-like block (every access
 * a single point at iter vars or constants, each buffer accessed once) up to multiples of the
 * given factors, so that it can be tiled evenly or tensorized. Each buffer whose accesses use a
 * padded iter gets a padded copy `<name>_pad`: inputs are copied in (zeros in the padding) by a
 * block before the computation, outputs copied back out by a block after it. Loops bound
 * directly to a padded iter are extended.
 */
import { Buffer, BufferRegion } from "../../ir/buffer.js";
import { BufferLoad, IntImm, type PrimExpr, Range, Var } from "../../ir/expr.js";
import * as E from "../../ir/expr_ops.js";
import { Analyzer } from "../../arith/analyzer.js";
import { Block, BlockRealize, BufferStore, For, IterVar, SeqStmt, TRUE, type Stmt } from "../../tir/stmt.js";
import { StmtExprMutator, postOrderVisitStmt } from "../../tir/stmt_functor.js";
import { registerInstructionKind } from "../instruction.js";
import { Schedule } from "../schedule.js";
import type { BlockRV } from "../rv.js";
import { scopeRoot } from "./buffer_util.js";

declare module "../schedule.js" {
  interface Schedule {
    /** Pads each iter var of an Einsum block up to a multiple of `padding[i]`, with padded copies of its buffers. */
    padEinsum(block: BlockRV, padding: readonly number[]): void;
  }
}

const PRIM = "pad_einsum";

/** A region of single points at vars or constants (TVM's CheckTrivialBufferAccess). */
function isTrivialAccess(r: BufferRegion): boolean {
  return r.region.every((x) => x.extent instanceof IntImm && x.extent.value === 1 && (x.min instanceof IntImm || x.min instanceof Var));
}

/** TVM's PadEinsumBufferReplacer: padded buffers, padded iter domains and loop extents. */
class PadReplacer extends StmtExprMutator {
  readonly reuse = new Map<Block, Block>();
  constructor(
    private readonly iterExtents: ReadonlyMap<Var, PrimExpr>,
    private readonly loopExtents: ReadonlyMap<Var, PrimExpr>,
    private readonly buffers: ReadonlyMap<Buffer, Buffer>,
  ) {
    super();
  }

  override visitBlock(b: Block): Stmt {
    const inner = super.visitBlock(b) as Block;
    const iterVars = inner.iterVars.map((iv) => {
      const ext = this.iterExtents.get(iv.variable);
      return ext ? new IterVar(new Range(iv.dom.min, ext), iv.variable, iv.iterType, iv.threadTag) : iv;
    });
    const swap = (rs: readonly BufferRegion[]) => rs.map((r) => {
      const nb = this.buffers.get(r.buffer);
      return nb ? new BufferRegion(nb, r.region) : r;
    });
    // TVM rebuilds these blocks without their alloc_buffers / match_buffers, which breaks any
    // block that has some; weft keeps them (the usual einsum nest has none, so the IR agrees).
    const out = inner.with({ iterVars, reads: swap(inner.reads), writes: swap(inner.writes) });
    this.reuse.set(b, out);
    return out;
  }

  override visitFor(f: For): Stmt {
    const out = super.visitFor(f) as For;
    const ext = this.loopExtents.get(f.loopVar);
    return ext ? out.with({ extent: ext }) : out;
  }

  override visitBufferStore(s: BufferStore): Stmt {
    const x = super.visitBufferStore(s) as BufferStore;
    const nb = this.buffers.get(x.buffer);
    return nb ? new BufferStore(nb, x.value, x.indices, x.predicate) : x;
  }

  override visitBufferLoad(e: BufferLoad): PrimExpr {
    const x = super.visitBufferLoad(e) as BufferLoad;
    const nb = this.buffers.get(x.buffer);
    return nb ? new BufferLoad(nb, x.indices, x.predicate) : x;
  }
}

/** The padded copy of a buffer: padded iters take their new extent, constant indices extent 1. */
function paddedBuffer(r: BufferRegion, iterExtents: ReadonlyMap<Var, PrimExpr>): Buffer {
  const shape = r.region.map((x, i) => {
    if (x.min instanceof IntImm) return new IntImm(x.min.dtype, 1);
    return iterExtents.get(x.min as Var) ?? r.buffer.shape[i]!;
  });
  return new Buffer(`${r.buffer.name}_pad`, r.buffer.dtype, shape, { scope: r.buffer.scope });
}

/** TVM's BufferPadding::MakeCopyBlock: copy into the padded buffer (zero-filled), or back out of it. */
function copyBlock(buffer: Buffer, padded: Buffer, isRead: boolean, analyzer: Analyzer): { stage: Stmt; block: Block } {
  const shape = isRead ? padded.shape : buffer.shape;
  const loopVars = shape.map((d, i) => new Var(`i${i}`, d.dtype));
  const vars = shape.map((d, i) => new Var(`v${i}`, d.dtype));
  const iterVars = vars.map((v, i) => new IterVar(new Range(new IntImm(shape[i]!.dtype, 0), shape[i]!), v, "DataPar"));
  const dom = vars.map((v) => new Range(v, new IntImm(v.dtype, 1)));
  let body: Stmt;
  if (isRead) {
    let pred: PrimExpr = TRUE;
    buffer.shape.forEach((d, i) => {
      if (!analyzer.canProveEqual(d, padded.shape[i]!)) pred = E.and(pred, E.lt(vars[i]!, d));
    });
    const rhs = new BufferLoad(buffer, vars);
    const value = pred instanceof IntImm ? (pred.value ? rhs : E.constant(0, rhs.dtype)) : E.ifThenElse(pred, rhs, E.constant(0, rhs.dtype));
    body = new BufferStore(padded, value, vars);
  } else {
    body = new BufferStore(buffer, new BufferLoad(padded, vars), vars);
  }
  const [src, dst] = isRead ? [buffer, padded] : [padded, buffer];
  const block = new Block({
    iterVars, reads: [new BufferRegion(src, dom)], writes: [new BufferRegion(dst, dom)], nameHint: padded.name, body,
  });
  let stage: Stmt = new BlockRealize(loopVars, TRUE, block);
  for (let i = shape.length - 1; i >= 0; i--) stage = new For(loopVars[i]!, new IntImm(shape[i]!.dtype, 0), shape[i]!, "serial", stage);
  return { stage, block };
}

Schedule.prototype.padEinsum = function (this: Schedule, block: BlockRV, padding: readonly number[]): void {
  this.transact(PRIM, () => {
    const blockSRef = this.blockSRef(block, PRIM);
    const blk = blockSRef.block();
    const scope = scopeRoot(this, PRIM, blockSRef, true);
    const realize = this.state.realizeOf(blk);
    if (!Array.isArray(padding) || padding.length !== blk.iterVars.length || !padding.every((p) => Number.isInteger(p) && p > 0)) {
      throw this.error(
        PRIM,
        `the padding of block "${blk.nameHint}" must be a list of ${blk.iterVars.length} positive integers (one per iter var), got ${JSON.stringify(padding)}`,
        blockSRef,
        [blockSRef],
      );
    }
    // Einsum: each buffer accessed once, every access a single point at iter vars or constants.
    const used = new Set<Buffer>();
    for (const r of [...blk.reads, ...blk.writes]) {
      if (used.has(r.buffer) || !isTrivialAccess(r)) {
        throw this.error(
          PRIM,
          `block "${blk.nameHint}" is not an Einsum computation: ${used.has(r.buffer) ? `buffer ${r.buffer.name} is accessed twice` : `its access to ${r.buffer.name} is not a single point at iter vars`}`,
          blockSRef,
          [blockSRef],
        );
      }
      used.add(r.buffer);
    }
    const analyzer = new Analyzer();
    const iterExtents = new Map<Var, PrimExpr>();
    const loopExtents = new Map<Var, PrimExpr>();
    blk.iterVars.forEach((iv, i) => {
      const p = padding[i]!;
      const ext = iv.dom.extent;
      const padded = analyzer.simplify(E.mul(E.floordiv(E.add(ext, p - 1), p), p));
      if (analyzer.canProveEqual(padded, ext)) return;
      iterExtents.set(iv.variable, padded);
      const b = realize.iterValues[i]!;
      if (b instanceof Var) {
        iterExtents.set(b, padded);
        loopExtents.set(b, padded);
      }
    });
    const needsPadding = (r: BufferRegion) => r.region.some((x) => x.min instanceof Var && iterExtents.has(x.min));

    const scopeBlock = scope.block();
    const items = scopeBlock.body instanceof SeqStmt ? scopeBlock.body.seq : [scopeBlock.body];
    const pos = items.findIndex((item) => {
      let found = false;
      postOrderVisitStmt(item, (s) => {
        if (s === blk) found = true;
      });
      return found;
    });
    if (pos < 0) throw new Error("internal: pad_einsum did not find the block in its scope");

    const bufferMap = new Map<Buffer, Buffer>();
    const before: Stmt[] = [], after: Stmt[] = [], allocs: Buffer[] = [];
    for (const [regions, isRead] of [[blk.reads, true], [blk.writes, false]] as const) {
      for (const r of regions) {
        if (!needsPadding(r)) continue;
        const padded = paddedBuffer(r, iterExtents);
        bufferMap.set(r.buffer, padded);
        (isRead ? before : after).push(copyBlock(r.buffer, padded, isRead, analyzer).stage);
        allocs.push(padded);
      }
    }
    const replacer = new PadReplacer(iterExtents, loopExtents, bufferMap);
    const body = SeqStmt.flatten([...items.slice(0, pos), ...before, replacer.visitStmt(items[pos]!), ...after, ...items.slice(pos + 1)]);
    const newScope = scopeBlock.with({ body, allocBuffers: [...scopeBlock.allocBuffers, ...allocs] });
    replacer.reuse.set(scopeBlock, newScope);
    this.state.replace(scope, newScope, replacer.reuse);
    this.record("PadEinsum", [block], [[...padding]], []);
  });
};

registerInstructionKind({
  name: "PadEinsum",
  pure: false,
  apply: (sch, inputs, attrs) => {
    sch.padEinsum(inputs[0] as BlockRV, attrs[0] as number[]);
    return [];
  },
  toTS: (inputs, attrs) => `sch.padEinsum(${inputs[0]}, ${JSON.stringify(attrs[0])});`,
});
