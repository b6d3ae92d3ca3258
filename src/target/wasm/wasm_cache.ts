/**
 * On-disk cache of wasm artifacts (Node only; in a browser every build generates).
 *
 * Key = sha256 of: the lowered module printed as TVMScript (print -> parse is structurally
 * exact), the codegen options (relaxed SIMD included), the binaryen version and a fingerprint of the wasm code
 * generator's own files, so a changed code generator never reuses an old binary. Layout
 * (`$WEFT_CACHE_DIR`, else `~/.cache/weft`, subfolder `wasm/`): `K.wasm` and `K.json` (the key,
 * the binary's sha256 and what the loader needs: functions, messages, memory layout, and the
 * recipe of every JavaScript import). A hit needs a key file naming the same key and a binary
 * with the recorded sha256; anything else is rebuilt. Artifacts whose imports have no recipe
 * (functions that cannot be rebuilt from data) are not cached.
 */
import type { IRModule } from "../../ir/module.js";
import { printScript } from "../../tir/script/index.js";
import type { WasmCodegenOptions, WasmModuleArtifact } from "./codegen_wasm.js";
import { infoJson, reviveInfo } from "./load_wasm.js";
import { jsImport } from "../kernel_imports.js";
import { relaxedSimdEnabled } from "./wasm_features.js";

type NodeDeps = {
  fs: typeof import("node:fs");
  path: typeof import("node:path");
  crypto: typeof import("node:crypto");
  url: typeof import("node:url");
  module: { createRequire: (typeof import("node:module"))["createRequire"] };
  cache: typeof import("../disk_cache.js");
};

let deps: NodeDeps | null | undefined;
async function nodeDeps(): Promise<NodeDeps | null> {
  if (deps !== undefined) return deps;
  const g = globalThis as { process?: { versions?: { node?: string } } };
  if (!g.process?.versions?.node) return (deps = null);
  const [fs, path, crypto, url, module, cache] = await Promise.all([
    import("node:fs"), import("node:path"), import("node:crypto"), import("node:url"), import("node:module"), import("../disk_cache.js"),
  ]);
  return (deps = { fs, path, crypto, url, module, cache });
}

let fingerprint: string | undefined;
/** sha256 over the code generator's files (compiled or source) and binaryen's package.json. */
function codegenFingerprint(d: NodeDeps): string {
  if (fingerprint) return fingerprint;
  const h = d.crypto.createHash("sha256");
  const dir = d.path.dirname(d.url.fileURLToPath(import.meta.url));
  // The code generator, and what it computes constants and import functions with.
  for (const sub of [".", "../../tir/interp", "../../ir"]) {
    const at = d.path.join(dir, sub);
    for (const f of d.fs.readdirSync(at).sort()) {
      if (!/\.(js|ts)$/.test(f) || f.endsWith(".d.ts")) continue;
      h.update(`${sub}/${f}`).update("\0").update(d.fs.readFileSync(d.path.join(at, f))).update("\0");
    }
  }
  try {
    h.update(d.fs.readFileSync(d.module.createRequire(import.meta.url).resolve("binaryen/package.json")));
  } catch {
    h.update("binaryen ?");
  }
  return (fingerprint = h.digest("hex"));
}

interface KeyFile {
  key: string;
  binarySha256: string;
  functions: unknown[];
  messages: string[];
  imports: Record<string, string>;
  staticEnd: number;
  shared: boolean;
  maxPages: number;
  ctl?: number;
  relaxedSimd?: boolean;
}

/** The cache of one build: `get` a verified artifact or undefined, `put` a fresh one. */
export interface WasmCache {
  get(): WasmModuleArtifact | undefined;
  put(a: WasmModuleArtifact): void;
}

/** Opens the cache entry of `mod` built with `opts`; undefined where there is no disk (browsers) or caching is off. */
export async function openWasmCache(mod: IRModule, opts: WasmCodegenOptions, cacheDir?: string): Promise<WasmCache | undefined> {
  const d = await nodeDeps();
  if (!d || process.env["WEFT_WASM_CACHE"] === "0" || opts.emitText) return undefined;
  const dir = cacheDir ?? d.path.join(d.cache.defaultCacheDir(), "wasm");
  const { sha256: sha, writeAtomic } = d.cache;
  let key: string;
  try {
    // Relaxed SIMD is a process-wide choice (wasm_features.ts) that changes the binary.
    const all = { ...opts, relaxedSimd: opts.relaxedSimd ?? relaxedSimdEnabled() };
    key = sha([printScript(mod), JSON.stringify(all), codegenFingerprint(d)].join("\0"));
  } catch {
    return undefined; // no key (e.g. a node the printer cannot write): build without the cache
  }
  const bin = d.path.join(dir, `${key}.wasm`), kf = d.path.join(dir, `${key}.json`);
  return {
    get() {
      try {
        if (!d.fs.existsSync(bin) || !d.fs.existsSync(kf)) return undefined;
        const k = JSON.parse(d.fs.readFileSync(kf, "utf8")) as KeyFile;
        const binary = new Uint8Array(d.fs.readFileSync(bin));
        if (k.key !== key || sha(binary) !== k.binarySha256) return undefined;
        const imports: Record<string, (...a: number[]) => number> = {};
        for (const [name, recipe] of Object.entries(k.imports)) imports[name] = jsImport(recipe);
        return {
          binary, imports, importRecipes: k.imports, messages: k.messages, staticEnd: k.staticEnd, shared: k.shared, maxPages: k.maxPages,
          functions: k.functions.map(reviveInfo), fromCache: true, relaxedSimd: !!k.relaxedSimd, ...(k.ctl !== undefined ? { ctl: k.ctl } : {}),
        };
      } catch {
        return undefined;
      }
    },
    put(a) {
      if (a.fromCache || Object.keys(a.imports).some((n) => !a.importRecipes[n])) return;
      try {
        d.fs.mkdirSync(dir, { recursive: true });
        writeAtomic(bin, a.binary);
        const k: KeyFile = {
          key, binarySha256: sha(a.binary), functions: a.functions.map(infoJson), messages: [...a.messages], imports: { ...a.importRecipes },
          staticEnd: a.staticEnd, shared: a.shared, maxPages: a.maxPages, relaxedSimd: !!a.relaxedSimd, ...(a.ctl !== undefined ? { ctl: a.ctl } : {}),
        };
        writeAtomic(kf, JSON.stringify(k));
      } catch {
        // A read-only or full disk only costs the next build its time.
      }
    },
  };
}
