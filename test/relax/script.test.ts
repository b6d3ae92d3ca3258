import { describe, expect, it } from "vitest";
import { structuralEqual, assertStructuralEqual } from "../../src/ir/structural.js";
import { PrimFunc } from "../../src/tir/function.js";
import { parseScript } from "../../src/tir/script/index.js";
import {
  Call, Function, If, MatchCast, SeqExpr, TensorStructInfo, VarBinding, parseRelaxFunction, parseRelaxScript, printRelax,
} from "../../src/relax/index.js";

/** print -> parse -> structurally equal -> print again gives the same text. */
function roundTrip(source: string) {
  const mod = parseRelaxScript(source);
  const text = printRelax(mod);
  const again = parseRelaxScript(text);
  assertStructuralEqual(again, mod);
  expect(printRelax(again)).toBe(text);
  return { mod, text };
}

const MLP = `
from tvm.script import ir as I
from tvm.script import relax as R

@I.ir_module
class Module:
    @R.function
    def main(x: R.Tensor(("n", 784), dtype="float32"), w0: R.Tensor((784, 128), dtype="float32"), b0: R.Tensor((128,), dtype="float32"), w1: R.Tensor((128, 10), dtype="float32")) -> R.Tensor(("n", 10), dtype="float32"):
        n = T.int64()
        with R.dataflow():
            lv0 = R.matmul(x, w0)
            lv1 = R.add(lv0, b0)
            lv2 = R.nn.relu(lv1)
            lv3: R.Tensor((n, 10), dtype="float32") = R.matmul(lv2, w1)
            gv = R.nn.softmax(lv3, axis=-1)
            R.output(gv)
        return gv
`;

const MIXED = `
# from tvm.script import ir as I
# from tvm.script import tir as T
# from tvm.script import relax as R

@I.ir_module
class Module:
    @T.prim_func
    def add_one(A: T.Buffer((T.int64(4),), "float32"), B: T.Buffer((T.int64(4),), "float32")):
        for i in range(T.int64(4)):
            with T.block("B"):
                vi = T.axis.spatial(T.int64(4), i)
                B[vi] = A[vi] + T.float32(1)

    @R.function
    def main(x: R.Tensor((4,), dtype="float32")) -> R.Tensor((4,), dtype="float32"):
        cls = Module
        with R.dataflow():
            y = R.call_tir(cls.add_one, (x,), out_sinfo=R.Tensor((4,), dtype="float32"))
            z = R.exp(y)
            R.output(z)
        return z
`;

const MATCH_CAST = `
@R.function
def f(x: R.Tensor(dtype="float32", ndim=2), s: R.Shape(["m", 3])) -> R.Tensor(dtype="float32", ndim=1):
    m = T.int64()
    k = T.int64()
    j = T.int64()
    with R.dataflow():
        a = R.match_cast(x, R.Tensor((k, j), dtype="float32"))
        b = R.sum(a, axis=[1], keepdims=False)
        c = R.reshape(a, R.shape([k * j]))
        d = R.add(c, R.const(1.5, "float32"))
        e = R.concat((b, d), axis=0)
        R.output(e)
    return e
`;

const IF = `
@R.function
def g(c: R.Prim("bool"), x: R.Tensor((n, 3), dtype="float32")):
    n = T.int64()
    if c:
        y = R.exp(x)
        z = y
    else:
        z = R.nn.relu(x)
    t = (z, x)
    u = t[0]
    return u
`;

describe("Relax TVMScript round trips", () => {
  it("an MLP with a symbolic batch", () => {
    const { mod, text } = roundTrip(MLP);
    const main = mod.get("main") as Function;
    // The return type's n is the parameter's n, not a second variable of the same name.
    const n = (main.params[0]!.structInfo as TensorStructInfo).dims![0];
    expect((main.retStructInfo as TensorStructInfo).dims![0]).toBe(n);
    expect(text).toContain('def main(x: R.Tensor(("n", 784), dtype="float32")');
    expect(text).toContain("        n = T.int64()");
    expect(text).toContain('lv1: R.Tensor((n, 128), dtype="float32") = R.add(lv0, b0)');
    expect(text).toContain("R.output(gv)");
  });

  it("a module mixing a PrimFunc and a call_tir", () => {
    const { mod, text } = roundTrip(MIXED);
    expect(mod.get("add_one")).toBeInstanceOf(PrimFunc);
    const main = mod.get("main") as Function;
    const call = ((main.body as SeqExpr).blocks[0]!.bindings[0] as VarBinding).value as Call;
    expect(call.args[0]).toBe(mod.getGlobalVar("add_one"));
    expect(text).toContain('R.call_tir(cls.add_one, (x,), out_sinfo=R.Tensor((4,), dtype="float32"))');
    // The PrimFunc alone still goes through the TIR-only parser.
    const tirOnly = parseScript(text.split("    @R.function")[0]!.replace(/\n+$/, ""));
    expect(structuralEqual(tirOnly.get("add_one"), mod.get("add_one"))).toBe(true);
  });

  it("a dataflow block with match_cast and a symbolic reshape", () => {
    const { mod, text } = roundTrip(MATCH_CAST);
    const f = mod.get("f") as Function;
    expect((f.body as SeqExpr).blocks[0]!.bindings[0]).toBeInstanceOf(MatchCast);
    expect(text).toContain('a: R.Tensor((k, j), dtype="float32") = R.match_cast(x, R.Tensor((k, j), dtype="float32"))');
    expect(text).toContain('s: R.Shape(["m", 3])');
    expect(text).toContain("e: R.Tensor((k + k * j,), dtype=\"float32\")");
  });

  it("an If with branches that disagree on nothing", () => {
    const { mod, text } = roundTrip(IF);
    const g = mod.get("g") as Function;
    const ifv = ((g.body as SeqExpr).blocks[0]!.bindings[0] as VarBinding).value;
    expect(ifv).toBeInstanceOf(If);
    expect(text).toContain("    if c:");
    expect(text).toContain('z: R.Tensor((n, 3), dtype="float32") = y');
    expect(text).toContain("u: R.Tensor((n, 3), dtype=\"float32\") = t[0]");
  });

  it("accepts quoted and bare symbolic names in signatures alike", () => {
    const a = parseRelaxFunction(`
@R.function
def f(x: R.Tensor(("n", "m"), dtype="float32")) -> R.Tensor(("m", "n"), dtype="float32"):
    y = R.permute_dims(x)
    return y
`);
    const b = parseRelaxFunction(`
@R.function
def f(x: R.Tensor((n, m), dtype="float32")) -> R.Tensor((m, n), dtype="float32"):
    n = T.int64()
    m = T.int64()
    y = R.permute_dims(x, axes=None)
    return y
`);
    expect(structuralEqual(a, b)).toBe(true);
  });

  it("prints every literal kind back to the same IR", () => {
    roundTrip(`
@R.function(private=True)
def h(x: R.Tensor((2, 2), dtype="int32"), f: R.Callable((R.Tensor((2,), dtype="float32"),), R.Object)) -> R.Tuple(R.Shape([2, 2]), R.Prim("int64"), R.Object, R.Object, R.Tensor((2, 2), dtype="int32")):
    s = R.shape_of(x)
    p = R.prim_value(7)
    t = R.str("hello")
    d = R.dtype("float16")
    c = R.add(x, R.const([[1, 2], [3, 4]], "int32"))
    out = (s, p, t, d, c)
    return out
`);
  });

  it("keeps function attributes and packed calls", () => {
    const { text } = roundTrip(`
@R.function
def k(x: R.Tensor(("n",), dtype="float32")):
    n = T.int64()
    R.func_attr({"num_input": 1})
    a = R.call_pure_packed("my.fn", x, sinfo_args=(R.Tensor((n,), dtype="float32"),))
    b = R.call_dps_packed("my.kernel", (a,), out_sinfo=R.Tensor((n,), dtype="float32"))
    return b
`);
    expect(text).toContain('R.func_attr({"num_input": 1})');
    expect(text).toContain('R.call_pure_packed("my.fn", x, sinfo_args=(R.Tensor((n,), dtype="float32"),))');
  });
});

describe("Relax TVMScript errors", () => {
  const err = (src: string) => {
    try {
      parseRelaxScript(src, "model.py");
    } catch (e) {
      return (e as Error).message;
    }
    throw new Error("expected a parse error");
  };

  it("locates operator inference errors with file:line:col and a caret", () => {
    const msg = err(`
@R.function
def f(x: R.Tensor((2, 3), dtype="float32"), y: R.Tensor((2, 4), dtype="float32")):
    z = R.add(x, y)
    return z
`);
    expect(msg).toMatch(/^model\.py:4:5: R.add: shapes \(2, 3\) \('x1'\) and \(2, 4\) \('x2'\) are not broadcastable/);
    expect(msg).toContain("    z = R.add(x, y)");
    expect(msg).toMatch(/\n\s+\^+/);
  });

  it("names unknown operators and arguments with a suggestion", () => {
    expect(err(`
@R.function
def f(x: R.Tensor((2,), dtype="float32")):
    z = R.expp(x)
    return z
`)).toMatch(/model\.py:4:9: unknown Relax operator R.expp \(did you mean R.exp\?\)/);
    expect(err(`
@R.function
def f(x: R.Tensor((2, 3), dtype="float32")):
    z = R.sum(x, axes=[1])
    return z
`)).toMatch(/R.sum has no argument 'axes' \(did you mean 'axis'\?\)/);
  });

  it("rejects an annotation that can never hold the value", () => {
    expect(err(`
@R.function
def f(x: R.Tensor((2, 3), dtype="float32")):
    z: R.Tensor((3, 2), dtype="float32") = R.exp(x)
    return z
`)).toMatch(/model\.py:4:5: BlockBuilder: 'z' is annotated R.Tensor\(\(3, 2\), dtype="float32"\) but its value is R.Tensor\(\(2, 3\), dtype="float32"\)/);
  });

  it("rejects undefined names, missing returns and unknown decorators", () => {
    expect(err(`
@R.function
def f(x: R.Tensor((2,), dtype="float32")):
    z = R.exp(w)
    return z
`)).toMatch(/model\.py:4:15: undefined name 'w'/);
    expect(err(`
@R.function
def f(x: R.Tensor((2,), dtype="float32")):
    z = R.exp(x)
`)).toMatch(/function 'f' must end with a return statement/);
    expect(err(`
@R.funktion
def f(x: R.Tensor((2,), dtype="float32")):
    return x
`)).toMatch(/unsupported decorator @R.funktion/);
  });
});

describe("existing TIR-only parsing", () => {
  it("still rejects Relax in parseScript with a pointer to the Relax parser", () => {
    expect(() => parseScript(IF)).toThrow(/Relax/);
  });
});
