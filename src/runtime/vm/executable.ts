/**
 * Executable: what Relax compiles to. The bytecode of every function, the function table
 * (kernels, builtins, VM functions by name), the constant pool and the kernel artifacts per
 * target. It serializes to one file:
 *
 *   "WEFTVM01" | u32 header length (LE) | header JSON | zero padding to 8 | binary sections
 *
 * The header is readable JSON (functions, constants, kernel artifact descriptions); tensor
 * constants and binary artifacts (wasm) live in the sections, referenced by byte offset and
 * length. Loading needs nothing but this file; the kernels are turned back into runnable
 * modules by the loader registered for their format (kernel_loader.ts; the runtime does not
 * compile).
 */
import { dtypeOf } from "../../ir/dtype.js";
import { NDArray, isNDArray } from "../ndarray.js";
import { disassemble, validateFunction, type VMFunctionInfo } from "./bytecode.js";
import { ShapeTuple } from "./values.js";

const MAGIC = "WEFTVM01";
const FORMAT_VERSION = 1;

/** A constant pool entry as the VM sees it; dtypes are passed as their text. */
export type VMConstant = NDArray | ShapeTuple | string | number;

/**
 * Compiled kernels for one target, in a form the loader registered for `format` understands
 * (src/runtime/vm/kernel_loader.ts).
 */
export interface KernelArtifact {
  /** Target string (`js`, `c -mcpu=native`, `wasm`). */
  readonly target: string;
  /**
   * What `data` is: "wasm-module" (wasm binaries, src/target/wasm/load_wasm.ts), "js-source"
   * (generated JavaScript, src/target/js/load_js.ts) or "tir-script" (the kernels' TensorIR as
   * TVMScript, rebuilt with the compiler at load; the `c` target's form).
   */
  readonly format: string;
  readonly data: string | Uint8Array;
  /** Kernel names the artifact defines. */
  readonly functions: readonly string[];
}

type ConstJson =
  | { t: "tensor"; dtype: string; shape: number[]; offset: number; bytes: number }
  | { t: "shape"; values: number[] }
  | { t: "string"; v: string }
  | { t: "number"; v: number };

type KernelJson = { target: string; format: string; functions: string[] } & ({ text: string } | { offset: number; bytes: number });

interface HeaderJson {
  version: number;
  functions: VMFunctionInfo[];
  constants: ConstJson[];
  kernels: KernelJson[];
}

export class ExecutableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ExecutableError";
  }
}

export class Executable {
  private readonly index: Map<string, number>;

  constructor(
    readonly functions: readonly VMFunctionInfo[],
    readonly constants: readonly VMConstant[],
    readonly kernels: readonly KernelArtifact[] = [],
  ) {
    this.index = new Map();
    functions.forEach((f, i) => {
      if (f.kind === "vm") {
        if (this.index.has(f.name)) throw new ExecutableError(`executable: VM function "${f.name}" is defined twice`);
        this.index.set(f.name, i);
        validateFunction(f, functions.length, constants.length);
      }
    });
  }

  /** Table index of the VM function `name` (throws, listing the names, when there is none). */
  functionIndex(name: string): number {
    const i = this.index.get(name);
    if (i === undefined) throw new ExecutableError(`executable has no function "${name}" (it has: ${this.vmFunctionNames().join(", ") || "none"})`);
    return i;
  }

  vmFunctionNames(): string[] {
    return [...this.index.keys()];
  }

  /** Kernel names the bytecode calls. */
  kernelNames(): string[] {
    return this.functions.filter((f) => f.kind === "kernel").map((f) => f.name);
  }

  /** Every VM function's bytecode as text. */
  asText(): string {
    return this.functions.filter((f) => f.kind === "vm").map((f) => disassemble(f, this.functions)).join("\n\n");
  }

  serialize(): Uint8Array {
    const sections: Uint8Array[] = [];
    let cursor = 0;
    const addSection = (bytes: Uint8Array): { offset: number; bytes: number } => {
      const offset = cursor;
      sections.push(bytes);
      const padded = Math.ceil(bytes.byteLength / 8) * 8;
      if (padded > bytes.byteLength) sections.push(new Uint8Array(padded - bytes.byteLength));
      cursor += padded;
      return { offset, bytes: bytes.byteLength };
    };
    const constants: ConstJson[] = this.constants.map((c) => {
      if (isNDArray(c)) {
        const d = c.data;
        const ref = addSection(new Uint8Array(d.buffer.slice(d.byteOffset, d.byteOffset + d.byteLength)));
        return { t: "tensor", dtype: c.dtype.toString(), shape: [...c.shape], ...ref };
      }
      if (c instanceof ShapeTuple) return { t: "shape", values: [...c.values] };
      if (typeof c === "string") return { t: "string", v: c };
      return { t: "number", v: c };
    });
    const kernels: KernelJson[] = this.kernels.map((k) => {
      const base = { target: k.target, format: k.format, functions: [...k.functions] };
      return typeof k.data === "string" ? { ...base, text: k.data } : { ...base, ...addSection(k.data) };
    });
    const header: HeaderJson = { version: FORMAT_VERSION, functions: [...this.functions], constants, kernels };
    const headerBytes = new TextEncoder().encode(JSON.stringify(header));
    const prefix = 8 + 4 + headerBytes.byteLength;
    const start = Math.ceil(prefix / 8) * 8;
    const out = new Uint8Array(start + cursor);
    out.set(new TextEncoder().encode(MAGIC), 0);
    new DataView(out.buffer).setUint32(8, headerBytes.byteLength, true);
    out.set(headerBytes, 12);
    let pos = start;
    for (const s of sections) {
      out.set(s, pos);
      pos += s.byteLength;
    }
    return out;
  }

  static load(bytes: Uint8Array): Executable {
    const fail = (msg: string): never => {
      throw new ExecutableError(`Executable.load: ${msg}`);
    };
    if (bytes.byteLength < 12) fail(`${bytes.byteLength} bytes is too short for an executable`);
    const magic = new TextDecoder().decode(bytes.subarray(0, 8));
    if (magic !== MAGIC) fail(`not a weft executable (starts with ${JSON.stringify(magic)}, expected ${MAGIC})`);
    const hlen = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(8, true);
    if (12 + hlen > bytes.byteLength) fail(`the header (${hlen} bytes) runs past the end of the file`);
    let header: HeaderJson;
    try {
      header = JSON.parse(new TextDecoder().decode(bytes.subarray(12, 12 + hlen))) as HeaderJson;
    } catch (e) {
      return fail(`the header is not valid JSON (${(e as Error).message})`);
    }
    if (header?.version !== FORMAT_VERSION) fail(`format version ${header?.version} is not supported (this runtime reads ${FORMAT_VERSION})`);
    for (const key of ["functions", "constants", "kernels"] as const) {
      if (!Array.isArray(header[key])) fail(`the header has no "${key}" list; the file is corrupt, compile the model again`);
    }
    header.kernels.forEach((k, i) => {
      const ok = typeof k?.target === "string" && typeof k.format === "string" && Array.isArray(k.functions) &&
        ("text" in k ? typeof k.text === "string" : Number.isInteger(k.offset) && Number.isInteger(k.bytes) && k.offset >= 0 && k.bytes >= 0);
      if (!ok) fail(`kernel artifact ${i} is malformed (${JSON.stringify(k)?.slice(0, 200)}); the file is corrupt, compile the model again`);
    });
    const start = Math.ceil((12 + hlen) / 8) * 8;
    const section = (offset: number, n: number): Uint8Array => {
      if (start + offset + n > bytes.byteLength) fail(`a section at ${offset} (${n} bytes) runs past the end of the file`);
      return bytes.slice(start + offset, start + offset + n);
    };
    const constants: VMConstant[] = header.constants.map((c) => {
      switch (c.t) {
        case "tensor": {
          const raw = section(c.offset, c.bytes);
          const a = NDArray.empty(c.shape, dtypeOf(c.dtype));
          if (a.data.byteLength !== raw.byteLength) fail(`tensor constant (${c.dtype}, (${c.shape.join(", ")})) has ${raw.byteLength} bytes, expected ${a.data.byteLength}`);
          new Uint8Array(a.data.buffer, a.data.byteOffset, a.data.byteLength).set(raw);
          return a;
        }
        case "shape":
          return new ShapeTuple(c.values);
        case "string":
          return c.v;
        case "number":
          return c.v;
      }
    });
    const kernels: KernelArtifact[] = header.kernels.map((k) => ({
      target: k.target,
      format: k.format,
      functions: k.functions,
      data: "text" in k ? k.text : section(k.offset, k.bytes),
    }));
    return new Executable(header.functions, constants, kernels);
  }
}
