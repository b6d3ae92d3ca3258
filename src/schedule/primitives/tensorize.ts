/**
 * tensorize: replace the computation of a block (blockizing a loop first when given one) by a
 * tensor intrinsic's implementation, after checking that the block computes exactly what the
 * intrinsic's description computes.
 *
 * The block keeps its iter vars, regions, annotations and init; its body becomes the
 * implementation's body, and each implementation buffer is bound to the matched tile by a
 * match_buffer: `C_1 = T.match_buffer(C[vi_o * 4:vi_o * 4 + 4, vj_o * 16:vj_o * 16 + 16],
 * (4, 16), strides=("ldc", 1), offset_factor=1)`, as TVM does.
 */
import { BufferRegion } from "../../ir/buffer.js";
import { IntImm, Range, type PrimExpr } from "../../ir/expr.js";
import * as E from "../../ir/expr_ops.js";
import { Analyzer } from "../../arith/analyzer.js";
import { BlockRealize, MatchBufferRegion } from "../../tir/stmt.js";
import { printScript } from "../../tir/script/index.js";
import { registerInstructionKind } from "../instruction.js";
import { Schedule } from "../schedule.js";
import { BlockRV, LoopRV } from "../rv.js";
import type { StmtSRef } from "../sref.js";
import { TensorIntrin, instantiate } from "../tensor_intrin.js";
import { blockizeLoop, type BlockizeOptions } from "./blockize.js";
import { MatchFailure, matchIntrinsic } from "./tensorize_match.js";
import "../intrinsics/cpu.js";

declare module "../schedule.js" {
  interface Schedule {
    /**
     * Replaces the block (or the subtree under the loop, blockized first) by the tensor
     * intrinsic registered as `intrin`; the block must compute what the intrinsic describes.
     */
    tensorize(target: BlockRV | LoopRV, intrin: string, opts?: BlockizeOptions): void;
  }
}

const PRIM = "tensorize";

Schedule.prototype.tensorize = function (this: Schedule, target: BlockRV | LoopRV, intrinName: string, opts: BlockizeOptions = {}): void {
  this.transact(PRIM, () => {
    const preserve = opts.preserveUnitIters ?? true;
    let intrin: TensorIntrin;
    try {
      intrin = TensorIntrin.get(intrinName);
    } catch (e) {
      throw this.error(PRIM, (e as Error).message);
    }
    let sref: StmtSRef;
    let realize: BlockRealize;
    if (target instanceof LoopRV) {
      sref = this.loopSRef(target, PRIM);
      // Blockized but not yet in the state; its inner block disappears under the implementation.
      realize = blockizeLoop(this, PRIM, sref, preserve).realize;
    } else if (target instanceof BlockRV) {
      sref = this.blockSRef(target, PRIM);
      if (!sref.parent) throw this.error(PRIM, "cannot tensorize the root block of a function", sref, [sref]);
      realize = this.state.realizeOf(sref.block());
      if (realize.block.matchBuffers.length > 0) {
        throw this.error(PRIM, `block "${realize.block.nameHint}" already has match_buffers (is it tensorized already?)`, sref, [sref]);
      }
    } else {
      throw this.error(PRIM, "expected a block (BlockRV) or a loop (LoopRV) to tensorize");
    }
    const block = realize.block;
    let match;
    try {
      match = matchIntrinsic(realize, intrin.desc);
    } catch (e) {
      if (!(e instanceof MatchFailure)) throw e;
      throw this.error(PRIM, `block "${block.nameHint}" does not match intrinsic "${intrinName}": ${e.message}`, sref, [sref]);
    }
    const impl = instantiate(intrin.impl);
    const implRoot = TensorIntrin.rootBlock(impl);
    const analyzer = new Analyzer();
    const matchBuffers = impl.params.map((p, i) => {
      const implBuf = impl.bufferMap.get(p)!;
      const descBuf = intrin.desc.bufferMap.get(intrin.desc.params[i]!)!;
      const cur = match.buffers.get(descBuf)!;
      const origin = match.origins.get(cur)!;
      const tile = (implRoot.reads.find((r) => r.buffer === implBuf) ?? implRoot.writes.find((r) => r.buffer === implBuf))!;
      const off = origin.length - tile.region.length;
      const region = origin.map((o, k): Range => {
        if (k < off) return new Range(o, E.constant(1, o.dtype));
        const t = tile.region[k - off]!;
        return new Range(analyzer.simplify(E.add(o, E.cast(o.dtype, t.min))), E.cast(o.dtype, t.extent));
      });
      return new MatchBufferRegion(implBuf, new BufferRegion(cur, region));
    });
    for (const m of matchBuffers) {
      if (m.buffer.strides.length === 0 && !isContiguous(m.source)) {
        throw this.error(
          PRIM,
          `intrinsic "${intrinName}" needs a contiguous tile of ${m.source.buffer.name} (its implementation declares ${m.buffer.name} without strides), ` +
            `but ${regionText(m.source)} is not contiguous in a buffer of shape (${m.source.buffer.shape.map(exprText).join(", ")})`,
          sref,
          [sref],
        );
      }
    }
    // Annotations of the implementation's root block join the block's, the block's winning.
    const annotations = { ...implRoot.annotations, ...block.annotations };
    const newBlock = block.with({
      body: implRoot.body,
      matchBuffers,
      allocBuffers: [...block.allocBuffers, ...implRoot.allocBuffers],
      annotations,
    });
    if (target instanceof BlockRV) {
      this.state.replace(sref, newBlock, new Map([[block, newBlock]]));
    } else {
      this.state.replace(sref, new BlockRealize(realize.iterValues, realize.predicate, newBlock));
    }
    this.record("Tensorize", [target], [intrinName, preserve], []);
  });
};

/**
 * Whether a region of a row-major buffer is one contiguous run: unit extents, then any extent,
 * then full dimensions. Only a provable gap counts (symbolic shapes pass).
 */
function isContiguous(r: BufferRegion): boolean {
  if (r.buffer.strides.length > 0) return true;
  const dims = r.region;
  let k = 0;
  while (k < dims.length && isConst(dims[k]!.extent, 1)) k++;
  for (let d = k + 1; d < dims.length; d++) {
    const e = dims[d]!.extent, s = r.buffer.shape[d]!;
    if (e instanceof IntImm && s instanceof IntImm && e.value !== s.value) return false;
  }
  return true;
}

const isConst = (e: PrimExpr, v: number) => e instanceof IntImm && e.value === v;

function exprText(e: PrimExpr): string {
  return printScript(e);
}

function regionText(r: BufferRegion): string {
  return `${r.buffer.name}[${r.region.map((x) => `${exprText(x.min)}:${exprText(E.add(x.min, x.extent))}`).join(", ")}]`;
}

registerInstructionKind({
  name: "Tensorize",
  pure: false,
  apply: (sch, inputs, attrs) => {
    sch.tensorize(inputs[0] as BlockRV | LoopRV, String(attrs[0]), { preserveUnitIters: Boolean(attrs[1] ?? true) });
    return [];
  },
  toTS: (inputs, attrs) => `sch.tensorize(${inputs[0]}, ${JSON.stringify(attrs[0])}, { preserveUnitIters: ${Boolean(attrs[1] ?? true)} });`,
});
