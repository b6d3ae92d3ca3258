export * as ir from "./ir/index.js";
export * as arith from "./arith/index.js";
export * as tir from "./tir/index.js";
export * as te from "./te/index.js";
export * as schedule from "./schedule/index.js";
export * as runtime from "./runtime/index.js";
export * as target from "./target/index.js";
export * as relax from "./relax/index.js";
