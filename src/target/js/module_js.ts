/**
 * Builds a runnable module from lowered PrimFuncs for the `js` target: each function is
 * rendered by codegen_js, compiled with `new Function`, and wrapped with the shared argument
 * checker of the runtime. The module exports its kernels' sources as a "js-source" artifact
 * (load_js.ts), which loads without the code generator.
 */
import type { IRModule } from "../../ir/module.js";
import type { PackedFunc } from "../../runtime/module.js";
import { PrimFunc } from "../../tir/function.js";
import { storageClass } from "../../tir/interp/host_array.js";
import { primFuncSignature } from "../signature.js";
import { registerTarget, type Target } from "../target.js";
import { generateJs } from "./codegen_js.js";
import { JsModule, checkedKernel, type JsSavedFunction } from "./load_js.js";

/** A PackedFunc that checks its arguments and runs the JS kernel of `func`. */
export function buildJsFunction(func: PrimFunc, name: string): { packed: PackedFunc; source: string; saved: JsSavedFunction } {
  const { signature, symbolOf } = primFuncSignature(func, name, (t) => storageClass(t));
  const { kernel, source, recipes } = generateJs(func, name, symbolOf);
  return { packed: checkedKernel(kernel, signature), source, saved: { name, source, recipes, signature } };
}

export function buildJsModule(mod: IRModule, target: Target): JsModule {
  const funcs: JsSavedFunction[] = [];
  const packed: [string, PackedFunc][] = [];
  for (const [gv, f] of mod.entries()) {
    if (!(f instanceof PrimFunc)) continue;
    const b = buildJsFunction(f, gv.name);
    funcs.push(b.saved);
    packed.push([gv.name, b.packed]);
  }
  return new JsModule(target.toString(), funcs, packed);
}

registerTarget("js", { build: (mod, target) => buildJsModule(mod, target) });
