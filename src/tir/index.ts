export * from "./stmt.js";
export * from "./function.js";
export * from "./stmt_functor.js";
export * from "./block_access.js";
export * from "./interp/index.js";
export * from "./script/index.js";
export * from "./pipeline.js";
export * as transform from "./transform/index.js";
