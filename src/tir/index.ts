export * from "./stmt.js";
export * from "./function.js";
export * from "./stmt_functor.js";
