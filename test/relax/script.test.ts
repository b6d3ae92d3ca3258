import { describe, expect, it } from "vitest";
import { structuralEqual, assertStructuralEqual } from "../../src/ir/structural.js";
import { PrimFunc } from "../../src/tir/function.js";
import { parseScript } from "../../src/tir/script/index.js";
import {
  Call, Function, If, MatchCast, SeqExpr, TensorStructInfo, Tuple, TupleGetItem, TupleStructInfo, Var, VarBinding, parseRelaxFunction,
  parseRelaxScript, printRelax,
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

const UNPACK = `
@R.function
def f(x: R.Tensor(("n", 4), dtype="float32"), t: R.Tuple(R.Tensor((2,), dtype="float32"), R.Shape([2]))):
    n = T.int64()
    with R.dataflow():
        a, b = R.split(x, 2, axis=1)
        c = R.add(a, b)
        d, e = R.split(c, 2, axis=1)
        R.output(d, e)
    u, v = t
    p, q = (d, e)
    return (p, q, u, v)
`;

const CALLS = `
@I.ir_module
class Module:
    @R.function(private=True)
    def scale(x: R.Tensor(("n",), dtype="float32")) -> R.Tensor(("n",), dtype="float32"):
        n = T.int64()
        y = R.multiply(x, R.const(2.0, "float32"))
        return y

    @R.function
    def main(x: R.Tensor(("n",), dtype="float32")) -> R.Tensor(("n",), dtype="float32"):
        n = T.int64()
        cls = Module
        y = cls.scale(x)
        z = Module.scale(y)
        return z
`;

const CLOSURE = `
@I.ir_module
class Module:
    @R.function
    def twice(x: R.Tensor((4,), dtype="float32")) -> R.Tensor((4,), dtype="float32"):
        y = R.add(x, x)
        return y

    @R.function
    def main(x: R.Tensor(("n",), dtype="float32"), w: R.Tensor((4,), dtype="float32")):
        n = T.int64()
        @R.function
        def inner(y: R.Tensor(("m",), dtype="float32")) -> R.Tuple(R.Tensor(("m",), dtype="float32"), R.Tensor((4,), dtype="float32")):
            m = T.int64()
            z = R.exp(y)
            v = cls.twice(w)
            return (z, v)
        r = inner(x)
        return r
`;

describe("Relax TVMScript: unpacking, module calls and local functions", () => {
  const bindings = (f: Function) => (f.body as SeqExpr).blocks.flatMap((b) => b.bindings);

  it("binds a, b = value as a fresh tuple var and TupleGetItems", () => {
    const { mod, text } = roundTrip(UNPACK);
    const bs = bindings(mod.get("f") as Function);
    const split = bs[0]!;
    expect(split.variable.structInfo).toBeInstanceOf(TupleStructInfo);
    const a = bs[1] as VarBinding, b = bs[2] as VarBinding;
    expect(a.variable.name).toBe("a");
    expect(a.value).toBeInstanceOf(TupleGetItem);
    expect((a.value as TupleGetItem).tuple).toBe(split.variable);
    expect((b.value as TupleGetItem).index).toBe(1);
    // Outputs named by R.output leave the dataflow block; the tuple holding them does not.
    const e = bs.find((x) => x.variable.name === "e")!;
    expect(e.variable.kind).toBe("relax.Var");
    expect(bs.find((x) => x.variable.name === "lv1")!.variable.kind).toBe("relax.DataflowVar");
    // A var is unpacked in place; a tuple literal binds its fields.
    const u = bs.find((x) => x.variable.name === "u") as VarBinding;
    expect((u.value as TupleGetItem).tuple).toBe((mod.get("f") as Function).params[1]);
    expect((bs.find((x) => x.variable.name === "p") as VarBinding).value).toBe(bs.find((x) => x.variable.name === "d")!.variable);
    expect(text).toContain('a: R.Tensor((n, 2), dtype="float32") = lv[0]');
    expect(text).toContain("u: R.Tensor((2,), dtype=\"float32\") = t[0]");
  });

  it("prints cls = Module in functions that call module functions, and reads cls.f and Module.f alike", () => {
    const { mod, text } = roundTrip(CALLS);
    const main = mod.get("main") as Function;
    const calls = bindings(main).map((b) => (b as VarBinding).value as Call);
    expect(calls.map((c) => c.op)).toEqual([mod.getGlobalVar("scale"), mod.getGlobalVar("scale")]);
    expect(text).toContain("        n = T.int64()\n        cls = Module\n        y: R.Tensor((n,), dtype=\"float32\") = cls.scale(x)");
    // Only the function that refers to the module gets the line.
    expect(text.match(/cls = Module/g)).toHaveLength(1);
    // Dumps printed before the line existed still parse to the same module.
    const old = parseRelaxScript(text.replace("        cls = Module\n", ""));
    assertStructuralEqual(old, mod);
  });

  it("keeps a Relax var named cls apart from the module", () => {
    const { text } = roundTrip(`
@I.ir_module
class Module:
    @R.function
    def g(x: R.Tensor((2,), dtype="float32")) -> R.Tensor((2,), dtype="float32"):
        return x

    @R.function
    def main(x: R.Tensor((2,), dtype="float32")) -> R.Tensor((2,), dtype="float32"):
        y = Module.g(x)
        cls = R.exp(y)
        return cls
`);
    expect(text).toContain("cls_1: R.Tensor");
    expect(text).toContain("y: R.Tensor((2,), dtype=\"float32\") = cls.g(x)");
  });

  it("prints and parses a local function that captures vars and calls a module function", () => {
    const { mod, text } = roundTrip(CLOSURE);
    const main = mod.get("main") as Function;
    const [def, call] = bindings(main) as VarBinding[];
    const inner = def!.value as Function;
    expect(inner).toBeInstanceOf(Function);
    expect(def!.variable.name).toBe("inner");
    // Local functions have no global symbol and print without private=True.
    expect(inner.attrs["global_symbol"]).toBeUndefined();
    expect((call!.value as Call).op).toBe(def!.variable);
    // The capture is the outer parameter itself.
    const v = bindings(inner)[1] as VarBinding;
    expect(((v.value as Call).args[0] as Var)).toBe(main.params[1]);
    expect(text).toContain("        cls = Module\n        @R.function\n        def inner(y: R.Tensor((\"m\",), dtype=\"float32\"))");
    expect(text).toContain("            m = T.int64()");
    expect(text).toContain('r: R.Tuple(R.Tensor((n,), dtype="float32"), R.Tensor((4,), dtype="float32")) = inner(x)');
  });

  it("a local function sees the symbolic vars of the function around it", () => {
    const { mod, text } = roundTrip(`
@R.function
def f(x: R.Tensor(("n",), dtype="float32")):
    n = T.int64()
    @R.function(pure=False)
    def g(y: R.Tensor((n,), dtype="float32")):
        R.func_attr({"note": "inner"})
        z = R.add(x, y)
        return z
    w = g(x)
    return w
`);
    const f = mod.get("f") as Function;
    const g = (bindings(f)[0] as VarBinding).value as Function;
    expect((g.params[0]!.structInfo as TensorStructInfo).dims![0]).toBe((f.params[0]!.structInfo as TensorStructInfo).dims![0]);
    expect(g.isPure).toBe(false);
    expect(text).toContain('        @R.function(pure=False)\n        def g(y: R.Tensor((n,), dtype="float32")) -> R.Tensor((n,), dtype="float32"):\n            R.func_attr({"note": "inner"})');
  });

  it("R.tuple builds a tuple, and If branches may disagree on shapes", () => {
    const { mod } = roundTrip(`
@R.function
def f(c: R.Prim("bool"), x: R.Tensor((4,), dtype="float32"), z: R.Tensor((8,), dtype="float32")):
    if c:
        y = R.exp(x)
    else:
        y = R.nn.relu(z)
    t = R.tuple(y, R.prim_value(1), R.str("s"), R.dtype("int8"), R.shape([2, 3]))
    e = R.tuple()
    return (t, e)
`);
    const bs = bindings(mod.get("f") as Function);
    const y = bs[0]!.variable.structInfo as TensorStructInfo;
    expect([y.ndim, y.dims, y.dtype.toString()]).toEqual([1, undefined, "float32"]);
    expect((bs[1] as VarBinding).value).toBeInstanceOf(Tuple);
    expect(((bs[2] as VarBinding).value as Tuple).fields).toHaveLength(0);
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

describe("Relax TVMScript errors in unpacking and local functions", () => {
  const err = (body: string) => {
    const src = `
@I.ir_module
class Module:
    @R.function
    def helper(x: R.Tensor((4, 4), dtype="float32")) -> R.Tensor((4, 4), dtype="float32"):
        return x

    @R.function
    def f(x: R.Tensor((4, 4), dtype="float32")):
${body.trim().split("\n").map((l) => "        " + l).join("\n")}
`;
    try {
      parseRelaxScript(src, "m.py");
    } catch (e) {
      return (e as Error).message;
    }
    throw new Error("expected a parse error");
  };

  it("names the count, the value and the target that cannot be unpacked", () => {
    expect(err("a, b = R.split(x, 4)\nreturn a")).toMatch(
      /^m\.py:10:16: cannot unpack a value of R\.Tuple\(R\.Tensor\(\(1, 4\), dtype="float32"\)(, R\.Tensor\(\(1, 4\), dtype="float32"\)){3}\) into 2 names: it has 4 field\(s\)/,
    );
    expect(err("a, b = R.exp(x)\nreturn a")).toMatch(/^m\.py:10:16: cannot unpack a value of R\.Tensor\(\(4, 4\), dtype="float32"\): only a tuple value can be unpacked/);
    expect(err("a, b = (x, x, x)\nreturn a")).toMatch(/^m\.py:10:16: cannot unpack a tuple literal into 2 names: it has 3 field\(s\)/);
    expect(err("a, *b = R.split(x, 2)\nreturn a")).toMatch(/^m\.py:10:12: tuple unpacking takes plain names/);
    expect(err("a, a = R.split(x, 2)\nreturn a")).toMatch(/^m\.py:10:12: 'a' appears twice on the left of '='/);
    expect(err('a, b = R.match_cast(x, R.Tensor((4, 4), "float32"))\nreturn a')).toMatch(/R\.match_cast cannot be unpacked directly/);
    expect(err("a = b = R.exp(x)\nreturn a")).toMatch(/^m\.py:10:9: chained assignments/);
  });

  it("points at unknown module functions and misuse of cls", () => {
    expect(err("y = cls.helpr(x)\nreturn y")).toMatch(/^m\.py:10:13: the module has no function 'helpr' \(it has: helper, f\)/);
    expect(err("y = R.add(cls, x)\nreturn y")).toMatch(/^m\.py:10:19: expected a Relax expression, got the module itself/);
  });

  it("rejects local functions that are not Relax functions or are malformed", () => {
    expect(err('@T.prim_func\ndef g(A: T.Buffer((4,), "float32")):\n    T.evaluate(0)\nreturn x')).toMatch(
      /^m\.py:11:9: only @R\.function can be defined inside a Relax function \('g' is not one\)/,
    );
    expect(err('@R.function\ndef g(y: R.Tensor((4, 4), dtype="float32")):\n    z = R.exp(y)\nw = g(x)\nreturn w')).toMatch(
      /^m\.py:11:9: function 'g' must end with a return statement/,
    );
    expect(err('@R.function\ndef g(y: R.Tensor((4, 4), dtype="float32")):\n    return y\nw = g(x, x)\nreturn w')).toMatch(
      /^m\.py:13:9: BlockBuilder: 'g' takes 1 argument\(s\), got 2/,
    );
    expect(err('def g(y: R.Tensor((4, 4), dtype="float32")):\n    return y\nreturn x')).toMatch(/^m\.py:10:9: 'g' needs exactly one decorator/);
  });
});

describe("existing TIR-only parsing", () => {
  it("still rejects Relax in parseScript with a pointer to the Relax parser", () => {
    expect(() => parseScript(IF)).toThrow(/Relax/);
  });
});
