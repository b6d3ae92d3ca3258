export * from "./target.js";
export * from "./build.js";
export * from "./signature.js";
export * as js from "./js/index.js";
export * as c from "./c/index.js";
export * as wasm from "./wasm/index.js";
