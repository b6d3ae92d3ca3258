/**
 * Values that live in VM registers besides NDArrays and numbers: shapes, storages, tuples,
 * the shape heap. Each has a short `describeValue` text for error messages ("what was passed").
 */
import { isNDArray } from "../ndarray.js";

/** A shape value (R.Shape): concrete int64 dimensions. */
export class ShapeTuple {
  constructor(readonly values: readonly number[]) {}
  get ndim(): number {
    return this.values.length;
  }
  toString(): string {
    return `R.shape([${this.values.join(", ")}])`;
  }
}

/**
 * A block of memory that tensors are placed in (memory planning reuses one for several): its
 * own ArrayBuffer, or a region [byteOffset, byteOffset + capacity) of a device's memory.
 */
export class Storage {
  readonly buffer: ArrayBufferLike;
  readonly byteOffset: number;
  /** Bytes usable: `bytes` padded to the NDArray alignment (a tensor at offset 0 may use the padding). */
  readonly capacity: number;
  constructor(
    readonly bytes: number,
    alloc: (bytes: number) => { buffer: ArrayBufferLike; byteOffset: number } = (n) => ({ buffer: new ArrayBuffer(n), byteOffset: 0 }),
  ) {
    this.capacity = Math.max(64, Math.ceil(bytes / 64) * 64);
    const r = alloc(this.capacity);
    this.buffer = r.buffer;
    this.byteOffset = r.byteOffset;
  }
  toString(): string {
    return `Storage(${this.bytes} bytes)`;
  }
}

/** A tuple value (R.Tuple): a frozen array of values. */
export class VMTuple {
  readonly fields: readonly unknown[];
  constructor(fields: readonly unknown[]) {
    this.fields = Object.freeze([...fields]);
  }
  get length(): number {
    return this.fields.length;
  }
}

/** Per-call slots for symbolic dimensions (int64 values kept as exact doubles). */
export class ShapeHeap {
  readonly slots: Float64Array;
  constructor(size: number) {
    this.slots = new Float64Array(size);
  }
}

/** A short description of a runtime value: what the user passed. */
export function describeValue(v: unknown): string {
  if (isNDArray(v)) return `a ${v.dtype} tensor of shape (${v.shape.join(", ")})`;
  if (v instanceof ShapeTuple) return `the shape (${v.values.join(", ")})`;
  if (v instanceof VMTuple) return `a tuple of ${v.length} value(s)`;
  if (Array.isArray(v)) return `an array of ${v.length} value(s)`;
  if (v instanceof Storage) return `a storage of ${v.bytes} bytes`;
  if (typeof v === "number") return `the number ${v}`;
  if (typeof v === "boolean") return `the boolean ${v}`;
  if (typeof v === "string") return `the string ${JSON.stringify(v)}`;
  if (v === null || v === undefined) return String(v);
  return `a ${typeof v}`;
}
