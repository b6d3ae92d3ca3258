import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { IntImm, Range, Var } from "../../src/ir/expr.js";
import { int32, int64 } from "../../src/ir/dtype.js";
import * as E from "../../src/ir/expr_ops.js";
import { structuralEqual } from "../../src/ir/structural.js";
import { Analyzer } from "../../src/arith/analyzer.js";
import { printScript } from "../../src/tir/script/index.js";
import { IndexMap, IndexMapError } from "../../src/schedule/index.js";

const c = (n: number) => new IntImm(int32, n);
const r = (n: number) => new Range(c(0), c(n));
const texts = (xs: readonly { toString(): string }[]) => xs.map((x) => printScript(x as never));

describe("IndexMap", () => {
  it("reads lambda text and prints it back", () => {
    const m = IndexMap.parse("lambda i, j: (i // 16, j, i % 16)");
    expect(m.initialIndices.map((v) => v.name)).toEqual(["i", "j"]);
    expect(m.toText()).toBe("lambda i, j: (i // 16, j, i % 16)");
    expect(IndexMap.parse("lambda i: i * 2 + 1").toText()).toBe("lambda i: (i * 2 + 1,)");
    expect(IndexMap.parse("lambda i, j: [j, i]").toText()).toBe("lambda i, j: (j, i)");
  });

  it("builds from a TS function, naming variables after its parameters", () => {
    const f = IndexMap.fromFunc((i, j) => [j, E.floordiv(i, 4), 0]);
    expect(f.toText()).toBe("lambda i, j: (j, i // 4, 0)");
    const g = IndexMap.fromFunc(function (row, col) {
      return E.add(E.mul(row, 8), col);
    });
    expect(g.toText()).toBe("lambda row, col: (row * 8 + col,)");
    expect(IndexMap.fromFunc((...xs: Var[]) => xs.reverse(), { ndim: 3 }).toText()).toBe("lambda i0, i1, i2: (i2, i1, i0)");
  });

  it("a function and its lambda text give structurally equal maps", () => {
    const a = IndexMap.fromFunc((i, j) => [E.floordiv(i, 16), j, E.floormod(i, 16)]);
    const b = IndexMap.parse("lambda i, j: (i // 16, j, i % 16)");
    const [i, j] = [new Var("x"), new Var("y")];
    expect(a.mapIndices([i, j]).every((e, k) => structuralEqual(e, b.mapIndices([i, j])[k]))).toBe(true);
  });

  it("maps indices (simplified) and shapes", () => {
    const m = IndexMap.parse("lambda i, j: (i // 16, j, i % 16)");
    const [x, y] = [new Var("x"), new Var("y")];
    expect(texts(m.mapIndices([E.add(E.mul(x, 16), 3), y]))).toEqual(["x", "y", "3"]);
    expect(texts(m.mapShape([c(128), c(64)]))).toEqual(["8", "64", "16"]);
    expect(texts(IndexMap.parse("lambda i, j: (i * 64 + j,)").mapShape([c(128), c(64)]))).toEqual(["8192"]);
  });

  it("inverts bijective maps", () => {
    const inv = IndexMap.parse("lambda i, j: (i // 16, j, i % 16)").inverse([r(128), r(64)]);
    expect(inv.toText()).toBe("lambda axis0, axis1, axis2: (axis0 * 16 + axis2, axis1)");
    expect(IndexMap.parse("lambda i, j: (i * 128 + j,)").inverse([r(128), r(128)]).toText()).toBe("lambda axis0: (axis0 // 128, axis0 % 128)");
    expect(IndexMap.parse("lambda i, j: (j, i)").inverse([r(3), r(5)]).toText()).toBe("lambda axis0, axis1: (axis1, axis0)");
  });

  it("finds the padding of a map that is bijective only on a padded input", () => {
    const m = IndexMap.parse("lambda i: (i // 4, i % 4)");
    const { inverse, paddingPredicate } = m.nonSurjectiveInverse([r(14)]);
    expect(inverse.toText()).toBe("lambda axis0, axis1: (axis0 * 4 + axis1,)");
    expect(printScript(paddingPredicate)).toBe("14 <= axis0 * 4 + axis1");
    expect(texts(m.mapShape([c(14)]))).toEqual(["4", "4"]);
    expect(() => m.inverse([r(14)])).toThrow(/is not bijective over its input ranges: it pads where 14 <= axis0 \* 4 \+ axis1/);
  });

  it("rejects maps that are not bijective", () => {
    expect(() => IndexMap.parse("lambda i, j: (i, i)").inverse([r(4), r(4)])).toThrow(IndexMapError);
    expect(() => IndexMap.parse("lambda i: (i * 2,)").inverse([r(4)])).toThrow(/not a bijective affine map over the ranges \[0, 4\)/);
    expect(() => IndexMap.parse("lambda i, j: (i + j,)").inverse([r(4), r(4)])).toThrow(IndexMapError);
  });

  it("reports unreadable text clearly", () => {
    expect(() => IndexMap.parse("i, j")).toThrow(/expected a lambda such as "lambda i, j: \(j, i\)"/);
    expect(() => IndexMap.parse("lambda i: (i + k,)")).toThrow(/cannot read output index "i \+ k"/);
    expect(() => IndexMap.parse("lambda i, i: (i,)")).toThrow(/cannot read "lambda i, i: \(i,\)"/);
    expect(() => IndexMap.parse("lambda i: (")).toThrow(IndexMapError);
  });

  it("changes the index dtype of a map", () => {
    const m = IndexMap.parse("lambda i: (i // 4, i % 4)").withIndexDtype(int64);
    expect(m.initialIndices[0]!.dtype).toBe(int64);
    expect(m.finalIndices.every((e) => e.dtype === int64)).toBe(true);
    expect(IndexMap.parse("lambda i: (i,)", { indexDtype: int64 }).finalIndices[0]!.dtype).toBe(int64);
  });

  it("round-trips random tiling maps: text -> map -> text, and map o inverse = identity", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 5 }), (a, b, n) => {
        const text = `lambda i, j: (i // ${b}, j, i % ${b})`;
        const m = IndexMap.parse(text);
        expect(IndexMap.parse(m.toText()).toText()).toBe(m.toText());
        const inv = m.inverse([r(a * b), r(n)]);
        const vars = [new Var("p"), new Var("q")];
        const an = new Analyzer();
        an.bind(vars[0]!, r(a * b));
        an.bind(vars[1]!, r(n));
        const back = inv.mapIndices(m.mapIndices(vars), an);
        expect(back.every((e, k) => structuralEqual(an.simplify(e), an.simplify(vars[k]!)))).toBe(true);
      }),
      { numRuns: 40 },
    );
  });
});
