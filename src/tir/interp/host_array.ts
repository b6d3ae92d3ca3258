/**
 * HostArray: the plain host-memory tensor the interpreter reads and writes. It is an interface
 * so that a runtime NDArray (which tir must not import) satisfies it structurally.
 *
 * Storage per dtype (what `emptyArray` / `fromArray` create):
 * - float32: Float32Array; float64: Float64Array;
 * - float16, bfloat16: Float32Array holding values already rounded to the narrow type
 *   (arrays whose data is a Uint16Array of raw bit patterns are accepted as arguments too);
 * - int8/16/32, uint8/16/32: their typed arrays; int4/int1 in Int8Array, uint4/uint1 in Uint8Array;
 * - int64, uint64: Float64Array holding the numbers, so arithmetic stays on plain numbers; values
 *   beyond 2^53 are inexact. BigInt64Array / BigUint64Array arguments are accepted and converted;
 * - bool: Uint8Array of 0/1.
 * A vector dtype (float32x4) stores its lanes contiguously: data.length = numel(shape) * lanes.
 */
import { DataType, dtypeOf, float32, intRange, type DTypeLike } from "../../ir/dtype.js";
import { bfloat16FromBits, float16FromBits } from "../../ir/float_format.js";
import type { Rng } from "./rng.js";
import { checkSupported, normalizer } from "./scalar_ops.js";

export type TypedArray =
  | Int8Array
  | Int16Array
  | Int32Array
  | Uint8Array
  | Uint16Array
  | Uint32Array
  | Float32Array
  | Float64Array
  | BigInt64Array
  | BigUint64Array;

export interface HostArray {
  readonly dtype: DataType;
  readonly shape: readonly number[];
  readonly data: TypedArray;
}

/** A number, or arrays of arrays of numbers (the shape of a tensor). */
export type NestedNumbers = number | boolean | readonly NestedNumbers[];

type NumericArrayCtor = new (n: number) => Exclude<TypedArray, BigInt64Array | BigUint64Array>;

/** The typed array class the interpreter stores one lane of `dtype` in. */
export function storageClass(dtype: DataType): NumericArrayCtor {
  const t = dtype.element();
  checkSupported(t, `array of ${dtype}`);
  if (t.isBool()) return Uint8Array;
  if (t.isFloat()) return t.bits === 64 ? Float64Array : Float32Array;
  if (t.bits === 64) return Float64Array;
  if (t.isInt()) return t.bits <= 8 ? Int8Array : t.bits === 16 ? Int16Array : Int32Array;
  return t.bits <= 8 ? Uint8Array : t.bits === 16 ? Uint16Array : Uint32Array;
}

/** Number of elements of a shape (1 for a scalar shape []). */
export function numel(shape: readonly number[]): number {
  let n = 1;
  for (const s of shape) n *= s;
  return n;
}

function checkShape(shape: readonly number[], what: string): void {
  for (const s of shape) {
    if (!Number.isInteger(s) || s < 0) {
      throw new RangeError(`${what}: shape [${shape.join(", ")}] must hold non-negative integers`);
    }
  }
}

/** A zero-filled array. */
export function emptyArray(shape: readonly number[], dtype: DTypeLike = float32): HostArray {
  const t = dtypeOf(dtype);
  checkShape(shape, "emptyArray");
  const C = storageClass(t);
  return { dtype: t, shape: [...shape], data: new C(numel(shape) * t.lanes) };
}

function inferShape(v: NestedNumbers): number[] {
  const shape: number[] = [];
  let cur: NestedNumbers = v;
  while (Array.isArray(cur)) {
    shape.push(cur.length);
    if (cur.length === 0) break;
    cur = cur[0] as NestedNumbers;
  }
  return shape;
}

/** Flattens nested values, checking that they form the given shape. */
function flattenChecked(v: NestedNumbers, shape: readonly number[], lanes: number): (number | boolean)[] {
  const out: (number | boolean)[] = [];
  const walk = (x: NestedNumbers, dim: number, path: number[]): void => {
    if (dim === shape.length) {
      if (Array.isArray(x)) {
        if (lanes > 1 && dim === shape.length && x.length === lanes && x.every((y) => !Array.isArray(y))) {
          for (const y of x) out.push(y as number | boolean);
          return;
        }
        throw new RangeError(`fromArray: value at [${path.join(", ")}] is an array but shape [${shape.join(", ")}] ends there`);
      }
      if (lanes > 1) throw new RangeError(`fromArray: value at [${path.join(", ")}] must be an array of ${lanes} lanes`);
      out.push(x as number | boolean);
      return;
    }
    if (!Array.isArray(x) || x.length !== shape[dim]) {
      const got = Array.isArray(x) ? `${x.length} entries` : "a scalar";
      throw new RangeError(`fromArray: expected ${shape[dim]} entries at [${path.join(", ")}] (shape [${shape.join(", ")}]), got ${got}`);
    }
    for (let i = 0; i < x.length; i++) walk(x[i] as NestedNumbers, dim + 1, [...path, i]);
  };
  walk(v, 0, []);
  return out;
}

/** Converts one input value to the stored number, rejecting what the dtype cannot hold. */
function storedValue(x: number | boolean, t: DataType, where: number): number {
  const v = typeof x === "boolean" ? (x ? 1 : 0) : x;
  if (typeof v !== "number") throw new TypeError(`fromArray: element ${where} is ${typeof v}, expected a number`);
  if (t.isFloat()) return normalizer(t)(v);
  if (!Number.isInteger(v)) throw new RangeError(`fromArray: element ${where} = ${v} is not an integer, but the dtype is ${t}`);
  const [lo, hi] = intRange(t.element());
  if (v < Number(lo) || v > Number(hi)) {
    throw new RangeError(`fromArray: element ${where} = ${v} does not fit in ${t} [${lo}, ${hi}]`);
  }
  return v;
}

/**
 * Builds an array from numbers: a flat list (give `shape`), or nested lists whose nesting is
 * the shape. Floats are rounded to the dtype; integers must be integral and in range.
 */
export function fromArray(values: NestedNumbers, shape?: readonly number[], dtype: DTypeLike = float32): HostArray {
  const t = dtypeOf(dtype);
  let flat: (number | boolean)[];
  let shp: number[];
  if (!Array.isArray(values)) {
    shp = shape ? [...shape] : [];
    checkShape(shp, "fromArray");
    if (numel(shp) * t.lanes !== 1) throw new RangeError(`fromArray: one value cannot fill shape [${shp.join(", ")}] of ${t}`);
    flat = [values as number | boolean];
  } else if (shape && values.every((x) => !Array.isArray(x))) {
    shp = [...shape];
    checkShape(shp, "fromArray");
    if (values.length !== numel(shp) * t.lanes) {
      throw new RangeError(`fromArray: ${values.length} values cannot fill shape [${shp.join(", ")}] of ${t} (needs ${numel(shp) * t.lanes})`);
    }
    flat = values as (number | boolean)[];
  } else {
    let inferred = inferShape(values);
    if (t.lanes > 1 && inferred[inferred.length - 1] === t.lanes && !shape) inferred = inferred.slice(0, -1);
    shp = shape ? [...shape] : inferred;
    checkShape(shp, "fromArray");
    flat = flattenChecked(values, shp, t.lanes);
  }
  const out = emptyArray(shp, t);
  const data = out.data as Exclude<TypedArray, BigInt64Array | BigUint64Array>;
  for (let i = 0; i < flat.length; i++) data[i] = storedValue(flat[i]!, t, i);
  return out;
}

/** Reads lane i of an array's storage as a number (whatever the typed array kind). */
export function readLane(a: HostArray, i: number): number {
  const x = a.data[i]!;
  if (typeof x === "bigint") return Number(x);
  if (a.data instanceof Uint16Array && a.dtype.isFloat()) {
    return a.dtype.code === "bfloat" ? bfloat16FromBits(x) : float16FromBits(x);
  }
  return x;
}

/** All values as a flat list of numbers, row-major (lanes innermost for vector dtypes). */
export function toArray(a: HostArray): number[] {
  const n = numel(a.shape) * a.dtype.lanes;
  if (a.data.length < n) {
    throw new RangeError(`toArray: array of shape [${a.shape.join(", ")}] x ${a.dtype} needs ${n} elements, its data has ${a.data.length}`);
  }
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) out[i] = readLane(a, i);
  return out;
}

/** All values as nested lists following the shape (a number for a 0-d array). */
export function toNested(a: HostArray): NestedNumbers {
  const flat = toArray(a);
  const lanes = a.dtype.lanes;
  let pos = 0;
  const build = (dim: number): NestedNumbers => {
    if (dim === a.shape.length) {
      if (lanes === 1) return flat[pos++]!;
      const v = flat.slice(pos, pos + lanes);
      pos += lanes;
      return v;
    }
    const out: NestedNumbers[] = [];
    for (let i = 0; i < a.shape[dim]!; i++) out.push(build(dim + 1));
    return out;
  };
  return build(0);
}

/**
 * Random test data: floats uniform in [-1, 1) (rounded to the dtype), signed integers in
 * [-8, 8), unsigned integers in [0, 16) (narrower types stay in their range), bool 0 or 1.
 */
export function randomArray(shape: readonly number[], dtype: DTypeLike, rng: Rng): HostArray {
  const t = dtypeOf(dtype);
  const out = emptyArray(shape, t);
  const data = out.data as Exclude<TypedArray, BigInt64Array | BigUint64Array>;
  const e = t.element();
  if (e.isFloat()) {
    const norm = normalizer(e);
    for (let i = 0; i < data.length; i++) data[i] = norm(rng.uniform(-1, 1));
  } else if (e.isBool()) {
    for (let i = 0; i < data.length; i++) data[i] = rng.int(0, 2);
  } else {
    const [lo, hi] = intRange(e);
    const a = Math.max(Number(lo), e.isInt() ? -8 : 0);
    const b = Math.min(Number(hi) + 1, e.isInt() ? 8 : 16);
    for (let i = 0; i < data.length; i++) data[i] = rng.int(a, b);
  }
  return out;
}

/** A deep copy (same dtype, shape and storage kind). */
export function copyArray(a: HostArray): HostArray {
  return { dtype: a.dtype, shape: [...a.shape], data: a.data.slice() };
}

/** Whether a value looks like a HostArray (dtype, shape and typed-array data). */
export function isHostArray(x: unknown): x is HostArray {
  if (typeof x !== "object" || x === null) return false;
  const a = x as Partial<HostArray>;
  return a.dtype instanceof DataType && Array.isArray(a.shape) && ArrayBuffer.isView(a.data);
}
