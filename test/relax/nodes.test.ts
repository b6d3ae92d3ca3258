import { describe, expect, it } from "vitest";
import { bool, float32, int32, int64 } from "../../src/ir/dtype.js";
import { IntImm } from "../../src/ir/expr.js";
import * as E from "../../src/ir/expr_ops.js";
import { structuralEqual, structuralHash } from "../../src/ir/structural.js";
import {
  BindingBlock, Call, Constant, DataflowBlock, DataflowVar, Function, MatchCast, PrimValue, SeqExpr, ShapeExpr,
  ShapeStructInfo, TensorStructInfo, Tuple, TupleGetItem, TupleStructInfo, Var, VarBinding, RelaxOp, op,
} from "../../src/relax/index.js";
import { sym, tensor, tvar } from "./helpers.js";

/** fn(x: (n, 4)) { lv = add(x, x); return lv } with fresh vars each time. */
function addSelf(names: [string, string, string]) {
  const n = sym(names[0]);
  const x = tvar(names[1], [n, 4]);
  const call = new Call(RelaxOp.get("relax.add"), [x, x], {}, [], tensor([n, 4]));
  const lv = new Var(names[2], tensor([n, 4]));
  const body = new SeqExpr([new BindingBlock([new VarBinding(lv, call)])], lv);
  return new Function([x], body, tensor([n, 4]));
}

describe("relax nodes", () => {
  it("leaves know their struct info", () => {
    const c = new Constant(float32, [2, 2], [1, 2, 3, 4]);
    expect(c.structInfo).toBeInstanceOf(TensorStructInfo);
    expect((c.structInfo as TensorStructInfo).dims!.map((d) => (d as IntImm).value)).toEqual([2, 2]);
    const s = new ShapeExpr([sym("n"), 3]);
    expect((s.structInfo as ShapeStructInfo).ndim).toBe(2);
    const t = new Tuple([c, s]);
    expect(t.structInfo).toBeInstanceOf(TupleStructInfo);
    expect(new TupleGetItem(t, 1).structInfo).toBe(s.structInfo);
    expect(() => new TupleGetItem(t, 2)).toThrow(/out of range for a tuple of 2/);
    expect(PrimValue.int64(3).structInfo).toMatchObject({ dtype: int64 });
  });

  it("rejects malformed nodes with a clear message", () => {
    expect(() => new Constant(float32, [2, 3], [1, 2])).toThrow(/holds 6 element\(s\) but 2 value/);
    expect(() => new ShapeExpr([new IntImm(int32, 3)])).toThrow(/must be int64/);
    expect(() => new TupleGetItem(tvar("x", [2]), 0)).toThrow(/not a tuple/);
  });

  it("functions differing only in names are structurally equal with equal hashes", () => {
    const a = addSelf(["n", "x", "lv"]);
    const b = addSelf(["m", "y", "out"]);
    expect(structuralEqual(a, b)).toBe(true);
    expect(structuralHash(a)).toBe(structuralHash(b));
  });

  it("bound vars are compared by position, not identity", () => {
    const n = sym("n");
    const x = tvar("x", [n]), y = tvar("y", [n]);
    const add = RelaxOp.get("relax.add");
    const f1 = new Function([x, y], new Call(add, [x, y], {}, [], tensor([n])), tensor([n]));
    const f2 = new Function([x, y], new Call(add, [y, x], {}, [], tensor([n])), tensor([n]));
    expect(structuralEqual(f1, f2)).toBe(false);
  });

  it("symbolic dims defined by params line up; mismatched reuse does not", () => {
    const n = sym("n"), m = sym("m");
    const add = RelaxOp.get("relax.add");
    const same = (d1: IntImm | typeof n, d2: IntImm | typeof n) => {
      const x = tvar("x", [d1]), y = tvar("y", [d2]);
      return new Function([x, y], new Call(add, [x, y], {}, [], tensor([d1])), tensor([d1]));
    };
    expect(structuralEqual(same(n, n), same(m, m))).toBe(true);
    expect(structuralEqual(same(n, n), same(n, m))).toBe(false);
  });

  it("match_cast defines the symbolic vars of its struct info", () => {
    const make = (name: string) => {
      const x = new Var("x", new TensorStructInfo(2, float32));
      const k = sym(name);
      const lv = new DataflowVar("lv", tensor([k, k]));
      const gv = new Var("gv", tensor([k, k]));
      const block = new DataflowBlock([new MatchCast(lv, x, tensor([k, k])), new VarBinding(gv, lv)]);
      return new Function([x], new SeqExpr([block], gv), new TensorStructInfo(2, float32));
    };
    expect(structuralEqual(make("a"), make("b"))).toBe(true);
    expect(structuralHash(make("a"))).toBe(structuralHash(make("b")));
  });

  it("attributes, ops and constants take part in equality", () => {
    const x = tvar("x", [2, 3]);
    expect(structuralEqual(op.sum(x, [0]), op.sum(x, [0]))).toBe(true);
    expect(structuralEqual(op.sum(x, [0]), op.sum(x, [1]))).toBe(false);
    expect(structuralEqual(op.sum(x, [0]), op.max(x, [0]))).toBe(false);
    expect(structuralEqual(new Constant(float32, [1], [1]), new Constant(float32, [1], [2]))).toBe(false);
    expect(structuralHash(op.sum(x, [0]))).not.toBe(structuralHash(op.sum(x, [1])));
    expect(structuralEqual(PrimValue.bool(true), new PrimValue(E.constant(true, bool)))).toBe(true);
  });

  it("a DataflowVar and a Var are different kinds", () => {
    const s = tensor([2]);
    expect(structuralEqual(new Var("a", s), new DataflowVar("a", s), { mapFreeVars: true })).toBe(false);
    expect(structuralEqual(new Var("a", s), new Var("b", s), { mapFreeVars: true })).toBe(true);
  });
});
