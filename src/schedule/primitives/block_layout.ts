/**
 * transform_block_layout (TVM's TransformBlockLayout): remaps a block's iteration space through
 * a bijective IndexMap, `lambda i, j: (i * 128 + j,)` fusing two iters into one. The block gets
 * one iter var `v<i>` per map output (spatial or reduction after the iters it derives from), its
 * body reads the old iters through the inverse map, and its loops are regenerated as
 * `ax<i>` over the new extents. The block must sit alone under its loops with trivial
 * bindings (each iter bound to its own loop).
 */
import { BufferRegion } from "../../ir/buffer.js";
import { BufferLoad, IntImm, type PrimExpr, Range, Var } from "../../ir/expr.js";
import { collectVars } from "../../ir/expr_functor.js";
import { Analyzer } from "../../arith/analyzer.js";
import { Block, BlockRealize, BufferStore, For, IterVar, type IterVarType, type Stmt } from "../../tir/stmt.js";
import { StmtExprMutator, substituteStmt } from "../../tir/stmt_functor.js";
import { printScript } from "../../tir/script/index.js";
import { childBlocks, loopsAbove } from "../analysis.js";
import { IndexMap, IndexMapError, type IndexMapLike } from "../index_map.js";
import { registerInstructionKind } from "../instruction.js";
import { Schedule } from "../schedule.js";
import type { BlockRV } from "../rv.js";
import { mapOrText } from "./layout.js";

declare module "../schedule.js" {
  interface Schedule {
    /** Remaps the block's iteration space through a bijective `indexMap` and regenerates its loops. */
    transformBlockLayout(block: BlockRV, indexMap: IndexMapLike): void;
  }
}

const PRIM = "transform_block_layout";

/** TVM's DetectNewBlockIterType: the common type of the old iters an expression uses, else Opaque. */
function newIterType(e: PrimExpr, types: ReadonlyMap<Var, IterVarType>): IterVarType {
  let t: IterVarType | undefined;
  for (const v of collectVars(e)) {
    const x = types.get(v);
    if (x === undefined) continue;
    if (t === undefined) t = x;
    else if (t !== x) return "Opaque";
  }
  return t ?? "Opaque";
}

/** TVM's BlockBufferAccessSimplifier: simplifies buffer indices and regions inside the block. */
class AccessSimplifier extends StmtExprMutator {
  constructor(private readonly analyzer: Analyzer) {
    super();
  }
  override visitBufferLoad(e: BufferLoad): PrimExpr {
    const x = super.visitBufferLoad(e) as BufferLoad;
    return new BufferLoad(x.buffer, x.indices.map((i) => this.analyzer.simplify(i)), x.predicate);
  }
  override visitBufferStore(s: BufferStore): Stmt {
    const x = super.visitBufferStore(s) as BufferStore;
    return new BufferStore(x.buffer, x.value, x.indices.map((i) => this.analyzer.simplify(i)), x.predicate);
  }
  override visitBlock(b: Block): Stmt {
    for (const iv of b.iterVars) this.analyzer.bind(iv.variable, iv.dom, true);
    const inner = super.visitBlock(b) as Block;
    const simplify = (rs: readonly BufferRegion[]) =>
      rs.map((r) => new BufferRegion(r.buffer, r.region.map((x) => new Range(this.analyzer.simplify(x.min), this.analyzer.simplify(x.extent)))));
    return inner.with({ reads: simplify(inner.reads), writes: simplify(inner.writes) });
  }
}

Schedule.prototype.transformBlockLayout = function (this: Schedule, block: BlockRV, indexMapLike: IndexMapLike): void {
  this.transact(PRIM, () => {
    const blockSRef = this.blockSRef(block, PRIM);
    const blk = blockSRef.block();
    if (!blockSRef.parent) throw this.error(PRIM, "the root block cannot be transformed", blockSRef, [blockSRef]);
    const analyzer = new Analyzer();
    const loops = loopsAbove(blockSRef);
    for (const l of loops) {
      const f = l.loop();
      if (!analyzer.canProveEqual(f.min, new IntImm(f.min.dtype, 0))) {
        throw this.error(PRIM, `loop ${f.loopVar.name} starts at ${printScript(f.min)}; the loops above the block must start at 0`, blockSRef, [l]);
      }
    }
    const scope = loops[0] ?? blockSRef;
    if (loops.length > 0) {
      const kids = childBlocks(this.state, loops[0]!);
      if (kids.length !== 1) {
        throw this.error(PRIM, `loop ${loops[0]!.loop().loopVar.name} holds ${kids.length} blocks; the block must be the only block under its loops`, blockSRef, [loops[0]!]);
      }
    }
    const realize = this.state.realizeOf(blk);
    const loopVars = loops.map((l) => l.loop().loopVar);
    const trivial = realize.iterValues.length === loopVars.length && realize.iterValues.every((v, i) => v === loopVars[i]);
    if (!trivial) {
      throw this.error(PRIM, `the bindings of block "${blk.nameHint}" are not its loop variables in order (the block binding must be trivial)`, blockSRef, [blockSRef]);
    }
    for (const iv of blk.iterVars) {
      if (!(iv.dom.min instanceof IntImm && iv.dom.min.value === 0)) {
        throw this.error(PRIM, `iter var ${iv.variable.name} of block "${blk.nameHint}" does not start at 0`, blockSRef, [blockSRef]);
      }
    }
    const dtype = blk.iterVars[0]?.variable.dtype;
    let indexMap: IndexMap;
    try {
      indexMap = IndexMap.from(indexMapLike, dtype ? { indexDtype: dtype } : {});
    } catch (e) {
      throw this.error(PRIM, (e as Error).message, blockSRef);
    }
    if (indexMap.inputDims !== blk.iterVars.length) {
      throw this.error(
        PRIM,
        `the index map ${indexMap.toText()} takes ${indexMap.inputDims} indices but block "${blk.nameHint}" has ${blk.iterVars.length} iter vars`,
        blockSRef,
        [blockSRef],
      );
    }
    const oldVars = blk.iterVars.map((iv) => iv.variable);
    const extents = blk.iterVars.map((iv) => iv.dom.extent);
    const mapped = indexMap.mapIndices(oldVars, analyzer);
    const newExtents = indexMap.mapShape(extents, analyzer);
    const types = new Map<Var, IterVarType>(blk.iterVars.map((iv) => [iv.variable, iv.iterType]));
    const newIters = mapped.map((e, i) => {
      const t = newIterType(e, types);
      if (t === "Opaque") {
        throw this.error(PRIM, `cannot tell the type of new iter ${printScript(e)}: it mixes iters of different types (or uses none)`, blockSRef, [blockSRef]);
      }
      const v = new Var(`v${i}`, e.dtype);
      return new IterVar(new Range(new IntImm(e.dtype, 0), newExtents[i]!), v, t);
    });
    let inverse: IndexMap;
    try {
      inverse = indexMap.inverse(extents.map((x) => new Range(new IntImm(x.dtype, 0), x)), analyzer);
    } catch (e) {
      if (!(e instanceof IndexMapError)) throw e;
      throw this.error(PRIM, `the index map ${indexMap.toText()} is not bijective affine over the block's iteration space: ${e.message}`, blockSRef, [blockSRef]);
    }
    const back = inverse.mapIndices(newIters.map((iv) => iv.variable), analyzer);
    const subst = new Map<Var, PrimExpr>();
    oldVars.forEach((v, i) => subst.set(v, back[i]!));
    let newBlock = (substituteStmt(blk, subst) as Block).with({ iterVars: newIters });
    newBlock = new AccessSimplifier(new Analyzer()).visitStmt(newBlock) as Block;
    const axes = newIters.map((iv, i) => new Var(`ax${i}`, iv.variable.dtype));
    let body: Stmt = new BlockRealize(axes, realize.predicate, newBlock);
    for (let i = axes.length - 1; i >= 0; i--) body = new For(axes[i]!, new IntImm(axes[i]!.dtype, 0), newExtents[i]!, "serial", body);
    this.state.replace(scope, body, new Map([[blk, newBlock]]));
    this.record("TransformBlockLayout", [block], [indexMap], []);
  });
};

registerInstructionKind({
  name: "TransformBlockLayout",
  pure: false,
  apply: (sch, inputs, attrs) => {
    const m = mapOrText(sch, PRIM, attrs[0], "the index map");
    if (m === undefined) throw sch.error(PRIM, "the trace gives no index map");
    sch.transformBlockLayout(inputs[0] as BlockRV, m);
    return [];
  },
  toTS: (inputs, attrs) => {
    const m = attrs[0] instanceof IndexMap ? attrs[0].toText() : String(attrs[0]);
    return `sch.transformBlockLayout(${inputs[0]}, ${JSON.stringify(m)});`;
  },
  attrsToJSON: (attrs) => [attrs[0] instanceof IndexMap ? attrs[0].toText() : attrs[0]],
  attrsFromJSON: (json) => [json[0]],
});
