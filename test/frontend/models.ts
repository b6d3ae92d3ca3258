import { nn } from "../../src/frontend/index.js";

const { Rng, Sequential, Linear, ReLU, Conv2d, BatchNorm2d, MaxPool2d, GlobalAvgPool2d, Flatten, Embedding, TransformerEncoderLayer, LayerNorm } = nn;

export function mlp(seed = 1) {
  const rng = new Rng(seed);
  return new Sequential(new Linear(8, 16, { rng }), new ReLU(), new Linear(16, 4, { rng }));
}

export function cnn(seed = 2) {
  const rng = new Rng(seed);
  return new Sequential(
    new Conv2d(3, 8, 3, { padding: 1, rng }), new BatchNorm2d(8, 1e-5, rng), new ReLU(), new MaxPool2d(2),
    new Conv2d(8, 16, 3, { stride: 2, padding: 1, groups: 2, rng }), new ReLU(), new GlobalAvgPool2d(), new Flatten(), new Linear(16, 10, { rng }),
  );
}

/** An embedding followed by one BERT-style encoder layer; token ids of shape (batch, seq). */
export class TinyBert extends nn.Module {
  readonly emb: InstanceType<typeof Embedding>;
  readonly norm: InstanceType<typeof LayerNorm>;
  readonly layer: InstanceType<typeof TransformerEncoderLayer>;
  constructor(rng: InstanceType<typeof Rng>) {
    super();
    this.emb = this.addChild("emb", new Embedding(50, 16, rng));
    this.norm = this.addChild("norm", new LayerNorm(16, 1e-12, rng));
    this.layer = this.addChild("layer", new TransformerEncoderLayer(16, 4, 32, rng));
  }
  forward<V>(g: nn.Graph<V>, ids: V): V {
    return this.layer.forward(g, this.norm.forward(g, this.emb.forward(g, ids)));
  }
}

