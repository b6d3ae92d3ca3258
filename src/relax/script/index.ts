export { printRelax, isRelaxNode } from "./printer.js";
export { parseRelaxScript, parseRelaxFunction } from "./parser.js";
