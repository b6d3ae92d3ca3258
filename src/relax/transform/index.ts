export * from "./lower_util.js";
export * from "./liveness.js";
export * from "./to_non_dataflow.js";
export * from "./call_tir_rewrite.js";
export * from "./static_plan_block_memory.js";
export * from "./kill_after_last_use.js";
export * from "./vm_shape_lower.js";
export * from "./vm_codegen.js";
