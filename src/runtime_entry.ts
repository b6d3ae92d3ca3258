/**
 * The runtime-only entry (`weft/runtime`): what running a compiled executable needs, and no
 * more. It loads executables whose kernels were saved as "wasm-module" or "js-source" (the
 * `wasm` and `js` targets) and runs them on the VM; its import graph has no binaryen, no
 * native-library binding, no TensorIR parser and no Node-only module, so it runs in browsers as
 * it is (ES modules). Executables of the `c` target ("tir-script") need the compiler: load those
 * with `relax.loadExecutable` of the full package.
 */
import "./target/js/load_js.js";
import "./target/wasm/load_wasm.js";

export { loadExecutable, loadExecutableModules, registerKernelLoader, registeredKernelFormats, KernelLoadError, type LoadedExecutable } from "./runtime/vm/kernel_loader.js";
export { Executable, ExecutableError, type KernelArtifact } from "./runtime/vm/executable.js";
export { VirtualMachine } from "./runtime/vm/vm.js";
export { ShapeTuple } from "./runtime/vm/values.js";
export { NDArray } from "./runtime/ndarray.js";
export type { Module, PackedFunc } from "./runtime/module.js";
