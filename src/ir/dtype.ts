/**
 * Data types with lanes, spelled as TVM spells them: `int32`, `float32x4`, `bool`, `handle`.
 * Instances are interned, so two equal types are the same object and compare with `===`.
 */
export type TypeCode = "int" | "uint" | "float" | "bfloat" | "bool" | "handle";

const cache = new Map<string, DataType>();

export class DataType {
  private constructor(
    readonly code: TypeCode,
    readonly bits: number,
    readonly lanes: number,
  ) {}

  static get(code: TypeCode, bits: number, lanes = 1): DataType {
    const key = `${code}:${bits}:${lanes}`;
    let t = cache.get(key);
    if (!t) {
      t = new DataType(code, bits, lanes);
      cache.set(key, t);
    }
    return t;
  }

  /** Parses `int32`, `float32x4`, `bool`, `handle`, `uint8`, `bfloat16`, `void`. */
  static parse(text: string): DataType {
    const t = DataType.tryParse(text);
    if (!t) {
      throw new TypeError(
        `unknown dtype "${text}": expected one of int8/16/32/64, uint8/16/32/64, float16/32/64, bfloat16, bool, handle (optionally with lanes, e.g. float32x4)`,
      );
    }
    return t;
  }

  static tryParse(text: string): DataType | undefined {
    const m = /^(int|uint|float|bfloat|bool|handle|void)(\d+)?(?:x(\d+))?$/.exec(text);
    if (!m) return undefined;
    const base = m[1]!;
    const lanes = m[3] ? Number(m[3]) : 1;
    if (lanes < 1) return undefined;
    if (base === "void") return m[2] ? undefined : DataType.get("handle", 0, 1);
    if (base === "bool") return m[2] ? undefined : DataType.get("bool", 1, lanes);
    if (base === "handle") return m[2] ? undefined : DataType.get("handle", 64, lanes);
    const bits = m[2] ? Number(m[2]) : undefined;
    if (bits === undefined) return undefined;
    const ok: Record<string, number[]> = {
      int: [1, 4, 8, 16, 32, 64],
      uint: [1, 4, 8, 16, 32, 64],
      float: [8, 16, 32, 64],
      bfloat: [16],
    };
    if (!ok[base]!.includes(bits)) return undefined;
    return DataType.get(base as TypeCode, bits, lanes);
  }

  isInt(): boolean {
    return this.code === "int";
  }
  isUInt(): boolean {
    return this.code === "uint";
  }
  /** Signed or unsigned integer (not bool). */
  isIntegral(): boolean {
    return this.code === "int" || this.code === "uint";
  }
  isFloat(): boolean {
    return this.code === "float" || this.code === "bfloat";
  }
  isBool(): boolean {
    return this.code === "bool";
  }
  isHandle(): boolean {
    return this.code === "handle";
  }
  isVoid(): boolean {
    return this.code === "handle" && this.bits === 0;
  }
  isScalar(): boolean {
    return this.lanes === 1;
  }
  isVector(): boolean {
    return this.lanes > 1;
  }
  /** The scalar type of one lane. */
  element(): DataType {
    return this.lanes === 1 ? this : DataType.get(this.code, this.bits, 1);
  }
  withLanes(lanes: number): DataType {
    return DataType.get(this.code, this.bits, lanes);
  }
  /** Bytes one lane occupies in memory (bool is stored as one byte). */
  bytes(): number {
    return this.code === "bool" ? 1 : Math.max(1, this.bits >> 3);
  }

  toString(): string {
    let s: string;
    if (this.code === "bool") s = "bool";
    else if (this.code === "handle") s = this.bits === 0 ? "void" : "handle";
    else s = `${this.code}${this.bits}`;
    return this.lanes === 1 ? s : `${s}x${this.lanes}`;
  }
  toJSON(): string {
    return this.toString();
  }
}

export const int8 = DataType.get("int", 8);
export const int16 = DataType.get("int", 16);
export const int32 = DataType.get("int", 32);
export const int64 = DataType.get("int", 64);
export const uint8 = DataType.get("uint", 8);
export const uint16 = DataType.get("uint", 16);
export const uint32 = DataType.get("uint", 32);
export const uint64 = DataType.get("uint", 64);
export const float16 = DataType.get("float", 16);
export const float32 = DataType.get("float", 32);
export const float64 = DataType.get("float", 64);
export const bfloat16 = DataType.get("bfloat", 16);
export const bool = DataType.get("bool", 1);
export const handle = DataType.get("handle", 64);
export const voidType = DataType.get("handle", 0);

/** Accepts a DataType or its name. */
export type DTypeLike = DataType | string;
export function dtypeOf(t: DTypeLike): DataType {
  return typeof t === "string" ? DataType.parse(t) : t;
}

const rangeCache = new Map<DataType, [bigint, bigint]>();

/** Smallest and largest value of an integer type, as bigint (cached: constants are built often). */
export function intRange(t: DataType): [bigint, bigint] {
  const hit = rangeCache.get(t);
  if (hit) return hit;
  let r: [bigint, bigint];
  if (t.code === "bool") r = [0n, 1n];
  else if (t.code === "uint") r = [0n, (1n << BigInt(t.bits)) - 1n];
  else if (t.code === "int") r = [-(1n << BigInt(t.bits - 1)), (1n << BigInt(t.bits - 1)) - 1n];
  else throw new TypeError(`intRange: ${t} is not an integer type`);
  rangeCache.set(t, r);
  return r;
}

const numRangeCache = new Map<DataType, [number, number]>();

/** The same range as numbers (exact up to 32 bits, approximate for 64-bit types). */
export function intRangeNumber(t: DataType): [number, number] {
  let r = numRangeCache.get(t);
  if (!r) {
    const [lo, hi] = intRange(t);
    r = [Number(lo), Number(hi)];
    numRangeCache.set(t, r);
  }
  return r;
}
