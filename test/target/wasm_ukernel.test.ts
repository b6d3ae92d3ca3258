/**
 * The wasm target's fp32 matmul micro-kernel (src/target/wasm/wasm_ukernel.ts) and the default
 * schedule that tensorizes with it (src/schedule/default/matmul_ukernel.ts on "wasm").
 *
 * Plain SIMD128 (`setRelaxedSimd(false)`): every update is f32x4.mul then f32x4.add in k order,
 * as the interpreter computes the unscheduled sum, so results must be bit-equal to it. Relaxed
 * SIMD (f32x4.relaxed_madd, fused): compared within 1e-5 relative; Node 20 only runs it with
 * --experimental-wasm-relaxed-simd, so those modules run in a child process with that flag
 * (no flag where the engine has relaxed SIMD already).
 */
import { spawnSync } from "node:child_process";
import binaryen from "binaryen";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { IRModule } from "../../src/ir/module.js";
import { Schedule } from "../../src/schedule/index.js";
import { defaultScheduleWithReport } from "../../src/schedule/default/index.js";
import { build } from "../../src/target/build.js";
import { primFuncSignature } from "../../src/target/signature.js";
import "../../src/target/wasm/index.js";
import type { WasmModule } from "../../src/target/wasm/index.js";
import { generateWasm } from "../../src/target/wasm/codegen_wasm.js";
import { RELAXED_SIMD_PROBE, relaxedSimdSupported, setRelaxedSimd } from "../../src/target/wasm/wasm_features.js";
import { createPrimFunc, placeholder, topi, type Tensor } from "../../src/te/index.js";
import type { PrimFunc } from "../../src/tir/function.js";
import { runPrimFunc, storageClass, toArray, type HostArray } from "../../src/tir/interp/index.js";
import { lower } from "../../src/tir/pipeline.js";
import { parsePrimFunc, printScript } from "../../src/tir/script/index.js";
import { compareWithInterpreter, randomArgs } from "./js_harness.js";

const RELAXED_TOL = 1e-5;
const p = (shape: number[], name: string) => placeholder(shape, "float32", name);

let previous: boolean | undefined;
beforeAll(() => {
  previous = setRelaxedSimd(false);
});
afterAll(() => {
  setRelaxedSimd(previous);
});

function scheduleWasm(tensors: Tensor[]) {
  const f = createPrimFunc(tensors);
  const { sch, applied } = defaultScheduleWithReport(f, "wasm", { strict: true });
  return { f, g: sch.mod.functionList[0] as PrimFunc, rules: applied.map((r) => `${r.block}:${r.rule}`) };
}

const ukernelOf = (g: PrimFunc): string | undefined => /weft_ukernel_fma_f32_(\d+x\d+)/.exec(printScript(g))?.[1];

describe("relaxed-SIMD detection", () => {
  it("the probe is one function computing f32x4.relaxed_madd, and detection agrees with the engine", () => {
    const m = binaryen.readBinary(RELAXED_SIMD_PROBE);
    m.setFeatures(binaryen.Features.All);
    expect(m.validate()).toBeTruthy();
    expect(m.emitText()).toContain("f32x4.relaxed_madd");
    m.dispose();
    expect(relaxedSimdSupported()).toBe(WebAssembly.validate(RELAXED_SIMD_PROBE as Uint8Array<ArrayBuffer>));
  });

  it("an engine with relaxed SIMD (the flag on Node 20) accepts the probe", () => {
    const r = runChild(`process.stdout.write(String(WebAssembly.validate(new Uint8Array(${JSON.stringify([...RELAXED_SIMD_PROBE])}))))`, "");
    expect(r).toBe("true");
  });
});

describe("default schedule on wasm: matmul-like blocks tensorized with the wasm micro-kernel", () => {
  const cases: { name: string; make: () => Tensor[]; rules: string[]; tile?: string }[] = [
    { name: "matmul 96x64x128 (4x8 tile)", tile: "4x8", rules: ["T_matmul_NN:matmul-ukernel"], make: () => { const A = p([96, 128], "A"), B = p([128, 64], "B"); return [A, B, topi.matmul(A, B)]; } },
    { name: "matmul 30x24x40 (6x8 tile)", tile: "6x8", rules: ["T_matmul_NN:matmul-ukernel"], make: () => { const A = p([30, 40], "A"), B = p([40, 24], "B"); return [A, B, topi.matmul(A, B)]; } },
    { name: "matmul 9x36x20 (3x12 tile)", tile: "3x12", rules: ["T_matmul_NN:matmul-ukernel"], make: () => { const A = p([9, 20], "A"), B = p([20, 36], "B"); return [A, B, topi.matmul(A, B)]; } },
    { name: "matmul 16x32x768: K split into slices of 256", tile: "4x8", rules: ["T_matmul_NN:matmul-ukernel"], make: () => { const A = p([16, 768], "A"), B = p([768, 32], "B"); return [A, B, topi.matmul(A, B)]; } },
    { name: "dense + bias + relu (transposed B packed, epilogue per tile)", tile: "4x8", rules: ["T_add:inline", "T_matmul_NT:matmul-ukernel", "T_relu:matmul-epilogue"], make: () => { const d = p([20, 48], "d"), w = p([40, 48], "w"), b = p([40], "b"); return [d, w, b, topi.relu(topi.dense(d, w, b))]; } },
    { name: "batch_matmul 3x16x24 @ 3x32x24", tile: "4x8", rules: ["T_batch_matmul_NT:matmul-ukernel"], make: () => { const x = p([3, 16, 24], "x"), y = p([3, 32, 24], "y"); return [x, y, topi.batchMatmul(x, y)]; } },
    { name: "matmul 37x29x19 (no tile divides): generic rule", rules: ["T_matmul_NN:matmul"], make: () => { const A = p([37, 19], "A"), B = p([19, 29], "B"); return [A, B, topi.matmul(A, B)]; } },
    { name: "matmul 50x36x70 (J % 8 != 0, I % 3 != 0): generic rule", rules: ["T_matmul_NN:matmul"], make: () => { const A = p([50, 70], "A"), B = p([70, 36], "B"); return [A, B, topi.matmul(A, B)]; } },
  ];
  for (const c of cases) {
    it(`${c.name}: bit-equal to the interpreter (plain SIMD)`, async () => {
      const { f, g, rules } = scheduleWasm(c.make());
      expect(rules).toEqual(c.rules);
      expect(ukernelOf(g)).toBe(c.tile);
      const mod = (await build(g, "wasm -emit-text=true")) as WasmModule;
      await compareWithInterpreter(f, randomArgs(f, 11), { mod });
      const text = mod.getSource();
      expect(text).not.toContain("relaxed_madd");
      if (c.tile) expect(text).toContain("v128.load32_splat");
    });
  }

  it("ukernel: false keeps the generic rule on wasm", () => {
    const A = p([96, 128], "A"), B = p([128, 64], "B");
    const { applied } = defaultScheduleWithReport(createPrimFunc([A, B, topi.matmul(A, B)]), "wasm", { strict: true, ukernel: false });
    expect(applied.map((r) => r.rule)).toEqual(["matmul"]);
  });
});

describe("the micro-kernel through tensorize and direct calls", () => {
  it("tensorize with weft_fma_f32_4x8_extern on an unpacked B (row strides of the full matrices, K = 4 per call)", async () => {
    const A = p([16, 12], "A"), B = p([12, 24], "B");
    const f = createPrimFunc([A, B, topi.matmul(A, B)]);
    const sch = new Schedule(f);
    const blk = sch.getBlock("T_matmul_NN");
    const [i, j, k] = sch.getLoops(blk);
    const [i0, i1] = sch.split(i!, [undefined, 4]);
    const [j0, j1] = sch.split(j!, [undefined, 8]);
    const [k0, k1] = sch.split(k!, [undefined, 4]);
    sch.reorder(i0!, j0!, k0!, i1!, j1!, k1!);
    sch.decomposeReduction(blk, k0!);
    sch.tensorize(i1!, "weft_fma_f32_4x8_extern");
    const g = sch.mod.functionList[0] as PrimFunc;
    expect(printScript(lower(IRModule.fromFunction(g)).functionList[0]!)).toContain('"weft_ukernel_fma_f32_4x8", T_matmul_NN.data');
    const mod = await build(g, "wasm");
    await compareWithInterpreter(f, randomArgs(f, 3), { mod });
  });

  // Strides and K as scalar parameters (the kernel takes them at run time); N = 6 and SIMD off
  // keep the tile in f32 locals.
  const direct = (M: number, N: number) => `
@T.prim_func
def main(A: T.Buffer((200,), "float32"), B: T.Buffer((200,), "float32"), C: T.Buffer((200,), "float32"), lda: T.int32, ldb: T.int32, ldc: T.int32, k: T.int32):
    T.evaluate(T.call_extern("int32", "weft_ukernel_fma_f32_${M}x${N}", C.data, 3, ldc, A.data, 1, lda, B.data, 2, ldb, k))
`;
  for (const [M, N, target] of [[3, 8, "wasm"], [2, 6, "wasm"], [3, 8, "wasm -simd=false"]] as const) {
    it(`weft_ukernel_fma_f32_${M}x${N} with run-time strides (${target}) equals a naive sum`, async () => {
      const f = parsePrimFunc(direct(M, N));
      const mod = await build(f, target, { lower: null });
      const [lda, ldb, ldc, K] = [11, N + 3, N + 1, 9];
      const [a, b, c] = randomArgs(f, 5, { lda, ldb, ldc, k: K }).slice(0, 3) as HostArray[];
      const want = toArray(c!).map((x) => x);
      for (let i = 0; i < M; i++) {
        for (let j = 0; j < N; j++) {
          let s = want[3 + i * ldc + j]!;
          for (let kk = 0; kk < K; kk++) s = Math.fround(s + Math.fround(toArray(a!)[1 + i * lda + kk]! * toArray(b!)[2 + kk * ldb + j]!));
          want[3 + i * ldc + j] = s;
        }
      }
      const out = { ...c!, data: c!.data.slice() } as HostArray;
      mod.get("main")(a!, b!, out, lda, ldb, ldc, K);
      expect(toArray(out)).toEqual(want);
    });
  }

  it("another extern name is still refused with the name in the message", async () => {
    const f = parsePrimFunc(`
@T.prim_func
def main(A: T.Buffer((4,), "float32")):
    T.evaluate(T.call_extern("int32", "my_kernel", A.data))
`);
    await expect(build(f, "wasm", { lower: null })).rejects.toThrow(/cannot run extern function my_kernel in the wasm target/);
  });
});

/** Runs `script` (an ES module) in a child Node with relaxed SIMD enabled; returns its stdout. */
function runChild(script: string, input: string): string {
  const flags = relaxedSimdSupported() ? [] : ["--experimental-wasm-relaxed-simd"];
  const r = spawnSync(process.execPath, [...flags, "--input-type=module", "-e", script], { input, encoding: "utf8", maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`child node failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}

/** Instantiates the binary with the arrays placed after its static region; calls the export; prints every array. */
const RUN_MODULE = `
let s = "";
process.stdin.on("data", (d) => (s += d)).on("end", async () => {
  const j = JSON.parse(s);
  const memory = new WebAssembly.Memory({ initial: j.pages, maximum: j.maxPages });
  const weft = new Proxy({}, { get: (_, k) => () => { throw new Error("unexpected import " + String(k)); } });
  const { instance } = await WebAssembly.instantiate(Buffer.from(j.binary, "base64"), { env: { memory }, weft });
  const addrs = [];
  let at = j.base;
  for (const a of j.arrays) {
    addrs.push(at);
    new Float32Array(memory.buffer, at, a.length).set(a);
    at += Math.ceil((a.length * 4) / 64) * 64;
  }
  instance.exports[j.name](at, ...addrs);
  process.stdout.write(JSON.stringify(addrs.map((ad, i) => Array.from(new Float32Array(memory.buffer, ad, j.arrays[i].length)))));
});
`;

describe("relaxed SIMD: f32x4.relaxed_madd in the micro-kernel", () => {
  const cases: [string, () => Tensor[]][] = [
    ["matmul 64x48x300 (k slices)", () => { const A = p([64, 300], "A"), B = p([300, 48], "B"); return [A, B, topi.matmul(A, B)]; }],
    ["dense + bias 12x40 @ 24x40", () => { const d = p([12, 40], "d"), w = p([24, 40], "w"), b = p([24], "b"); return [d, w, b, topi.dense(d, w, b)]; }],
  ];
  for (const [name, make] of cases) {
    it(`${name}: the module uses relaxed_madd and, run with relaxed SIMD, matches the interpreter`, () => {
      const { f, g } = scheduleWasm(make());
      expect(ukernelOf(g)).toBeDefined();
      const lowered = lower(IRModule.fromFunction(g, "main"));
      const fn = lowered.functionList[0] as PrimFunc;
      setRelaxedSimd(true);
      let artifact;
      try {
        artifact = generateWasm([{ func: fn, name: "main", symbolOf: primFuncSignature(fn, "main", (t) => storageClass(t)).symbolOf }], { emitText: true });
      } finally {
        setRelaxedSimd(false);
      }
      expect(artifact.text).toContain("f32x4.relaxed_madd");
      expect(artifact.text).not.toContain("f32x4.mul");
      const args = randomArgs(f, 9) as HostArray[];
      const want = args.map((a) => ({ ...a, data: a.data.slice() }) as HostArray);
      runPrimFunc(f, want);
      const arrays = args.map((a) => toArray(a));
      const bytes = arrays.reduce((n, a) => n + Math.ceil((a.length * 4) / 64) * 64, 0);
      const base = Math.ceil(artifact.staticEnd / 64) * 64;
      const out = JSON.parse(runChild(RUN_MODULE, JSON.stringify({
        binary: Buffer.from(artifact.binary).toString("base64"), name: artifact.functions[0]!.exportName,
        pages: Math.ceil((base + bytes + 65536) / 65536), maxPages: artifact.maxPages, base, arrays,
      }))) as number[][];
      want.forEach((w, i) => {
        const exp = toArray(w), got = out[i]!;
        expect(got.length).toBe(exp.length);
        for (let e = 0; e < exp.length; e++) {
          if (!(Math.abs(got[e]! - exp[e]!) <= RELAXED_TOL * Math.max(1, Math.abs(exp[e]!)))) {
            expect.fail(`argument ${i}, element ${e}: ${got[e]} with relaxed SIMD, the interpreter gives ${exp[e]}`);
          }
        }
      });
    });
  }
});
