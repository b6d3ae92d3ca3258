/**
 * `weft bench MODEL.onnx`: the model path of the bench command on examples/mlp.onnx with the js
 * target. No benchmark peers in tests: the --vs onnxruntime comparison is exercised with a
 * stand-in for onnxruntime-node that evaluates the model in float64 (so the reported difference
 * is a real comparison), and the missing-peer error with a dynamic import that always fails.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { cli } from "./cli_harness.js";
import { benchOnnx, loadOnnxRuntime, onnxBenchTable, type OrtModule, type OrtTensor } from "../../src/cli/bench_onnx.js";
import { importOnnx } from "../../src/frontend/index.js";
import { mainOf } from "../frontend/helpers.js";
import { evalMain } from "../relax/reference_eval.js";

afterEach(() => vi.restoreAllMocks());

const MLP = "examples/mlp.onnx";
const FAST = ["--number", "1", "--repeat", "2"];

/** onnxruntime-node's API shape, computing with weft's float64 reference evaluator. */
function fakeOrt(perturb = 0): { ort: OrtModule; sessions: Record<string, unknown>[] } {
  const sessions: Record<string, unknown>[] = [];
  class Tensor implements OrtTensor {
    constructor(
      readonly type: string,
      readonly data: ArrayLike<number | bigint>,
      readonly dims: readonly number[],
    ) {}
  }
  const ort: OrtModule = {
    Tensor,
    InferenceSession: {
      create: async (model: Uint8Array, opts: Record<string, unknown>) => {
        sessions.push(opts);
        const fn = mainOf(importOnnx(model));
        return {
          outputNames: ["y"],
          run: async (feeds: Record<string, OrtTensor>) => {
            const inputs = Object.values(feeds).map((x) => ({ shape: [...x.dims], data: Float64Array.from(x.data as ArrayLike<number | bigint>, Number) }));
            sessions.push({ fed: Object.values(feeds).map((x) => x.data.constructor.name) });
            const y = evalMain(fn, inputs);
            return { y: new Tensor("float32", y.data.map((v, i) => (i === 0 ? v + perturb : v)), y.shape) };
          },
        };
      },
    },
  };
  return { ort, sessions };
}

describe("weft bench MODEL.onnx", () => {
  it("times main on the js target and prints JSON with the inputs, compile time and median", async () => {
    const r = await cli("bench", MLP, "--target", "js", "--input", "x=random:4x64", "--json", ...FAST);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out) as Record<string, unknown> & { weft: { times_us: number[]; median_us: number; number: number; repeat: number } };
    expect(Object.keys(j).sort()).toEqual(["compile_ms", "file", "inputs", "target", "threads", "weft"]);
    expect(j["file"]).toBe(MLP);
    expect(j["target"]).toBe("js");
    expect(j["threads"]).toBeNull();
    expect(j["inputs"]).toEqual({ x: { shape: [4, 64], dtype: "float32" } });
    expect(j.weft.number).toBe(1);
    expect(j.weft.repeat).toBe(2);
    expect(j.weft.times_us).toHaveLength(2);
    expect(j.weft.median_us).toBeGreaterThan(0);
  });

  it("prints a table by default", async () => {
    const r = await cli("bench", MLP, "--target", "js", "--input", "x=random:2x64", ...FAST);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^examples\/mlp\.onnx \(x: float32\[2x64\]\); compiled in \d+ ms\n/);
    expect(r.out).toMatch(/\nweft +js +default +[\d.]+ +[\d.]+ +1×2\n/);
  });

  it("--vs onnxruntime: times the peer on the same inputs, with the ratio and the outputs' max relative difference", async () => {
    const { ort, sessions } = fakeOrt();
    const r = await benchOnnx(MLP, { target: "js", threads: 2, seed: 1, input: ["x=random:3x64"], number: 1, repeat: 2, vs: "onnxruntime" }, { loadOrt: async () => ort });
    expect(sessions[0]).toMatchObject({ executionProviders: ["cpu"], intraOpNumThreads: 2 });
    expect(r.onnxruntime!.times_us).toHaveLength(2);
    expect(r.ratio).toBeCloseTo(r.weft.median_us / r.onnxruntime!.median_us, 10);
    // float32 kernels against a float64 evaluation of the same model.
    expect(r.max_rel_diff).toBeLessThan(1e-5);
    expect(onnxBenchTable(r)).toMatch(/\nonnxruntime-node +cpu +2 .*\nweft \/ onnxruntime: [\d.]+× the time; max relative difference of the outputs: /);
    // A peer whose first output differs by 1 in one element: the difference is reported, not hidden.
    const off = await benchOnnx(MLP, { target: "js", seed: 1, input: ["x=random:3x64"], number: 1, repeat: 1, vs: "onnxruntime" }, { loadOrt: async () => fakeOrt(1).ort });
    expect(off.max_rel_diff).toBeGreaterThan(1e-2);
  });

  it("--vs onnxruntime feeds int64 inputs (token ids) as BigInt64Array, as onnxruntime-node requires", async () => {
    const { ort, sessions } = fakeOrt();
    const r = await benchOnnx("examples/tiny_bert.onnx", { target: "js", seed: 2, input: ["input_ids=random:1x6:100"], number: 1, repeat: 1, vs: "onnxruntime" }, { loadOrt: async () => ort });
    expect(sessions[1]).toEqual({ fed: ["BigInt64Array"] });
    expect(r.inputs).toEqual({ input_ids: { shape: [1, 6], dtype: "int64" } });
    expect(r.max_rel_diff).toBeLessThan(1e-4);
  });

  it("--vs onnxruntime without onnxruntime-node installed: a clear error saying how to install it", async () => {
    const tried: string[] = [];
    const failingImport = async (spec: string): Promise<never> => {
      tried.push(spec);
      throw new Error(`Cannot find package '${spec}'`);
    };
    const loadOrt = () => loadOnnxRuntime(failingImport);
    await expect(benchOnnx(MLP, { target: "js", seed: 0, input: ["x=random:2x64"], vs: "onnxruntime" }, { loadOrt })).rejects.toThrow(
      /onnxruntime-node is not installed.*ONNXRUNTIME_NODE_INSTALL=skip npm install onnxruntime-node.*npm run bench/,
    );
    // The bare name first; then bench/'s copy, only when bench/node_modules has one to resolve.
    expect(tried[0]).toBe("onnxruntime-node");
    expect(tried.slice(1).every((s) => s.startsWith("file:") && s.includes("onnxruntime-node"))).toBe(true);
  });

  it("bad arguments: an unknown peer, --bind on a model, --vs on a TVMScript file, a symbolic input without a shape", async () => {
    expect((await cli("bench", MLP, "--target", "js", "--vs", "tvm")).err).toMatch(/--vs tvm: the only peer is onnxruntime/);
    expect((await cli("bench", MLP, "--target", "js", "--bind", "n=4")).err).toMatch(/--func, --bind and --default-schedule apply to TVMScript files/);
    expect((await cli("bench", "examples/matmul.py", "--target", "js", "--vs", "onnxruntime")).err).toMatch(/--input and --vs apply to ONNX models/);
    const r = await cli("bench", MLP, "--target", "js");
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/--input x: the parameter is R.Tensor\(\(batch, 64\), dtype="float32"\); give its shape/);
  });
});
