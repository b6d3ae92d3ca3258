import { mkdtempSync, readFileSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { assertStructuralEqual } from "../../../src/ir/structural.js";
import {
  BlockBuilder, Function, RelaxOp, TensorStructInfo, Var, op, parseRelaxScript, printRelax, transform,
} from "../../../src/relax/index.js";
import { PrimFunc } from "../../../src/tir/function.js";
import { tensor } from "../helpers.js";

const { LegalizeOps, LegalizeError, runPipeline } = transform;

/** Legalizes `before` and checks the result against `expected`, structurally and as text. */
function checkLegalize(before: string, expected: string): void {
  const out = LegalizeOps(parseRelaxScript(before));
  const want = parseRelaxScript(expected);
  assertStructuralEqual(out, want);
  expect(printRelax(out)).toBe(printRelax(want));
}

describe("LegalizeOps: before / after", () => {
  it("matmul + add + relu + add: one PrimFunc per computation, the two adds share one", () => {
    checkLegalize(
      `
@I.ir_module
class Module:
    @R.function
    def main(x: R.Tensor(("n", 4), dtype="float32"), w: R.Tensor((4, 4), dtype="float32"), b: R.Tensor((4,), dtype="float32")) -> R.Tensor(("n", 4), dtype="float32"):
        n = T.int64()
        with R.dataflow():
            lv0 = R.matmul(x, w)
            lv1 = R.add(lv0, b)
            lv2 = R.nn.relu(lv1)
            gv = R.add(lv2, b)
            R.output(gv)
        return gv
`,
      `
@I.ir_module
class Module:
    @T.prim_func(private=True)
    def add(x1: T.handle, x2: T.Buffer((T.int64(4),), "float32"), T_add: T.handle):
        T.func_attr({"tir.noalias": True})
        n = T.int64()
        x1_1 = T.match_buffer(x1, (n, T.int64(4)))
        T_add_1 = T.match_buffer(T_add, (n, T.int64(4)))
        for ax0, ax1 in T.grid(n, T.int64(4)):
            with T.block("T_add"):
                v_ax0, v_ax1 = T.axis.remap("SS", [ax0, ax1])
                T_add_1[v_ax0, v_ax1] = x1_1[v_ax0, v_ax1] + x2[v_ax1]

    @T.prim_func(private=True)
    def matmul(x1: T.handle, x2: T.Buffer((T.int64(4), T.int64(4)), "float32"), T_matmul_NN: T.handle):
        T.func_attr({"tir.noalias": True})
        n = T.int64()
        x1_1 = T.match_buffer(x1, (n, T.int64(4)))
        T_matmul_NN_1 = T.match_buffer(T_matmul_NN, (n, T.int64(4)))
        for i, j, k in T.grid(n, T.int64(4), T.int64(4)):
            with T.block("T_matmul_NN"):
                v_i, v_j, v_k = T.axis.remap("SSR", [i, j, k])
                with T.init():
                    T_matmul_NN_1[v_i, v_j] = T.float32(0.0)
                T_matmul_NN_1[v_i, v_j] = T_matmul_NN_1[v_i, v_j] + x1_1[v_i, v_k] * x2[v_k, v_j]

    @T.prim_func(private=True)
    def relu(x: T.handle, T_relu: T.handle):
        T.func_attr({"tir.noalias": True})
        n = T.int64()
        x_1 = T.match_buffer(x, (n, T.int64(4)))
        T_relu_1 = T.match_buffer(T_relu, (n, T.int64(4)))
        for ax0, ax1 in T.grid(n, T.int64(4)):
            with T.block("T_relu"):
                v_ax0, v_ax1 = T.axis.remap("SS", [ax0, ax1])
                T_relu_1[v_ax0, v_ax1] = T.max(x_1[v_ax0, v_ax1], T.float32(0.0))

    @R.function
    def main(x: R.Tensor(("n", 4), dtype="float32"), w: R.Tensor((4, 4), dtype="float32"), b: R.Tensor((4,), dtype="float32")) -> R.Tensor(("n", 4), dtype="float32"):
        n = T.int64()
        cls = Module
        with R.dataflow():
            lv0 = R.call_tir(cls.matmul, (x, w), out_sinfo=R.Tensor((n, 4), dtype="float32"))
            lv1 = R.call_tir(cls.add, (lv0, b), out_sinfo=R.Tensor((n, 4), dtype="float32"))
            lv2 = R.call_tir(cls.relu, (lv1,), out_sinfo=R.Tensor((n, 4), dtype="float32"))
            gv = R.call_tir(cls.add, (lv2, b), out_sinfo=R.Tensor((n, 4), dtype="float32"))
            R.output(gv)
        return gv
`,
    );
  });

  it("differently shaped calls of one op get add, add1; a symbolic var no buffer binds goes in tir_vars", () => {
    checkLegalize(
      `
@I.ir_module
class Module:
    @R.function
    def main(x: R.Tensor(("n", 6), dtype="float32"), y: R.Tensor((3,), dtype="float32")) -> R.Tensor((n * 2, 3), dtype="float32"):
        n = T.int64()
        with R.dataflow():
            lv0 = R.add(x, x)
            lv1 = R.reshape(lv0, R.shape([n * 2, 3]))
            lv2 = R.exp(lv1)
            gv = R.add(lv2, y)
            R.output(gv)
        return gv
`,
      `
@I.ir_module
class Module:
    @T.prim_func(private=True)
    def add(x1: T.handle, x2: T.handle, T_add: T.handle):
        T.func_attr({"tir.noalias": True})
        n = T.int64()
        x1_1 = T.match_buffer(x1, (n, T.int64(6)))
        x2_1 = T.match_buffer(x2, (n, T.int64(6)))
        T_add_1 = T.match_buffer(T_add, (n, T.int64(6)))
        for ax0, ax1 in T.grid(n, T.int64(6)):
            with T.block("T_add"):
                v_ax0, v_ax1 = T.axis.remap("SS", [ax0, ax1])
                T_add_1[v_ax0, v_ax1] = x1_1[v_ax0, v_ax1] + x2_1[v_ax0, v_ax1]

    @T.prim_func(private=True)
    def add1(x1: T.handle, x2: T.Buffer((T.int64(3),), "float32"), T_add: T.handle, n: T.int64):
        T.func_attr({"tir.noalias": True})
        x1_1 = T.match_buffer(x1, (n * T.int64(2), T.int64(3)))
        T_add_1 = T.match_buffer(T_add, (n * T.int64(2), T.int64(3)))
        for ax0, ax1 in T.grid(n * T.int64(2), T.int64(3)):
            with T.block("T_add"):
                v_ax0, v_ax1 = T.axis.remap("SS", [ax0, ax1])
                T_add_1[v_ax0, v_ax1] = x1_1[v_ax0, v_ax1] + x2[v_ax1]

    @T.prim_func(private=True)
    def exp(x: T.handle, T_exp: T.handle, n: T.int64):
        T.func_attr({"tir.noalias": True})
        x_1 = T.match_buffer(x, (n * T.int64(2), T.int64(3)))
        T_exp_1 = T.match_buffer(T_exp, (n * T.int64(2), T.int64(3)))
        for ax0, ax1 in T.grid(n * T.int64(2), T.int64(3)):
            with T.block("T_exp"):
                v_ax0, v_ax1 = T.axis.remap("SS", [ax0, ax1])
                T_exp_1[v_ax0, v_ax1] = T.exp(x_1[v_ax0, v_ax1])

    @T.prim_func(private=True)
    def reshape(x: T.handle, T_reshape: T.handle):
        T.func_attr({"tir.noalias": True, "weft.reshape": True})
        n = T.int64()
        x_1 = T.match_buffer(x, (n, T.int64(6)))
        T_reshape_1 = T.match_buffer(T_reshape, (n * T.int64(2), T.int64(3)))
        for ax0, ax1 in T.grid(n * T.int64(2), T.int64(3)):
            with T.block("T_reshape"):
                v_ax0, v_ax1 = T.axis.remap("SS", [ax0, ax1])
                T_reshape_1[v_ax0, v_ax1] = x_1[(v_ax0 * T.int64(3) + v_ax1) // T.int64(6), (v_ax0 * T.int64(3) + v_ax1) % T.int64(6)]

    @R.function
    def main(x: R.Tensor(("n", 6), dtype="float32"), y: R.Tensor((3,), dtype="float32")) -> R.Tensor((n * 2, 3), dtype="float32"):
        n = T.int64()
        cls = Module
        with R.dataflow():
            lv0 = R.call_tir(cls.add, (x, x), out_sinfo=R.Tensor((n, 6), dtype="float32"))
            lv1 = R.call_tir(cls.reshape, (lv0,), out_sinfo=R.Tensor((n * 2, 3), dtype="float32"))
            lv2 = R.call_tir(cls.exp, (lv1,), out_sinfo=R.Tensor((n * 2, 3), dtype="float32"), tir_vars=R.shape([n]))
            gv = R.call_tir(cls.add1, (lv2, y), out_sinfo=R.Tensor((n * 2, 3), dtype="float32"), tir_vars=R.shape([n]))
            R.output(gv)
        return gv
`,
    );
  });

  it("batch_norm becomes a PrimFunc for the output and a tuple with the running statistics", () => {
    const out = LegalizeOps(
      parseRelaxScript(`
@R.function
def main(x: R.Tensor((1, 2, 3, 3), dtype="float32"), g: R.Tensor((2,), dtype="float32"), b: R.Tensor((2,), dtype="float32"), m: R.Tensor((2,), dtype="float32"), v: R.Tensor((2,), dtype="float32")):
    with R.dataflow():
        bn = R.nn.batch_norm(x, g, b, m, v, axis=1, epsilon=1e-05)
        gv = bn[0]
        R.output(gv)
    return gv
`),
    );
    const text = printRelax(out);
    expect(text).toContain(`R.call_tir(cls.batch_norm, (x, g, b, m, v), out_sinfo=R.Tensor((1, 2, 3, 3), dtype="float32"))`);
    expect(text).toMatch(/bn: R\.Tuple\(.*\) = \(lv, m, v\)/);
    expect(out.get("batch_norm")).toBeInstanceOf(PrimFunc);
  });

  it("leaves call_tir, call_dps_packed, call_pure_packed and shape_of alone", () => {
    const mod = parseRelaxScript(`
@R.function
def main(x: R.Tensor((4,), dtype="float32")):
    s = R.shape_of(x)
    y = R.call_dps_packed("my_func", (x,), out_sinfo=R.Tensor((4,), dtype="float32"))
    z = R.call_pure_packed("other", y, sinfo_args=(R.Tensor((4,), dtype="float32"),))
    return (s, z)
`);
    assertStructuralEqual(LegalizeOps(mod), mod);
  });
});

describe("LegalizeOps: errors", () => {
  it("an op without a legalization is reported with its function and binding, all at once", () => {
    if (!RelaxOp.byScriptName("test_mystery")) {
      RelaxOp.register("relax.test_mystery", { params: [{ name: "x", kind: "expr" }], infer: (call) => (call.args[0] as Var).structInfo as TensorStructInfo });
    }
    const bb = new BlockBuilder();
    const x = new Var("x", tensor([4]));
    bb.function("main", [x], (b) =>
      b.dataflow(() => {
        const a = b.emit(op.callOp("relax.test_mystery", [x]), "a");
        const c = b.emit(op.exp(a), "c");
        return b.emitOutput(op.callOp("relax.test_mystery", [c]), "d");
      }),
    );
    let err: unknown;
    try {
      LegalizeOps(bb.getModule());
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(LegalizeError);
    const m = (err as Error).message;
    expect(m).toContain(`2 call(s) cannot be legalized`);
    expect(m).toContain(`R.test_mystery in function "main", binding 'a': the operator has no legalization`);
    expect(m).toContain(`R.test_mystery in function "main", binding 'd'`);
    expect((err as InstanceType<typeof LegalizeError>).failures.map((f) => f.binding)).toEqual(["a", "d"]);
  });

  it("a tensor of unknown shape cannot be legalized; the message says how to fix it", () => {
    const mod = parseRelaxScript(`
@R.function
def main(x: R.Tensor(dtype="float32", ndim=2)):
    with R.dataflow():
        y = R.exp(x)
        R.output(y)
    return y
`);
    expect(() => LegalizeOps(mod)).toThrow(/R\.exp in function "main", binding 'y': the shape of 'x' is unknown \(R\.Tensor\(ndim=2, dtype="float32"\)\); give it one with R\.match_cast first/);
  });
});

describe("pipelines and WEFT_DUMP_IR", () => {
  it("dumps the mixed module after each pass as TVMScript that parses back", () => {
    const dir = mkdtempSync(join(tmpdir(), "weft-relax-dump-"));
    const mod = parseRelaxScript(`
@R.function
def main(x: R.Tensor((2, 3), dtype="float32")):
    with R.dataflow():
        y = R.exp(x)
        R.output(y)
    return y
`);
    const out = runPipeline(mod, [LegalizeOps], { dumpDir: dir });
    const files = readdirSync(dir).sort();
    expect(files).toEqual(["00_input.py", "01_LegalizeOps.py"]);
    const text = readFileSync(join(dir, files[1]!), "utf8");
    expect(text).toContain("@R.function");
    expect(text).toContain("@T.prim_func(private=True)");
    assertStructuralEqual(parseRelaxScript(text), out);
    expect((out.get("main") as Function).params.length).toBe(1);
  });
});
