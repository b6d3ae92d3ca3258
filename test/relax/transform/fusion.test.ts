/**
 * AnnotateTIROpPattern, FuseOps and FuseTIR: patterns per operator family, the grouping of
 * an MLP as TVMScript, a fused PrimFunc as TVMScript, numeric equality of the fused and
 * unfused programs (MLP, small CNN block, symbolic batch) in the TIR interpreter, and the
 * default CPU schedules on fused matmul+bias+relu and conv+bias+relu.
 */
import { describe, expect, it } from "vitest";
import { assertStructuralEqual } from "../../../src/ir/structural.js";
import type { IRModule } from "../../../src/ir/module.js";
import { Call, Function, SeqExpr, parseRelaxScript, printRelax, transform } from "../../../src/relax/index.js";
import { applyDefaultSchedule, defaultScheduleWithReport } from "../../../src/schedule/default/index.js";
import { PrimFunc } from "../../../src/tir/function.js";
import { Rng, randomArray, type HostArray } from "../../../src/tir/interp/index.js";
import { evalRelax, expectArraysClose } from "../reference_eval.js";

const { LegalizeOps, AnnotateTIROpPattern, FuseOps, FuseTIR, OP_PATTERN_ATTR, opPatternName, runPipeline } = transform;

const pattern = (mod: IRModule, name: string) => opPatternName((mod.get(name) as PrimFunc).attrs[OP_PATTERN_ATTR] as number);

describe("AnnotateTIROpPattern", () => {
  it("classifies each operator family from its blocks", () => {
    const mod = runPipeline(
      parseRelaxScript(`
@R.function
def main(x: R.Tensor((2, 3, 8, 8), dtype="float32"), w: R.Tensor((4, 3, 3, 3), dtype="float32"), m: R.Tensor((6, 6), dtype="float32"), v: R.Tensor((6,), dtype="float32")):
    with R.dataflow():
        a = R.add(m, m)
        bias = R.add(m, v)
        bc = R.broadcast_to(v, R.shape([6, 6]))
        t = R.permute_dims(m)
        s = R.sum(m, axis=[1])
        mm = R.matmul(m, m)
        c = R.nn.conv2d(x, w, padding=[1, 1])
        p = R.nn.max_pool2d(x, pool_size=[2, 2], strides=[2, 2])
        sm = R.nn.softmax(m)
        ln = R.nn.layer_norm(m, v, v)
        R.output(a, bias, bc, t, s, mm, c, p, sm, ln)
    return (a, bias, bc, t, s, mm, c, p, sm, ln)
`),
      [LegalizeOps, AnnotateTIROpPattern],
    );
    const got = Object.fromEntries(["add", "add1", "broadcast_to", "transpose", "sum", "matmul", "conv2d", "max_pool2d", "softmax", "layer_norm"].map((n) => [n, pattern(mod, n)]));
    expect(got).toEqual({
      add: "elementwise",
      // A bias add loads one operand at the store's indices: elementwise wins over broadcast.
      add1: "elementwise",
      broadcast_to: "broadcast",
      transpose: "injective",
      sum: "comm-reduce",
      matmul: "out-elemwise-fusable",
      conv2d: "out-elemwise-fusable",
      max_pool2d: "out-elemwise-fusable",
      softmax: "out-elemwise-fusable",
      // Two stores in one block (the sum / sum-of-squares reduction).
      layer_norm: "opaque",
    });
  });

  it("writes op_pattern into the PrimFunc's attributes (TVMScript before / after)", () => {
    const before = `
@I.ir_module
class Module:
    @T.prim_func(private=True)
    def f(A: T.Buffer((T.int64(4), T.int64(4)), "float32"), B: T.Buffer((T.int64(4),), "float32"), C: T.Buffer((T.int64(4), T.int64(4)), "float32")):
        for i, j in T.grid(T.int64(4), T.int64(4)):
            with T.block("C"):
                vi, vj = T.axis.remap("SS", [i, j])
                C[vi, vj] = A[vj, vi] + B[vi]
`;
    const out = AnnotateTIROpPattern(parseRelaxScript(before));
    assertStructuralEqual(out, parseRelaxScript(before.replace(`"float32")):\n        for`, `"float32")):\n        T.func_attr({"op_pattern": 2})\n        for`)));
  });
});

const MLP = `
@R.function
def main(x: R.Tensor(("n", 16), dtype="float32"), w0: R.Tensor((16, 32), dtype="float32"), b0: R.Tensor((32,), dtype="float32"), w1: R.Tensor((32, 8), dtype="float32"), b1: R.Tensor((8,), dtype="float32")) -> R.Tensor(("n", 8), dtype="float32"):
    n = T.int64()
    with R.dataflow():
        lv0 = R.matmul(x, w0)
        lv1 = R.add(lv0, b0)
        lv2 = R.nn.relu(lv1)
        lv3 = R.matmul(lv2, w1)
        lv4 = R.add(lv3, b1)
        gv = R.nn.softmax(lv4, axis=-1)
        R.output(gv)
    return gv
`;

const CNN = `
@R.function
def main(x: R.Tensor(("b", 3, 8, 8), dtype="float32"), w: R.Tensor((4, 3, 3, 3), dtype="float32"), bias: R.Tensor((1, 4, 1, 1), dtype="float32"), w2: R.Tensor((4, 4, 1, 1), dtype="float32")) -> R.Tensor(("b", 64), dtype="float32"):
    b = T.int64()
    with R.dataflow():
        c = R.nn.conv2d(x, w, padding=[1, 1])
        d = R.add(c, bias)
        e = R.nn.relu(d)
        p = R.nn.max_pool2d(e, pool_size=[2, 2], strides=[2, 2])
        c2 = R.nn.conv2d(p, w2)
        s = R.sigmoid(c2)
        m = R.multiply(c2, s)
        gv = R.reshape(m, R.shape([b, 64]))
        R.output(gv)
    return gv
`;

/** The module's PrimFuncs as TVMScript class members, to compose expected modules. */
function primFuncText(mod: IRModule): string {
  const text = printRelax(mod);
  const start = text.indexOf("    @T.prim_func");
  const end = text.indexOf("    @R.function");
  return text.slice(start, end);
}

describe("FuseOps", () => {
  it("groups matmul + bias add + relu, and matmul + bias add (softmax is out-elemwise-fusable and stays alone)", () => {
    const annotated = runPipeline(parseRelaxScript(MLP), [LegalizeOps, AnnotateTIROpPattern]);
    const out = FuseOps(annotated);
    const expected = `
@I.ir_module
class Module:
${primFuncText(annotated)}
    @R.function(private=True)
    def fused_matmul_add_relu(x: R.Tensor(("n", 16), dtype="float32"), w0: R.Tensor((16, 32), dtype="float32"), b0: R.Tensor((32,), dtype="float32")) -> R.Tensor(("n", 32), dtype="float32"):
        n = T.int64()
        R.func_attr({"Primitive": 1})
        cls = Module
        with R.dataflow():
            lv0 = R.call_tir(cls.matmul, (x, w0), out_sinfo=R.Tensor((n, 32), dtype="float32"))
            lv1 = R.call_tir(cls.add, (lv0, b0), out_sinfo=R.Tensor((n, 32), dtype="float32"))
            lv2 = R.call_tir(cls.relu, (lv1,), out_sinfo=R.Tensor((n, 32), dtype="float32"))
            R.output(lv2)
        return lv2

    @R.function(private=True)
    def fused_matmul1_add1(lv2: R.Tensor(("n", 32), dtype="float32"), w1: R.Tensor((32, 8), dtype="float32"), b1: R.Tensor((8,), dtype="float32")) -> R.Tensor(("n", 8), dtype="float32"):
        n = T.int64()
        R.func_attr({"Primitive": 1})
        cls = Module
        with R.dataflow():
            lv3 = R.call_tir(cls.matmul1, (lv2, w1), out_sinfo=R.Tensor((n, 8), dtype="float32"))
            lv4 = R.call_tir(cls.add1, (lv3, b1), out_sinfo=R.Tensor((n, 8), dtype="float32"))
            R.output(lv4)
        return lv4

    @R.function
    def main(x: R.Tensor(("n", 16), dtype="float32"), w0: R.Tensor((16, 32), dtype="float32"), b0: R.Tensor((32,), dtype="float32"), w1: R.Tensor((32, 8), dtype="float32"), b1: R.Tensor((8,), dtype="float32")) -> R.Tensor(("n", 8), dtype="float32"):
        n = T.int64()
        cls = Module
        with R.dataflow():
            lv2 = cls.fused_matmul_add_relu(x, w0, b0)
            lv4 = cls.fused_matmul1_add1(lv2, w1, b1)
            gv = R.call_tir(cls.softmax, (lv4,), out_sinfo=R.Tensor((n, 8), dtype="float32"))
            R.output(gv)
        return gv
`;
    assertStructuralEqual(out, parseRelaxScript(expected));
  });

  it("an elementwise op fuses into the reduction it feeds; one feeding two reductions stays alone", () => {
    const out = runPipeline(
      parseRelaxScript(`
@R.function
def main(x: R.Tensor((4, 8), dtype="float32")):
    with R.dataflow():
        e = R.exp(x)
        s = R.sum(e, axis=[1])
        t = R.add(e, e)
        r = R.sum(t, axis=[1])
        R.output(s, r)
    return (s, r)
`),
      [LegalizeOps, AnnotateTIROpPattern, FuseOps],
    );
    const main = out.get("main") as Function;
    const calls = (main.body as SeqExpr).blocks.flatMap((b) => b.bindings).map((b) => b.value).filter((v): v is Call => v instanceof Call);
    // exp feeds two reductions: no single post-dominator, so it stays; add fuses into its sum.
    expect(calls.map((c) => (c.op instanceof Object && "name" in c.op ? (c.op as { name: string }).name : ""))).toEqual(["relax.call_tir", "relax.call_tir", "fused_add_sum"]);
  });
});

describe("FuseTIR", () => {
  it("merges a group into one PrimFunc with the intermediate as an alloc_buffer (TVMScript before / after)", () => {
    const out = runPipeline(
      parseRelaxScript(`
@R.function
def main(x: R.Tensor((4,), dtype="float32"), y: R.Tensor((4,), dtype="float32")) -> R.Tensor((4,), dtype="float32"):
    with R.dataflow():
        e = R.exp(x)
        gv = R.add(e, y)
        R.output(gv)
    return gv
`),
      [LegalizeOps, AnnotateTIROpPattern, FuseOps, FuseTIR],
    );
    assertStructuralEqual(
      out,
      parseRelaxScript(`
@I.ir_module
class Module:
    @T.prim_func(private=True)
    def fused_exp_add(x: T.Buffer((T.int64(4),), "float32"), y: T.Buffer((T.int64(4),), "float32"), gv: T.Buffer((T.int64(4),), "float32")):
        T.func_attr({"tir.noalias": True})
        e = T.alloc_buffer((T.int64(4),))
        for ax0 in range(T.int64(4)):
            with T.block("T_exp"):
                v_ax0 = T.axis.spatial(T.int64(4), ax0)
                e[v_ax0] = T.exp(x[v_ax0])
        for ax0 in range(T.int64(4)):
            with T.block("T_add"):
                v_ax0 = T.axis.spatial(T.int64(4), ax0)
                gv[v_ax0] = e[v_ax0] + y[v_ax0]

    @R.function
    def main(x: R.Tensor((4,), dtype="float32"), y: R.Tensor((4,), dtype="float32")) -> R.Tensor((4,), dtype="float32"):
        cls = Module
        with R.dataflow():
            gv = R.call_tir(cls.fused_exp_add, (x, y), out_sinfo=R.Tensor((4,), dtype="float32"))
            R.output(gv)
        return gv
`),
    );
  });

  it("a symbolic var only an expression mentions reaches the group in a shape and the fused PrimFunc in tir_vars", () => {
    const src = `
@R.function
def main(s: R.Tensor(("n",), dtype="float32"), x: R.Tensor((n * 2, 3), dtype="float32")) -> R.Tensor((n * 2, 3), dtype="float32"):
    n = T.int64()
    with R.dataflow():
        e = R.exp(x)
        gv = R.add(e, e)
        R.output(gv)
    return gv
`;
    const unfused = runPipeline(parseRelaxScript(src), [LegalizeOps, AnnotateTIROpPattern]);
    const grouped = FuseOps(unfused);
    expect(printRelax(grouped)).toContain("def fused_exp_add(tir_vars: R.Shape([\"n\"]), x: R.Tensor((n * 2, 3), dtype=\"float32\"))");
    const fused = FuseTIR(grouped);
    assertStructuralEqual(
      fused,
      parseRelaxScript(`
@I.ir_module
class Module:
    @T.prim_func(private=True)
    def fused_exp_add(x: T.handle, gv: T.handle, n: T.int64):
        T.func_attr({"tir.noalias": True})
        x_1 = T.match_buffer(x, (n * T.int64(2), T.int64(3)))
        gv_1 = T.match_buffer(gv, (n * T.int64(2), T.int64(3)))
        e = T.alloc_buffer((n * T.int64(2), T.int64(3)))
        for ax0, ax1 in T.grid(n * T.int64(2), T.int64(3)):
            with T.block("T_exp"):
                v_ax0, v_ax1 = T.axis.remap("SS", [ax0, ax1])
                e[v_ax0, v_ax1] = T.exp(x_1[v_ax0, v_ax1])
        for ax0, ax1 in T.grid(n * T.int64(2), T.int64(3)):
            with T.block("T_add"):
                v_ax0, v_ax1 = T.axis.remap("SS", [ax0, ax1])
                gv_1[v_ax0, v_ax1] = e[v_ax0, v_ax1] + e[v_ax0, v_ax1]

    @R.function
    def main(s: R.Tensor(("n",), dtype="float32"), x: R.Tensor((n * 2, 3), dtype="float32")) -> R.Tensor((n * 2, 3), dtype="float32"):
        n = T.int64()
        cls = Module
        with R.dataflow():
            gv = R.call_tir(cls.fused_exp_add, (x,), out_sinfo=R.Tensor((n * 2, 3), dtype="float32"), tir_vars=R.shape([n]))
            R.output(gv)
        return gv
`),
    );
    const r = new Rng(5);
    const args = [randomArray([2], "float32", r), randomArray([4, 3], "float32", r)];
    const want = evalRelax(unfused, "main", args);
    expectArraysClose(evalRelax(grouped, "main", args), want);
    expectArraysClose(evalRelax(fused, "main", args), want);
  });

  const rng = new Rng(11);
  const rand = (shape: number[]) => randomArray(shape, "float32", rng);

  function compareFused(src: string, args: HostArray[]): IRModule {
    const unfused = runPipeline(parseRelaxScript(src), [LegalizeOps, AnnotateTIROpPattern]);
    const grouped = FuseOps(unfused);
    const fused = FuseTIR(grouped);
    const stats = { calls: [] as string[] };
    const want = evalRelax(unfused, "main", args);
    expectArraysClose(evalRelax(grouped, "main", args), want);
    expectArraysClose(evalRelax(fused, "main", args, stats), want);
    for (const [, f] of fused.entries()) expect(f instanceof PrimFunc || (f instanceof Function && f.attrs["Primitive"] === undefined)).toBe(true);
    expect(stats.calls.length).toBeLessThan(((unfused.get("main") as Function).body as SeqExpr).blocks[0]!.bindings.length);
    return fused;
  }

  it("MLP: the fused PrimFuncs compute what the unfused ones do (symbolic batch, two sizes)", () => {
    for (const n of [1, 3]) {
      const fused = compareFused(MLP, [rand([n, 16]), rand([16, 32]), rand([32]), rand([32, 8]), rand([8])]);
      expect(fused.globalVars.map((g) => g.name)).toEqual(["fused_matmul1_add1", "fused_matmul_add_relu", "main", "softmax"]);
    }
  });

  it("CNN block (conv + bias + relu, pool, 1x1 conv + silu-like tail, reshape): same numbers fused", () => {
    const fused = compareFused(CNN, [rand([2, 3, 8, 8]), rand([4, 3, 3, 3]), rand([1, 4, 1, 1]), rand([4, 4, 1, 1])]);
    expect(fused.globalVars.map((g) => g.name)).toContain("fused_conv2d_add_relu");
    const text = String(fused.get("fused_conv2d_add_relu"));
    expect(text).toMatch(/pad_temp = T\.alloc_buffer/);
    expect(text).toMatch(/c = T\.alloc_buffer\(\(b, T\.int64\(4\), T\.int64\(8\), T\.int64\(8\)\)\)/);
  });

  it("the default CPU schedules apply to fused matmul+bias+relu and conv+bias+relu", () => {
    const src = `
@R.function
def main(x: R.Tensor((1, 8, 12, 12), dtype="float32"), w: R.Tensor((16, 8, 3, 3), dtype="float32"), bias: R.Tensor((1, 16, 1, 1), dtype="float32"), a: R.Tensor((32, 64), dtype="float32"), wm: R.Tensor((64, 48), dtype="float32"), bm: R.Tensor((48,), dtype="float32")):
    with R.dataflow():
        c = R.nn.conv2d(x, w, padding=[1, 1])
        d = R.add(c, bias)
        e = R.nn.relu(d)
        m = R.matmul(a, wm)
        mb = R.add(m, bm)
        mr = R.nn.relu(mb)
        R.output(e, mr)
    return (e, mr)
`;
    const fused = runPipeline(parseRelaxScript(src), [LegalizeOps, AnnotateTIROpPattern, FuseOps, FuseTIR]);
    const conv = fused.get("fused_conv2d_add_relu") as PrimFunc;
    const mm = fused.get("fused_matmul_add1_relu1") as PrimFunc;
    const rules = (f: PrimFunc, t: string) => defaultScheduleWithReport(f, t).applied.map((r) => `${r.block}:${r.rule}`);
    // The bias add is inlined into relu, which becomes the matmul's / conv's write stage; the
    // int64 matmul gets the micro-kernel on c.
    expect(rules(mm, "c")).toEqual(["T_add:inline", "T_matmul_NN:matmul-ukernel", "T_relu:matmul-epilogue"]);
    expect(rules(mm, "js")).toEqual(["T_add:inline", "T_matmul_NN:matmul", "T_relu:matmul-epilogue"]);
    expect(rules(conv, "c")).toEqual(["T_add:inline", "conv2d_nchw:conv-packed", "T_relu:conv-epilogue", "pad_temp:elementwise"]);
    expect(rules(conv, "js")).toEqual(["T_add:inline", "conv2d_nchw:conv", "T_relu:elementwise", "pad_temp:elementwise"]);
    // Scheduled for js (interpretable), the fused functions still compute the same numbers.
    const scheduled = applyDefaultSchedule(fused, "js");
    const args = [rand([1, 8, 12, 12]), rand([16, 8, 3, 3]), rand([1, 16, 1, 1]), rand([32, 64]), rand([64, 48]), rand([48])];
    expectArraysClose(evalRelax(scheduled, "main", args), evalRelax(fused, "main", args), { rtol: 1e-4, atol: 1e-4 });
  });
});
