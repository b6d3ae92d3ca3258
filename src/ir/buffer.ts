/**
 * Buffer: a typed, shaped view over memory, and BufferRegion: a rectangular part of one.
 * Buffers are defined (by a PrimFunc's buffer_map, a block's alloc_buffers / match_buffers,
 * or DeclBuffer) and used (by BufferLoad / BufferStore); structural equality maps them by
 * position like variables.
 */
import { DataType, int32, handle } from "./dtype.js";
import { IntImm, PrimExpr, Range, Var, nodeToString } from "./expr.js";
import { registerNode, type Node } from "./node.js";

export interface BufferOptions {
  strides?: readonly PrimExpr[];
  elemOffset?: PrimExpr;
  scope?: string;
  dataAlignment?: number;
  offsetFactor?: number;
  bufferType?: "default" | "auto_broadcast";
  axisSeparators?: readonly number[];
  /** The data pointer; a fresh handle var is made when omitted. */
  data?: Var;
}

export class Buffer implements Node {
  readonly kind = "Buffer";
  readonly data: Var;
  readonly strides: readonly PrimExpr[];
  readonly elemOffset: PrimExpr;
  readonly scope: string;
  readonly dataAlignment: number;
  readonly offsetFactor: number;
  readonly bufferType: "default" | "auto_broadcast";
  readonly axisSeparators: readonly number[];

  constructor(
    readonly name: string,
    readonly dtype: DataType,
    readonly shape: readonly PrimExpr[],
    opts: BufferOptions = {},
  ) {
    for (const s of shape) {
      if (!s.dtype.isIntegral()) throw new TypeError(`Buffer ${name}: shape entries must be integers, got ${s.dtype}`);
    }
    this.scope = opts.scope ?? "global";
    this.data = opts.data ?? new Var(name, handle, { elementType: dtype, storageScope: this.scope });
    this.strides = opts.strides ?? [];
    this.elemOffset = opts.elemOffset ?? new IntImm(shape[0]?.dtype ?? int32, 0);
    this.dataAlignment = opts.dataAlignment ?? 64;
    this.offsetFactor = opts.offsetFactor ?? 1;
    this.bufferType = opts.bufferType ?? "default";
    this.axisSeparators = opts.axisSeparators ?? [];
    if (this.strides.length !== 0 && this.strides.length !== shape.length) {
      throw new TypeError(`Buffer ${name}: ${this.strides.length} strides for ${shape.length} dimensions`);
    }
  }

  get ndim(): number {
    return this.shape.length;
  }

  /** A copy with some fields replaced (the data var is kept unless given). */
  with(changes: Partial<BufferOptions> & { name?: string; dtype?: DataType; shape?: readonly PrimExpr[] }): Buffer {
    return new Buffer(changes.name ?? this.name, changes.dtype ?? this.dtype, changes.shape ?? this.shape, {
      strides: changes.strides ?? this.strides,
      elemOffset: changes.elemOffset ?? this.elemOffset,
      scope: changes.scope ?? this.scope,
      dataAlignment: changes.dataAlignment ?? this.dataAlignment,
      offsetFactor: changes.offsetFactor ?? this.offsetFactor,
      bufferType: changes.bufferType ?? this.bufferType,
      axisSeparators: changes.axisSeparators ?? this.axisSeparators,
      data: changes.data ?? this.data,
    });
  }

  /** The region covering the whole buffer. */
  fullRegion(): BufferRegion {
    return new BufferRegion(
      this,
      this.shape.map((s) => Range.fromExtent(s)),
    );
  }

  toString(): string {
    return `Buffer(${this.name}, ${this.dtype}, [${this.shape.map(String).join(", ")}])`;
  }
}

export class BufferRegion implements Node {
  readonly kind = "BufferRegion";
  constructor(
    readonly buffer: Buffer,
    readonly region: readonly Range[],
  ) {
    if (region.length !== buffer.shape.length) {
      throw new TypeError(`BufferRegion: buffer ${buffer.name} has ${buffer.shape.length} dimension(s), region has ${region.length}`);
    }
  }
  toString(): string {
    return nodeToString(this);
  }
}

registerNode("Buffer", {
  name: "ignore",
  data: "def",
  dtype: "value",
  shape: "nodes",
  strides: "nodes",
  elemOffset: "node",
  scope: "value",
  dataAlignment: "value",
  offsetFactor: "value",
  bufferType: "value",
  axisSeparators: "value",
});
registerNode("BufferRegion", { buffer: "node", region: "nodes" });
