export * from "./ndarray.js";
export * from "./module.js";
