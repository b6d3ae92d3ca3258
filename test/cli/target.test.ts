import { afterEach, describe, expect, it, vi } from "vitest";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cli } from "./cli_harness.js";
import { countFlops } from "../../src/cli/targets.js";
import { parseScript } from "../../src/tir/script/index.js";
import { PrimFunc } from "../../src/tir/function.js";
import * as te from "../../src/te/index.js";
import { findCompiler } from "../../src/target/c/compile.js";


afterEach(() => vi.restoreAllMocks());

let hasCC = true;
try {
  findCompiler();
} catch {
  hasCC = false;
}

const hasWasm = existsSync("src/target/wasm/index.ts");

type Summary = { shape: number[]; dtype: string; sum: number; l2: number; head: number[] };

function expectSameSummary(got: Record<string, Summary>, want: Record<string, Summary>, tol = 1e-5): void {
  expect(Object.keys(got).sort()).toEqual(Object.keys(want).sort());
  const near = (a: number, b: number) => expect(Math.abs(a - b)).toBeLessThanOrEqual(tol * (1 + Math.abs(b)));
  for (const k of Object.keys(want)) {
    const g = got[k]!, w = want[k]!;
    expect(g.shape).toEqual(w.shape);
    expect(g.dtype).toBe(w.dtype);
    near(g.sum, w.sum);
    near(g.l2, w.l2);
    expect(g.head.length).toBe(w.head.length);
    g.head.forEach((v, i) => near(v, w.head[i]!));
  }
}

describe("weft script run --target", () => {
  const cases: [string, string][] = [];
  for (const file of ["examples/matmul.py", "examples/softmax.py"]) {
    cases.push([file, "js"]);
    if (hasCC) cases.push([file, "c"]);
    if (hasWasm) cases.push([file, "wasm"]);
  }
  it.each(cases)("%s on %s matches the interpreter (same seed, 1e-5)", async (file, target) => {
    const ref = await cli("script", "run", file, "--seed", "5");
    expect(ref.code).toBe(0);
    const got = await cli("script", "run", file, "--seed", "5", "--target", target);
    expect(got.err).toBe("");
    expect(got.code).toBe(0);
    expectSameSummary(JSON.parse(got.out), JSON.parse(ref.out));
  }, 60_000);

  it("rejects an unknown target, listing the valid ones, without a stack trace", async () => {
    const r = await cli("script", "run", "examples/matmul.py", "--target", "cuda");
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/unknown target "cuda": valid targets are c, wasm, js/);
    expect(r.err).not.toMatch(/\n\s+at /);
  });

  it("reports a missing C compiler with the c target's own error", async () => {
    const saved = { CC: process.env["CC"], PATH: process.env["PATH"] };
    process.env["PATH"] = mkdtempSync(join(tmpdir(), "weft-nocc-"));
    delete process.env["CC"];
    try {
      // The compiler lookup runs before the artifact cache is consulted.
      const file = "examples/matmul.py";
      const r = await cli("script", "run", file, "--target", "c");
      expect(r.code).toBe(1);
      expect(r.err).toMatch(/no C compiler found.*--target wasm/);
      expect(r.err).not.toMatch(/\n\s+at /);
    } finally {
      process.env["PATH"] = saved.PATH;
      if (saved.CC !== undefined) process.env["CC"] = saved.CC;
    }
  });

  it("reports a file that cannot be read or parsed, exit 1", async () => {
    const missing = await cli("script", "run", "no/such/file.py", "--target", "js");
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(/no\/such\/file\.py: cannot read the file/);
    const dir = mkdtempSync(join(tmpdir(), "weft-bad-"));
    const bad = join(dir, "bad.py");
    writeFileSync(bad, "@T.prim_func\ndef main(:\n");
    const r = await cli("build", bad, "--target", "js", "-o", dir);
    expect(r.code).toBe(1);
    expect(r.err.length).toBeGreaterThan(0);
    expect(r.err).not.toMatch(/\n\s+at /);
  });
});

describe("weft build", () => {
  it("writes the js source and a manifest", async () => {
    const dir = mkdtempSync(join(tmpdir(), "weft-build-js-"));
    const r = await cli("build", "examples/matmul.py", "--target", "js", "-o", dir);
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    expect(existsSync(join(dir, "main.js"))).toBe(true);
    const manifest = JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8"));
    expect(manifest.target).toBe("js");
    expect(manifest.functions[0].name).toBe("main");
    expect(manifest.functions[0].params.map((p: { name: string }) => p.name)).toEqual(["A", "B", "C"]);
    expect(manifest.artifacts.map((a: { file: string }) => a.file)).toContain("main.js");
    expect(r.out).toMatch(/main\.js/);
  });

  it.skipIf(!hasCC)("writes the C source, the shared library and a manifest", async () => {
    const dir = mkdtempSync(join(tmpdir(), "weft-build-c-"));
    const r = await cli("build", "examples/softmax.py", "--target", "c", "-o", dir, "--func", "softmax");
    expect(r.code).toBe(0);
    expect(readFileSync(join(dir, "softmax.c"), "utf8")).toMatch(/softmax/);
    expect(existsSync(join(dir, "softmax.so"))).toBe(true);
    const manifest = JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8"));
    expect(manifest.target).toBe("c");
    expect(manifest.artifacts.map((a: { kind: string }) => a.kind).sort()).toEqual(["shared-library", "source"]);
  }, 60_000);

  it.skipIf(!hasWasm)("writes the .wasm binary and a manifest", async () => {
    const dir = mkdtempSync(join(tmpdir(), "weft-build-wasm-"));
    const r = await cli("build", "examples/matmul.py", "--target", "wasm", "-o", dir);
    expect(r.code).toBe(0);
    const bytes = readFileSync(join(dir, "main.wasm"));
    expect([...bytes.subarray(0, 4)]).toEqual([0x00, 0x61, 0x73, 0x6d]);
    expect(JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8")).artifacts.map((a: { kind: string }) => a.kind)).toContain("wasm");
  }, 60_000);

  it("names a missing function", async () => {
    const r = await cli("build", "examples/matmul.py", "--target", "js", "--func", "nope", "-o", mkdtempSync(join(tmpdir(), "weft-b-")));
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/no function "nope"/);
  });
});

describe("weft bench", () => {
  it("prints JSON with the median time and the matmul's GFLOP/s", async () => {
    const r = await cli("bench", "examples/matmul.py", "--target", "js", "--json", "--number", "1", "--repeat", "2");
    expect(r.code).toBe(0);
    const res = JSON.parse(r.out);
    expect(res.func).toBe("main");
    expect(res.target).toBe("js");
    expect(res.flops).toBe(2 * 128 ** 3);
    expect(res.median_us).toBeGreaterThan(0);
    expect(res.gflops).toBeCloseTo(res.flops / (res.median_us * 1e3), 6);
    expect(res.times_us).toHaveLength(2);
  }, 60_000);

  it("prints a table and null GFLOP/s for softmax", async () => {
    const r = await cli("bench", "examples/softmax.py", "--target", "js", "--number", "1", "--repeat", "1");
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/softmax/);
    expect(r.out).toMatch(/median/);
    const j = await cli("bench", "examples/softmax.py", "--target", "js", "--json", "--number", "1", "--repeat", "1");
    expect(JSON.parse(j.out).gflops).toBeNull();
  }, 60_000);

  it("rejects an unknown target", async () => {
    const r = await cli("bench", "examples/matmul.py", "--target", "metal");
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/valid targets are c, wasm, js/);
  });
});

describe("countFlops", () => {
  const fn = (text: string) => parseScript(text).functionList[0] as PrimFunc;
  it("counts 2 flops per multiply-add iteration of reduction blocks", () => {
    expect(countFlops(fn(readFileSync("examples/matmul.py", "utf8")))).toBe(2 * 128 ** 3);
    const A = te.placeholder([8, 16], "float32", "A");
    const B = te.placeholder([16, 4], "float32", "B");
    expect(countFlops(te.createPrimFunc([A, B, te.topi.matmul(A, B)]))).toBe(2 * 8 * 16 * 4);
  });
  it("is null when no reduction block multiply-adds", () => {
    expect(countFlops(fn(readFileSync("examples/softmax.py", "utf8")))).toBeNull();
  });
});
