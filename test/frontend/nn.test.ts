import { describe, expect, it } from "vitest";
import { structuralEqual } from "../../src/ir/structural.js";
import { decodeModel, importOnnx, nn, toNumber } from "../../src/frontend/index.js";
import { Constant, parseRelaxScript, printRelax } from "../../src/relax/index.js";
import { HEADER, callOf, constArg, expectScript, mainOf, opsOf, retText } from "./helpers.js";

import { TinyBert, cnn, mlp } from "./models.js";

const { Rng, Sequential, GELU, Conv2d } = nn;

/** Relax export and the import of the ONNX export agree on main's signature, with weights as constants and as inputs. */
function checkRoundTrip(model: nn.Module, inputs: nn.InputSpec[], wantRet: string) {
  const directMod = nn.exportRelax(model, inputs), onnxMod = importOnnx(nn.exportOnnx(model, inputs));
  const direct = mainOf(directMod), viaOnnx = mainOf(onnxMod);
  // Both print as TVMScript that parses back to the same module.
  for (const m of [directMod, onnxMod]) expect(structuralEqual(parseRelaxScript(printRelax(m)), m)).toBe(true);
  expect(retText(direct)).toBe(wantRet);
  expect(structuralEqual(direct.structInfo, viaOnnx.structInfo, { mapFreeVars: true })).toBe(true);
  const directP = mainOf(nn.exportRelax(model, inputs, { paramsAsInputs: true }));
  const viaOnnxP = mainOf(importOnnx(nn.exportOnnx(model, inputs), { keepParamsInInput: true }));
  expect(directP.params.length).toBe(inputs.length + model.namedParameters().length);
  expect(directP.params.map((p) => p.name)).toEqual(viaOnnxP.params.map((p) => p.name));
  expect(structuralEqual(directP.structInfo, viaOnnxP.structInfo, { mapFreeVars: true })).toBe(true);
  return { direct, viaOnnx };
}

describe("nn builder", () => {
  it("Rng is deterministic per seed and parameters are named by path", () => {
    expect(Array.from(new Rng(7).uniform(4, 1))).toEqual(Array.from(new Rng(7).uniform(4, 1)));
    expect(Array.from(new Rng(7).uniform(4, 1))).not.toEqual(Array.from(new Rng(8).uniform(4, 1)));
    const m = mlp();
    expect(m.namedParameters().map(([n, p]) => `${n}:${p.shape.join("x")}`)).toEqual(["0.weight:8x16", "0.bias:16", "2.weight:16x4", "2.bias:4"]);
    // PyTorch's default init bound 1/sqrt(fan_in).
    const w = m.namedParameters()[0]![1].data;
    expect(Math.max(...Array.from(w, Math.abs))).toBeLessThanOrEqual(1 / Math.sqrt(8));
    expect(new Set(w).size).toBe(w.length);
  });

  it("an MLP exports to Relax (weights as inputs) as the expected TVMScript", () => {
    const mod = nn.exportRelax(mlp(), [{ name: "x", shape: ["n", 8] }], { paramsAsInputs: true });
    expectScript(mod, `${HEADER}
@I.ir_module
class Module:
    @R.function
    def main(x: R.Tensor(("n", 8), dtype="float32"), v_0_weight: R.Tensor((8, 16), dtype="float32"), v_0_bias: R.Tensor((16,), dtype="float32"), v_2_weight: R.Tensor((16, 4), dtype="float32"), v_2_bias: R.Tensor((4,), dtype="float32")) -> R.Tensor(("n", 4), dtype="float32"):
        n = T.int64()
        with R.dataflow():
            lv = R.matmul(x, v_0_weight)
            lv1 = R.add(lv, v_0_bias)
            lv2 = R.nn.relu(lv1)
            lv3 = R.matmul(lv2, v_2_weight)
            lv4 = R.add(lv3, v_2_bias)
            gv = lv4
            R.output(gv)
        return gv
`);
  });

  it("weights become Constants holding the parameter data", () => {
    const m = mlp();
    const f = mainOf(nn.exportRelax(m, [{ name: "x", shape: [2, 8] }]));
    const w = constArg(callOf(f, "matmul"), 1);
    expect(w).toBeInstanceOf(Constant);
    expect(w.data).toEqual(Array.from(m.namedParameters()[0]![1].data));
  });

  it("the ONNX export is opset 17 with initializers and dim_params", () => {
    const m = mlp();
    const model = decodeModel(nn.exportOnnx(m, [{ name: "x", shape: ["n", 8] }]));
    expect(toNumber(model.opsetImport[0]!.version)).toBe(17);
    expect(model.graph!.initializer!.map((t) => t.name)).toEqual(["0.weight", "0.bias", "2.weight", "2.bias"]);
    expect(model.graph!.input![0]!.type!.tensorType!.shape!.dim![0]!.dimParam).toBe("n");
    expect(model.graph!.node!.map((n) => n.opType)).toEqual(["MatMul", "Add", "Relu", "MatMul", "Add", "Identity"]);
    const imported = mainOf(importOnnx(model));
    // The imported initializer holds the same float32 values.
    expect(constArg(callOf(imported, "matmul"), 1).data).toEqual(Array.from(m.namedParameters()[0]![1].data));
  });

  it("MLP: Relax export and ONNX import agree", () => {
    checkRoundTrip(mlp(), [{ name: "x", shape: ["batch", 8] }], 'R.Tensor((batch, 4), dtype="float32")');
  });

  it("small CNN: Relax export and ONNX import agree", () => {
    const { viaOnnx } = checkRoundTrip(cnn(), [{ name: "image", shape: ["n", 3, 16, 16] }], 'R.Tensor((n, 10), dtype="float32")');
    // BatchNormalization with initializer parameters folds to a scale and shift on import.
    expect(opsOf(viaOnnx).filter((o) => o === "nn.conv2d").length).toBe(2);
    expect(opsOf(viaOnnx)).toContain("nn.max_pool2d");
  });

  it("BERT-style encoder layer with a symbolic sequence length: Relax export and ONNX import agree", () => {
    const model = new TinyBert(new Rng(3));
    const inputs = [{ name: "input_ids", shape: ["batch", "seq"], dtype: "int64" }];
    const { direct, viaOnnx } = checkRoundTrip(model, inputs, 'R.Tensor((batch, seq, 16), dtype="float32")');
    // Attention scores are (batch, heads, seq, seq) in both.
    const text = printRelax(direct);
    expect(text).toContain('R.Tensor((batch, 4, seq, seq), dtype="float32") = R.matmul(');
    expect(printRelax(viaOnnx)).toContain('R.Tensor((batch, 4, seq, seq), dtype="float32") = R.matmul(');
    expect(opsOf(direct).filter((o) => o === "nn.layer_norm").length).toBe(3);
    expect(opsOf(viaOnnx).filter((o) => o === "nn.layer_norm").length).toBe(3);
    expect(opsOf(viaOnnx)).toContain("erf");
  });

  it("rejects exports without inputs and layers with inconsistent sizes", () => {
    expect(() => nn.exportRelax(mlp(), [])).toThrow(/at least one input/);
    expect(() => nn.exportOnnx(mlp(), [])).toThrow(/at least one input/);
    expect(() => new Conv2d(3, 8, 3, { groups: 2 })).toThrow(/divide into 2 groups/);
    expect(() => nn.exportRelax(mlp(), [{ name: "x", shape: [2, 7] }])).toThrow(/reduction dimension mismatch/);
  });

  it("GELU: nn.gelu in Relax, the erf formula in ONNX", () => {
    const m = new Sequential(new GELU());
    expect(opsOf(mainOf(nn.exportRelax(m, [{ name: "x", shape: [4] }])))).toEqual(["nn.gelu"]);
    expect(opsOf(mainOf(importOnnx(nn.exportOnnx(m, [{ name: "x", shape: [4] }]))))).toEqual(["divide", "erf", "multiply", "add", "multiply"]);
  });
});
