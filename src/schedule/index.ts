export * from "./sref.js";
export * from "./rv.js";
export * from "./error.js";
export * from "./state.js";
export * from "./block_info.js";
export * from "./instruction.js";
export * from "./trace.js";
export * from "./schedule.js";
import "./primitives/index.js";
