import { describe, expect, it } from "vitest";
import { float32, int32 } from "../../src/ir/dtype.js";
import { IntImm, Var, Let, Range } from "../../src/ir/expr.js";
import { Buffer } from "../../src/ir/buffer.js";
import * as E from "../../src/ir/expr_ops.js";
import { structuralEqual, structuralHash } from "../../src/ir/structural.js";
import { BufferStore, For, Block, BlockRealize, IterVar } from "../../src/tir/stmt.js";
import { PrimFunc } from "../../src/tir/function.js";
import { BufferRegion } from "../../src/ir/buffer.js";

const c = (v: number) => new IntImm(int32, v);

function copyFunc(): PrimFunc {
  // B[i] = A[i] * 2 over a block, built fresh each call (fresh vars and buffers)
  const A = new Buffer("A", float32, [c(16)]);
  const B = new Buffer("B", float32, [c(16)]);
  const a = new Var("a", A.data.dtype), b = new Var("b", B.data.dtype);
  const i = new Var("i", int32), vi = new Var("vi", int32);
  const block = new Block({
    nameHint: "B",
    iterVars: [new IterVar(Range.fromExtent(c(16)), vi, "DataPar")],
    reads: [new BufferRegion(A, [new Range(vi, c(1))])],
    writes: [new BufferRegion(B, [new Range(vi, c(1))])],
    body: new BufferStore(B, E.mul(E.load(A, [vi]), 2), [vi]),
  });
  const loop = new For(i, c(0), c(16), "serial", BlockRealize.of(block, [i]));
  return new PrimFunc([a, b], loop, new Map([[a, A], [b, B]]));
}

describe("structural equality", () => {
  it("compares bound variables and buffers by position", () => {
    const f = copyFunc(), g = copyFunc();
    expect(f).not.toBe(g);
    expect(structuralEqual(f, g)).toBe(true);
    expect(structuralHash(f)).toBe(structuralHash(g));
  });
  it("detects a changed constant, block name or loop kind", () => {
    const f = copyFunc();
    const loop = f.body as For;
    expect(structuralEqual(f, f.with({ body: loop.with({ forKind: "parallel" }) }))).toBe(false);
    expect(structuralEqual(f, f.with({ body: loop.with({ extent: c(8) }) }))).toBe(false);
    const br = loop.body as BlockRealize;
    const renamed = new BlockRealize(br.iterValues, br.predicate, br.block.with({ nameHint: "C" }));
    expect(structuralEqual(f, f.with({ body: loop.with({ body: renamed }) }))).toBe(false);
  });
  it("keeps free variables distinct unless asked to map them", () => {
    const x = new Var("x"), y = new Var("y");
    expect(structuralEqual(E.add(x, 1), E.add(y, 1))).toBe(false);
    expect(structuralEqual(E.add(x, 1), E.add(y, 1), { mapFreeVars: true })).toBe(true);
    expect(structuralEqual(E.add(x, x), E.add(y, new Var("z")), { mapFreeVars: true })).toBe(false);
  });
  it("maps let-bound variables by position", () => {
    const x = new Var("x"), y = new Var("y");
    expect(structuralEqual(new Let(x, c(1), E.add(x, 2)), new Let(y, c(1), E.add(y, 2)))).toBe(true);
    expect(structuralEqual(new Let(x, c(1), E.add(x, 2)), new Let(y, c(1), E.add(x, 2)))).toBe(false);
  });
  it("hashes are stable for shared subtrees", () => {
    const x = new Var("x");
    const e = E.mul(E.add(x, 1), E.add(x, 1));
    expect(structuralHash(e)).toBe(structuralHash(E.mul(E.add(x, 1), E.add(x, 1))));
    expect(structuralHash(E.add(x, 1))).not.toBe(structuralHash(E.add(x, 2)));
  });
});
