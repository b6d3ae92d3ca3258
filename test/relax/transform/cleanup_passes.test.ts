import { describe, expect, it } from "vitest";
import { assertStructuralEqual } from "../../../src/ir/structural.js";
import { IRModule } from "../../../src/ir/module.js";
import { Call, Constant, Function, SeqExpr, Tuple, op, parseRelaxScript, printRelax, transform } from "../../../src/relax/index.js";
import { tensor, tvar } from "../helpers.js";

const { Normalize, CanonicalizeBindings, DeadCodeElimination, FoldConstant, LegalizeOps, runPipeline } = transform;

function check(pass: transform.Pass | transform.Pass[], before: string | IRModule, expected: string): IRModule {
  const mod = typeof before === "string" ? parseRelaxScript(before) : before;
  const out = Array.isArray(pass) ? runPipeline(mod, pass) : pass(mod);
  const want = parseRelaxScript(expected);
  assertStructuralEqual(out, want);
  expect(printRelax(out)).toBe(printRelax(want));
  return out;
}

describe("Normalize", () => {
  it("binds nested calls to fresh vars and gives every expression its StructInfo", () => {
    const x = tvar("x", [2, 3]);
    const body = new SeqExpr([], op.add(op.multiply(x, x), op.exp(x)));
    const mod = new IRModule([["main", new Function([x], body, tensor([2, 3]), true, { global_symbol: "main" })]]);
    check(
      Normalize,
      mod,
      `
@R.function
def main(x: R.Tensor((2, 3), dtype="float32")) -> R.Tensor((2, 3), dtype="float32"):
    gv: R.Tensor((2, 3), dtype="float32") = R.multiply(x, x)
    gv1: R.Tensor((2, 3), dtype="float32") = R.exp(x)
    gv2: R.Tensor((2, 3), dtype="float32") = R.add(gv, gv1)
    return gv2
`,
    );
  });

  it("leaves a normalized module as it is", () => {
    const src = `
@R.function
def main(x: R.Tensor(("n", 3), dtype="float32")) -> R.Tensor(("n", 3), dtype="float32"):
    n = T.int64()
    with R.dataflow():
        y = R.exp(x)
        z = R.add(y, x)
        R.output(z)
    return z
`;
    check(Normalize, src, src);
  });
});

describe("CanonicalizeBindings", () => {
  it("removes var-to-var bindings, trivial match_casts and reads of literal tuples", () => {
    check(
      CanonicalizeBindings,
      `
@R.function
def main(x: R.Tensor((2, 3), dtype="float32")) -> R.Tensor((2, 3), dtype="float32"):
    with R.dataflow():
        y = x
        z = R.add(y, y)
        w = R.match_cast(z, R.Tensor((2, 3), dtype="float32"))
        t = (w, x)
        u = t[0]
        o = R.multiply(u, x)
        gv = o
        R.output(gv)
    return gv
`,
      `
@R.function
def main(x: R.Tensor((2, 3), dtype="float32")) -> R.Tensor((2, 3), dtype="float32"):
    with R.dataflow():
        z = R.add(x, x)
        t = (z, x)
        gv = R.multiply(z, x)
        R.output(gv)
    return gv
`,
    );
  });

  it("keeps a match_cast that defines a symbolic var and a var-to-var output of a dataflow var it cannot rename", () => {
    const src = `
@R.function
def main(x: R.Tensor(dtype="float32", ndim=1)) -> R.Tensor(dtype="float32", ndim=1):
    n = T.int64()
    with R.dataflow():
        a = R.match_cast(x, R.Tensor((n,), dtype="float32"))
        b = R.exp(a)
        gv: R.Tensor(dtype="float32", ndim=1) = b
        R.output(gv)
    return gv
`;
    check(CanonicalizeBindings, src, src);
  });
});

describe("DeadCodeElimination", () => {
  it("removes unused pure bindings and functions no exported function reaches; keeps impure calls", () => {
    check(
      DeadCodeElimination,
      `
@I.ir_module
class Module:
    @T.prim_func(private=True)
    def unused_tir(A: T.Buffer((T.int64(4),), "float32")):
        for i in range(T.int64(4)):
            with T.block("A"):
                vi = T.axis.spatial(T.int64(4), i)
                A[vi] = T.float32(0)

    @R.function(private=True)
    def helper(x: R.Tensor((4,), dtype="float32")) -> R.Tensor((4,), dtype="float32"):
        y = R.exp(x)
        return y

    @R.function(private=True)
    def dead(x: R.Tensor((4,), dtype="float32")) -> R.Tensor((4,), dtype="float32"):
        return x

    @R.function(private=True, pure=False)
    def effect(x: R.Tensor((4,), dtype="float32")) -> R.Tensor((4,), dtype="float32"):
        return x

    @R.function(pure=False)
    def main(x: R.Tensor((4,), dtype="float32")) -> R.Tensor((4,), dtype="float32"):
        cls = Module
        with R.dataflow():
            a = R.add(x, x)
            b = cls.helper(x)
            unused = R.multiply(b, a)
            c = R.exp(b)
            R.output(c)
        e = cls.effect(c)
        f = R.add(e, e)
        return c
`,
      `
@I.ir_module
class Module:
    @R.function(private=True, pure=False)
    def effect(x: R.Tensor((4,), dtype="float32")) -> R.Tensor((4,), dtype="float32"):
        return x

    @R.function(private=True)
    def helper(x: R.Tensor((4,), dtype="float32")) -> R.Tensor((4,), dtype="float32"):
        y = R.exp(x)
        return y

    @R.function(pure=False)
    def main(x: R.Tensor((4,), dtype="float32")) -> R.Tensor((4,), dtype="float32"):
        cls = Module
        with R.dataflow():
            b = cls.helper(x)
            c = R.exp(b)
            R.output(c)
        e = cls.effect(c)
        return c
`,
    );
  });

  it("keeps an unused match_cast that defines a symbolic var", () => {
    const src = `
@R.function
def main(x: R.Tensor(dtype="float32", ndim=1), y: R.Tensor(dtype="float32", ndim=1)) -> R.Shape(["n"]):
    n = T.int64()
    a = R.match_cast(x, R.Tensor((n,), dtype="float32"))
    b = R.match_cast(y, R.Tensor((n,), dtype="float32"))
    return R.shape([n])
`;
    const out = DeadCodeElimination(parseRelaxScript(src));
    const text = printRelax(out);
    expect(text).toContain("a: R.Tensor((n,), dtype=\"float32\") = R.match_cast(x");
    expect(text).not.toContain("R.match_cast(y");
  });
});

describe("FoldConstant", () => {
  const before = `
@R.function
def main(x: R.Tensor((2,), dtype="float32")) -> R.Tensor((2,), dtype="float32"):
    with R.dataflow():
        a = R.add(R.const([1.0, 2.0], "float32"), R.const([3.0, 4.0], "float32"))
        b = R.multiply(a, R.const(2.0, "float32"))
        c = R.add(x, b)
        d = R.exp(c)
        R.output(d)
    return d
`;

  it("evaluates operators on constants with the TIR interpreter; uses read the constants", () => {
    check(
      FoldConstant,
      before,
      `
@R.function
def main(x: R.Tensor((2,), dtype="float32")) -> R.Tensor((2,), dtype="float32"):
    with R.dataflow():
        a = R.const([4.0, 6.0], "float32")
        b = R.const([8.0, 12.0], "float32")
        c = R.add(x, R.const([8.0, 12.0], "float32"))
        d = R.exp(c)
        R.output(d)
    return d
`,
    );
  });

  it("folds call_tir of constants after LegalizeOps; DeadCodeElimination drops the dead PrimFuncs", () => {
    const out = runPipeline(parseRelaxScript(before), [LegalizeOps, FoldConstant, DeadCodeElimination]);
    const main = out.get("main") as Function;
    const bindings = (main.body as SeqExpr).blocks.flatMap((b) => b.bindings);
    expect(bindings.map((b) => b.variable.name)).toEqual(["c", "d"]);
    const c = bindings[0]!.value as Call;
    const k = (c.args[1] as Tuple).fields[1] as Constant;
    expect(k).toBeInstanceOf(Constant);
    expect([...k.data]).toEqual([8, 12]);
    expect(out.globalVars.map((g) => g.name).sort()).toEqual(["add", "exp", "main"]);
  });

  it("folds multi-output ops and reductions, keeps calls on non-constants", () => {
    const out = FoldConstant(
      parseRelaxScript(`
@R.function
def main(x: R.Tensor((2,), dtype="float32")):
    with R.dataflow():
        s = R.split(R.const([[1.0, 2.0, 3.0, 4.0]], "float32"), indices_or_sections=2, axis=1)
        t = s[1]
        m = R.sum(t, axis=[1], keepdims=False)
        y = R.add(x, m)
        R.output(y)
    return y
`),
    );
    const text = printRelax(out);
    expect(text).toContain(`t: R.Tensor((1, 2), dtype="float32") = R.const([[3.0, 4.0]], "float32")`);
    expect(text).toContain(`m: R.Tensor((1,), dtype="float32") = R.const([7.0], "float32")`);
    expect(text).toContain(`y: R.Tensor((2,), dtype="float32") = R.add(x, R.const([7.0], "float32"))`);
  });
});
