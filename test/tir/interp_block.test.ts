import { describe, expect, test } from "vitest";
import { float32, float64, int32 } from "../../src/ir/dtype.js";
import {
  Add, BufferLoad, Call, Div, FloatImm, FloorDiv, FloorMod, LT, Max, Mul, Sub, SizeVar, type PrimExpr,
} from "../../src/ir/expr.js";
import { Buffer, BufferRegion } from "../../src/ir/buffer.js";
import { Range } from "../../src/ir/expr.js";
import { Op } from "../../src/ir/op_registry.js";
import { IRModule } from "../../src/ir/module.js";
import { BufferStore, MatchBufferRegion, SeqStmt } from "../../src/tir/stmt.js";
import {
  InterpreterError, Rng, compilePrimFunc, emptyArray, fromArray, interpret, randomArray, runPrimFunc, toArray, toNested,
} from "../../src/tir/interp/index.js";
import { buf, i32, loops, naiveMatmul, primFunc, realize, v } from "./interp_fixtures.js";

const f32 = (x: number): FloatImm => new FloatImm(float32, x);

/** C[i, j] += A[i, k] * B[k, j] with an init block, as TE's matmul lowers. */
function matmul(n: number, m: number, k: number) {
  const A = buf("A", float32, [n, k]), B = buf("B", float32, [k, m]), C = buf("C", float32, [n, m]);
  const i = v("i"), j = v("j"), r = v("k");
  const vi = v("vi"), vj = v("vj"), vk = v("vk");
  const body = new BufferStore(C, new Add(new BufferLoad(C, [vi, vj]), new Mul(new BufferLoad(A, [vi, vk]), new BufferLoad(B, [vk, vj]))), [vi, vj]);
  const blk = realize(
    "C",
    [{ v: vi, ext: n, bind: i }, { v: vj, ext: m, bind: j }, { v: vk, ext: k, kind: "R", bind: r }],
    body,
    { init: new BufferStore(C, f32(0), [vi, vj]) },
  );
  return primFunc([A, B, C], loops([[i, n], [j, m], [r, k]], blk));
}

describe("blocks", () => {
  test("matmul with a reduction block matches a naive JS loop", () => {
    const [n, m, k] = [16, 24, 32];
    const rng = new Rng(11);
    const a = randomArray([n, k], float32, rng), b = randomArray([k, m], float32, rng);
    const c = fromArray(new Array(n * m).fill(123), [n, m]);
    runPrimFunc(matmul(n, m, k), [a, b, c]);
    const want = naiveMatmul(a, b, n, m, k);
    const got = toArray(c);
    // Same accumulation order and float32 rounding: identical bits.
    expect(got).toEqual(want);
    // And close to the float64 result.
    const A = toArray(a), B = toArray(b);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < m; j++) {
        let s = 0;
        for (let q = 0; q < k; q++) s += A[i * k + q]! * B[q * m + j]!;
        expect(Math.abs(got[i * m + j]! - s)).toBeLessThan(1e-5);
      }
    }
  });

  test("128x128x128 matmul runs (compiled once and cached)", () => {
    const f = matmul(128, 128, 128);
    const rng = new Rng(2);
    const a = randomArray([128, 128], float32, rng), b = randomArray([128, 128], float32, rng), c = emptyArray([128, 128]);
    runPrimFunc(f, [a, b, c]);
    expect(compilePrimFunc(f)).toBe(compilePrimFunc(f));
    const want = naiveMatmul(a, b, 128, 128, 128);
    expect(toArray(c)).toEqual(want);
  });

  test("init runs exactly when every reduction iter var is at its domain min", () => {
    // out[i] = sum over r in [2, 5) of (i + r), with the reduction domain starting at 2.
    const out = buf("out", int32, [3]);
    const i = v("i"), r = v("r"), vi = v("vi"), vr = v("vr");
    const blk = realize(
      "sum",
      [{ v: vi, ext: 3, bind: i }, { v: vr, min: 2, ext: 3, kind: "R", bind: new Add(r, i32(2)) }],
      new BufferStore(out, new Add(new BufferLoad(out, [vi]), new Add(vi, vr)), [vi]),
      { init: new BufferStore(out, i32(100), [vi]) },
    );
    const o = fromArray([-1, -1, -1], [3], int32);
    runPrimFunc(primFunc([out], loops([[i, 3], [r, 3]], blk)), [o]);
    expect(toArray(o)).toEqual([109, 112, 115]);
  });

  test("softmax in four blocks matches naive JS within 1e-5", () => {
    const [rows, cols] = [6, 37];
    const A = buf("A", float32, [rows, cols]), B = buf("B", float32, [rows, cols]);
    const mx = buf("maxelem", float32, [rows]), ex = buf("expv", float32, [rows, cols]), sm = buf("expsum", float32, [rows]);
    const i = v("i"), j = v("j");
    const vi = v("vi"), vj = v("vj");
    const exp = (x: PrimExpr) => new Call(float32, Op.get("tir.exp"), [x]);
    const s = (C: Buffer, ...ix: PrimExpr[]) => new BufferLoad(C, ix);
    const b1 = realize("maxelem", [{ v: vi, ext: rows, bind: i }, { v: vj, ext: cols, kind: "R", bind: j }],
      new BufferStore(mx, new Max(s(mx, vi), s(A, vi, vj)), [vi]), { init: new BufferStore(mx, f32(-3.4028234663852886e38), [vi]) });
    const b2 = realize("exp", [{ v: vi, ext: rows, bind: i }, { v: vj, ext: cols, bind: j }],
      new BufferStore(ex, exp(new Sub(s(A, vi, vj), s(mx, vi))), [vi, vj]));
    const b3 = realize("expsum", [{ v: vi, ext: rows, bind: i }, { v: vj, ext: cols, kind: "R", bind: j }],
      new BufferStore(sm, new Add(s(sm, vi), s(ex, vi, vj)), [vi]), { init: new BufferStore(sm, f32(0), [vi]) });
    const b4 = realize("norm", [{ v: vi, ext: rows, bind: i }, { v: vj, ext: cols, bind: j }],
      new BufferStore(B, new Div(s(ex, vi, vj), s(sm, vi)), [vi, vj]));
    const nest = (blk: ReturnType<typeof realize>) => loops([[i, rows], [j, cols]], blk);
    const f = primFunc([A, B], SeqStmt.flatten([nest(b1), nest(b2), nest(b3), nest(b4)]), [mx, ex, sm]);
    const a = randomArray([rows, cols], float32, new Rng(5));
    const b = emptyArray([rows, cols]);
    runPrimFunc(f, [a, b]);
    const av = toArray(a), bv = toArray(b);
    for (let r = 0; r < rows; r++) {
      const row = av.slice(r * cols, (r + 1) * cols);
      const m = Math.max(...row);
      const e = row.map((x) => Math.exp(x - m));
      const tot = e.reduce((p, q) => p + q, 0);
      for (let c = 0; c < cols; c++) expect(Math.abs(bv[r * cols + c]! - e[c]! / tot)).toBeLessThan(1e-5);
    }
  });

  test("a false predicate skips the block (split of 10 into 4 x 3)", () => {
    const out = buf("out", int32, [10]);
    const io = v("io"), ii = v("ii"), vi = v("vi");
    const idx = new Add(new Mul(io, i32(3)), ii);
    const blk = realize("b", [{ v: vi, ext: 10, bind: idx }], new BufferStore(out, new Add(vi, i32(1)), [vi]), {}, new LT(idx, i32(10)));
    const o = emptyArray([10], int32);
    runPrimFunc(primFunc([out], loops([[io, 4], [ii, 3]], blk)), [o]);
    expect(toArray(o)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  });

  test("an iter value outside the domain is an error naming the block", () => {
    const out = buf("out", int32, [10]);
    const io = v("io"), ii = v("ii"), vi = v("vi");
    const idx = new Add(new Mul(io, i32(3)), ii);
    const blk = realize("b", [{ v: vi, ext: 10, bind: idx }], new BufferStore(out, vi, [vi]));
    expect(() => runPrimFunc(primFunc([out], loops([[io, 4], [ii, 3]], blk)), [emptyArray([10], int32)])).toThrow(
      /iter var vi = 10 is outside its domain \[0, 10\) \(bound to .*\) in block "b" of function main/,
    );
  });

  test("alloc_buffers live for the block and start as NaN", () => {
    // Each row gets its own scratch buffer: tmp = 2 * A[i, :], out[i] = sum(tmp).
    const A = buf("A", float32, [3, 4]), out = buf("out", float32, [3]);
    const tmp = buf("tmp", float32, [4]);
    const i = v("i"), j = v("j"), vi = v("vi"), vj = v("vj"), wj = v("wj");
    const inner1 = realize("scale", [{ v: vj, ext: 4, bind: j }], new BufferStore(tmp, new Mul(new BufferLoad(A, [vi, vj]), f32(2)), [vj]));
    const inner2 = realize("acc", [{ v: wj, ext: 4, kind: "R", bind: j }],
      new BufferStore(out, new Add(new BufferLoad(out, [vi]), new BufferLoad(tmp, [wj])), [vi]), { init: new BufferStore(out, f32(0), [vi]) });
    const row = realize("row", [{ v: vi, ext: 3, bind: i }], SeqStmt.flatten([loops([[j, 4]], inner1), loops([[j, 4]], inner2)]), { allocBuffers: [tmp] });
    const o = emptyArray([3]);
    runPrimFunc(primFunc([A, out], loops([[i, 3]], row)), [fromArray([[1, 2, 3, 4], [5, 6, 7, 8], [0, 0, 0, 1]]), o]);
    expect(toArray(o)).toEqual([20, 52, 2]);

    // Reading the scratch buffer without writing it yields NaN.
    const lazy = realize("row", [{ v: vi, ext: 3, bind: i }], new BufferStore(out, new BufferLoad(tmp, [i32(0)]), [vi]), { allocBuffers: [tmp] });
    runPrimFunc(primFunc([A, out], loops([[i, 3]], lazy)), [emptyArray([3, 4]), o]);
    expect(toArray(o).every(Number.isNaN)).toBe(true);
  });

  test("a block's alloc_buffer is not visible outside the block", () => {
    const out = buf("out", float32, [1]);
    const tmp = buf("tmp", float32, [1]);
    const inner = realize("inner", [], new BufferStore(tmp, f32(1), [i32(0)]), { allocBuffers: [tmp] });
    const f = primFunc([out], SeqStmt.flatten([inner, new BufferStore(out, new BufferLoad(tmp, [i32(0)]), [i32(0)])]));
    expect(() => runPrimFunc(f, [emptyArray([1])])).toThrow(/buffer tmp is accessed outside the scope that defines it/);
  });
});

describe("match_buffer", () => {
  /** Writes 100*vi + 10*vj + (r*4 + c) into 4x4 tiles of an 8x8 buffer through a matched view. */
  function tiled(view: Buffer) {
    const A = buf("A", int32, [8, 8]);
    const io = v("io"), jo = v("jo"), vi = v("vi"), vj = v("vj"), r = v("r"), c = v("c");
    const src = new BufferRegion(A, [new Range(new Mul(vi, i32(4)), i32(4)), new Range(new Mul(vj, i32(4)), i32(4))]);
    const fill = loops([[r, 4], [c, 4]], new BufferStore(view, new Add(new Add(new Mul(vi, i32(100)), new Mul(vj, i32(10))), new Add(new Mul(r, i32(4)), c)), [r, c]));
    const blk = realize("tile", [{ v: vi, ext: 2, bind: io }, { v: vj, ext: 2, bind: jo }], fill, {
      matchBuffers: [new MatchBufferRegion(view, src)],
    });
    return primFunc([A], loops([[io, 2], [jo, 2]], blk));
  }

  test("a view with symbolic strides and elem_offset writes into the source region", () => {
    const s0 = v("s0"), s1 = v("s1"), off = v("off");
    const view = buf("T", int32, [4, 4], { strides: [s0, s1], elemOffset: off });
    const a = emptyArray([8, 8], int32);
    runPrimFunc(tiled(view), [a]);
    const got = toNested(a) as number[][];
    for (let i = 0; i < 8; i++) {
      for (let j = 0; j < 8; j++) {
        const [ti, tj, r, c] = [Math.floor(i / 4), Math.floor(j / 4), i % 4, j % 4];
        expect(got[i]![j]).toBe(100 * ti + 10 * tj + r * 4 + c);
      }
    }
  });

  test("a view without strides over a non-contiguous region is an error", () => {
    const view = buf("T", int32, [4, 4], { elemOffset: v("off") });
    expect(() => runPrimFunc(tiled(view), [emptyArray([8, 8], int32)])).toThrow(
      /match_buffer T: the region of A is not contiguous \(strides \[8, 1\] for shape \[4, 4\]\), but T declares no strides/,
    );
  });

  test("a constant elem_offset must equal the region's start", () => {
    const view = buf("T", int32, [4, 4], { strides: [v("s0"), v("s1")] });
    expect(() => runPrimFunc(tiled(view), [emptyArray([8, 8], int32)])).toThrow(/elem_offset of match_buffer T.* must be 0, got 4/);
  });

  test("a contiguous row can be matched without strides; strides of a 1-row region do not matter", () => {
    const A = buf("A", float32, [4, 6]);
    const row = buf("row", float32, [6], { elemOffset: v("off") });
    const i = v("i"), vi = v("vi"), c = v("c");
    const src = new BufferRegion(A, [new Range(vi, i32(1)), new Range(i32(0), i32(6))]);
    const blk = realize("r", [{ v: vi, ext: 4, bind: i }], loops([[c, 6]], new BufferStore(row, new Call(float32, Op.get("tir.sqrt"), [new BufferLoad(row, [c])]), [c])), {
      matchBuffers: [new MatchBufferRegion(row, src)],
    });
    const a = fromArray(Array.from({ length: 24 }, (_, k) => k * k), [4, 6]);
    runPrimFunc(primFunc([A], loops([[i, 4]], blk)), [a]);
    expect(toArray(a)).toEqual(Array.from({ length: 24 }, (_, k) => k));
  });

  test("a matched shape that disagrees with the region is an error", () => {
    const view = buf("T", int32, [4, 2], { strides: [v("s0"), v("s1")], elemOffset: v("off") });
    expect(() => runPrimFunc(tiled(view), [emptyArray([8, 8], int32)])).toThrow(/dimension 1 of match_buffer T must be 2, got 4/);
  });
});

describe("parameters", () => {
  test("symbolic shapes bind from the arrays and must agree", () => {
    const n = new SizeVar("n"), m = new SizeVar("m");
    const A = buf("A", float32, [n, m]), B = buf("B", float32, [m, n]);
    const i = v("i"), j = v("j"), vi = v("vi"), vj = v("vj");
    const blk = realize("T", [{ v: vi, ext: n, bind: i }, { v: vj, ext: m, bind: j }], new BufferStore(B, new BufferLoad(A, [vi, vj]), [vj, vi]));
    const f = primFunc([A, B], loops([[i, n], [j, m]], blk));
    const a = fromArray([[1, 2, 3], [4, 5, 6]]);
    const b = emptyArray([3, 2]);
    runPrimFunc(f, [a, b]);
    expect(toNested(b)).toEqual([[1, 4], [2, 5], [3, 6]]);
    expect(() => runPrimFunc(f, [a, emptyArray([2, 2])])).toThrow(
      "dimension 0 of parameter b_handle (buffer B) must be m = 3, got 2 (calling main)",
    );
  });

  test("a scalar parameter used as a dimension is checked against the array", () => {
    const n = v("n");
    const A = buf("A", int32, [n]);
    const i = v("i");
    const f = primFunc([n, A], loops([[i, n]], new BufferStore(A, i, [i])));
    const a = emptyArray([5], int32);
    runPrimFunc(f, [5, a]);
    expect(toArray(a)).toEqual([0, 1, 2, 3, 4]);
    expect(() => runPrimFunc(f, [4, a])).toThrow(/dimension 0 of parameter a_handle \(buffer A\) must be n = 4, got 5/);
  });

  test("shape expressions such as n * 2 are checked after n is bound", () => {
    const n = v("n");
    const A = buf("A", int32, [new Mul(n, i32(2))]), B = buf("B", int32, [n]);
    const f = primFunc([A, B], new BufferStore(B, i32(1), [i32(0)]));
    runPrimFunc(f, [emptyArray([6], int32), emptyArray([3], int32)]);
    expect(() => runPrimFunc(f, [emptyArray([5], int32), emptyArray([3], int32)])).toThrow(/dimension 0 of parameter a_handle \(buffer A\) must be .*n.* = 6, got 5/);
  });

  test("argument errors name the parameter and what was expected", () => {
    const f = matmul(2, 2, 2);
    const ok = () => emptyArray([2, 2]);
    expect(() => runPrimFunc(f, [ok(), ok()])).toThrow("expected 3 argument(s) (a_handle, b_handle, c_handle), got 2 (calling main)");
    expect(() => runPrimFunc(f, [ok(), emptyArray([2, 2], float64), ok()])).toThrow(
      "parameter b_handle expects a float32 array of shape [2, 2] (buffer B), got a float64 array (calling main)",
    );
    expect(() => runPrimFunc(f, [ok(), ok(), emptyArray([4])])).toThrow(/parameter c_handle expects .* got an array of shape \[4\] \(1 dimension\(s\)\)/);
    expect(() => runPrimFunc(f, [ok(), ok(), emptyArray([2, 3])])).toThrow(/dimension 1 of parameter c_handle \(buffer C\) must be 2, got 3/);
    expect(() => runPrimFunc(f, [ok(), 3, ok()])).toThrow(/parameter b_handle expects a float32 array .* got the number 3/);
    expect(() => runPrimFunc(f, [ok(), { dtype: float32, shape: [2, 2], data: new Float64Array(4) }, ok()])).toThrow(
      /a float32 array must keep its data in a Float32Array, got Float64Array/,
    );
  });

  test("scalar parameters are checked against their dtype", () => {
    const x = v("x"), out = buf("out", int32, [1]);
    const f = primFunc([x, out], new BufferStore(out, x, [i32(0)]));
    expect(() => runPrimFunc(f, [1.5, emptyArray([1], int32)])).toThrow(/parameter x is int32 and expects an integer, got 1.5/);
    expect(() => runPrimFunc(f, [2 ** 31, emptyArray([1], int32)])).toThrow(/parameter x: 2147483648 does not fit in int32/);
    expect(() => runPrimFunc(f, [emptyArray([1], int32), emptyArray([1], int32)])).toThrow(/parameter x expects a int32 number, got a int32 array/);
  });

  test("arguments by name (parameter or buffer name) and interpret()", () => {
    const f = matmul(2, 3, 2);
    const a = fromArray([[1, 2], [3, 4]]), b = fromArray([[1, 0, 1], [0, 1, 1]]), c = emptyArray([2, 3]);
    runPrimFunc(f, { A: a, b_handle: b, C: c });
    expect(toNested(c)).toEqual([[1, 2, 3], [3, 4, 7]]);
    expect(() => runPrimFunc(f, { A: a, B: b })).toThrow("missing argument for parameter c_handle (calling main)");
    expect(() => runPrimFunc(f, { A: a, B: b, C: c, D: c })).toThrow(/unknown argument "D"/);
    const mod = new IRModule([["mm", f]]);
    const c2 = emptyArray([2, 3]);
    interpret(mod, "mm", [a, b, c2]);
    expect(toArray(c2)).toEqual(toArray(c));
    expect(() => interpret(mod, "nope", [])).toThrow(/IRModule has no function "nope"/);
  });

  test("errors are InterpreterErrors", () => {
    const f = matmul(2, 2, 2);
    expect(() => runPrimFunc(f, [])).toThrow(InterpreterError);
  });
});

describe("integer index arithmetic in blocks", () => {
  test("floordiv/floormod bindings of a fused loop", () => {
    const out = buf("out", int32, [3, 4]);
    const fused = v("fused"), vi = v("vi"), vj = v("vj");
    const blk = realize("b", [
      { v: vi, ext: 3, bind: new FloorDiv(fused, i32(4)) },
      { v: vj, ext: 4, bind: new FloorMod(fused, i32(4)) },
    ], new BufferStore(out, new Add(new Mul(vi, i32(10)), vj), [vi, vj]));
    const o = emptyArray([3, 4], int32);
    runPrimFunc(primFunc([out], loops([[fused, 12]], blk)), [o]);
    expect(toNested(o)).toEqual([[0, 1, 2, 3], [10, 11, 12, 13], [20, 21, 22, 23]]);
  });
});

