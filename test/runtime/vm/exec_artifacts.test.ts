import { describe, expect, it } from "vitest";
import { parseRelaxScript } from "../../../src/relax/index.js";
import { PRE_VM_PASSES, VM_LOWERING_PASSES, build, loadExecutable, primFuncsOf, runRelaxPipeline } from "../../../src/relax/pipeline.js";
import { vmCodegen } from "../../../src/relax/transform/vm_codegen.js";
import { NDArray } from "../../../src/runtime/ndarray.js";
import { Executable, ExecutableError, type KernelArtifact } from "../../../src/runtime/vm/executable.js";
import { KernelLoadError, loadExecutable as runtimeLoad } from "../../../src/runtime/vm/kernel_loader.js";
import { findCompiler } from "../../../src/target/c/index.js";
import { primFuncSignature } from "../../../src/target/signature.js";
import { Target, getTargetBackend, registerTarget, type TargetKind } from "../../../src/target/target.js";
import { generateWasm, type WasmCodegenInput } from "../../../src/target/wasm/codegen_wasm.js";
import { WasmLoopRewrites } from "../../../src/target/wasm/wasm_loops.js";
import type { FuncSignature } from "../../../src/runtime/module.js";
import { applyDefaultSchedule } from "../../../src/schedule/default/index.js";
import type { PrimFunc } from "../../../src/tir/function.js";
import { storageClass } from "../../../src/tir/interp/host_array.js";
import { lower } from "../../../src/tir/pipeline.js";
import { loadJsArtifact } from "../../../src/target/js/load_js.js";
import { loadWasmArtifact, packWasmArtifact } from "../../../src/target/wasm/load_wasm.js";
import { importsSharedMemory } from "../../../src/target/wasm/wasm_binary.js";
import { relaxedSimdSupported, setRelaxedSimd } from "../../../src/target/wasm/wasm_features.js";
import { sharedMemorySupported } from "../../../src/target/wasm/wasm_runtime.js";
import { printScript } from "../../../src/tir/script/index.js";
import { MLP, STATIC_DENSE, denseRef, mlpRef, values } from "./modules.js";

const hasC = (() => {
  try {
    findCompiler();
    return true;
  } catch {
    return false;
  }
})();

/** STATIC_DENSE with int32 buffer shapes: the wasm default schedule then uses the matmul micro-kernel (relaxed SIMD when enabled). */
const DENSE_I32 = STATIC_DENSE.replaceAll("T.int64(", "(");

function mlpArgs(n: number): NDArray[] {
  return [
    NDArray.fromArray(values(n * 6, 40 + n), [n, 6]), NDArray.fromArray(values(30, 1), [6, 5]),
    NDArray.fromArray(values(5, 2), [5]), NDArray.fromArray(values(15, 3), [5, 3]),
  ];
}

/** DENSE_I32's kernels lowered for wasm: code generator inputs and signatures. */
function denseKernels() {
  const lowered = runRelaxPipeline(parseRelaxScript(DENSE_I32), [...PRE_VM_PASSES, ...VM_LOWERING_PASSES]);
  const mod = WasmLoopRewrites(lower(applyDefaultSchedule(primFuncsOf(lowered), Target.parse("wasm"))));
  const inputs: WasmCodegenInput[] = [];
  const signatures: FuncSignature[] = [];
  for (const [gv, f] of mod.entries()) {
    const { signature, symbolOf } = primFuncSignature(f as PrimFunc, gv.name, (t) => storageClass(t));
    inputs.push({ func: f as PrimFunc, name: gv.name, symbolOf });
    signatures.push(signature);
  }
  return { inputs, signatures };
}

/** The description of a "wasm-module" artifact (load_wasm.ts). */
function wasmMeta(d: Uint8Array) {
  const mlen = new DataView(d.buffer, d.byteOffset).getUint32(8, true);
  return JSON.parse(new TextDecoder().decode(d.subarray(12, 12 + mlen)));
}

/** Runs `f` while building for `kinds` throws: a loader that compiled would fail. */
async function withoutBuild<T>(kinds: TargetKind[], f: () => Promise<T>): Promise<T> {
  const saved = kinds.map((k) => [k, getTargetBackend(k)!] as const);
  for (const k of kinds) registerTarget(k, { build: () => { throw new Error(`the ${k} code generator was called while loading`); } });
  try {
    return await f();
  } finally {
    for (const [k, b] of saved) registerTarget(k, b);
  }
}

/** An executable of MLP whose kernel artifact is replaced by `artifact(k)`. */
async function withArtifact(target: string, artifact: (k: KernelArtifact) => KernelArtifact): Promise<Uint8Array> {
  const { exec } = await build(parseRelaxScript(MLP), target);
  return new Executable(exec.functions, exec.constants, exec.kernels.map(artifact)).serialize();
}

describe.each([
  { target: "js", format: "js-source" },
  { target: "wasm", format: "wasm-module" },
])("$target executables keep compiled kernels ($format)", ({ target, format }) => {
  it("serialize -> load (no code generator) -> the same outputs as the built VM", async () => {
    const built = await build(parseRelaxScript(MLP), target);
    expect(built.exec.kernels.map((k) => k.format)).toEqual([format]);
    const bytes = built.exec.serialize();
    const loaded = await withoutBuild(["js", "wasm", "c"], () => runtimeLoad(bytes));
    expect(loaded.exec.asText()).toBe(built.exec.asText());
    for (const n of [1, 5]) {
      const args = mlpArgs(n);
      const y = loaded.vm.invoke("main", ...args) as NDArray;
      expect(y.toArray()).toEqual((built.vm.invoke("main", ...args) as NDArray).toArray());
      const ref = mlpRef(args[0]!.toArray(), args[1]!.toArray(), args[2]!.toArray(), args[3]!.toArray(), n);
      y.toArray().forEach((v, i) => expect(v).toBeCloseTo(ref[i]!, 4));
    }
    // The loaded executable serializes to the same file.
    expect(loaded.exec.serialize()).toEqual(bytes);
  });

  it("the kernels' argument checks survive the round trip", async () => {
    const { vm, modules } = await runtimeLoad((await build(parseRelaxScript(STATIC_DENSE), target)).exec.serialize());
    const kernel = vm.exec.kernelNames()[0]!;
    expect(() => modules[0]!.get(kernel)(NDArray.empty([3, 3]), NDArray.empty([32, 16]), NDArray.empty([64, 16]))).toThrow(/expected shape \(64, 32\), got \(3, 3\)/);
  });
});

describe("c executables keep the TensorIR (a native library is machine-specific)", () => {
  it.skipIf(!hasC)("tir-script round trip rebuilds with the compiler", async () => {
    const built = await build(parseRelaxScript(MLP), "c");
    expect(built.exec.kernels.map((k) => k.format)).toEqual(["tir-script"]);
    const loaded = await loadExecutable(built.exec.serialize());
    const args = mlpArgs(3);
    expect((loaded.vm.invoke("main", ...args) as NDArray).toArray()).toEqual((built.vm.invoke("main", ...args) as NDArray).toArray());
  });

  it.skipIf(!hasC)("the loader does call the code generator for tir-script", async () => {
    const bytes = (await build(parseRelaxScript(MLP), "c")).exec.serialize();
    await expect(withoutBuild(["c"], () => loadExecutable(bytes))).rejects.toThrow("the c code generator was called while loading");
  });
});

describe("files in the old tir-script format still load", () => {
  it.each(["js", "wasm"])("%s", async (target) => {
    const mod = parseRelaxScript(MLP);
    const lowered = runRelaxPipeline(mod, [...PRE_VM_PASSES, ...VM_LOWERING_PASSES]);
    const kernels = primFuncsOf(lowered);
    const names = [...kernels.entries()].map(([g]) => g.name);
    const exec = vmCodegen(lowered, [{ target, format: "tir-script", data: printScript(kernels), functions: names }]);
    const { vm } = await loadExecutable(exec.serialize());
    const args = mlpArgs(2);
    const ref = mlpRef(args[0]!.toArray(), args[1]!.toArray(), args[2]!.toArray(), args[3]!.toArray(), 2);
    (vm.invoke("main", ...args) as NDArray).toArray().forEach((v, i) => expect(v).toBeCloseTo(ref[i]!, 4));
  });
});

describe("wasm: relaxed SIMD and shared memory", () => {
  it("a binary with relaxed SIMD travels with one without; an engine lacking it loads the second", async () => {
    const { inputs, signatures } = denseKernels();
    const relaxed = generateWasm(inputs, { relaxedSimd: true });
    const plain = generateWasm(inputs, { relaxedSimd: false });
    expect([relaxed.relaxedSimd, plain.relaxedSimd]).toEqual([true, false]);
    const data = packWasmArtifact([relaxed, plain], signatures).data as Uint8Array;
    const x = NDArray.fromArray(values(64 * 32, 5), [64, 32]), w = NDArray.fromArray(values(32 * 16, 6), [32, 16]);
    const ref = denseRef(x.toArray(), w.toArray(), 64, 32, 16);
    const m = await loadWasmArtifact("wasm", data, { relaxedSimd: false });
    expect(m.artifact.relaxedSimd).toBe(false);
    const y = NDArray.empty([64, 16]);
    m.get(signatures[0]!.name)(x, w, y);
    y.toArray().forEach((v, i) => expect(v).toBeCloseTo(ref[i]!, 4));
    if (relaxedSimdSupported()) expect((await loadWasmArtifact("wasm", data)).artifact.relaxedSimd).toBe(true);
    // Saved only with relaxed SIMD (as a build without the fallback would be): a clear error.
    const only = packWasmArtifact([relaxed], signatures).data;
    await expect(loadWasmArtifact("wasm", only, { relaxedSimd: false })).rejects.toThrow(/only as a binary that uses relaxed SIMD, which this engine does not run/);
  });

  it.skipIf(!relaxedSimdSupported())("relax.build saves both binaries where the engine has relaxed SIMD", async () => {
    const k = (await build(parseRelaxScript(DENSE_I32), "wasm -num-cores=1")).exec.kernels[0]!;
    expect(wasmMeta(k.data as Uint8Array).variants.map((v: { relaxedSimd: boolean }) => v.relaxedSimd)).toEqual([true, false]);
  });

  it("without relaxed SIMD in the build there is one binary", async () => {
    const prev = setRelaxedSimd(false);
    try {
      const k = (await build(parseRelaxScript(DENSE_I32), "wasm")).exec.kernels[0]!;
      expect(wasmMeta(k.data as Uint8Array).variants.map((v: { relaxedSimd: boolean }) => v.relaxedSimd)).toEqual([false]);
      const m = await loadWasmArtifact(k.target, k.data, { relaxedSimd: true });
      expect(m.artifact.relaxedSimd).toBe(false);
    } finally {
      setRelaxedSimd(prev);
    }
  });

  it.skipIf(!sharedMemorySupported())("a shared-memory binary runs on a plain memory where the engine has no shared memory", async () => {
    const built = await build(parseRelaxScript(MLP), "wasm -num-cores=2");
    const k = built.exec.kernels[0]!;
    const shared = await loadWasmArtifact(k.target, k.data);
    expect(importsSharedMemory(shared.artifact.binary)).toBe(true);
    const plain = await loadWasmArtifact(k.target, k.data, { shared: false });
    expect(plain.artifact.shared).toBe(false);
    expect(importsSharedMemory(plain.artifact.binary)).toBe(false);
    expect(plain.memory.buffer).toBeInstanceOf(ArrayBuffer);
    expect(plain.numThreads).toBe(1);
    const dense = k.functions.find((f) => f.includes("dense"))!;
    const a = NDArray.fromArray(values(24, 7), [4, 6]), b = NDArray.fromArray(values(30, 8), [6, 5]);
    const y1 = NDArray.empty([4, 5]), y2 = NDArray.empty([4, 5]);
    shared.get(dense)(a, b, y1);
    plain.get(dense)(a, b, y2);
    expect(y2.toArray()).toEqual(y1.toArray());
    shared.dispose();
  });
});

describe("bad executables give clear errors", () => {
  it("an unknown format names the registered ones", async () => {
    const bytes = await withArtifact("js", (k) => ({ ...k, format: "spirv-blob" }));
    await expect(runtimeLoad(bytes)).rejects.toThrow(/no loader for format "spirv-blob" \(registered: .*js-source.*wasm-module/);
    await expect(runtimeLoad(bytes)).rejects.toBeInstanceOf(KernelLoadError);
  });

  it("a damaged wasm binary fails its checksum", async () => {
    const bytes = await withArtifact("wasm", (k) => {
      const d = (k.data as Uint8Array).slice();
      const mlen = new DataView(d.buffer).getUint32(8, true);
      const v = wasmMeta(d).variants[0];
      d[Math.ceil((12 + mlen) / 8) * 8 + v.offset + Math.floor(v.bytes / 2)]! ^= 0xff;
      return { ...k, data: d };
    });
    await expect(runtimeLoad(bytes)).rejects.toThrow(/wasm kernels \(wasm\): a binary's checksum does not match; the file is corrupt/);
  });

  it("a wasm artifact that is not one", async () => {
    await expect(loadWasmArtifact("wasm", new Uint8Array(40))).rejects.toThrow(/does not start with WEFTWASM/);
    await expect(loadWasmArtifact("wasm", "text")).rejects.toThrow(/is binary data, got text/);
    const bytes = await withArtifact("wasm", (k) => ({ ...k, data: (k.data as Uint8Array).slice(0, 100) }));
    await expect(runtimeLoad(bytes)).rejects.toThrow(/runs past|not valid JSON/);
  });

  it("js artifacts: bad JSON, other version, unknown function recipe", async () => {
    expect(() => loadJsArtifact("js", "{oops")).toThrow(/js kernels \(js\): the artifact is not valid JSON/);
    expect(() => loadJsArtifact("js", JSON.stringify({ version: 99, functions: [] }))).toThrow(/artifact version 99 is not supported/);
    const { exec } = await build(parseRelaxScript(MLP), "js");
    const saved = JSON.parse(exec.kernels[0]!.data as string);
    saved.functions[0].recipes = ["frobnicate:1"];
    saved.functions[0].source = `const x = C[0]; return function k() {};`;
    expect(() => loadJsArtifact("js", JSON.stringify(saved))).toThrow(/function .*: kernel imports: unknown JavaScript function recipe "frobnicate:1"/);
  });

  it("an artifact whose module lacks a listed kernel", async () => {
    const bytes = await withArtifact("js", (k) => ({ ...k, functions: [...k.functions, "ghost"] }));
    await expect(runtimeLoad(bytes)).rejects.toThrow(/its module lacks ghost/);
  });

  it("a header with a malformed kernel entry", async () => {
    const { exec } = await build(parseRelaxScript(MLP), "js");
    const bytes = exec.serialize();
    const hlen = new DataView(bytes.buffer).getUint32(8, true);
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(12, 12 + hlen)));
    header.kernels[0].format = 7;
    const hb = new TextEncoder().encode(JSON.stringify(header));
    const out = new Uint8Array(12 + hb.length);
    out.set(bytes.subarray(0, 8));
    new DataView(out.buffer).setUint32(8, hb.length, true);
    out.set(hb, 12);
    expect(() => Executable.load(out)).toThrow(ExecutableError);
    expect(() => Executable.load(out)).toThrow(/kernel artifact 0 is malformed/);
  });
});
