import { describe, expect, it } from "vitest";
import { float32, handle, int32, int64 } from "../../src/ir/dtype.js";
import { Buffer, BufferRegion } from "../../src/ir/buffer.js";
import { IntImm, PrimExpr, Range, StringImm, Var } from "../../src/ir/expr.js";
import * as E from "../../src/ir/expr_ops.js";
import { substitute } from "../../src/ir/expr_functor.js";
import { Analyzer } from "../../src/arith/analyzer.js";
import { knownEqual } from "../../src/arith/linear_facts.js";
import {
  Block, BlockRealize, BufferStore, Evaluate, For, IfThenElse, IterVar, LetStmt, MatchBufferRegion, SeqStmt, type Stmt,
} from "../../src/tir/stmt.js";
import { getBlockAccessRegion, getBlockReadWriteRegion } from "../../src/tir/block_access.js";

const c = (v: number) => new IntImm(int32, v);
const f32 = (v: number) => E.constant(v, float32);
const buf = (name: string, ...shape: number[]) => new Buffer(name, float32, shape.map(c));
const iv = (v: Var, extent: number, t: "DataPar" | "CommReduce" = "DataPar") => new IterVar(Range.fromExtent(c(extent)), v, t);
const ld = (b: Buffer, ...idx: E.ExprLike[]) => E.load(b, idx);
const st = (b: Buffer, value: PrimExpr, ...idx: E.ExprLike[]) => new BufferStore(b, value, idx.map((i) => E.convert(i)));
const loop = (v: Var, extent: number, body: Stmt) => new For(v, c(0), c(extent), "serial", body);

/** Integer evaluation of index expressions, for comparing symbolic regions numerically. */
function evalInt(e: PrimExpr, env: Map<Var, number>): number {
  const x = substitute(e, (v) => (env.has(v) ? c(env.get(v)!) : undefined));
  const r = new Analyzer().simplify(x);
  if (r instanceof IntImm) return r.value;
  return evalFold(r);
}
function evalFold(e: PrimExpr): number {
  const k = e.kind;
  if (e instanceof IntImm) return e.value;
  const b = e as unknown as { a: PrimExpr; b: PrimExpr };
  const A = () => evalFold(b.a), B = () => evalFold(b.b);
  switch (k) {
    case "Add": return A() + B();
    case "Sub": return A() - B();
    case "Mul": return A() * B();
    case "FloorDiv": return Math.floor(A() / B());
    case "FloorMod": { const y = B(); return ((A() % y) + y) % y; }
    case "Min": return Math.min(A(), B());
    case "Max": return Math.max(A(), B());
    default: throw new Error(`evalFold: unexpected ${k}`);
  }
}

/** Each range in `actual` equals [min, extent) of `expected` (compared by linear reasoning). */
function expectRegion(actual: BufferRegion | undefined, buffer: Buffer, expected: [E.ExprLike, E.ExprLike][]): void {
  expect(actual, `region of ${buffer.name}`).toBeDefined();
  expect(actual!.buffer).toBe(buffer);
  expect(actual!.region.length).toBe(expected.length);
  actual!.region.forEach((r, i) => {
    const [m, x] = expected[i]!.map((v) => E.convert(v)) as [PrimExpr, PrimExpr];
    expect(knownEqual(r.min, m), `${buffer.name} dim ${i} min`).toBe(true);
    expect(knownEqual(r.extent, x), `${buffer.name} dim ${i} extent`).toBe(true);
  });
}
const point = (...idx: E.ExprLike[]): [E.ExprLike, E.ExprLike][] => idx.map((i) => [i, 1]);

describe("getBlockReadWriteRegion", () => {
  it("matmul update block: the accumulator is written, not read", () => {
    const A = buf("A", 128, 128), B = buf("B", 128, 128), C = buf("C", 128, 128);
    const vi = new Var("vi"), vj = new Var("vj"), vk = new Var("vk");
    const block = new Block({
      nameHint: "matmul",
      iterVars: [iv(vi, 128), iv(vj, 128), iv(vk, 128, "CommReduce")],
      init: st(C, f32(0), vi, vj),
      body: st(C, E.add(ld(C, vi, vj), E.mul(ld(A, vi, vk), ld(B, vk, vj))), vi, vj),
    });
    const { reads, writes } = getBlockReadWriteRegion(block);
    expect(reads.map((r) => r.buffer.name)).toEqual(["A", "B"]);
    expect(writes.map((r) => r.buffer.name)).toEqual(["C"]);
    // point accesses keep the index expressions themselves
    expect(reads[0]!.region[0]!.min).toBe(vi);
    expect(reads[0]!.region[1]!.min).toBe(vk);
    expect(reads[1]!.region[0]!.min).toBe(vk);
    expect((reads[0]!.region[0]!.extent as IntImm).value).toBe(1);
    expectRegion(writes[0], C, point(vi, vj));
  });

  it("without an init the accumulator is read as well, in first-visit order", () => {
    const A = buf("A", 8, 8), C = buf("C", 8);
    const vi = new Var("vi"), vk = new Var("vk");
    const block = new Block({
      nameHint: "rowsum",
      iterVars: [iv(vi, 8), iv(vk, 8, "CommReduce")],
      body: st(C, E.add(ld(C, vi), ld(A, vi, vk)), vi),
    });
    const { reads, writes } = getBlockReadWriteRegion(block);
    expect(reads.map((r) => r.buffer.name)).toEqual(["C", "A"]);
    expectRegion(reads[1], A, point(vi, vk));
    expectRegion(writes[0], C, point(vi));
  });

  it("softmax: four blocks", () => {
    const A = buf("A", 16, 32), M = buf("M", 16), Ex = buf("E", 16, 32), S = buf("S", 16), O = buf("O", 16, 32);
    const i = new Var("vi"), k = new Var("vk"), j = new Var("vj");
    const maxBlock = new Block({
      nameHint: "maxelem",
      iterVars: [iv(i, 16), iv(k, 32, "CommReduce")],
      init: st(M, E.minValue(float32), i),
      body: st(M, E.max(ld(M, i), ld(A, i, k)), i),
    });
    const expBlock = new Block({
      nameHint: "exp",
      iterVars: [iv(i, 16), iv(j, 32)],
      body: st(Ex, E.exp(E.sub(ld(A, i, j), ld(M, i))), i, j),
    });
    const sumBlock = new Block({
      nameHint: "expsum",
      iterVars: [iv(i, 16), iv(k, 32, "CommReduce")],
      init: st(S, f32(0), i),
      body: st(S, E.add(ld(S, i), ld(Ex, i, k)), i),
    });
    const normBlock = new Block({
      nameHint: "norm",
      iterVars: [iv(i, 16), iv(j, 32)],
      body: st(O, E.div(ld(Ex, i, j), ld(S, i)), i, j),
    });
    const r1 = getBlockReadWriteRegion(maxBlock);
    expect(r1.reads.map((r) => r.buffer.name)).toEqual(["A"]);
    expectRegion(r1.reads[0], A, point(i, k));
    expectRegion(r1.writes[0], M, point(i));
    const r2 = getBlockReadWriteRegion(expBlock);
    expect(r2.reads.map((r) => r.buffer.name)).toEqual(["A", "M"]);
    expectRegion(r2.reads[1], M, point(i));
    expectRegion(r2.writes[0], Ex, point(i, j));
    const r3 = getBlockReadWriteRegion(sumBlock);
    expect(r3.reads.map((r) => r.buffer.name)).toEqual(["E"]);
    expectRegion(r3.writes[0], S, point(i));
    const r4 = getBlockReadWriteRegion(normBlock);
    expect(r4.reads.map((r) => r.buffer.name)).toEqual(["E", "S"]);
    expectRegion(r4.writes[0], O, point(i, j));
  });

  it("padding block: the guarded load is a point access", () => {
    const A = buf("A", 1, 3, 28, 28), P = buf("P", 1, 3, 30, 30);
    const [n, ch, h, w] = ["vn", "vc", "vh", "vw"].map((s) => new Var(s));
    const inside = E.and(E.and(E.le(1, h!), E.lt(h!, 29)), E.and(E.le(1, w!), E.lt(w!, 29)));
    const block = new Block({
      nameHint: "pad",
      iterVars: [iv(n!, 1), iv(ch!, 3), iv(h!, 30), iv(w!, 30)],
      body: st(P, E.ifThenElse(inside, ld(A, n!, ch!, E.sub(h!, 1), E.sub(w!, 1)), f32(0)), n!, ch!, h!, w!),
    });
    const { reads, writes } = getBlockReadWriteRegion(block);
    expect(reads.length).toBe(1);
    expectRegion(reads[0], A, point(n!, ch!, E.sub(h!, 1), E.sub(w!, 1)));
    expectRegion(writes[0], P, point(n!, ch!, h!, w!));
  });

  it("conv with padding and kernel loops inside the block: the guard narrows the rows read", () => {
    const A = buf("A", 28, 28), W = buf("W", 3, 3), O = buf("O", 28, 28);
    const vh = new Var("vh"), vw = new Var("vw"), kh = new Var("kh"), kw = new Var("kw");
    const hh = E.add(vh, kh), ww = E.add(vw, kw);
    const guard = E.and(E.and(E.le(1, hh), E.lt(hh, 29)), E.and(E.le(1, ww), E.lt(ww, 29)));
    const val = E.mul(E.ifThenElse(guard, ld(A, E.sub(hh, 1), E.sub(ww, 1)), f32(0)), ld(W, kh, kw));
    const block = new Block({
      nameHint: "conv",
      iterVars: [iv(vh, 28), iv(vw, 28)],
      init: st(O, f32(0), vh, vw),
      body: loop(kh, 3, loop(kw, 3, st(O, E.add(ld(O, vh, vw), val), vh, vw))),
    });
    const { reads, writes } = getBlockReadWriteRegion(block);
    expect(reads.map((r) => r.buffer.name)).toEqual(["A", "W"]);
    expectRegion(reads[1], W, [[0, 3], [0, 3]]);
    expectRegion(writes[0], O, point(vh, vw));
    // The rows actually touched for each output row, compared numerically.
    const rows = reads[0]!.region[0]!;
    for (let h = 0; h < 28; h++) {
      const env = new Map([[vh, h]]);
      const lo = Math.max(0, h - 1), hi = Math.min(27, h + 1);
      expect([evalInt(rows.min, env), evalInt(rows.extent, env)], `vh=${h}`).toEqual([lo, hi - lo + 1]);
    }
  });

  it("a loop inside the block is relaxed over its range", () => {
    const A = buf("A", 256), B = buf("B", 16);
    const vi = new Var("vi"), k = new Var("k");
    const block = new Block({
      nameHint: "sum16",
      iterVars: [iv(vi, 16)],
      body: loop(k, 16, st(B, E.add(ld(B, vi), ld(A, E.add(E.mul(vi, 16), k))), vi)),
    });
    const { reads, writes } = getBlockReadWriteRegion(block);
    expect(reads.map((r) => r.buffer.name)).toEqual(["B", "A"]);
    expectRegion(reads[1], A, [[E.mul(vi, 16), 16]]);
    expectRegion(writes[0], B, point(vi));
  });

  it("unions the regions of one buffer and narrows by if-conditions", () => {
    const A = buf("A", 64), B = buf("B", 64);
    const vi = new Var("vi"), k = new Var("k");
    const block = new Block({
      nameHint: "stencil",
      iterVars: [iv(vi, 62)],
      body: new SeqStmt([
        st(B, E.add(ld(A, vi), ld(A, E.add(vi, 2))), vi),
        loop(k, 16, new IfThenElse(E.lt(k, 10), st(B, ld(A, E.add(k, 50)), E.add(vi, 1)), st(B, ld(A, k), vi))),
      ]),
    });
    const { reads, writes } = getBlockReadWriteRegion(block);
    // A[vi], A[vi+2] -> [vi, vi+2]; A[k+50] for k < 10 -> [50, 59]; A[k] for k >= 10 -> [10, 15]
    const r = reads[0]!.region[0]!;
    for (let v = 0; v < 62; v++) {
      const env = new Map([[vi, v]]);
      const lo = Math.min(v, 10), hi = Math.max(v + 2, 59);
      expect([evalInt(r.min, env), evalInt(r.extent, env)], `vi=${v}`).toEqual([lo, hi - lo + 1]);
    }
    expectRegion(writes[0], B, [[vi, 2]]);
  });

  it("let-bound values are substituted into indices", () => {
    const A = buf("A", 64), B = buf("B", 16);
    const vi = new Var("vi"), x = new Var("x");
    const block = new Block({
      nameHint: "let",
      iterVars: [iv(vi, 16)],
      body: new LetStmt(x, E.mul(vi, 4), st(B, ld(A, E.add(x, 3)), vi)),
    });
    const { reads } = getBlockReadWriteRegion(block);
    expectRegion(reads[0], A, point(E.add(E.mul(vi, 4), 3)));
  });

  it("buffers allocated in the block or in nested blocks are left out", () => {
    const A = buf("A", 16), B = buf("B", 16), T1 = buf("T1", 16), T2 = buf("T2", 4);
    const vi = new Var("vi"), i = new Var("i"), wi = new Var("wi");
    const inner = new Block({
      nameHint: "inner",
      iterVars: [iv(wi, 16)],
      allocBuffers: [T2],
      body: new SeqStmt([st(T2, ld(A, wi), 0), st(T1, ld(T2, 0), wi)]),
    });
    const outer = new Block({
      nameHint: "outer",
      iterVars: [iv(vi, 1)],
      allocBuffers: [T1],
      body: new SeqStmt([loop(i, 16, BlockRealize.of(inner, [i])), loop(i, 16, st(B, ld(T1, i), i))]),
    });
    const { reads, writes } = getBlockReadWriteRegion(outer);
    expect(reads.map((r) => r.buffer.name)).toEqual(["A"]);
    expectRegion(reads[0], A, [[0, 16]]);
    expect(writes.map((r) => r.buffer.name)).toEqual(["B"]);
    expectRegion(writes[0], B, [[0, 16]]);
  });

  it("a nested block's declared regions are relaxed over its bindings and the loops between", () => {
    const A = buf("A", 64, 64), B = buf("B", 64, 64);
    const vo = new Var("vo"), j = new Var("j"), ui = new Var("ui"), uj = new Var("uj");
    const inner = new Block({
      nameHint: "inner",
      iterVars: [iv(ui, 64), iv(uj, 64)],
      reads: [new BufferRegion(A, [new Range(ui, c(1)), new Range(E.mul(uj, 2), c(2))])],
      writes: [new BufferRegion(B, [new Range(ui, c(1)), new Range(uj, c(1))])],
      body: st(B, E.add(ld(A, ui, E.mul(uj, 2)), ld(A, ui, E.add(E.mul(uj, 2), 1))), ui, uj),
    });
    const outer = new Block({
      nameHint: "outer",
      iterVars: [iv(vo, 8)],
      body: loop(j, 8, BlockRealize.of(inner, [E.add(E.mul(vo, 8), j), c(5)])),
    });
    const { reads, writes } = getBlockReadWriteRegion(outer);
    expectRegion(reads[0], A, [[E.mul(vo, 8), 8], [10, 2]]);
    expectRegion(writes[0], B, [[E.mul(vo, 8), 8], [5, 1]]);
  });

  it("a nested reduction block without declared regions is completed first", () => {
    const A = buf("A", 16, 16), C = buf("C", 16);
    const vo = new Var("vo"), i = new Var("i"), k = new Var("k"), ui = new Var("ui"), uk = new Var("uk");
    const inner = new Block({
      nameHint: "sum",
      iterVars: [iv(ui, 16), iv(uk, 16, "CommReduce")],
      init: st(C, f32(0), ui),
      body: st(C, E.add(ld(C, ui), ld(A, ui, uk)), ui),
    });
    const outer = new Block({
      nameHint: "outer",
      iterVars: [iv(vo, 4)],
      body: loop(i, 4, loop(k, 16, BlockRealize.of(inner, [E.add(E.mul(vo, 4), i), k]))),
    });
    const { reads, writes } = getBlockReadWriteRegion(outer);
    expect(reads.map((r) => r.buffer.name)).toEqual(["A"]);
    expectRegion(reads[0], A, [[E.mul(vo, 4), 4], [0, 16]]);
    expectRegion(writes[0], C, [[E.mul(vo, 4), 4]]);
  });

  it("accesses through a match_buffer map back to the matched region", () => {
    const A = buf("A", 4, 64), B = buf("B", 4, 64);
    const sub = buf("S", 16);
    const vi = new Var("vi"), vo = new Var("vo"), k = new Var("k");
    const block = new Block({
      nameHint: "tile",
      iterVars: [iv(vi, 4), iv(vo, 4)],
      matchBuffers: [new MatchBufferRegion(sub, new BufferRegion(A, [new Range(vi, c(1)), new Range(E.mul(vo, 16), c(16))]))],
      body: loop(k, 8, st(B, ld(sub, E.add(k, 4)), vi, vo)),
    });
    const { reads } = getBlockReadWriteRegion(block);
    expectRegion(reads[0], A, [[vi, 1], [E.add(E.mul(vo, 16), 4), 8]]);
  });

  it("opaque uses of a buffer's data pointer count as full reads and writes", () => {
    const A = buf("A", 32), B = buf("B", 32);
    const vi = new Var("vi");
    const call = E.callIntrin("tir.call_extern", [new StringImm("kernel"), A.data], int32);
    const block = new Block({
      nameHint: "extern",
      iterVars: [iv(vi, 32)],
      body: new SeqStmt([new Evaluate(call), st(B, ld(A, vi), vi)]),
    });
    const { reads, writes } = getBlockReadWriteRegion(block);
    expect(reads.map((r) => r.buffer.name)).toEqual(["A"]);
    expectRegion(reads[0], A, [[0, 32]]);
    expect(writes.map((r) => r.buffer.name)).toEqual(["B", "A"]);
    const acc = getBlockAccessRegion(block);
    expect(acc.opaque.map((r) => r.buffer)).toEqual([A]);
    // a handle that is no buffer's data pointer is ignored
    const h = new Var("h", handle);
    const other = block.with({ body: new Evaluate(E.callIntrin("tir.call_extern", [new StringImm("k"), h], int32)) });
    expect(getBlockAccessRegion(other).opaque).toEqual([]);
  });

  it("an unbounded index falls back to the buffer's extent", () => {
    const A = buf("A", 32), B = buf("B", 32);
    const vi = new Var("vi"), k = new Var("k");
    const block = new Block({
      nameHint: "gather",
      iterVars: [iv(vi, 32)],
      body: loop(k, 4, st(B, ld(A, E.cast(int32, ld(B, k))), vi)),
    });
    const { reads } = getBlockReadWriteRegion(block);
    expect(reads.map((r) => r.buffer.name)).toEqual(["A", "B"]);
    expectRegion(reads[0], A, [[0, 32]]);
    expectRegion(reads[1], B, [[0, 4]]);
  });

  it("int64 indices and loops", () => {
    const A = new Buffer("A", float32, [E.constant(1024, int64)]), B = new Buffer("B", float32, [E.constant(64, int64)]);
    const vi = new Var("vi", int64), k = new Var("k", int64);
    const block = new Block({
      nameHint: "wide",
      iterVars: [new IterVar(Range.fromExtent(E.constant(64, int64)), vi, "DataPar")],
      body: new For(k, E.constant(0, int64), E.constant(16, int64), "serial", st(B, ld(A, E.add(E.mul(vi, 16), k)), vi)),
    });
    const { reads } = getBlockReadWriteRegion(block);
    expect(reads[0]!.region[0]!.min.dtype).toBe(int64);
    expectRegion(reads[0], A, [[E.mul(vi, 16), E.constant(16, int64)]]);
  });

  it("rejects a block that is not wrapped in a BlockRealize", () => {
    const B = buf("B", 4);
    const inner = new Block({ nameHint: "stray", body: st(B, f32(1), 0) });
    const outer = new Block({ nameHint: "root", body: inner });
    expect(() => getBlockReadWriteRegion(outer)).toThrow(/block "stray" appears without a BlockRealize inside block "root"/);
  });
});
