/**
 * NumPy's `.npy` format (version 1.0 / 2.0 headers, little-endian, C order) for NDArrays:
 * `toNpy` writes one, `fromNpy` reads one. Dtypes: bool, int8..int64, uint8..uint64, float16,
 * float32, float64. 64-bit integers are held as float64 numbers by NDArray (exact below 2^53),
 * float16 as rounded float32 values, so both are converted on the way in and out.
 */
import { dtypeOf, type DataType } from "../ir/dtype.js";
import { NDArray, shapeNumel } from "./ndarray.js";

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // "\x93NUMPY"

/** NumPy descr <-> weft dtype name. */
const DESCR: Record<string, string> = {
  "|b1": "bool", "|i1": "int8", "<i2": "int16", "<i4": "int32", "<i8": "int64",
  "|u1": "uint8", "<u2": "uint16", "<u4": "uint32", "<u8": "uint64",
  "<f2": "float16", "<f4": "float32", "<f8": "float64",
};
const DESCR_OF = Object.fromEntries(Object.entries(DESCR).map(([d, t]) => [t, d]));

export class NpyError extends Error {
  override name = "NpyError";
}

/** Encodes an NDArray as .npy bytes. */
export function toNpy(a: NDArray): Uint8Array {
  const t = a.dtype;
  const descr = DESCR_OF[t.toString()];
  if (!descr || t.lanes !== 1) throw new NpyError(`.npy: cannot write arrays of dtype ${t} (supported: ${Object.values(DESCR).join(", ")})`);
  const shape = a.shape.length === 1 ? `(${a.shape[0]},)` : `(${a.shape.join(", ")})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shape}, }`;
  const pad = 64 - ((10 + header.length + 1) % 64);
  header += " ".repeat(pad % 64) + "\n";
  const n = shapeNumel(a.shape);
  const bytes = elementBytes(t);
  const out = new Uint8Array(10 + header.length + n * bytes);
  out.set(MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  new DataView(out.buffer).setUint16(8, header.length, true);
  for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i);
  const view = new DataView(out.buffer, 10 + header.length);
  const src = a.toArray();
  writeValues(view, t, src, n);
  return out;
}

/** Decodes .npy bytes into an NDArray; `name` is used in error messages. */
export function fromNpy(bytes: Uint8Array, name = "array"): NDArray {
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) throw new NpyError(`${name}: not a .npy file (no \\x93NUMPY magic)`);
  const major = bytes[6]!;
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLen = major === 1 ? dv.getUint16(8, true) : dv.getUint32(8, true);
  const start = major === 1 ? 10 : 12;
  const header = new TextDecoder().decode(bytes.subarray(start, start + headerLen));
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order':\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
  if (!descr || !fortran || shapeText === undefined) throw new NpyError(`${name}: malformed .npy header ${JSON.stringify(header.trim())}`);
  const dtypeName = DESCR[descr] ?? DESCR[descr.replace(/^=/, "<")];
  if (!dtypeName) throw new NpyError(`${name}: .npy dtype '${descr}' is not supported (little-endian ${Object.keys(DESCR).join(", ")})`);
  if (fortran === "True") throw new NpyError(`${name}: Fortran-ordered .npy arrays are not supported; save with numpy.ascontiguousarray`);
  const shape = shapeText.split(",").map((s) => s.trim()).filter((s) => s.length > 0).map(Number);
  const t = dtypeOf(dtypeName);
  const n = shapeNumel(shape);
  const need = start + headerLen + n * elementBytes(t);
  if (bytes.length < need) throw new NpyError(`${name}: .npy data is truncated (${bytes.length} bytes, shape (${shape.join(", ")}) of ${t} needs ${need})`);
  const out = NDArray.empty(shape, t);
  readValues(new DataView(bytes.buffer, bytes.byteOffset + start + headerLen), t, out.data as unknown as { [i: number]: number }, n);
  return out;
}

function elementBytes(t: DataType): number {
  return t.isBool() ? 1 : t.bits / 8;
}

function writeValues(v: DataView, t: DataType, src: ArrayLike<number>, n: number): void {
  const key = t.toString();
  for (let i = 0; i < n; i++) {
    const x = Number(src[i]);
    switch (key) {
      case "bool": case "uint8": v.setUint8(i, x ? (key === "bool" ? 1 : x) : 0); break;
      case "int8": v.setInt8(i, x); break;
      case "int16": v.setInt16(2 * i, x, true); break;
      case "uint16": v.setUint16(2 * i, x, true); break;
      case "int32": v.setInt32(4 * i, x, true); break;
      case "uint32": v.setUint32(4 * i, x, true); break;
      case "int64": v.setBigInt64(8 * i, BigInt(Math.trunc(x)), true); break;
      case "uint64": v.setBigUint64(8 * i, BigInt(Math.trunc(x)), true); break;
      case "float16": v.setUint16(2 * i, halfBits(x), true); break;
      case "float32": v.setFloat32(4 * i, x, true); break;
      default: v.setFloat64(8 * i, x, true);
    }
  }
}

function readValues(v: DataView, t: DataType, dst: { [i: number]: number }, n: number): void {
  const key = t.toString();
  for (let i = 0; i < n; i++) {
    switch (key) {
      case "bool": dst[i] = v.getUint8(i) ? 1 : 0; break;
      case "uint8": dst[i] = v.getUint8(i); break;
      case "int8": dst[i] = v.getInt8(i); break;
      case "int16": dst[i] = v.getInt16(2 * i, true); break;
      case "uint16": dst[i] = v.getUint16(2 * i, true); break;
      case "int32": dst[i] = v.getInt32(4 * i, true); break;
      case "uint32": dst[i] = v.getUint32(4 * i, true); break;
      case "int64": dst[i] = Number(v.getBigInt64(8 * i, true)); break;
      case "uint64": dst[i] = Number(v.getBigUint64(8 * i, true)); break;
      case "float16": dst[i] = halfValue(v.getUint16(2 * i, true)); break;
      case "float32": dst[i] = v.getFloat32(4 * i, true); break;
      default: dst[i] = v.getFloat64(8 * i, true);
    }
  }
}

/** IEEE half bits of a value that is already a float16 value (NDArray keeps them rounded). */
function halfBits(x: number): number {
  if (Number.isNaN(x)) return 0x7e00;
  const sign = x < 0 || Object.is(x, -0) ? 0x8000 : 0;
  const a = Math.abs(x);
  if (a === Infinity || a >= 65520) return sign | 0x7c00;
  if (a < 2 ** -14) return sign | Math.round(a / 2 ** -24);
  const e = Math.floor(Math.log2(a));
  const m = Math.round((a / 2 ** e - 1) * 1024);
  return m === 1024 ? sign | ((e + 16) << 10) : sign | ((e + 15) << 10) | m;
}

function halfValue(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f, m = h & 0x3ff;
  if (e === 0) return sign * m * 2 ** -24;
  if (e === 31) return m ? NaN : sign * Infinity;
  return sign * (1 + m / 1024) * 2 ** (e - 15);
}
