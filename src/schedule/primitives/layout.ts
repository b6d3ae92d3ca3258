/**
 * transform_layout (TVM's TransformLayout): gives a buffer a new shape through an IndexMap and
 * rewrites every access to it, `A[i, j]` -> `A[i // 16, j, i % 16]`, in the block that defines
 * it (or the whole function for a parameter, whose buffer_map entry changes too). The map must
 * be bijective over the buffer; a map that only becomes bijective once the buffer is padded
 * (`lambda i: (i // 16, i % 16)` on 20 elements) needs a pad value, which is written into the
 * padding as TVM does (see layout_padding.ts).
 *
 * transform_block_layout lives in block_layout.ts.
 */
import { Buffer, BufferRegion } from "../../ir/buffer.js";
import { BufferLoad, IntImm, type PrimExpr, Range, Var } from "../../ir/expr.js";
import { dtypeOf, type DataType } from "../../ir/dtype.js";
import * as E from "../../ir/expr_ops.js";
import { postOrderVisit } from "../../ir/expr_functor.js";
import { Analyzer } from "../../arith/analyzer.js";
import { relaxRegion } from "../../arith/int_set.js";
import { getBlockReadWriteRegion } from "../../tir/block_access.js";
import { Block, BlockRealize, BufferStore, For, SeqStmt, type Stmt } from "../../tir/stmt.js";
import { StmtExprMutator, postOrderVisitStmt } from "../../tir/stmt_functor.js";
import { printScript } from "../../tir/script/index.js";
import { IndexMap, IndexMapError, type IndexMapLike } from "../index_map.js";
import { registerInstructionKind } from "../instruction.js";
import { Schedule } from "../schedule.js";
import type { BlockRV } from "../rv.js";
import type { StmtSRef } from "../sref.js";
import {
  bufferDefiningSite, bufferIndexTypeCode, bufferIndexTypeFromCode, resolveBufferRef, scopeRoot, type BufferIndexType,
} from "./buffer_util.js";
import { planPadding, type PaddingPlan } from "./layout_padding.js";

/** The value to fill padding with: a constant, an expression, or a map from the new indices. */
export type PadValue = number | PrimExpr | IndexMapLike;

export interface TransformLayoutOptions {
  /** Fills the padding a non-bijective (padded) map introduces; required for such maps. */
  padValue?: PadValue;
  /** Skip the bijectivity / padding analysis (the caller vouches for the map). */
  assumeInjectiveTransform?: boolean;
}

declare module "../schedule.js" {
  interface Schedule {
    /**
     * Re-lays out one of the block's buffers (["read" | "write", index] or its name) through
     * `indexMap`, a TS function `(i, j) => [j, i]`, lambda text `"lambda i, j: (j, i)"` or an
     * IndexMap; every access to the buffer is rewritten.
     */
    transformLayout(block: BlockRV, buffer: readonly [BufferIndexType, number] | string, indexMap: IndexMapLike, opts?: TransformLayoutOptions): void;
  }
}

const PRIM = "transform_layout";

/** The index dtype a block suggests (TVM's _get_block_default_dtype). */
export function blockIndexDtype(block: Block): DataType {
  const iv = block.iterVars[0];
  if (iv) return iv.variable.dtype;
  const r = block.reads[0]?.region[0] ?? block.writes[0]?.region[0];
  return r ? r.min.dtype : dtypeOf("int64");
}

/** TVM's SimplifyNonTrivialExpr: simplify, unless that folds the expression to a constant. */
export function simplifyNonTrivial(e: PrimExpr, analyzer: Analyzer): PrimExpr {
  const s = analyzer.simplify(e);
  return s instanceof IntImm ? e : s;
}

/**
 * TVM's TransformLayoutRewriter: accesses of the old buffer go to the new one at mapped,
 * simplified indices (loop and block vars bound while descending); block regions of the buffer
 * are recomputed from the rewritten bodies; the padding plan, if any, is applied on the way.
 */
class LayoutRewriter extends StmtExprMutator {
  private readonly analyzer = new Analyzer();
  readonly reuse = new Map<Block, Block>();
  constructor(
    private readonly oldBuffer: Buffer,
    private readonly newBuffer: Buffer,
    private readonly indexMap: IndexMap,
    private readonly plan: PaddingPlan,
  ) {
    super();
  }

  override visitStmt(s: Stmt): Stmt {
    const out = super.visitStmt(s);
    if (this.plan.kind === "epilogue" && s === this.plan.insertAfter) return SeqStmt.flatten([out, this.plan.newBlock]);
    return out;
  }

  override visitFor(f: For): Stmt {
    if (this.plan.kind === "replacement") {
      const r = this.plan.replacements.get(f);
      if (r) return this.visitStmt(r);
    }
    this.analyzer.bind(f.loopVar, new Range(f.min, f.extent), true);
    return super.visitFor(f);
  }

  private mapIndices(indices: readonly PrimExpr[]): PrimExpr[] {
    return this.indexMap.mapIndices(indices).map((e) => simplifyNonTrivial(e, this.analyzer));
  }

  override visitBufferLoad(e: BufferLoad): PrimExpr {
    const x = super.visitBufferLoad(e) as BufferLoad;
    if (x.buffer !== this.oldBuffer) return x;
    return new BufferLoad(this.newBuffer, this.mapIndices(x.indices), x.predicate);
  }

  override visitBufferStore(s: BufferStore): Stmt {
    const x = super.visitBufferStore(s) as BufferStore;
    if (x.buffer !== this.oldBuffer) return x;
    return new BufferStore(this.newBuffer, x.value, this.mapIndices(x.indices), x.predicate);
  }

  override visitBlock(b: Block): Stmt {
    for (const iv of b.iterVars) this.analyzer.bind(iv.variable, iv.dom, true);
    const inner = super.visitBlock(b) as Block;
    const touches = (rs: readonly BufferRegion[]) => rs.some((r) => r.buffer === this.oldBuffer);
    let out = inner;
    if (touches(inner.reads) || touches(inner.writes) || inner.allocBuffers.includes(this.oldBuffer)) {
      const inferred = getBlockReadWriteRegion(inner);
      const remap = (rs: readonly BufferRegion[], found: readonly BufferRegion[]) =>
        rs.map((r) => (r.buffer === this.oldBuffer ? (found.find((x) => x.buffer === this.newBuffer) ?? this.mapRegion(r)) : r));
      out = inner.with({
        reads: remap(inner.reads, inferred.reads),
        writes: remap(inner.writes, inferred.writes),
        allocBuffers: inner.allocBuffers.map((x) => (x === this.oldBuffer ? this.newBuffer : x)),
      });
    }
    if (out !== b) {
      const orig = this.plan.kind === "replacement" ? (this.plan.newToOld.get(b) ?? b) : b;
      this.reuse.set(orig, out);
    }
    return out;
  }

  /** A declared region the body no longer shows (e.g. never accessed): the image of the old region. */
  private mapRegion(r: BufferRegion): BufferRegion {
    const vars = this.indexMap.initialIndices;
    const dom = new Map<Var, Range>();
    vars.forEach((v, i) => dom.set(v, r.region[i]!));
    const points = this.indexMap.finalIndices.map((e) => new Range(e, new IntImm(e.dtype, 1)));
    return new BufferRegion(this.newBuffer, relaxRegion(points, dom, this.analyzer, this.newBuffer.shape));
  }
}

/** The pad value as a one-output map over the new buffer's indices (TVM's Python normalisation). */
function padValueMap(sch: Schedule, blockSRef: StmtSRef, pad: PadValue, buffer: Buffer, ndim: number, dtype: DataType): IndexMap {
  let map: IndexMap;
  try {
    if (typeof pad === "number") map = IndexMap.fromFunc(() => [E.constant(pad, buffer.dtype)], { ndim, indexDtype: dtype });
    else if (pad instanceof IndexMap || typeof pad === "function" || typeof pad === "string") map = IndexMap.from(pad, { ndim, indexDtype: dtype });
    else map = IndexMap.fromFunc(() => [pad], { ndim, indexDtype: dtype });
  } catch (e) {
    throw sch.error(PRIM, `bad pad value: ${(e as Error).message}`, blockSRef);
  }
  if (map.outputDims !== 1) {
    throw sch.error(PRIM, `the pad value map ${map.toText()} has ${map.outputDims} outputs; it must have exactly one`, blockSRef);
  }
  if (map.inputDims !== ndim) {
    throw sch.error(PRIM, `the pad value map ${map.toText()} takes ${map.inputDims} indices; the transformed buffer has ${ndim} dimensions`, blockSRef);
  }
  const v = map.finalIndices[0]!;
  if (v.dtype !== buffer.dtype) {
    throw sch.error(PRIM, `type mismatch: buffer ${buffer.name} holds ${buffer.dtype} but the pad value ${printScript(v)} is ${v.dtype}`, blockSRef);
  }
  let illegal: string | undefined;
  postOrderVisit(v, (e) => {
    if (e instanceof BufferLoad && e.buffer !== buffer) illegal ??= e.buffer.name;
  });
  if (illegal) throw sch.error(PRIM, `the pad value may only load from the transformed buffer ${buffer.name}, but it loads from ${illegal}`, blockSRef);
  return map;
}

Schedule.prototype.transformLayout = function (
  this: Schedule,
  block: BlockRV,
  bufferRef: readonly [BufferIndexType, number] | string,
  indexMapLike: IndexMapLike,
  opts: TransformLayoutOptions = {},
): void {
  this.transact(PRIM, () => {
    const blockSRef = this.blockSRef(block, PRIM);
    const { buffer: oldBuffer, index, type } = resolveBufferRef(this, PRIM, blockSRef, bufferRef);
    const { site, isAlloc } = bufferDefiningSite(blockSRef, oldBuffer);
    if (site && !isAlloc) {
      throw this.error(PRIM, `buffer ${oldBuffer.name} is defined by match_buffer in block "${site.block().nameHint}"; transform the buffer it views instead`, blockSRef, [site]);
    }
    const dims = oldBuffer.shape.map((d) => d.dtype);
    const idxDtype = dims.length > 0 && dims.every((t) => t === dims[0]) ? dims[0]! : blockIndexDtype(blockSRef.block());
    let indexMap: IndexMap;
    try {
      indexMap = IndexMap.from(indexMapLike, { indexDtype: idxDtype });
    } catch (e) {
      throw this.error(PRIM, (e as Error).message, blockSRef);
    }
    if (indexMap.inputDims !== oldBuffer.ndim) {
      throw this.error(PRIM, `the index map ${indexMap.toText()} takes ${indexMap.inputDims} indices but buffer ${oldBuffer.name} has ${oldBuffer.ndim} dimension(s)`, blockSRef, [blockSRef]);
    }
    if (!indexMap.isIndexMap) throw this.error(PRIM, `the index map ${indexMap.toText()} must produce integer indices`, blockSRef);
    indexMap = indexMap.withIndexDtype(idxDtype);
    const assumeInjective = opts.assumeInjectiveTransform ?? false;
    const padMap = opts.padValue === undefined ? undefined : padValueMap(this, blockSRef, opts.padValue, oldBuffer, indexMap.outputDims, idxDtype);

    // The scope whose subtree holds every access: the allocating block, or the whole function.
    const scope = site ?? this.state.rootOf(blockSRef);
    scopeRoot(this, PRIM, blockSRef, false);
    checkNoMatchBufferViews(this, scope, oldBuffer);

    const analyzer = new Analyzer();
    let inverse: IndexMap | undefined;
    let padding: PrimExpr = E.constant(false, "bool");
    if (!assumeInjective) {
      try {
        ({ inverse, paddingPredicate: padding } = indexMap.nonSurjectiveInverse(oldBuffer.shape.map((d) => new Range(new IntImm(d.dtype, 0), d)), analyzer));
      } catch (e) {
        if (e instanceof IndexMapError) {
          throw this.error(PRIM, `the index map ${indexMap.toText()} is not bijective on buffer ${oldBuffer.name} of shape (${oldBuffer.shape.map((d) => printScript(d)).join(", ")}): ${e.message}`, blockSRef, [blockSRef]);
        }
        throw e;
      }
    }
    const newShape = indexMap.mapShape(oldBuffer.shape, analyzer);
    const hasPadding = !(padding instanceof IntImm && padding.value === 0);
    if (hasPadding && !padMap) {
      throw this.error(
        PRIM,
        `the transformation ${indexMap.toText()} of buffer ${oldBuffer.name} of shape (${oldBuffer.shape.map((d) => printScript(d)).join(", ")}) gives shape ` +
          `(${newShape.map((d) => printScript(d)).join(", ")}), which introduces padding wherever ${printScript(padding)}; pass padValue to fill it`,
        blockSRef,
        [blockSRef],
      );
    }
    const newBuffer = oldBuffer.with({ shape: newShape, strides: [], axisSeparators: [] });
    const scopeBlock = scope.block();
    const plan: PaddingPlan = hasPadding && inverse && padMap
      ? planPadding(scopeBlock, oldBuffer, newBuffer, inverse, padding, padMap)
      : { kind: "none" };
    const rewriter = new LayoutRewriter(oldBuffer, newBuffer, indexMap, plan);
    let newScope = rewriter.visitStmt(scopeBlock) as Block;
    if (plan.kind === "prologue") newScope = newScope.with({ body: SeqStmt.flatten([plan.prologue, newScope.body]) });
    rewriter.reuse.set(scopeBlock, newScope);
    if (site) {
      this.state.replace(scope, newScope, rewriter.reuse);
    } else {
      // A parameter: the function's buffer_map takes the new buffer too.
      const name = this.state.funcNameOf(scope);
      const func = this.state.func(name);
      const bufferMap = new Map([...func.bufferMap].map(([v, b]) => [v, b === oldBuffer ? newBuffer : b] as const));
      const root = func.body as BlockRealize;
      const body = new BlockRealize(root.iterValues, root.predicate, newScope);
      this.state.replaceFunc(name, func.with({ body, bufferMap }), rewriter.reuse);
    }
    this.record("TransformLayout", [block, indexMap], [index, bufferIndexTypeCode(type), padMap, assumeInjective], []);
  });
};

/** match_buffer views of the buffer would keep its old shape; TVM does not rewrite them either. */
function checkNoMatchBufferViews(sch: Schedule, scope: StmtSRef, buffer: Buffer): void {
  postOrderVisitStmt(scope.block(), (s) => {
    if (s instanceof Block && s.matchBuffers.some((m) => m.source.buffer === buffer)) {
      throw sch.error(PRIM, `block "${s.nameHint}" views buffer ${buffer.name} through match_buffer; such views cannot be re-laid out`, scope, [s]);
    }
  });
}

/**
 * An IndexMap as a trace carries it: the object, weft's lambda text, or null. TVM's JSON-graph
 * form (`{...}`) is refused with a clear message.
 */
export function mapOrText(sch: Schedule, prim: string, v: unknown, what: string): IndexMap | string | undefined {
  if (v === null || v === undefined || v === "None") return undefined;
  if (v instanceof IndexMap) return v;
  if (typeof v === "string" && v.startsWith("{")) {
    throw sch.error(prim, `${what} is in TVM's JSON-graph form, which weft does not read; weft traces store the lambda text ("lambda i, j: (j, i)")`);
  }
  if (typeof v === "string") return v;
  throw sch.error(prim, `${what} must be an IndexMap or its lambda text, got ${JSON.stringify(v)}`);
}

registerInstructionKind({
  name: "TransformLayout",
  pure: false,
  apply: (sch, inputs, attrs) => {
    const type = bufferIndexTypeFromCode(sch, PRIM, attrs[1]);
    // Text (from a JSON trace) names no dtype; transformLayout reads it with the buffer's.
    const indexMap = mapOrText(sch, PRIM, inputs[1], "the index map");
    if (indexMap === undefined) throw sch.error(PRIM, "the trace gives no index map");
    sch.transformLayout(inputs[0] as BlockRV, [type, attrs[0] as number], indexMap, {
      padValue: mapOrText(sch, PRIM, attrs[2], "the pad value"),
      assumeInjectiveTransform: attrs[3] === true || attrs[3] === 1,
    });
    return [];
  },
  toTS: (inputs, attrs) => {
    const type = attrs[1] === 1 ? "write" : "read";
    const opts: string[] = [];
    const pad = attrs[2] instanceof IndexMap ? attrs[2].toText() : attrs[2];
    if (typeof pad === "string" && pad !== "None") opts.push(`padValue: ${JSON.stringify(pad)}`);
    if (attrs[3] === true || attrs[3] === 1) opts.push("assumeInjectiveTransform: true");
    const o = opts.length ? `, { ${opts.join(", ")} }` : "";
    return `sch.transformLayout(${inputs[0]}, [${JSON.stringify(type)}, ${attrs[0]}], ${inputs[1]}${o});`;
  },
  attrsToJSON: (attrs) => [
    attrs[0],
    attrs[1],
    attrs[2] instanceof IndexMap ? attrs[2].toText() : (attrs[2] ?? null),
    attrs[3] === true || attrs[3] === 1,
  ],
  attrsFromJSON: (json) => [json[0], json[1], json[2] ?? null, json[3] === true || json[3] === 1],
});

