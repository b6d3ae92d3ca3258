import { afterEach, describe, expect, it, vi } from "vitest";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cli } from "./cli_harness.js";
import { Rng, randomArray, toArray } from "../../src/tir/interp/index.js";
import { float32 } from "../../src/ir/dtype.js";
import { summarize } from "../../src/cli/summary.js";


afterEach(() => vi.restoreAllMocks());

function close(a: number[], b: number[], tol: number): void {
  expect(a.length).toBe(b.length);
  for (let i = 0; i < a.length; i++) expect(Math.abs(a[i]! - b[i]!)).toBeLessThanOrEqual(tol * (1 + Math.abs(b[i]!)));
}

describe("weft script run", () => {
  it("runs the matmul example and matches a naive JS matmul", async () => {
    const { code, out } = await cli("script", "run", "examples/matmul.py", "--seed", "7");
    expect(code).toBe(0);
    const res = JSON.parse(out);
    const rng = new Rng(7);
    const A = toArray(randomArray([128, 128], float32, rng));
    const B = toArray(randomArray([128, 128], float32, rng));
    const C = new Float32Array(128 * 128);
    for (let i = 0; i < 128; i++)
      for (let j = 0; j < 128; j++) {
        let s = 0;
        for (let k = 0; k < 128; k++) s += A[i * 128 + k]! * B[k * 128 + j]!;
        C[i * 128 + j] = s;
      }
    const want = summarize({ dtype: float32, shape: [128, 128], data: C });
    expect(res.C.shape).toEqual([128, 128]);
    expect(res.C.dtype).toBe("float32");
    close([res.C.sum, res.C.l2], [want.sum, want.l2], 1e-4);
    close(res.C.head, want.head, 1e-4);
    expect(res.A.head).toEqual(A.slice(0, 8));
  });

  it("runs the 4-block softmax example and matches a naive JS softmax", async () => {
    const { code, out } = await cli("script", "run", "examples/softmax.py", "--seed", "3");
    expect(code).toBe(0);
    const res = JSON.parse(out);
    const rng = new Rng(3);
    const A = toArray(randomArray([128, 256], float32, rng));
    const B = new Float32Array(128 * 256);
    for (let i = 0; i < 128; i++) {
      const row = A.slice(i * 256, i * 256 + 256);
      const m = Math.max(...row);
      const e = row.map((v) => Math.exp(v - m));
      const s = e.reduce((p, q) => p + q, 0);
      e.forEach((v, j) => (B[i * 256 + j] = v / s));
    }
    const want = summarize({ dtype: float32, shape: [128, 256], data: B });
    close([res.B.sum, res.B.l2], [want.sum, want.l2], 1e-5);
    close(res.B.head, want.head, 1e-5);
    expect(res.B.sum).toBeCloseTo(128, 3);
  });

  it("binds symbolic dimensions with --bind and explains when one is missing", async () => {
    const ok = await cli("script", "run", "examples/dynamic.py", "--bind", "n=5");
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.out).B.shape).toEqual([5, 64]);
    const bad = await cli("script", "run", "examples/dynamic.py");
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/symbolic dimension n: give its value with --bind n=<int>/);
  });
});

describe("weft script check", () => {
  it("prints canonical TVMScript with reads/writes filled in", async () => {
    const { code, out } = await cli("script", "check", "examples/matmul.py");
    expect(code).toBe(0);
    expect(out).toContain("# from tvm.script import tir as T");
    expect(out).toContain('vi, vj, vk = T.axis.remap("SSR", [i, j, k])');
    expect(out).toContain("T.reads(A[vi, vk], B[vk, vj])");
    expect(out).toContain("C[vi, vj] = T.float32(0.0)");
  });

  it("reports a syntax error as FILE:LINE:COL with a caret and exits 1", async () => {
    const dir = mkdtempSync(join(tmpdir(), "weft-cli-"));
    const f = join(dir, "bad.py");
    writeFileSync(f, '@T.prim_func\ndef main(A: T.Buffer((4,), "float32")):\n    for i in range(4):\n        A[i] = A[i] +* 2\n');
    const { code, err } = await cli("script", "check", f);
    expect(code).toBe(1);
    expect(err).toMatch(new RegExp(`^${f.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}:4:\\d+: `));
    expect(err).toContain("A[i] = A[i] +* 2");
    expect(err).toMatch(/\n\s*\^/);
  });

  it("reports an unknown name", async () => {
    const dir = mkdtempSync(join(tmpdir(), "weft-cli-"));
    const f = join(dir, "unknown.py");
    writeFileSync(f, '@T.prim_func\ndef main(A: T.Buffer((4,), "float32")):\n    for i in range(4):\n        A[i] = B[i]\n');
    const { code, err } = await cli("script", "check", f);
    expect(code).toBe(1);
    expect(err).toMatch(/unknown\.py:4:16: .*'B'/);
  });

  it("reports a missing file without a stack trace", async () => {
    const { code, err } = await cli("script", "check", "no/such/file.py");
    expect(code).toBe(1);
    expect(err).toMatch(/^no\/such\/file\.py: cannot read the file \(ENOENT\)/);
  });

  it("has help with examples", async () => {
    const { out } = await cli("script", "run", "--help");
    expect(out).toMatch(/Examples:/);
    expect(out).toMatch(/--seed/);
  });
});
