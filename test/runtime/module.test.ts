import { describe, expect, it } from "vitest";
import { NDArray } from "../../src/runtime/ndarray.js";
import { ArgChecker, ArgumentError } from "../../src/runtime/module.js";
import { build } from "../../src/target/build.js";
import { primFuncSignature } from "../../src/target/signature.js";
import { parsePrimFunc } from "../../src/tir/script/index.js";

const matmulLike = parsePrimFunc(`
@T.prim_func
def main(A: T.Buffer((128, 64), "float32"), B: T.Buffer((128, 64), "float32")):
    for i in range(8192):
        B[i // 64, i % 64] = A[i // 64, i % 64]
`);

const symbolic = parsePrimFunc(`
@T.prim_func
def main(a: T.handle, b: T.handle, c: T.handle, m: T.int32):
    n = T.int32()
    A = T.match_buffer(a, (n, m), "float32")
    B = T.match_buffer(b, (m, n), "float32")
    C = T.match_buffer(c, (n * 2,), "int32")
    T.evaluate(0)
`);

describe("argument checking", () => {
  it("names the argument and the expected/actual shape, dtype and rank", async () => {
    const f = (await build(matmulLike, "js", { lower: null })).get("main");
    const A = NDArray.empty([128, 64]);
    f(A, NDArray.empty([128, 64]));
    expect(() => f(A, NDArray.empty([128, 32]))).toThrow("main: argument B: expected shape (128, 64), got (128, 32)");
    expect(() => f(A, NDArray.empty([128, 64], "float64"))).toThrow("main: argument B: expected dtype float32, got float64");
    expect(() => f(NDArray.empty([128, 64, 1]), A)).toThrow("main: argument A: expected 2 dimension(s), shape (128, 64), got 3: (128, 64, 1)");
    expect(() => f(A)).toThrow("main: expected 2 argument(s) (A, B), got 1");
    expect(() => f(A, 3)).toThrow("main: argument B: expected a float32 array of shape (128, 64), got the number 3");
    // A HostArray with the wrong storage class (float32 values in a Float64Array).
    const bad = { dtype: A.dtype, shape: [128, 64], data: new Float64Array(128 * 64) };
    expect(() => f(A, bad)).toThrow(/argument B: a float32 array must keep its data in a Float32Array, got a Float64Array/);
    expect(() => f(A, NDArray.empty([128, 64]))).not.toThrow();
    expect(() => f(A, bad)).toThrow(ArgumentError);
  });

  it("checks symbolic dimensions for consistency across arguments and scalar parameters", () => {
    const { signature } = primFuncSignature(symbolic, "main");
    const c = new ArgChecker(signature);
    const A = NDArray.empty([3, 5]), B = NDArray.empty([5, 3]), C = NDArray.empty([6], "int32");
    c.check([A, B, C, 5]);
    expect([...c.syms]).toEqual([5, 3]); // m (scalar) first, then n
    expect(() => c.check([A, NDArray.empty([5, 4]), C, 5])).toThrow("main: argument B: expected shape (m, n) (n = 3 from A), got (5, 4)");
    expect(() => c.check([A, B, C, 4])).toThrow("main: argument A: expected shape (n, m) (m = 4 from m), got (3, 5)");
    expect(() => c.check([A, B, NDArray.empty([7], "int32"), 5])).toThrow("main: argument C: expected shape (n * 2), got (7)");
    expect(() => c.check([A, B, C, 2.5])).toThrow("main: argument m: expected an integer (int32), got 2.5");
    expect(() => c.check([A, B, C, "5"])).toThrow("main: argument m: expected a int32 number, got a string");
  });

  it("rejects non-contiguous arrays", async () => {
    const f = (await build(matmulLike, "js", { lower: null })).get("main");
    const strided = { dtype: NDArray.empty([1]).dtype, shape: [128, 64], strides: [1, 128], data: new Float32Array(8192) };
    expect(() => f(strided, NDArray.empty([128, 64]))).toThrow("main: argument A: expected a contiguous row-major array, got strides (1, 128) for shape (128, 64)");
  });
});

describe("timeEvaluator", () => {
  it("returns the requested number of repeats in ms, with median and mean", async () => {
    const mod = await build(matmulLike, "js", { lower: null });
    const A = NDArray.empty([128, 64]), B = NDArray.empty([128, 64]);
    A.data.fill(2);
    const r = mod.timeEvaluator("main", { number: 3, repeat: 5 })(A, B);
    expect(r.times).toHaveLength(5);
    expect(r.number).toBe(3);
    for (const t of r.times) expect(t).toBeGreaterThanOrEqual(0);
    expect(r.median).toBe([...r.times].sort((x, y) => x - y)[2]);
    expect(r.mean).toBeCloseTo(r.times.reduce((x, y) => x + y, 0) / 5, 12);
    expect(B.data[8191]).toBe(2);
    const d = mod.timeEvaluator("main")(A, B);
    expect(d.times).toHaveLength(3);
    const grown = mod.timeEvaluator("main", { repeat: 2, minRepeatMs: 1 })(A, B);
    expect(grown.times).toHaveLength(2);
    expect(grown.number).toBeGreaterThanOrEqual(1);
    expect(() => mod.timeEvaluator("nope")).toThrow(/has no function "nope" \(it has: main\)/);
    expect(mod.functionNames()).toEqual(["main"]);
    expect(mod.target).toBe("js");
  });
});
