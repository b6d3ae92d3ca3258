/**
 * Loading an executable: the file's kernel artifacts become runnable modules through the loader
 * registered for each artifact's `format`. The runtime compiles nothing itself: a target
 * registers the loader of the form it saves ("wasm-module", "js-source" load from the file
 * alone; "tir-script" rebuilds the kernels with the compiler and is registered by the Relax
 * build pipeline). Which loaders exist depends on what the program imported, so an unknown
 * format gets an error that lists the registered ones.
 */
import type { Module } from "../module.js";
import { Executable, type KernelArtifact } from "./executable.js";
import { VirtualMachine } from "./vm.js";

export class KernelLoadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "KernelLoadError";
  }
}

export type KernelLoader = (artifact: KernelArtifact) => Promise<Module> | Module;

const loaders = new Map<string, KernelLoader>();

/** Registers (or replaces) the loader of an artifact format. */
export function registerKernelLoader(format: string, loader: KernelLoader): void {
  loaders.set(format, loader);
}

export function registeredKernelFormats(): string[] {
  return [...loaders.keys()];
}

/** Makes the module of one artifact with the loader of its format. */
export async function loadKernelArtifact(artifact: KernelArtifact): Promise<Module> {
  const loader = loaders.get(artifact.format);
  if (!loader) {
    const have = registeredKernelFormats().join(", ") || "none";
    const hint = artifact.format === "tir-script"
      ? "; this format rebuilds the kernels with the compiler: load it with loadExecutable of the full package (relax), not the runtime-only entry"
      : "; the file may come from a newer weft, or the target's loader was not imported";
    throw new KernelLoadError(`kernel artifact for ${artifact.target}: no loader for format "${artifact.format}" (registered: ${have})${hint}`);
  }
  return loader(artifact);
}

/** An executable with its kernels loaded, and the VM that runs it. */
export interface LoadedExecutable {
  readonly exec: Executable;
  readonly modules: readonly Module[];
  readonly vm: VirtualMachine;
}

/** Loads an executable's kernels (artifacts that define no function are skipped) and makes its VM. */
export async function loadExecutableModules(exec: Executable): Promise<LoadedExecutable> {
  const modules: Module[] = [];
  for (const k of exec.kernels) {
    if (k.functions.length === 0) continue;
    const m = await loadKernelArtifact(k);
    const missing = k.functions.filter((f) => !m.functionNames().includes(f));
    if (missing.length) {
      throw new KernelLoadError(`kernel artifact for ${k.target} (${k.format}): its module lacks ${missing.join(", ")}, which the artifact lists; the file is corrupt, compile the model again`);
    }
    modules.push(m);
  }
  return { exec, modules, vm: new VirtualMachine(exec, modules) };
}

/** Reads a serialized executable (Executable.serialize) and loads it. */
export async function loadExecutable(bytes: Uint8Array): Promise<LoadedExecutable> {
  return loadExecutableModules(Executable.load(bytes));
}
