/**
 * Layers of the nn builder, initialized the way PyTorch does by default (uniform in
 * +-1/sqrt(fan_in)) from a seeded Rng. Linear keeps its weight as (in, out) so `x @ W` needs
 * no transpose in either export.
 */
import { Module, Parameter, Rng, type Graph } from "./module.js";

export class Linear extends Module {
  readonly weight: Parameter;
  readonly bias: Parameter | undefined;
  constructor(
    readonly inFeatures: number,
    readonly outFeatures: number,
    opts: { bias?: boolean; rng?: Rng } = {},
  ) {
    super();
    const rng = opts.rng ?? new Rng(0);
    const bound = 1 / Math.sqrt(inFeatures);
    this.weight = this.addParam("weight", Parameter.uniform([inFeatures, outFeatures], bound, rng));
    this.bias = opts.bias === false ? undefined : this.addParam("bias", Parameter.uniform([outFeatures], bound, rng));
  }

  forward<V>(g: Graph<V>, x: V): V {
    const y = g.matmul(x, g.param(this.weight));
    return this.bias ? g.add(y, g.param(this.bias)) : y;
  }
}

export interface Conv2dOptions {
  stride?: number | [number, number];
  padding?: number | [number, number];
  dilation?: number | [number, number];
  groups?: number;
  bias?: boolean;
  rng?: Rng;
}

const pair = (v: number | [number, number] | undefined, d: number): [number, number] => (v === undefined ? [d, d] : typeof v === "number" ? [v, v] : v);

export class Conv2d extends Module {
  readonly weight: Parameter;
  readonly bias: Parameter | undefined;
  readonly strides: [number, number];
  readonly padding: [number, number];
  readonly dilation: [number, number];
  readonly groups: number;
  constructor(
    readonly inChannels: number,
    readonly outChannels: number,
    readonly kernelSize: number | [number, number],
    opts: Conv2dOptions = {},
  ) {
    super();
    this.groups = opts.groups ?? 1;
    if (inChannels % this.groups !== 0 || outChannels % this.groups !== 0) {
      throw new RangeError(`Conv2d: ${inChannels} input and ${outChannels} output channels must both divide into ${this.groups} groups`);
    }
    const [kh, kw] = pair(kernelSize, 1);
    this.strides = pair(opts.stride, 1);
    this.padding = pair(opts.padding, 0);
    this.dilation = pair(opts.dilation, 1);
    const rng = opts.rng ?? new Rng(0);
    const fanIn = (inChannels / this.groups) * kh * kw;
    const bound = 1 / Math.sqrt(fanIn);
    this.weight = this.addParam("weight", Parameter.uniform([outChannels, inChannels / this.groups, kh, kw], bound, rng));
    this.bias = opts.bias === false ? undefined : this.addParam("bias", Parameter.uniform([outChannels], bound, rng));
  }

  forward<V>(g: Graph<V>, x: V): V {
    const [ph, pw] = this.padding;
    return g.conv2d(x, this.weight, this.bias, { strides: this.strides, padding: [ph, pw, ph, pw], dilation: this.dilation, groups: this.groups });
  }
}

export class LayerNorm extends Module {
  readonly weight: Parameter;
  readonly bias: Parameter;
  constructor(
    readonly features: number,
    readonly eps = 1e-5,
    rng?: Rng,
  ) {
    super();
    // Random affine parameters (not PyTorch's 1 / 0) so a numerical comparison exercises them.
    const r = rng ?? new Rng(0);
    this.weight = this.addParam("weight", new Parameter([features], r.uniform(features, 0.5).map((v) => 1 + v)));
    this.bias = this.addParam("bias", Parameter.uniform([features], 0.5, r));
  }

  forward<V>(g: Graph<V>, x: V): V {
    return g.layerNorm(x, this.weight, this.bias, this.eps);
  }
}

export class BatchNorm2d extends Module {
  readonly weight: Parameter;
  readonly bias: Parameter;
  readonly runningMean: Parameter;
  readonly runningVar: Parameter;
  constructor(
    readonly channels: number,
    readonly eps = 1e-5,
    rng?: Rng,
  ) {
    super();
    const r = rng ?? new Rng(0);
    this.weight = this.addParam("weight", new Parameter([channels], r.uniform(channels, 0.5).map((v) => 1 + v)));
    this.bias = this.addParam("bias", Parameter.uniform([channels], 0.5, r));
    this.runningMean = this.addParam("running_mean", Parameter.uniform([channels], 0.5, r));
    // Variances must be positive.
    this.runningVar = this.addParam("running_var", new Parameter([channels], r.uniform(channels, 0.5).map((v) => 1 + v)));
  }

  forward<V>(g: Graph<V>, x: V): V {
    return g.batchNorm(x, this.weight, this.bias, this.runningMean, this.runningVar, this.eps);
  }
}

export class Embedding extends Module {
  readonly weight: Parameter;
  constructor(
    readonly numEmbeddings: number,
    readonly dim: number,
    rng?: Rng,
  ) {
    super();
    this.weight = this.addParam("weight", Parameter.uniform([numEmbeddings, dim], 1, rng ?? new Rng(0)));
  }

  forward<V>(g: Graph<V>, ids: V): V {
    return g.gather(this.weight, ids);
  }
}

export class ReLU extends Module {
  forward<V>(g: Graph<V>, x: V): V {
    return g.relu(x);
  }
}

export class GELU extends Module {
  forward<V>(g: Graph<V>, x: V): V {
    return g.gelu(x);
  }
}

/** (N, d1, d2, ...) -> (N, d1 * d2 * ...). */
export class Flatten extends Module {
  forward<V>(g: Graph<V>, x: V): V {
    return g.reshape(x, [0, -1]);
  }
}

export class MaxPool2d extends Module {
  constructor(
    readonly kernel: number,
    readonly stride = kernel,
  ) {
    super();
  }

  forward<V>(g: Graph<V>, x: V): V {
    return g.maxPool2d(x, [this.kernel, this.kernel], [this.stride, this.stride]);
  }
}

/** Mean over the spatial axes, keeping them as 1s: (N, C, H, W) -> (N, C, 1, 1). */
export class GlobalAvgPool2d extends Module {
  forward<V>(g: Graph<V>, x: V): V {
    return g.globalAvgPool(x);
  }
}

/** Runs its layers in order; layer i's parameters are named "i.weight", ... */
export class Sequential extends Module {
  readonly layers: readonly Module[];
  constructor(...layers: Module[]) {
    super();
    this.layers = layers.map((m, i) => this.addChild(String(i), m));
  }

  forward<V>(g: Graph<V>, x: V): V {
    let y = x;
    for (const m of this.layers) y = m.forward(g, y);
    return y;
  }
}
