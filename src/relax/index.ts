export * from "./struct_info.js";
export * from "./expr.js";
export * from "./binding.js";
export * from "./struct_info_analysis.js";
export * from "./block_builder.js";
export * as op from "./op/index.js";
export { RelaxOp, type InferContext, type OpSpec } from "./op/registry.js";
export * from "./script/index.js";
export * as transform from "./transform/index.js";
