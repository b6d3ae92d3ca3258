import { describe, expect, test } from "vitest";
import { parsePrimFunc } from "../../../src/tir/script/index.js";
import { LowerIntrin, intrinLoweringRules, lowerIntrinFunc, registerIntrinLowering } from "../../../src/tir/transform/lower_intrin.js";
import { applyPass, checkPass, expectSameResults } from "./lowered_pass_helpers.js";

describe("LowerIntrin", () => {
  test("sigmoid and rsqrt become arithmetic; erf and if_then_else are kept", () => {
    const { before, after } = checkPass(
      LowerIntrin,
      `
@T.prim_func
def main(A: T.Buffer((8,), "float32"), B: T.Buffer((8,), "float32")):
    for i in range(8):
        B[i] = T.sigmoid(A[i]) + T.rsqrt(A[i] * A[i] + T.float32(1)) + T.erf(A[i]) + T.if_then_else(i < 4, A[i], T.float32(0))
`,
      `
@T.prim_func
def main(A: T.Buffer((8,), "float32"), B: T.Buffer((8,), "float32")):
    for i in range(8):
        B[i] = T.float32(1) / (T.float32(1) + T.exp(T.float32(0) - A[i])) + T.float32(1) / T.sqrt(A[i] * A[i] + T.float32(1)) + T.erf(A[i]) + T.if_then_else(i < 4, A[i], T.float32(0))
`,
    );
    expectSameResults(before, after, {}, 3, 1e-6);
  });

  test("floordiv / floormod of provably non-negative operands become truncdiv / truncmod", () => {
    const { before, after } = checkPass(
      LowerIntrin,
      `
@T.prim_func
def main(A: T.Buffer((16,), "int32"), B: T.Buffer((16,), "int32")):
    for i in range(16):
        B[i] = A[i // 4] + A[i % 4]
`,
      `
@T.prim_func
def main(A: T.Buffer((16,), "int32"), B: T.Buffer((16,), "int32")):
    for i in range(16):
        B[i] = A[T.truncdiv(i, 4)] + A[T.truncmod(i, 4)]
`,
    );
    expectSameResults(before, after);
  });

  test("possibly negative dividends get the sign fix (positive divisor)", () => {
    const { before, after } = checkPass(
      LowerIntrin,
      `
@T.prim_func
def main(A: T.Buffer((16,), "int32"), B: T.Buffer((16,), "int32"), C: T.Buffer((16,), "int32")):
    for i in range(16):
        B[i] = A[i] // 3
        C[i] = A[i] % 3
`,
      `
@T.prim_func
def main(A: T.Buffer((16,), "int32"), B: T.Buffer((16,), "int32"), C: T.Buffer((16,), "int32")):
    for i in range(16):
        B[i] = T.Select(T.truncmod(A[i], 3) < 0, T.truncdiv(A[i], 3) - 1, T.truncdiv(A[i], 3))
        C[i] = T.Select(T.truncmod(A[i], 3) < 0, T.truncmod(A[i], 3) + 3, T.truncmod(A[i], 3))
`,
    );
    // random int32 inputs are in [-8, 8): negative dividends are exercised
    expectSameResults(before, after, {}, 5);
  });

  test("unknown-sign divisors: the general sign fix keeps floor semantics on every sign combination", () => {
    const f = parsePrimFunc(`
@T.prim_func
def main(A: T.Buffer((64,), "int32"), B: T.Buffer((64,), "int32"), C: T.Buffer((64,), "int32")):
    for i in range(64):
        if A[(i + 1) % 64] != 0:
            B[i] = A[i] // A[(i + 1) % 64]
            C[i] = A[i] % A[(i + 1) % 64]
`);
    const g = applyPass(LowerIntrin, f);
    expect(String(g)).not.toMatch(/\/\/|%/);
    expectSameResults(f, g, {}, 5);
  });

  test("float floordiv / floormod use floor", () => {
    const { before, after } = checkPass(
      LowerIntrin,
      `
@T.prim_func
def main(A: T.Buffer((8,), "float32"), B: T.Buffer((8,), "float32")):
    for i in range(8):
        B[i] = T.floordiv(A[i], T.float32(0.5)) + T.floormod(A[i], T.float32(0.5))
`,
      `
@T.prim_func
def main(A: T.Buffer((8,), "float32"), B: T.Buffer((8,), "float32")):
    for i in range(8):
        B[i] = T.floor(A[i] / T.float32(0.5)) + (A[i] - T.floor(A[i] / T.float32(0.5)) * T.float32(0.5))
`,
    );
    expectSameResults(before, after);
  });

  test("rules are a target-keyed table: a target can drop or replace a default rule", () => {
    registerIntrinLowering("test_target_keeps_floordiv", "FloorDiv", null);
    expect(intrinLoweringRules("test_target_keeps_floordiv").has("FloorDiv")).toBe(false);
    expect(intrinLoweringRules("c").has("FloorDiv")).toBe(true);
    const src = `
@T.prim_func
def main(A: T.Buffer((16,), "int32"), B: T.Buffer((16,), "int32")):
    for i in range(16):
        B[i] = A[i // 4]
`;
    const f = parsePrimFunc(src);
    expect(lowerIntrinFunc(f, "test_target_keeps_floordiv")).toBe(f);
    const g = f.with({ attrs: { target: "test_target_keeps_floordiv -mcpu=x" } });
    expect(lowerIntrinFunc(g)).toBe(g);
    const lowered = lowerIntrinFunc(f.with({ attrs: { target: "c -mcpu=native" } }));
    expect(String(lowered)).toContain("T.Div(i, 4)");
  });

  test("a function without anything to lower is returned unchanged", () => {
    const f = parsePrimFunc(`
@T.prim_func
def main(A: T.Buffer((8,), "float32")):
    for i in range(8):
        A[i] = T.exp(A[i])
`);
    expect(applyPass(LowerIntrin, f)).toBe(f);
  });
});
