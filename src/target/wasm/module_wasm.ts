/**
 * Building the `wasm` target's modules: lowered PrimFuncs -> one binary (codegen_wasm.ts, or the
 * disk cache) -> a WasmModule (wasm_runtime.ts). A built module can save itself as a
 * "wasm-module" artifact (load_wasm.ts): the binary, plus a second one without relaxed SIMD
 * when the first uses it, so that the artifact loads in every engine.
 */
import type { IRModule } from "../../ir/module.js";
import { PrimFunc } from "../../tir/function.js";
import { storageClass } from "../../tir/interp/host_array.js";
import { primFuncSignature } from "../signature.js";
import { registerTarget, type Target } from "../target.js";
import { generateWasm, storageBytes, type WasmCodegenInput, type WasmCodegenOptions } from "./codegen_wasm.js";
import { packWasmArtifact } from "./load_wasm.js";
import { openWasmCache } from "./wasm_cache.js";
import { relaxedSimdEnabled } from "./wasm_features.js";
import { WasmLoopRewrites } from "./wasm_loops.js";
import { WasmModule, defaultThreads, sharedMemorySupported, type WasmModuleArtifact } from "./wasm_runtime.js";

const PAGE = 65536;

export interface WasmBuildOptions {
  /** Use a shared memory (default: when the engine supports it). */
  shared?: boolean;
  /** Maximum memory in MiB (default 2048). */
  maxMemoryMb?: number;
  /** SIMD128 for float32 / int32 vectors (default true). */
  simd?: boolean;
  optimizeLevel?: number;
  /** Threads for parallel loops (default: the target's -num-cores, else the machine's parallelism). */
  threads?: number;
  /** Reuse artifacts from the disk cache (default true; wasm_cache.ts). */
  cache?: boolean;
  /** Cache folder (default $WEFT_CACHE_DIR or ~/.cache/weft, subfolder wasm/). */
  cacheDir?: string;
}

/** A binary from the disk cache, else from the code generator (then cached). */
async function generateCached(mod: IRModule, inputs: readonly WasmCodegenInput[], opts: WasmCodegenOptions, build: WasmBuildOptions): Promise<WasmModuleArtifact> {
  const cache = build.cache === false ? undefined : await openWasmCache(mod, opts, build.cacheDir);
  let artifact = cache?.get();
  if (!artifact) {
    artifact = generateWasm(inputs, opts);
    cache?.put(artifact);
  }
  return artifact;
}

/** Builds a wasm module from a lowered IRModule. */
export async function buildWasmModule(mod: IRModule, target: Target, opts: WasmBuildOptions = {}): Promise<WasmModule> {
  const inputs: WasmCodegenInput[] = [];
  const signatures = [];
  for (const [gv, f] of mod.entries()) {
    if (!(f instanceof PrimFunc)) continue;
    const { signature, symbolOf } = primFuncSignature(f, gv.name, (t) => storageClass(t));
    signatures.push(signature);
    inputs.push({ func: f, name: gv.name, symbolOf });
  }
  const shared = opts.shared ?? (target.getBool("shared-memory", true) && sharedMemorySupported());
  const codegenOpts: WasmCodegenOptions = {
    shared,
    maxPages: maxPagesOf(target, opts.maxMemoryMb),
    simd: opts.simd ?? target.getBool("simd", true),
    optimizeLevel: opts.optimizeLevel ?? target.getNumber("opt-level", 3),
    emitText: target.getBool("emit-text", false),
    relaxedSimd: relaxedSimdEnabled(),
  };
  const artifact = await generateCached(mod, inputs, codegenOpts, opts);
  const threads = opts.threads ?? target.getNumber("num-cores", artifact.ctl !== undefined ? await defaultThreads() : 1);
  const module = await WasmModule.instantiate(target.toString(), artifact, threads);
  module.addFunctions(signatures);
  module.exporter = async (_m, sigs) => {
    // A binary with relaxed SIMD travels with one without, for engines that lack it.
    const variants = [artifact];
    if (artifact.relaxedSimd) variants.push(await generateCached(mod, inputs, { ...codegenOpts, relaxedSimd: false, emitText: false }, opts));
    return packWasmArtifact(variants, sigs);
  };
  return module;
}

/** Pages of the module's memory at most: -max-memory-mb (default 2048), capped by wasm32's 4 GiB. */
function maxPagesOf(target: Target, maxMemoryMb?: number): number {
  const mb = maxMemoryMb ?? target.getNumber("max-memory-mb", 2048);
  return Math.min(65536, Math.ceil((mb * 1024 * 1024) / PAGE));
}

registerTarget("wasm", {
  build: (mod, target) => buildWasmModule(mod, target),
  extraPasses: [WasmLoopRewrites],
  // Every buffer lives in the module's memory: symbolic dims are bounded by its size, so their
  // index arithmetic can be int32 (NarrowDataType asserts the bounds at entry).
  loweringConfig: (target) => ({ narrow: { memoryBytes: maxPagesOf(target) * PAGE } }),
});

export { storageBytes };
