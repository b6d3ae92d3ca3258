export * from "./bytecode.js";
export * from "./values.js";
export * from "./builtins.js";
export * from "./executable.js";
export * from "./vm.js";
export * from "./kernel_loader.js";
