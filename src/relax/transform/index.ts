export * from "./pass.js";
export { ExprMutator, mapRelaxFunctions } from "./mutator.js";
export * from "./legalize_ops.js";
export * from "./normalize.js";
export * from "./canonicalize_bindings.js";
export * from "./dead_code_elimination.js";
export * from "./fold_constant.js";
export * from "./decompose_ops.js";
