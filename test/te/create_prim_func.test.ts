import { describe, expect, it } from "vitest";
import { Buffer, BufferRegion } from "../../src/ir/buffer.js";
import { float32, handle, int32 } from "../../src/ir/dtype.js";
import { lt, mul } from "../../src/ir/expr_ops.js";
import { Add, BufferLoad, FloatImm, IntImm, Mul, Range, Var } from "../../src/ir/expr.js";
import { structuralEqual } from "../../src/ir/structural.js";
import { PrimFunc } from "../../src/tir/function.js";
import { Block, BlockRealize, BufferStore, For, IfThenElse, IterVar, LetStmt, SeqStmt, TRUE, type Stmt } from "../../src/tir/stmt.js";
import { postOrderVisitStmt } from "../../src/tir/stmt_functor.js";
import { compute, computeMulti, createPrimFunc, max, placeholder, reduceAxis, sum, topi } from "../../src/te/index.js";
import { Rng, build, get, nd, rand, runTE } from "./te_harness.js";
import { emptyArray, fromArray, runPrimFunc, toArray } from "../../src/tir/interp/index.js";

function blocks(s: Stmt): Block[] {
  const out: Block[] = [];
  postOrderVisitStmt(s, (x) => {
    if (x instanceof Block) out.push(x);
  });
  return out;
}

describe("createPrimFunc", () => {
  it("builds exactly TVM's matmul PrimFunc", () => {
    const A = placeholder([128, 128], "float32", "A");
    const B = placeholder([128, 128], "float32", "B");
    const k = reduceAxis(128, "k");
    const C = compute([128, 128], (i, j) => sum(mul(A.at(i, k.variable), B.at(k.variable, j)), k), "C");
    const f = createPrimFunc([A, B, C]);

    // The expected function, written out node by node.
    const c = (v: number) => new IntImm(int32, v);
    const bA = new Buffer("A", float32, [c(128), c(128)]);
    const bB = new Buffer("B", float32, [c(128), c(128)]);
    const bC = new Buffer("C", float32, [c(128), c(128)]);
    const [pa, pb, pc] = ["A", "B", "C"].map((n) => new Var(n, handle));
    const [i, j, kk] = ["i", "j", "k"].map((n) => new Var(n, int32));
    const [vi, vj, vk] = ["v_i", "v_j", "v_k"].map((n) => new Var(n, int32));
    const dom = Range.fromExtent(c(128));
    const one = (v: Var) => new Range(v, c(1));
    const block = new Block({
      nameHint: "C",
      iterVars: [new IterVar(dom, vi!, "DataPar"), new IterVar(dom, vj!, "DataPar"), new IterVar(dom, vk!, "CommReduce")],
      reads: [new BufferRegion(bA, [one(vi!), one(vk!)]), new BufferRegion(bB, [one(vk!), one(vj!)])],
      writes: [new BufferRegion(bC, [one(vi!), one(vj!)])],
      init: new BufferStore(bC, new FloatImm(float32, 0), [vi!, vj!]),
      body: new BufferStore(
        bC,
        new Add(new BufferLoad(bC, [vi!, vj!]), new Mul(new BufferLoad(bA, [vi!, vk!]), new BufferLoad(bB, [vk!, vj!]))),
        [vi!, vj!],
      ),
    });
    let nest: Stmt = new BlockRealize([i!, j!, kk!], TRUE, block);
    for (const v of [kk!, j!, i!]) nest = new For(v, c(0), c(128), "serial", nest);
    const root = new Block({ nameHint: "root", body: nest });
    const expected = new PrimFunc(
      [pa!, pb!, pc!],
      BlockRealize.of(root),
      new Map([[pa!, bA], [pb!, bB], [pc!, bC]]),
      { global_symbol: "main", "tir.noalias": true },
    );
    expect(structuralEqual(f, expected)).toBe(true);

    // Names come from the fcompute's parameters; block vars are v_<name>.
    const blk = blocks(f.body).find((b) => b.nameHint === "C")!;
    expect(blk.iterVars.map((iv) => [iv.variable.name, iv.iterType])).toEqual([
      ["v_i", "DataPar"],
      ["v_j", "DataPar"],
      ["v_k", "CommReduce"],
    ]);
    expect(blk.reads.map((r) => r.buffer.name)).toEqual(["A", "B"]);
    expect(blk.writes.map((r) => r.buffer.name)).toEqual(["C"]);
    expect(blk.init).toBeInstanceOf(BufferStore);
    expect([...f.bufferMap.values()].map((b) => b.name)).toEqual(["A", "B", "C"]);
  });

  it("allocates intermediates in the root block and orders blocks topologically", () => {
    const A = placeholder([4, 8], "float32", "A");
    const B = topi.softmax(A, 1);
    const f = createPrimFunc([A, B]);
    const root = (f.body as BlockRealize).block;
    expect(root.nameHint).toBe("root");
    expect(root.iterVars).toHaveLength(0);
    expect(root.allocBuffers.map((b) => b.name)).toEqual(["T_softmax_maxelem", "T_softmax_exp", "T_softmax_expsum"]);
    expect(blocks(f.body).map((b) => b.nameHint)).toEqual(["T_softmax_maxelem", "T_softmax_exp", "T_softmax_expsum", "T_softmax_norm", "root"]);
    expect(f.params).toHaveLength(2);
  });

  it("makes repeated op names unique for blocks and buffers", () => {
    const A = placeholder([4], "float32", "A");
    const B = topi.add(topi.add(A, 1), 2);
    const f = createPrimFunc([A, B]);
    expect(blocks(f.body).map((b) => b.nameHint)).toEqual(["T_add", "T_add_1", "root"]);
    expect([...f.bufferMap.values()].map((b) => b.name)).toEqual(["A", "T_add_1"]);
  });

  it("guards a reduction's where condition with an if-statement", () => {
    const A = placeholder([6], "float32", "A");
    const k = reduceAxis(6, "k");
    // Only the first three elements count; the source is not evaluated for the others.
    const S = compute([1], () => sum(A.at(k.variable), k, lt(k.variable, 3)), "S");
    const f = createPrimFunc([A, S]);
    const blk = blocks(f.body).find((b) => b.nameHint === "S")!;
    expect(blk.body).toBeInstanceOf(IfThenElse);
    const a = fromArray([1, 2, 3, 4, 5, 6], [6]);
    const out = emptyArray([1]);
    runPrimFunc(f, [a, out]);
    expect(toArray(out)).toEqual([6]);
  });

  it("puts a multi-value reduction in one block writing every buffer", () => {
    const A = placeholder([3, 5], "float32", "A");
    const r = topi.argmax(A, 1);
    const f = createPrimFunc([A, r]);
    const blk = blocks(f.body).find((b) => b.nameHint === "A_red_temp")!;
    expect(blk.writes.map((w) => w.buffer.name)).toEqual(["A_red_temp_v0", "A_red_temp_v1"]);
    expect(blk.init).toBeInstanceOf(SeqStmt);
    expect(blk.body).toBeInstanceOf(LetStmt);
    expect(blk.reads.map((w) => w.buffer.name)).toEqual(["A"]);
  });

  it("accepts scalar Var parameters", () => {
    const n = new Var("n", int32);
    const A = placeholder([n], "float32", "A");
    const B = topi.multiply(A, 2);
    const f = createPrimFunc([A, B, n]);
    expect(f.params[2]).toBe(n);
    const rng = new Rng(3);
    const a = rand(rng, [5]);
    const [out] = runTE([A], [B], [a], [[5]], [[n, 5]]);
    expect(toArray(out!)).toEqual(toArray(a).map((x) => Math.fround(2 * x)));
  });

  it("rejects placeholders missing from the arguments", () => {
    const A = placeholder([4], "float32", "A");
    const B = placeholder([4], "float32", "B");
    const C = topi.add(A, B);
    expect(() => createPrimFunc([A, C])).toThrow(/placeholder B \[4\] is read by compute T_add but is not in the argument list/);
  });

  it("rejects argument lists without a compute, or with repeats", () => {
    const A = placeholder([4], "float32", "A");
    expect(() => createPrimFunc([A])).toThrow(/no compute tensor/);
    const B = topi.relu(A);
    expect(() => createPrimFunc([A, B, A])).toThrow(/tensor A is given twice/);
  });

  it("writes the reducer identity in init (max uses the lowest finite value)", () => {
    const A = placeholder([2, 3], "float32", "A");
    const k = reduceAxis(3, "k");
    const M = compute([2], (i) => max(A.at(i, k.variable), k), "M");
    const f = createPrimFunc([A, M]);
    const blk = blocks(f.body).find((b) => b.nameHint === "M")!;
    const init = blk.init as BufferStore;
    expect((init.value as FloatImm).value).toBe(-3.4028234663852886e38);
    const rng = new Rng(9);
    const a = rand(rng, [2, 3]);
    const ra = nd(a);
    const [out] = runTE([A], [M], [a], [[2]]);
    expect(toArray(out!)).toEqual(build([2], ([i]) => Math.max(get(ra, [i!, 0]), get(ra, [i!, 1]), get(ra, [i!, 2]))).data);
  });

  it("keeps multi-output elementwise computes in one block", () => {
    const A = placeholder([4], "float32", "A");
    const [P, Q] = computeMulti([4], (i) => [A.at(i), mul(A.at(i), A.at(i))], "PQ");
    const f = createPrimFunc([A, P!, Q!]);
    const blk = blocks(f.body).find((b) => b.nameHint === "PQ")!;
    expect(blk.writes.map((w) => w.buffer.name)).toEqual(["PQ_v0", "PQ_v1"]);
  });
});
