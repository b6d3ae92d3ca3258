import { describe, expect, test } from "vitest";
import { IRModule } from "../../../src/ir/module.js";
import { parsePrimFunc } from "../../../src/tir/script/index.js";
import { StorageRewrite } from "../../../src/tir/transform/storage_rewrite.js";
import { applyPass, checkPass, expectSameResults } from "./lowered_pass_helpers.js";

describe("StorageRewrite", () => {
  test("a temporary allocated after another's last use reuses its storage (max size)", () => {
    const { before, after } = checkPass(
      StorageRewrite,
      `
@T.prim_func
def main(A: T.Buffer((8,), "float32"), B: T.Buffer((8,), "float32")):
    t0 = T.decl_buffer((4,), "float32")
    for i in range(4):
        t0[i] = A[i] * T.float32(2)
    for i in range(4):
        B[i] = t0[i] + T.float32(1)
    t1 = T.decl_buffer((8,), "float32")
    for i in range(8):
        t1[i] = B[i % 4] * A[i]
    for i in range(4):
        B[i + 4] = t1[i] + t1[i + 4]
`,
      `
@T.prim_func
def main(A: T.Buffer((8,), "float32"), B: T.Buffer((8,), "float32")):
    t0 = T.allocate([8], "float32", "global")
    t0_1 = T.decl_buffer((4,), data=t0)
    for i in range(4):
        t0_1[i] = A[i] * T.float32(2)
    for i in range(4):
        B[i] = t0_1[i] + T.float32(1)
    t1 = T.decl_buffer((8,), data=t0)
    for i in range(8):
        t1[i] = B[i % 4] * A[i]
    for i in range(4):
        B[i + 4] = t1[i] + t1[i + 4]
`,
    );
    expectSameResults(before, after);
  });

  test("temporaries live at the same time keep their own storage", () => {
    const f = parsePrimFunc(`
@T.prim_func
def main(A: T.Buffer((8,), "float32"), B: T.Buffer((8,), "float32")):
    t0 = T.decl_buffer((8,), "float32")
    for i in range(8):
        t0[i] = A[i] * T.float32(2)
    t1 = T.decl_buffer((8,), "float32")
    for i in range(8):
        t1[i] = t0[i] + T.float32(1)
    for i in range(8):
        B[i] = t1[i] + t0[7 - i]
`);
    expect(applyPass(StorageRewrite, f)).toBe(f);
  });

  test("a temporary used in a loop that does not contain its allocation is live over the whole loop", () => {
    const f = parsePrimFunc(`
@T.prim_func
def main(A: T.Buffer((8,), "float32"), B: T.Buffer((8,), "float32")):
    t0 = T.decl_buffer((1,), "float32")
    t1 = T.decl_buffer((1,), "float32")
    t0[0] = T.float32(0)
    for i in range(8):
        t1[0] = A[i]
        B[i] = t0[0] + t1[0]
        t0[0] = t1[0]
`);
    expect(applyPass(StorageRewrite, f)).toBe(f);
  });

  test("temporaries allocated inside a loop body with disjoint lifetimes share", () => {
    const src = `
@T.prim_func
def main(A: T.Buffer((8,), "float32"), B: T.Buffer((8,), "float32")):
    for i in range(2):
        t0 = T.decl_buffer((4,), "float32")
        for j in range(4):
            t0[j] = A[i * 4 + j] + T.float32(1)
        for j in range(4):
            B[i * 4 + j] = t0[j]
        t1 = T.decl_buffer((4,), "float32")
        for j in range(4):
            t1[j] = B[i * 4 + j] * T.float32(3)
        for j in range(4):
            B[i * 4 + j] = t1[3 - j]
`;
    const f = parsePrimFunc(src);
    const g = applyPass(StorageRewrite, f);
    expect(g).not.toBe(f);
    expect(String(g)).toContain("data=t0");
    expectSameResults(f, g);
  });

  test("different dtypes, symbolic sizes and escaping pointers are left alone", () => {
    for (const src of [
      `
@T.prim_func
def main(A: T.Buffer((8,), "float32"), B: T.Buffer((8,), "int32")):
    t0 = T.decl_buffer((8,), "float32")
    for i in range(8):
        t0[i] = A[i]
    for i in range(8):
        A[i] = t0[i]
    t1 = T.decl_buffer((8,), "int32")
    for i in range(8):
        t1[i] = B[i]
    for i in range(8):
        B[i] = t1[i]
`,
      `
@T.prim_func
def main(A: T.Buffer((8,), "float32"), n: T.int32):
    t0 = T.decl_buffer((n,), "float32")
    for i in range(n):
        t0[i] = A[i]
    t1 = T.decl_buffer((8,), "float32")
    for i in range(8):
        t1[i] = A[i]
`,
      `
@T.prim_func
def main(A: T.Buffer((8,), "float32")):
    t0 = T.decl_buffer((8,), "float32")
    t0[0] = A[0]
    T.evaluate(T.call_extern("int32", "consume", t0.data))
    t1 = T.decl_buffer((8,), "float32")
    t1[0] = A[1]
    A[2] = t1[0]
`,
    ]) {
      const f = parsePrimFunc(src);
      expect(applyPass(StorageRewrite, f)).toBe(f);
    }
  });

  test("blocks are a precondition failure", () => {
    const f = parsePrimFunc(`
@T.prim_func
def main(A: T.Buffer((8,), "float32")):
    for i in range(8):
        with T.sblock("b"):
            vi = T.axis.spatial(8, i)
            A[vi] = T.float32(0)
`);
    expect(() => StorageRewrite(IRModule.fromFunction(f, "main"))).toThrow(/StorageRewrite: function "main": expected lowered code/);
  });
});
