import { describe, expect, it } from "vitest";
import { bool, float32 } from "../../src/ir/dtype.js";
import * as E from "../../src/ir/expr_ops.js";
import { structuralEqual } from "../../src/ir/structural.js";
import {
  BlockBuilder, Call, DataflowBlock, DataflowVar, If, MatchCast, PrimStructInfo, RUNTIME_CHECKS_ATTR, SeqExpr,
  TensorStructInfo, Var, VarBinding, op,
} from "../../src/relax/index.js";
import { sym, tensor, tvar } from "./helpers.js";

describe("BlockBuilder", () => {
  it("binds nested calls to fresh vars (normal form) and infers struct info", () => {
    const n = sym("n");
    const x = tvar("x", [n, 4]);
    const bb = new BlockBuilder();
    const fn = bb.function("main", [x], () => bb.emit(op.exp(op.add(x, x))));
    const seq = fn.body as SeqExpr;
    const bindings = seq.blocks[0]!.bindings as VarBinding[];
    expect(bindings.length).toBe(2);
    expect(bindings.map((b) => b.variable.name)).toEqual(["gv", "gv1"]);
    const inner = bindings[1]!.value as Call;
    expect(inner.args[0]).toBe(bindings[0]!.variable);
    expect(structuralEqual(fn.retStructInfo, tensor([n, 4]))).toBe(true);
    expect(fn.attrs["global_symbol"]).toBe("main");
    expect(bb.getModule().has("main")).toBe(true);
  });

  it("dataflow blocks make DataflowVars; outputs leave through emitOutput", () => {
    const x = tvar("x", [2, 3]);
    const bb = new BlockBuilder();
    let lv: Var | undefined;
    const fn = bb.function("f", [x], () => {
      const gv = bb.dataflow(() => {
        lv = bb.emit(op.nn.relu(x));
        return bb.emitOutput(op.sum(lv, [1]));
      });
      return gv;
    });
    expect(lv).toBeInstanceOf(DataflowVar);
    const block = (fn.body as SeqExpr).blocks[0]!;
    expect(block).toBeInstanceOf(DataflowBlock);
    expect(structuralEqual(fn.retStructInfo, tensor([2]))).toBe(true);
    expect(() => bb.function("g", [x], () => {
      const v = bb.dataflow(() => bb.emit(op.exp(x)));
      return bb.emit(op.exp(v));
    })).toThrow(/dataflow var 'lv' is used outside its dataflow block/);
  });

  it("names stay unique within a function", () => {
    const x = tvar("x", [2]);
    const bb = new BlockBuilder();
    bb.beginFunction("f", [x]);
    const names = [bb.emit(op.exp(x), "x"), bb.emit(op.exp(x), "y"), bb.emit(op.exp(x), "y"), bb.emit(op.exp(x))].map((v) => v.name);
    bb.endFunction(x);
    expect(names).toEqual(["x1", "y", "y1", "gv"]);
  });

  it("match_cast defines new symbolic vars, visible in later inference and in no return type", () => {
    const x = new Var("x", new TensorStructInfo(2, float32));
    const bb = new BlockBuilder();
    const k = sym("k"), j = sym("j");
    const fn = bb.function("f", [x], () => {
      const y = bb.matchCast(x, tensor([k, j]));
      return bb.emit(op.matmul(y, op.permuteDims(y)));
    });
    const bindings = (fn.body as SeqExpr).blocks[0]!.bindings;
    expect(bindings[0]).toBeInstanceOf(MatchCast);
    const last = bindings[bindings.length - 1] as VarBinding;
    expect(structuralEqual(last.variable.structInfo, tensor([k, k]))).toBe(true);
    // k is defined inside the body, so the signature can only say "2-D float32".
    expect(structuralEqual(fn.retStructInfo, new TensorStructInfo(2, float32))).toBe(true);
    expect(() => bb.function("g", [tvar("x", [4])], () => bb.matchCast(bb.emit(op.shapeOf(tvar("z", [1]))), tensor([2])))).toThrow();
  });

  it("a provably impossible match_cast is an error", () => {
    const bb = new BlockBuilder();
    const x = tvar("x", [4]);
    expect(() => bb.function("f", [x], () => bb.matchCast(x, tensor([5])))).toThrow(/R.Tensor\(\(4,\), dtype="float32"\) can never match R.Tensor\(\(5,\)/);
  });

  it("an If joins its branches' struct info and scopes their bindings", () => {
    const n = sym("n");
    const x = tvar("x", [n, 3]);
    const c = new Var("c", new PrimStructInfo(bool));
    const bb = new BlockBuilder();
    const fn = bb.function("f", [c, x], () => bb.emit(new If(c, op.exp(x), op.nn.relu(x))));
    const ifv = ((fn.body as SeqExpr).blocks[0]!.bindings[0] as VarBinding).value as If;
    expect(ifv.trueBranch).toBeInstanceOf(SeqExpr);
    expect((ifv.trueBranch as SeqExpr).blocks.length).toBe(1);
    expect(structuralEqual(ifv.structInfo, tensor([n, 3]))).toBe(true);
    const fn2 = bb.function("g", [c, x], () => bb.emit(new If(c, x, op.sum(x, [0]))));
    expect(structuralEqual(fn2.retStructInfo, new TensorStructInfo(-1, float32))).toBe(true);
    expect(() => bb.function("h", [x], () => bb.emit(new If(x, x, x)))).toThrow(/condition of an If must be a bool scalar/);
  });

  it("calls of module functions substitute symbolic vars", () => {
    const n = sym("n");
    const bb = new BlockBuilder();
    const p = tvar("p", [n, 2]);
    bb.function("inner", [p], () => bb.emit(op.concat([p, p], 0)));
    const gv = bb.getGlobalVar("inner");
    const x = tvar("x", [5, 2]);
    const fn = bb.function("main", [x], () => bb.emit(new Call(gv, [x])));
    expect(structuralEqual(fn.retStructInfo, tensor([10, 2]))).toBe(true);
    expect(() => bb.function("bad", [tvar("y", [5, 3])], () => bb.emit(new Call(gv, [tvar("y", [5, 3])])))).toThrow(/argument 0 of @inner/);
  });

  it("a callee dim no argument determines is unknown to the caller, not the callee's var", () => {
    const n = sym("n");
    const bb = new BlockBuilder();
    const p = tvar("p", [n, 2]);
    bb.function("inner", [p], () => bb.emit(op.nn.relu(p)));
    const x = new Var("x", new TensorStructInfo(2, float32));
    const y = tvar("y", [sym("m"), 2]);
    bb.function("main", [x, y], () => {
      const a = bb.emit(new Call(bb.getGlobalVar("inner"), [x]));
      expect(a.structInfo.toString()).toContain('R.Tensor(dtype="float32", ndim=2)');
      const b = bb.emit(new Call(bb.getGlobalVar("inner"), [y]));
      expect(structuralEqual(b.structInfo, y.structInfo)).toBe(true);
      return b;
    });
  });

  it("symbolic reshape: provable counts pass, provable mismatch fails, undecided is recorded", () => {
    const n = sym("n"), m = sym("m");
    const x = tvar("x", [n, m]);
    const bb = new BlockBuilder();
    const ok = bb.function("ok", [x], () => bb.emit(op.reshape(x, [m, n])));
    expect(ok.attrs[RUNTIME_CHECKS_ATTR]).toBeUndefined();
    expect(structuralEqual(ok.retStructInfo, tensor([m, n]))).toBe(true);
    const flat = bb.function("flat", [x], () => bb.emit(op.reshape(x, [-1])));
    expect(structuralEqual(flat.retStructInfo, tensor([E.mul(n, m)]))).toBe(true);
    const y = tvar("y", [n, 4]);
    expect(() => bb.function("bad", [y], () => bb.emit(op.reshape(y, [E.add(E.mul(n, 4), 1)])))).toThrow(
      /R.reshape: cannot reshape 'x' of shape \(n, 4\) \(n \* 4 elements\) to \(n \* 4 \+ 1,\)/,
    );
    expect(() => bb.function("bad2", [tvar("z", [2, 4])], () => bb.emit(op.reshape(tvar("z", [2, 4]), [3, 3])))).toThrow(
      /\(2, 4\) \(8 elements\) to \(3, 3\) \(9 elements\)/,
    );
    // n * 4 vs n * 5 differ unless n == 0: not provable either way, so it is left to run time.
    const later = bb.function("later", [y], () => bb.emit(op.reshape(y, [n, 5])));
    expect((later.attrs[RUNTIME_CHECKS_ATTR] as unknown[]).length).toBe(1);
    const deferred = bb.function("deferred", [x], () => bb.emit(op.reshape(x, [E.mul(n, 2), E.floordiv(m, 2)])));
    const checks = deferred.attrs[RUNTIME_CHECKS_ATTR] as { condition: unknown; message: string }[];
    expect(checks.length).toBe(1);
    expect(checks[0]!.message).toMatch(/element counts must be equal/);
  });
});
