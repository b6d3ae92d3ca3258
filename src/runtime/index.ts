export * from "./ndarray.js";
export * from "./module.js";
export * from "./npy.js";
export * as vm from "./vm/index.js";
export * from "./signature_json.js";
