import { describe, expect, it } from "vitest";
import { Buffer } from "../../src/ir/buffer.js";
import { bool, float16, float32, handle } from "../../src/ir/dtype.js";
import { Range, Var } from "../../src/ir/expr.js";
import * as E from "../../src/ir/expr_ops.js";
import { PrimFunc } from "../../src/tir/function.js";
import { Block, BlockRealize, Evaluate, For, IterVar, MatchBufferRegion, type IterVarType } from "../../src/tir/stmt.js";
import { printScript } from "../../src/tir/script/index.js";
import { R, S, block, buf, c, dedent, ld, loop, pt, rg, root, st } from "./printer_helpers.js";

const iv = (v: Var, min: number, extent: number, t: IterVarType) => new IterVar(new Range(c(min), c(extent)), v, t);
const e0 = new Evaluate(c(0));

/** The lines of a block printed inside its loops, without the loop headers. */
function blockLines(text: string, name: string): string {
  const lines = text.split("\n");
  const at = lines.findIndex((l) => l.includes(`T.block("${name}"`));
  const indent = lines[at]!.length - lines[at]!.trimStart().length;
  return lines.slice(at).map((l) => l.slice(indent)).join("\n");
}

describe("printScript: block iter vars", () => {
  const i = new Var("i"), j = new Var("j"), k = new Var("k"), l = new Var("l");
  const vi = new Var("vi"), vj = new Var("vj"), vk = new Var("vk"), vl = new Var("vl"), vx = new Var("vx");

  it("groups consecutive remappable vars and splits groups at a var that is not", () => {
    const b = block({
      name: "b",
      iters: [[S(vi, 8), i], [S(vj, 8), j], [S(vx, 16), E.add(i, j)], [R(vk, 4), k], [S(vl, 2), l]],
      body: e0,
    });
    const text = printScript(loop(i, 8, loop(j, 8, loop(k, 4, loop(l, 2, b)))));
    expect(text.split("\n")[0]).toBe("for i, j, k, l in T.grid(8, 8, 4, 2):");
    expect(blockLines(text, "b")).toBe(dedent(`
      with T.block("b"):
          vi, vj = T.axis.remap("SS", [i, j])
          vx = T.axis.spatial(16, i + j)
          vk, vl = T.axis.remap("RS", [k, l])
          T.reads()
          T.writes()
          T.evaluate(0)
    `));
  });

  it("prints a group of one as a single var and never remaps across a gap", () => {
    const b = block({ name: "b", iters: [[S(vi, 8), i], [S(vj, 16), E.mul(j, 2)], [R(vk, 4), k]], body: e0 });
    expect(blockLines(printScript(loop(i, 8, loop(j, 8, loop(k, 4, b)))), "b")).toContain(dedent(`
      vi = T.axis.spatial(8, i)
      vj = T.axis.spatial(16, j * 2)
      vk = T.axis.reduce(4, k)
    `).replace(/^/gm, "    "));
  });

  it("does not remap when the extent differs from the loop's, or the binding is not a loop var", () => {
    const n = new Var("n");
    const b = block({ name: "b", iters: [[S(vi, 4), i], [S(vj, 8), j], [S(vk, 8), n]], body: e0 });
    const text = printScript(loop(i, 8, loop(j, 8, b)));
    expect(blockLines(text, "b").split("\n").slice(1, 4)).toEqual([
      "    vi = T.axis.spatial(4, i)",
      "    vj = T.axis.spatial(8, j)",
      "    vk = T.axis.spatial(8, n)",
    ]);
    expect(text.split("\n")[0]).toBe("n = T.int32()");
  });

  it("prints non-zero domains as (min, max), remapping loops with the same bounds", () => {
    const b = block({ name: "b", iters: [[iv(vi, 2, 8, "DataPar"), i], [iv(vj, 2, 8, "CommReduce"), j]], body: e0 });
    const loops = new For(i, c(2), c(8), "serial", new For(j, c(2), c(8), "serial", b));
    expect(blockLines(printScript(loops), "b").split("\n")[1]).toBe('    vi, vj = T.axis.remap("SR", [i, j])');
    const single = block({ name: "b", iters: [[iv(vi, 2, 8, "DataPar"), i], [iv(vj, 0, 8, "DataPar"), E.add(j, 1)]], body: e0 });
    const text = printScript(new For(i, c(2), c(8), "serial", loop(j, 8, single)));
    expect(blockLines(text, "b").split("\n").slice(1, 3)).toEqual(["    vi = T.axis.spatial((2, 10), i)", "    vj = T.axis.spatial(8, j + 1)"]);
  });

  it("prints scan and opaque iter vars, never remapped", () => {
    const b = block({ name: "b", iters: [[iv(vi, 0, 8, "Ordered"), i], [iv(vj, 0, 8, "Opaque"), j]], body: e0 });
    expect(blockLines(printScript(loop(i, 8, loop(j, 8, b))), "b").split("\n").slice(1, 3)).toEqual([
      "    vi = T.axis.scan(8, i)",
      "    vj = T.axis.opaque(8, j)",
    ]);
  });

  it("prints T.where for a non-trivial predicate", () => {
    const b = block({ name: "b", iters: [[S(vi, 10), E.add(E.mul(i, 4), j)]], where: E.lt(E.add(E.mul(i, 4), j), 10), body: e0 });
    expect(blockLines(printScript(loop(i, 3, loop(j, 4, b))), "b").split("\n").slice(1, 3)).toEqual([
      "    vi = T.axis.spatial(10, i * 4 + j)",
      "    T.where(i * 4 + j < 10)",
    ]);
  });

  it("names the block when an iter var kind cannot be written in a block", () => {
    const b = block({ name: "bad", iters: [[new IterVar(Range.fromExtent(c(8)), vi, "ThreadIndex", "threadIdx.x"), i]], body: e0 });
    expect(() => printScript(loop(i, 8, b))).toThrow(
      'printScript: block "bad": iter var vi has type ThreadIndex, which a block cannot declare (expected DataPar, CommReduce, Ordered or Opaque)',
    );
    // toString never throws: it reports what could not be printed instead
    expect(String(b)).toBe(
      '<BlockRealize: printScript: block "bad": iter var vi has type ThreadIndex, which a block cannot declare (expected DataPar, CommReduce, Ordered or Opaque)>',
    );
    const f = new PrimFunc([], root(loop(i, 8, b)), new Map(), { global_symbol: "kernel" });
    expect(() => printScript(f)).toThrow(
      'printScript: function "kernel": block "bad": iter var vi has type ThreadIndex, which a block cannot declare',
    );
  });
});

describe("printScript: block contents", () => {
  it("prints regions, attributes, local buffers, match_buffer and init in TVM's order", () => {
    const A = buf("A", [64, 1024]), C = buf("C", [64]);
    const vo = new Var("vo"), vk = new Var("vk"), o = new Var("o"), kk = new Var("k");
    const sub = new Buffer("A_sub", float32, [c(16), c(1024)]);
    const local = new Buffer("acc", float16, [c(16)], { scope: "shared" });
    const idx = E.mul(vo, 16);
    const blk = new BlockRealize([o, kk], c(1, bool), new Block({
      nameHint: "C",
      iterVars: [S(vo, 4), R(vk, 1024)],
      reads: [rg(A, [idx, 16], [0, 1024])],
      writes: [rg(C, [idx, 16])],
      annotations: { schedule_rule: "None", auto_unroll: 16, array: [1, "x", true] },
      allocBuffers: [local],
      matchBuffers: [new MatchBufferRegion(sub, rg(A, [idx, 16], [0, 1024]))],
      init: st(C, E.constant(0, float32), idx),
      body: st(C, E.add(ld(C, idx), ld(sub, 0, vk)), idx),
    }));
    const Cparam = new Var("C", handle), Aparam = new Var("A", handle);
    const f = new PrimFunc([Aparam, Cparam], loop(o, 4, loop(kk, 1024, blk)), new Map([[Aparam, A], [Cparam, C]]), { global_symbol: "main" });
    expect(blockLines(printScript(f), "C")).toBe(dedent(`
      with T.block("C"):
          vo, vk = T.axis.remap("SR", [o, k])
          T.reads(A[vo * 16:vo * 16 + 16, 0:1024])
          T.writes(C[vo * 16:vo * 16 + 16])
          T.block_attr({"array": [1, "x", True], "auto_unroll": 16, "schedule_rule": "None"})
          acc = T.alloc_buffer((16,), "float16", scope="shared")
          A_sub = T.match_buffer(A[vo * 16:vo * 16 + 16, 0:1024], (16, 1024))
          with T.init():
              C[vo * 16] = T.float32(0.0)
          C[vo * 16] = C[vo * 16] + A_sub[0, vk]
    `));
  });

  it("prints a block without realize with no_realize=True, and an unnamed block", () => {
    const vi = new Var("vi");
    const b = new Block({ nameHint: "", iterVars: [S(vi, 8)], body: e0 });
    expect(printScript(b)).toBe(dedent(`
      with T.block("", no_realize=True):
          vi = T.axis.spatial(8)
          T.reads()
          T.writes()
          T.evaluate(0)
    `));
  });

  it("declares a new shape variable of a block-local buffer inside the block", () => {
    const n = new Var("n");
    const tmp = buf("tmp", [n]);
    const text = printScript(block({ name: "b", alloc: [tmp], body: st(tmp, E.constant(0, float32), 0) }));
    expect(text).toBe(dedent(`
      with T.block("b"):
          T.reads()
          T.writes()
          n = T.int32()
          tmp = T.alloc_buffer((n,))
          tmp[0] = T.float32(0.0)
    `));
  });
});
