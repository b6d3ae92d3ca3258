/**
 * The `js` target's saved form and its loader. A "js-source" artifact is JSON:
 *
 *   { "version": 1, "functions": [{ "name", "source", "recipes": [...], "signature": {...} }] }
 *
 * `source` is the kernel factory codegen_js wrote, `recipes` name the functions it receives
 * (src/target/kernel_imports.ts), `signature` is what the argument checker checks
 * (src/runtime/signature_json.ts). Loading runs `new Function` on the sources: no code
 * generator, no TensorIR, no Node-only API. Registered as the kernel loader of "js-source".
 */
import {
  ArgChecker, FunctionModule, type ArgValue, type FuncSignature, type ModuleArtifact, type PackedFunc,
} from "../../runtime/module.js";
import { signatureFromJson, signatureToJson, type SignatureJson } from "../../runtime/signature_json.js";
import { KernelLoadError, registerKernelLoader } from "../../runtime/vm/kernel_loader.js";
import { instantiateJsKernel, type JsKernel } from "./js_kernel.js";

export const JS_ARTIFACT_FORMAT = "js-source";
const VERSION = 1;

/** One kernel as the artifact keeps it. */
export interface JsSavedFunction {
  readonly name: string;
  readonly source: string;
  readonly recipes: readonly string[];
  readonly signature: FuncSignature;
}

interface SavedJson {
  version: number;
  functions: { name: string; source: string; recipes: string[]; signature: SignatureJson }[];
}

/** A kernel behind the runtime's argument checker. */
export function checkedKernel(kernel: JsKernel, signature: FuncSignature): PackedFunc {
  const checker = new ArgChecker(signature);
  const syms = checker.syms;
  const packed: PackedFunc = (...args: ArgValue[]) => {
    checker.check(args);
    return kernel(args, syms);
  };
  Object.defineProperty(packed, "name", { value: signature.name });
  return packed;
}

/** The js target's module: its functions, their sources, and the artifact that reloads them. */
export class JsModule extends FunctionModule {
  constructor(target: string, private readonly saved: readonly JsSavedFunction[], packed: Iterable<readonly [string, PackedFunc]>) {
    super(target, packed, new Map(saved.map((f) => [f.name, f.source])));
  }

  async exportArtifact(): Promise<ModuleArtifact> {
    const json: SavedJson = {
      version: VERSION,
      functions: this.saved.map((f) => ({ name: f.name, source: f.source, recipes: [...f.recipes], signature: signatureToJson(f.signature) })),
    };
    return { format: JS_ARTIFACT_FORMAT, data: JSON.stringify(json) };
  }
}

/** Makes the module of a "js-source" artifact. */
export function loadJsArtifact(target: string, data: string | Uint8Array): JsModule {
  const fail = (msg: string): never => {
    throw new KernelLoadError(`js kernels (${target}): ${msg}`);
  };
  if (typeof data !== "string") fail(`a "${JS_ARTIFACT_FORMAT}" artifact is JSON text, got ${data.byteLength} bytes of binary data`);
  let json: SavedJson;
  try {
    json = JSON.parse(data as string) as SavedJson;
  } catch (e) {
    return fail(`the artifact is not valid JSON (${(e as Error).message}); the file is corrupt, compile the model again`);
  }
  if (json?.version !== VERSION) fail(`artifact version ${JSON.stringify(json?.version)} is not supported (this runtime reads ${VERSION}); compile the model again with this version`);
  if (!Array.isArray(json.functions)) fail(`the artifact has no function list`);
  const saved: JsSavedFunction[] = [];
  const packed: [string, PackedFunc][] = [];
  for (const f of json.functions) {
    if (typeof f?.name !== "string" || typeof f.source !== "string" || !Array.isArray(f.recipes)) fail(`a function entry is malformed: ${JSON.stringify(f)?.slice(0, 200)}`);
    let kernel: JsKernel, signature: FuncSignature;
    try {
      signature = signatureFromJson(f.signature);
      kernel = instantiateJsKernel(f.source, f.recipes);
    } catch (e) {
      return fail(`function ${f.name}: ${(e as Error).message}`);
    }
    saved.push({ name: f.name, source: f.source, recipes: f.recipes, signature });
    packed.push([f.name, checkedKernel(kernel, signature)]);
  }
  return new JsModule(target, saved, packed);
}

registerKernelLoader(JS_ARTIFACT_FORMAT, (artifact) => loadJsArtifact(artifact.target, artifact.data));
