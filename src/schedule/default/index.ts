export * from "./default_schedule.js";
export { analyzeBlock, type BlockAnalysis, type BlockKind } from "./block_kind.js";
export type { TargetLike } from "./util.js";
