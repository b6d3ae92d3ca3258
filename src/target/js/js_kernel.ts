/**
 * Turns the source of a js-target kernel back into a function: `new Function("C", source)` is
 * the kernel's factory, called with the functions its recipes name (src/target/kernel_imports.ts).
 * Code generation and loading a saved kernel both come through here, so they make the same kernel.
 */
import { jsImport } from "../kernel_imports.js";

/** The kernel a JS module calls after checking the arguments. */
export type JsKernel = (args: ArrayLike<unknown>, syms: Float64Array) => number | undefined;

export function instantiateJsKernel(source: string, recipes: readonly string[]): JsKernel {
  const factory = new Function("C", source) as (c: unknown[]) => unknown;
  const kernel = factory(recipes.map(jsImport));
  if (typeof kernel !== "function") throw new TypeError(`js kernel: the factory returned ${typeof kernel}, not a function`);
  return kernel as JsKernel;
}
