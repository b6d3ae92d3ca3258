import { describe, expect, it } from "vitest";
import { Var } from "../../src/ir/expr.js";
import { int32 } from "../../src/ir/dtype.js";
import { Schedule } from "../../src/schedule/index.js";
import { build } from "../../src/target/build.js";
import "../../src/target/wasm/index.js";
import type { WasmModule } from "../../src/target/wasm/index.js";
import { createPrimFunc, placeholder, topi, type Tensor } from "../../src/te/index.js";
import { lower } from "../../src/tir/pipeline.js";
import type { PrimFunc } from "../../src/tir/function.js";
import { compareWithInterpreter, randomArgs } from "./js_harness.js";

// Every TE operator family, unscheduled: createPrimFunc -> build(..., "wasm") (default
// lowering) -> run, compared with the interpreter running the unlowered PrimFunc on the same
// inputs (the same workloads as js_te_ops.test.ts). Tolerance: 1e-5 relative for float
// operators (LowerIntrin expands sigmoid / rsqrt into float32 steps where the interpreter
// evaluates the intrinsic in double precision); integer operators must match exactly. The
// lowered function run by the interpreter must match the wasm module bit for bit, except where
// float32 exp runs (wasm computes it itself, within ~2 ulp of exp: `approxExp`, 1e-6 relative).
const FLOAT_TOL = 1e-5;

interface Case {
  name: string;
  make: () => Tensor[];
  exact?: boolean;
  /** Off for argmax: see js_te_ops.test.ts (the lowered accumulator is re-allocated per iteration by the interpreter). */
  loweredCheck?: boolean;
  /** Uses float32 exp (wasm's own polynomial exp, not bit-equal to the interpreter's). */
  approxExp?: boolean;
}

const p = (shape: number[], dtype = "float32", name = "x") => placeholder(shape, dtype, name);

const cases: Case[] = [
  { name: "matmul 16x24 @ 24x8", make: () => { const A = p([16, 24], "float32", "A"), B = p([24, 8], "float32", "B"); return [A, B, topi.matmul(A, B)]; } },
  { name: "matmul transposed B, int32", exact: true, make: () => { const A = p([8, 12], "int32", "A"), B = p([10, 12], "int32", "B"); return [A, B, topi.matmul(A, B, { transposeB: true })]; } },
  { name: "batch_matmul", make: () => { const x = p([2, 6, 8], "float32", "x"), y = p([2, 5, 8], "float32", "y"); return [x, y, topi.batchMatmul(x, y)]; } },
  { name: "dense with bias", make: () => { const d = p([4, 16], "float32", "d"), w = p([8, 16], "float32", "w"), b = p([8], "float32", "b"); return [d, w, b, topi.dense(d, w, b)]; } },
  { name: "conv2d NCHW, pad 1, stride 2", make: () => { const x = p([1, 3, 9, 9], "float32", "x"), w = p([4, 3, 3, 3], "float32", "w"); return [x, w, topi.conv2d(x, w, { padding: 1, strides: 2 })]; } },
  { name: "conv2d NHWC, dilation 2", make: () => { const x = p([1, 8, 8, 4], "float32", "x"), w = p([3, 3, 4, 2], "float32", "w"); return [x, w, topi.conv2d(x, w, { dataLayout: "NHWC", dilation: 2 })]; } },
  { name: "depthwise conv2d", make: () => { const x = p([1, 4, 7, 7], "float32", "x"), w = p([4, 1, 3, 3], "float32", "w"); return [x, w, topi.depthwiseConv2d(x, w, { padding: 1 })]; } },
  { name: "softmax last axis", approxExp: true, make: () => { const x = p([3, 4, 17]); return [x, topi.softmax(x)]; } },
  { name: "log_softmax axis 1", approxExp: true, make: () => { const x = p([3, 9, 2]); return [x, topi.logSoftmax(x, 1)]; } },
  { name: "layer_norm with gamma/beta", make: () => { const x = p([4, 32]), g = p([32], "float32", "g"), b = p([32], "float32", "b"); return [x, g, b, topi.layerNorm(x, g, b)]; } },
  { name: "rms_norm", make: () => { const x = p([3, 16]), w = p([16], "float32", "w"); return [x, w, topi.rmsNorm(x, w)]; } },
  { name: "sum / max / mean reductions", make: () => { const x = p([4, 5, 6]); return [x, topi.sum(x, [0, 2]), topi.max(x, 1, true), topi.mean(x, -1)]; } },
  { name: "int32 sum and argmax", exact: true, make: () => { const x = p([6, 7], "int32"); return [x, topi.sum(x, 1), topi.argmax(x, 1)]; } },
  { name: "max_pool2d / avg_pool2d / global pool", make: () => { const x = p([1, 2, 8, 8]); return [x, topi.maxPool2d(x, { kernel: 3, strides: 2, padding: 1 }), topi.avgPool2d(x, { kernel: 2, strides: 2 }), topi.globalPool2d(x, "avg")]; } },
  { name: "elementwise math and activations", approxExp: true, make: () => { const x = p([5, 9]); return [x, topi.exp(x), topi.tanh(x), topi.sigmoid(x), topi.gelu(x), topi.relu(x), topi.sqrt(topi.abs(x)), topi.round(x)]; } },
  { name: "broadcast binary ops", make: () => { const a = p([4, 1, 6], "float32", "a"), b = p([5, 1], "float32", "b"); return [a, b, topi.add(a, b), topi.multiply(a, b), topi.maximum(a, b), topi.divide(a, topi.add(topi.abs(b), 1))]; } },
  { name: "int32 floor_divide / floor_mod / where", exact: true, make: () => { const a = p([4, 6], "int32", "a"), b = p([6], "int32", "b"); const d = topi.add(topi.multiply(b, 2), 1); return [a, b, topi.floorDivide(a, d), topi.floorMod(a, d), topi.where(topi.equal(a, b), a, b)]; } },
  { name: "transform ops: transpose, reshape, concat, split, strided_slice, pad, take", make: () => {
    const x = p([2, 3, 4]), i = p([5], "int32", "i");
    const [s0, s1] = topi.split(x, 2, 2) as [Tensor, Tensor];
    return [x, i, topi.transpose(x, [2, 0, 1]), topi.reshape(x, [6, 4]), topi.concat([x, x], 1), s0, s1,
      topi.stridedSlice(x, [0, 1, 0], [2, 3, 4], [1, 1, 2]), topi.pad(x, [0, 1, 2], [1, 0, 1]), topi.take(x, topi.clip(i, 0, 3), 2)];
  } },
  { name: "cast float32 -> int32 / float16", make: () => { const x = p([17]); return [x, topi.cast(topi.multiply(x, 100), "int32"), topi.cast(x, "float16")]; } },
];

describe("TE operators, unscheduled, wasm target vs interpreter", () => {
  for (const c of cases) {
    it(c.name, async () => {
      const f = createPrimFunc(c.make());
      const args = randomArgs(f, 7);
      const mod = await build(f, "wasm");
      await compareWithInterpreter(f, args, { tol: c.exact ? 0 : FLOAT_TOL, mod });
      if (c.loweredCheck === false) return;
      const lowered = lower(f).functionList[0] as PrimFunc;
      await compareWithInterpreter(lowered, args, c.approxExp ? { tol: 1e-6, mod } : { mod });
    });
  }

  it("symbolic batch dimension bound at call time", async () => {
    const n = new Var("n", int32);
    const x = placeholder([n, 8], "float32", "x");
    const y = topi.softmax(x);
    const f = createPrimFunc([x, y]);
    const mod = await build(f, "wasm");
    await compareWithInterpreter(f, randomArgs(f, 3, {}, { x: [5, 8], T_softmax_norm: [5, 8] }), { tol: FLOAT_TOL, mod });
    await compareWithInterpreter(f, randomArgs(f, 4, {}, { x: [9, 8], T_softmax_norm: [9, 8] }), { tol: FLOAT_TOL, mod });
  });
});

describe("scheduled functions through lower -> wasm", () => {
  it("vectorized, parallel, unrolled and predicated (non-divisible split) loops", async () => {
    const a = placeholder([10, 19], "float32", "a"), b = placeholder([19], "float32", "b");
    const f = createPrimFunc([a, b, topi.add(topi.multiply(a, b), 1)]);
    const sch = new Schedule(f);
    const blk = sch.getBlock("T_add");
    const [i, j] = sch.getLoops(blk);
    const [j0, j1] = sch.split(j!, [undefined, 4]); // 19 = 5 * 4 - 1: predicated tail
    sch.parallel(i!);
    sch.unroll(j0!);
    sch.vectorize(j1!);
    const scheduled = sch.mod.functionList[0] as PrimFunc;
    const args = randomArgs(scheduled, 5);
    const mod = await build(scheduled, "wasm");
    await compareWithInterpreter(f, args, { mod }); // the unscheduled function
    await compareWithInterpreter(lower(scheduled).functionList[0] as PrimFunc, args, { mod });
  });

  it("a divisible vectorized loop becomes f32x4 SIMD (8 lanes = 2 chunks), equal to the interpreter", async () => {
    const a = placeholder([6, 32], "float32", "a"), b = placeholder([32], "float32", "b");
    const f = createPrimFunc([a, b, topi.maximum(topi.add(topi.multiply(a, b), 1), 0)]);
    const sch = new Schedule(f);
    const blk = sch.getBlock("T_maximum");
    const [i, j] = sch.getLoops(blk);
    const [, j1] = sch.split(j!, [undefined, 8]);
    sch.parallel(i!);
    sch.vectorize(j1!);
    const scheduled = sch.mod.functionList[0] as PrimFunc;
    const args = randomArgs(scheduled, 6);
    const mod = (await build(scheduled, "wasm -emit-text")) as WasmModule;
    await compareWithInterpreter(f, args, { mod });
    const text = mod.getSource();
    expect(text).toContain("v128.load");
    expect(text).toContain("f32x4.pmax"); // maximum: a > b ? a : b, lane-wise = pmax(b, a)
    expect(text).toContain("v128.store");
    if (process.env.WASM_SHOW) console.log(text);
  });
});

describe("default-scheduled matmul through wasm", () => {
  // The generic matmul rule (ukernel: false; the micro-kernel path is wasm_ukernel.test.ts)
  // computes an MR x NR register tile of C per k loop; the codegen keeps that small
  // constant-index accumulator allocation in v128 locals (not linear memory).
  const cases: [number, number, number][] = [[96, 64, 128], [37, 29, 19], [5, 12, 7]];
  for (const [M, N, K] of cases) {
    it(`matmul ${M}x${N}x${K} equals the interpreter`, async () => {
      const { defaultSchedule } = await import("../../src/schedule/default/index.js");
      const a = placeholder([M, K], "float32", "A"), b = placeholder([K, N], "float32", "B");
      const f = createPrimFunc([a, b, topi.matmul(a, b)]);
      const scheduled = defaultSchedule(f, "wasm", { ukernel: false }).mod.functionList[0] as PrimFunc;
      const args = randomArgs(scheduled, 7);
      const mod = (await build(scheduled, "wasm -emit-text=true")) as WasmModule;
      await compareWithInterpreter(f, args, { mod, tol: FLOAT_TOL });
      await compareWithInterpreter(lower(scheduled).functionList[0] as PrimFunc, args, { mod });
      if (N % 8 === 0) {
        // accumulators in v128 locals: no v128 load / store at a constant (static-region) address
        expect(mod.getSource()).not.toMatch(/\(v128\.(load|store)\s+\(i32\.const/);
      }
    });
  }
});

describe("default-scheduled float32 math operators through wasm (wasm_math.ts, wasm_loops.ts)", () => {
  // Scaled inputs reach every branch of the wasm math (tanh beyond 0.625, erf beyond 1, exp far
  // below 0). Compared with the interpreter on the unscheduled function (double-precision math
  // rounded to float32): 1e-5 relative, as above.
  const s = (x: Tensor, k: number) => topi.multiply(x, k);
  const mathCases: { name: string; make: () => Tensor[] }[] = [
    { name: "softmax 6x64 (last axis)", make: () => { const x = p([6, 64]); return [x, topi.softmax(s(x, 30))]; } },
    { name: "log_softmax 4x48", make: () => { const x = p([4, 48]); return [x, topi.logSoftmax(s(x, 8))]; } },
    { name: "layer_norm 8x96 with gamma / beta", make: () => { const x = p([8, 96]), g = p([96], "float32", "g"), b = p([96], "float32", "b"); return [x, g, b, topi.layerNorm(x, g, b)]; } },
    { name: "gelu (erf form)", make: () => { const x = p([5, 40]); return [x, topi.gelu(s(x, 5))]; } },
    { name: "gelu (tanh form)", make: () => { const x = p([5, 40]); return [x, topi.gelu(s(x, 5), "tanh")]; } },
    { name: "sigmoid, tanh, silu, erf, exp, log", make: () => { const x = p([3, 36]); return [x, topi.sigmoid(s(x, 20)), topi.tanh(s(x, 4)), topi.silu(s(x, 10)), topi.erf(s(x, 4)), topi.exp(s(x, 80)), topi.log(topi.abs(s(x, 1e3)))]; } },
  ];
  for (const c of mathCases) {
    it(`${c.name} equals the interpreter, with no call out to JavaScript`, async () => {
      const { defaultSchedule } = await import("../../src/schedule/default/index.js");
      const f = createPrimFunc(c.make());
      const scheduled = defaultSchedule(f, "wasm").mod.functionList[0] as PrimFunc;
      const args = randomArgs(scheduled, 11);
      const mod = (await build(scheduled, "wasm -emit-text=true")) as WasmModule;
      await compareWithInterpreter(f, args, { mod, tol: FLOAT_TOL });
      expect(Object.keys(mod.artifact.imports)).toEqual([]);
    });
  }

  it("softmax and layer_norm reductions accumulate in locals (no load / store at a static address)", async () => {
    // Rows enough for a parallel row loop: the temporaries are then allocated per row.
    const { defaultSchedule } = await import("../../src/schedule/default/index.js");
    for (const make of [() => { const x = p([64, 8]); return [x, topi.softmax(x)]; }, () => { const x = p([64, 96]), g = p([96], "float32", "g"), b = p([96], "float32", "b"); return [x, g, b, topi.layerNorm(x, g, b)]; }]) {
      const f = createPrimFunc(make());
      const scheduled = defaultSchedule(f, "wasm").mod.functionList[0] as PrimFunc;
      const mod = (await build(scheduled, "wasm -emit-text=true")) as WasmModule;
      expect(mod.getSource()).not.toMatch(/\((v128|f32)\.(load|store)\s+\(i32\.const/);
      await compareWithInterpreter(f, randomArgs(scheduled, 3), { mod, tol: FLOAT_TOL });
    }
  });

  it("vector maximum / minimum keep the interpreter's NaN and signed-zero rules bit for bit", async () => {
    const a = placeholder([16], "float32", "a"), b = placeholder([16], "float32", "b");
    const f = createPrimFunc([a, b, topi.maximum(a, b), topi.minimum(a, b)]);
    const sch = new Schedule(f);
    for (const name of ["T_maximum", "T_minimum"]) {
      const [i] = sch.getLoops(sch.getBlock(name));
      sch.vectorize(sch.split(i!, [undefined, 4])[1]!);
    }
    const scheduled = sch.mod.functionList[0] as PrimFunc;
    const args = randomArgs(scheduled, 5);
    const va = [NaN, 1, NaN, -0, 0, -0, Infinity, -Infinity, 2, -2, NaN, 0, 1, 3, -1, 5];
    const vb = [1, NaN, NaN, 0, -0, -0, 1, 1, -Infinity, Infinity, 0, NaN, 1, 2, -1, 6];
    (args[0] as { data: Float32Array }).data.set(va);
    (args[1] as { data: Float32Array }).data.set(vb);
    const mod = (await build(scheduled, "wasm -emit-text=true")) as WasmModule;
    expect(mod.getSource()).toContain("f32x4.pmax");
    await compareWithInterpreter(lower(scheduled).functionList[0] as PrimFunc, args, { mod });
  });
});
