import { describe, expect, it } from "vitest";
import { DataType, float32, float16, int32, int64, bool } from "../../src/ir/dtype.js";
import { Add, BufferLoad, Call, Cast, FloatImm, IntImm, Ramp, Var, Broadcast, LT } from "../../src/ir/expr.js";
import { Buffer } from "../../src/ir/buffer.js";
import { Op } from "../../src/ir/op_registry.js";
import * as E from "../../src/ir/expr_ops.js";

describe("PrimExpr construction", () => {
  const x = new Var("x", int32);
  const y = new Var("y", int64);
  const f = new Var("f", float32);

  it("type-checks binary operators and names both dtypes", () => {
    expect(() => new Add(x, y)).toThrow(/Add: operand dtypes differ: int32 vs int64/);
    expect(() => new LT(x, f)).toThrow(/LT: operand dtypes differ: int32 vs float32/);
    expect(new LT(x, x).dtype).toBe(bool);
  });
  it("checks constants fit their type", () => {
    expect(() => new IntImm(DataType.parse("int8"), 200)).toThrow(/does not fit in int8/);
    expect(() => new IntImm(float32, 1)).toThrow(/scalar integer/);
    expect(() => new FloatImm(int32, 1)).toThrow(/scalar float/);
  });
  it("vectors carry lanes", () => {
    const r = new Ramp(x, new IntImm(int32, 1), 4);
    expect(r.dtype.toString()).toBe("int32x4");
    expect(new Broadcast(f, 8).dtype.toString()).toBe("float32x8");
    expect(() => new Cast(float32, r)).toThrow(/lanes differ/);
  });
  it("checks intrinsic arity and argument types", () => {
    expect(() => new Call(float32, Op.get("tir.exp"), [f, f])).toThrow(/T.exp takes 1 argument/);
    expect(() => new Call(int32, Op.get("tir.exp"), [x])).toThrow(/expects float arguments/);
    expect(Op.byScriptName("sqrt")).toBe(Op.get("tir.sqrt"));
  });
  it("checks buffer indexing", () => {
    const A = new Buffer("A", float32, [new IntImm(int32, 4), new IntImm(int32, 4)]);
    expect(() => new BufferLoad(A, [x])).toThrow(/buffer A has 2 dimension\(s\) but is indexed with 1/);
    expect(() => new BufferLoad(A, [x, f])).toThrow(/index of buffer A must be an integer/);
    expect(new BufferLoad(A, [x, new Ramp(x, new IntImm(int32, 1), 4)]).dtype.toString()).toBe("float32x4");
  });
});

describe("expr_ops builders", () => {
  const x = new Var("x", int32);
  it("fold constants and identities", () => {
    expect((E.add(1, 2) as IntImm).value).toBe(3);
    expect(E.add(x, 0)).toBe(x);
    expect(E.mul(x, 1)).toBe(x);
    expect((E.mul(x, 0) as IntImm).value).toBe(0);
    expect((E.floordiv(-7, 2) as IntImm).value).toBe(-4);
    expect((E.floormod(-7, 2) as IntImm).value).toBe(1);
    expect((E.truncdiv(-7, 2) as IntImm).value).toBe(-3);
    expect((E.truncmod(-7, 2) as IntImm).value).toBe(-1);
  });
  it("promote types like TVM", () => {
    const h = new Var("h", float16);
    expect(E.add(x, 1.5).dtype).toBe(float32);
    expect(E.mul(h, 2).dtype).toBe(float16);
    expect(E.add(x, new Var("l", int64)).dtype).toBe(int64);
    expect(E.cast("float32", 3)).toBeInstanceOf(FloatImm);
  });
  it("does not fold int32 overflow", () => {
    expect(E.add(2147483647, 1)).toBeInstanceOf(Add);
  });
  it("reports division by a constant zero", () => {
    expect(() => E.floordiv(x, 0)).toThrow(/division by zero/);
  });
});
