/**
 * Small edits and checks of wasm binaries that loading a saved module needs, without binaryen:
 * a checksum (CRC-32) to tell a damaged binary from an unsupported one, and turning a shared
 * memory import into a plain one, for engines (browser pages that are not cross-origin
 * isolated) that cannot give a module shared memory. The second is sound for weft's binaries:
 * their atomic instructions are valid on a plain memory, and with one thread the parallel
 * loops never wait or wake (wasm_parallel.ts runs them inline when the pool has one thread).
 */

let table: Uint32Array | undefined;

/** CRC-32 (IEEE) of `bytes`. */
export function crc32(bytes: Uint8Array): number {
  if (!table) {
    table = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      table[n] = c >>> 0;
    }
  }
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = table[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

export class WasmBinaryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "WasmBinaryError";
  }
}

/** Reads the binary's sections up to the memory import; returns the offset of its limits flag byte. */
function memoryImportFlagOffset(b: Uint8Array): number | undefined {
  const fail = (msg: string): never => {
    throw new WasmBinaryError(`wasm binary: ${msg}`);
  };
  let p = 0;
  const u32 = (): number => {
    let r = 0, shift = 0;
    for (;;) {
      if (p >= b.length) fail("truncated");
      const x = b[p++]!;
      r |= (x & 0x7f) << shift;
      if (!(x & 0x80)) return r >>> 0;
      shift += 7;
      if (shift > 28) fail("a LEB128 number is too long");
    }
  };
  const skipName = (): void => {
    const n = u32();
    p += n;
    if (p >= b.length) fail("truncated");
  };
  const skipLimits = (): void => {
    const flags = b[p++]!;
    u32();
    if (flags & 1) u32();
  };
  if (b.length < 8 || b[0] !== 0 || b[1] !== 0x61 || b[2] !== 0x73 || b[3] !== 0x6d) fail("missing the \\0asm header");
  p = 8;
  while (p < b.length) {
    const id = b[p++]!;
    const size = u32();
    const end = p + size;
    if (id !== 2) {
      p = end;
      continue;
    }
    const count = u32();
    for (let i = 0; i < count; i++) {
      skipName();
      skipName();
      const kind = b[p++]!;
      if (p >= b.length) fail("truncated");
      switch (kind) {
        case 0: u32(); break; // function: type index
        case 1: p++; skipLimits(); break; // table: reference type, limits
        case 2: return p; // memory: limits
        case 3: p += 2; break; // global: value type, mutability
        default: fail(`import kind ${kind} is not one weft emits`);
      }
    }
    return undefined;
  }
  return undefined;
}

/** Whether the binary imports a shared memory. */
export function importsSharedMemory(binary: Uint8Array): boolean {
  const at = memoryImportFlagOffset(binary);
  return at !== undefined && (binary[at]! & 2) !== 0;
}

/** A copy of the binary whose imported memory is plain instead of shared (the binary itself when it is not shared). */
export function unshareMemoryImport(binary: Uint8Array): Uint8Array {
  const at = memoryImportFlagOffset(binary);
  if (at === undefined || !(binary[at]! & 2)) return binary;
  const out = binary.slice();
  out[at] = binary[at]! & ~2;
  return out;
}
