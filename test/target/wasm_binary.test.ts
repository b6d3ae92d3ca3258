import { describe, expect, it } from "vitest";
import { crc32, importsSharedMemory, unshareMemoryImport, WasmBinaryError } from "../../src/target/wasm/wasm_binary.js";

/** A module importing env.memory (shared when asked) and one function weft.f: [] -> []. */
function moduleWithImports(shared: boolean): Uint8Array<ArrayBuffer> {
  const name = (s: string) => [s.length, ...new TextEncoder().encode(s)];
  const imports = [
    ...name("weft"), ...name("f"), 0x00, 0x00, // function of type 0
    ...name("env"), ...name("memory"), 0x02, shared ? 0x03 : 0x01, 0x01, 0x10, // memory, min 1, max 16
  ];
  const importSec = [0x02, imports.length + 1, 0x02, ...imports];
  return new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x04, 0x01, 0x60, 0x00, 0x00, ...importSec]);
}

describe("wasm binary helpers", () => {
  it("crc32 of the standard check string", () => {
    expect(crc32(new TextEncoder().encode("123456789"))).toBe(0xcbf43926);
  });

  it("finds the memory import after a function import and clears its shared flag", () => {
    const shared = moduleWithImports(true);
    expect(WebAssembly.validate(shared)).toBe(true);
    expect(importsSharedMemory(shared)).toBe(true);
    const plain = unshareMemoryImport(shared);
    expect(importsSharedMemory(plain)).toBe(false);
    expect(plain).toEqual(moduleWithImports(false));
    expect(importsSharedMemory(shared)).toBe(true); // the input is not changed
    expect(unshareMemoryImport(plain)).toBe(plain);
  });

  it("rejects what is not a wasm binary", () => {
    expect(() => importsSharedMemory(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]))).toThrow(WasmBinaryError);
    expect(() => importsSharedMemory(moduleWithImports(true).slice(0, 20))).toThrow("wasm binary: truncated");
  });
});
