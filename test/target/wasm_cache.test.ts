import { mkdtempSync, readdirSync, writeFileSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Target } from "../../src/target/target.js";
import { buildWasmModule } from "../../src/target/wasm/module_wasm.js";
import { lower } from "../../src/tir/pipeline.js";
import { parsePrimFunc } from "../../src/tir/script/index.js";
import { IRModule } from "../../src/ir/module.js";
import { compareWithInterpreter, randomArgs } from "./js_harness.js";

const src = (scale: string) => `
@T.prim_func
def main(A: T.Buffer((64,), "float32"), B: T.Buffer((64,), "float64"), C: T.Buffer((64,), "int64")):
    for i in T.parallel(64):
        B[i] = T.exp(T.float64(A[i])) * T.float64(${scale})
        C[i] = T.int64(i) * T.int64(3) // T.int64(2)
`;

async function buildCached(text: string, dir: string) {
  const f = parsePrimFunc(text);
  const mod = lower(IRModule.fromFunction(f, "main"));
  const m = await buildWasmModule(mod, Target.parse("wasm -num-cores=2"), { cacheDir: dir });
  await compareWithInterpreter(f, randomArgs(f, 2), { mod: m });
  return m;
}

// Artifacts are cached on disk by the printed lowered module + codegen options + code generator
// fingerprint; JavaScript imports (float64 exp, int64 arithmetic here) come back from their recipes.
describe("wasm artifact cache", () => {
  it("a second build of the same module loads the cached binary and computes the same results", async () => {
    const dir = mkdtempSync(join(tmpdir(), "weft-wasm-cache-"));
    const a = await buildCached(src("0.5"), dir);
    expect(a.artifact.fromCache).toBeFalsy();
    expect(readdirSync(dir).sort().map((n) => n.replace(/^[0-9a-f]+/, "K"))).toEqual(["K.json", "K.wasm"]);
    const b = await buildCached(src("0.5"), dir);
    expect(b.artifact.fromCache).toBe(true);
    expect(Object.keys(b.artifact.imports).sort()).toEqual(Object.keys(a.artifact.imports).sort());
    a.dispose();
    b.dispose();
  });

  it("another module misses; a corrupted binary is rebuilt, never loaded", async () => {
    const dir = mkdtempSync(join(tmpdir(), "weft-wasm-cache-"));
    (await buildCached(src("0.5"), dir)).dispose();
    const other = await buildCached(src("0.25"), dir);
    expect(other.artifact.fromCache).toBeFalsy();
    other.dispose();
    // Corrupt every cached binary: the recorded sha256 no longer matches.
    for (const n of readdirSync(dir).filter((n) => n.endsWith(".wasm"))) {
      const p = join(dir, n);
      const bytes = readFileSync(p);
      bytes[bytes.length - 1] ^= 0xff;
      writeFileSync(p, bytes);
    }
    const again = await buildCached(src("0.5"), dir);
    expect(again.artifact.fromCache).toBeFalsy();
    again.dispose();
  });

  it("a key file copied under another module's key is refused", async () => {
    const dir = mkdtempSync(join(tmpdir(), "weft-wasm-cache-"));
    (await buildCached(src("0.5"), dir)).dispose();
    const first = readdirSync(dir).find((n) => n.endsWith(".json"))!;
    (await buildCached(src("0.25"), dir)).dispose();
    const second = readdirSync(dir).find((n) => n.endsWith(".json") && n !== first)!;
    writeFileSync(join(dir, second), readFileSync(join(dir, first)));
    const a = await buildCached(src("0.5"), dir);
    const b = await buildCached(src("0.25"), dir);
    expect(a.artifact.fromCache).toBe(true);
    expect(b.artifact.fromCache).toBeFalsy();
    a.dispose();
    b.dispose();
  });
});
