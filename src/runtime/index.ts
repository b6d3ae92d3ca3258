export * from "./ndarray.js";
export * from "./module.js";
export * as vm from "./vm/index.js";
