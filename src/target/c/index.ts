export * from "./codegen_c.js";
export * from "./compile.js";
export * from "./module.js";
export * from "./ukernels.js";
export * from "./module_c.js";
