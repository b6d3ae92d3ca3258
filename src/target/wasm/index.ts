export * from "./codegen_wasm.js";
export * from "./module_wasm.js";
export * from "./wasm_features.js";
