export * from "./codegen_js.js";
export * from "./module_js.js";
