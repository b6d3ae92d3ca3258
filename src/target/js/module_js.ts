/**
 * Builds a runnable module from lowered PrimFuncs for the `js` target: each function is
 * rendered by codegen_js, compiled with `new Function`, and wrapped with the shared argument
 * checker of the runtime.
 */
import type { IRModule } from "../../ir/module.js";
import { ArgChecker, FunctionModule, type ArgValue, type PackedFunc } from "../../runtime/module.js";
import { PrimFunc } from "../../tir/function.js";
import { storageClass } from "../../tir/interp/host_array.js";
import { primFuncSignature } from "../signature.js";
import { registerTarget, type Target } from "../target.js";
import { generateJs } from "./codegen_js.js";

/** A PackedFunc that checks its arguments and runs the JS kernel of `func`. */
export function buildJsFunction(func: PrimFunc, name: string): { packed: PackedFunc; source: string } {
  const { signature, symbolOf } = primFuncSignature(func, name, (t) => storageClass(t));
  const { kernel, source } = generateJs(func, name, symbolOf);
  const checker = new ArgChecker(signature);
  const syms = checker.syms;
  const packed: PackedFunc = (...args: ArgValue[]) => {
    checker.check(args);
    return kernel(args, syms);
  };
  Object.defineProperty(packed, "name", { value: name });
  return { packed, source };
}

export function buildJsModule(mod: IRModule, target: Target): FunctionModule {
  const funcs: [string, PackedFunc][] = [];
  const sources = new Map<string, string>();
  for (const [gv, f] of mod.entries()) {
    if (!(f instanceof PrimFunc)) continue;
    const { packed, source } = buildJsFunction(f, gv.name);
    funcs.push([gv.name, packed]);
    sources.set(gv.name, source);
  }
  return new FunctionModule(target.toString(), funcs, sources);
}

registerTarget("js", { build: (mod, target) => buildJsModule(mod, target) });
