/**
 * Issue #4: every TE operator family (the workloads of js_te_ops.test.ts / wasm_te_ops.test.ts),
 * (a) unscheduled on "c", and (b) with its default schedule (`applyDefaultSchedule`) on "c" and
 * on "wasm", must compute what the interpreter computes on the unscheduled function, on the same
 * random inputs.
 *
 * Tolerances: 1e-5 relative for float operators (scheduling reassociates float sums; c and wasm
 * compute exp / rsqrt / sigmoid in float32 where the interpreter uses double); integer operators
 * must match exactly. The c cases are skipped when no C compiler is found.
 */
import { describe, it } from "vitest";
import { IRModule } from "../../src/ir/module.js";
import { applyDefaultSchedule } from "../../src/schedule/default/index.js";
import { build } from "../../src/target/build.js";
import { buildC } from "../../src/target/c/index.js";
import "../../src/target/wasm/index.js";
import { createPrimFunc, placeholder, topi, type Tensor } from "../../src/te/index.js";
import type { PrimFunc } from "../../src/tir/function.js";
import { runPrimFunc, copyArray, type HostArray } from "../../src/tir/interp/index.js";
import { lower } from "../../src/tir/pipeline.js";
import { compareArgs, hasCompiler, testCacheDir } from "./c_helpers.js";
import { compareWithInterpreter, randomArgs } from "./js_harness.js";

const FLOAT_TOL = 1e-5;

interface Case {
  name: string;
  make: () => Tensor[];
  exact?: boolean;
}

const p = (shape: number[], dtype = "float32", name = "x") => placeholder(shape, dtype, name);

// The case list of js_te_ops.test.ts (copied: importing a test file would register its tests here).
const cases: Case[] = [
  { name: "matmul 16x24 @ 24x8", make: () => { const A = p([16, 24], "float32", "A"), B = p([24, 8], "float32", "B"); return [A, B, topi.matmul(A, B)]; } },
  { name: "matmul transposed B, int32", exact: true, make: () => { const A = p([8, 12], "int32", "A"), B = p([10, 12], "int32", "B"); return [A, B, topi.matmul(A, B, { transposeB: true })]; } },
  { name: "batch_matmul", make: () => { const x = p([2, 6, 8], "float32", "x"), y = p([2, 5, 8], "float32", "y"); return [x, y, topi.batchMatmul(x, y)]; } },
  { name: "dense with bias", make: () => { const d = p([4, 16], "float32", "d"), w = p([8, 16], "float32", "w"), b = p([8], "float32", "b"); return [d, w, b, topi.dense(d, w, b)]; } },
  { name: "conv2d NCHW, pad 1, stride 2", make: () => { const x = p([1, 3, 9, 9], "float32", "x"), w = p([4, 3, 3, 3], "float32", "w"); return [x, w, topi.conv2d(x, w, { padding: 1, strides: 2 })]; } },
  { name: "conv2d NHWC, dilation 2", make: () => { const x = p([1, 8, 8, 4], "float32", "x"), w = p([3, 3, 4, 2], "float32", "w"); return [x, w, topi.conv2d(x, w, { dataLayout: "NHWC", dilation: 2 })]; } },
  // Register-tiled conv with packed weights (src/schedule/default/conv_packed.ts) on c and wasm, and its fallbacks.
  { name: "conv2d NCHW 3x3 pad 1, 32 filters (the benchmark's structure, scaled down)", make: () => { const x = p([1, 8, 14, 14], "float32", "x"), w = p([32, 8, 3, 3], "float32", "w"); return [x, w, topi.conv2d(x, w, { padding: 1 })]; } },
  { name: "conv2d NCHW, 24 filters, 13x11 output (non-divisible tiles)", make: () => { const x = p([1, 5, 13, 11], "float32", "x"), w = p([24, 5, 3, 3], "float32", "w"); return [x, w, topi.conv2d(x, w, { padding: 1 })]; } },
  { name: "conv2d NCHW, 16 filters, stride 2", make: () => { const x = p([2, 4, 15, 15], "float32", "x"), w = p([16, 4, 3, 3], "float32", "w"); return [x, w, topi.conv2d(x, w, { padding: 1, strides: 2 })]; } },
  { name: "conv2d NHWC / HWIO, 16 filters", make: () => { const x = p([1, 10, 10, 8], "float32", "x"), w = p([3, 3, 8, 16], "float32", "w"); return [x, w, topi.conv2d(x, w, { dataLayout: "NHWC", padding: 1 })]; } },
  { name: "conv3d NCDHW, 8 filters", make: () => { const x = p([1, 3, 6, 6, 6], "float32", "x"), w = p([8, 3, 3, 3, 3], "float32", "w"); return [x, w, topi.conv3d(x, w, { padding: 1 })]; } },
  { name: "conv2d + bias + relu (epilogue per tile)", make: () => { const x = p([1, 8, 8, 8], "float32", "x"), w = p([16, 8, 3, 3], "float32", "w"), b = p([16, 1, 1], "float32", "b"); return [x, w, b, topi.relu(topi.add(topi.conv2d(x, w, { padding: 1 }), b))]; } },
  { name: "depthwise conv2d, 16 channels", make: () => { const x = p([1, 16, 8, 8], "float32", "x"), w = p([16, 1, 3, 3], "float32", "w"); return [x, w, topi.depthwiseConv2d(x, w, { padding: 1 })]; } },
  { name: "depthwise conv2d", make: () => { const x = p([1, 4, 7, 7], "float32", "x"), w = p([4, 1, 3, 3], "float32", "w"); return [x, w, topi.depthwiseConv2d(x, w, { padding: 1 })]; } },
  { name: "softmax last axis", make: () => { const x = p([3, 4, 17]); return [x, topi.softmax(x)]; } },
  { name: "log_softmax axis 1", make: () => { const x = p([3, 9, 2]); return [x, topi.logSoftmax(x, 1)]; } },
  { name: "layer_norm with gamma/beta", make: () => { const x = p([4, 32]), g = p([32], "float32", "g"), b = p([32], "float32", "b"); return [x, g, b, topi.layerNorm(x, g, b)]; } },
  { name: "rms_norm", make: () => { const x = p([3, 16]), w = p([16], "float32", "w"); return [x, w, topi.rmsNorm(x, w)]; } },
  { name: "sum / max / mean reductions", make: () => { const x = p([4, 5, 6]); return [x, topi.sum(x, [0, 2]), topi.max(x, 1, true), topi.mean(x, -1)]; } },
  { name: "int32 sum and argmax", exact: true, make: () => { const x = p([6, 7], "int32"); return [x, topi.sum(x, 1), topi.argmax(x, 1)]; } },
  { name: "max_pool2d / avg_pool2d / global pool", make: () => { const x = p([1, 2, 8, 8]); return [x, topi.maxPool2d(x, { kernel: 3, strides: 2, padding: 1 }), topi.avgPool2d(x, { kernel: 2, strides: 2 }), topi.globalPool2d(x, "avg")]; } },
  { name: "elementwise math and activations", make: () => { const x = p([5, 9]); return [x, topi.exp(x), topi.tanh(x), topi.sigmoid(x), topi.gelu(x), topi.relu(x), topi.sqrt(topi.abs(x)), topi.round(x)]; } },
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

const SEED = 7;

/** Default-schedules `f` for `target` (every PrimFunc of the module). */
function scheduled(f: PrimFunc, target: "c" | "wasm"): PrimFunc {
  return applyDefaultSchedule(IRModule.fromFunction(f, "main"), target).get("main") as PrimFunc;
}

/** Runs `g` compiled for c and the interpreter on the unscheduled `f`; compares every argument. */
function checkC(f: PrimFunc, g: PrimFunc, exact: boolean | undefined): void {
  const args = randomArgs(f, SEED) as HostArray[];
  const ref = args.map(copyArray);
  runPrimFunc(f, ref);
  const m = buildC(lower(IRModule.fromFunction(g, "main")), { cacheDir: testCacheDir });
  const got = args.map(copyArray);
  m.call("main", got);
  compareArgs(got, ref, exact ? 0 : FLOAT_TOL);
}

describe.skipIf(!hasCompiler)("TE operators, unscheduled, c target vs interpreter", () => {
  for (const c of cases) {
    it(c.name, () => {
      const f = createPrimFunc(c.make());
      checkC(f, f, c.exact);
    });
  }
});

describe.skipIf(!hasCompiler)("TE operators, default schedule, c target vs interpreter (unscheduled)", () => {
  for (const c of cases) {
    it(c.name, () => {
      const f = createPrimFunc(c.make());
      checkC(f, scheduled(f, "c"), c.exact);
    });
  }
});

describe("TE operators, default schedule, wasm target vs interpreter (unscheduled)", () => {
  for (const c of cases) {
    it(c.name, async () => {
      const f = createPrimFunc(c.make());
      const mod = await build(scheduled(f, "wasm"), "wasm");
      await compareWithInterpreter(f, randomArgs(f, SEED), { tol: c.exact ? 0 : FLOAT_TOL, mod });
    });
  }
});
