export { Module, Parameter, Rng, type Graph, type Conv2dAttrs, type InputSpec } from "./module.js";
export { Linear, Conv2d, LayerNorm, BatchNorm2d, Embedding, ReLU, GELU, Flatten, MaxPool2d, GlobalAvgPool2d, Sequential, type Conv2dOptions } from "./layers.js";
export { MultiHeadAttention, TransformerEncoderLayer } from "./attention.js";
export { RelaxGraph, exportRelax, inputVars, type ExportRelaxOptions } from "./relax_graph.js";
export { OnnxGraph, exportOnnx, exportOnnxModel, type ExportOnnxOptions } from "./onnx_graph.js";
