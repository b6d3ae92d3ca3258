/**
 * The wasm target's value representation and parallel-loop ABI, without binaryen: what both
 * the code generator and the runtime module (which loads saved binaries, in browsers too)
 * need. wasm_types.ts adds the binaryen side.
 */
import type { DataType } from "../../ir/dtype.js";

export type Repr = "i32" | "f32" | "f64";

export class WasmCodegenError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "WasmCodegenError";
  }
}

/** First byte a kernel may touch: [0, GUARD) stays unused so small negative offsets stay in memory. */
export const WASM_GUARD_BYTES = 4096;
export const WASM_ALIGN = 64;

/** The wasm type one lane of `t` is computed in. */
export function reprOf(t: DataType): Repr {
  const e = t.element();
  if (e.isBool()) return "i32";
  if (e.isFloat()) return e.bits === 32 && e.code === "float" ? "f32" : "f64";
  if (e.isHandle()) throw new WasmCodegenError(`values of dtype ${t} have no wasm representation`);
  return e.bits <= 32 ? "i32" : "f64";
}

/** Bytes one lane of `t` takes in memory (its NDArray storage class). */
export function storageBytes(t: DataType): number {
  const e = t.element();
  if (e.isBool()) return 1;
  if (e.isFloat()) return e.bits === 64 ? 8 : 4;
  if (e.bits === 64) return 8;
  return e.bits <= 8 ? 1 : e.bits === 16 ? 2 : 4;
}


/** i32 slots of the parallel-loop control block (wasm_parallel.ts; CTL_BYTES at `ModuleBuilder.ctl`). */
export const CTL = { GEN: 0, FN: 1, CTX: 2, LO: 3, HI: 4, N: 5, NC: 6, NEXT: 7, ACTIVE: 8, SP: 9, TLS: 10, ERR: 11, POOL: 12, EXIT: 13 } as const;
/** The export worker threads enter through (wasm_threads.ts). */
export const WORKER_ENTRY = "__weft_worker";
