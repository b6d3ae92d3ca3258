/** The c target's compiler lookup and on-disk artifact cache. */
import { mkdtempSync, readFileSync, renameSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { CCompilerNotFoundError, NO_COMPILER_MESSAGE, compileC, findCompiler } from "../../src/target/c/index.js";
import { hasCompiler } from "./c_helpers.js";

const SRC = (k: number) => `#include <stdint.h>\n__attribute__((visibility("default"))) int32_t f(int32_t x) { return x + ${k}; }\n`;

describe("compiler lookup", () => {
  test("a machine without a C compiler gets a clear error naming the alternatives", () => {
    const env = { CC: "/nonexistent/bin/cc", PATH: "" };
    expect(() => findCompiler(env)).toThrow(CCompilerNotFoundError);
    expect(() => findCompiler(env)).toThrow(NO_COMPILER_MESSAGE);
    expect(() => compileC(SRC(1), { env, cacheDir: mkdtempSync(join(tmpdir(), "weft-c-")) })).toThrow(/use --target wasm \/ js/);
  });

  test.skipIf(!hasCompiler)("$CC wins over PATH; the version line is recorded", () => {
    const cc = findCompiler();
    const viaCC = findCompiler({ CC: cc.path, PATH: "" });
    expect(viaCC.path).toBe(cc.path);
    expect(viaCC.version.length).toBeGreaterThan(0);
  });
});

describe.skipIf(!hasCompiler)("artifact cache", () => {
  test("the second build hits the cache; another source misses", () => {
    const dir = mkdtempSync(join(tmpdir(), "weft-c-"));
    const a = compileC(SRC(1), { cacheDir: dir });
    expect(a.cacheHit).toBe(false);
    const b = compileC(SRC(1), { cacheDir: dir });
    expect(b.cacheHit).toBe(true);
    expect(b.soPath).toBe(a.soPath);
    const c = compileC(SRC(2), { cacheDir: dir });
    expect(c.cacheHit).toBe(false);
    expect(c.key).not.toBe(a.key);
    // Flags are part of the key.
    const d = compileC(SRC(1), { cacheDir: dir, openmp: false });
    expect(d.cacheHit).toBe(false);
    expect(d.key).not.toBe(a.key);
  });

  test("a corrupted or foreign artifact is never used: it is rebuilt", () => {
    const dir = mkdtempSync(join(tmpdir(), "weft-c-"));
    const a = compileC(SRC(3), { cacheDir: dir });
    const good = readFileSync(a.soPath);
    // Corrupt: replace the file (never write into a library some process may have mapped).
    unlinkSync(a.soPath);
    writeFileSync(a.soPath, good.subarray(0, 100));
    const b = compileC(SRC(3), { cacheDir: dir });
    expect(b.cacheHit).toBe(false);
    expect(readFileSync(b.soPath).equals(good)).toBe(true);
    // Foreign: another source's library under this key.
    const other = compileC(SRC(4), { cacheDir: dir });
    const tmp = join(dir, "foreign.so");
    writeFileSync(tmp, readFileSync(other.soPath));
    renameSync(tmp, a.soPath);
    expect(compileC(SRC(3), { cacheDir: dir }).cacheHit).toBe(false);
    // A key file that names another source is not trusted either.
    const kf = join(dir, "c", `${a.key}.json`);
    const k = JSON.parse(readFileSync(kf, "utf8")) as { sourceSha256: string };
    writeFileSync(kf, JSON.stringify({ ...k, sourceSha256: "0".repeat(64) }));
    expect(compileC(SRC(3), { cacheDir: dir }).cacheHit).toBe(false);
    expect(compileC(SRC(3), { cacheDir: dir }).cacheHit).toBe(true);
  });

  test("a compile error reports the compiler's message", () => {
    const dir = mkdtempSync(join(tmpdir(), "weft-c-"));
    expect(() => compileC("int f( { return 0; }\n", { cacheDir: dir })).toThrow(/failed to compile[\s\S]*error/);
  });
});
