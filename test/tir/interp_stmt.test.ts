import { describe, expect, test } from "vitest";
import { bool, float16, float32, handle, int32, int64 } from "../../src/ir/dtype.js";
import { Add, BufferLoad, Call, FloatImm, GE, IntImm, LT, Mul, Ramp, Broadcast, StringImm, Sub, Var, Range } from "../../src/ir/expr.js";
import { Op } from "../../src/ir/op_registry.js";
import { Buffer } from "../../src/ir/buffer.js";
import {
  Allocate, AssertStmt, AttrStmt, BufferStore, DeclBuffer, Evaluate, For, IfThenElse, IterVar, LetStmt, SeqStmt, While,
  type ForKind,
} from "../../src/tir/stmt.js";
import { PrimFunc } from "../../src/tir/function.js";
import { InterpreterError, emptyArray, fromArray, runPrimFunc, toArray } from "../../src/tir/interp/index.js";
import { TRUE, buf, i32, loops, primFunc, v } from "./interp_fixtures.js";

describe("loops", () => {
  test("For honours min and extent", () => {
    const out = buf("out", int32, [8]);
    const i = v("i");
    const f = primFunc([out], new For(i, i32(2), i32(3), "serial", new BufferStore(out, new Mul(i, i32(10)), [i])));
    const o = emptyArray([8], int32);
    runPrimFunc(f, [o]);
    expect(toArray(o)).toEqual([0, 0, 20, 30, 40, 0, 0, 0]);
  });

  test("For honours step: min, min + step, ... below min + extent", () => {
    const out = buf("out", int32, [8]);
    const i = v("i");
    const body = new BufferStore(out, new Add(new BufferLoad(out, [i]), i32(1)), [i]);
    const f = primFunc([out], new For(i, i32(1), i32(6), "serial", body, undefined, {}, i32(2)));
    const o = emptyArray([8], int32);
    runPrimFunc(f, [o]);
    expect(toArray(o)).toEqual([0, 1, 0, 1, 0, 1, 0, 0]);
  });

  test("every loop kind runs sequentially over its extent", () => {
    for (const kind of ["serial", "parallel", "vectorized", "unrolled", "thread_binding"] as ForKind[]) {
      const out = buf("out", int32, [4]);
      const i = v("i");
      const loop = new For(i, i32(0), i32(4), kind, new BufferStore(out, new Add(i, i32(1)), [i]), kind === "thread_binding" ? "threadIdx.x" : undefined);
      const o = emptyArray([4], int32);
      runPrimFunc(primFunc([out], loop), [o]);
      expect(toArray(o)).toEqual([1, 2, 3, 4]);
    }
  });

  test("symbolic extents", () => {
    const out = buf("out", int32, [10]);
    const n = v("n"), i = v("i");
    const f = primFunc([n, out], loops([[i, n]], new BufferStore(out, i32(7), [i])));
    const o = emptyArray([10], int32);
    runPrimFunc(f, [3, o]);
    expect(toArray(o)).toEqual([7, 7, 7, 0, 0, 0, 0, 0, 0, 0]);
  });

  test("While runs until its condition is false", () => {
    const cnt = buf("cnt", int32, [1]);
    const load = new BufferLoad(cnt, [i32(0)]);
    const f = primFunc([cnt], new While(new LT(load, i32(10)), new BufferStore(cnt, new Add(load, i32(3)), [i32(0)])));
    const c = fromArray([0], [1], int32);
    runPrimFunc(f, [c]);
    expect(toArray(c)).toEqual([12]);
  });

  test("thread_extent attributes bind thread variables as loops", () => {
    const out = buf("out", int32, [6]);
    const tx = v("threadIdx.x"), bx = v("blockIdx.x");
    const ivt = new IterVar(Range.fromExtent(i32(3)), tx, "ThreadIndex", "threadIdx.x");
    const ivb = new IterVar(Range.fromExtent(i32(2)), bx, "ThreadIndex", "blockIdx.x");
    const body = new BufferStore(out, new Add(new Mul(bx, i32(100)), tx), [new Add(new Mul(bx, i32(3)), tx)]);
    const f = primFunc([out], new AttrStmt(ivb, "thread_extent", i32(2), new AttrStmt(ivt, "thread_extent", i32(3), body)));
    const o = emptyArray([6], int32);
    runPrimFunc(f, [o]);
    expect(toArray(o)).toEqual([0, 1, 2, 100, 101, 102]);
  });
});

describe("control and bindings", () => {
  test("SeqStmt, IfThenElse with and without else, LetStmt, AttrStmt", () => {
    const out = buf("out", int32, [4]);
    const x = v("x"), y = v("y");
    const body = SeqStmt.flatten([
      new LetStmt(y, new Mul(x, i32(2)), new BufferStore(out, y, [i32(0)])),
      new IfThenElse(new LT(x, i32(5)), new BufferStore(out, i32(1), [i32(1)]), new BufferStore(out, i32(2), [i32(1)])),
      new IfThenElse(new GE(x, i32(5)), new BufferStore(out, i32(9), [i32(2)])),
      new AttrStmt("pragma", "pragma_unroll", i32(1), new BufferStore(out, i32(4), [i32(3)])),
    ]);
    const f = primFunc([x, out], body);
    const o = emptyArray([4], int32);
    runPrimFunc(f, [3, o]);
    expect(toArray(o)).toEqual([6, 1, 0, 4]);
    runPrimFunc(f, [7, o]);
    expect(toArray(o)).toEqual([14, 2, 9, 4]);
  });

  test("AssertStmt throws its message", () => {
    const x = v("x");
    const out = buf("out", int32, [1]);
    const f = primFunc([x, out], new AssertStmt(new LT(x, i32(4)), new StringImm("x must be below 4"), new BufferStore(out, x, [i32(0)])));
    const o = emptyArray([1], int32);
    runPrimFunc(f, [3, o]);
    expect(toArray(o)).toEqual([3]);
    expect(() => runPrimFunc(f, [4, o])).toThrow(/^x must be below 4/);
  });

  test("Evaluate of a constant does nothing", () => {
    const f = primFunc([], new Evaluate(i32(0)));
    expect(runPrimFunc(f, [])).toBeUndefined();
  });
});

describe("Allocate and DeclBuffer", () => {
  test("an allocated scratch buffer lives for its body", () => {
    const A = buf("A", float32, [4]);
    const out = buf("out", float32, [1]);
    const data = new Var("tmp", handle, { elementType: float32, storageScope: "global" });
    const tmp = new Buffer("tmp", float32, [i32(4)], { data });
    const i = v("i");
    const fill = loops([[i, 4]], new BufferStore(tmp, new Mul(new BufferLoad(A, [i]), new FloatImm(float32, 2)), [i]));
    const acc = SeqStmt.flatten([
      new BufferStore(out, new FloatImm(float32, 0), [i32(0)]),
      loops([[v("j"), 4]], new BufferStore(out, new Add(new BufferLoad(out, [i32(0)]), new BufferLoad(tmp, [i32(3)])), [i32(0)])),
    ]);
    const body = new Allocate(data, float32, [i32(4)], TRUE, new DeclBuffer(tmp, SeqStmt.flatten([fill, acc])));
    const f = primFunc([A, out], body);
    const o = emptyArray([1], float32);
    runPrimFunc(f, [fromArray([1, 2, 3, 4]), o]);
    expect(toArray(o)).toEqual([32]);
  });

  test("buffers over an allocation work without a DeclBuffer", () => {
    const out = buf("out", int32, [1]);
    const data = new Var("scratch", handle, { elementType: int32, storageScope: "global" });
    const s = new Buffer("scratch", int32, [i32(2)], { data });
    const body = new Allocate(data, int32, [i32(2)], TRUE, SeqStmt.flatten([
      new BufferStore(s, i32(20), [i32(1)]),
      new BufferStore(out, new Add(new BufferLoad(s, [i32(1)]), i32(1)), [i32(0)]),
    ]));
    const o = emptyArray([1], int32);
    runPrimFunc(primFunc([out], body), [o]);
    expect(toArray(o)).toEqual([21]);
  });

  test("strides and elem_offset address storage as elem_offset + sum(i_k * stride_k)", () => {
    // A column-major 3x2 view starting at element 1 of an 8-element allocation.
    const out = buf("out", int32, [8]);
    const data = new Var("mem", handle, { elementType: int32, storageScope: "global" });
    const flat = new Buffer("flat", int32, [i32(8)], { data });
    const colMajor = new Buffer("cm", int32, [i32(3), i32(2)], { data, strides: [i32(1), i32(3)], elemOffset: i32(1) });
    const i = v("i"), j = v("j"), k = v("k");
    const q = v("q");
    const body2 = new Allocate(data, int32, [i32(8)], TRUE, new DeclBuffer(flat, new DeclBuffer(colMajor, SeqStmt.flatten([
      loops([[k, 8]], new BufferStore(flat, i32(-1), [k])),
      loops([[i, 3], [j, 2]], new BufferStore(colMajor, new Add(new Mul(i, i32(10)), j), [i, j])),
      loops([[q, 8]], new BufferStore(out, new BufferLoad(flat, [q]), [q])),
    ]))));
    const o = emptyArray([8], int32);
    runPrimFunc(primFunc([out], body2), [o]);
    // (i, j) -> 1 + i + 3j
    expect(toArray(o)).toEqual([-1, 0, 10, 20, 1, 11, 21, -1]);
  });

  test("a view that does not fit its storage is an error naming the buffer", () => {
    const data = new Var("mem", handle, { elementType: int32, storageScope: "global" });
    const big = new Buffer("big", int32, [i32(4), i32(4)], { data });
    const f = primFunc([], new Allocate(data, int32, [i32(8)], TRUE, new DeclBuffer(big, new Evaluate(i32(0)))));
    expect(() => runPrimFunc(f, [])).toThrow(/buffer big \(shape \[4, 4\].*reaches elements 0..15, but its data mem holds 8 element/);
  });

  test("floats from an allocation start as NaN, so reads before writes show", () => {
    const out = buf("out", float32, [1]);
    const data = new Var("t", handle, { elementType: float32, storageScope: "global" });
    const t = new Buffer("t", float32, [i32(2)], { data });
    const f = primFunc([out], new Allocate(data, float32, [i32(2)], TRUE, new BufferStore(out, new BufferLoad(t, [i32(0)]), [i32(0)])));
    const o = emptyArray([1], float32);
    runPrimFunc(f, [o]);
    expect(toArray(o)[0]).toBeNaN();
  });
});

describe("BufferStore and BufferLoad", () => {
  test("an out-of-bounds store names the buffer, the indices and the shape", () => {
    const A = buf("A", float32, [4, 3]);
    const i = v("i");
    const f = primFunc([A], loops([[i, 5]], new BufferStore(A, new FloatImm(float32, 1), [i, i32(0)])));
    const a = emptyArray([4, 3], float32);
    const err = (() => {
      try {
        runPrimFunc(f, [a]);
      } catch (e) {
        return e as Error;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(InterpreterError);
    expect(err!.message).toBe('out-of-bounds store to buffer A in block "root" of function main: indices [4, 0] are outside its shape [4, 3]');
    expect(toArray(a).slice(0, 12)).toEqual([1, 0, 0, 1, 0, 0, 1, 0, 0, 1, 0, 0]);
  });

  test("negative indices are out of bounds too", () => {
    const A = buf("A", int32, [4]);
    const x = v("x");
    const f = primFunc([A, x], new BufferStore(A, i32(1), [new Sub(x, i32(1))]));
    expect(() => runPrimFunc(f, [emptyArray([4], int32), 0])).toThrow(/indices \[-1\] are outside its shape \[4\]/);
  });

  test("vector loads and stores with Ramp indices", () => {
    const A = buf("A", float32, [8]), B = buf("B", float32, [4]);
    const gather = new BufferStore(B, new BufferLoad(A, [new Ramp(i32(1), i32(2), 4)]), [new Ramp(i32(0), i32(1), 4)]);
    const b = emptyArray([4], float32);
    runPrimFunc(primFunc([A, B], gather), [fromArray([0, 1, 2, 3, 4, 5, 6, 7]), b]);
    expect(toArray(b)).toEqual([1, 3, 5, 7]);
    const bad = new BufferStore(B, new BufferLoad(A, [new Ramp(i32(2), i32(2), 4)]), [new Ramp(i32(0), i32(1), 4)]);
    expect(() => runPrimFunc(primFunc([A, B], bad), [emptyArray([8]), b])).toThrow(/out-of-bounds load from buffer A.*indices \[8\]/);
  });

  test("predicates mask lanes of loads and stores", () => {
    const A = buf("A", float32, [6]), B = buf("B", float32, [6]);
    const x = v("x");
    const lanes = new Ramp(x, i32(1), 4);
    const mask = new LT(lanes, new Broadcast(i32(6), 4));
    // Lanes 6 and 7 are masked: no out-of-bounds error, nothing written there.
    const s = new BufferStore(B, new BufferLoad(A, [lanes], mask), [lanes], mask);
    const b = fromArray([9, 9, 9, 9, 9, 9]);
    runPrimFunc(primFunc([A, B, x], s), [fromArray([0, 1, 2, 3, 4, 5]), b, 4]);
    expect(toArray(b)).toEqual([9, 9, 9, 9, 4, 5]);
  });

  test("buffers of a vector dtype hold lanes per element", () => {
    const V = buf("V", "float32x4", [2]);
    const out = buf("out", float32, [8]);
    const k = v("k");
    const body = SeqStmt.flatten([
      new BufferStore(V, new Broadcast(new FloatImm(float32, 1.5), 4), [i32(0)]),
      new BufferStore(V, new BufferLoad(out, [new Ramp(i32(0), i32(2), 4)]), [i32(1)]),
      loops([[k, 4]], new BufferStore(out, new FloatImm(float32, 0), [k])),
    ]);
    const o = fromArray([0, 1, 2, 3, 4, 5, 6, 7]);
    const vv = emptyArray([2], "float32x4");
    runPrimFunc(primFunc([V, out], body), [vv, o]);
    expect(toArray(vv)).toEqual([1.5, 1.5, 1.5, 1.5, 0, 2, 4, 6]);
  });

  test("float16 buffers store rounded values", () => {
    const A = buf("A", float16, [2]);
    const x = v("x", float16);
    const f = primFunc([A, x], SeqStmt.flatten([
      new BufferStore(A, x, [i32(0)]),
      new BufferStore(A, new Mul(x, new FloatImm(float16, 3)), [i32(1)]),
    ]));
    const a = emptyArray([2], float16);
    runPrimFunc(f, [a, 0.1]);
    expect(toArray(a)).toEqual([0.0999755859375, 0.2998046875]);
  });
});

describe("storage kinds at the boundary", () => {
  test("BigInt64Array int64 arguments are read and written back", () => {
    const A = buf("A", int64, [2]);
    const f = primFunc([A], new BufferStore(A, new Mul(new BufferLoad(A, [i32(0)]), new IntImm(int64, 3)), [i32(1)]));
    const data = new BigInt64Array([7n, 0n]);
    runPrimFunc(f, [{ dtype: int64, shape: [2], data }]);
    expect([...data]).toEqual([7n, 21n]);
  });

  test("float16 arguments may carry raw bits in a Uint16Array", () => {
    const A = buf("A", float16, [2]);
    const f = primFunc([A], new BufferStore(A, new Add(new BufferLoad(A, [i32(0)]), new FloatImm(float16, 1)), [i32(1)]));
    const data = new Uint16Array([0x3c00, 0]);
    runPrimFunc(f, [{ dtype: float16, shape: [2], data }]);
    expect([...data]).toEqual([0x3c00, 0x4000]);
  });

  test("bool buffers hold 0/1", () => {
    const A = buf("A", bool, [3]);
    const i = v("i");
    const f = primFunc([A], loops([[i, 3]], new BufferStore(A, new LT(i, i32(2)), [i])));
    const a = emptyArray([3], bool);
    runPrimFunc(f, [a]);
    expect(toArray(a)).toEqual([1, 1, 0]);
  });

  test("a handle parameter without a buffer_map entry takes an array", () => {
    const p = new Var("p", handle);
    const view = new Buffer("view", int32, [i32(3)], { data: p });
    const f = new PrimFunc([p], new BufferStore(view, i32(5), [i32(2)]));
    const a = emptyArray([3], int32);
    runPrimFunc(f, [a]);
    expect(toArray(a)).toEqual([0, 0, 5]);
  });

  test("flattened buffers over a parameter's data, declared or not", () => {
    const A = buf("A", int32, [2, 3]);
    const flat = new Buffer("A_flat", int32, [i32(6)], { data: A.data });
    const i = v("i");
    const body = loops([[i, 6]], new BufferStore(flat, new Mul(i, i), [i]));
    const declared = primFunc([A], new DeclBuffer(flat, body));
    const implicit = primFunc([A], body);
    for (const f of [declared, implicit]) {
      const a = emptyArray([2, 3], int32);
      runPrimFunc(f, [a]);
      expect(toArray(a)).toEqual([0, 1, 4, 9, 16, 25]);
    }
    const tooBig = new Buffer("A_big", int32, [i32(7)], { data: A.data });
    const f = primFunc([A], new DeclBuffer(tooBig, new BufferStore(tooBig, i32(1), [i32(6)])));
    expect(() => runPrimFunc(f, [emptyArray([2, 3], int32)])).toThrow(/buffer A_big .* but its data A holds 6 element/);
  });

  test("a buffer with no definition and no allocated data is a clear error", () => {
    const ghost = buf("ghost", int32, [2]);
    const f = primFunc([], new BufferStore(ghost, i32(1), [i32(0)]));
    expect(() => runPrimFunc(f, [])).toThrow(/buffer ghost is accessed but never defined/);
  });

  test("calls of unsupported ops in statements", () => {
    const f = primFunc([], new Evaluate(new Call(int32, Op.get("tir.address_of"), [i32(0)])));
    expect(() => runPrimFunc(f, [])).toThrow(/operator tir.address_of is not supported by the interpreter/);
  });
});

