import { describe, expect, it } from "vitest";
import { Buffer } from "../../src/ir/buffer.js";
import { bool, float16, float32, int32, int64, int8, uint8, DataType } from "../../src/ir/dtype.js";
import {
  Add, And, Broadcast, BufferLoad, Call, Cast, Div, EQ, FloatImm, FloorDiv, FloorMod, IntImm, LT, Let, Max, Min, Mod, Mul,
  Not, Or, Ramp, Select, Shuffle, StringImm, Sub, Var, type PrimExpr,
} from "../../src/ir/expr.js";
import * as E from "../../src/ir/expr_ops.js";
import { Op } from "../../src/ir/op_registry.js";
import { assertStructuralEqual, structuralEqual } from "../../src/ir/structural.js";
import { parseExpr } from "../../src/tir/script/parser/index.js";

const x = new Var("x", int32);
const y = new Var("y", int32);
const f = new Var("f", float32);
const h = new Var("h", float16);
const n64 = new Var("n64", int64);
const c = new Var("c", bool);
const A = new Buffer("A", float32, [new IntImm(int32, 16), new IntImm(int32, 16)]);
const V = new Buffer("V", float32, [new IntImm(int32, 64)]);
const S = new Buffer("S", float32, []);
const vars = { x, y, f, h, n64, c, A, V, S };

const p = (src: string) => parseExpr(src, vars);
const i32 = (v: number) => new IntImm(int32, v);
const f32 = (v: number) => new FloatImm(float32, v);

function same(src: string, expected: PrimExpr): void {
  assertStructuralEqual(p(src), expected);
}

describe("parseExpr: Python operators fold like TVM", () => {
  it("folds Python int arithmetic before making IR", () => {
    same("1 + 2", i32(3));
    same("7 // 2", i32(3));
    same("-7 // 2", i32(-4));
    same("-7 % 3", i32(2));
    same("2 ** 10", i32(1024));
    same("1 << 4", i32(16));
    same("3000000000", new IntImm(int64, 3000000000));
    same("x * (2 + 3)", new Mul(x, i32(5)));
  });

  it("uses the expr_ops builders once a variable is involved", () => {
    same("x + 1", new Add(x, i32(1)));
    same("x + 0", x);
    same("x * 1", x);
    same("x - y", new Sub(x, y));
    same("x // 4", new FloorDiv(x, i32(4)));
    same("x % 4", new FloorMod(x, i32(4)));
    same("x / 4", new Div(x, i32(4)));
    same("f / 2", new Div(f, f32(2)));
    same("-x", new Sub(i32(0), x));
    same("n64 + 1", new Add(n64, new IntImm(int64, 1)));
  });

  it("promotes Python floats and ints like TVM", () => {
    same("f + 1", new Add(f, f32(1)));
    same("h * 0.5", new Mul(h, new FloatImm(float16, 0.5)));
    same("x + 0.5", new Add(new Cast(float32, x), f32(0.5)));
    same("f + x", new Add(f, new Cast(float32, x)));
  });

  it("comparisons, chained comparisons and boolean operators", () => {
    same("x < y", new LT(x, y));
    same("x == 3", new EQ(x, i32(3)));
    same("0 <= x < 16", new And(E.le(0, x), new LT(x, i32(16))));
    same("c and x < y", new And(c, new LT(x, y)));
    same("c or not c", new Or(c, new Not(c)));
    same("c and True", c);
    same("1 < 2", new IntImm(bool, 1));
    same("x if c else y", new Select(c, x, y));
    same("x if True else y", x);
  });

  it("dtype constructors, literals and limits", () => {
    same("T.float32(0)", f32(0));
    same("T.float32(0.5)", f32(0.5));
    same('T.float32("inf")', f32(Infinity));
    same('T.float32("-inf")', f32(-Infinity));
    expect(Number.isNaN((p('T.float64("nan")') as FloatImm).value)).toBe(true);
    same("T.int64(5)", new IntImm(int64, 5));
    same("T.int8(1)", new IntImm(int8, 1));
    same("T.uint8(255)", new IntImm(uint8, 255));
    same("T.bool(True)", new IntImm(bool, 1));
    same("True", new IntImm(bool, 1));
    same("T.int32(x)", x);
    same("T.float32(x)", new Cast(float32, x));
    same('T.min_value("float32")', f32(-3.4028234663852886e38));
    same('T.max_value("int8")', new IntImm(int8, 127));
    same('T.Cast("float16", f)', new Cast(float16, f));
    same('T.Cast("float32", T.float32(1))', new Cast(float32, f32(1)));
    same("T.float32x4(1)", new Broadcast(f32(1), 4));
  });

  it("folding helpers versus the non-folding node constructors", () => {
    same("T.max(x, y)", new Max(x, y));
    same("T.min(1, 2)", i32(1));
    same("T.Min(1, 2)", new Min(i32(1), i32(2)));
    same("T.Add(1, 2)", new Add(i32(1), i32(2)));
    same("T.Add(x, 0)", new Add(x, i32(0)));
    same("T.Mul(f, 1)", new Mul(f, f32(1)));
    same("T.Mod(x, 3)", new Mod(x, i32(3)));
    same("T.truncmod(7, 3)", i32(1));
    same("T.truncdiv(x, 2)", new Div(x, i32(2)));
    same("T.floordiv(x, 1)", x);
    same("T.FloorDiv(x, 1)", new FloorDiv(x, i32(1)));
    same("T.floormod(x, 8)", new FloorMod(x, i32(8)));
    same("T.EQ(x, y)", new EQ(x, y));
    same("T.Not(c)", new Not(c));
    same("T.And(c, T.bool(True))", new And(c, new IntImm(bool, 1)));
    same("T.Select(c, 1, 2)", new Select(c, i32(1), i32(2)));
    same("T.Ramp(x, 1, 4)", new Ramp(x, i32(1), 4));
    same("T.Broadcast(f, 8)", new Broadcast(f, 8));
    same("T.Shuffle([T.Ramp(0, 1, 4), T.Ramp(4, 1, 4)], [0, 2, 4, 6])", new Shuffle([new Ramp(i32(0), i32(1), 4), new Ramp(i32(4), i32(1), 4)], [0, 2, 4, 6]));
  });

  it("T.Let in both spellings", () => {
    const e = p("T.Let(x + 1, where={x: y * 2})") as Let;
    expect(e).toBeInstanceOf(Let);
    expect(e.variable).toBe(x);
    assertStructuralEqual(e.value, new Mul(y, i32(2)));
    assertStructuralEqual(e.body, new Add(x, i32(1)));
    expect(structuralEqual(p("T.Let(x, y * 2, x + 1)"), e)).toBe(true);
  });

  it("intrinsics by script name with TVM's result dtypes", () => {
    const exp = p("T.exp(f)") as Call;
    expect(exp.op).toBe(Op.get("tir.exp"));
    expect(exp.dtype).toBe(float32);
    same("T.sqrt(h)", new Call(float16, Op.get("tir.sqrt"), [h]));
    same("T.pow(f, 2)", new Call(float32, Op.get("tir.pow"), [f, f32(2)]));
    same("T.isnan(f)", new Call(bool, Op.get("tir.isnan"), [f]));
    same("T.if_then_else(c, x, 0)", new Call(int32, Op.get("tir.if_then_else"), [c, x, i32(0)]));
    same('T.reinterpret("float32", x)', new Call(float32, Op.get("tir.reinterpret"), [x]));
    same('T.call_extern("float32", "my_fn", f, 3)', new Call(float32, Op.get("tir.call_extern"), [new StringImm("my_fn"), f, i32(3)]));
    same('T.call_pure_extern("int32", "g")', new Call(int32, Op.get("tir.call_pure_extern"), [new StringImm("g")]));
    same("T.bitwise_and(x, 3)", new Call(int32, Op.get("tir.bitwise_and"), [x, i32(3)]));
    same("x << 2", new Call(int32, Op.get("tir.shift_left"), [x, i32(2)]));
    same("T.likely(c)", new Call(bool, Op.get("tir.likely"), [c]));
  });

  it("buffer loads: scalar, 0-d and vector (slices become ramps)", () => {
    same("A[x, y]", new BufferLoad(A, [x, y]));
    same("A[x, 3] + 1", new Add(new BufferLoad(A, [x, i32(3)]), f32(1)));
    same("S[()]", new BufferLoad(S, []));
    same("V[0:4]", new BufferLoad(V, [new Ramp(i32(0), i32(1), 4)]));
    same("V[x * 4:x * 4 + 4]", new BufferLoad(V, [new Ramp(new Mul(x, i32(4)), i32(1), 4)]));
    same("V[0:8:2]", new BufferLoad(V, [new Ramp(i32(0), i32(2), 4)]));
    same("V[x:x + 1]", new BufferLoad(V, [x]));
    const vec = p("V[0:4] * T.Broadcast(T.float32(2), 4)");
    expect(vec.dtype).toBe(DataType.parse("float32x4"));
    same("A.vload([x, y], predicate=c)", new BufferLoad(A, [x, y], c));
  });

  it("buffer attributes", () => {
    same("A.shape[0] * 2", i32(32));
    expect(p("A.data")).toBe(A.data);
  });
});
