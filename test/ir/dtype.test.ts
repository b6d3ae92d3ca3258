import { describe, expect, it } from "vitest";
import { DataType, float32, int32, bool, intRange } from "../../src/ir/dtype.js";

describe("DataType", () => {
  it("parses and prints every scalar kind, with lanes", () => {
    for (const s of ["int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64", "float16", "float32", "float64", "bfloat16", "bool", "handle", "float32x4", "int8x16", "boolx8"]) {
      expect(DataType.parse(s).toString()).toBe(s);
    }
  });
  it("interns types so equal types are the same object", () => {
    expect(DataType.parse("float32")).toBe(float32);
    expect(DataType.parse("float32x4").element()).toBe(float32);
    expect(int32.withLanes(8)).toBe(DataType.parse("int32x8"));
  });
  it("rejects unknown names with the list of valid ones", () => {
    expect(() => DataType.parse("float13")).toThrow(/unknown dtype "float13".*float16\/32\/64/);
    expect(() => DataType.parse("int")).toThrow(/unknown dtype/);
  });
  it("knows classifications, sizes and ranges", () => {
    expect(bool.isBool()).toBe(true);
    expect(DataType.parse("uint8").isIntegral()).toBe(true);
    expect(DataType.parse("bfloat16").isFloat()).toBe(true);
    expect(DataType.parse("float16x8").bytes()).toBe(2);
    expect(intRange(DataType.parse("int8"))).toEqual([-128n, 127n]);
    expect(intRange(DataType.parse("uint16"))).toEqual([0n, 65535n]);
  });
});
