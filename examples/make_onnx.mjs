#!/usr/bin/env node
// Writes the example ONNX models with weft's nn builder (seeded weights):
//   examples/mlp.onnx        x: (batch, 64) -> Linear 128 -> ReLU -> Linear 10
//   examples/tiny_bert.onnx  input_ids: (batch, seq) int64 -> Embedding(100, 32) -> LayerNorm
//                            -> one encoder layer (4 heads, FFN 64)
// Run after `npm run build`: node examples/make_onnx.mjs
import { writeFileSync } from "node:fs";
import { frontend } from "../dist/index.js";

const { nn } = frontend;
const rng = new nn.Rng(7);
const mlp = new nn.Sequential(new nn.Linear(64, 128, { rng }), new nn.ReLU(), new nn.Linear(128, 10, { rng }));
writeFileSync(new URL("./mlp.onnx", import.meta.url), nn.exportOnnx(mlp, [{ name: "x", shape: ["batch", 64] }]));

class TinyBert extends nn.Module {
  constructor(r) {
    super();
    this.emb = this.addChild("emb", new nn.Embedding(100, 32, r));
    this.norm = this.addChild("norm", new nn.LayerNorm(32, 1e-12, r));
    this.layer = this.addChild("layer", new nn.TransformerEncoderLayer(32, 4, 64, r));
  }
  forward(g, ids) {
    return this.layer.forward(g, this.norm.forward(g, this.emb.forward(g, ids)));
  }
}
const bert = new TinyBert(new nn.Rng(11));
writeFileSync(new URL("./tiny_bert.onnx", import.meta.url), nn.exportOnnx(bert, [{ name: "input_ids", shape: ["batch", "seq"], dtype: "int64" }]));
console.log("wrote examples/mlp.onnx and examples/tiny_bert.onnx");
