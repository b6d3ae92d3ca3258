import { describe, expect, it } from "vitest";
import { Buffer } from "../../src/ir/buffer.js";
import { float16, float32, handle, int32, int64 } from "../../src/ir/dtype.js";
import { Add, Call, Mul, Range, SizeVar, StringImm, Var } from "../../src/ir/expr.js";
import * as E from "../../src/ir/expr_ops.js";
import { Op } from "../../src/ir/op_registry.js";
import { PrimFunc } from "../../src/tir/function.js";
import { Evaluate, type BlockRealize, type Stmt } from "../../src/tir/stmt.js";
import { postOrderVisitStmt } from "../../src/tir/stmt_functor.js";
import fc from "fast-check";
import { NameTable } from "../../src/tir/script/printer/names.js";
import { printScript } from "../../src/tir/script/index.js";
import { R, S, block, buf, c, dedent, ld, loop, pt, rg, root, seq, st } from "./printer_helpers.js";
import { SPEC_SOFTMAX, SPEC_TILED_MATMUL } from "./spec_examples.js";

/** A function whose buffer parameters are bound through handles named after the buffers. */
function func(buffers: Buffer[], body: Stmt, attrs: Record<string, unknown> = { global_symbol: "main", "tir.noalias": true }): PrimFunc {
  const params = buffers.map((b) => new Var(b.name, handle));
  return new PrimFunc(params, body, new Map(params.map((p, i) => [p, buffers[i]!])), attrs as never);
}

function softmax(): PrimFunc {
  const A = buf("A", [128, 256]), B = buf("B", [128, 256]);
  const Amax = buf("A_max", [128]), Aexp = buf("A_exp", [128, 256]), Asum = buf("A_sum", [128]);
  const vars = () => [new Var("i"), new Var("k"), new Var("vi"), new Var("vk")] as const;
  let [i, k, vi, vk] = vars();
  const max = loop(i, 128, loop(k, 256, block({
    name: "A_max", iters: [[S(vi, 128), i], [R(vk, 256), k]], reads: [pt(A, vi, vk)], writes: [pt(Amax, vi)],
    init: st(Amax, E.minValue(float32), vi), body: st(Amax, E.max(ld(Amax, vi), ld(A, vi, vk)), vi),
  })));
  // The spec names the second nest's variables i, j / vi, vj.
  const j = new Var("j"), vj = new Var("vj");
  [i, k, vi, vk] = vars();
  const expJ = loop(i, 128, loop(j, 256, block({
    name: "A_exp", iters: [[S(vi, 128), i], [S(vj, 256), j]], reads: [pt(A, vi, vj), pt(Amax, vi)], writes: [pt(Aexp, vi, vj)],
    body: st(Aexp, E.exp(E.sub(ld(A, vi, vj), ld(Amax, vi))), vi, vj),
  })));
  [i, k, vi, vk] = vars();
  const sum = loop(i, 128, loop(k, 256, block({
    name: "A_sum", iters: [[S(vi, 128), i], [R(vk, 256), k]], reads: [pt(Aexp, vi, vk)], writes: [pt(Asum, vi)],
    init: st(Asum, E.constant(0, float32), vi), body: st(Asum, E.add(ld(Asum, vi), ld(Aexp, vi, vk)), vi),
  })));
  const [i2, , vi2] = vars();
  const j2 = new Var("j"), vj2 = new Var("vj");
  const out = loop(i2, 128, loop(j2, 256, block({
    name: "B", iters: [[S(vi2, 128), i2], [S(vj2, 256), j2]], reads: [pt(Aexp, vi2, vj2), pt(Asum, vi2)], writes: [pt(B, vi2, vj2)],
    body: st(B, E.div(ld(Aexp, vi2, vj2), ld(Asum, vi2)), vi2, vj2),
  })));
  return func([A, B], root(seq(max, expJ, sum, out), [Amax, Aexp, Asum]), { global_symbol: "softmax", "tir.noalias": true });
}

function tiledMatmul(): PrimFunc {
  const A = buf("A", [1024, 1024]), B = buf("B", [1024, 1024]), C = buf("C", [1024, 1024]);
  const fused = new Var("i_0_j_0_fused"), k = new Var("k"), i1 = new Var("i_1"), j1 = new Var("j_1");
  const vi = new Var("vi"), vj = new Var("vj"), vk = new Var("vk");
  const body = block({
    name: "C",
    iters: [
      [S(vi, 1024), E.add(E.mul(E.floordiv(fused, 16), 32), i1)],
      [S(vj, 1024), E.add(E.mul(E.floormod(fused, 16), 64), j1)],
      [R(vk, 1024), k],
    ],
    reads: [pt(A, vi, vk), pt(B, vk, vj)],
    writes: [pt(C, vi, vj)],
    init: st(C, E.constant(0, float32), vi, vj),
    body: st(C, E.add(ld(C, vi, vj), E.mul(ld(A, vi, vk), ld(B, vk, vj))), vi, vj),
  });
  const nest = loop(fused, 512, loop(k, 1024, loop(i1, 32, loop(j1, 64, body, "vectorized"))), "parallel", {
    pragma_auto_unroll_max_step: 64,
  });
  return func([A, B, C], root(nest));
}

describe("printScript: the examples of the printing spec", () => {
  it("prints softmax exactly as TVM does", () => {
    expect(printScript(softmax())).toBe(SPEC_SOFTMAX.trimEnd());
  });

  it("prints the tiled matmul exactly as TVM does", () => {
    expect(printScript(tiledMatmul())).toBe(SPEC_TILED_MATMUL.trimEnd());
  });

  it("installs itself as the IR's toString", () => {
    expect(String(tiledMatmul())).toBe(printScript(tiledMatmul()));
    expect(String(E.add(new Var("x"), 1))).toBe("x + 1");
  });
});

describe("printScript: names", () => {
  const e0 = new Evaluate(c(0));

  it("suffixes distinct variables that share a name, and reuses names of closed scopes", () => {
    const A = buf("A", [4, 4]);
    const i0 = new Var("i"), i1 = new Var("i"), i2 = new Var("i"), i3 = new Var("i");
    const body = loop(i0, 4, seq(loop(i1, 4, loop(i2, 4, st(A, E.constant(0, float32), i1, i2))), loop(i3, 4, e0)));
    expect(printScript(body)).toBe(dedent(`
      A = T.Buffer((4, 4))
      for i in range(4):
          for i_1, i_2 in T.grid(4, 4):
              A[i_1, i_2] = T.float32(0.0)
          for i_1 in range(4):
              T.evaluate(0)
    `));
  });

  it("hands out the smallest free suffix under any sequence of takes and releases", () => {
    // TVM's rule, by brute force: the hint itself if free, else the first free hint_1, hint_2, ...
    const naive = (used: Set<string>, hint: string) => {
      if (!used.has(hint)) return hint;
      for (let k = 1; ; k++) if (!used.has(`${hint}_${k}`)) return `${hint}_${k}`;
    };
    const op = fc.oneof(
      fc.record({ take: fc.constantFrom("i", "x", "i_1", "x_2", "i_1_1") }),
      fc.record({ release: fc.nat(30) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 80 }), (ops) => {
        const table = new NameTable();
        const used = new Set<string>();
        const live: string[] = [];
        for (const o of ops) {
          if ("take" in o) {
            const want = naive(used, o.take);
            expect(table.take(o.take)).toBe(want);
            used.add(want);
            live.push(want);
          } else if (live.length > 0) {
            const [name] = live.splice(o.release % live.length, 1);
            table.release(name!);
            used.delete(name!);
          }
        }
      }),
    );
  });

  it("suffixes buffers and variables sharing a name in one scope", () => {
    const A1 = buf("A", [4]), A2 = buf("A", [8]);
    const f = func([A1, A2], st(A2, ld(A1, 0), 0));
    expect(printScript(f).split("\n").slice(3).join("\n")).toBe(dedent(`
      def main(A: T.Buffer((4,), "float32"), A_1: T.Buffer((8,), "float32")):
          T.func_attr({"tir.noalias": True})
          A_1[0] = A[0]
    `));
  });

  it("turns name hints into identifiers that do not shadow T, I, range or keywords", () => {
    const names = ["a.b", "", "0x", "T", "for", "range", "x-y"].map((n) => new Var(n));
    const e = names.slice(1).reduce<import("../../src/ir/expr.js").PrimExpr>((acc, v) => E.add(acc, v), names[0]!);
    expect(printScript(new Evaluate(e)).split("\n")).toEqual([
      "a_b = T.int32()",
      "v = T.int32()",
      "_0x = T.int32()",
      "T_1 = T.int32()",
      "for_1 = T.int32()",
      "range_1 = T.int32()",
      "x_y = T.int32()",
      "T.evaluate(a_b + v + _0x + T_1 + for_1 + range_1 + x_y)",
    ]);
  });

  it("declares free variables of a fragment by dtype and kind", () => {
    const v = new Var("v", int64), s = new SizeVar("s"), h = new Var("p", handle, { elementType: float32, storageScope: "shared" });
    expect(printScript(new Evaluate(new Call(int32, Op.get("tir.call_extern"), [new StringImm("f"), v, s, h])))).toBe(dedent(`
      v = T.int64()
      s = T.int32(is_size_var=True)
      p = T.handle("float32", "shared")
      T.call_extern("int32", "f", v, s, p)
    `));
  });
});

describe("printScript: other nodes", () => {
  it("prints buffers as declarations, regions and ranges as expressions", () => {
    const n = new Var("n");
    const A = new Buffer("A", float16, [n, c(4)], { scope: "local" });
    expect(printScript(A)).toBe('n = T.int32()\nA = T.Buffer((n, 4), "float16", scope="local")');
    expect(printScript(rg(A, [0, n], [2, 1]))).toBe("A[0:n, 2]");
    expect(printScript(new Range(c(2), c(8)))).toBe("I.Range(2, 10)");
    expect(printScript(S(new Var("vi"), 8))).toBe('T.iter_var(vi, T.Range(0, 8), "DataPar", "")');
    expect(String(new Range(c(0), n))).toBe("I.Range(0, n)");
  });

  it("rejects nodes it cannot print with a message naming them", () => {
    expect(() => printScript(Op.get("tir.exp"))).toThrow("printScript: cannot print a node of kind Op; expected a PrimFunc, IRModule, Stmt, PrimExpr");
    expect(() => printScript(func([buf("A", [1])], new Evaluate(c(0)), { global_symbol: "main", bad: () => 1 }))).toThrow(
      'printScript: function "main": key "bad": cannot print a function as an annotation value',
    );
  });
});

describe("printScript: highlight", () => {
  it("marks a block's header line with carets aligned under it", () => {
    const f = tiledMatmul();
    const realize = findFirst(f.body, "BlockRealize");
    const lines = printScript(f, { highlight: [realize] }).split("\n");
    const at = lines.findIndex((l) => l.includes('with T.block("C"):'));
    expect(lines[at]).toBe(" ".repeat(16) + 'with T.block("C"):');
    expect(lines[at + 1]).toBe(" ".repeat(16) + "^".repeat(18));
    expect(lines[at + 2]).toBe(" ".repeat(20) + "vi = T.axis.spatial(1024, i_0_j_0_fused // 16 * 32 + i_1)");
    expect(lines.filter((l) => l.includes("^"))).toHaveLength(1);
    // the Block itself marks the same line
    expect(printScript(f, { highlight: [(realize as BlockRealize).block] })).toBe(printScript(f, { highlight: [realize] }));
  });

  it("marks the T.grid line when any of its loops is highlighted", () => {
    const f = tiledMatmul();
    const inner = findAll(f.body, "For")[2]!; // i_1, the second loop of `for k, i_1 in T.grid(...)`
    const lines = printScript(f, { highlight: [inner] }).split("\n");
    const at = lines.findIndex((l) => l.includes("for k, i_1 in T.grid(1024, 32):"));
    expect(lines[at + 1]).toBe("        " + "^".repeat("for k, i_1 in T.grid(1024, 32):".length));
  });

  it("underlines highlighted expressions where they are printed", () => {
    const x = new Var("x"), y = new Var("y");
    const sum = new Add(x, y);
    const e = new Mul(sum, new Var("z"));
    expect(printScript(e, { highlight: [sum] })).toBe("(x + y) * z\n ^^^^^");
    const A = buf("A", [8]);
    const s = st(A, E.cast(float32, sum), x);
    expect(printScript(s, { highlight: [sum, A] }).split("\n").slice(-2)).toEqual([
      'A[x] = T.Cast("float32", x + y)',
      "^                        ^^^^^",
    ]);
  });

  it("marks the root comment when the root block is highlighted", () => {
    const f = tiledMatmul();
    const lines = printScript(f, { highlight: [f.body] }).split("\n");
    const at = lines.indexOf('    # with T.block("root"):');
    expect(lines[at + 1]).toBe("    " + "^".repeat('# with T.block("root"):'.length));
  });
});

function findAll(s: Stmt, kind: string): Stmt[] {
  const out: Stmt[] = [];
  postOrderVisitStmt(s, (x) => {
    if (x.kind === kind) out.push(x);
  });
  return out.reverse();
}
function findFirst(s: Stmt, kind: string): Stmt {
  const found = findAll(s, kind);
  if (found.length === 0) throw new Error(`no ${kind}`);
  return found[found.length - 1]!;
}
