/**
 * Passes and pipelines. A pass is a named `IRModule -> IRModule` function; a pipeline is a
 * plain ordered array of passes, read top to bottom like a recipe. `runPipeline` applies them
 * in order and, when `WEFT_DUMP_IR=<dir>` is set (or `dumpDir` is given), writes the module
 * after every pass as numbered TVMScript files so anyone can see what each step did.
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
}

/** Applies the passes in order; dumps the module after each one when asked to. */
export function runPipeline(mod: IRModule, passes: readonly Pass[], opts: PipelineOptions = {}): IRModule {
  const dumpDir = opts.dumpDir ?? envDumpDir();
  const dump = dumpDir ? makeDumper(dumpDir) : undefined;
  dump?.(0, "input", mod);
  let cur = mod;
  passes.forEach((pass, i) => {
    cur = pass(cur);
    dump?.(i + 1, pass.name, cur);
  });
  return cur;
}

function envDumpDir(): string | undefined {
  const g = globalThis as { process?: { env?: Record<string, string | undefined> } };
  return g.process?.env?.["WEFT_DUMP_IR"] || undefined;
}

type Dumper = (index: number, passName: string, mod: IRModule) => void;

/** Node-only: the dump is a debugging aid, so browsers simply skip it. */
function makeDumper(dir: string): Dumper | undefined {
  const g = globalThis as { process?: { getBuiltinModule?: (m: string) => unknown } };
  const fs = g.process?.getBuiltinModule?.("node:fs") as typeof import("node:fs") | undefined;
  const path = g.process?.getBuiltinModule?.("node:path") as typeof import("node:path") | undefined;
  if (!fs || !path) return undefined;
  fs.mkdirSync(dir, { recursive: true });
  return (index, passName, mod) => {
    const file = path.join(dir, `${String(index).padStart(2, "0")}_${passName}.py`);
    fs.writeFileSync(file, printScript(mod));
  };
}
