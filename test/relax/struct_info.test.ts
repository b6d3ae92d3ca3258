import { describe, expect, it } from "vitest";
import { Analyzer } from "../../src/arith/analyzer.js";
import { bool, float32, int32, int64 } from "../../src/ir/dtype.js";
import * as E from "../../src/ir/expr_ops.js";
import { structuralEqual } from "../../src/ir/structural.js";
import {
  FuncStructInfo, ObjectStructInfo, PrimStructInfo, ShapeStructInfo, TensorStructInfo, TupleStructInfo, baseCheck,
  eraseShapes, eraseToWellDefined, isBaseOf, unifyStructInfo,
} from "../../src/relax/index.js";
import { sym, tensor } from "./helpers.js";

describe("StructInfo subtyping", () => {
  const n = sym("n"), m = sym("m");

  it("Object is the top; less specific is a base of more specific", () => {
    expect(isBaseOf(new ObjectStructInfo(), tensor([2, 3]))).toBe(true);
    expect(isBaseOf(new TensorStructInfo(2, float32), tensor([2, 3]))).toBe(true);
    expect(isBaseOf(new TensorStructInfo(-1), tensor([2, 3]))).toBe(true);
    expect(isBaseOf(tensor([2, 3]), new TensorStructInfo(2, float32))).toBe(false);
    expect(baseCheck(tensor([2, 3]), new TensorStructInfo(2, float32))).toBe("runtime");
    expect(baseCheck(tensor([2, 3]), new ObjectStructInfo())).toBe("runtime");
  });

  it("rank, dtype and constant dims decide statically", () => {
    expect(baseCheck(tensor([2, 3]), tensor([2, 4]))).toBe("fail");
    expect(baseCheck(new TensorStructInfo(3, float32), tensor([2, 4]))).toBe("fail");
    expect(baseCheck(tensor([2], int32), tensor([2], float32))).toBe("fail");
    expect(baseCheck(new ShapeStructInfo(2), tensor([2, 4]))).toBe("fail");
  });

  it("symbolic dims are compared with the analyzer", () => {
    const a = new Analyzer();
    expect(isBaseOf(tensor([E.mul(n, 2)]), tensor([E.add(n, n)]), a)).toBe(true);
    expect(baseCheck(tensor([n]), tensor([m]), a)).toBe("runtime");
    expect(baseCheck(tensor([n]), tensor([E.add(n, 1)]), a)).toBe("fail");
  });

  it("tuples are covariant, function params contravariant", () => {
    const t1 = new TupleStructInfo([tensor([2]), new PrimStructInfo(int64)]);
    const t2 = new TupleStructInfo([new TensorStructInfo(1, float32), new PrimStructInfo(int64)]);
    expect(isBaseOf(t2, t1)).toBe(true);
    expect(isBaseOf(t1, t2)).toBe(false);
    const general = new FuncStructInfo([new TensorStructInfo(1, float32)], tensor([2]));
    const specific = new FuncStructInfo([tensor([2])], tensor([2]));
    expect(isBaseOf(specific, general)).toBe(true);
    expect(isBaseOf(general, specific)).toBe(false);
    expect(isBaseOf(FuncStructInfo.opaque(), specific)).toBe(true);
  });

  it("prim values compare by value", () => {
    expect(isBaseOf(new PrimStructInfo(int64), new PrimStructInfo(n))).toBe(true);
    expect(baseCheck(new PrimStructInfo(n), new PrimStructInfo(int64))).toBe("runtime");
    expect(baseCheck(new PrimStructInfo(bool), new PrimStructInfo(int64))).toBe("fail");
  });
});

describe("StructInfo join and erasure", () => {
  const n = sym("n"), m = sym("m");

  it("unify keeps what both branches agree on", () => {
    expect(structuralEqual(unifyStructInfo(tensor([n, 4]), tensor([n, 4])), tensor([n, 4]))).toBe(true);
    expect(structuralEqual(unifyStructInfo(tensor([n, 4]), tensor([m, 4])), new TensorStructInfo(2, float32))).toBe(true);
    expect(structuralEqual(unifyStructInfo(tensor([2]), tensor([2, 2])), new TensorStructInfo(-1, float32))).toBe(true);
    const mixed = unifyStructInfo(tensor([2], float32), tensor([2], int32));
    expect(mixed).toBeInstanceOf(TensorStructInfo);
    expect((mixed as TensorStructInfo).isUnknownDtype).toBe(true);
    expect(unifyStructInfo(tensor([2]), new ShapeStructInfo(1))).toBeInstanceOf(ObjectStructInfo);
    expect(isBaseOf(unifyStructInfo(tensor([n]), tensor([m])), tensor([n]))).toBe(true);
  });

  it("erasure drops facts about vars that are not in scope", () => {
    const s = new TupleStructInfo([tensor([n, m]), new PrimStructInfo(m), new ShapeStructInfo([n])]);
    const out = eraseToWellDefined(s, (v) => v === n) as TupleStructInfo;
    expect(structuralEqual(out.fields[0], new TensorStructInfo(2, float32))).toBe(true);
    expect(structuralEqual(out.fields[1], new PrimStructInfo(int64))).toBe(true);
    expect(out.fields[2]).toBe(s.fields[2]);
    expect(structuralEqual(eraseShapes(tensor([n, 3])), new TensorStructInfo(2, float32))).toBe(true);
  });
});
