export * from "./onnx/index.js";
export * from "./shape_util.js";
