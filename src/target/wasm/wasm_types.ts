/**
 * How the wasm target represents weft values. One lane is kept in one of three wasm types,
 * chosen by dtype:
 * - i32: bool, int8/16/32, uint8/16/32 (narrow types kept normalized: sign-extended / masked);
 * - f32: float32;
 * - f64: float64, and the dtypes wasm has no arithmetic for (int64 / uint64 / float16 /
 *   bfloat16), which hold the interpreter's own numbers and compute through the interpreter's
 *   per-dtype functions, imported from JavaScript (exact, slow; index math is int32).
 * Memory holds each dtype in the NDArray / interpreter storage class (int64 as float64 numbers,
 * float16 as float32 values, bool as bytes), so NDArrays are copied byte for byte. Vectors of
 * float32 / int32 / bool whose lanes are a multiple of 4 may be held in v128 locals.
 */
import binaryen from "binaryen";
import type { DataType } from "../../ir/dtype.js";
import { WASM_ALIGN, type Repr } from "./wasm_repr.js";

export type Ref = binaryen.ExpressionRef;
export { WASM_ALIGN, WASM_GUARD_BYTES, WasmCodegenError, reprOf, storageBytes, type Repr } from "./wasm_repr.js";

export function wasmType(r: Repr): binaryen.Type {
  return r === "i32" ? binaryen.i32 : r === "f32" ? binaryen.f32 : binaryen.f64;
}

export const isUnsigned32 = (t: DataType): boolean => t.element().isUInt() && t.element().bits === 32;
export const alignUp = (n: number, a = WASM_ALIGN): number => Math.ceil(n / a) * a;


/** How a float32 / int32 / bool vector is held in a v128: f32x4, i32x4, or a 32-bit lane mask. */
export function simdElem(t: DataType): "f32" | "i32" | "mask" | undefined {
  const e = t.element();
  if (e.isFloat() && e.bits === 32 && e.code === "float") return "f32";
  if (e.isInt() && e.bits === 32) return "i32";
  if (e.isBool()) return "mask";
  return undefined;
}

/** Where the value of a variable lives: one local, one local per lane, or one v128 local per 4 lanes. */
export type Binding =
  | { kind: "local"; index: number; repr: Repr }
  | { kind: "lanes"; locals: number[]; repr: Repr }
  | { kind: "v128"; locals: number[] };

