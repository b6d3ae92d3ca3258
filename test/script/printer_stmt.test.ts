import { describe, expect, it } from "vitest";
import { Buffer } from "../../src/ir/buffer.js";
import { bool, float16, float32, handle, int32 } from "../../src/ir/dtype.js";
import { Broadcast, Call, IntImm, LT, Ramp, Range, StringImm, Var, type PrimExpr } from "../../src/ir/expr.js";
import * as E from "../../src/ir/expr_ops.js";
import { Op } from "../../src/ir/op_registry.js";
import { PrimFunc } from "../../src/tir/function.js";
import {
  Allocate, AssertStmt, AttrStmt, BufferStore, DeclBuffer, Evaluate, For as ForLoop, IfThenElse, IterVar, LetStmt, While,
  type Annotations, type ForKind, type Stmt,
} from "../../src/tir/stmt.js";
import { parsePrimFunc, printScript } from "../../src/tir/script/index.js";
import { structuralEqual } from "../../src/ir/structural.js";
import { createPrimFunc, placeholder, topi } from "../../src/te/index.js";
import { lower } from "../../src/tir/pipeline.js";
import { buf, c, dedent, ld, loop, seq, st } from "./printer_helpers.js";

const A = buf("A", [4]);
const f32 = (v: number) => E.constant(v, float32);

/** Prints `body` inside `def main(A: T.Buffer((4,), "float32")):` and returns the body lines. */
function inFunc(body: Stmt, ...buffers: Buffer[]): string {
  const all = [A, ...buffers];
  const params = all.map((b) => new Var(b.name, handle));
  const f = new PrimFunc(params, body, new Map(params.map((p, i) => [p, all[i]!])), { global_symbol: "main" });
  const lines = printScript(f).split("\n");
  expect(lines[3]).toMatch(/^def main\(/);
  return lines.slice(4).map((l) => l.slice(4)).join("\n");
}

describe("printScript: scoped statements", () => {
  it("prints a trailing LetStmt concisely and an inner one as a with-scope", () => {
    const x = new Var("x", float32);
    expect(inFunc(new LetStmt(x, E.add(ld(A, 0), 1), st(A, x, 1)))).toBe(dedent(`
      x: T.float32 = A[0] + T.float32(1.0)
      A[1] = x
    `));
    expect(inFunc(seq(new LetStmt(x, ld(A, 0), st(A, x, 1)), st(A, f32(0), 2)))).toBe(dedent(`
      with T.LetStmt(A[0]) as x:
          A[1] = x
      A[2] = T.float32(0.0)
    `));
  });

  it("rebinds an already defined let variable with var=", () => {
    const n = new Var("n");
    const inner = new LetStmt(n, E.add(n, 1), new Evaluate(n));
    expect(inFunc(new LetStmt(n, c(5), inner))).toBe(dedent(`
      n: T.int32 = 5
      with T.LetStmt(n + 1, var=n):
          T.evaluate(n)
    `));
  });

  it("prints a bare statement as a fragment, with scoped statements in with-form", () => {
    const n = new Var("n");
    expect(printScript(new LetStmt(n, c(5), new Evaluate(n)))).toBe("with T.LetStmt(5) as n:\n    T.evaluate(n)");
  });

  it("prints AttrStmt on buffers, strings and expressions", () => {
    const body = new AttrStmt(A, "storage_alignment", c(16), st(A, f32(1), 0));
    expect(inFunc(body)).toBe(dedent(`
      T.attr(A, "storage_alignment", 16)
      A[0] = T.float32(1.0)
    `));
    const inner = new AttrStmt("default", "pragma_unroll", c(1), st(A, f32(1), 0));
    expect(inFunc(seq(inner, st(A, f32(2), 1)))).toBe(dedent(`
      with T.attr("default", "pragma_unroll", 1):
          A[0] = T.float32(1.0)
      A[1] = T.float32(2.0)
    `));
  });

  it("prints thread_extent attributes as T.launch_thread / T.env_thread", () => {
    const tx = new Var("threadIdx_x");
    const iv = new IterVar(Range.fromExtent(c(128)), tx, "ThreadIndex", "threadIdx.x");
    const B = buf("B", [128]);
    const launch = new AttrStmt(iv, "thread_extent", c(128), st(B, E.cast(float32, tx), tx));
    expect(inFunc(launch, B)).toBe(dedent(`
      threadIdx_x = T.launch_thread("threadIdx.x", 128)
      B[threadIdx_x] = T.Cast("float32", threadIdx_x)
    `));
    // Used outside the attribute too: declared up front and launched by name.
    expect(inFunc(seq(launch, st(B, f32(0), tx)), B)).toBe(dedent(`
      threadIdx_x = T.env_thread("threadIdx.x")
      with T.launch_thread(threadIdx_x, 128):
          B[threadIdx_x] = T.Cast("float32", threadIdx_x)
      B[threadIdx_x] = T.float32(0.0)
    `));
  });

  it("prints AssertStmt as assert or T.Assert", () => {
    const n = new Var("n");
    const check = new AssertStmt(E.gt(n, 0), new StringImm("n must be positive"), st(A, f32(0), 0));
    const f = new PrimFunc([n], check, new Map(), { global_symbol: "main" });
    expect(printScript(f).split("\n").slice(3).join("\n")).toBe(dedent(`
      def main(n: T.int32):
          A = T.Buffer((4,))
          assert n > 0, "n must be positive"
          A[0] = T.float32(0.0)
    `));
    expect(printScript(check)).toContain('with T.Assert(n > 0, "n must be positive"):');
  });

  it("prints Allocate, DeclBuffer and the Allocate + DeclBuffer pair", () => {
    const ptr = new Var("scratch", handle, { elementType: float32, storageScope: "global" });
    const alloc = new Allocate(ptr, float32, [c(128)], c(1, bool), new Evaluate(c(0)));
    expect(inFunc(alloc)).toBe('scratch = T.allocate([128], "float32", "global")\nT.evaluate(0)');

    const sh = new Var("sh", handle, { elementType: float16, storageScope: "shared" });
    const n = new Var("n");
    const cond = new Allocate(sh, float16, [n, c(4)], E.gt(n, 0), new Evaluate(c(0)), { "tir.volatile": true });
    expect(inFunc(seq(cond, new Evaluate(c(1))))).toBe(dedent(`
      n = T.int32()
      with T.allocate([n, 4], "float16", "shared", n > 0, annotations={"tir.volatile": True}) as sh:
          T.evaluate(0)
      T.evaluate(1)
    `));

    const B = new Buffer("B", float32, [c(128)], { data: ptr });
    const pair = new Allocate(ptr, float32, [c(128)], c(1, bool), new DeclBuffer(B, st(B, f32(0), 0)));
    expect(inFunc(pair)).toBe('B = T.decl_buffer((128,))\nB[0] = T.float32(0.0)');

    const view = new Buffer("scratch", float32, [c(64)], { data: ptr });
    const decl = new Allocate(ptr, float32, [c(128)], c(1, bool), new DeclBuffer(view, st(view, f32(0), 0)));
    expect(inFunc(decl)).toBe(dedent(`
      scratch = T.allocate([128], "float32", "global")
      scratch_1 = T.decl_buffer((64,), data=scratch)
      scratch_1[0] = T.float32(0.0)
    `));
  });

  it("declares an undeclared buffer over an Allocate's data right after that Allocate (as TVM)", () => {
    const ptr = new Var("tmp", handle, { elementType: float32, storageScope: "global" });
    const alias = new Buffer("tmp", float32, [c(8)], { data: ptr });
    const i = new Var("i");
    const body = seq(st(A, f32(1), 0), loop(i, 8, st(alias, ld(A, 0), i)), st(A, ld(alias, 3), 1));
    expect(inFunc(seq(st(A, f32(0), 3), new Allocate(ptr, float32, [c(8)], c(1, bool), body)))).toBe(dedent(`
      A[3] = T.float32(0.0)
      tmp = T.allocate([8], "float32", "global")
      A[0] = T.float32(1.0)
      tmp_1 = T.Buffer((8,), data=tmp)
      for i in range(8):
          tmp_1[i] = A[0]
      A[1] = tmp_1[3]
    `));
    // not the last statement: the declaration is the first line of the with-scope using it
    expect(inFunc(seq(new Allocate(ptr, float32, [c(8)], c(1, bool), st(alias, f32(2), 0)), st(A, f32(0), 0)))).toBe(dedent(`
      with T.allocate([8], "float32", "global") as tmp:
          tmp_1 = T.Buffer((8,), data=tmp)
          tmp_1[0] = T.float32(2.0)
      A[0] = T.float32(0.0)
    `));
  });

  it("round-trips lowered functions whose flat buffers alias allocations", () => {
    const x = placeholder([6, 7], "int32", "x");
    for (const [k, f] of [createPrimFunc([x, topi.argmax(x, 1)]), createPrimFunc([x, topi.sum(x, 1), topi.max(x, 0)])].entries()) {
      const lowered = lower(f).functionList[0] as PrimFunc;
      const text = printScript(lowered);
      if (k === 0) expect(text).toMatch(/x_red_temp_v0 = T\.allocate\(\[6\], "int64", "global"\)\n\s*x_red_temp_v0_1 = T\.Buffer\(/);
      expect(structuralEqual(parsePrimFunc(text), lowered, { mapFreeVars: true })).toBe(true);
      expect(printScript(parsePrimFunc(text))).toBe(text);
    }
  });
});

describe("printScript: plain statements", () => {
  it("prints stores: points, 0-d, ramp slices, predicated vector stores (whose index list cannot hold a slice)", () => {
    const Z = buf("Z", []);
    const V = buf("V", [16]);
    const x = new Var("x");
    const vec = new Ramp(new IntImm(int32, 0), c(1), 4);
    const body = seq(
      st(Z, f32(1)),
      new BufferStore(V, new Broadcast(f32(0), 4), [vec]),
      new BufferStore(V, new Broadcast(f32(0), 4), [new Ramp(x, c(1), 4)], new Broadcast(c(1, bool), 4)),
    );
    expect(printScript(body)).toBe(dedent(`
      Z = T.Buffer(())
      V = T.Buffer((16,))
      x = T.int32()
      Z[()] = T.float32(1.0)
      V[0:4] = T.Broadcast(T.float32(0.0), 4)
      V.vstore([T.Ramp(x, 1, 4)], T.Broadcast(T.float32(0.0), 4), predicate=T.Broadcast(T.bool(True), 4))
    `));
  });

  it("prints a stride-0 ramp index as T.Ramp, in plain and predicated stores", () => {
    const V = buf("V", [16]);
    const x = new Var("x");
    const mask = new Broadcast(c(1, bool), 4);
    const body = seq(
      new BufferStore(V, new Broadcast(f32(0), 4), [new Ramp(x, c(0), 4)]),
      new BufferStore(V, new Broadcast(f32(0), 4), [new Ramp(x, c(0), 4)], mask),
      new BufferStore(V, new Broadcast(f32(0), 4), [new Ramp(x, c(-2), 4)]),
    );
    expect(printScript(body)).toBe(dedent(`
      V = T.Buffer((16,))
      x = T.int32()
      V[T.Ramp(x, 0, 4)] = T.Broadcast(T.float32(0.0), 4)
      V.vstore([T.Ramp(x, 0, 4)], T.Broadcast(T.float32(0.0), 4), predicate=T.Broadcast(T.bool(True), 4))
      V[x:x + -8:-2] = T.Broadcast(T.float32(0.0), 4)
    `));
  });

  it("prints while, if/else and evaluate", () => {
    const i = new Var("i");
    const ext = new Call(int32, Op.get("tir.call_extern"), [new StringImm("tick"), i]);
    const body = seq(
      new While(new LT(i, c(10)), new Evaluate(ext)),
      new IfThenElse(E.eq(i, 0), st(A, f32(1), 0), st(A, f32(2), 0)),
      new IfThenElse(E.lt(i, 2), new Evaluate(c(0))),
      new Evaluate(i),
    );
    expect(printScript(body)).toBe(dedent(`
      i = T.int32()
      A = T.Buffer((4,))
      while i < 10:
          T.call_extern("int32", "tick", i)
      if i == 0:
          A[0] = T.float32(1.0)
      else:
          A[0] = T.float32(2.0)
      if i < 2:
          T.evaluate(0)
      T.evaluate(i)
    `));
  });
});

describe("printScript: loops", () => {
  const i = new Var("i"), j = new Var("j"), k = new Var("k");
  const e0 = new Evaluate(c(0));
  const For = (v: Var, min: number, ext: number | PrimExpr, kind: ForKind, body: Stmt, opts: { tag?: string; ann?: Annotations; step?: number } = {}) =>
    new ForLoop(v, c(min), typeof ext === "number" ? c(ext) : ext, kind, body, opts.tag, opts.ann, opts.step === undefined ? undefined : c(opts.step));

  it("prints every loop kind with positional bounds and keyword order thread, annotations, step", () => {
    expect(printScript(For(i, 0, 8, "serial", e0))).toBe("for i in range(8):\n    T.evaluate(0)");
    expect(printScript(For(i, 2, 8, "serial", e0))).toBe("for i in range(2, 10):\n    T.evaluate(0)");
    expect(printScript(For(i, 0, 8, "serial", e0, { step: 2 }))).toBe("for i in range(0, 8, 2):\n    T.evaluate(0)");
    expect(printScript(For(i, 0, 8, "serial", e0, { ann: { b: 1, a: "x" } }))).toBe(
      'for i in T.serial(8, annotations={"a": "x", "b": 1}):\n    T.evaluate(0)',
    );
    expect(printScript(For(i, 0, 8, "parallel", e0))).toBe("for i in T.parallel(8):\n    T.evaluate(0)");
    expect(printScript(For(i, 0, 8, "vectorized", e0))).toBe("for i in T.vectorized(8):\n    T.evaluate(0)");
    expect(printScript(For(i, 0, 8, "unrolled", e0))).toBe("for i in T.unroll(8):\n    T.evaluate(0)");
    expect(printScript(For(i, 0, 32, "thread_binding", e0, { tag: "threadIdx.x" }))).toBe(
      'for i in T.thread_binding(32, thread="threadIdx.x"):\n    T.evaluate(0)',
    );
    expect(printScript(For(i, 1, 32, "thread_binding", e0, { tag: "threadIdx.x", ann: { k: true }, step: 2 }))).toBe(
      'for i in T.thread_binding(1, 33, thread="threadIdx.x", annotations={"k": True}, step=2):\n    T.evaluate(0)',
    );
    const n = new Var("n");
    expect(printScript(For(i, 0, n, "parallel", e0).with({ min: n }))).toBe("n = T.int32()\nfor i in T.parallel(n, n + n):\n    T.evaluate(0)");
  });

  it("folds maximal chains of plain serial loops into T.grid", () => {
    expect(printScript(loop(i, 2, loop(j, 3, loop(k, 4, e0))))).toBe("for i, j, k in T.grid(2, 3, 4):\n    T.evaluate(0)");
    // a grid never starts at a non-serial loop
    expect(printScript(loop(i, 2, loop(j, 3, loop(k, 4, e0)), "parallel"))).toBe(dedent(`
      for i in T.parallel(2):
          for j, k in T.grid(3, 4):
              T.evaluate(0)
    `));
    // an extent that uses an outer chain variable, a non-zero min, or annotations end the chain
    expect(printScript(loop(i, 8, loop(j, E.add(i, 1), e0)))).toBe(dedent(`
      for i in range(8):
          for j in range(i + 1):
              T.evaluate(0)
    `));
    expect(printScript(loop(i, 8, For(j, 1, 4, "serial", e0)))).toBe(dedent(`
      for i in range(8):
          for j in range(1, 5):
              T.evaluate(0)
    `));
    expect(printScript(loop(i, 8, loop(j, 4, loop(k, 2, e0), "serial", { pragma: 1 })))).toBe(dedent(`
      for i in range(8):
          for j in T.serial(4, annotations={"pragma": 1}):
              for k in range(2):
                  T.evaluate(0)
    `));
    // a body that is not a loop ends the chain
    expect(printScript(loop(i, 2, seq(loop(j, 3, e0), e0)))).toBe(dedent(`
      for i in range(2):
          for j in range(3):
              T.evaluate(0)
          T.evaluate(0)
    `));
  });
});
