/**
 * What the on-disk artifact caches of the targets share (Node only; the wasm target loads this
 * file dynamically so that its kernel path stays browser-safe): the cache folder, content
 * hashes, and atomic writes (temporary name, then rename) so that concurrent builds never see
 * half-written files.
 */
import { createHash, randomBytes } from "node:crypto";
import { renameSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";

/** `$WEFT_CACHE_DIR`, else `~/.cache/weft`. */
export function defaultCacheDir(): string {
  const env = process.env["WEFT_CACHE_DIR"];
  return env && env.length > 0 ? env : join(homedir(), ".cache", "weft");
}

export const sha256 = (x: string | Uint8Array): string => createHash("sha256").update(x).digest("hex");

export function writeAtomic(path: string, data: string | Uint8Array): void {
  const tmp = `${path}.tmp-${process.pid}-${randomBytes(4).toString("hex")}`;
  writeFileSync(tmp, data);
  renameSync(tmp, path);
}
