export * from "./tensor.js";
export * from "./reduce.js";
export * from "./create_prim_func.js";
export * as topi from "./ops/index.js";
