import { describe, expect, it } from "vitest";
import { int32 } from "../../src/ir/dtype.js";
import { Var, IntImm } from "../../src/ir/expr.js";
import * as E from "../../src/ir/expr_ops.js";
import { ExprMutator, substitute, collectVars, usesVar } from "../../src/ir/expr_functor.js";
import { IRModule } from "../../src/ir/module.js";
import { structuralEqual } from "../../src/ir/structural.js";
import { Evaluate } from "../../src/tir/stmt.js";
import { PrimFunc } from "../../src/tir/function.js";

describe("functors", () => {
  const x = new Var("x"), y = new Var("y");
  it("a mutator that changes nothing returns the same object", () => {
    const e = E.add(E.mul(x, 3), E.floordiv(y, 2));
    expect(new ExprMutator().visitExpr(e)).toBe(e);
  });
  it("substitutes and shares untouched subtrees", () => {
    const left = E.mul(x, 3);
    const e = E.add(left, y);
    const out = substitute(e, new Map([[y, new IntImm(int32, 5) as never]]));
    expect(structuralEqual(out, E.add(E.mul(x, 3), 5))).toBe(true);
    expect((out as unknown as { a: unknown }).a).toBe(left);
  });
  it("collects variables in first-use order", () => {
    expect(collectVars(E.add(E.mul(y, x), y))).toEqual([y, x]);
    expect(usesVar(E.mul(y, 2), (v) => v === x)).toBe(false);
  });
});

describe("IRModule", () => {
  const f = new PrimFunc([], new Evaluate(new IntImm(int32, 0)));
  it("keeps functions by name and is immutable", () => {
    const m = new IRModule([["main", f]]);
    const m2 = m.with("helper", f);
    expect(m.size).toBe(1);
    expect([...m2.entries()].map(([g]) => g.name)).toEqual(["helper", "main"]);
    expect(() => m.get("nope")).toThrow(/has no function "nope" \(it has: main\)/);
    expect(() => new IRModule([["a", f], ["a", f]])).toThrow(/two functions are named "a"/);
  });
  it("compares structurally", () => {
    expect(structuralEqual(new IRModule([["main", f]]), new IRModule([["main", f]]))).toBe(true);
    expect(structuralEqual(new IRModule([["main", f]]), new IRModule([["other", f]]))).toBe(false);
  });
});
