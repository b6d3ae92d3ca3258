import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { bfloat16, bool, float16, float32, float64, int16, int32, int64, int8, uint8, uint32, uint64, handle } from "../../src/ir/dtype.js";
import { Buffer } from "../../src/ir/buffer.js";
import {
  Add, And, Broadcast, BufferLoad, Call, Cast, Div, EQ, FloatImm, FloorDiv, FloorMod, GE, GT, IntImm, LE, LT, Let, Max, Min,
  Mod, Mul, NE, Not, Or, Ramp, Select, Shuffle, SizeVar, StringImm, Sub, Var, type PrimExpr,
} from "../../src/ir/expr.js";
import * as E from "../../src/ir/expr_ops.js";
import { Op } from "../../src/ir/op_registry.js";
import { structuralEqual } from "../../src/ir/structural.js";
import { PrimFunc } from "../../src/tir/function.js";
import { BufferStore, Evaluate, type Stmt } from "../../src/tir/stmt.js";
import { parseScript, printScript } from "../../src/tir/script/index.js";
import { formatFloat } from "../../src/tir/script/printer/literal.js";
import { buf, c } from "./printer_helpers.js";

const p = (e: PrimExpr) => printScript(e);
const x = new Var("x"), y = new Var("y"), z = new Var("z"), w = new Var("w");
const fa = new Var("a", float32), fb = new Var("b", float32), fc32 = new Var("c", float32);
const P = new Var("p", bool), Q = new Var("q", bool), Rv = new Var("r", bool);

/** [value, what TVM prints inside T.float64(...)], the right column computed with C's printf by Python. */
const FLOAT_TABLE: Array<[number, string]> = [
  [0.5, "0.5"],
  [0.1, "0.10000000000000001"],
  [0.3333333333333333, "0.33333333333333331"],
  [2.5e-05, "2.5000000000000001e-05"],
  [0.0001, "0.0001"],
  [0.0001234, "0.00012339999999999999"],
  [1.5e+300, "1500000000000000078757140382806630373056702871662238732373781173267703686983362293679557062620671796065556665749325817265413784853040645863467188277180060474272580801389863705606745350692182135089053429852456199917621678558451461320111979114170213741868888183230085264257173504208294580298189100810240.0"],
  [5e-324, "4.9406564584124654e-324"],
  [123456.789, "123456.789"],
  [-2.75, "-2.75"],
  [1.0000000000000002e+16, "10000000000000002.0"],
  [3.4028234663852886e+38, "340282346638528859811704183484516925440.0"],
  [-3.4028234663852886e+38, "-340282346638528859811704183484516925440.0"],
  [65504.0, "65504.0"],
  [1e+21, "1000000000000000000000.0"],
  [1e+22, "10000000000000000000000.0"],
  [0.03, "0.029999999999999999"],
  [1e-05, "1.0000000000000001e-05"],
  [-0.0, "-0.0"],
  [7.0, "7.0"],
  [1e-300, "1e-300"],
  [9.999999999999999e-05, "9.9999999999999991e-05"],
  [8.957307212181266e-11, "8.9573072121812656e-11"],
  [3.0186894607970752e-06, "3.0186894607970752e-06"],
  [6.425485839826166e-27, "6.4254858398261664e-27"],
  [-2.686221661748289e-25, "-2.6862216617482891e-25"],
  [8.194081262862046e-28, "8.1940812628620461e-28"],
  [-9.250086831160304e-18, "-9.2500868311603038e-18"],
  [-0.00016365569725848106, "-0.00016365569725848106"],
  [-8.185739733122699e-16, "-8.1857397331226994e-16"],
  [-0.0008817789878420217, "-0.00088177898784202167"],
  [-752396.0777007089, "-752396.07770070888"],
  [2.6125183146347418e-17, "2.6125183146347418e-17"],
  [8954178.849140113, "8954178.8491401132"],
  [171082.84528077356, "171082.84528077356"],
  [9.525102111858402e-28, "9.5251021118584021e-28"],
  [1.1332979587418523e-29, "1.1332979587418523e-29"],
  [-4.2078142733664747e-23, "-4.2078142733664747e-23"],
  [8.137177106428494e-23, "8.1371771064284942e-23"],
  [-383036.3517961313, "-383036.35179613129"],
  [3.6400538952240915e+21, "3640053895224091475968.0"],
  [1.632003273249325e-25, "1.6320032732493249e-25"],
  [-6242579464.25713, "-6242579464.2571297"],
  [9.548893141911562e-26, "9.5488931419115624e-26"],
  [1.2873658626677332e-27, "1.2873658626677332e-27"],
  [-588082574.361347, "-588082574.36134696"],
  [634404931603.7137, "634404931603.71375"],
  [55.44575500488281, "55.445755004882812"],
  [-6.879626750946045, "-6.8796267509460449"],
  [84.68827819824219, "84.688278198242188"],
  [-27.683528900146484, "-27.683528900146484"],
  [-50.31468200683594, "-50.314682006835938"],
  [-64.0466537475586, "-64.046653747558594"],
  [55.96592712402344, "55.965927124023438"],
  [-83.62899780273438, "-83.628997802734375"],
  // float32 values whose 18th digit is an exact 5: printf rounds these ties to even
  [-472.9358215332031, "-472.93582153320312"],
  [-227.61410522460938, "-227.61410522460938"],
  [-169.57931518554688, "-169.57931518554688"],
  [-402.7273864746094, "-402.72738647460938"],
  [-261.6920471191406, "-261.69204711914062"],
  [300.4647521972656, "300.46475219726562"],
  [293.8272399902344, "293.82723999023438"],
  [-169.45791625976562, "-169.45791625976562"],
  [357.0876770019531, "357.08767700195312"],
  [440.9547424316406, "440.95474243164062"],
  [-368.1050109863281, "-368.10501098632812"],
  [67.13145446777344, "67.131454467773438"],
];

describe("printScript: literals", () => {
  it("prints int32 bare and other integer types wrapped", () => {
    expect(p(c(128))).toBe("128");
    expect(p(c(-1))).toBe("-1");
    expect(p(c(0, int64))).toBe("T.int64(0)");
    expect(p(c(-7, int64))).toBe("T.int64(-7)");
    expect(p(c(1, int8))).toBe("T.int8(1)");
    expect(p(c(255, uint8))).toBe("T.uint8(255)");
    expect(p(c(3, int16))).toBe("T.int16(3)");
    expect(p(c(7, uint32))).toBe("T.uint32(7)");
    expect(p(c(9, uint64))).toBe("T.uint64(9)");
    expect(p(c(1, bool))).toBe("T.bool(True)");
    expect(p(c(0, bool))).toBe("T.bool(False)");
  });

  it("always wraps floats in their dtype, integral values with one decimal", () => {
    expect(p(E.constant(0, float32))).toBe("T.float32(0.0)");
    expect(p(E.constant(2, float32))).toBe("T.float32(2.0)");
    expect(p(E.constant(0.5, float32))).toBe("T.float32(0.5)");
    expect(p(E.constant(1, float16))).toBe("T.float16(1.0)");
    expect(p(E.constant(1, bfloat16))).toBe("T.bfloat16(1.0)");
    expect(p(new FloatImm(float64, 0.03))).toBe("T.float64(0.029999999999999999)");
    expect(p(new FloatImm(float64, 1e-5))).toBe("T.float64(1.0000000000000001e-05)");
    expect(p(E.minValue(float32))).toBe("T.float32(-340282346638528859811704183484516925440.0)");
    expect(p(new FloatImm(float32, Infinity))).toBe('T.float32("inf")');
    expect(p(new FloatImm(float32, -Infinity))).toBe('T.float32("-inf")');
    expect(p(new FloatImm(float32, NaN))).toBe('T.float32("nan")');
    expect(p(new FloatImm(float64, -0))).toBe("T.float64(-0.0)");
  });

  it("formats floats digit for digit like C's printf (%.1f integral, %.17g otherwise)", () => {
    for (const [v, text] of FLOAT_TABLE) expect(formatFloat(v), String(v)).toBe(text);
  });

  it("prints floats that read back to the same double", () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (v) => {
        expect(Number(formatFloat(v))).toBe(v);
      }),
    );
  });

  it("quotes and escapes strings", () => {
    expect(p(new StringImm('say "hi"\n\\ \x01'))).toBe('"say \\"hi\\"\\n\\\\ \\x01"');
  });
});

describe("printScript: expression kinds", () => {
  const A = buf("A", [16, 16]);
  const Z = buf("Z", []);
  const V = buf("V", [64]);

  it("prints infix arithmetic, comparisons and logic", () => {
    expect(p(new Add(x, y))).toBe("x + y");
    expect(p(new Sub(x, y))).toBe("x - y");
    expect(p(new Mul(x, y))).toBe("x * y");
    expect(p(new FloorDiv(x, y))).toBe("x // y");
    expect(p(new FloorMod(x, y))).toBe("x % y");
    expect(p(new LT(x, y))).toBe("x < y");
    expect(p(new LE(x, y))).toBe("x <= y");
    expect(p(new GT(x, y))).toBe("x > y");
    expect(p(new GE(x, y))).toBe("x >= y");
    expect(p(new EQ(x, y))).toBe("x == y");
    expect(p(new NE(x, y))).toBe("x != y");
    expect(p(new And(P, Q))).toBe("p and q");
    expect(p(new Or(P, Q))).toBe("p or q");
    expect(p(new Not(P))).toBe("not p");
  });

  it("prints division, truncmod, min and max as TVM does", () => {
    expect(p(new Div(fa, fb))).toBe("a / b");
    expect(p(new Div(x, y))).toBe("T.Div(x, y)");
    expect(p(new Mod(x, y))).toBe("T.truncmod(x, y)");
    expect(p(new Min(x, y))).toBe("T.min(x, y)");
    expect(p(new Max(fa, fb))).toBe("T.max(a, b)");
  });

  it("prints T.<Op>(a, b) where the infix form would fold to something else", () => {
    expect(p(new Add(c(1), c(2)))).toBe("T.Add(1, 2)");
    expect(p(new Sub(x, c(0)))).toBe("T.Sub(x, 0)");
    expect(p(new Mul(x, c(1)))).toBe("T.Mul(x, 1)");
    expect(p(new Mul(c(0), x))).toBe("T.Mul(0, x)");
    expect(p(new FloorDiv(x, c(1)))).toBe("T.FloorDiv(x, 1)");
    expect(p(new FloorDiv(x, c(0)))).toBe("T.FloorDiv(x, 0)");
    expect(p(new FloorMod(c(4), c(3)))).toBe("T.FloorMod(4, 3)");
    expect(p(new LT(c(1), c(2)))).toBe("T.LT(1, 2)");
    expect(p(new And(P, c(1, bool)))).toBe("T.And(p, T.bool(True))");
    expect(p(new Or(c(0, bool), Q))).toBe("T.Or(T.bool(False), q)");
    expect(p(new Div(fa, E.constant(1, float32)))).toBe("T.Div(a, T.float32(1.0))");
    expect(p(new Add(fa, E.constant(1, float32)))).toBe("a + T.float32(1.0)");
  });

  it("prints vars, casts, select, ramp, broadcast, shuffle and let", () => {
    expect(p(new SizeVar("n"))).toBe("n");
    expect(p(new Cast(float16, fa))).toBe('T.Cast("float16", a)');
    expect(p(new Select(P, x, y))).toBe("T.Select(p, x, y)");
    expect(p(new Ramp(x, c(2), 4))).toBe("T.Ramp(x, 2, 4)");
    expect(p(new Broadcast(fa, 8))).toBe("T.Broadcast(a, 8)");
    expect(p(new Shuffle([new Ramp(x, c(1), 4), new Ramp(y, c(1), 4)], [0, 5, 2, 7]))).toBe(
      "T.Shuffle([T.Ramp(x, 1, 4), T.Ramp(y, 1, 4)], [0, 5, 2, 7])",
    );
    const t = new Var("t");
    expect(p(new Let(t, new Add(x, c(1)), new Mul(t, t)))).toBe("T.Let(t * t, where={t: x + 1})");
  });

  it("prints intrinsic calls by their script name, with the dtype first where TVM puts it", () => {
    expect(p(E.exp(fa))).toBe("T.exp(a)");
    expect(p(E.sqrt(new Add(fa, fb)))).toBe("T.sqrt(a + b)");
    expect(p(E.ifThenElse(P, x, y))).toBe("T.if_then_else(p, x, y)");
    expect(p(E.reinterpret(int32, fa))).toBe('T.reinterpret("int32", a)');
    expect(p(new Call(float32, Op.get("tir.call_extern"), [new StringImm("expf"), fa]))).toBe('T.call_extern("float32", "expf", a)');
    expect(p(new Call(float32, Op.get("tir.call_pure_extern"), [new StringImm("f"), fa, fb]))).toBe(
      'T.call_pure_extern("float32", "f", a, b)',
    );
    expect(p(new Call(handle, Op.get("tir.address_of"), [new BufferLoad(A, [x, y])]))).toBe("T.address_of(A[x, y])");
  });

  it("prints buffer loads: points, 0-d, ramps as slices, predicated vector loads", () => {
    expect(p(new BufferLoad(A, [x, new Add(y, c(1))]))).toBe("A[x, y + 1]");
    expect(p(new BufferLoad(Z, []))).toBe("Z[()]");
    expect(p(new BufferLoad(V, [new Ramp(c(0), c(1), 4)]))).toBe("V[0:4]");
    expect(p(new BufferLoad(V, [new Ramp(new Mul(x, c(4)), c(1), 4)]))).toBe("V[x * 4:x * 4 + 4]");
    expect(p(new BufferLoad(V, [new Ramp(x, c(2), 4)]))).toBe("V[x:x + 8:2]");
    expect(p(new BufferLoad(V, [new Ramp(x, y, 4)]))).toBe("V[T.Ramp(x, y, 4)]");
    const mask = new Broadcast(c(1, bool), 4);
    expect(p(new BufferLoad(V, [new Ramp(c(0), c(1), 4)], mask))).toBe("V.vload([T.Ramp(0, 1, 4)], predicate=T.Broadcast(T.bool(True), 4))");
  });
});

describe("printScript: precedence", () => {
  it("adds exactly the parentheses Python needs", () => {
    expect(p(new Mul(new Add(x, y), z))).toBe("(x + y) * z");
    expect(p(new Mul(x, new Add(y, z)))).toBe("x * (y + z)");
    expect(p(new Sub(new Sub(x, y), z))).toBe("x - y - z");
    expect(p(new Sub(x, new Sub(y, z)))).toBe("x - (y - z)");
    expect(p(new Sub(x, new Add(y, z)))).toBe("x - (y + z)");
    expect(p(new Mul(new FloorDiv(x, y), z))).toBe("x // y * z");
    expect(p(new FloorDiv(x, new Mul(y, z)))).toBe("x // (y * z)");
    expect(p(new FloorMod(new Add(x, y), z))).toBe("(x + y) % z");
    expect(p(new LT(new Add(x, y), z))).toBe("x + y < z");
    expect(p(new Div(new Add(fa, fb), fc32))).toBe("(a + b) / c");
    expect(p(new Mul(x, c(-1)))).toBe("x * -1");
    expect(p(new Add(new Mul(x, y), new Mul(z, w)))).toBe("x * y + z * w");
    expect(p(new Max(new Add(x, y), z))).toBe("T.max(x + y, z)");
  });

  it("parenthesizes logic by Python's and/or/not precedence", () => {
    expect(p(new Not(new And(P, Q)))).toBe("not (p and q)");
    expect(p(new And(new Not(P), Q))).toBe("not p and q");
    expect(p(new And(new Or(P, Q), Rv))).toBe("(p or q) and r");
    expect(p(new Or(new And(P, Q), Rv))).toBe("p and q or r");
    expect(p(new And(P, new Or(Q, Rv)))).toBe("p and (q or r)");
    expect(p(new Not(new LT(x, y)))).toBe("not x < y");
    expect(p(new And(new LT(x, y), new GE(y, z)))).toBe("x < y and y >= z");
  });

  it("never lets comparisons chain", () => {
    expect(p(new EQ(new LT(x, y), new LT(z, w)))).toBe("(x < y) == (z < w)");
    expect(p(new NE(P, new EQ(x, y)))).toBe("p != (x == y)");
  });
});

/**
 * `main(x, y, p, a, V)` around `body`, printed, parsed back and compared; returns the text.
 * The nodes below are ones the parser would fold or reject if printed the naive way.
 */
function readsBack(body: (V: Buffer) => Stmt): string {
  const V = buf("V", [64]);
  const hv = new Var("V", handle);
  const f = new PrimFunc([x, y, P, fa, hv], body(V), new Map([[hv, V]]), { global_symbol: "main" });
  const text = printScript(f);
  const back = parseScript(text, "printed.py").functionList[0]!;
  expect(structuralEqual(f, back, { mapFreeVars: true }), text).toBe(true);
  expect(printScript(back)).toBe(text);
  return text;
}
const evaluates = (e: PrimExpr) => (): Stmt => new Evaluate(e);

describe("printScript: nodes that the folding spellings would change", () => {
  it("prints Min / Max / Mod with the constructors T.Min / T.Max / T.Mod where the helpers would fold", () => {
    expect(p(new Min(c(0), c(0)))).toBe("T.Min(0, 0)");
    expect(p(new Max(c(1), c(2)))).toBe("T.Max(1, 2)");
    expect(p(new Max(E.constant(1, float32), fa))).toBe("T.max(T.float32(1.0), a)");
    expect(p(new Min(E.constant(1, float32), E.constant(2, float32)))).toBe("T.Min(T.float32(1.0), T.float32(2.0))");
    expect(p(new Mod(x, c(1)))).toBe("T.Mod(x, 1)");
    expect(p(new Mod(x, c(0)))).toBe("T.Mod(x, 0)");
    expect(p(new Mod(c(7), c(3)))).toBe("T.Mod(7, 3)");
    expect(p(new Mod(x, c(3)))).toBe("T.truncmod(x, 3)");
    for (const e of [new Min(c(0), c(0)), new Max(c(-1), x), new Mod(x, c(1)), new Mod(x, c(0)), new Mod(c(7), c(3))]) {
      expect(readsBack(evaluates(e))).toContain(p(e));
    }
  });

  it("prints a float Div as T.Div when `/` would give back another node, even one that is itself a Div", () => {
    const zero = E.constant(0, float32), one = E.constant(1, float32);
    const inner = new Div(zero, zero); // E.div leaves x / 0.0 alone
    expect(p(inner)).toBe("T.float32(0.0) / T.float32(0.0)");
    expect(p(new Div(inner, one))).toBe("T.Div(T.float32(0.0) / T.float32(0.0), T.float32(1.0))");
    expect(p(new Div(new Div(fa, fb), one))).toBe("T.Div(a / b, T.float32(1.0))");
    expect(readsBack(evaluates(new Div(inner, one)))).toContain("T.evaluate(T.Div(T.float32(0.0) / T.float32(0.0), T.float32(1.0)))");
  });

  it("prints Not of a constant as T.Not", () => {
    expect(p(new Not(c(1, bool)))).toBe("T.Not(T.bool(True))");
    expect(p(new Not(new Not(c(0, bool))))).toBe("not T.Not(T.bool(False))");
    expect(p(new And(P, new Not(c(0, bool))))).toBe("p and T.Not(T.bool(False))");
    expect(p(new Not(P))).toBe("not p");
    expect(readsBack(evaluates(new Not(c(1, bool))))).toContain("T.evaluate(T.Not(T.bool(True)))");
  });

  it("prints a ramp index of a predicated load / store as T.Ramp, since a slice is not valid inside a list", () => {
    const mask = new LT(new Ramp(c(0), c(1), 4), new Broadcast(y, 4));
    const idx = new Ramp(x, c(2), 4);
    const V = buf("V", [64]);
    expect(p(new BufferLoad(V, [idx], mask))).toBe("V.vload([T.Ramp(x, 2, 4)], predicate=T.Ramp(0, 1, 4) < T.Broadcast(y, 4))");
    const text = readsBack((V) => new BufferStore(V, new BufferLoad(V, [new Ramp(c(0), c(1), 4)], mask), [idx], mask));
    expect(text).toContain(
      "V.vstore([T.Ramp(x, 2, 4)], V.vload([T.Ramp(0, 1, 4)], predicate=T.Ramp(0, 1, 4) < T.Broadcast(y, 4)), predicate=T.Ramp(0, 1, 4) < T.Broadcast(y, 4))",
    );
  });

  it("prints a stride-0 ramp index as T.Ramp, not as an empty slice", () => {
    const V = buf("V", [64]);
    expect(p(new BufferLoad(V, [new Ramp(x, c(0), 4)]))).toBe("V[T.Ramp(x, 0, 4)]");
    expect(p(new BufferLoad(V, [new Ramp(x, c(-1), 4)]))).toBe("V[x:x + -4:-1]");
    const text = readsBack((V) => new BufferStore(V, new BufferLoad(V, [new Ramp(c(3), c(0), 4)]), [new Ramp(x, c(0), 4)]));
    expect(text).toContain("V[T.Ramp(x, 0, 4)] = V[T.Ramp(3, 0, 4)]");
  });

  it("prints arithmetic on two int32 literals with the constructors even when the builders would not fold it", () => {
    const MIN = c(-2147483648), MAX = c(2147483647);
    expect(p(new FloorDiv(MIN, c(-1)))).toBe("T.FloorDiv(-2147483648, -1)");
    expect(p(new Sub(MIN, c(1)))).toBe("T.Sub(-2147483648, 1)");
    expect(p(new Add(MAX, c(1)))).toBe("T.Add(2147483647, 1)");
    expect(p(new Mul(c(65536), c(65536)))).toBe("T.Mul(65536, 65536)");
    expect(p(new Add(x, MAX))).toBe("x + 2147483647");
    const V = buf("V", [64]);
    expect(p(new BufferLoad(V, [new Ramp(MAX, c(1), 4)]))).toBe("V[2147483647:T.Add(2147483647, 4)]");
    for (const e of [new FloorDiv(MIN, c(-1)), new Sub(MIN, c(1)), new Mul(c(65536), c(65536)), new Add(new Add(MAX, c(1)), x)]) {
      expect(readsBack(evaluates(e))).toContain(p(e));
    }
    const text = readsBack((V) => new BufferStore(V, new Broadcast(fa, 4), [new Ramp(MAX, c(1), 4)]));
    expect(text).toContain("V[2147483647:T.Add(2147483647, 4)] = T.Broadcast(a, 4)");
  });
});
