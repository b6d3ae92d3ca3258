/**
 * The `wasm` target's saved form, "wasm-module", and its loader. The artifact data is binary:
 *
 *   "WEFTWASM" | u32 meta length (LE) | meta JSON | zero padding to 8 | binaries
 *
 * meta = { version, signatures: [one per function, signature_json.ts], variants: [...] }; a
 * variant is one binary (offset and length after the padding, CRC-32) with what instantiating it
 * needs: its functions' calling conventions, the recipes of its JavaScript imports
 * (src/target/kernel_imports.ts), assert messages, memory layout, shared or not, relaxed SIMD or
 * not. The loader takes the first variant the engine can run: a binary that uses relaxed SIMD is
 * saved together with one that does not (module_wasm.ts), so the file loads in engines without
 * it (Node 20) with results that differ only in the last bits of float32 sums. A shared-memory
 * binary loads with a plain memory and one thread where the engine has no shared memory
 * (wasm_binary.ts). Nothing here needs binaryen, the TensorIR or a Node-only API.
 */
import { dtypeOf } from "../../ir/dtype.js";
import type { FuncSignature, ModuleArtifact } from "../../runtime/module.js";
import { signatureFromJson, signatureToJson, type SignatureJson } from "../../runtime/signature_json.js";
import { KernelLoadError, registerKernelLoader } from "../../runtime/vm/kernel_loader.js";
import { jsImport } from "../kernel_imports.js";
import { Target } from "../target.js";
import { crc32, unshareMemoryImport } from "./wasm_binary.js";
import { relaxedSimdSupported } from "./wasm_features.js";
import { WasmModule, defaultThreads, sharedMemorySupported, type WasmFunctionInfo, type WasmModuleArtifact } from "./wasm_runtime.js";

export const WASM_ARTIFACT_FORMAT = "wasm-module";
const MAGIC = "WEFTWASM";
const VERSION = 1;

interface InfoJson {
  name: string;
  exportName: string;
  params: ({ kind: "buffer"; dtype: string; written: boolean } | { kind: "scalar"; dtype: string })[];
  symParams: { sym: number; dtype: string }[];
  result?: string;
}

interface VariantJson {
  relaxedSimd: boolean;
  offset: number;
  bytes: number;
  crc32: number;
  functions: InfoJson[];
  imports: Record<string, string>;
  messages: string[];
  staticEnd: number;
  shared: boolean;
  maxPages: number;
  ctl?: number;
}

interface MetaJson {
  version: number;
  signatures: SignatureJson[];
  variants: VariantJson[];
}

export function infoJson(f: WasmFunctionInfo): InfoJson {
  return {
    name: f.name,
    exportName: f.exportName,
    params: f.params.map((p) => (p.kind === "buffer" ? { kind: "buffer", dtype: p.dtype.toString(), written: p.written } : { kind: "scalar", dtype: p.dtype.toString() })),
    symParams: f.symParams.map((s) => ({ sym: s.sym, dtype: s.dtype.toString() })),
    ...(f.result ? { result: f.result.toString() } : {}),
  };
}

export function reviveInfo(x: unknown): WasmFunctionInfo {
  const f = x as InfoJson;
  return {
    name: f.name,
    exportName: f.exportName,
    params: f.params.map((p) => (p.kind === "buffer" ? { kind: "buffer", dtype: dtypeOf(p.dtype), written: !!p.written } : { kind: "scalar", dtype: dtypeOf(p.dtype) })),
    symParams: f.symParams.map((s) => ({ sym: s.sym, dtype: dtypeOf(s.dtype) })),
    ...(f.result ? { result: dtypeOf(f.result) } : {}),
  };
}

const align8 = (n: number): number => Math.ceil(n / 8) * 8;

/** The artifact of one module's binaries (preferred first) and its functions' signatures. */
export function packWasmArtifact(variants: readonly WasmModuleArtifact[], signatures: readonly FuncSignature[]): ModuleArtifact {
  let cursor = 0;
  const metaVariants: VariantJson[] = variants.map((a) => {
    const missing = Object.keys(a.imports).filter((n) => !a.importRecipes[n]);
    if (missing.length) throw new Error(`wasm module: imports ${missing.join(", ")} have no recipe, so the module cannot be saved`);
    const v: VariantJson = {
      relaxedSimd: !!a.relaxedSimd, offset: cursor, bytes: a.binary.byteLength, crc32: crc32(a.binary),
      functions: a.functions.map(infoJson), imports: { ...a.importRecipes }, messages: [...a.messages],
      staticEnd: a.staticEnd, shared: a.shared, maxPages: a.maxPages, ...(a.ctl !== undefined ? { ctl: a.ctl } : {}),
    };
    cursor += align8(a.binary.byteLength);
    return v;
  });
  const meta: MetaJson = { version: VERSION, signatures: signatures.map(signatureToJson), variants: metaVariants };
  const metaBytes = new TextEncoder().encode(JSON.stringify(meta));
  const start = align8(12 + metaBytes.byteLength);
  const out = new Uint8Array(start + cursor);
  out.set(new TextEncoder().encode(MAGIC), 0);
  new DataView(out.buffer).setUint32(8, metaBytes.byteLength, true);
  out.set(metaBytes, 12);
  variants.forEach((a, i) => out.set(a.binary, start + metaVariants[i]!.offset));
  return { format: WASM_ARTIFACT_FORMAT, data: out };
}

export interface WasmLoadOptions {
  /** Use the binary's shared memory (default: when the engine supports shared memory). */
  shared?: boolean;
  /** Threads for parallel loops (default: the target's -num-cores, else the machine's parallelism; 1 without shared memory). */
  threads?: number;
  /** Whether the engine runs relaxed SIMD (default: probed, wasm_features.ts). */
  relaxedSimd?: boolean;
}

/** Makes the module of a "wasm-module" artifact. */
export async function loadWasmArtifact(target: string, data: string | Uint8Array, opts: WasmLoadOptions = {}): Promise<WasmModule> {
  const fail = (msg: string): never => {
    throw new KernelLoadError(`wasm kernels (${target}): ${msg}`);
  };
  const corrupt = "the file is corrupt, compile the model again";
  if (typeof data === "string") return fail(`a "${WASM_ARTIFACT_FORMAT}" artifact is binary data, got text`);
  if (data.byteLength < 12 || new TextDecoder().decode(data.subarray(0, 8)) !== MAGIC) fail(`the artifact does not start with ${MAGIC}; ${corrupt}`);
  const mlen = new DataView(data.buffer, data.byteOffset, data.byteLength).getUint32(8, true);
  if (12 + mlen > data.byteLength) fail(`the artifact's description runs past its end; ${corrupt}`);
  let meta: MetaJson;
  try {
    meta = JSON.parse(new TextDecoder().decode(data.subarray(12, 12 + mlen))) as MetaJson;
  } catch (e) {
    return fail(`the artifact's description is not valid JSON (${(e as Error).message}); ${corrupt}`);
  }
  if (meta?.version !== VERSION) fail(`artifact version ${JSON.stringify(meta?.version)} is not supported (this runtime reads ${VERSION}); compile the model again with this version`);
  if (!Array.isArray(meta.variants) || !meta.variants.length || !Array.isArray(meta.signatures)) fail(`the artifact lists no binary; ${corrupt}`);
  const relaxed = opts.relaxedSimd ?? relaxedSimdSupported();
  const v = meta.variants.find((x) => !x.relaxedSimd || relaxed);
  if (!v) {
    return fail("the kernels were saved only as a binary that uses relaxed SIMD, which this engine does not run (Node 20 needs --experimental-wasm-relaxed-simd); compile the model again with the current weft, which also saves a binary without it");
  }
  const start = align8(12 + mlen);
  if (start + v.offset + v.bytes > data.byteLength) fail(`a binary runs past the end of the artifact; ${corrupt}`);
  let binary: Uint8Array = data.slice(start + v.offset, start + v.offset + v.bytes);
  if (crc32(binary) !== v.crc32) fail(`a binary's checksum does not match; ${corrupt}`);
  let signatures: FuncSignature[];
  let functions: WasmFunctionInfo[];
  let imports: Record<string, (...a: number[]) => number>;
  try {
    signatures = meta.signatures.map(signatureFromJson);
    functions = v.functions.map(reviveInfo);
    imports = Object.fromEntries(Object.entries(v.imports).map(([name, recipe]) => [name, jsImport(recipe)]));
  } catch (e) {
    return fail((e as Error).message);
  }
  const shared = v.shared && (opts.shared ?? sharedMemorySupported());
  if (v.shared && !shared) binary = unshareMemoryImport(binary);
  const artifact: WasmModuleArtifact = {
    binary, functions, imports, importRecipes: v.imports, messages: v.messages, staticEnd: v.staticEnd, shared, maxPages: v.maxPages,
    relaxedSimd: v.relaxedSimd, ...(v.ctl !== undefined ? { ctl: v.ctl } : {}),
  };
  const t = Target.parse(target);
  const threads = !shared || v.ctl === undefined ? 1 : (opts.threads ?? t.getNumber("num-cores", await defaultThreads()));
  let module: WasmModule;
  try {
    module = await WasmModule.instantiate(target, artifact, threads);
  } catch (e) {
    return fail(`the binary does not instantiate in this engine (${(e as Error).message})`);
  }
  try {
    module.addFunctions(signatures);
  } catch (e) {
    return fail(`${(e as Error).message}; ${corrupt}`);
  }
  return module;
}

registerKernelLoader(WASM_ARTIFACT_FORMAT, (artifact) => loadWasmArtifact(artifact.target, artifact.data));
