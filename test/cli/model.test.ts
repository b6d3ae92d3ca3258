import { afterEach, describe, expect, it, vi } from "vitest";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cli } from "./cli_harness.js";
import { importOnnx } from "../../src/frontend/index.js";
import { NDArray } from "../../src/runtime/ndarray.js";
import { fromNpy, toNpy } from "../../src/runtime/npy.js";
import { mainOf } from "../frontend/helpers.js";
import { evalMain } from "../relax/reference_eval.js";

afterEach(() => vi.restoreAllMocks());

const MLP = "examples/mlp.onnx";

describe("weft compile / weft run", () => {
  const dir = mkdtempSync(join(tmpdir(), "weft-model-cli-"));
  const exe = join(dir, "mlp.weft");

  it("compile writes one executable and prints main's signature", async () => {
    const r = await cli("compile", MLP, "--target", "js", "-o", exe);
    expect(r.code).toBe(0);
    expect(r.out).toContain(`wrote ${exe}`);
    expect(r.out).toContain('main(x: R.Tensor((batch, 64), dtype="float32"))');
  });

  it("run on a .npy input writes .npy outputs equal to a float64 evaluation of the imported model", async () => {
    const x = NDArray.fromArray(Array.from({ length: 3 * 64 }, (_, i) => Math.sin(i)), [3, 64], "float32");
    const xFile = join(dir, "x.npy");
    writeFileSync(xFile, toNpy(x));
    const out = join(dir, "out");
    const r = await cli("run", exe, "--input", `x=${xFile}`, "--save-outputs", out);
    expect(r.code).toBe(0);
    const summary = JSON.parse(r.out) as Record<string, { shape: number[]; dtype: string }>;
    expect(summary["output"]!.shape).toEqual([3, 10]);
    const y = fromNpy(new Uint8Array(readFileSync(join(out, "output.npy"))));
    const want = evalMain(mainOf(importOnnx(new Uint8Array(readFileSync(MLP)))), [{ shape: [3, 64], data: Float64Array.from(x.toArray()) }]);
    const got = y.toArray();
    for (let i = 0; i < got.length; i++) expect(Math.abs(got[i]! - want.data[i]!)).toBeLessThan(1e-4);
  });

  it("random inputs are seeded (same seed, same outputs) and sized by --input", async () => {
    const a = await cli("run", exe, "--input", "x=random:5x64", "--seed", "3");
    const b = await cli("run", exe, "--input", "x=random:5x64", "--seed", "3");
    expect(a.out).toBe(b.out);
    expect((JSON.parse(a.out) as Record<string, { shape: number[] }>)["output"]!.shape).toEqual([5, 10]);
  });

  it("--profile prints every kernel's time to stderr, the JSON summary stays on stdout", async () => {
    const r = await cli("run", exe, "--input", "x=random:5x64", "--profile");
    expect(JSON.parse(r.out).output.shape).toEqual([5, 10]);
    expect(r.err).toMatch(/^\| function \| kind \| calls \| ms \| share \|/);
    expect(r.err).toMatch(/\| fused_matmul\w* \| kernel \| 1 \| \d+\.\d{3} \| \d+\.\d%/);
    expect(r.err).toMatch(/\| main \| vm \| 1 \| [\d.]+ \| \(incl\.\) \|/);
  });

  it("bad input: a symbolic dim without a shape, an unknown parameter, a wrong rank, an unreadable model", async () => {
    expect((await cli("run", exe)).err).toMatch(/--input x: the parameter is R.Tensor\(\(batch, 64\), dtype="float32"\); give its shape, e.g. x=random:4x64/);
    expect((await cli("run", exe, "--input", "y=random:2x64")).err).toMatch(/main has no parameter y \(parameters: x\)/);
    expect((await cli("run", exe, "--input", "x=random:2x64x1")).err).toMatch(/a shape of 3 dims was given/);
    expect((await cli("run", exe, "--input", "x=random:2x65")).err).toMatch(/x: expected R.Tensor\(\(batch, 64\)/);
    const bad = await cli("compile", join(dir, "missing.onnx"), "--target", "js");
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/cannot read .*missing.onnx/);
    const notOnnx = join(dir, "bad.onnx");
    writeFileSync(notOnnx, "hello");
    expect((await cli("compile", notOnnx, "--target", "js")).code).toBe(1);
  });
});
