import { describe, expect, test } from "vitest";
import fc from "fast-check";
import { DataType, bool, float16, float32, float64, int32, int64, int8, uint32, uint8 } from "../../src/ir/dtype.js";
import {
  Add, And, Broadcast, BufferLoad, Call, Cast, Div, EQ, FloatImm, FloorDiv, FloorMod, GE, GT, IntImm, LE, LT, Let, Max, Min,
  Mod, Mul, NE, Not, Or, Ramp, Select, Shuffle, StringImm, Sub, type PrimExpr,
} from "../../src/ir/expr.js";
import { Op } from "../../src/ir/op_registry.js";
import { BufferStore, Evaluate } from "../../src/tir/stmt.js";
import { InterpreterError, emptyArray, fromArray, runPrimFunc, toArray } from "../../src/tir/interp/index.js";
import { buf, evalExpr, i32, primFunc, v } from "./interp_fixtures.js";

const call = (dtype: DataType | string, name: string, ...args: PrimExpr[]): Call =>
  new Call(typeof dtype === "string" ? DataType.parse(dtype) : dtype, Op.get(name), args);

describe("integer arithmetic", () => {
  const x = v("x"), y = v("y");
  const bin = (C: new (a: PrimExpr, b: PrimExpr) => PrimExpr, a: number, b: number, dtype = int32): number => {
    const p = v("p", dtype), q = v("q", dtype);
    return evalExpr(new C(p, q), [[p, a], [q, b]]) as number;
  };

  test("int32 wraps like two's complement", () => {
    expect(bin(Add, 2147483647, 1)).toBe(-2147483648);
    expect(bin(Sub, -2147483648, 1)).toBe(2147483647);
    expect(bin(Mul, 65536, 65536)).toBe(0);
    expect(bin(Mul, 123456789, 987654321)).toBe(Number(BigInt.asIntN(32, 123456789n * 987654321n)));
  });

  test("wrapping matches BigInt for random int32 operands", () => {
    fc.assert(
      fc.property(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), (a, b) => {
        expect(bin(Add, a, b)).toBe(Number(BigInt.asIntN(32, BigInt(a) + BigInt(b))));
        expect(bin(Mul, a, b)).toBe(Number(BigInt.asIntN(32, BigInt(a) * BigInt(b))));
        expect(bin(Sub, a, b)).toBe(Number(BigInt.asIntN(32, BigInt(a) - BigInt(b))));
      }),
      { numRuns: 200 },
    );
  });

  test("narrow and unsigned types wrap in their width", () => {
    expect(bin(Add, 127, 1, int8)).toBe(-128);
    expect(bin(Mul, 16, 16, int8)).toBe(0);
    expect(bin(Add, 200, 100, uint8)).toBe(44);
    expect(bin(Sub, 0, 1, uint32)).toBe(4294967295);
    expect(bin(Mul, 65536, 65537, uint32)).toBe(65536);
  });

  test("int64 is exact to 2^53 and wraps at 2^64 through BigInt", () => {
    expect(bin(Add, 2 ** 52, 2 ** 52, int64)).toBe(2 ** 53);
    expect(bin(Mul, 2 ** 26 + 1, 2 ** 26 + 3, int64)).toBe((2 ** 26 + 1) * (2 ** 26 + 3));
    expect(bin(Mul, 2 ** 40, 2 ** 30, int64)).toBe(0); // 2^70 wraps to 0
    expect(bin(Mul, 3037000499, 3037000499, int64)).toBe(Number(3037000499n * 3037000499n));
    expect(bin(FloorDiv, -(2 ** 50) - 1, 2 ** 20, int64)).toBe(Math.floor((-(2 ** 50) - 1) / 2 ** 20));
  });

  test("floordiv/floormod round toward -inf, truncdiv/truncmod toward zero", () => {
    const cases: [number, number, number, number, number, number][] = [
      // a, b, floordiv, floormod, truncdiv, truncmod
      [7, 2, 3, 1, 3, 1],
      [-7, 2, -4, 1, -3, -1],
      [7, -2, -4, -1, -3, 1],
      [-7, -2, 3, -1, 3, -1],
      [6, 3, 2, 0, 2, 0],
      [-6, 3, -2, 0, -2, 0],
      [0, -5, 0, 0, 0, 0],
    ];
    for (const [a, b, fd, fm, td, tm] of cases) {
      expect(bin(FloorDiv, a, b)).toBe(fd);
      expect(bin(FloorMod, a, b)).toBe(fm);
      expect(bin(Div, a, b)).toBe(td);
      expect(bin(Mod, a, b)).toBe(tm);
      expect(bin(FloorDiv, a, b, int8)).toBe(fd);
      expect(bin(FloorMod, a, b, int64)).toBe(fm);
    }
    expect(bin(Div, -2147483648, -1)).toBe(-2147483648);
    expect(bin(FloorMod, 5, 3, uint8)).toBe(2);
  });

  test("floordiv and floormod satisfy a = b * q + r with r between 0 and b", () => {
    fc.assert(
      fc.property(fc.integer({ min: -1e6, max: 1e6 }), fc.integer({ min: -1000, max: 1000 }).filter((b) => b !== 0), (a, b) => {
        const q = bin(FloorDiv, a, b), r = bin(FloorMod, a, b);
        expect(b * q + r).toBe(a);
        if (b > 0) expect(r >= 0 && r < b).toBe(true);
        else expect(r <= 0 && r > b).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  test("integer division by zero is an error naming the expression", () => {
    expect(() => evalExpr(new FloorDiv(x, y), [[x, 3], [y, 0]])).toThrow(/integer division by zero in .*x.*y.* in block "root" of function main/);
    expect(() => evalExpr(new Mod(x, y), [[x, 3], [y, 0]])).toThrow(InterpreterError);
  });

  test("min and max", () => {
    expect(bin(Min, -3, 2)).toBe(-3);
    expect(bin(Max, -3, 2)).toBe(2);
  });
});

describe("float arithmetic", () => {
  test("float32 rounds each result; float64 does not", () => {
    const a = v("a", float32), b = v("b", float32);
    expect(evalExpr(new Add(a, b), [[a, 0.1], [b, 0.2]])).toBe(Math.fround(Math.fround(0.1) + Math.fround(0.2)));
    expect(evalExpr(new Add(a, b), [[a, 16777216], [b, 1]])).toBe(16777216);
    expect(evalExpr(new Div(a, b), [[a, 1], [b, 3]])).toBe(Math.fround(1 / 3));
    const c = v("c", float64), d = v("d", float64);
    expect(evalExpr(new Add(c, d), [[c, 0.1], [d, 0.2]])).toBe(0.1 + 0.2);
    expect(evalExpr(new FloatImm(float32, 0.1))).toBe(Math.fround(0.1));
  });

  test("float32 results agree with Math.fround of the double result", () => {
    const a = v("a", float32), b = v("b", float32);
    const e = new Mul(new Add(a, b), new Sub(a, b));
    fc.assert(
      fc.property(fc.float({ noNaN: true, min: -1e6, max: 1e6 }), fc.float({ noNaN: true, min: -1e6, max: 1e6 }), (p, q) => {
        const want = Math.fround(Math.fround(p + q) * Math.fround(p - q));
        expect(evalExpr(e, [[a, p], [b, q]])).toBe(want);
      }),
      { numRuns: 100 },
    );
  });

  test("float16 and bfloat16 round every result", () => {
    const h = v("h", float16), k = v("k", float16);
    expect(evalExpr(new Add(h, k), [[h, 1], [k, 0.0004]])).toBe(1);
    expect(evalExpr(new Add(h, k), [[h, 65504], [k, 32]])).toBe(Infinity);
    expect(evalExpr(new Mul(h, k), [[h, 0.1], [k, 3]])).toBe(0.2998046875);
    const bf = DataType.parse("bfloat16");
    const p = v("p", bf), q = v("q", bf);
    expect(evalExpr(new Add(p, q), [[p, 1], [q, 2 ** -8]])).toBe(1);
    expect(evalExpr(new Add(p, q), [[p, 1], [q, 3 * 2 ** -8]])).toBe(1 + 2 ** -6);
  });

  test("float floordiv/floormod and truncmod (fmod)", () => {
    const a = v("a", float32), b = v("b", float32);
    expect(evalExpr(new FloorDiv(a, b), [[a, -7.5], [b, 2]])).toBe(-4);
    expect(evalExpr(new FloorMod(a, b), [[a, -7.5], [b, 2]])).toBe(0.5);
    expect(evalExpr(new Mod(a, b), [[a, -7.5], [b, 2]])).toBe(-1.5);
    expect(evalExpr(new Div(a, b), [[a, 1], [b, 0]])).toBe(Infinity);
  });
});

describe("comparisons, logic, select", () => {
  const x = v("x"), y = v("y");
  test("comparisons give bool", () => {
    const cmp = [EQ, NE, LT, LE, GT, GE].map((C) => evalExpr(new C(x, y), [[x, 2], [y, 3]]));
    expect(cmp).toEqual([0, 1, 1, 1, 0, 0]);
  });

  test("and/or/not", () => {
    const p = new LT(x, y), q = new EQ(x, i32(2));
    expect(evalExpr(new And(p, q), [[x, 2], [y, 3]])).toBe(1);
    expect(evalExpr(new And(p, new Not(q)), [[x, 2], [y, 3]])).toBe(0);
    expect(evalExpr(new Or(p, q), [[x, 5], [y, 3]])).toBe(0);
    expect(evalExpr(new Or(new Not(p), q), [[x, 5], [y, 3]])).toBe(1);
  });

  test("&& short-circuits a guarded load", () => {
    const A = buf("A", int32, [4]);
    const i = v("i");
    const out = buf("out", bool, [1]);
    const f = primFunc([A, i, out], new BufferStore(out, new And(new LT(i, i32(4)), new GT(new BufferLoad(A, [i]), i32(0))), [i32(0)]));
    const o = emptyArray([1], bool);
    runPrimFunc(f, [fromArray([1, 2, 3, 4], [4], int32), 9, o]);
    expect(toArray(o)).toEqual([0]);
  });

  test("Select evaluates both sides; if_then_else only the taken one", () => {
    const A = buf("A", int32, [4]);
    const i = v("i");
    const out = buf("out", int32, [1]);
    const guard = new LT(i, i32(4));
    const load = new BufferLoad(A, [i]);
    const viaIf = primFunc([A, i, out], new BufferStore(out, call(int32, "tir.if_then_else", guard, load, i32(-1)), [i32(0)]));
    const viaSelect = primFunc([A, i, out], new BufferStore(out, new Select(guard, load, i32(-1)), [i32(0)]));
    const a = fromArray([5, 6, 7, 8], [4], int32);
    const o = emptyArray([1], int32);
    runPrimFunc(viaIf, [a, 9, o]);
    expect(toArray(o)).toEqual([-1]);
    runPrimFunc(viaIf, [a, 2, o]);
    expect(toArray(o)).toEqual([7]);
    runPrimFunc(viaSelect, [a, 1, o]);
    expect(toArray(o)).toEqual([6]);
    expect(() => runPrimFunc(viaSelect, [a, 9, o])).toThrow(/out-of-bounds load from buffer A.*indices \[9\].*shape \[4\]/);
  });

  test("Let binds a value for its body", () => {
    const x2 = v("x2");
    const e = new Let(x2, new Add(x, i32(1)), new Mul(x2, x2));
    expect(evalExpr(e, [[x, 4]])).toBe(25);
  });
});

describe("casts", () => {
  const castOf = (to: string, from: DataType, value: number): number => {
    const p = v("p", from);
    return evalExpr(new Cast(DataType.parse(to), p), [[p, value]]) as number;
  };
  test("float -> int truncates toward zero and wraps", () => {
    expect(castOf("int32", float32, -3.7)).toBe(-3);
    expect(castOf("int32", float32, 3.7)).toBe(3);
    expect(castOf("int8", float32, 300.5)).toBe(44);
    expect(castOf("uint8", float64, -1)).toBe(255);
    expect(castOf("int32", float32, NaN)).toBe(0);
  });
  test("int -> int wraps; int -> float rounds to the target", () => {
    expect(castOf("int8", int32, 300)).toBe(44);
    expect(castOf("uint8", int32, -1)).toBe(255);
    expect(castOf("int32", uint32, 4294967295)).toBe(-1);
    expect(castOf("float32", int32, 16777217)).toBe(16777216);
    expect(castOf("float16", int32, 2049)).toBe(2048);
    expect(castOf("float32", uint32, 4294967295)).toBe(4294967296);
    expect(castOf("int64", int32, -5)).toBe(-5);
  });
  test("float -> float and anything -> bool", () => {
    expect(castOf("float32", float64, 0.1)).toBe(Math.fround(0.1));
    expect(castOf("float16", float32, 65519)).toBe(65504);
    expect(castOf("bfloat16", float32, 3.14159)).toBe(3.140625);
    expect(castOf("bool", int32, 2)).toBe(1);
    expect(castOf("bool", int32, 0)).toBe(0);
    expect(castOf("bool", float32, 0.5)).toBe(1);
    expect(castOf("int32", bool, 1)).toBe(1);
  });
});

describe("vectors", () => {
  const x = v("x");
  test("Ramp, Broadcast and Shuffle", () => {
    expect(evalExpr(new Ramp(x, i32(3), 4), [[x, 10]])).toEqual([10, 13, 16, 19]);
    expect(evalExpr(new Broadcast(x, 3), [[x, 7]])).toEqual([7, 7, 7]);
    const sh = new Shuffle([new Ramp(x, i32(1), 4), new Broadcast(i32(-1), 4)], [0, 5, 2, 7]);
    expect(evalExpr(sh, [[x, 1]])).toEqual([1, -1, 3, -1]);
  });

  test("lane-wise arithmetic, comparisons and select", () => {
    const r = new Ramp(x, i32(1), 4);
    const b = new Broadcast(i32(2), 4);
    expect(evalExpr(new Mul(r, b), [[x, 3]])).toEqual([6, 8, 10, 12]);
    expect(evalExpr(new FloorDiv(r, b), [[x, -2]])).toEqual([-1, -1, 0, 0]);
    expect(evalExpr(new LT(r, b), [[x, 0]])).toEqual([1, 1, 0, 0]);
    expect(evalExpr(new Select(new LT(r, b), r, b), [[x, 0]])).toEqual([0, 1, 2, 2]);
    expect(evalExpr(new Cast(DataType.parse("float32x4"), r), [[x, 0]])).toEqual([0, 1, 2, 3]);
    expect(() => evalExpr(new FloorDiv(b, new Ramp(x, i32(1), 4)), [[x, -1]])).toThrow(/integer division by zero/);
  });

  test("vector Let and int32 wrap per lane", () => {
    const vv = v("vv", "int32x2");
    const e = new Let(vv, new Ramp(x, i32(1), 2), new Add(vv, vv));
    expect(evalExpr(e, [[x, 2147483647]])).toEqual([-2, 0]);
  });
});

describe("intrinsics", () => {
  const a = v("a", float32), d = v("d", float64);
  const f32 = (name: string, x: number): number => evalExpr(call(float32, name, a), [[a, x]]) as number;
  const f64 = (name: string, x: number): number => evalExpr(call(float64, name, d), [[d, x]]) as number;

  test("unary math rounds to the call's dtype", () => {
    expect(f32("tir.exp", 1)).toBe(Math.fround(Math.E));
    expect(f64("tir.exp", 1)).toBe(Math.E);
    expect(f64("tir.exp2", 10)).toBe(1024);
    expect(f64("tir.exp10", 3)).toBe(1000);
    expect(f64("tir.log", Math.E)).toBe(1);
    expect(f64("tir.log2", 8)).toBe(3);
    expect(f64("tir.log10", 1000)).toBeCloseTo(3, 14);
    expect(f64("tir.log1p", 1e-20)).toBe(1e-20);
    expect(f64("tir.expm1", 1e-20)).toBe(1e-20);
    expect(f32("tir.sqrt", 2)).toBe(Math.fround(Math.SQRT2));
    expect(f64("tir.rsqrt", 4)).toBe(0.5);
    expect(f64("tir.tanh", 0.5)).toBe(Math.tanh(0.5));
    expect(f64("tir.sigmoid", 0)).toBe(0.5);
    expect(f64("tir.sigmoid", 2)).toBeCloseTo(1 / (1 + Math.exp(-2)), 15);
    expect(Math.abs(f64("tir.erf", 0.5) - 0.5204998778130465)).toBeLessThan(1e-15);
    expect(f32("tir.erf", 0.5)).toBe(Math.fround(0.5204998778130465));
    expect(f64("tir.sin", 1)).toBe(Math.sin(1));
    expect(f64("tir.atanh", 0.5)).toBe(Math.atanh(0.5));
  });

  test("rounding family: round is nearbyint (ties to even)", () => {
    expect([2.5, 3.5, -2.5, 0.5, 1.4].map((x) => f64("tir.round", x))).toEqual([2, 4, -2, 0, 1]);
    expect([2.5, -3.5].map((x) => f64("tir.nearbyint", x))).toEqual([2, -4]);
    expect(f64("tir.trunc", -2.7)).toBe(-2);
    expect(f64("tir.floor", -2.5)).toBe(-3);
    expect(f64("tir.ceil", -2.5)).toBe(-2);
    expect(f32("tir.fabs", -1.5)).toBe(1.5);
    const x = v("x");
    expect(evalExpr(call(int32, "tir.fabs", x), [[x, -7]])).toBe(7);
  });

  test("binary math", () => {
    const b = v("b", float64);
    const bin = (name: string, p: number, q: number): number => evalExpr(call(float64, name, d, b), [[d, p], [b, q]]) as number;
    expect(bin("tir.pow", 2, 10)).toBe(1024);
    expect(bin("tir.pow", 1, NaN)).toBe(1);
    expect(bin("tir.fmod", -7.5, 2)).toBe(-1.5);
    expect(bin("tir.copysign", 3, -0)).toBe(-3);
    expect(bin("tir.atan2", 1, 1)).toBe(Math.PI / 4);
    expect(bin("tir.hypot", 3, 4)).toBe(5);
    expect(bin("tir.ldexp", 3, 4)).toBe(48);
    expect(bin("tir.nextafter", 1, 2)).toBe(1 + Number.EPSILON);
    const p = v("p", float32), q = v("q", float32);
    expect(evalExpr(call(float32, "tir.nextafter", p, q), [[p, 1], [q, 2]])).toBe(1 + 2 ** -23);
    expect(evalExpr(call(float32, "tir.nextafter", p, q), [[p, 1], [q, 0]])).toBe(1 - 2 ** -24);
  });

  test("isnan / isinf / isfinite", () => {
    const t = (name: string, x: number): number => evalExpr(call(bool, name, d), [[d, x]]) as number;
    expect([NaN, 1, Infinity].map((x) => t("tir.isnan", x))).toEqual([1, 0, 0]);
    expect([NaN, 1, -Infinity].map((x) => t("tir.isinf", x))).toEqual([0, 0, 1]);
    expect([NaN, 1, Infinity].map((x) => t("tir.isfinite", x))).toEqual([0, 1, 0]);
  });

  test("bitwise ops, shifts, popcount and clz", () => {
    const x = v("x");
    const b2 = (name: string, p: number, q: number, t = int32): number => {
      const P = v("P", t), Q = v("Q", t);
      return evalExpr(call(t, name, P, Q), [[P, p], [Q, q]]) as number;
    };
    expect(b2("tir.bitwise_and", 12, 10)).toBe(8);
    expect(b2("tir.bitwise_or", 12, 10)).toBe(14);
    expect(b2("tir.bitwise_xor", 12, 10)).toBe(6);
    expect(evalExpr(call(int32, "tir.bitwise_not", x), [[x, 0]])).toBe(-1);
    const u8 = v("u8", uint8);
    expect(evalExpr(call(uint8, "tir.bitwise_not", u8), [[u8, 5]])).toBe(250);
    expect(b2("tir.shift_right", -16, 2)).toBe(-4);
    expect(b2("tir.shift_right", 0x80000000, 31, uint32)).toBe(1);
    expect(b2("tir.shift_left", 1, 7, int8)).toBe(-128);
    expect(b2("tir.shift_left", 1, 40, int64)).toBe(2 ** 40);
    expect(b2("tir.bitwise_and", 2 ** 40 + 5, 7, int64)).toBe(5);
    expect(() => b2("tir.shift_left", 1, 32)).toThrow(/shift amount 32 is outside \[0, 32\) for int32/);
    expect(evalExpr(call(int32, "tir.popcount", x), [[x, -1]])).toBe(32);
    const u = v("u", uint8);
    expect(evalExpr(call(int32, "tir.popcount", u), [[u, 255]])).toBe(8);
    expect(evalExpr(call(int32, "tir.clz", x), [[x, 1]])).toBe(31);
    expect(evalExpr(call(int32, "tir.clz", u), [[u, 1]])).toBe(7);
    const w = v("w", int64);
    expect(evalExpr(call(int32, "tir.clz", w), [[w, 1]])).toBe(63);
  });

  test("reinterpret goes through the bit pattern", () => {
    const p = v("p", float32);
    expect(evalExpr(call(int32, "tir.reinterpret", p), [[p, 1]])).toBe(1065353216);
    const x = v("x");
    expect(evalExpr(call(float32, "tir.reinterpret", x), [[x, -1082130432]])).toBe(-1);
    const h = v("h", float16);
    expect(evalExpr(call("uint16", "tir.reinterpret", h), [[h, 1]])).toBe(0x3c00);
    const vec = new Ramp(x, i32(0), 2);
    expect(evalExpr(call(int64, "tir.reinterpret", vec), [[x, 1]])).toBe(2 ** 32 + 1);
  });

  test("likely and assume", () => {
    const x = v("x");
    expect(evalExpr(call(bool, "tir.likely", new LT(x, i32(3))), [[x, 1]])).toBe(1);
    const out = buf("out", int32, [1]);
    const f = primFunc([x, out], new Evaluate(call(bool, "tir.assume", new LT(x, i32(3)))));
    expect(() => runPrimFunc(f, [1, emptyArray([1], int32)])).not.toThrow();
    expect(() => runPrimFunc(f, [5, emptyArray([1], int32)])).toThrow(/T\.assume\(.*\) does not hold/);
  });

  test("extern calls, calls to other functions and unknown ops are clear errors when reached", () => {
    const x = v("x");
    const out = buf("out", int32, [1]);
    const ext = primFunc([x, out], new Evaluate(call(int32, "tir.call_extern", new StringImm("my_kernel"), x)));
    expect(() => runPrimFunc(ext, [1, emptyArray([1], int32)])).toThrow("cannot run extern function my_kernel in the interpreter");
    const mystery = Op.tryGet("test.interp_mystery") ?? Op.register("test.interp_mystery", { numArgs: 1, category: "builtin" });
    const unk = primFunc([x, out], new BufferStore(out, new Call(int32, mystery, [x]), [i32(0)]));
    expect(() => runPrimFunc(unk, [1, emptyArray([1], int32)])).toThrow(/operator test.interp_mystery is not supported by the interpreter/);
    // Not reached: no error.
    const guarded = primFunc(
      [x, out],
      new BufferStore(out, call(int32, "tir.if_then_else", new LT(x, i32(0)), new Call(int32, mystery, [x]), x), [i32(0)]),
    );
    const o = emptyArray([1], int32);
    runPrimFunc(guarded, [4, o]);
    expect(toArray(o)).toEqual([4]);
  });

  test("T.ret returns a value from runPrimFunc", () => {
    const x = v("x");
    const f = primFunc([x], new Evaluate(call(int32, "tir.ret", new Mul(x, i32(3)))));
    expect(runPrimFunc(f, [14])).toBe(42);
  });
});

describe("undefined variables", () => {
  test("a free variable is a compile error naming it", () => {
    const out = buf("out", int32, [1]);
    const ghost = v("ghost");
    const f = primFunc([out], new BufferStore(out, new Add(ghost, new IntImm(int32, 1)), [i32(0)]));
    expect(() => runPrimFunc(f, [emptyArray([1], int32)])).toThrow(/variable ghost is used but never defined/);
  });
});

describe("random int32 expression trees agree with a BigInt reference", () => {
  type Tree = { op: "x" | "y" | "c"; c?: number } | { op: "Add" | "Sub" | "Mul" | "FloorDiv" | "FloorMod" | "Min" | "Max" | "Div" | "Mod"; a: Tree; b: Tree };
  const ctors = { Add, Sub, Mul, FloorDiv, FloorMod, Min, Max, Div, Mod } as const;
  const { tree } = fc.letrec((tie) => ({
    tree: fc.oneof(
      { depthSize: "small", withCrossShrink: true },
      fc.constantFrom<Tree>({ op: "x" }, { op: "y" }),
      fc.integer({ min: -50, max: 50 }).map((c): Tree => ({ op: "c", c })),
      fc.record({
        op: fc.constantFrom("Add", "Sub", "Mul", "FloorDiv", "FloorMod", "Min", "Max", "Div", "Mod"),
        a: tie("tree"),
        b: tie("tree"),
      }) as fc.Arbitrary<Tree>,
    ),
  }));
  const x = v("x"), y = v("y");
  const build = (t: Tree): PrimExpr => {
    if (t.op === "x") return x;
    if (t.op === "y") return y;
    if (t.op === "c") return i32(t.c!);
    const n = t as Extract<Tree, { a: Tree }>;
    return new ctors[n.op](build(n.a), build(n.b));
  };
  const wrap = (b: bigint): bigint => BigInt.asIntN(32, b);
  const ref = (t: Tree, X: bigint, Y: bigint): bigint => {
    if (t.op === "x") return X;
    if (t.op === "y") return Y;
    if (t.op === "c") return BigInt(t.c!);
    const n = t as Extract<Tree, { a: Tree }>;
    const a = ref(n.a, X, Y), b = ref(n.b, X, Y);
    switch (n.op) {
      case "Add": return wrap(a + b);
      case "Sub": return wrap(a - b);
      case "Mul": return wrap(a * b);
      case "Min": return a < b ? a : b;
      case "Max": return a > b ? a : b;
      default: {
        if (b === 0n) throw new RangeError("div0");
        const tq = a / b; // BigInt division truncates
        const tr = a % b;
        if (n.op === "Div") return wrap(tq);
        if (n.op === "Mod") return tr;
        const fr = tr !== 0n && (tr < 0n) !== (b < 0n) ? tr + b : tr;
        return n.op === "FloorMod" ? fr : wrap((a - fr) / b);
      }
    }
  };
  test("property", () => {
    fc.assert(
      fc.property(tree, fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), fc.integer({ min: -1000, max: 1000 }), (t, X, Y) => {
        let want: bigint | "div0";
        try {
          want = ref(t, BigInt(X), BigInt(Y));
        } catch {
          want = "div0";
        }
        const e = build(t);
        if (want === "div0") expect(() => evalExpr(e, [[x, X], [y, Y]])).toThrow(/integer division by zero/);
        else expect(evalExpr(e, [[x, X], [y, Y]])).toBe(Number(want));
      }),
      { numRuns: 300 },
    );
  });
});
