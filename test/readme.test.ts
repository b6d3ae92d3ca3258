import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { te, tir, ir, schedule, target, runtime, frontend, relax } from "../src/index.js";
import { loadExecutable, NDArray } from "../src/runtime_entry.js";

// The TypeScript tour in README.md, kept runnable.
describe("README tour", () => {
  const A = te.placeholder([128, 128], "float32", "A");
  const B = te.placeholder([128, 128], "float32", "B");
  const C = te.topi.matmul(A, B);
  const func = te.createPrimFunc([A, B, C]);

  it("builds, prints, parses, compares and runs a matmul", () => {
    const text = String(func);
    expect(text).toContain("@T.prim_func");
    const parsed = tir.parsePrimFunc(text);
    expect(ir.structuralEqual(parsed, func)).toBe(true);
    const rng = new tir.Rng(0);
    const args = [[128, 128], [128, 128], [128, 128]].map((s) => tir.randomArray(s, "float32", rng));
    tir.runPrimFunc(func, args);
    const [a, b, c] = args.map((x) => tir.toArray(x!));
    let want = 0;
    for (let k = 0; k < 128; k++) want += a![5 * 128 + k]! * b![k * 128 + 7]!;
    expect(c![5 * 128 + 7]).toBeCloseTo(want, 4);
  });

  it("schedules, builds for js and runs", async () => {
    const sch = new schedule.Schedule(func);
    const block = sch.getBlock("T_matmul_NN");
    const [i, j, k] = sch.getLoops(block);
    const [i0, i1] = sch.split(i!, [undefined, 32]);
    const [j0, j1] = sch.split(j!, [undefined, 16]);
    sch.reorder(i0!, j0!, k!, i1!, j1!);
    sch.vectorize(j1!);
    sch.parallel(sch.fuse(i0!, j0!));
    expect(JSON.parse(sch.trace.toJSONString())[0].length).toBeGreaterThan(5);
    const mod = await target.build(sch.mod, "js");
    const rng = new tir.Rng(1);
    const [a, b, c] = [0, 1, 2].map(() => runtime.NDArray.fromArray(tir.toArray(tir.randomArray([128, 128], "float32", rng)), [128, 128], "float32"));
    mod.get("main")(a, b, c);
    const ref = tir.emptyArray([128, 128], "float32");
    tir.runPrimFunc(func, [a!, b!, ref]);
    const got = c!.toArray(), want = tir.toArray(ref);
    for (let x = 0; x < got.length; x += 97) expect(Math.abs(got[x]! - want[x]!)).toBeLessThan(1e-4);
  });

  it("compiles an executable, saves it, loads it (full package and runtime-only entry)", async () => {
    const file = join(mkdtempSync(join(tmpdir(), "weft-readme-")), "mlp.weft");
    const mod = frontend.importOnnx(readFileSync("examples/mlp.onnx"));
    const { exec, vm: built } = await relax.build(mod, "wasm");
    writeFileSync(file, exec.serialize());
    const x = runtime.NDArray.fromArray(new Array(2 * 64).fill(0.5), [2, 64]);
    const want = (built.invoke("main", x) as runtime.NDArray).toArray();

    const { vm } = await relax.loadExecutable(readFileSync(file));
    const y = vm.invoke("main", runtime.NDArray.fromArray(new Array(2 * 64).fill(0.5), [2, 64])) as runtime.NDArray;
    expect(y.shape[0]).toBe(2);
    expect(y.toArray()).toEqual(want);

    const bytes = new Uint8Array(readFileSync(file));
    const { vm: vm2 } = await loadExecutable(bytes);
    const y2 = vm2.invoke("main", NDArray.fromArray(new Array(2 * 64).fill(0.5), [2, 64])) as NDArray;
    expect(y2.toArray()).toEqual(want);
  });
});

describe("README", () => {
  it("lists exactly the ONNX ops the importer converts", () => {
    const text = readFileSync(new URL("../README.md", import.meta.url), "utf8");
    const m = /Supported ONNX ops[^\n]*\n\n([\s\S]*?)\n\n/.exec(text);
    expect(m, "README.md has no 'Supported ONNX ops' list").not.toBeNull();
    const listed = [...m![1]!.matchAll(/`([A-Za-z]+)`/g)].map((x) => x[1]!);
    expect(listed).toEqual(frontend.supportedOps());
  });
});
