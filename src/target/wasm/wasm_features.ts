/**
 * Optional WebAssembly features the wasm target uses when the engine running it has them,
 * detected once per process by validating a tiny probe module (no compilation, no instance).
 *
 * Relaxed SIMD (`f32x4.relaxed_madd`, a fused multiply-add on x86 with FMA3 and on ARM): on by
 * default in recent engines (Chrome 114+, Node 22+); Node 20 needs
 * `--experimental-wasm-relaxed-simd`. The matmul micro-kernels (wasm_ukernel.ts) use it when
 * `relaxedSimdEnabled()`; the result of a fused multiply-add is rounded once instead of twice,
 * so float32 sums differ from the unfused ones in the last bits.
 */

/**
 * A module with one function `() -> v128` computing `f32x4.relaxed_madd` of three constants.
 * Sections: type `[] -> [v128]`, function 0 of type 0, code (3 x v128.const, 0xfd 0x105, end).
 */
export const RELAXED_SIMD_PROBE: Uint8Array = (() => {
  const zeros = new Array<number>(16).fill(0);
  const vconst = [0xfd, 0x0c, ...zeros];
  const body = [0x00, ...vconst, ...vconst, ...vconst, 0xfd, 0x85, 0x02, 0x0b];
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b,
    0x03, 0x02, 0x01, 0x00,
    0x0a, body.length + 2, 0x01, body.length, ...body,
  ]);
})();

let probed: boolean | undefined;
let forced: boolean | undefined;

/** Whether this engine accepts relaxed-SIMD instructions (probed once, then cached). */
export function relaxedSimdSupported(): boolean {
  if (probed === undefined) {
    try {
      probed = typeof WebAssembly !== "undefined" && WebAssembly.validate(RELAXED_SIMD_PROBE as Uint8Array<ArrayBuffer>);
    } catch {
      probed = false;
    }
  }
  return probed;
}

/** Whether generated code may use relaxed SIMD: the override of `setRelaxedSimd`, else engine support. */
export function relaxedSimdEnabled(): boolean {
  return forced ?? relaxedSimdSupported();
}

/**
 * Forces relaxed SIMD on (`true`: generated modules then only load in an engine that has it),
 * off (`false`: plain SIMD128 everywhere, results independent of the engine), or back to
 * detection (`undefined`). Returns the previous override.
 */
export function setRelaxedSimd(on: boolean | undefined): boolean | undefined {
  const prev = forced;
  forced = on;
  return prev;
}
