import { describe, expect, it } from "vitest";
import { Target, registeredTargets } from "../../src/target/target.js";
import "../../src/target/build.js";

describe("Target", () => {
  it("parses kinds and options into typed attrs", () => {
    const t = Target.parse("c -mcpu=native -num-cores=2");
    expect(t.kind).toBe("c");
    expect(t.attrs).toEqual({ mcpu: "native", "num-cores": 2 });
    expect(Target.parse("  wasm   -simd -threads=false ").attrs).toEqual({ simd: true, threads: false });
    expect(Target.parse("js").attrs).toEqual({});
    expect(Target.parse("webgpu -max-workgroup-size=256").getNumber("max-workgroup-size", 0)).toBe(256);
  });

  it("prints a canonical form (options sorted, -flag for true) that parses back", () => {
    const t = Target.parse("c -num-cores=2 -fast-math -mcpu=native");
    expect(t.toString()).toBe("c -fast-math -mcpu=native -num-cores=2");
    expect(Target.parse(t.toString())).toEqual(t);
    expect(String(Target.parse("wasm -threads=false"))).toBe("wasm -threads=false");
  });

  it("rejects unknown kinds and malformed options with clear errors", () => {
    expect(() => Target.parse("cuda -arch=sm_80")).toThrow('unknown target kind "cuda": expected one of c, wasm, js, webgpu');
    expect(() => Target.parse("")).toThrow(/empty target string/);
    expect(() => Target.parse("c mcpu")).toThrow(/option "mcpu" must look like -key or -key=value/);
    expect(() => Target.parse("c -a=1 -a=2")).toThrow(/-a is given twice/);
    expect(() => Target.parse("c -num-cores=two").getNumber("num-cores", 1)).toThrow(/must be a number/);
  });

  it("has the js target registered by build", () => {
    expect(registeredTargets()).toContain("js");
  });
});
