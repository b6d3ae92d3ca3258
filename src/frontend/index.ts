export * from "./onnx/index.js";
export * as nn from "./nn/index.js";
export * from "./shape_util.js";
