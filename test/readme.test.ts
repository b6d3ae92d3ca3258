import { describe, expect, it } from "vitest";
import { te, tir, ir } from "../src/index.js";

// The TypeScript tour in README.md, kept runnable.
describe("README tour", () => {
  it("builds, prints, parses, compares and runs a matmul", () => {
    const A = te.placeholder([128, 128], "float32", "A");
    const B = te.placeholder([128, 128], "float32", "B");
    const C = te.topi.matmul(A, B);
    const func = te.createPrimFunc([A, B, C]);
    const text = String(func);
    expect(text).toContain("@T.prim_func");
    const parsed = tir.parsePrimFunc(text);
    expect(ir.structuralEqual(parsed, func)).toBe(true);
    const rng = new tir.Rng(0);
    const args = [[128, 128], [128, 128], [128, 128]].map((s) => tir.randomArray(s, "float32", rng));
    tir.runPrimFunc(func, args);
    const [a, b, c] = args.map((x) => tir.toArray(x!));
    let want = 0;
    for (let k = 0; k < 128; k++) want += a![5 * 128 + k]! * b![k * 128 + 7]!;
    expect(c![5 * 128 + 7]).toBeCloseTo(want, 4);
  });
});
