import { describe, expect, test } from "vitest";
import fc from "fast-check";
import { DataType, float16, float32, int64, int8 } from "../../src/ir/dtype.js";
import {
  Rng, bfloat16Bits, bfloat16FromBits, copyArray, emptyArray, numericErf as erf, float16Bits, float16FromBits, fromArray, randomArray,
  roundHalfEven, roundToBFloat16, roundToFloat16, roundToFloat32Generic, toArray, toNested,
} from "../../src/tir/interp/index.js";

describe("HostArray helpers", () => {
  test("emptyArray picks the storage class per dtype", () => {
    const cases: [string, unknown][] = [
      ["float32", Float32Array], ["float64", Float64Array], ["float16", Float32Array], ["bfloat16", Float32Array],
      ["int8", Int8Array], ["int16", Int16Array], ["int32", Int32Array], ["uint8", Uint8Array], ["uint16", Uint16Array],
      ["uint32", Uint32Array], ["int64", Float64Array], ["uint64", Float64Array], ["bool", Uint8Array],
    ];
    for (const [t, C] of cases) {
      const a = emptyArray([2, 3], t);
      expect(a.data).toBeInstanceOf(C);
      expect(a.data.length).toBe(6);
      expect(a.dtype).toBe(DataType.parse(t));
    }
    expect(emptyArray([4], "float32x4").data.length).toBe(16);
    expect(() => emptyArray([-1], "float32")).toThrow(/non-negative integers/);
  });

  test("fromArray infers shapes from nesting and round-trips through toNested", () => {
    const a = fromArray([[1, 2, 3], [4, 5, 6]]);
    expect(a.shape).toEqual([2, 3]);
    expect(a.dtype).toBe(float32);
    expect(toNested(a)).toEqual([[1, 2, 3], [4, 5, 6]]);
    expect(toArray(a)).toEqual([1, 2, 3, 4, 5, 6]);
    const flat = fromArray([1, 2, 3, 4], [2, 2], "int32");
    expect(toNested(flat)).toEqual([[1, 2], [3, 4]]);
    expect(toNested(fromArray(7, [], "int8"))).toBe(7);
    const vec = fromArray([[1, 2, 3, 4], [5, 6, 7, 8]], undefined, "int32x4");
    expect(vec.shape).toEqual([2]);
    expect(toNested(vec)).toEqual([[1, 2, 3, 4], [5, 6, 7, 8]]);
  });

  test("fromArray rounds floats to the dtype", () => {
    expect(toArray(fromArray([0.1], [1], "float32"))[0]).toBe(Math.fround(0.1));
    expect(toArray(fromArray([0.1], [1], "float64"))[0]).toBe(0.1);
    expect(toArray(fromArray([1 + 2 ** -11], [1], "float16"))[0]).toBe(1);
    expect(toArray(fromArray([70000], [1], "float16"))[0]).toBe(Infinity);
  });

  test("fromArray rejects what the dtype cannot hold, naming the element", () => {
    expect(() => fromArray([1.5], [1], "int32")).toThrow(/element 0 = 1.5 is not an integer.*int32/);
    expect(() => fromArray([1, 200], [2], int8)).toThrow(/element 1 = 200 does not fit in int8/);
    expect(() => fromArray([[1, 2], [3]])).toThrow(/expected 2 entries at \[1\]/);
    expect(() => fromArray([1, 2, 3], [2, 2])).toThrow(/3 values cannot fill shape \[2, 2\]/);
  });

  test("int64 values live in a Float64Array and are exact up to 2^53", () => {
    const a = fromArray([2 ** 53, -(2 ** 52) + 1], [2], int64);
    expect(a.data).toBeInstanceOf(Float64Array);
    expect(toArray(a)).toEqual([2 ** 53, -(2 ** 52) + 1]);
  });

  test("toArray reads BigInt64Array and raw-bit float16 data", () => {
    expect(toArray({ dtype: int64, shape: [2], data: new BigInt64Array([5n, -7n]) })).toEqual([5, -7]);
    expect(toArray({ dtype: float16, shape: [2], data: new Uint16Array([0x3c00, 0xc000]) })).toEqual([1, -2]);
  });

  test("randomArray stays in its documented ranges and is deterministic", () => {
    const f = randomArray([1000], "float32", new Rng(3));
    const vals = toArray(f);
    expect(Math.min(...vals)).toBeGreaterThanOrEqual(-1);
    expect(Math.max(...vals)).toBeLessThan(1);
    expect(new Set(vals).size).toBeGreaterThan(900);
    for (const x of vals) expect(Math.fround(x)).toBe(x);
    expect(toArray(randomArray([1000], "float32", new Rng(3)))).toEqual(vals);
    const ints = toArray(randomArray([1000], "int32", new Rng(4)));
    expect(Math.min(...ints)).toBe(-8);
    expect(Math.max(...ints)).toBe(7);
    const us = toArray(randomArray([1000], "uint8", new Rng(4)));
    expect(Math.min(...us)).toBe(0);
    expect(Math.max(...us)).toBe(15);
    const bs = toArray(randomArray([1000], "bool", new Rng(5)));
    expect(new Set(bs)).toEqual(new Set([0, 1]));
    const halves = toArray(randomArray([100], "float16", new Rng(6)));
    for (const x of halves) expect(roundToFloat16(x)).toBe(x);
  });

  test("copyArray is a deep copy", () => {
    const a = fromArray([1, 2, 3]);
    const b = copyArray(a);
    (b.data as Float32Array)[0] = 9;
    expect(toArray(a)).toEqual([1, 2, 3]);
  });
});

describe("Rng", () => {
  test("same seed, same stream; different seeds differ", () => {
    const a = new Rng(42), b = new Rng(42), c = new Rng(43);
    const xs = Array.from({ length: 20 }, () => a.next());
    expect(Array.from({ length: 20 }, () => b.next())).toEqual(xs);
    expect(Array.from({ length: 20 }, () => c.next())).not.toEqual(xs);
    for (const x of xs) {
      expect(x).toBeGreaterThanOrEqual(0);
      expect(x).toBeLessThan(1);
    }
  });

  test("int(lo, hi) covers [lo, hi) roughly uniformly", () => {
    const r = new Rng(1);
    const counts = new Array(6).fill(0);
    for (let i = 0; i < 6000; i++) counts[r.int(-3, 3) + 3]++;
    for (const c of counts) expect(c).toBeGreaterThan(850);
    expect(() => r.int(3, 3)).toThrow(/lo < hi/);
  });

  test("mean and variance of next() match a uniform distribution", () => {
    const r = new Rng(7);
    let s = 0, s2 = 0;
    const n = 20000;
    for (let i = 0; i < n; i++) {
      const x = r.next();
      s += x;
      s2 += x * x;
    }
    expect(Math.abs(s / n - 0.5)).toBeLessThan(0.01);
    expect(Math.abs(s2 / n - s * s / n / n - 1 / 12)).toBeLessThan(0.005);
  });
});

describe("float formats", () => {
  test("float16 rounds to nearest even and overflows to infinity", () => {
    expect(roundToFloat16(1 + 2 ** -11)).toBe(1); // tie -> even (1.0)
    expect(roundToFloat16(1 + 3 * 2 ** -11)).toBe(1 + 2 ** -9); // tie -> even (mantissa 2)
    expect(roundToFloat16(1 + 2 ** -11 + 2 ** -20)).toBe(1 + 2 ** -10);
    expect(roundToFloat16(65504)).toBe(65504);
    expect(roundToFloat16(65519)).toBe(65504);
    expect(roundToFloat16(65520)).toBe(Infinity);
    expect(roundToFloat16(-65520)).toBe(-Infinity);
    expect(roundToFloat16(2 ** -24)).toBe(2 ** -24);
    expect(roundToFloat16(2 ** -25)).toBe(0); // tie between 0 and the smallest subnormal -> 0
    expect(roundToFloat16(3 * 2 ** -26)).toBe(2 ** -24);
    expect(Object.is(roundToFloat16(-(2 ** -26)), -0)).toBe(true);
    expect(roundToFloat16(0.1)).toBe(0.0999755859375);
    expect(roundToFloat16(NaN)).toBeNaN();
  });

  test("bfloat16 keeps 8 significant bits", () => {
    expect(roundToBFloat16(1 + 2 ** -8)).toBe(1);
    expect(roundToBFloat16(1 + 3 * 2 ** -8)).toBe(1 + 2 ** -6);
    expect(roundToBFloat16(3.14159)).toBe(3.140625);
    expect(roundToBFloat16(3.4e38)).toBe(Infinity);
    expect(roundToBFloat16(3.39e38)).toBe(3.3895313892515355e38);
    expect(roundToBFloat16(3.38e38)).toBe(3.3762391092936863e38);
  });

  test("the rounding construction reproduces Math.fround for binary32", () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true }), (x) => {
        expect(roundToFloat32Generic(x)).toBe(Math.fround(x));
      }),
      { numRuns: 3000 },
    );
    // Values near float32's subnormal and overflow boundaries.
    for (const x of [2 ** -149, 2 ** -150, 3 * 2 ** -151, 3.4028235677973366e38, 3.4028235e38, 1.1754942e-38]) {
      expect(roundToFloat32Generic(x)).toBe(Math.fround(x));
    }
  });

  test("float16 and bfloat16 bit patterns round-trip", () => {
    expect(float16Bits(1)).toBe(0x3c00);
    expect(float16Bits(-2)).toBe(0xc000);
    expect(float16Bits(65504)).toBe(0x7bff);
    expect(float16Bits(2 ** -24)).toBe(1);
    expect(float16Bits(Infinity)).toBe(0x7c00);
    expect(bfloat16Bits(1)).toBe(0x3f80);
    for (let b = 0; b < 0x10000; b += 7) {
      const x = float16FromBits(b);
      if (Number.isNaN(x)) continue;
      expect(float16Bits(x)).toBe(b);
      const y = bfloat16FromBits(b);
      if (!Number.isNaN(y)) expect(bfloat16Bits(y)).toBe(b);
    }
  });

  test("roundHalfEven is nearbyint", () => {
    expect([0.5, 1.5, 2.5, -0.5, -1.5, 2.4, 2.6, -2.6].map(roundHalfEven)).toEqual([0, 2, 2, -0, -2, 2, 3, -3]);
  });
});

describe("erf", () => {
  test("matches reference values to ~1e-15", () => {
    const ref: [number, number][] = [
      [0, 0],
      [1e-10, 1.1283791670955126e-10],
      [0.1, 0.1124629160182849],
      [0.5, 0.5204998778130465],
      [1, 0.8427007929497149],
      [1.5, 0.9661051464753108],
      [2, 0.9953222650189527],
      [2.9, 0.9999589021219005],
      [3, 0.9999779095030014],
      [3.5, 0.9999992569016276],
      [4, 0.9999999845827421],
      [6, 1],
    ];
    for (const [x, y] of ref) {
      expect(Math.abs(erf(x) - y)).toBeLessThanOrEqual(1e-15 * Math.max(1, Math.abs(y)) + 1e-300);
      expect(erf(-x)).toBe(-erf(x));
    }
    expect(erf(NaN)).toBeNaN();
    expect(erf(Infinity)).toBe(1);
  });

  test("1 - erf(x) keeps relative precision of erfc(3)", () => {
    const erfc3 = 2.209049699858544e-5;
    expect(Math.abs(1 - erf(3) - erfc3) / erfc3).toBeLessThan(1e-9);
  });
});
