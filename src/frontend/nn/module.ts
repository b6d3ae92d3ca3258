/**
 * The nn builder's core: Parameters, Modules and the Graph a module's forward is written
 * against. A forward is written once, generically over the value type V of a Graph; the
 * Relax graph (values are Relax exprs, built with the BlockBuilder) and the ONNX graph
 * (values are tensor names, written as NodeProtos) both run it, so the two exports of a
 * model cannot drift apart.
 */

/** A small seeded PRNG (mulberry32): weights are reproducible across runs and machines. */
export class Rng {
  private state: number;
  constructor(seed = 0) {
    this.state = seed >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Uniform in [-bound, bound). */
  uniform(n: number, bound: number): Float32Array {
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = (this.next() * 2 - 1) * bound;
    return out;
  }
}

/** A weight: shape, dtype and its (float32) values. */
export class Parameter {
  readonly dtype = "float32";
  constructor(
    readonly shape: readonly number[],
    readonly data: Float32Array,
  ) {
    const n = shape.reduce((a, b) => a * b, 1);
    if (data.length !== n) throw new RangeError(`Parameter: shape (${shape.join(", ")}) holds ${n} value(s) but ${data.length} were given`);
  }

  static uniform(shape: readonly number[], bound: number, rng: Rng): Parameter {
    return new Parameter(shape, rng.uniform(shape.reduce((a, b) => a * b, 1), bound));
  }

  static fill(shape: readonly number[], value: number): Parameter {
    return new Parameter(shape, new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(value));
  }
}

export interface Conv2dAttrs {
  readonly strides: readonly [number, number];
  /** top, left, bottom, right */
  readonly padding: readonly [number, number, number, number];
  readonly dilation: readonly [number, number];
  readonly groups: number;
}

/**
 * What a forward may do. Shapes follow ONNX conventions (reshape specs with 0 = copy the
 * input dim and -1 = inferred), so the ONNX export needs no shape inference of its own.
 */
export interface Graph<V> {
  param(p: Parameter): V;
  /** A 0-d float32 constant. */
  scalar(v: number): V;
  add(a: V, b: V): V;
  sub(a: V, b: V): V;
  mul(a: V, b: V): V;
  div(a: V, b: V): V;
  matmul(a: V, b: V): V;
  transpose(x: V, perm: readonly number[]): V;
  reshape(x: V, spec: readonly number[]): V;
  softmax(x: V, axis: number): V;
  relu(x: V): V;
  gelu(x: V): V;
  /** Normalizes over the last axis. */
  layerNorm(x: V, gamma: Parameter, beta: Parameter, eps: number): V;
  /** Inference batch norm over axis 1 of an NCHW tensor. */
  batchNorm(x: V, scale: Parameter, bias: Parameter, mean: Parameter, variance: Parameter, eps: number): V;
  conv2d(x: V, w: Parameter, b: Parameter | undefined, attrs: Conv2dAttrs): V;
  maxPool2d(x: V, kernel: readonly [number, number], strides: readonly [number, number]): V;
  globalAvgPool(x: V): V;
  /** Rows of `table` picked by int64 `ids` (an embedding lookup). */
  gather(table: Parameter, ids: V): V;
  /**
   * softmax(q kᵀ * scale) v per head over [batch, seq, heads, head_dim] tensors, as one
   * operator. Optional: without it attention is written as matmul + softmax + matmul.
   */
  attention?(q: V, k: V, v: V, scale: number): V;
}

export abstract class Module {
  private readonly params = new Map<string, Parameter>();
  private readonly children = new Map<string, Module>();

  protected addParam(name: string, p: Parameter): Parameter {
    if (this.params.has(name) || this.children.has(name)) throw new Error(`${this.constructor.name}: '${name}' is registered twice`);
    this.params.set(name, p);
    return p;
  }

  protected addChild<M extends Module>(name: string, m: M): M {
    if (this.params.has(name) || this.children.has(name)) throw new Error(`${this.constructor.name}: '${name}' is registered twice`);
    this.children.set(name, m);
    return m;
  }

  /** Every parameter with its dotted path ("encoder.attn.q.weight"), depth first in registration order. */
  namedParameters(prefix = ""): [string, Parameter][] {
    const out: [string, Parameter][] = [];
    for (const [k, p] of this.params) out.push([`${prefix}${k}`, p]);
    for (const [k, m] of this.children) out.push(...m.namedParameters(`${prefix}${k}.`));
    return out;
  }

  /** The module's computation; `xs` are the model inputs (or the previous layer's output). */
  abstract forward<V>(g: Graph<V>, ...xs: V[]): V;
}

/** A model input: static dims as numbers, symbolic ones by name (shared by name). */
export interface InputSpec {
  readonly name: string;
  readonly shape: readonly (number | string)[];
  readonly dtype?: string;
}
