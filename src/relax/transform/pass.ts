/**
 * Relax passes use the pass infrastructure of tir/transform/pass.ts: a pass is a named
 * `IRModule -> IRModule` function, a pipeline a plain array run by `runPipeline`, and
 * `WEFT_DUMP_IR=<dir>` dumps the module after each pass (mixed modules print through the Relax
 * printer, which registers itself with `setModulePrinter`).
 */
import { PassError, modulePass, type Pass } from "../../tir/transform/pass.js";
import type { IRModule } from "../../ir/module.js";
import { Function } from "../expr.js";
import "../script/printer.js";

export { PassError, modulePass, printModule, runPipeline, type Pass, type PipelineOptions } from "../../tir/transform/pass.js";

/**
 * A pass that rewrites every Relax function of a module independently (PrimFuncs are kept).
 * Errors are re-thrown naming the pass and the function.
 */
export function relaxFunctionPass(name: string, f: (fn: Function, funcName: string, mod: IRModule) => Function): Pass {
  return modulePass(name, (mod) =>
    mod.map((fn, funcName) => {
      if (!(fn instanceof Function)) return fn;
      try {
        return f(fn, funcName, mod);
      } catch (e) {
        throw wrapError(name, funcName, e);
      }
    }),
  );
}

/** `e` as a PassError naming the pass and function (kept as is when it already is one). */
export function wrapError(pass: string, funcName: string, e: unknown): Error {
  if (e instanceof PassError) return e;
  return new PassError(pass, funcName, e instanceof Error ? e.message : String(e));
}
