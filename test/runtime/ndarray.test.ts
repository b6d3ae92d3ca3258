import { describe, expect, it } from "vitest";
import { bfloat16, float16, float32, int32, int64, int8, uint8 } from "../../src/ir/dtype.js";
import { NDArray, NDARRAY_ALIGNMENT } from "../../src/runtime/ndarray.js";
import { Rng, randomArray, toArray } from "../../src/tir/interp/index.js";

describe("NDArray", () => {
  it("allocates zeroed, 64-byte aligned, padded storage with row-major strides", () => {
    for (const [shape, dt] of [[[3, 5], "float32"], [[7], "int8"], [[2, 3, 4], "float64"], [[], "int32"], [[0, 4], "float32"]] as const) {
      const a = NDArray.empty(shape, dt);
      expect(a.data.byteOffset % NDARRAY_ALIGNMENT).toBe(0);
      expect(a.data.buffer.byteLength % NDARRAY_ALIGNMENT).toBe(0);
      expect(a.shape).toEqual(shape);
      expect(a.numel).toBe(shape.reduce((x: number, y: number) => x * y, 1));
      expect(a.data.length).toBe(a.numel);
      expect(a.byteLength).toBe(a.numel * a.data.BYTES_PER_ELEMENT);
      expect([...a.data].every((x) => x === 0)).toBe(true);
      expect(a.device).toBe("cpu");
    }
    expect(NDArray.empty([2, 3, 4]).strides).toEqual([12, 4, 1]);
  });

  it("uses the interpreter's storage classes (float16/bfloat16 as rounded Float32Array, int64 as Float64Array)", () => {
    expect(NDArray.empty([2], float32).data).toBeInstanceOf(Float32Array);
    expect(NDArray.empty([2], float16).data).toBeInstanceOf(Float32Array);
    expect(NDArray.empty([2], bfloat16).data).toBeInstanceOf(Float32Array);
    expect(NDArray.empty([2], int64).data).toBeInstanceOf(Float64Array);
    expect(NDArray.empty([2], "bool").data).toBeInstanceOf(Uint8Array);
    expect(NDArray.empty([2], uint8).data).toBeInstanceOf(Uint8Array);
    expect(NDArray.empty([2], "float32x4").data.length).toBe(8);
    // 0.1 rounded to float16 is 0.0999755859375; 1/3 to bfloat16 is 0.333984375.
    expect(NDArray.fromArray([0.1], [1], float16).toArray()).toEqual([0.0999755859375]);
    expect(NDArray.fromArray([1 / 3], [1], bfloat16).toArray()).toEqual([0.333984375]);
    expect(NDArray.fromArray([65520], [1], float16).toArray()).toEqual([Infinity]);
  });

  it("fromArray takes nested lists, flat lists with a shape, typed arrays and scalars", () => {
    const a = NDArray.fromArray([[1, 2, 3], [4, 5, 6]], undefined, int32);
    expect(a.shape).toEqual([2, 3]);
    expect(a.toArray()).toEqual([1, 2, 3, 4, 5, 6]);
    expect(a.toNested()).toEqual([[1, 2, 3], [4, 5, 6]]);
    expect(NDArray.fromArray([1, 2, 3, 4], [2, 2]).toNested()).toEqual([[1, 2], [3, 4]]);
    expect(NDArray.fromArray(new Float32Array([1, 2])).shape).toEqual([2]);
    expect(NDArray.fromArray(7, [], int32).toNested()).toBe(7);
    expect(() => NDArray.fromArray([[1, 2], [3]])).toThrow(/expected 2 entries at \[1\]/);
    expect(() => NDArray.fromArray([1, 2, 3], [2, 2])).toThrow(/3 values cannot fill shape \(2, 2\)/);
    expect(() => NDArray.fromArray([1.5], [1], int32)).toThrow(/not an integer/);
    expect(() => NDArray.fromArray([300], [1], int8)).toThrow(/does not fit in int8/);
  });

  it("copyFrom copies arrays of the same dtype and size, and converts plain numbers", () => {
    const a = NDArray.fromArray([1, 2, 3, 4], [2, 2]);
    const b = NDArray.empty([4]).copyFrom(a);
    expect(b.toArray()).toEqual([1, 2, 3, 4]);
    b.copyFrom([5, 6, 7, 8.1]);
    expect(b.toArray()).toEqual([5, 6, 7, Math.fround(8.1)]);
    expect(a.clone().toArray()).toEqual(a.toArray());
    expect(a.clone().data).not.toBe(a.data);
    expect(() => b.copyFrom(NDArray.empty([4], int32))).toThrow(/dtype int32 does not match float32/);
    expect(() => b.copyFrom(NDArray.empty([5]))).toThrow(/has 5 values/);
    expect(() => b.copyFrom([1, 2])).toThrow(/2 values for an array of 4/);
    expect(a.reshape([4]).data).toBe(a.data);
  });

  it("feeds the interpreter's HostArray functions structurally", () => {
    const h = randomArray([3, 4], float32, new Rng(1));
    const a = NDArray.empty([3, 4]).copyFrom(h);
    expect(toArray(a)).toEqual(toArray(h));
  });

  it("view checks alignment and bounds", () => {
    const buf = new ArrayBuffer(256);
    const v = NDArray.view(buf, 64, [4, 4]);
    v.data[0] = 3;
    expect(new Float32Array(buf, 64, 1)[0]).toBe(3);
    expect(() => NDArray.view(buf, 8, [2])).toThrow(/not 64-byte aligned/);
    expect(() => NDArray.view(buf, 192, [32])).toThrow(/overrun/);
  });
});
