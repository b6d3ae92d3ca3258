import { describe, expect, it } from "vitest";
import { int64 } from "../../src/ir/dtype.js";
import { IntImm, Var as TirVar } from "../../src/ir/expr.js";
import { OnnxGraphBuilder, decodeModel, importOnnx, onnxFloat } from "../../src/frontend/index.js";
import { structuralEqual } from "../../src/ir/structural.js";
import { Constant, ShapeExpr, TensorStructInfo, parseRelaxScript, printRelax } from "../../src/relax/index.js";
import { HEADER, callOf, constArg, expectScript, mainOf, opsOf, retText, single } from "./helpers.js";

describe("importOnnx: graph structure", () => {
  it("an MLP with a dim_param batch imports as a dataflow main with symbolic shapes", () => {
    const g = new OnnxGraphBuilder();
    const x = g.input("input.1", "float32", ["batch", 4]);
    const w = g.initializer("fc.weight", "float32", [3, 4], Array.from({ length: 12 }, (_, i) => i));
    const b = g.initializer("fc.bias", "float32", [3], [1, 2, 3]);
    const h = g.op("Gemm", [x, w, b], { transB: 1 });
    const y = g.op("Relu", [h]);
    g.output(y);
    const mod = importOnnx(g.toBytes(), { keepParamsInInput: true });
    expectScript(mod, `${HEADER}
@I.ir_module
class Module:
    @R.function
    def main(input_1: R.Tensor(("batch", 4), dtype="float32"), fc_weight: R.Tensor((3, 4), dtype="float32"), fc_bias: R.Tensor((3,), dtype="float32")) -> R.Tensor(("batch", 3), dtype="float32"):
        batch = T.int64()
        with R.dataflow():
            lv = R.permute_dims(fc_weight, axes=[1, 0])
            lv1 = R.matmul(input_1, lv)
            gemm = R.add(lv1, fc_bias)
            relu = R.nn.relu(gemm)
            gv = relu
            R.output(gv)
        return gv
`);
  });

  it("initializers become Constants by default, holding the initializer's data", () => {
    const f = single("MatMul", [{ name: "x", dims: [2, 3] }, { init: { shape: [3, 2], data: [1, 2, 3, 4, 5, 6] } }]);
    expect(f.params.length).toBe(1);
    const w = constArg(callOf(f, "matmul"), 1);
    expect(w.shape).toEqual([3, 2]);
    expect(w.data).toEqual([1, 2, 3, 4, 5, 6]);
    expect(retText(f)).toBe('R.Tensor((2, 2), dtype="float32")');
  });

  it("dim_params are shared by name across inputs; dims without value or name get fresh vars", () => {
    const g = new OnnxGraphBuilder();
    const a = g.input("a", "float32", ["n", 8]);
    const b = g.input("b", "float32", ["n", null]);
    const c = g.input("c", "float32", [null, 8]);
    g.output(g.op("Add", [a, b]));
    g.output(g.op("Identity", [c]));
    const f = mainOf(importOnnx(g.toBytes()));
    const dims = f.params.map((p) => (p.structInfo as TensorStructInfo).dims!);
    expect(dims[0]![0]).toBe(dims[1]![0]);
    expect(dims[0]![0]).toBeInstanceOf(TirVar);
    expect((dims[0]![0] as TirVar).name).toBe("n");
    expect(dims[1]![1]).toBeInstanceOf(TirVar);
    expect(dims[2]![0]).toBeInstanceOf(TirVar);
    expect(dims[1]![1]).not.toBe(dims[2]![0]);
    expect((dims[0]![1] as IntImm).value).toBe(8);
    expect(printRelax(f)).toContain('a: R.Tensor(("n", 8), dtype="float32")');
  });

  it("dim_params that are not identifiers become valid symbolic var names; the module prints and parses back", () => {
    const g = new OnnxGraphBuilder();
    const x = g.input("input:0", "float32", ["batch size", "seq-len", 4]);
    const shapeOfShape = g.op("Shape", [g.op("Shape", [x])]);
    g.output(g.op("Reshape", [x, g.op("Concat", [g.ints([-1]), g.op("Gather", [g.op("Shape", [x]), g.ints([2])])], { axis: 0 })]));
    g.output(shapeOfShape);
    const mod = importOnnx(g.toBytes());
    const f = mainOf(mod);
    expect(retText(f)).toBe('R.Tuple(R.Tensor((batch_size * seq_len, 4), dtype="float32"), R.Tensor((1,), dtype="int64"))');
    const text = printRelax(mod);
    expect(structuralEqual(parseRelaxScript(text), mod)).toBe(true);
  });

  it("inputShapes overrides a graph input's dims; a wrong name is reported with the real inputs", () => {
    const g = new OnnxGraphBuilder();
    g.output(g.op("Relu", [g.input("x", "float32", [null, null])]));
    const bytes = g.toBytes();
    const f = mainOf(importOnnx(bytes, { inputShapes: { x: ["b", 16] } }));
    expect(retText(f)).toBe('R.Tensor((b, 16), dtype="float32")');
    expect(() => importOnnx(bytes, { inputShapes: { y: [1] } })).toThrow(/inputShapes names 'y', which is not a graph input \(inputs: x\)/);
  });

  it("several graph outputs become a tuple; a graph input may be an output", () => {
    const g = new OnnxGraphBuilder();
    const x = g.input("x", "float32", [2]);
    g.output(g.op("Exp", [x]));
    g.output(x);
    const f = mainOf(importOnnx(g.toBytes()));
    expect(retText(f)).toBe('R.Tuple(R.Tensor((2,), dtype="float32"), R.Tensor((2,), dtype="float32"))');
  });

  it("shape computations fold at import time: Shape -> Gather -> Concat -> Reshape becomes R.shape([n, 12])", () => {
    const g = new OnnxGraphBuilder();
    const x = g.input("x", "float32", ["n", 3, 4]);
    const s = g.op("Shape", [x]);
    const n = g.op("Gather", [s, g.ints([0])], { axis: 0 });
    const last = g.op("Slice", [s, g.ints([1]), g.ints([2 ** 63 - 1])]);
    const c = g.op("Mul", [g.op("Gather", [last, g.ints([0])]), g.op("Gather", [s, g.ints([-1])])]);
    const shape = g.op("Concat", [n, c], { axis: 0 });
    g.output(g.op("Reshape", [x, shape]));
    const f = mainOf(importOnnx(g.toBytes()));
    const r = callOf(f, "reshape");
    const target = r.args[1] as ShapeExpr;
    expect(target).toBeInstanceOf(ShapeExpr);
    expect(String(target.values[0])).toBe("n");
    expect((target.values[1] as IntImm).value).toBe(12);
    expect(retText(f)).toBe('R.Tensor((n, 12), dtype="float32")');
  });

  it("a static Shape used as data becomes an int64 Constant; a shape of unknown dims becomes R.shape_of", () => {
    const f = single("Shape", [{ name: "x", dims: [2, 5, 7] }]);
    expect(opsOf(f)).toEqual([]);
    expect(retText(f)).toBe('R.Tensor((3,), dtype="int64")');
    const g = new OnnxGraphBuilder();
    const x = g.input("x", "float32", undefined);
    g.output(g.op("Reshape", [g.input("y", "float32", [6]), g.op("Shape", [x])]));
    const f2 = mainOf(importOnnx(g.toBytes()));
    expect(opsOf(f2)).toEqual(["shape_of", "reshape"]);
    const g2 = new OnnxGraphBuilder();
    g2.output(g2.op("Shape", [g2.input("x", "float32", ["n", 2])], { start: -1 }));
    const c = mainOf(importOnnx(g2.toBytes()));
    expect(retText(c)).toBe('R.Tensor((1,), dtype="int64")');
    const g3 = new OnnxGraphBuilder();
    g3.output(g3.op("Shape", [g3.input("x", "float32", ["n", 2])]));
    expect(() => importOnnx(g3.toBytes())).toThrow(/symbolic values \[n, 2\].*shape-to-tensor/);
  });

  it("ConstantOfShape of a static shape and Constant nodes are Constants", () => {
    const g = new OnnxGraphBuilder();
    const c = g.op("Constant", [], { value: { dtype: "int64", shape: [2], data: [2, 3] } });
    const z = g.op("ConstantOfShape", [c], { value: { dtype: "float32", shape: [1], data: [1.5] } });
    const x = g.input("x", "float32", [2, 3]);
    g.output(g.op("Add", [x, z]));
    g.output(g.op("Constant", [], { value_float: onnxFloat(2) }));
    const f = mainOf(importOnnx(g.toBytes()));
    const add = callOf(f, "add");
    const k = constArg(add, 1);
    expect(k.shape).toEqual([2, 3]);
    expect(k.data).toEqual([1.5, 1.5, 1.5, 1.5, 1.5, 1.5]);
    expect(retText(f)).toBe('R.Tuple(R.Tensor((2, 3), dtype="float32"), R.Tensor((), dtype="float32"))');
  });
});

describe("importOnnx: errors", () => {
  it("lists every unsupported op with node names, indices and the opset in one error", () => {
    const g = new OnnxGraphBuilder();
    const x = g.input("x", "float32", [1, 4]);
    const a = g.node("NonMaxSuppression", [x], {}, 1, "nms_1")[0]!;
    const b = g.node("Relu", [a], {}, 1, "ok")[0]!;
    const c = g.node("Unique", [b], {}, 1, "uniq")[0]!;
    g.output(g.node("NonZero", [c], {}, 1, "")[0]!);
    let msg = "";
    try {
      importOnnx(g.toBytes(17));
    } catch (e) {
      msg = (e as Error).message;
    }
    expect(msg).toMatch(/^importOnnx: unsupported ONNX ops \(opset 17\): NonMaxSuppression \(node 'nms_1', #0\), Unique \(node 'uniq', #2\), NonZero \(node #3\) — weft supports: /);
    expect(msg).toContain("Conv");
    expect(msg).not.toContain("Relu (node");
  });

  it("reports ops from other domains as unsupported", () => {
    const g = new OnnxGraphBuilder();
    const x = g.input("x", "float32", [1]);
    g.output(g.op("Relu", [x]));
    const m = g.model();
    m.graph!.node![0]!.domain = "com.microsoft";
    expect(() => importOnnx(m)).toThrow(/unsupported ONNX ops \(opset 17\): com\.microsoft\.Relu \(node 'Relu_0', #0\)/);
  });

  it("rejects bytes that are not an ONNX model, a model without a graph, and an unknown opset", () => {
    expect(() => importOnnx(new Uint8Array([0xff, 0xff, 0xff, 0xff]))).toThrow(/not an ONNX model/);
    expect(() => importOnnx(new Uint8Array())).toThrow(/empty/);
    expect(() => importOnnx({ irVersion: 8, opsetImport: [{ domain: "", version: 17 }] })).toThrow(/has no graph/);
    const g = new OnnxGraphBuilder();
    g.output(g.op("Relu", [g.input("x", "float32", [1])]));
    expect(() => importOnnx(g.toBytes(9))).toThrow(/opset 9; weft converts opsets 13\.\.21/);
    const m = g.model();
    m.opsetImport = [{ domain: "ai.onnx.ml", version: 3 }];
    expect(() => importOnnx(m)).toThrow(/no default-domain/);
  });

  it("a node reading an undefined tensor names the node and the missing input", () => {
    const g = new OnnxGraphBuilder();
    const x = g.input("x", "float32", [2]);
    g.output(g.node("Add", [x, "nowhere"], {}, 1, "add_7")[0]!);
    expect(() => importOnnx(g.toBytes())).toThrow(/ONNX Add node 'add_7' \(#0\): input 'nowhere' is not defined by any graph input, initializer or earlier node/);
  });

  it("a graph output nothing produces is named", () => {
    const g = new OnnxGraphBuilder();
    g.op("Relu", [g.input("x", "float32", [2])]);
    g.output("relu_typo");
    expect(() => importOnnx(g.toBytes())).toThrow(/graph output 'relu_typo' is not produced by any node/);
  });

  it("errors from Relax inference are reported with the node", () => {
    expect(() => single("MatMul", [{ name: "a", dims: [2, 3] }, { name: "b", dims: [4, 5] }])).toThrow(/ONNX MatMul node 'matmul_node' \(#0\): R\.matmul: reduction dimension mismatch/);
  });
});

describe("importOnnx: initializer encodings", () => {
  it("reads float raw_data, int64 fields and int32 fields", () => {
    const g = new OnnxGraphBuilder();
    const x = g.input("x", "int64", [3]);
    const k = g.initializer("k", "int64", [3], [-1, 2 ** 40, 7]);
    const i8 = g.initializer("i8", "int8", [3], [-3, 0, 5]);
    g.output(g.op("Add", [x, k]));
    g.output(g.op("Identity", [i8]));
    const f = mainOf(importOnnx(g.toBytes()));
    expect(constArg(callOf(f, "add"), 1).data).toEqual([-1, 2 ** 40, 7]);
    expect(constArg(callOf(f, "add"), 1).dtype).toBe(int64);
    expect(printRelax(f)).toContain('R.const([-3, 0, 5], "int8")');
  });
});

describe("importOnnx: tensor data and options", () => {
  it("reads float16 raw_data and rejects external data", () => {
    const g = new OnnxGraphBuilder();
    const x = g.input("x", "float16", [3]);
    g.output(g.op("Identity", [x]));
    const m = g.model();
    // 1.0, -2.0, 0.5 as IEEE half floats.
    m.graph!.initializer = [{ name: "h", dataType: 10, dims: [3], rawData: new Uint8Array(new Uint16Array([0x3c00, 0xc000, 0x3800]).buffer) }];
    m.graph!.node!.push({ opType: "Add", input: ["x", "h"], output: ["y"], name: "add" });
    m.graph!.output = [{ name: "y", type: { tensorType: { elemType: 10 } } }];
    const f = mainOf(importOnnx(m));
    const h = constArg(callOf(f, "add"), 1);
    expect(h.data).toEqual([1, -2, 0.5]);
    expect(String(h.dtype)).toBe("float16");
    m.graph!.initializer = [{ name: "h", dataType: 1, dims: [3], dataLocation: 1, externalData: [{ key: "location", value: "w.bin" }] }];
    expect(() => importOnnx(m)).toThrow(/tensor 'h' keeps its data in an external file/);
  });

  it("an op that needs a newer opset than the model's is listed as unsupported", () => {
    const g = new OnnxGraphBuilder();
    g.output(g.node("Softmax", [g.input("x", "float32", [2, 3])], {}, 1, "sm")[0]!);
    expect(() => importOnnx(g.toBytes(11), { allowAnyOpset: true })).toThrow(/unsupported ONNX ops \(opset 11\): Softmax \(node 'sm', #0\) needs opset >= 13/);
  });

  it("keepParamsInInput keeps small int vectors (shapes) as Constants", () => {
    const g = new OnnxGraphBuilder();
    const x = g.input("x", "float32", ["n", 6]);
    const w = g.initializer("w", "float32", [6], [1, 2, 3, 4, 5, 6]);
    g.output(g.op("Reshape", [g.op("Mul", [x, w]), g.ints([0, 2, 3])]));
    const f = mainOf(importOnnx(g.toBytes(), { keepParamsInInput: true }));
    expect(f.params.map((p) => p.name)).toEqual(["x", "w"]);
    expect(retText(f)).toBe('R.Tensor((n, 2, 3), dtype="float32")');
  });

  it("the model round-trips through bytes and accepts a decoded ModelProto", () => {
    const g = new OnnxGraphBuilder();
    g.output(g.op("Sigmoid", [g.input("x", "float32", ["n"])]));
    const bytes = g.toBytes();
    const a = importOnnx(bytes), b = importOnnx(decodeModel(bytes));
    expect(structuralEqual(mainOf(a), mainOf(b))).toBe(true);
  });
});

void Constant;
