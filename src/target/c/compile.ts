/**
 * Compiling generated C with the system compiler, with an on-disk artifact cache.
 *
 * Cache layout (`$WEFT_CACHE_DIR`, else `~/.cache/weft`, subfolder `c/`): for a key K =
 * sha256(source, compiler version line, flags): `K.c` (the source, for reading), `K.so` and
 * `K.json` (the key file: key, compiler, version, flags, sha256 of the source and of the .so).
 * A hit needs a key file that names the same key, source hash, compiler version and flags and a
 * .so whose sha256 matches the one recorded, so a stale, truncated or foreign artifact is never
 * loaded; it is rebuilt instead. Files are written under temporary names and renamed into
 * place, so concurrent builds never see half-written files.
 */
import { randomBytes } from "node:crypto";
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync, accessSync, constants } from "node:fs";
import { defaultCacheDir, sha256, writeAtomic } from "../disk_cache.js";
import { delimiter, isAbsolute, join } from "node:path";

export class CCompilerNotFoundError extends Error {
  override name = "CCompilerNotFoundError";
}
export class CCompileError extends Error {
  override name = "CCompileError";
}

export const NO_COMPILER_MESSAGE =
  "weft: no C compiler found (tried $CC, cc, gcc, clang); install one (e.g. apt-get install gcc) or use --target wasm / js";

/** What the compiler lookup reads; tests pass their own to simulate a machine without a compiler. */
export interface CompilerEnv {
  CC?: string | undefined;
  PATH?: string | undefined;
}

export interface CCompiler {
  /** Absolute path of the executable. */
  path: string;
  /** First line of `--version`. */
  version: string;
}

function isExecutable(p: string): boolean {
  try {
    if (!statSync(p).isFile()) return false;
    accessSync(p, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function resolveOnPath(cmd: string, path: string | undefined): string | undefined {
  if (cmd.includes("/")) return isExecutable(cmd) ? (isAbsolute(cmd) ? cmd : join(process.cwd(), cmd)) : undefined;
  for (const dir of (path ?? "").split(delimiter)) {
    if (!dir) continue;
    const p = join(dir, cmd);
    if (isExecutable(p)) return p;
  }
  return undefined;
}

const versionCache = new Map<string, string>();

/** Finds the C compiler: $CC, then cc, gcc, clang on PATH. Throws CCompilerNotFoundError. */
export function findCompiler(env: CompilerEnv = process.env): CCompiler {
  const candidates = [env.CC?.trim().split(/\s+/)[0], "cc", "gcc", "clang"].filter((c): c is string => !!c);
  for (const c of candidates) {
    const p = resolveOnPath(c, env.PATH);
    if (!p) continue;
    let version = versionCache.get(p);
    if (version === undefined) {
      try {
        version = execFileSync(p, ["--version"], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).split("\n")[0]!.trim();
      } catch {
        continue;
      }
      versionCache.set(p, version);
    }
    return { path: p, version };
  }
  throw new CCompilerNotFoundError(NO_COMPILER_MESSAGE);
}

export interface CompileOptions {
  /** `-march=` value (from the target's `-mcpu`); default "native". */
  mcpu?: string;
  /** Use OpenMP for parallel loops (default true). */
  openmp?: boolean;
  /** Extra flags, appended. */
  extraFlags?: readonly string[];
  /** Cache folder (default $WEFT_CACHE_DIR or ~/.cache/weft). */
  cacheDir?: string;
  /** Compiler lookup environment (default process.env). */
  env?: CompilerEnv;
}

export interface CompileResult {
  /** Path of the shared library. */
  soPath: string;
  key: string;
  /** Whether the artifact came from the cache. */
  cacheHit: boolean;
  compiler: CCompiler;
  flags: string[];
}

export function compileFlags(opts: CompileOptions = {}): string[] {
  const mcpu = opts.mcpu && opts.mcpu !== "native" ? opts.mcpu : "native";
  const flags = ["-O3", `-march=${mcpu}`, "-fPIC", "-shared", "-fwrapv", "-fno-strict-aliasing", "-std=gnu11", "-w"];
  flags.push("-pthread"); // the prelude's thread pool (parallel loops)
  if (opts.openmp ?? true) flags.push("-fopenmp");
  if (opts.extraFlags) flags.push(...opts.extraFlags);
  flags.push("-lm");
  return flags;
}

interface KeyFile {
  key: string;
  compiler: string;
  version: string;
  flags: string[];
  sourceSha256: string;
  soSha256: string;
}

/** Checks a cached artifact; returns its path when it may be used. */
function cachedArtifact(dir: string, key: string, expect: Omit<KeyFile, "soSha256" | "compiler">): string | undefined {
  const so = join(dir, `${key}.so`);
  const kf = join(dir, `${key}.json`);
  if (!existsSync(so) || !existsSync(kf)) return undefined;
  try {
    const k = JSON.parse(readFileSync(kf, "utf8")) as KeyFile;
    if (k.key !== key || k.sourceSha256 !== expect.sourceSha256 || k.version !== expect.version) return undefined;
    if (JSON.stringify(k.flags) !== JSON.stringify(expect.flags)) return undefined;
    if (sha256(readFileSync(so)) !== k.soSha256) return undefined;
    return so;
  } catch {
    return undefined;
  }
}

/** Compiles `source` into a shared library (or reuses a verified cached one). */
export function compileC(source: string, opts: CompileOptions = {}): CompileResult {
  const compiler = findCompiler(opts.env ?? process.env);
  let flags = compileFlags(opts);
  const dir = join(opts.cacheDir ?? defaultCacheDir(), "c");
  mkdirSync(dir, { recursive: true });
  const sourceSha256 = sha256(source);
  const keyOf = (f: string[]) => sha256(`${sourceSha256}\0${compiler.version}\0${f.join(" ")}`);
  let key = keyOf(flags);
  const hit = cachedArtifact(dir, key, { key, version: compiler.version, flags, sourceSha256 });
  if (hit) return { soPath: hit, key, cacheHit: true, compiler, flags };

  const cPath = join(dir, `${key}.c`);
  writeAtomic(cPath, source);
  const tmpSo = join(dir, `${key}.so.tmp-${process.pid}-${randomBytes(4).toString("hex")}`);
  let r = spawnSync(compiler.path, [...flags.filter((f) => f !== "-lm"), "-o", tmpSo, cPath, "-lm"], { encoding: "utf8" });
  if (r.status !== 0 && flags.includes("-fopenmp") && /omp/i.test(r.stderr ?? "")) {
    // No OpenMP runtime (e.g. clang without libomp): build without it, parallel loops run serially.
    flags = flags.filter((f) => f !== "-fopenmp");
    const k2 = keyOf(flags);
    const hit2 = cachedArtifact(dir, k2, { key: k2, version: compiler.version, flags, sourceSha256 });
    if (hit2) return { soPath: hit2, key: k2, cacheHit: true, compiler, flags };
    key = k2;
    r = spawnSync(compiler.path, [...flags.filter((f) => f !== "-lm"), "-o", tmpSo, cPath, "-lm"], { encoding: "utf8" });
  }
  if (r.error) throw new CCompileError(`weft: running ${compiler.path} failed: ${r.error.message}`);
  if (r.status !== 0) {
    throw new CCompileError(`weft: ${compiler.path} failed to compile ${cPath} (exit ${r.status}):\n${(r.stderr ?? "").slice(0, 4000)}`);
  }
  const so = join(dir, `${key}.so`);
  const bytes = readFileSync(tmpSo);
  renameSync(tmpSo, so);
  const kf: KeyFile = { key, compiler: compiler.path, version: compiler.version, flags, sourceSha256, soSha256: sha256(bytes) };
  writeAtomic(join(dir, `${key}.json`), JSON.stringify(kf, null, 1));
  return { soPath: so, key, cacheHit: false, compiler, flags };
}
