/**
 * Passes and pipelines. A pass is a named `IRModule -> IRModule` function; a pipeline is a
 * plain ordered array of passes, read top to bottom like a recipe. `runPipeline` applies them
 * in order and, when `WEFT_DUMP_IR=<dir>` is set (or `dumpDir` is given), writes the module
 * after every pass as numbered TVMScript files so anyone can see what each step did.
 *
 * The dump prints with the TIR printer unless a printer registered with `setModulePrinter`
 * takes the module: the Relax printer registers itself there (tir never imports relax), so a
 * mixed module of Relax functions and PrimFuncs dumps as one TVMScript class.
 */
import { IRModule } from "../../ir/module.js";
import { PrimFunc } from "../function.js";
import { printScript } from "../script/index.js";

export interface Pass {
  readonly name: string;
  (mod: IRModule): IRModule;
}

/** Makes a named pass from a module transformation. */
export function modulePass(name: string, f: (mod: IRModule) => IRModule): Pass {
  const p = (mod: IRModule) => f(mod);
  Object.defineProperty(p, "name", { value: name });
  return p as Pass;
}

/**
 * Makes a pass that transforms every PrimFunc of a module independently. Errors are re-thrown
 * naming the pass and the function, so a failing precondition says where it failed.
 */
export function primFuncPass(name: string, f: (func: PrimFunc, funcName: string) => PrimFunc): Pass {
  return modulePass(name, (mod) =>
    mod.map((fn, funcName) => {
      if (!(fn instanceof PrimFunc)) return fn;
      try {
        return f(fn, funcName);
      } catch (e) {
        if (e instanceof PassError) throw e;
        throw new PassError(name, funcName, e instanceof Error ? e.message : String(e));
      }
    }),
  );
}

export class PassError extends Error {
  constructor(
    readonly pass: string,
    readonly funcName: string,
    detail: string,
  ) {
    super(`${pass}: function "${funcName}": ${detail}`);
    this.name = "PassError";
  }
}

export interface PipelineOptions {
  /** Directory for per-pass TVMScript dumps; defaults to the WEFT_DUMP_IR environment variable. */
  dumpDir?: string;
  /** Prefix of the dump files (pipelines sharing a folder keep their numbering apart). */
  filePrefix?: string;
}

/** Applies the passes in order; dumps the module after each one when asked to. */
export function runPipeline(mod: IRModule, passes: readonly Pass[], opts: PipelineOptions = {}): IRModule {
  const dumpDir = opts.dumpDir ?? envDumpDir();
  const prefix = opts.filePrefix ?? "";
  const dump = dumpDir
    ? (i: number, name: string, m: IRModule) => writeDump(dumpDir, `${prefix}${String(i).padStart(2, "0")}_${name}.py`, printModule(m))
    : undefined;
  dump?.(0, "input", mod);
  let cur = mod;
  passes.forEach((pass, i) => {
    cur = pass(cur);
    dump?.(i + 1, pass.name, cur);
  });
  return cur;
}

export function envDumpDir(): string | undefined {
  const g = globalThis as { process?: { env?: Record<string, string | undefined> } };
  return g.process?.env?.["WEFT_DUMP_IR"] || undefined;
}

/** Prints a module as TVMScript, or returns undefined when it does not handle that module. */
export type ModulePrinter = (mod: IRModule) => string | undefined;

const modulePrinters: ModulePrinter[] = [];

/** Registers a printer for the per-pass dumps (tried before the TIR printer, latest first). */
export function setModulePrinter(p: ModulePrinter): void {
  if (!modulePrinters.includes(p)) modulePrinters.unshift(p);
}

/** The module as TVMScript: a registered printer when one takes it, else the TIR printer. */
export function printModule(mod: IRModule): string {
  for (const p of modulePrinters) {
    const text = p(mod);
    if (text !== undefined) return text;
  }
  return printScript(mod);
}

/** Writes one dump file into `dir` (Node only: the dump is a debugging aid, browsers skip it). */
export function writeDump(dir: string, file: string, text: string): void {
  const g = globalThis as { process?: { getBuiltinModule?: (m: string) => unknown } };
  const fs = g.process?.getBuiltinModule?.("node:fs") as typeof import("node:fs") | undefined;
  const path = g.process?.getBuiltinModule?.("node:path") as typeof import("node:path") | undefined;
  if (!fs || !path) return;
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, file), text);
}
