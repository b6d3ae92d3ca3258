export { importOnnx, sanitizeName, MIN_OPSET, MAX_OPSET, type ImportOptions } from "./importer.js";
export { supportedOps } from "./registry.js";
export {
  onnx, decodeModel, encodeModel, makeTensor, tensorValue, dtypeFromOnnx, onnxFromDtype, toNumber,
  type ModelProto, type IModelProto, type IGraphProto, type INodeProto, type ITensorProto, type IAttributeProto, type IValueInfoProto,
} from "./proto.js";
export { OnnxGraphBuilder, onnxFloat, valueInfo, type OnnxAttrValue, type OnnxDim, type TensorAttr, type FloatAttr } from "./builder.js";
