/**
 * Issue #4, "Default CPU schedules": defaultSchedule picks a rule per block by structure; for
 * every operator family the scheduled function is lowered and built (js always; c for matmul,
 * dense, softmax, layer_norm and conv2d when a C compiler is present) and must compute what
 * the interpreter computes on the unscheduled function.
 *
 * Tolerances: 1e-5 relative (plus 1e-5 absolute) for float results. Scheduling reassociates
 * float sums (multi-accumulator reductions, tiled matmul), the c target computes exp / rsqrt in
 * float32 where the interpreter uses double; integer and max / argmax results match exactly.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { IntImm, SizeVar, type Var } from "../../src/ir/expr.js";
import { int64 } from "../../src/ir/dtype.js";
import "../../src/target/wasm/index.js";
import { IRModule } from "../../src/ir/module.js";
import { NDArray } from "../../src/runtime/ndarray.js";
import { build } from "../../src/target/build.js";
import { buildC, findCompiler } from "../../src/target/c/index.js";
import { createPrimFunc, placeholder, topi, type Tensor } from "../../src/te/index.js";
import type { PrimFunc } from "../../src/tir/function.js";
import { Rng, randomArray, runPrimFunc, toArray, type HostArray } from "../../src/tir/interp/index.js";
import { lower } from "../../src/tir/pipeline.js";
import { printScript } from "../../src/tir/script/index.js";
import { Block, For } from "../../src/tir/stmt.js";
import { postOrderVisitStmt } from "../../src/tir/stmt_functor.js";
import { Schedule, Trace } from "../../src/schedule/index.js";
import { structuralEqual } from "../../src/ir/structural.js";
import { applyDefaultSchedule, defaultScheduleWithReport, type AppliedRule } from "../../src/schedule/default/index.js";

const TOL = 1e-5;
const hasCompiler = (() => {
  try {
    findCompiler();
    return true;
  } catch {
    return false;
  }
})();
const cacheDir = mkdtempSync(join(tmpdir(), "weft-default-sched-"));

/** Random arguments; `dims` gives the value of each symbolic dimension (a SizeVar in a shape). */
function randomArgs(f: PrimFunc, seed: number, dims: ReadonlyMap<Var, number> = new Map()): HostArray[] {
  const rng = new Rng(seed);
  return f.params.map((p) => {
    const b = f.bufferMap.get(p)!;
    return randomArray(b.shape.map((d) => {
      if (d.kind === "IntImm") return (d as IntImm).value;
      const v = dims.get(d as Var);
      if (v === undefined) throw new Error(`randomArgs: no value given for the dimension ${String(d)} of ${b.name}`);
      return v;
    }), b.dtype, rng);
  });
}

function expectClose(got: number[], want: number[], what: string): void {
  expect(got.length, what).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    const g = got[i]!, w = want[i]!;
    if (Object.is(g, w) || (g !== g && w !== w)) continue;
    if (!(Math.abs(g - w) <= TOL * (1 + Math.abs(w)))) expect.fail(`${what}: element ${i} is ${g}, the interpreter gives ${w}`);
  }
}

/** Loop kinds in the scheduled function. */
function forKinds(f: PrimFunc): Set<string> {
  const kinds = new Set<string>();
  postOrderVisitStmt(f.body, (s) => {
    if (s instanceof For) kinds.add(s.forKind);
  });
  return kinds;
}

interface Scheduled {
  original: PrimFunc;
  scheduled: PrimFunc;
  applied: AppliedRule[];
}

function schedule(tensors: Tensor[], target: "js" | "c" | "wasm"): Scheduled {
  const original = createPrimFunc(tensors);
  const { sch, applied } = defaultScheduleWithReport(original, target, { strict: true, minParallelWork: 256 });
  return { original, scheduled: sch.mod.get("main") as PrimFunc, applied };
}

async function checkJs(s: Scheduled, seed = 1, target: "js" | "wasm" = "js", dims?: ReadonlyMap<Var, number>): Promise<void> {
  const args = randomArgs(s.original, seed, dims);
  const ref = args.map((a) => ({ ...a, data: a.data.slice() }) as HostArray);
  runPrimFunc(s.original, ref);
  const mod = await build(s.scheduled, target);
  const nd = args.map((a) => NDArray.empty(a.shape, a.dtype).copyFrom(a));
  mod.get(mod.functionNames()[0]!)(...nd);
  nd.forEach((a, i) => expectClose(a.toArray(), toArray(ref[i]!), `${target}, argument ${i} (${s.original.params[i]!.name})`));
}

function checkC(s: Scheduled, seed = 2, dims?: ReadonlyMap<Var, number>): void {
  const args = randomArgs(s.original, seed, dims);
  const ref = args.map((a) => ({ ...a, data: a.data.slice() }) as HostArray);
  runPrimFunc(s.original, ref);
  const m = buildC(lower(IRModule.fromFunction(s.scheduled, "main")), { cacheDir });
  m.call("main", args);
  args.forEach((a, i) => expectClose(toArray(a), toArray(ref[i]!), `c, argument ${i} (${s.original.params[i]!.name})`));
}

const rulesOf = (s: Scheduled) => s.applied.map((r) => `${r.block}:${r.rule}`);
const p = (shape: number[], name = "x", dtype = "float32") => placeholder(shape, dtype, name);

describe("default CPU schedules: matmul family", () => {
  const matmul = () => {
    const A = p([64, 48], "A"), B = p([48, 96], "B");
    return [A, B, topi.matmul(A, B)];
  };

  it("matmul 64x48x96: tiled, cached, vectorized, parallel, unrolled; same results on js", async () => {
    const s = schedule(matmul(), "js");
    expect(rulesOf(s)).toEqual(["T_matmul_NN:matmul"]);
    const kinds = forKinds(s.scheduled);
    expect(kinds.has("parallel")).toBe(true);
    expect(kinds.has("vectorized")).toBe(true);
    const unrolled: unknown[] = [];
    postOrderVisitStmt(s.scheduled.body, (st) => {
      if (st instanceof For && st.forKind === "parallel") unrolled.push(st.annotations["pragma_auto_unroll_max_step"]);
    });
    expect(unrolled).toEqual([64]);
    await checkJs(s);
  });

  it.skipIf(!hasCompiler)("matmul on c", () => {
    const s = schedule(matmul(), "c");
    expect(forKinds(s.scheduled).has("vectorized")).toBe(true);
    checkC(s);
  });

  it("non-divisible matmul 13x7x19 is handled by predicates", async () => {
    const A = p([13, 19], "A"), B = p([19, 7], "B");
    const s = schedule([A, B, topi.matmul(A, B)], "js");
    expect(rulesOf(s)).toEqual(["T_matmul_NN:matmul"]);
    expect(forKinds(s.scheduled).has("parallel")).toBe(true);
    await checkJs(s);
  });

  const dense = () => {
    const d = p([24, 32], "d"), w = p([64, 32], "w"), b = p([64], "b");
    return [d, w, b, topi.relu(topi.dense(d, w, b))];
  };

  it("dense + bias + relu: the epilogue is inlined and becomes the matmul's write stage", async () => {
    const s = schedule(dense(), "js");
    expect(rulesOf(s)).toEqual(["T_add:inline", "T_matmul_NT:matmul", "T_relu:matmul-epilogue"]);
    await checkJs(s);
  });

  it.skipIf(!hasCompiler)("dense + bias + relu on c", () => checkC(schedule(dense(), "c")));

  it("batch_matmul (batch axis fused into the parallel loop)", async () => {
    const x = p([3, 16, 24], "x"), y = p([3, 32, 24], "y");
    const s = schedule([x, y, topi.batchMatmul(x, y)], "js");
    expect(s.applied.map((r) => r.rule)).toEqual(["matmul"]);
    expect(forKinds(s.scheduled).has("parallel")).toBe(true);
    await checkJs(s);
  });

  it("applyDefaultSchedule schedules every PrimFunc of a module", async () => {
    const original = createPrimFunc(matmul());
    const mod = applyDefaultSchedule(IRModule.fromFunction(original), "js");
    const f = mod.get("main") as PrimFunc;
    expect(forKinds(f).has("parallel")).toBe(true);
    await checkJs({ original, scheduled: f, applied: [] });
  });
});

/** Whether the scheduled function calls the extern micro-kernel. */
function callsUkernel(f: PrimFunc): boolean {
  return /weft_ukernel_fma_f32_\d+x\d+/.test(printScript(f));
}

describe("default CPU schedules: the c matmul micro-kernel path", () => {
  it("matmul 96x64x128 on c: B packed, k blocked, tensorized with the extern micro-kernel", () => {
    const A = p([96, 128], "A"), B = p([128, 64], "B");
    const s = schedule([A, B, topi.matmul(A, B)], "c");
    expect(rulesOf(s)).toEqual(["T_matmul_NN:matmul-ukernel"]);
    expect(callsUkernel(s.scheduled)).toBe(true);
    expect(forKinds(s.scheduled).has("parallel")).toBe(true);
    if (hasCompiler) checkC(s);
  });

  it("the js target keeps the generic matmul rule (no extern kernels there)", () => {
    const A = p([96, 128], "A"), B = p([128, 64], "B");
    const s = schedule([A, B, topi.matmul(A, B)], "js");
    expect(rulesOf(s)).toEqual(["T_matmul_NN:matmul"]);
    expect(callsUkernel(s.scheduled)).toBe(false);
  });

  it.skipIf(!hasCompiler)("K = 768 is split into k slices of 256", () => {
    const A = p([16, 768], "A"), B = p([768, 32], "B");
    const s = schedule([A, B, topi.matmul(A, B)], "c");
    expect(rulesOf(s)).toEqual(["T_matmul_NN:matmul-ukernel"]);
    expect(printScript(s.scheduled)).toMatch(/weft_ukernel_fma_f32_\d+x32", .*, 256\)/);
    checkC(s, 5);
  });

  it.skipIf(!hasCompiler)("dense + bias + relu on c: transposed B packed, epilogue per tile", () => {
    const d = p([48, 96], "d"), w = p([64, 96], "w"), bias = p([64], "b");
    const s = schedule([d, w, bias, topi.relu(topi.dense(d, w, bias))], "c");
    expect(rulesOf(s)).toEqual(["T_add:inline", "T_matmul_NT:matmul-ukernel", "T_relu:matmul-epilogue"]);
    expect(callsUkernel(s.scheduled)).toBe(true);
    checkC(s, 3);
  });

  it.skipIf(!hasCompiler)("batch_matmul on c", () => {
    const x = p([3, 16, 24], "x"), y = p([3, 32, 24], "y");
    const s = schedule([x, y, topi.batchMatmul(x, y)], "c");
    expect(s.applied.map((r) => r.rule)).toEqual(["matmul-ukernel"]);
    checkC(s, 4);
  });

  it.skipIf(!hasCompiler)("non-divisible matmul 50x37x70 on c falls back to the generic rule and keeps results", () => {
    const A = p([50, 70], "A"), B = p([70, 37], "B");
    const s = schedule([A, B, topi.matmul(A, B)], "c");
    expect(rulesOf(s)).toEqual(["T_matmul_NN:matmul"]);
    expect(callsUkernel(s.scheduled)).toBe(false);
    checkC(s, 6);
  });

  it.skipIf(!hasCompiler)("ukernel: false keeps the generic rule on c", () => {
    const A = p([96, 128], "A"), B = p([128, 64], "B");
    const original = createPrimFunc([A, B, topi.matmul(A, B)]);
    const { sch, applied } = defaultScheduleWithReport(original, "c", { strict: true, ukernel: false });
    expect(applied.map((r) => r.rule)).toEqual(["matmul"]);
    checkC({ original, scheduled: sch.mod.get("main") as PrimFunc, applied });
  });
});

describe("default CPU schedules: convolution and pooling", () => {
  const conv = () => {
    const x = p([1, 8, 16, 16]), w = p([16, 8, 3, 3], "w");
    return [x, w, topi.conv2d(x, w, { padding: 1 })];
  };

  it("conv2d NCHW: output channels tiled, ow vectorized, parallel", async () => {
    const s = schedule(conv(), "js");
    expect(rulesOf(s)).toContain("conv2d_nchw:conv");
    const kinds = forKinds(s.scheduled);
    expect(kinds.has("parallel") && kinds.has("vectorized")).toBe(true);
    await checkJs(s);
  });

  it.skipIf(!hasCompiler)("conv2d NCHW on c", () => checkC(schedule(conv(), "c")));

  it("conv2d NCHW with stride 2 and odd sizes", async () => {
    const x = p([2, 3, 11, 11]), w = p([6, 3, 3, 3], "w");
    const s = schedule([x, w, topi.conv2d(x, w, { padding: 1, strides: 2 })], "js");
    expect(rulesOf(s)).toContain("conv2d_nchw:conv");
    await checkJs(s);
  });

  it("depthwise conv2d", async () => {
    const x = p([1, 8, 16, 16]), w = p([8, 1, 3, 3], "w");
    const s = schedule([x, w, topi.depthwiseConv2d(x, w, { padding: 1 })], "js");
    expect(s.applied.some((r) => r.rule === "conv")).toBe(true);
    expect(forKinds(s.scheduled).has("vectorized")).toBe(true);
    await checkJs(s);
  });

  it("max_pool2d and avg_pool2d", async () => {
    const x = p([1, 4, 16, 16]);
    const s = schedule([x, topi.maxPool2d(x, { kernel: 3, strides: 1, padding: 1 }), topi.avgPool2d(x, { kernel: 2, strides: 2 })], "js");
    expect(s.applied.length).toBeGreaterThan(0);
    expect(forKinds(s.scheduled).has("parallel")).toBe(true);
    await checkJs(s);
  });

  it("global average pooling", async () => {
    const x = p([2, 8, 8, 8]);
    const s = schedule([x, topi.globalPool2d(x, "avg")], "js");
    expect(forKinds(s.scheduled).has("parallel")).toBe(true);
    await checkJs(s);
  });
});

describe("default CPU schedules: row reductions", () => {
  const softmax = () => {
    const x = p([16, 128]);
    return [x, topi.softmax(x)];
  };
  const layerNorm = () => {
    const x = p([16, 64]), g = p([64], "g"), b = p([64], "b");
    return [x, g, b, topi.layerNorm(x, g, b)];
  };

  it("softmax: one parallel row loop, multi-accumulator max and sum, vector exp and divide", async () => {
    const s = schedule(softmax(), "js");
    expect(rulesOf(s)).toEqual([
      "T_softmax_norm:row-group",
      "T_softmax_expsum:row-group member of T_softmax_norm",
      "T_softmax_exp:row-group member of T_softmax_norm",
      "T_softmax_maxelem:row-group member of T_softmax_norm",
    ]);
    const kinds = forKinds(s.scheduled);
    expect(kinds.has("parallel") && kinds.has("vectorized")).toBe(true);
    // rfactor made the partial-result buffers of the two reductions.
    const allocs = (s.scheduled.body as unknown as { block: { allocBuffers: { name: string }[] } }).block.allocBuffers.map((b) => b.name);
    expect(allocs).toEqual(expect.arrayContaining(["T_softmax_maxelem_rf", "T_softmax_expsum_rf"]));
    await checkJs(s);
  });

  it.skipIf(!hasCompiler)("softmax on c", () => checkC(schedule(softmax(), "c")));

  it("softmax with a row length no vector width divides (scalar reductions, still one parallel row loop)", async () => {
    const x = p([8, 33]);
    const s = schedule([x, topi.softmax(x)], "js");
    expect(s.applied[0]!.rule).toBe("row-group");
    await checkJs(s);
  });

  it("layer_norm: the two-output moment reduction gets a vector of accumulators", async () => {
    const s = schedule(layerNorm(), "js");
    expect(rulesOf(s)).toEqual(["T_layer_norm:row-group", "T_layer_norm_red_temp:row-group member of T_layer_norm"]);
    expect(forKinds(s.scheduled).has("vectorized")).toBe(true);
    await checkJs(s);
  });

  it.skipIf(!hasCompiler)("layer_norm on c", () => checkC(schedule(layerNorm(), "c")));

  it("sum over the last axis (multi-accumulator rfactor), sum over axes 0 and 2, max with keepdims", async () => {
    const x = p([8, 6, 64]);
    const s = schedule([x, topi.sum(x, -1), topi.sum(x, [0, 2]), topi.max(x, 1, true)], "js");
    expect(s.applied.some((r) => r.rule === "reduction-rfactor")).toBe(true);
    await checkJs(s);
  });

  it("mean over the last axis (row group of the sum and the divide)", async () => {
    const x = p([16, 64]);
    const s = schedule([x, topi.mean(x, -1)], "js");
    expect(s.applied[0]!.rule).toBe("row-group");
    await checkJs(s);
  });

  it("argmax (exact)", async () => {
    const x = p([16, 64]);
    const s = schedule([x, topi.argmax(x, 1)], "js");
    expect(s.applied.length).toBeGreaterThan(0);
    await checkJs(s);
  });
});

describe("default CPU schedules: injective operators", () => {
  it("elementwise chain: producers inlined, one fused vector loop, parallel", async () => {
    const x = p([32, 64]);
    const s = schedule([x, topi.gelu(topi.add(topi.multiply(x, 2), 1))], "js");
    const rules = s.applied.map((r) => r.rule);
    expect(rules.filter((r) => r === "inline").length).toBeGreaterThanOrEqual(2);
    expect(rules[rules.length - 1]).toBe("elementwise");
    const kinds = forKinds(s.scheduled);
    expect(kinds.has("parallel") && kinds.has("vectorized")).toBe(true);
    await checkJs(s);
  });

  it("broadcast binary ops", async () => {
    const a = p([4, 1, 64], "a"), b = p([8, 1], "b");
    const s = schedule([a, b, topi.maximum(topi.add(a, b), topi.multiply(a, b))], "js");
    expect(forKinds(s.scheduled).has("vectorized")).toBe(true);
    await checkJs(s);
  });

  it("transpose, reshape and concat", async () => {
    const x = p([4, 8, 16]);
    const s = schedule([x, topi.transpose(x, [2, 0, 1]), topi.reshape(x, [32, 16]), topi.concat([x, x], 1)], "js");
    expect(s.applied.filter((r) => r.rule === "elementwise").length).toBe(3);
    await checkJs(s);
  });

  it("odd sizes: no vector width divides, loops are fused and parallel only", async () => {
    const x = p([37, 41]);
    const s = schedule([x, topi.relu(topi.add(x, 1))], "js");
    expect(forKinds(s.scheduled).has("vectorized")).toBe(false);
    expect(forKinds(s.scheduled).has("parallel")).toBe(true);
    await checkJs(s);
  });

  it.skipIf(!hasCompiler)("elementwise chain on c", () => {
    const x = p([32, 64]);
    checkC(schedule([x, topi.exp(topi.add(topi.multiply(x, 2), 1))], "c"));
  });
});

/** Shapes of the buffers the scheduled function allocates (block alloc_buffers). */
function allocShapes(f: PrimFunc): Map<string, number[]> {
  const out = new Map<string, number[]>();
  postOrderVisitStmt(f.body, (st) => {
    if (st instanceof Block) for (const b of st.allocBuffers) out.set(b.name, b.shape.map((d) => (d as IntImm).value));
  });
  return out;
}

/** Extents of the vectorized loops. */
function vectorExtents(f: PrimFunc): number[] {
  const out: number[] = [];
  postOrderVisitStmt(f.body, (st) => {
    if (st instanceof For && st.forKind === "vectorized") out.push((st.extent as IntImm).value);
  });
  return out;
}

describe("default CPU schedules: conv with packed weights and a register tile (c, wasm)", () => {
  // [name, tensors, packed weight shape on c (16 lanes) or undefined: the generic rule; the same on wasm (4 lanes)]
  const cases: [string, () => Tensor[], number[] | undefined, number[] | undefined][] = [
    ["conv2d NCHW 3x3 pad 1 (the benchmark's structure, scaled down)",
      () => { const x = p([1, 8, 14, 14]), w = p([32, 8, 3, 3], "w"); return [x, w, topi.conv2d(x, w, { padding: 1 })]; },
      [2, 8, 3, 3, 16], [8, 8, 3, 3, 4]],
    ["conv2d NCHW, 24 channels (half a vector on c), 13x11 positions (no tile divides 11 on wasm)",
      () => { const x = p([1, 5, 13, 11]), w = p([24, 5, 3, 3], "w"); return [x, w, topi.conv2d(x, w, { padding: 1 })]; },
      [3, 5, 3, 3, 8], undefined],
    ["conv2d NCHW, stride 2",
      () => { const x = p([2, 4, 15, 15]), w = p([16, 4, 3, 3], "w"); return [x, w, topi.conv2d(x, w, { padding: 1, strides: 2 })]; },
      [1, 4, 3, 3, 16], [4, 4, 3, 3, 4]],
    ["conv2d NHWC / HWIO, dilation 2",
      () => { const x = p([1, 12, 12, 8]), w = p([3, 3, 8, 16], "w"); return [x, w, topi.conv2d(x, w, { dataLayout: "NHWC", dilation: 2, padding: 2 })]; },
      [1, 3, 3, 8, 16], [4, 3, 3, 8, 4]],
    ["conv1d NCW",
      () => { const x = p([2, 4, 32]), w = p([8, 4, 3], "w"); return [x, w, topi.conv1d(x, w, { padding: 1 })]; },
      [1, 4, 3, 8], [2, 4, 3, 4]],
    ["conv3d NCDHW",
      () => { const x = p([1, 3, 6, 6, 6]), w = p([8, 3, 3, 3, 3], "w"); return [x, w, topi.conv3d(x, w, { padding: 1 })]; },
      [1, 3, 3, 3, 3, 8], [2, 3, 3, 3, 3, 4]],
    ["depthwise conv2d (the channel is read by the input too)",
      () => { const x = p([1, 16, 8, 8]), w = p([16, 1, 3, 3], "w"); return [x, w, topi.depthwiseConv2d(x, w, { padding: 1 })]; },
      undefined, undefined],
    ["grouped conv2d",
      () => { const x = p([1, 8, 8, 8]), w = p([16, 4, 3, 3], "w"); return [x, w, topi.conv2d(x, w, { padding: 1, groups: 2 })]; },
      undefined, undefined],
    ["conv2d with 6 output channels (no vector width divides)",
      () => { const x = p([1, 3, 9, 9]), w = p([6, 3, 3, 3], "w"); return [x, w, topi.conv2d(x, w, { padding: 1 })]; },
      undefined, undefined],
  ];
  for (const [name, make, onC, onWasm] of cases) {
    for (const [target, packed] of [["c", onC], ["wasm", onWasm]] as const) {
      it(`${name}: ${target}`, async () => {
        const s = schedule(make(), target);
        const conv = s.applied.find((r) => r.block.startsWith("conv"))!;
        expect(conv.rule).toBe(packed ? "conv-packed" : "conv");
        if (packed) {
          expect(allocShapes(s.scheduled).get("w_global")).toEqual(packed);
          expect(vectorExtents(s.scheduled)).toContain(packed[packed.length - 1]);
          expect(forKinds(s.scheduled).has("unrolled")).toBe(true);
        }
        // Every variant computes what the interpreter computes (js runs the same loop nest; the
        // c and wasm code of these cases is compared in test/target/default_schedule_targets.test.ts).
        await checkJs(s);
        if (target === "c" && hasCompiler) checkC(s);
      });
    }
  }
});

describe("default CPU schedules: conv epilogue per register tile (c, wasm)", () => {
  for (const target of ["c", "wasm"] as const) {
    it(`conv2d + bias + relu: the epilogue is the tile's write stage, the conv output stays in the tile (${target})`, async () => {
      const x = p([1, 8, 8, 8]), w = p([16, 8, 3, 3], "w"), b = p([16, 1, 1], "b");
      const s = schedule([x, w, b, topi.relu(topi.add(topi.conv2d(x, w, { padding: 1 }), b))], target);
      expect(rulesOf(s)).toContain("conv2d_nchw:conv-packed");
      expect(rulesOf(s)).toContain("T_relu:conv-epilogue");
      await checkJs(s);
      if (target === "c" && hasCompiler) checkC(s);
      // Lowered, the conv's output is a buffer of one tile (positions x channels), not the whole tensor.
      const lowered = lower(IRModule.fromFunction(s.scheduled, "main")).get("main") as PrimFunc;
      let convElems = -1;
      postOrderVisitStmt(lowered.body, (st) => {
        const a = st as unknown as { kind: string; bufferVar?: { name: string }; extents?: IntImm[] };
        if (a.kind === "Allocate" && a.bufferVar?.name.startsWith("conv2d_nchw")) convElems = a.extents!.reduce((n, e) => n * e.value, 1);
      });
      expect(convElems).toBe(target === "c" ? 8 * 16 : 8 * 4);
    });
  }
});

describe("default CPU schedules: robustness", () => {
  it("the trace of a default schedule replays to the same function", () => {
    for (const make of [
      () => { const A = p([32, 48], "A"), B = p([48, 64], "B"); return [A, B, topi.matmul(A, B)]; },
      () => { const x = p([8, 64]); return [x, topi.softmax(x)]; },
      () => { const x = p([1, 4, 8, 8]), w = p([8, 4, 3, 3], "w"); return [x, w, topi.conv2d(x, w, { padding: 1 })]; },
    ]) {
      const s = schedule(make(), "c");
      const sch = defaultScheduleWithReport(s.original, "c", { minParallelWork: 256 }).sch;
      const again = new Schedule(s.original);
      Trace.fromJSON(sch.trace.toJSONString()).applyTo(again);
      expect(structuralEqual(again.mod.get("main"), s.scheduled)).toBe(true);
    }
  });

  it("a function that is already scheduled (split bindings) is left alone", () => {
    const A = p([32, 32], "A"), B = p([32, 32], "B");
    const once = schedule([A, B, topi.matmul(A, B)], "js");
    const twice = defaultScheduleWithReport(once.scheduled, "js", { strict: true });
    expect(twice.applied).toEqual([]);
    expect(structuralEqual(twice.sch.mod.get("main"), once.scheduled)).toBe(true);
  });

  // Operators with no dedicated rule, odd shapes and integer types: whatever rules apply must
  // keep the results, and no rule may fail with anything but a ScheduleError (strict mode).
  const sweep: [string, () => Tensor[]][] = [
    ["matmul transposed B, int32", () => { const A = p([8, 12], "A", "int32"), B = p([10, 12], "B", "int32"); return [A, B, topi.matmul(A, B, { transposeB: true })]; }],
    ["conv2d NHWC, dilation 2", () => { const x = p([1, 8, 8, 4]), w = p([3, 3, 4, 8], "w"); return [x, w, topi.conv2d(x, w, { dataLayout: "NHWC", dilation: 2 })]; }],
    ["conv1d", () => { const x = p([2, 4, 32]), w = p([8, 4, 3], "w"); return [x, w, topi.conv1d(x, w, { padding: 1 })]; }],
    ["log_softmax axis 1", () => { const x = p([3, 9, 2]); return [x, topi.logSoftmax(x, 1)]; }],
    ["rms_norm", () => { const x = p([4, 32]), w = p([32], "w"); return [x, w, topi.rmsNorm(x, w)]; }],
    ["group_norm", () => { const x = p([2, 8, 4, 4]), g = p([8], "g"), b = p([8], "b"); return [x, g, b, topi.groupNorm(x, g, b, 4)]; }],
    ["int32 sum, prod and argmin", () => { const x = p([6, 16], "x", "int32"); return [x, topi.sum(x, 1), topi.argmin(x, 1)]; }],
    ["strided_slice, pad, take, split", () => {
      const x = p([4, 6, 8]), i = p([5], "i", "int32");
      const [s0, s1] = topi.split(x, 2, 2) as [Tensor, Tensor];
      return [x, i, topi.stridedSlice(x, [0, 1, 0], [4, 6, 8], [1, 2, 2]), topi.pad(x, [0, 1, 2], [1, 0, 1]), topi.take(x, topi.clip(i, 0, 7), 2), s0, s1];
    }],
    ["cast and where", () => { const a = p([16, 8], "a"), b = p([8], "b"); return [a, b, topi.cast(topi.multiply(a, 100), "int32"), topi.where(topi.greater(a, b), a, b)]; }],
    ["matmul + softmax epilogue chain", () => { const A = p([16, 32], "A"), B = p([32, 64], "B"); return [A, B, topi.softmax(topi.matmul(A, B))]; }],
  ];
  for (const [name, make] of sweep) {
    it(`keeps results: ${name}`, async () => {
      const s = schedule(make(), "js");
      if (process.env.SHOW_RULES) console.log(name, rulesOf(s).join(", "));
      await checkJs(s);
    });
  }
});

// Relax functions carry int64 symbolic dimensions (a dynamic batch or sequence length). The
// rules tile the static axes as usual, split a symbolic matmul row axis by a constant tile with
// a predicated tail, vectorize the static inner axes and parallelize the symbolic outer loops.
// Each case runs at several values of the symbolic dimension: 1, values not divisible by the
// tiles and a multiple of them.
describe("default CPU schedules: symbolic (dynamic) shapes", () => {
  const n = new SizeVar("n", int64);
  const m = new SizeVar("m", int64); // a second symbolic dimension (dynamic batch), 3 in the runs
  const ps = (shape: (number | SizeVar)[], name: string) => placeholder(shape, "float32", name);
  const NS = [1, 5, 50, 96];
  const cases: [string, () => Tensor[], string[], targets?: readonly ("js" | "c" | "wasm")[]][] = [
    ["dense (n, 64) x (96, 64)^T + bias", () => { const x = ps([n, 64], "x"), w = ps([96, 64], "w"), b = ps([96], "b"); return [x, w, b, topi.dense(x, w, b)]; },
      ["T_matmul_NT:matmul", "T_add:matmul-epilogue"]],
    ["dense in Relax's int64 form (n, 64) x (80, 64)^T: rows padded to whole tiles, micro-kernel", () => {
      const L = (v: number) => new IntImm(int64, v);
      const x = placeholder([n, L(64)], "float32", "x"), w = placeholder([L(80), L(64)], "float32", "w");
      return [x, w, topi.dense(x, w)];
    }, ["T_matmul_NT:matmul-ukernel"]],
    ["dense + bias + relu in Relax's int64 form (n, 64) x (96, 64)^T: padded rows, epilogue reads the padded result", () => {
      const L = (v: number) => new IntImm(int64, v);
      const x = placeholder([n, L(64)], "float32", "x"), w = placeholder([L(96), L(64)], "float32", "w"), b = placeholder([L(96)], "float32", "b");
      return [x, w, b, topi.relu(topi.dense(x, w, b))];
    }, ["T_matmul_NT:matmul-ukernel", "T_relu:matmul-epilogue"]],
    ["attention scores in Relax's int64 form (12, n, 64) x (12, 64, n): rows and columns padded", () => {
      const L = (v: number) => new IntImm(int64, v);
      const q = placeholder([L(12), n, L(64)], "float32", "q"), k = placeholder([L(12), L(64), n], "float32", "k");
      return [q, k, topi.matmul(q, k)];
    }, ["T_matmul_NN:matmul-ukernel"], ["c", "wasm"]], // js: the generic rule, not vectorized over a symbolic j
    ["attention context in Relax's int64 form (12, n, n) x (12, n, 64): rows and reduction padded", () => {
      const L = (v: number) => new IntImm(int64, v);
      const p = placeholder([L(12), n, n], "float32", "p"), v = placeholder([L(12), n, L(64)], "float32", "v");
      return [p, v, topi.matmul(p, v)];
    }, ["T_matmul_NN:matmul-ukernel"]],
    ["matmul (n, 48) x (48, 40)", () => { const A = ps([n, 48], "A"), B = ps([48, 40], "B"); return [A, B, topi.matmul(A, B)]; }, ["T_matmul_NN:matmul"]],
    ["batch_matmul with a symbolic sequence (2, n, 32) x (2, 24, 32)^T", () => { const x = ps([2, n, 32], "x"), y = ps([2, 24, 32], "y"); return [x, y, topi.batchMatmul(x, y)]; },
      ["T_batch_matmul_NT:matmul"]],
    ["softmax over (n, 3, 64)", () => { const x = ps([n, 3, 64], "x"); return [x, topi.softmax(x)]; }, ["T_softmax_norm:row-group"]],
    ["layer_norm over (n, 96) with gamma / beta", () => { const x = ps([n, 96], "x"), g = ps([96], "g"), b = ps([96], "b"); return [x, g, b, topi.layerNorm(x, g, b)]; },
      ["T_layer_norm:row-group", "T_layer_norm_red_temp:row-group member of T_layer_norm"]],
    ["layer_norm over (m, n, 32): two symbolic row dimensions", () => { const x = ps([m, n, 32], "x"); return [x, topi.layerNorm(x)]; },
      ["T_layer_norm:row-group"]],
    ["gelu over (n, 40)", () => { const x = ps([n, 40], "x"); return [x, topi.gelu(x)]; }, ["T_gelu:elementwise"]],
  ];
  for (const [name, make, rules, targets] of cases) {
    for (const target of targets ?? (["js", "c", "wasm"] as const)) {
      it.skipIf(target === "c" && !hasCompiler)(`${name} on ${target}: ${rules.join(", ")}; parallel; same results at n = ${NS.join(", ")}`, async () => {
        const s = schedule(make(), target);
        // The micro-kernel is a c / wasm rule; js takes the generic matmul rule.
        for (const r of rules) expect(rulesOf(s)).toContain(target === "js" ? r.replace(":matmul-ukernel", ":matmul") : r);
        const kinds = forKinds(s.scheduled);
        expect(kinds.has("parallel")).toBe(true);
        expect(kinds.has("vectorized")).toBe(true);
        if (target === "c") {
          for (const v of NS) checkC(s, v, new Map([[n, v], [m, 3]]));
        } else {
          for (const v of NS) await checkJs(s, v, target, new Map([[n, v], [m, 3]]));
        }
      });
    }
  }

  it("dense in Relax's int64 form: the weight is packed as [j // NR, k, j % NR] for contiguous vector loads", () => {
    const L = (v: number) => new IntImm(int64, v);
    const x = placeholder([n, L(64)], "float32", "x"), w = placeholder([L(128), L(64)], "float32", "w");
    const s = schedule([x, w, topi.dense(x, w)], "c");
    expect(rulesOf(s)).toEqual(["T_matmul_NT:matmul-ukernel"]);
    const text = printScript(s.scheduled);
    expect(text).toMatch(/w_global = T\.alloc_buffer\(\(T\.int64\(4\), T\.int64\(64\), T\.int64\(32\)\)\)/);
    // The rows are computed padded to whole 16-row tiles; the copy-out keeps the first n.
    expect(text).toMatch(/x_pad = T\.alloc_buffer\(\(\(n \+ T\.int64\(15\)\) \/\/ T\.int64\(16\) \* T\.int64\(16\), T\.int64\(64\)\)\)/);
    expect(text).toMatch(/T\.call_extern\("int32", "weft_ukernel_fma_f32_/);
  });

  it("the symbolic matmul rows are split by a constant tile with a predicate, the parallel loop covers ceildiv(n, tile) tiles", () => {
    const x = ps([n, 64], "x"), w = ps([128, 64], "w");
    const s = schedule([x, w, topi.dense(x, w)], "c");
    expect(rulesOf(s)).toEqual(["T_matmul_NT:matmul"]);
    const text = printScript(s.scheduled);
    expect(text).toMatch(/T\.where\(.* < n\)/);
    expect(text).toMatch(/T\.parallel\(\(n \+ T\.int64\(\d+\)\) \/\/ T\.int64\(\d+\)/);
  });
});
