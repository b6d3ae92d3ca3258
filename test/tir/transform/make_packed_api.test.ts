import { describe, expect, test } from "vitest";
import { IRModule } from "../../../src/ir/module.js";
import { NDArray } from "../../../src/runtime/index.js";
import { build } from "../../../src/target/build.js";
import "../../../src/target/c/index.js";
import { createPrimFunc, placeholder, topi } from "../../../src/te/index.js";
import type { PrimFunc } from "../../../src/tir/function.js";
import { defaultLoweringPasses, lower } from "../../../src/tir/pipeline.js";
import { parsePrimFunc } from "../../../src/tir/script/index.js";
import { MakePackedAPI, PassError, argKinds } from "../../../src/tir/transform/index.js";
import { hasCompiler, testCacheDir } from "../../target/c_helpers.js";
import { applyPass, checkPass, expectSameResults } from "./lowered_pass_helpers.js";

const scaleBySize = `
@T.prim_func
def main(A: T.Buffer((8,), "float32"), n: T.int32(is_size_var=True), B: T.Buffer((8,), "float32")):
    for i in range(n):
        B[i] = A[i] * T.float32(2)
`;

describe("MakePackedAPI", () => {
  test("records calling_conv and the argument kinds; symbolic shapes need no assert", () => {
    const { before, after } = checkPass(
      MakePackedAPI,
      `
@T.prim_func
def main(b: T.handle, alpha: T.float32, a: T.handle):
    n = T.int32()
    B = T.match_buffer(b, (n,), "float32")
    A = T.match_buffer(a, (n * 2,), "float32")
    for i in range(n):
        B[i] = A[i * 2] * alpha + A[i * 2 + 1]
`,
      `
@T.prim_func
def main(b: T.handle, alpha: T.float32, a: T.handle):
    T.func_attr({"calling_conv": 1, "weft.arg_kinds": ["buffer", "scalar", "buffer"]})
    n = T.int32()
    B = T.match_buffer(b, (n,), "float32")
    A = T.match_buffer(a, (n * 2,), "float32")
    for i in range(n):
        B[i] = A[i * 2] * alpha + A[i * 2 + 1]
`,
    );
    expect(argKinds(before)).toEqual(["buffer", "scalar", "buffer"]);
    expectSameResults(before, after, { n: 5, "n * 2": 10, alpha: 1.5 });
  });

  test("a scalar SizeVar parameter gets `assert n >= 0` at entry", () => {
    const { before, after } = checkPass(
      MakePackedAPI,
      scaleBySize,
      `
@T.prim_func
def main(A: T.Buffer((8,), "float32"), n: T.int32(is_size_var=True), B: T.Buffer((8,), "float32")):
    T.func_attr({"calling_conv": 1, "weft.arg_kinds": ["buffer", "scalar", "buffer"]})
    assert n >= 0, "argument n: expected a non-negative size"
    for i in range(n):
        B[i] = A[i] * T.float32(2)
`,
    );
    expect(after.params[1]!.kind).toBe("SizeVar");
    expectSameResults(before, after, { n: 5 });
  });

  test("the assert fires on the js target, after the runtime's own checks", async () => {
    const f = applyPass(MakePackedAPI, parsePrimFunc(scaleBySize));
    const m = await build(f, "js", { lower: null });
    const a = NDArray.fromArray([1, 2, 3, 4, 5, 6, 7, 8], [8], "float32");
    const b = NDArray.empty([8], "float32");
    m.get("main")(a, 3, b);
    expect(b.toArray().slice(0, 3)).toEqual([2, 4, 6]);
    expect(() => m.get("main")(a, -1, b)).toThrow("main: argument n: expected a non-negative size");
    expect(() => m.get("main")(a, 1.5, b)).toThrow(/argument n: expected an integer/);
  });

  test.skipIf(!hasCompiler)("the assert fires on the c target", async () => {
    const prev = process.env["WEFT_CACHE_DIR"];
    process.env["WEFT_CACHE_DIR"] = testCacheDir;
    try {
      const f = applyPass(MakePackedAPI, parsePrimFunc(scaleBySize));
      const m = await build(IRModule.fromFunction(f, "main"), "c", { lower: null });
      const a = NDArray.fromArray([1, 2, 3, 4, 5, 6, 7, 8], [8], "float32");
      const b = NDArray.empty([8], "float32");
      m.get("main")(a, 2, b);
      expect(b.toArray().slice(0, 2)).toEqual([2, 4]);
      expect(() => m.get("main")(a, -1, b)).toThrow(/argument n: expected a non-negative size/);
    } finally {
      if (prev === undefined) delete process.env["WEFT_CACHE_DIR"];
      else process.env["WEFT_CACHE_DIR"] = prev;
    }
  });

  test("runs last in the default pipeline; a second run changes nothing", () => {
    const passes = defaultLoweringPasses();
    expect(passes[passes.length - 1]!.name).toBe("MakePackedAPI");
    const x = placeholder([4, 6], "float32", "x");
    const lowered = lower(createPrimFunc([x, topi.sum(x, 1)])).get("main") as PrimFunc;
    expect(lowered.attrs["calling_conv"]).toBe(1);
    expect(lowered.attrs["weft.arg_kinds"]).toEqual(["buffer", "buffer"]);
    expect(applyPass(MakePackedAPI, lowered)).toBe(lowered);
  });

  test("fails on a variable nothing defines, naming the function and the variable", () => {
    const f = parsePrimFunc(`
@T.prim_func
def main(A: T.Buffer((8,), "float32")):
    m = T.int32()
    for i in range(8):
        A[i] = T.Cast("float32", m)
`);
    const run = () => MakePackedAPI(IRModule.fromFunction(f, "scale"));
    expect(run).toThrow(PassError);
    expect(run).toThrow(
      'MakePackedAPI: function "scale": variable m is used but not defined: it is neither a parameter (A), nor a shape, stride or elem_offset variable of a buffer parameter, nor bound in the body',
    );
  });

  test("fails when blocks are left", () => {
    const f = parsePrimFunc(`
@T.prim_func
def main(A: T.Buffer((8,), "float32")):
    for i in range(8):
        with T.block("A"):
            vi = T.axis.spatial(8, i)
            A[vi] = T.float32(0)
`);
    expect(() => MakePackedAPI(IRModule.fromFunction(f, "zero"))).toThrow(
      'MakePackedAPI: function "zero": block "root" is still present; expected lowered code (run the lowering passes first)',
    );
  });
});
