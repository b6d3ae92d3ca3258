export { parseScript, parsePrimFunc, parseExpr } from "./function.js";
export { completeBlockRegions, wrapRootBlock } from "./complete.js";
