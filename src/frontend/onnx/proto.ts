/**
 * The ONNX protobuf schema (generated protobufjs code from `onnx-proto`) and the small helpers
 * every part of the frontend needs around it: decoding/encoding a ModelProto, int64 fields
 * (protobufjs hands them out as `Long` objects), ONNX element types <-> weft dtypes, and
 * TensorProto <-> flat number arrays.
 */
import onnxProto from "onnx-proto";
import { DataType } from "../../ir/dtype.js";

/** The `onnx` namespace of onnx-proto (a CommonJS module: its namespace is the default export). */
export const onnx = onnxProto.onnx;
export type ModelProto = onnxProto.onnx.ModelProto;
export type IModelProto = onnxProto.onnx.IModelProto;
export type IGraphProto = onnxProto.onnx.IGraphProto;
export type INodeProto = onnxProto.onnx.INodeProto;
export type ITensorProto = onnxProto.onnx.ITensorProto;
export type IAttributeProto = onnxProto.onnx.IAttributeProto;
export type IValueInfoProto = onnxProto.onnx.IValueInfoProto;

/** A protobuf int64 as protobufjs gives it: a number, or a Long-like object with low/high words. */
export type Int64Like = number | { low: number; high: number; unsigned?: boolean; toNumber?: () => number } | string;

/** An int64 field as a JS number; throws when the value is not exactly representable. */
export function toNumber(v: Int64Like | null | undefined, what = "int64 value"): number {
  if (v === null || v === undefined) return 0;
  if (typeof v === "number") return v;
  if (typeof v === "string") return Number(v);
  const big = (BigInt(v.high) << 32n) | BigInt(v.low >>> 0);
  const signed = v.unsigned ? big : BigInt.asIntN(64, big);
  const n = Number(signed);
  // INT64_MAX / INT64_MIN are the usual "to the end" markers of Slice: keep them as +-2^63.
  if (!Number.isSafeInteger(n) && Math.abs(n) < 2 ** 62) throw new RangeError(`${what} ${signed} does not fit a double exactly`);
  return n;
}

/** ONNX TensorProto.DataType codes and the weft dtypes they map to. */
const ELEM_TYPES: Readonly<Record<number, string>> = {
  1: "float32",
  2: "uint8",
  3: "int8",
  4: "uint16",
  5: "int16",
  6: "int32",
  7: "int64",
  9: "bool",
  10: "float16",
  11: "float64",
  12: "uint32",
  13: "uint64",
  16: "bfloat16",
};
const ELEM_NAMES: Readonly<Record<number, string>> = { 0: "UNDEFINED", 8: "STRING", 14: "COMPLEX64", 15: "COMPLEX128", 17: "FLOAT8E4M3FN", 18: "FLOAT8E4M3FNUZ", 19: "FLOAT8E5M2", 20: "FLOAT8E5M2FNUZ", 21: "UINT4", 22: "INT4" };

export function dtypeFromOnnx(code: number, where: string): DataType {
  const name = ELEM_TYPES[code];
  if (!name) {
    const supported = Object.values(ELEM_TYPES).join(", ");
    throw new TypeError(`${where}: ONNX element type ${ELEM_NAMES[code] ?? code} is not supported (weft handles ${supported})`);
  }
  return DataType.parse(name);
}

export function onnxFromDtype(dtype: DataType): number {
  const s = dtype.toString();
  for (const [code, name] of Object.entries(ELEM_TYPES)) if (name === s) return Number(code);
  throw new TypeError(`dtype ${s} has no ONNX element type`);
}

/** Decodes a serialized ModelProto; anything that is not one gets an error saying so. */
export function decodeModel(bytes: Uint8Array): ModelProto {
  if (!(bytes instanceof Uint8Array)) throw new TypeError("importOnnx: expected the model's bytes (a Uint8Array / Buffer) or an onnx.ModelProto");
  if (bytes.length === 0) throw new TypeError("importOnnx: the model is empty (0 bytes); pass the contents of a .onnx file");
  let m: ModelProto;
  try {
    m = onnx.ModelProto.decode(bytes);
  } catch (e) {
    throw new TypeError(`importOnnx: these ${bytes.length} bytes are not an ONNX model (protobuf decoding failed: ${(e as Error).message}); pass the contents of a .onnx file`);
  }
  return m;
}

export function encodeModel(model: IModelProto): Uint8Array {
  const err = onnx.ModelProto.verify(model);
  if (err) throw new TypeError(`encodeModel: not a valid ModelProto: ${err}`);
  return onnx.ModelProto.encode(model).finish();
}

/** Flat data of a TensorProto. */
export interface TensorValue {
  readonly dtype: DataType;
  readonly shape: number[];
  readonly data: number[];
}

/** Reads a TensorProto's values (typed fields or little-endian raw_data). */
export function tensorValue(t: ITensorProto, where: string): TensorValue {
  const code = t.dataType ?? 0;
  const dtype = dtypeFromOnnx(code, `${where} (tensor '${t.name ?? ""}')`);
  const shape = (t.dims ?? []).map((d) => toNumber(d, `${where}: dim`));
  const n = shape.reduce((a, b) => a * b, 1);
  if (t.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL || (t.externalData?.length ?? 0) > 0) {
    throw new TypeError(`${where}: tensor '${t.name}' keeps its data in an external file; weft reads self-contained models only (re-save with all tensors inside the model)`);
  }
  let data: number[];
  const raw = t.rawData;
  if (raw && raw.length > 0) data = fromRaw(raw, dtype, n, where);
  else if (code === 1) data = [...(t.floatData ?? [])];
  else if (code === 11) data = [...(t.doubleData ?? [])];
  else if (code === 7) data = (t.int64Data ?? []).map((v) => toNumber(v, `${where}: int64 element`));
  else if (code === 12 || code === 13) data = (t.uint64Data ?? []).map((v) => toNumber(v, `${where}: uint64 element`));
  else data = [...(t.int32Data ?? [])];
  if (code === 10 && !(raw && raw.length > 0)) data = data.map((bits) => halfToFloat(bits));
  if (data.length !== n) {
    throw new TypeError(`${where}: tensor '${t.name}' of shape (${shape.join(", ")}) needs ${n} value(s) but holds ${data.length}`);
  }
  return { dtype, shape, data };
}

function fromRaw(raw: Uint8Array, dtype: DataType, n: number, where: string): number[] {
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const size = dtype.isBool() ? 1 : dtype.bits / 8;
  if (raw.byteLength !== n * size) throw new TypeError(`${where}: raw_data holds ${raw.byteLength} bytes, expected ${n} x ${size}`);
  const out = new Array<number>(n);
  const s = dtype.toString();
  for (let i = 0; i < n; i++) {
    const o = i * size;
    switch (s) {
      case "float32": out[i] = view.getFloat32(o, true); break;
      case "float64": out[i] = view.getFloat64(o, true); break;
      case "float16": out[i] = halfToFloat(view.getUint16(o, true)); break;
      case "bfloat16": out[i] = new Float32Array(new Uint32Array([view.getUint16(o, true) << 16]).buffer)[0]!; break;
      case "int8": out[i] = view.getInt8(o); break;
      case "uint8": case "bool": out[i] = view.getUint8(o); break;
      case "int16": out[i] = view.getInt16(o, true); break;
      case "uint16": out[i] = view.getUint16(o, true); break;
      case "int32": out[i] = view.getInt32(o, true); break;
      case "uint32": out[i] = view.getUint32(o, true); break;
      case "int64": out[i] = Number(view.getBigInt64(o, true)); break;
      case "uint64": out[i] = Number(view.getBigUint64(o, true)); break;
      default: throw new TypeError(`${where}: cannot read raw_data of dtype ${s}`);
    }
  }
  return out;
}

function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1, e = (h >> 10) & 0x1f, f = h & 0x3ff;
  if (e === 0) return s * 2 ** -14 * (f / 1024);
  if (e === 31) return f ? NaN : s * Infinity;
  return s * 2 ** (e - 15) * (1 + f / 1024);
}

/** A TensorProto holding `data` (float32 as raw little-endian bytes, ints in their typed fields). */
export function makeTensor(name: string, dtype: DataType, shape: readonly number[], data: ArrayLike<number>): ITensorProto {
  const code = onnxFromDtype(dtype);
  const t: ITensorProto = { name, dataType: code, dims: [...shape] };
  const s = dtype.toString();
  if (s === "float32") {
    const buf = new Float32Array(data.length);
    for (let i = 0; i < data.length; i++) buf[i] = data[i]!;
    t.rawData = new Uint8Array(buf.buffer);
  } else if (s === "float64") t.doubleData = Array.from(data);
  else if (s === "int64") {
    // Doubles cannot hold INT64_MAX; values at or past +-2^63 mean "to the end" (Slice) and are
    // written as the exact int64 extremes.
    t.int64Data = Array.from(data, (v) => (v >= 2 ** 63 ? { low: -1, high: 0x7fffffff } : v <= -(2 ** 63) ? { low: 0, high: -0x80000000 } : v)) as unknown as number[];
  }
  else if (s === "uint64" || s === "uint32") t.uint64Data = Array.from(data);
  else if (s === "float16" || s === "bfloat16") throw new TypeError(`makeTensor: writing ${s} tensors is not supported; use float32`);
  else t.int32Data = Array.from(data);
  return t;
}
