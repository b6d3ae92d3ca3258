/**
 * NDArray: a tensor in host memory, owned by the runtime. It satisfies the interpreter's
 * HostArray interface structurally ({ dtype, shape, data }), so the same arrays feed the
 * reference interpreter and every compiled target.
 *
 * Storage per dtype: the same typed arrays the interpreter computes on (interpreter-compatible
 * choice), so no conversion happens on either side:
 * - float32: Float32Array; float64: Float64Array;
 * - float16 and bfloat16: Float32Array holding values already rounded to the narrow type
 *   (not Uint16Array bit patterns; `fromArray` / `copyFrom` round on the way in);
 * - int8/16/32, uint8/16/32: their typed arrays; int4/int1 in Int8Array, uint4/uint1 in Uint8Array;
 * - int64/uint64: Float64Array of numbers (exact up to 2^53), as the interpreter does;
 * - bool: Uint8Array of 0/1.
 * A vector dtype (float32x4) stores its lanes contiguously: data.length = numel * lanes.
 *
 * Alignment: every NDArray's data starts at a 64-byte-aligned offset of its ArrayBuffer and
 * the storage is padded to a multiple of 64 bytes. JavaScript cannot observe absolute
 * addresses, so "aligned" means aligned relative to the start of the ArrayBuffer (which is
 * what matters when the buffer is, or is copied into, wasm memory or a koffi pointer: engines
 * allocate backing stores on at least 16-byte boundaries; the offset is what we control).
 */
import { DataType, dtypeOf, float32, intRange, type DTypeLike } from "../ir/dtype.js";
import { roundToBFloat16, roundToFloat16 } from "../ir/float_format.js";

export const NDARRAY_ALIGNMENT = 64;

export type NumericTypedArray =
  | Int8Array
  | Int16Array
  | Int32Array
  | Uint8Array
  | Uint16Array
  | Uint32Array
  | Float32Array
  | Float64Array;

type NumericArrayCtor = {
  new (buffer: ArrayBufferLike, byteOffset: number, length: number): NumericTypedArray;
  new (n: number): NumericTypedArray;
  readonly BYTES_PER_ELEMENT: number;
  readonly name: string;
};

/** A number, or arrays of arrays of numbers (the nesting is the shape). */
export type NestedValues = number | boolean | readonly NestedValues[];

export type Device = "cpu";

/** The typed array class one lane of `dtype` is stored in (same as the interpreter's). */
export function storageClassOf(dtype: DataType): NumericArrayCtor {
  const t = dtype.element();
  if (t.isHandle()) throw new TypeError(`NDArray: cannot store values of dtype ${dtype}`);
  if (t.code === "float" && t.bits === 8) throw new TypeError(`NDArray: ${dtype} is not supported (float8 has no agreed format here)`);
  if (t.isBool()) return Uint8Array;
  if (t.isFloat()) return t.bits === 64 ? Float64Array : Float32Array;
  if (t.bits === 64) return Float64Array;
  if (t.isInt()) return t.bits <= 8 ? Int8Array : t.bits === 16 ? Int16Array : Int32Array;
  return t.bits <= 8 ? Uint8Array : t.bits === 16 ? Uint16Array : Uint32Array;
}

/** Row-major strides (in elements) of a shape. */
export function rowMajorStrides(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i]!;
  }
  return s;
}

export function shapeNumel(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

function checkShape(shape: readonly number[], what: string): void {
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw new RangeError(`${what}: shape (${shape.join(", ")}) must hold non-negative integers`);
  }
}


/** Converts one input value to what the storage of `t` holds; rejects what `t` cannot hold. */
function valueConverter(t: DataType, what: string): (x: number | boolean, i: number) => number {
  const e = t.element();
  if (e.isFloat()) {
    const round = e.code === "bfloat" ? roundToBFloat16 : e.bits === 16 ? roundToFloat16 : (x: number) => x;
    return (x, i) => {
      if (typeof x === "boolean") return x ? 1 : 0;
      if (typeof x !== "number") throw new TypeError(`${what}: element ${i} is ${typeof x}, expected a number`);
      return round(x);
    };
  }
  const [lo, hi] = intRange(e);
  const nlo = Number(lo), nhi = Number(hi);
  return (x, i) => {
    const v = typeof x === "boolean" ? (x ? 1 : 0) : x;
    if (typeof v !== "number") throw new TypeError(`${what}: element ${i} is ${typeof v}, expected a number`);
    if (!Number.isInteger(v)) throw new RangeError(`${what}: element ${i} = ${v} is not an integer, but the dtype is ${t}`);
    if (v < nlo || v > nhi) throw new RangeError(`${what}: element ${i} = ${v} does not fit in ${t} [${lo}, ${hi}]`);
    return v;
  };
}

function inferShape(v: NestedValues): number[] {
  const shape: number[] = [];
  let cur: NestedValues = v;
  while (Array.isArray(cur)) {
    shape.push(cur.length);
    if (cur.length === 0) break;
    cur = cur[0] as NestedValues;
  }
  return shape;
}

function flattenNested(v: NestedValues, shape: readonly number[], out: (number | boolean)[]): void {
  const walk = (x: NestedValues, dim: number, path: string): void => {
    if (dim === shape.length) {
      if (Array.isArray(x)) throw new RangeError(`NDArray.fromArray: value at [${path}] is an array but the shape (${shape.join(", ")}) ends there`);
      out.push(x as number | boolean);
      return;
    }
    if (!Array.isArray(x) || x.length !== shape[dim]) {
      const got = Array.isArray(x) ? `${x.length} entries` : "a scalar";
      throw new RangeError(`NDArray.fromArray: expected ${shape[dim]} entries at [${path}] (shape (${shape.join(", ")})), got ${got}`);
    }
    for (let i = 0; i < x.length; i++) walk(x[i] as NestedValues, dim + 1, path ? `${path}, ${i}` : String(i));
  };
  walk(v, 0, "");
}

/** Anything `copyFrom` accepts: another array with dtype/shape/data, a typed array or numbers. */
export interface ArrayLikeTensor {
  readonly dtype: DataType;
  readonly shape: readonly number[];
  readonly data: ArrayLike<number | bigint>;
}

export class NDArray {
  readonly dtype: DataType;
  readonly shape: readonly number[];
  /** Strides in elements (row-major for every array this class allocates). */
  readonly strides: readonly number[];
  readonly data: NumericTypedArray;
  readonly device: Device = "cpu";

  private constructor(dtype: DataType, shape: readonly number[], data: NumericTypedArray, strides?: readonly number[]) {
    this.dtype = dtype;
    this.shape = Object.freeze([...shape]);
    this.strides = Object.freeze(strides ? [...strides] : rowMajorStrides(shape));
    this.data = data;
  }

  /** A zero-filled array with 64-byte-aligned storage. */
  static empty(shape: readonly number[], dtype: DTypeLike = float32): NDArray {
    const t = dtypeOf(dtype);
    checkShape(shape, "NDArray.empty");
    const C = storageClassOf(t);
    const n = shapeNumel(shape) * t.lanes;
    return new NDArray(t, shape, alignedTypedArray(C, n));
  }

  /** An array with all elements set to `value`. */
  static full(shape: readonly number[], value: number, dtype: DTypeLike = float32): NDArray {
    const a = NDArray.empty(shape, dtype);
    a.data.fill(valueConverter(a.dtype, "NDArray.full")(value, 0));
    return a;
  }

  /**
   * Builds an array from a flat list (give `shape`) or nested lists (the nesting is the shape).
   * Floats are rounded to the dtype (float16/bfloat16 included); integers must be integral and
   * in range. For a vector dtype the flat list holds numel * lanes values.
   */
  static fromArray(values: NestedValues | ArrayLike<number>, shape?: readonly number[], dtype: DTypeLike = float32): NDArray {
    const t = dtypeOf(dtype);
    let flat: ArrayLike<number | boolean>;
    let shp: readonly number[];
    if (typeof values === "number" || typeof values === "boolean") {
      shp = shape ?? [];
      flat = [values];
    } else if (ArrayBuffer.isView(values) || (shape && Array.from(values as ArrayLike<unknown>).every((x) => !Array.isArray(x)))) {
      shp = shape ?? [(values as ArrayLike<number>).length / t.lanes];
      flat = values as ArrayLike<number>;
    } else {
      shp = shape ?? inferShape(values as NestedValues);
      const out: (number | boolean)[] = [];
      flattenNested(values as NestedValues, shp, out);
      flat = out;
    }
    checkShape(shp, "NDArray.fromArray");
    const need = shapeNumel(shp) * t.lanes;
    if (flat.length !== need) {
      throw new RangeError(`NDArray.fromArray: ${flat.length} values cannot fill shape (${shp.join(", ")}) of ${t} (needs ${need})`);
    }
    const a = NDArray.empty(shp, t);
    const conv = valueConverter(t, "NDArray.fromArray");
    for (let i = 0; i < need; i++) a.data[i] = conv(flat[i]!, i);
    return a;
  }

  /**
   * A view over existing memory (e.g. a wasm Memory's buffer). The offset must be 64-byte
   * aligned and the range must lie inside the buffer.
   */
  static view(buffer: ArrayBufferLike, byteOffset: number, shape: readonly number[], dtype: DTypeLike = float32): NDArray {
    const t = dtypeOf(dtype);
    checkShape(shape, "NDArray.view");
    if (byteOffset % NDARRAY_ALIGNMENT !== 0) {
      throw new RangeError(`NDArray.view: byte offset ${byteOffset} is not ${NDARRAY_ALIGNMENT}-byte aligned`);
    }
    const C = storageClassOf(t);
    const n = shapeNumel(shape) * t.lanes;
    if (byteOffset + n * C.BYTES_PER_ELEMENT > buffer.byteLength) {
      throw new RangeError(`NDArray.view: ${n} ${t} elements at byte ${byteOffset} overrun a buffer of ${buffer.byteLength} bytes`);
    }
    return new NDArray(t, shape, new C(buffer, byteOffset, n));
  }

  /** Number of elements (lanes of a vector dtype not counted). */
  get numel(): number {
    return shapeNumel(this.shape);
  }
  get ndim(): number {
    return this.shape.length;
  }
  /** Bytes of the elements (not the padding after them). */
  get byteLength(): number {
    return this.data.byteLength;
  }
  /** Whether the strides are the row-major ones of the shape. */
  get isContiguous(): boolean {
    const rm = rowMajorStrides(this.shape);
    for (let i = 0; i < rm.length; i++) if (this.shape[i] !== 1 && rm[i] !== this.strides[i]) return false;
    return true;
  }

  /** All values as a flat row-major list of numbers (lanes innermost for vector dtypes). */
  toArray(): number[] {
    return Array.from(this.data as ArrayLike<number>);
  }

  /** Values as nested lists following the shape (a number for a 0-d array). */
  toNested(): NestedValues {
    const flat = this.data;
    const lanes = this.dtype.lanes;
    let pos = 0;
    const build = (dim: number): NestedValues => {
      if (dim === this.shape.length) {
        if (lanes === 1) return flat[pos++]!;
        const v = Array.from(flat.subarray(pos, pos + lanes) as ArrayLike<number>);
        pos += lanes;
        return v;
      }
      const out: NestedValues[] = [];
      for (let i = 0; i < this.shape[dim]!; i++) out.push(build(dim + 1));
      return out;
    };
    return build(0);
  }

  /**
   * Copies values in: from another array of the same dtype and element count (an NDArray or
   * an interpreter HostArray), or from a flat list / typed array of numel * lanes numbers
   * (converted and range-checked like fromArray). Returns this.
   */
  copyFrom(src: ArrayLikeTensor | ArrayLike<number>): this {
    const need = this.data.length;
    if (isTensorLike(src)) {
      if (src.dtype !== this.dtype) throw new TypeError(`NDArray.copyFrom: dtype ${src.dtype} does not match ${this.dtype}`);
      const n = shapeNumel(src.shape) * src.dtype.lanes;
      if (n !== need) {
        throw new RangeError(`NDArray.copyFrom: shape (${src.shape.join(", ")}) has ${n} values, this array (${this.shape.join(", ")}) has ${need}`);
      }
      const d = src.data;
      if (d instanceof this.data.constructor) {
        (this.data as Float64Array).set((d as Float64Array).subarray(0, need));
        return this;
      }
      const conv = valueConverter(this.dtype, "NDArray.copyFrom");
      for (let i = 0; i < need; i++) {
        const x = d[i]!;
        this.data[i] = conv(typeof x === "bigint" ? Number(x) : x, i);
      }
      return this;
    }
    if (src.length !== need) throw new RangeError(`NDArray.copyFrom: ${src.length} values for an array of ${need}`);
    const conv = valueConverter(this.dtype, "NDArray.copyFrom");
    for (let i = 0; i < need; i++) this.data[i] = conv(src[i]!, i);
    return this;
  }

  /** Copies values out into another array of the same dtype and size. */
  copyTo(dst: NDArray): NDArray {
    dst.copyFrom(this);
    return dst;
  }

  /** A deep copy with fresh aligned storage. */
  clone(): NDArray {
    return NDArray.empty(this.shape, this.dtype).copyFrom(this);
  }

  /** The same storage seen with another shape of the same element count. */
  reshape(shape: readonly number[]): NDArray {
    checkShape(shape, "NDArray.reshape");
    if (shapeNumel(shape) !== this.numel) {
      throw new RangeError(`NDArray.reshape: (${shape.join(", ")}) does not have the ${this.numel} elements of (${this.shape.join(", ")})`);
    }
    if (!this.isContiguous) throw new RangeError("NDArray.reshape: the array is not contiguous");
    return new NDArray(this.dtype, shape, this.data);
  }

  toString(): string {
    return `NDArray(${this.dtype}, (${this.shape.join(", ")}), ${this.device})`;
  }
}

function isTensorLike(x: unknown): x is ArrayLikeTensor {
  return typeof x === "object" && x !== null && (x as ArrayLikeTensor).dtype instanceof DataType && Array.isArray((x as ArrayLikeTensor).shape);
}

/**
 * `n` elements of class C at offset 0 of a fresh storage padded to a multiple of 64 bytes.
 * No slack is needed: offset 0 of a fresh ArrayBuffer is the aligned position (absolute
 * addresses are not observable from JavaScript; see the file comment).
 */
function alignedTypedArray(C: NumericArrayCtor, n: number): NumericTypedArray {
  const bytes = n * C.BYTES_PER_ELEMENT;
  const padded = Math.max(NDARRAY_ALIGNMENT, Math.ceil(bytes / NDARRAY_ALIGNMENT) * NDARRAY_ALIGNMENT);
  return new C(new ArrayBuffer(padded), 0, n);
}

/** Whether a value is an NDArray. */
export function isNDArray(x: unknown): x is NDArray {
  return x instanceof NDArray;
}
