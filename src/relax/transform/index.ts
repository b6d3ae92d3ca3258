export * from "./pass.js";
export { ExprMutator, mapRelaxFunctions } from "./mutator.js";
export * from "./legalize_ops.js";
