export * from "./printer/index.js";
export * from "./parser/index.js";
