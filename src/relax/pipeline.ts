/**
 * relax.build: a Relax module (Relax functions calling PrimFuncs through R.call_tir) to a
 * runnable VM. The recipe, top to bottom:
 *
 *   1. `opts.passes` (default `PRE_VM_PASSES`): the graph-level passes that bring the module
 *      to call_tir form: Normalize, DecomposeOps, LegalizeOps, FoldConstant, FuseOps, FuseTIR
 *      and clean-ups;
 *   2. `schedulePasses(target)` (unless `defaultSchedule: false`): ScheduleKernels (the default
 *      CPU schedules), SplitWeightPacking (a kernel's packing of a constant weight becomes a
 *      kernel of its own), LiftTransformParams (constant-only work runs once per VM);
 *   3. `VM_LOWERING_PASSES`: ToNonDataflow, CallTIRRewrite, StaticPlanBlockMemory,
 *      KillAfterLastUse, VMShapeLower; the PrimFuncs are built with the target's code
 *      generator (`js`, `c`, `wasm`);
 *   4. VM codegen to an Executable that carries the kernels in the form their target saves
 *      (`Module.exportArtifact`): "wasm-module" (the binaries) for wasm, "js-source" (the
 *      generated JavaScript) for js; those load without the compiler, in a browser too
 *      (src/runtime/vm/kernel_loader.ts, src/runtime_entry.ts). The `c` target saves the
 *      kernels' TensorIR as TVMScript ("tir-script"): a shared library is specific to one machine
 *      and C library (and `-mcpu=native` to one CPU), while loading needs the C compiler anyway,
 *      so `loadExecutable` rebuilds the kernels for the machine that loads the file. The
 *      "tir-script" loader is registered here; files of earlier versions (all "tir-script")
 *      keep loading.
 *
 * `WEFT_DUMP_IR=<dir>` (or `dumpDir`) writes the module after every pass, numbered, and the
 * final bytecode, as `relax_NN_<pass>.py` (the kernels' TensorIR lowering writes its own
 * numbered dumps into the same folder, without the prefix).
 */
import type { IRModule } from "../ir/module.js";
import { IRModule as IRModuleClass } from "../ir/module.js";
import type { Module } from "../runtime/module.js";
import type { Executable, KernelArtifact } from "../runtime/vm/executable.js";
import { KernelLoadError, loadExecutable as loadWithRegisteredLoaders, registerKernelLoader } from "../runtime/vm/kernel_loader.js";
import { VirtualMachine } from "../runtime/vm/vm.js";
import { build as buildTarget } from "../target/build.js";
import "../target/c/index.js";
import "../target/js/load_js.js";
import "../target/wasm/index.js";
import { Target } from "../target/target.js";
import { PrimFunc } from "../tir/function.js";
import { parseScript, printScript } from "../tir/script/index.js";
import { envDumpDir, runPipeline, writeDump } from "../tir/transform/pass.js";
import "./script/index.js"; // registers the Relax printer for the dumps
import { callTIRRewrite } from "./transform/call_tir_rewrite.js";
import { killAfterLastUse } from "./transform/kill_after_last_use.js";
import type { Pass } from "./transform/lower_util.js";
import { staticPlanBlockMemory } from "./transform/static_plan_block_memory.js";
import { toNonDataflow } from "./transform/to_non_dataflow.js";
import { vmCodegen } from "./transform/vm_codegen.js";
import { vmShapeLower } from "./transform/vm_shape_lower.js";
import * as T from "./transform/index.js";

/**
 * Graph-level passes before the VM lowering: normal form, decomposition, legalization to
 * call_tir, constant folding, fusion (TVM's rules) and clean-up.
 */
export const PRE_VM_PASSES: readonly Pass[] = [
  T.Normalize, T.CanonicalizeBindings, T.DecomposeOps, T.CanonicalizeBindings, T.LegalizeOps, T.FoldConstant,
  T.DeadCodeElimination, T.AnnotateTIROpPattern, T.FuseOps, T.FuseTIR, T.RewriteDataflowReshape, T.DeadCodeElimination,
];

/** The lowering from call_tir form to what VM codegen reads. */
export const VM_LOWERING_PASSES: readonly Pass[] = [toNonDataflow, callTIRRewrite, staticPlanBlockMemory, killAfterLastUse, vmShapeLower];

export const KERNEL_ARTIFACT_FORMAT = "tir-script";

export interface RelaxBuildOptions {
  /** Passes before the VM lowering (default PRE_VM_PASSES). */
  passes?: readonly Pass[];
  /** Apply src/schedule/default's rule-based schedules to the PrimFuncs before building (default true). */
  defaultSchedule?: boolean;
  /** Per-pass dumps; defaults to the WEFT_DUMP_IR environment variable. */
  dumpDir?: string;
}

export interface Built {
  readonly exec: Executable;
  /** The kernels, built for the target. */
  readonly modules: readonly Module[];
  readonly vm: VirtualMachine;
}

/** Runs the passes in order, dumping after each when asked to (files `relax_NN_<pass>.py`). */
export function runRelaxPipeline(mod: IRModule, passes: readonly Pass[], dumpDir?: string): IRModule {
  return runPipeline(mod, passes, { ...(dumpDir ? { dumpDir } : {}), filePrefix: "relax_" });
}

/** The module's PrimFuncs alone (what the target builds). */
export function primFuncsOf(mod: IRModule): IRModule {
  return new IRModuleClass([...mod.entries()].filter(([, f]) => f instanceof PrimFunc));
}

/**
 * The kernels' schedules for `target`, then the weight packing they start with moved out of
 * the per-call path: split into kernels of its own, run once (LiftTransformParams).
 */
export function schedulePasses(target: Target | string): Pass[] {
  return [T.ScheduleKernels(Target.from(target)), T.SplitWeightPacking, T.LiftTransformParams];
}

export async function build(mod: IRModule, target: Target | string, opts: RelaxBuildOptions = {}): Promise<Built> {
  const t = Target.from(target);
  const passes = [...(opts.passes ?? PRE_VM_PASSES), ...((opts.defaultSchedule ?? true) ? schedulePasses(t) : []), ...VM_LOWERING_PASSES];
  const dumpDir = opts.dumpDir ?? envDumpDir();
  const lowered = runRelaxPipeline(mod, passes, dumpDir);
  const kernels = primFuncsOf(lowered);
  const names = kernels.functionList.length ? [...kernels.entries()].map(([g]) => g.name) : [];
  const modules = names.length ? [await buildTarget(kernels, t)] : [];
  const saved = await modules[0]?.exportArtifact?.();
  const artifact: KernelArtifact = saved
    ? { target: t.toString(), format: saved.format, data: saved.data, functions: names }
    : { target: t.toString(), format: KERNEL_ARTIFACT_FORMAT, data: names.length ? printScript(kernels) : "", functions: names };
  const exec = vmCodegen(lowered, [artifact]);
  if (dumpDir) writeDump(dumpDir, `relax_${String(passes.length + 1).padStart(2, "0")}_bytecode.txt`, exec.asText());
  return { exec, modules, vm: new VirtualMachine(exec, modules) };
}

/** The "tir-script" loader: parses the TensorIR and builds it for the artifact's target. */
async function loadTirScript(k: KernelArtifact): Promise<Module> {
  if (typeof k.data !== "string") throw new KernelLoadError(`kernel artifact for ${k.target}: a "${KERNEL_ARTIFACT_FORMAT}" artifact is text, got ${k.data.byteLength} bytes of binary data`);
  return buildTarget(parseScript(k.data), Target.parse(k.target));
}
registerKernelLoader(KERNEL_ARTIFACT_FORMAT, loadTirScript);

/**
 * Loads a serialized executable and makes its VM: every kernel artifact format, "tir-script"
 * (rebuilt with the compiler) included. The runtime-only entry (src/runtime_entry.ts) loads
 * the formats that need no compiler.
 */
export async function loadExecutable(bytes: Uint8Array): Promise<Built> {
  return loadWithRegisteredLoaders(bytes);
}
