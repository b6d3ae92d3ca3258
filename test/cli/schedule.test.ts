import { afterEach, describe, expect, it, vi } from "vitest";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cli } from "./cli_harness.js";
import { parsePrimFunc, parseScript } from "../../src/tir/script/index.js";
import { structuralEqual } from "../../src/ir/structural.js";
import { PrimFunc } from "../../src/tir/function.js";
import { Schedule, Trace } from "../../src/schedule/index.js";
import { Rng, randomArray, runPrimFunc, toArray, emptyArray } from "../../src/tir/interp/index.js";


afterEach(() => vi.restoreAllMocks());

const dir = mkdtempSync(join(tmpdir(), "weft-schedule-"));
function file(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

const matmulSource = readFileSync("examples/matmul.py", "utf8");
const exampleTrace = "examples/matmul_schedule.json";

/** C = A @ B on seeded random inputs, through the interpreter. */
function runMatmul(f: PrimFunc): number[] {
  const rng = new Rng(5);
  const A = randomArray([128, 128], "float32", rng);
  const B = randomArray([128, 128], "float32", rng);
  const C = emptyArray([128, 128], "float32");
  runPrimFunc(f, [A, B, C]);
  return toArray(C);
}

describe("weft schedule", () => {
  it("applies the example trace to examples/matmul.py: same module as the API, same numbers", async () => {
    const { code, out, err } = await cli("schedule", "examples/matmul.py", "--trace", exampleTrace);
    expect(err).toBe("");
    expect(code).toBe(0);
    const scheduled = parsePrimFunc(out);
    const sch = new Schedule(parseScript(matmulSource));
    Trace.fromJSON(readFileSync(exampleTrace, "utf8")).applyTo(sch);
    expect(structuralEqual(scheduled, sch.mod.get("main"))).toBe(true);
    expect(out).toContain("T.parallel(32");
    expect(out).toContain("T.vectorized(16)");
    expect(out).toContain('with T.block("C_update")');
    const want = runMatmul(parsePrimFunc(matmulSource));
    const got = runMatmul(scheduled);
    for (let i = 0; i < want.length; i += 97) expect(Math.abs(got[i]! - want[i]!)).toBeLessThanOrEqual(1e-4 * (1 + Math.abs(want[i]!)));
  });

  it("prints the replayed trace as TypeScript with --print-ts", async () => {
    const { code, out } = await cli("schedule", "examples/matmul.py", "--trace", exampleTrace, "--print-ts");
    expect(code).toBe(0);
    expect(out.split("\n").slice(0, 5)).toEqual([
      'const b0 = sch.getBlock("C", "main");',
      "const [l1, l2, l3] = sch.getLoops(b0);",
      "const [v4, v5, v6, v7] = sch.samplePerfectTile(l1, 4, 16, [4, 2, 4, 4]);",
      "const [l8, l9, l10, l11] = sch.split(l1, [v4, v5, v6, v7]);",
      "const [l12, l13] = sch.split(l2, [undefined, 16]);",
    ]);
    expect(out).toContain('sch.annotate(l14, "pragma_auto_unroll_max_step", 64);');
    expect(out).toContain("const b16 = sch.decomposeReduction(b0, l3);");
  });

  it("writes the result to -o OUT", async () => {
    const outFile = join(dir, "scheduled.py");
    const { code, out } = await cli("schedule", "examples/matmul.py", "--trace", exampleTrace, "-o", outFile);
    expect(code).toBe(0);
    expect(out).toBe("");
    const printed = await cli("schedule", "examples/matmul.py", "--trace", exampleTrace);
    expect(readFileSync(outFile, "utf8")).toBe(printed.out);
  });

  it("prints a refusing primitive's ScheduleError with the function marked, exit 1", async () => {
    const trace = file(
      "refuse.json",
      '[[["GetBlock",[],["C","main"],["b0"]],["GetLoops",["b0"],[],["l1","l2","l3"]],["SamplePerfectTile",["l2"],[1,16],["v4"]]],[]]',
    );
    const { code, out, err } = await cli("schedule", "examples/matmul.py", "--trace", trace);
    expect(code).toBe(1);
    expect(out).toBe("");
    expect(err).toContain("while replaying trace instruction 2 (SamplePerfectTile): ScheduleError: sample_perfect_tile: a single tile of extent 128 exceeds max_innermost_factor 16");
    expect(err).toContain("@T.prim_func");
    expect(err).toMatch(/\^/);
    expect(err).not.toMatch(/\n\s+at .*\.ts:\d+/); // no JS stack trace
  });

  it("reports a missing block with the blocks that exist", async () => {
    const trace = file("noblock.json", '[[["GetBlock",[],["D","main"],["b0"]]],[]]');
    const { code, err } = await cli("schedule", "examples/matmul.py", "--trace", trace);
    expect(code).toBe(1);
    expect(err).toContain('get_block: no block named "D" in function "main" (blocks: "root", "C")');
  });

  it("explains what is wrong with a bad trace file", async () => {
    const cases: [string, string, RegExp][] = [
      ["notjson.json", "[[", /notjson\.json: trace JSON: not valid JSON/],
      ["shape.json", '{"a": 1}', /shape\.json: trace JSON: expected \[instructions, decisions\] \(two lists\), got \{"a":1\}/],
      ["inst.json", '[[["GetBlock",[],["C","main"]]],[]]', /inst\.json: trace JSON: instruction 0 must be \[kind, \[inputs\], \[attrs\], \[outputs\]\]/],
      ["kind.json", '[[["Frobnicate",[],[],[]]],[]]', /kind\.json: trace JSON: instruction 0: unknown schedule instruction "Frobnicate" \(weft knows: .*GetBlock/],
      ["rv.json", '[[["GetLoops",["b7"],[],["l0"]]],[]]', /rv\.json: trace JSON: instruction 0 \(GetLoops\) uses "b7", which no earlier instruction defines/],
      ["dec.json", '[[["GetBlock",[],["C","main"],["b0"]]],[[3,1]]]', /dec\.json: trace JSON: decision \[3,1\] names instruction 3, but the trace has 1 instructions/],
      ["out.json", '[[["GetBlock",[],["C","main"],["x0"]]],[]]', /out\.json: trace JSON: instruction 0 \(GetBlock\): bad output name "x0"/],
    ];
    for (const [name, text, msg] of cases) {
      const { code, err } = await cli("schedule", "examples/matmul.py", "--trace", file(name, text));
      expect(code, name).toBe(1);
      expect(err, name).toMatch(msg);
    }
    const missing = await cli("schedule", "examples/matmul.py", "--trace", join(dir, "nope.json"));
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(/nope\.json: cannot read the trace file \(ENOENT\)/);
    const noTrace = await cli("schedule", "examples/matmul.py");
    expect(noTrace.code).toBe(1);
    expect(noTrace.err).toMatch(/required option '--trace <trace.json>' not specified/);
  });

  it("points the trace at another function with --func, and says so when it is needed", async () => {
    const mm = file("mm.py", matmulSource.replace("def main(", "def mm("));
    const trace = file("t.json", '[[["GetBlock",[],["C","main"],["b0"]],["GetLoops",["b0"],[],["l1","l2","l3"]],["Annotate",["l1",4],["k"],[]]],[]]');
    const bad = await cli("schedule", mm, "--trace", trace);
    expect(bad.code).toBe(1);
    expect(bad.err).toContain(`the trace looks up blocks in function "main", but ${mm} has no such function (it has: mm); pass --func mm to apply the trace to it`);
    const ok = await cli("schedule", mm, "--trace", trace, "--func", "mm");
    expect(ok.code).toBe(0);
    expect(ok.out).toContain("def mm(");
    expect(ok.out).toContain('annotations={"k": 4}');
    const ts = await cli("schedule", mm, "--trace", trace, "--func", "mm", "--print-ts");
    expect(ts.out.split("\n")[0]).toBe('const b0 = sch.getBlock("C", "mm");');
    const wrong = await cli("schedule", mm, "--trace", trace, "--func", "zz");
    expect(wrong.code).toBe(1);
    expect(wrong.err).toContain('no function "zz" (it has: mm)');
  });

  it("draws undecided samples from --seed, deterministically", async () => {
    const trace = file("seed.json", '[[["GetBlock",[],["C","main"],["b0"]],["GetLoops",["b0"],[],["l1","l2","l3"]],["SamplePerfectTile",["l1"],[3,8],["v4","v5","v6"]]],[]]');
    const a = await cli("schedule", "examples/matmul.py", "--trace", trace, "--print-ts", "--seed", "9");
    const b = await cli("schedule", "examples/matmul.py", "--trace", trace, "--print-ts", "--seed", "9");
    expect(a.code).toBe(0);
    expect(a.out).toBe(b.out);
    const m = /samplePerfectTile\(l1, 3, 8, \[(\d+), (\d+), (\d+)\]\)/.exec(a.out)!;
    expect(Number(m[1]) * Number(m[2]) * Number(m[3])).toBe(128);
    const bad = await cli("schedule", "examples/matmul.py", "--trace", trace, "--seed", "x");
    expect(bad.code).toBe(1);
    expect(bad.err).toContain("--seed x: expected an integer");
  });
});
