import { describe, expect, it } from "vitest";
import { Buffer } from "../../src/ir/buffer.js";
import { bool, float16, float32, handle, int32, int64 } from "../../src/ir/dtype.js";
import { Call, GlobalVar, IntImm, SizeVar, StringImm, Var } from "../../src/ir/expr.js";
import * as E from "../../src/ir/expr_ops.js";
import { IRModule } from "../../src/ir/module.js";
import { Op } from "../../src/ir/op_registry.js";
import { PrimFunc } from "../../src/tir/function.js";
import { Evaluate, type Stmt } from "../../src/tir/stmt.js";
import { structuralEqual } from "../../src/ir/structural.js";
import { parseScript, printScript } from "../../src/tir/script/index.js";
import { S, block, buf, c, dedent, ld, loop, pt, root, seq, st } from "./printer_helpers.js";

const ret = (v: E.ExprLike) => new Evaluate(E.callIntrin("tir.ret", [v]));

/** Binds each buffer to a handle parameter named like the buffer in lower case. */
function withHandles(buffers: Buffer[], body: Stmt, attrs: Record<string, unknown> = { global_symbol: "main" }): PrimFunc {
  const params = buffers.map((b) => new Var(b.name.toLowerCase(), handle));
  return new PrimFunc(params, body, new Map(params.map((p, i) => [p, buffers[i]!])), attrs as never);
}

describe("printScript: function signatures", () => {
  it("uses T.handle + T.match_buffer and declares the symbolic shape var", () => {
    const n = new Var("n");
    const A = buf("A", [n, 128]), B = buf("B", [n, 128]);
    const i = new Var("i"), j = new Var("j");
    const body = loop(i, n, loop(j, 128, st(B, E.mul(ld(A, i, j), 2), i, j)));
    const f = withHandles([A, B], body, { global_symbol: "main", "tir.noalias": true });
    expect(printScript(f)).toBe(dedent(`
      # from tvm.script import tir as T

      @T.prim_func
      def main(a: T.handle, b: T.handle):
          T.func_attr({"tir.noalias": True})
          n = T.int32()
          A = T.match_buffer(a, (n, 128))
          B = T.match_buffer(b, (n, 128))
          for i, j in T.grid(n, 128):
              B[i, j] = A[i, j] * T.float32(2.0)
    `));
  });

  it("declares several new shape vars of one buffer on one line, with their kinds", () => {
    const m = new Var("m", int64), n = new SizeVar("n", int64);
    const A = buf("A", [m, n], float16);
    const f = withHandles([A], st(A, E.constant(1, float16), E.constant(0, int64), E.constant(0, int64)));
    expect(printScript(f)).toBe(dedent(`
      # from tvm.script import tir as T

      @T.prim_func
      def main(a: T.handle):
          m, n = T.int64(), T.int64(is_size_var=True)
          A = T.match_buffer(a, (m, n), "float16")
          A[T.int64(0), T.int64(0)] = T.float16(1.0)
    `));
  });

  it("prints scalar parameters with their type and reuses them in shapes", () => {
    const n = new Var("n");
    const A = buf("A", [n]);
    const a = new Var("a", handle);
    const x = new Var("x", float32);
    const f = new PrimFunc([a, n, x], st(A, x, 0), new Map([[a, A]]), { global_symbol: "main" });
    expect(printScript(f)).toBe(dedent(`
      # from tvm.script import tir as T

      @T.prim_func
      def main(a: T.handle, n: T.int32, x: T.float32):
          A = T.match_buffer(a, (n,))
          A[0] = x
    `));
  });

  it("prints every non-default buffer field as a keyword, inlining new stride / offset vars", () => {
    const s0 = new Var("s0"), off = new Var("off");
    const A = new Buffer("A", float16, [c(16), c(16)], {
      strides: [s0, c(1)], elemOffset: off, scope: "shared", dataAlignment: 32, offsetFactor: 8,
      bufferType: "auto_broadcast", axisSeparators: [1],
    });
    const B = buf("B", [1]);
    const a = new Var("a", handle), b = new Var("b", handle);
    const i = new Var("i");
    const body = loop(i, s0, st(B, E.cast(float32, ld(A, i, off)), 0));
    const f = new PrimFunc([a, b], body, new Map([[a, A], [b, B]]), { global_symbol: "main" });
    expect(printScript(f)).toBe(dedent(`
      # from tvm.script import tir as T

      @T.prim_func
      def main(a: T.handle, B: T.Buffer((1,), "float32")):
          A = T.match_buffer(a, (16, 16), "float16", strides=("s0", 1), scope="shared", align=32, offset_factor=8, buffer_type="auto", axis_separators=[1])
          for i in range(A.strides[0]):
              B[0] = T.Cast("float32", A[i, A.elem_offset])
    `));
  });

  it("prints elem_offset=0 next to an offset_factor, which alone would declare a symbolic offset", () => {
    const A = new Buffer("A", float32, [c(16)], { offsetFactor: 16 });
    const B = new Buffer("B", float32, [c(16)], { offsetFactor: 0 });
    const C = new Buffer("C", float32, [c(8, int64)], { elemOffset: c(0) });
    const D = new Buffer("D", float32, [c(8, int64)], { offsetFactor: 4 });
    const f = withHandles([A, B, C, D], seq(st(A, ld(B, 0), 0), st(C, ld(D, c(0, int64)), c(0, int64))));
    const text = printScript(f);
    expect(text).toBe(dedent(`
      # from tvm.script import tir as T

      @T.prim_func
      def main(a: T.handle, b: T.handle, c: T.handle, d: T.handle):
          A = T.match_buffer(a, (16,), elem_offset=0, offset_factor=16)
          B = T.match_buffer(b, (16,), offset_factor=0)
          C = T.match_buffer(c, (T.int64(8),), elem_offset=0)
          D = T.match_buffer(d, (T.int64(8),), elem_offset=T.int64(0), offset_factor=4)
          A[0] = B[0]
          C[T.int64(0)] = D[T.int64(0)]
    `));
    const back = parseScript(text, "printed.py").functionList[0]!;
    expect(structuralEqual(f, back, { mapFreeVars: true })).toBe(true);
    expect(printScript(back)).toBe(text);
  });

  it("keeps a buffer out of the signature when its handle is used elsewhere or its data is shared", () => {
    const A = buf("A", [128]);
    const B = new Buffer("B", float32, [c(64)], { data: A.data });
    const a = new Var("a", handle), b = new Var("b", handle);
    const call = new Evaluate(new Call(int32, Op.get("tir.call_extern"), [new StringImm("use"), a]));
    const f = new PrimFunc([a, b], seq(call, st(B, ld(A, 1), 0)), new Map([[a, A], [b, B]]), { global_symbol: "main" });
    expect(printScript(f)).toBe(dedent(`
      # from tvm.script import tir as T

      @T.prim_func
      def main(a: T.handle, b: T.handle):
          A = T.match_buffer(a, (128,))
          B = T.match_buffer(b, (64,), data=A.data)
          T.call_extern("int32", "use", a)
          B[0] = A[1]
    `));
  });

  it("marks a function without global_symbol private, prints its return type and return", () => {
    const x = new Var("x");
    const f = new PrimFunc([x], ret(E.add(x, 1)), new Map(), {}, int32);
    expect(printScript(f, { name: "add_one" })).toBe(dedent(`
      # from tvm.script import tir as T

      @T.prim_func(private=True)
      def add_one(x: T.int32) -> T.int32:
          return x + 1
    `));
    expect(printScript(f)).toContain("def main(x: T.int32) -> T.int32:");
  });

  it("keeps global_symbol in T.func_attr when it differs from the printed name, keys sorted", () => {
    const A = buf("A", [4]);
    const f = withHandles([A], st(A, E.constant(0, float32), 0), {
      "tir.noalias": new IntImm(bool, 1), global_symbol: "kernel", "tir.is_entry_func": true, target: { keys: ["cpu"], kind: "c" },
    });
    expect(printScript(f, { name: "main" }).split("\n").slice(3, 5)).toEqual([
      `def main(A: T.Buffer((4,), "float32")):`,
      `    T.func_attr({"global_symbol": "kernel", "target": {"keys": ["cpu"], "kind": "c"}, "tir.is_entry_func": True, "tir.noalias": T.bool(True)})`,
    ]);
    expect(printScript(f)).toContain(`def kernel(A: T.Buffer((4,), "float32")):\n    T.func_attr({"target": `);
  });

  it("declares free variables and buffers at the top of the body", () => {
    const A = buf("A", [128]), X = buf("X", [4]);
    const m = new Var("m"), i = new Var("i");
    const body = seq(st(X, E.constant(1, float32), 0), loop(i, m, st(A, ld(X, 0), i)));
    expect(printScript(withHandles([A], body))).toBe(dedent(`
      # from tvm.script import tir as T

      @T.prim_func
      def main(A: T.Buffer((128,), "float32")):
          X = T.Buffer((4,))
          X[0] = T.float32(1.0)
          m = T.int32()
          for i in range(m):
              A[i] = X[0]
    `));
  });

  it("prints an empty body as pass", () => {
    const f = new PrimFunc([], seq(), new Map(), { global_symbol: "main" });
    expect(printScript(f)).toBe("# from tvm.script import tir as T\n\n@T.prim_func\ndef main():\n    pass");
  });
});

describe("printScript: the implicit root block", () => {
  const mkInner = (name: string, withIter: boolean) => {
    const B = buf("B", [8]);
    const i = new Var("i"), vi = new Var("vi");
    if (!withIter) return { B, stmt: block({ name, writes: [pt(B, c(0))], body: st(B, E.constant(0, float32), 0) }) };
    return {
      B,
      stmt: loop(i, 8, block({ name, iters: [[S(vi, 8), i]], writes: [pt(B, vi)], body: st(B, E.constant(0, float32), vi) })),
    };
  };

  it("prints the root as a comment when it holds blocks", () => {
    const { B, stmt } = mkInner("B", true);
    expect(printScript(withHandles([B], root(stmt)))).toBe(dedent(`
      # from tvm.script import tir as T

      @T.prim_func
      def main(B: T.Buffer((8,), "float32")):
          # with T.block("root"):
          for i in range(8):
              with T.block("B"):
                  vi = T.axis.spatial(8, i)
                  T.reads()
                  T.writes(B[vi])
                  B[vi] = T.float32(0.0)
    `));
  });

  it("prints the root explicitly when its only child is a block without iter vars", () => {
    const { B, stmt } = mkInner("inner", false);
    expect(printScript(withHandles([B], root(stmt)))).toBe(dedent(`
      # from tvm.script import tir as T

      @T.prim_func
      def main(B: T.Buffer((8,), "float32")):
          with T.block("root"):
              T.reads()
              T.writes()
              with T.block("inner"):
                  T.reads()
                  T.writes(B[0])
                  B[0] = T.float32(0.0)
    `));
  });

  it("prints a differently named outer block explicitly", () => {
    const { B, stmt } = mkInner("B", true);
    const text = printScript(withHandles([B], block({ name: "outer", body: stmt })));
    expect(text).toContain(`    with T.block("outer"):\n        T.reads()\n        T.writes()\n        for i in range(8):`);
    expect(text).not.toContain("# with");
  });

  it("spells blocks the TVM >= 0.24 way with the sblock dialect", () => {
    const { B, stmt } = mkInner("B", true);
    const tmp = buf("tmp", [8]);
    const body = block({ name: "outer", body: stmt, alloc: [buf("local", [2])], annotations: { meta_schedule_unroll: 16 } });
    const text = printScript(withHandles([B], root(body, [tmp])), { dialect: "sblock" });
    expect(text).toBe(dedent(`
      # from tvm.script import tir as T

      @T.prim_func
      def main(B: T.Buffer((8,), "float32")):
          # with T.sblock("root"):
          tmp = T.sblock_alloc_buffer((8,))
          with T.sblock("outer"):
              T.reads()
              T.writes()
              T.sblock_attr({"meta_schedule_unroll": 16})
              local = T.sblock_alloc_buffer((2,))
              for i in range(8):
                  with T.sblock("B"):
                      vi = T.axis.spatial(8, i)
                      T.reads()
                      T.writes(B[vi])
                      B[vi] = T.float32(0.0)
    `));
  });
});

describe("printScript: IRModule", () => {
  it("prints functions by name with main last, blank lines between, and cls. calls", () => {
    const x = new Var("x");
    const addOne = new PrimFunc([x], ret(E.add(x, 1)), new Map(), {}, int32);
    const A = buf("A", [4], int32);
    const i = new Var("i");
    const call = new Call(int32, new GlobalVar("add_one"), [ld(A, i)]);
    const main = withHandles([A], loop(i, 4, st(A, call, i)), { global_symbol: "main", "tir.noalias": true });
    const y = new Var("y", float32);
    const zeta = new PrimFunc([y], new Evaluate(y), new Map(), { global_symbol: "zeta_kernel" });
    const mod = new IRModule([["main", main], ["zeta", zeta], ["add_one", addOne]], { "system_lib_prefix": "weft_" });
    expect(printScript(mod)).toBe(dedent(`
      # from tvm.script import ir as I
      # from tvm.script import tir as T

      @I.ir_module
      class Module:
          I.module_attrs({"system_lib_prefix": "weft_"})
          @T.prim_func(private=True)
          def add_one(x: T.int32) -> T.int32:
              return x + 1

          @T.prim_func
          def zeta(y: T.float32):
              T.func_attr({"global_symbol": "zeta_kernel"})
              T.evaluate(y)

          @T.prim_func
          def main(A: T.Buffer((4,), "int32")):
              T.func_attr({"tir.noalias": True})
              for i in range(4):
                  A[i] = cls.add_one(A[i])
    `));
  });

  it("prints an empty module", () => {
    expect(printScript(new IRModule())).toBe("# from tvm.script import ir as I\n\n@I.ir_module\nclass Module:\n    pass");
  });

  it("names the function it cannot print", () => {
    const mod = new IRModule([["f", { kind: "relax.Function", attrs: {} }]]);
    expect(() => printScript(mod)).toThrow(/function "f" is a relax\.Function/);
  });
});
