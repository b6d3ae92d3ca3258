/**
 * Every instruction kind any family registers prints TypeScript that compiles against weft's
 * own Schedule API: one sample instruction per kind, printed with Trace.toTypeScript, then
 * type-checked with the TypeScript compiler as the body of `(sch: Schedule) => void`.
 */
import { describe, expect, it } from "vitest";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { Schedule, Trace, instructionKindNames } from "../../src/schedule/index.js";

/** [inputs, attrs, outputs, decision?] of one sample call per kind (TVM's JSON form). */
type Sample = [unknown[], unknown[], string[], unknown?];
const SAMPLES: Record<string, Sample> = {
  GetBlock: [[], ["C", "main"], ["b9"]],
  GetLoops: [["b0"], [], ["l9", "l10"]],
  GetChildBlocks: [["l1"], [], ["b9", "b10"]],
  GetProducers: [["b0"], [], ["b9"]],
  GetConsumers: [["b0"], [], ["b9"]],
  GetOutputBlocks: [["b0"], [], ["b9"]],
  SampleCategorical: [[], [[0, 16], [0.5, 0.5]], ["v9"], 1],
  SamplePerfectTile: [["l1"], [2, 16], ["v9", "v10"], [4, 4]],
  SamplePartitionedTile: [["l1"], [3, 1, 2], ["v9", "v10", "v11"], [2, 2, 4]],
  SampleComputeLocation: [["b0"], [], ["l9"], -1],
  Split: [["l1", "None", 4], [1, 0], ["l9", "l10"]],
  LoopPartition: [["l1", "None", 4], [1], ["l9", "l10"]],
  Fuse: [["l1", "l2"], [1], ["l9"]],
  Merge: [["l1", "l2"], [], ["l9"]],
  Reorder: [["l2", "l1"], [], []],
  AddUnitLoop: [["b0"], [], ["l9"]],
  ReorderBlockIterVar: [["b0", [1, 0, 2]], [], []],
  Parallel: [["l1"], [], []],
  Vectorize: [["l1"], [], []],
  Unroll: [["l1"], [], []],
  Bind: [["l1"], ["threadIdx.x"], []],
  CacheRead: [["b0", []], [0, "shared"], ["b9"]],
  CacheWrite: [["b0", ["b0"]], [0, "global"], ["b9"]],
  CacheInplace: [["b0"], [0, "local"], ["b9", "b10"]],
  CacheIndex: [["b0"], ["global", 1], ["b9"]],
  ReIndex: [["b0"], [0, 1], ["b9"]],
  ReadAt: [["l1", "b0"], [0, "shared"], ["b9"]],
  WriteAt: [["l1", "b0"], [0, "shared"], ["b9"]],
  ComputeAt: [["b0", "l1"], [1, -1], []],
  ReverseComputeAt: [["b0", "l1"], [0, -1], []],
  ComputeInline: [["b0"], [], []],
  ReverseComputeInline: [["b0"], [], []],
  DecomposeReduction: [["b0", "l1"], [], ["b9"]],
  RFactor: [["l1"], [1], ["b9"]],
  StorageAlign: [["b0"], [0, 0, 128, 127], []],
  SetScope: [["b0"], [0, "shared"], []],
  UnsafeSetDType: [["b0"], [0, "float16"], []],
  Blockize: [["l1"], [true], ["b9"]],
  Tensorize: [["l1"], ["weft_fma_f32_4x8", true], []],
  Annotate: [["l1", "\"SSRSRS\""], ["meta_schedule.tiling_structure"], []],
  Unannotate: [["l1"], ["k"], []],
  DecomposePadding: [["b0", "l1"], [], ["b9"]],
  TransformLayout: [["b0", "lambda i, j: (j, i)"], [0, 0, null, false], []],
  TransformBlockLayout: [["b0"], ["lambda i, j, k: (k, i, j)"], []],
  PadEinsum: [["b0"], [[1, 1, 1]], []],
  RollingBuffer: [["b0"], [0], []],
  EnterPostproc: [[], [], []],
};

/** A trace defining b0, l1, l2, l3 (a block and its loops), then the sample instruction. */
function sampleTrace(kind: string): string {
  const [inputs, attrs, outputs, decision] = SAMPLES[kind]!;
  const insts = [
    ["GetBlock", [], ["C", "main"], ["b0"]],
    ["GetLoops", ["b0"], [], ["l1", "l2", "l3"]],
    [kind, inputs, attrs, outputs],
  ];
  return JSON.stringify([insts, decision === undefined ? [] : [[2, decision]]]);
}

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, "../..");

/** Type-checks `text` as a module inside test/schedule; returns the diagnostics, line by line. */
function typeCheck(text: string): { line: number; message: string }[] {
  const fileName = join(here, "__trace_ts_check.ts");
  const parsed = ts.getParsedCommandLineOfConfigFile(join(root, "tsconfig.json"), {}, {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: () => undefined,
  })!;
  const options = { ...parsed.options, noEmit: true };
  const host = ts.createCompilerHost(options);
  const readFile = host.readFile.bind(host);
  const getSourceFile = host.getSourceFile.bind(host);
  host.readFile = (f) => (resolve(f) === fileName ? text : readFile(f));
  host.fileExists = (f) => resolve(f) === fileName || ts.sys.fileExists(f);
  host.getSourceFile = (f, lang, ...rest) =>
    resolve(f) === fileName ? ts.createSourceFile(f, text, lang, true) : getSourceFile(f, lang, ...rest);
  const program = ts.createProgram([fileName], options, host);
  const sf = program.getSourceFile(fileName)!;
  return [...program.getSyntacticDiagnostics(sf), ...program.getSemanticDiagnostics(sf)].map((d) => ({
    line: sf.getLineAndCharacterOfPosition(d.start ?? 0).line + 1,
    message: ts.flattenDiagnosticMessageText(d.messageText, "\n"),
  }));
}

describe("toTypeScript of every registered instruction kind", () => {
  const kinds = instructionKindNames();

  it("has a sample call here for every kind the families register", () => {
    expect(kinds.filter((k) => !(k in SAMPLES))).toEqual([]);
    expect(kinds.length).toBeGreaterThan(10);
  });

  it("prints one statement calling a Schedule method that exists", () => {
    for (const kind of kinds.filter((k) => k in SAMPLES)) {
      const line = Trace.fromJSON(sampleTrace(kind)).toTypeScript().split("\n")[2]!;
      expect(line, kind).toMatch(/^(const (\w+|\[[\w, ]*\]) = )?sch\.\w+\(.*\);$/);
      const method = /sch\.(\w+)\(/.exec(line)![1]!;
      expect(typeof (Schedule.prototype as unknown as Record<string, unknown>)[method], `${kind}: sch.${method}`).toBe("function");
    }
  });

  it("prints TypeScript that type-checks against the Schedule API", () => {
    const lines = ['import type { Schedule } from "../../src/schedule/index.js";'];
    const at: [number, number, string][] = [];
    for (const kind of kinds.filter((k) => k in SAMPLES)) {
      const body = Trace.fromJSON(sampleTrace(kind)).toTypeScript().trimEnd().split("\n");
      const start = lines.length + 2;
      lines.push(`export function replay${kind}(sch: Schedule): void {`, ...body.map((l) => `  ${l}`), "}");
      at.push([start, lines.length, kind]);
    }
    const problems = typeCheck(lines.join("\n") + "\n").map((d) => {
      const kind = at.find(([s, e]) => d.line >= s && d.line <= e)?.[2] ?? "?";
      return `${kind} (line ${d.line}: ${lines[d.line - 1]?.trim()}): ${d.message}`;
    });
    expect(problems).toEqual([]);
  }, 60_000);
});
