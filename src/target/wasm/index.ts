export * from "./codegen_wasm.js";
export * from "./module_wasm.js";
export * from "./wasm_runtime.js";
export * from "./load_wasm.js";
export * from "./wasm_features.js";
