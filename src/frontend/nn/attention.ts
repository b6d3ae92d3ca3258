/**
 * Multi-head scaled dot-product attention and a BERT-style (post-norm) encoder layer. Shapes
 * are written with 0 / -1 reshape specs, so the batch and sequence dims stay symbolic: an
 * input of (batch, seq, embed) gives (batch, seq, embed) for any seq.
 */
import { LayerNorm, Linear } from "./layers.js";
import { Module, Rng, type Graph } from "./module.js";

export class MultiHeadAttention extends Module {
  readonly q: Linear;
  readonly k: Linear;
  readonly v: Linear;
  readonly out: Linear;
  readonly headDim: number;
  constructor(
    readonly embed: number,
    readonly heads: number,
    rng?: Rng,
  ) {
    super();
    if (embed % heads !== 0) throw new RangeError(`MultiHeadAttention: embed ${embed} must divide into ${heads} heads`);
    this.headDim = embed / heads;
    const r = rng ?? new Rng(0);
    this.q = this.addChild("q", new Linear(embed, embed, { rng: r }));
    this.k = this.addChild("k", new Linear(embed, embed, { rng: r }));
    this.v = this.addChild("v", new Linear(embed, embed, { rng: r }));
    this.out = this.addChild("out", new Linear(embed, embed, { rng: r }));
  }

  /** (b, s, e) -> (b, heads, s, d) */
  private split<V>(g: Graph<V>, x: V): V {
    return g.transpose(g.reshape(x, [0, 0, this.heads, this.headDim]), [0, 2, 1, 3]);
  }

  forward<V>(g: Graph<V>, x: V): V {
    const scale = 1 / Math.sqrt(this.headDim);
    if (g.attention) {
      // The fused operator takes (b, s, h, d) directly: no transposes around it.
      const heads = (l: Linear) => g.reshape(l.forward(g, x), [0, 0, this.heads, this.headDim]);
      const ctx = g.attention(heads(this.q), heads(this.k), heads(this.v), scale);
      return this.out.forward(g, g.reshape(ctx, [0, 0, this.embed]));
    }
    const q = this.split(g, this.q.forward(g, x));
    // k^T directly: (b, s, h, d) -> (b, h, d, s).
    const kt = g.transpose(g.reshape(this.k.forward(g, x), [0, 0, this.heads, this.headDim]), [0, 2, 3, 1]);
    const v = this.split(g, this.v.forward(g, x));
    const scores = g.mul(g.matmul(q, kt), g.scalar(scale));
    const ctx = g.matmul(g.softmax(scores, -1), v);
    const merged = g.reshape(g.transpose(ctx, [0, 2, 1, 3]), [0, 0, this.embed]);
    return this.out.forward(g, merged);
  }
}

/** x = LN(x + MHA(x)); x = LN(x + FFN(x)) with a GELU FFN. */
export class TransformerEncoderLayer extends Module {
  readonly attn: MultiHeadAttention;
  readonly norm1: LayerNorm;
  readonly fc1: Linear;
  readonly fc2: Linear;
  readonly norm2: LayerNorm;
  constructor(
    readonly embed: number,
    readonly heads: number,
    readonly ffn: number,
    rng?: Rng,
  ) {
    super();
    const r = rng ?? new Rng(0);
    this.attn = this.addChild("attn", new MultiHeadAttention(embed, heads, r));
    this.norm1 = this.addChild("norm1", new LayerNorm(embed, 1e-12, r));
    this.fc1 = this.addChild("fc1", new Linear(embed, ffn, { rng: r }));
    this.fc2 = this.addChild("fc2", new Linear(ffn, embed, { rng: r }));
    this.norm2 = this.addChild("norm2", new LayerNorm(embed, 1e-12, r));
  }

  forward<V>(g: Graph<V>, x: V): V {
    const h = this.norm1.forward(g, g.add(x, this.attn.forward(g, x)));
    const f = this.fc2.forward(g, g.gelu(this.fc1.forward(g, h)));
    return this.norm2.forward(g, g.add(h, f));
  }
}
