/**
 * The default lowering pipeline: scheduled PrimFuncs (blocks, block iter vars, T.init,
 * alloc_buffers, match_buffers) down to flat loops over flat buffers, ready for codegen.
 * Read it top to bottom like a recipe; every step is one pass in src/tir/transform.
 */
import { IRModule } from "../ir/module.js";
import { PrimFunc } from "./function.js";
import {
  CompactBufferAllocation, ConvertBlocksToOpaque, FlattenBuffer, LowerInitBlock, LowerIntrin, LowerMatchBuffer,
  LowerOpaqueBlock, MakePackedAPI, PlanAndUpdateBufferAllocationLocation, narrowDataTypePass, RemoveNoOp, Simplify, StorageRewrite, UnrollLoop, VectorizeLoop,
  runPipeline, type NarrowDataTypeOptions, type Pass, type PipelineOptions,
} from "./transform/index.js";

/** What a target tells the default lowering about itself. */
export interface LoweringConfig {
  /** NarrowDataType's options (wasm32: the memory bound that lets symbolic indices become int32). */
  narrow?: NarrowDataTypeOptions;
}

/** The passes of the default lowering, in order. */
export function defaultLoweringPasses(config: LoweringConfig = {}): Pass[] {
  return [
    // blocks -> plain loop nests
    LowerInitBlock, // T.init() -> `if reduction vars at their min`
    PlanAndUpdateBufferAllocationLocation, // alloc_buffers move to the LCA of their uses
    ConvertBlocksToOpaque, // block iter vars -> their bindings
    CompactBufferAllocation, // temporaries shrink to the region used under their allocation
    LowerMatchBuffer, // match_buffer views -> accesses to their sources
    Simplify,
    LowerOpaqueBlock, // blocks -> Allocate / DeclBuffer, predicates -> if
    FlattenBuffer, // N-d buffers -> 1-d
    narrowDataTypePass(config.narrow), // int64 indices -> int32 where every value provably fits
    // loop-level optimizations
    VectorizeLoop, // vectorized loops -> Ramp / Broadcast
    StorageRewrite, // reuse of temporaries
    UnrollLoop, // unrolled loops, pragma_auto_unroll_max_step
    Simplify,
    RemoveNoOp, // empty loops, no-op stores and evaluates
    // target-facing
    LowerIntrin,
    MakePackedAPI, // calling_conv / weft.arg_kinds attrs, entry asserts the runtime cannot make
  ];
}

export interface LowerOptions extends PipelineOptions, LoweringConfig {
  /** The passes to run; defaults to defaultLoweringPasses(this config). */
  passes?: readonly Pass[];
}

/** Lowers a module (or a single PrimFunc, named by its global_symbol or "main"). */
export function lower(input: IRModule | PrimFunc, opts: LowerOptions = {}): IRModule {
  const mod = input instanceof PrimFunc ? IRModule.fromFunction(input) : input;
  return runPipeline(mod, opts.passes ?? defaultLoweringPasses(opts), { dumpDir: opts.dumpDir });
}
