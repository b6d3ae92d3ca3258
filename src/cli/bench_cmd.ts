/**
 * `weft bench FILE [--func NAME] --target T [--threads N] [--json] [--number N --repeat N]`:
 * compiles a PrimFunc, runs it on seeded random inputs and reports the median time per call
 * and, when the flop count is known (multiply-add reductions, see countFlops), GFLOP/s.
 * `weft bench MODEL.onnx ...` times a whole model instead (see bench_onnx.ts).
 */
import type { Command } from "commander";
import type { ArgValue } from "../runtime/module.js";
import { benchOnnx, onnxBenchTable } from "./bench_onnx.js";
import { CliError } from "./errors.js";
import { loadModule, pickFunc, prepareArgs } from "./script_cmd.js";
import { CLI_TARGETS, buildFunc, countFlops, resolveTarget } from "./targets.js";

export interface BenchOptions {
  target: string;
  func?: string;
  threads?: number;
  number?: number;
  repeat?: number;
  seed: number;
  bind: string[];
  json?: boolean;
  defaultSchedule?: boolean;
  input?: string[];
  vs?: string;
}

export interface BenchResult {
  file: string;
  func: string;
  target: string;
  threads: number | null;
  scheduled: boolean;
  number: number;
  repeat: number;
  times_us: number[];
  median_us: number;
  mean_us: number;
  flops: number | null;
  gflops: number | null;
}

function positiveInt(what: string): (v: string) => number {
  return (v) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) throw new CliError(`${what} must be a positive integer, got "${v}"`);
    return n;
  };
}

export async function benchFile(file: string, opts: BenchOptions): Promise<BenchResult> {
  let target = await resolveTarget(opts.target);
  if (opts.threads !== undefined) target = target.with({ "num-cores": opts.threads });
  const mod = loadModule(file);
  const [name, func] = pickFunc(mod, file, opts.func);
  const { args } = prepareArgs(func, opts);
  const { module, scheduled } = await buildFunc(name, func, target, { defaultSchedule: opts.defaultSchedule ?? false });
  const repeat = opts.repeat ?? 5;
  const timer = module.timeEvaluator(name, { number: opts.number ?? 1, repeat, minRepeatMs: opts.number === undefined ? 50 : 0, warmup: 1 });
  const r = timer(...(args as ArgValue[]));
  const flops = countFlops(func);
  const medianUs = r.median * 1e3;
  return {
    file,
    func: name,
    target: target.toString(),
    threads: opts.threads ?? null,
    scheduled,
    number: r.number,
    repeat,
    times_us: r.times.map((t) => t * 1e3),
    median_us: medianUs,
    mean_us: r.mean * 1e3,
    flops,
    gflops: flops === null || medianUs <= 0 ? null : flops / (medianUs * 1e3),
  };
}

function fmt(x: number | null, digits = 2): string {
  return x === null ? "-" : x.toFixed(digits);
}

export function benchTable(r: BenchResult): string {
  const head = ["func", "target", "threads", "median µs", "mean µs", "GFLOP/s", "number×repeat"];
  const row = [r.func, r.target, r.threads === null ? "default" : String(r.threads), fmt(r.median_us), fmt(r.mean_us), fmt(r.gflops), `${r.number}×${r.repeat}`];
  const w = head.map((h, i) => Math.max(h.length, row[i]!.length));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(w[i]!)).join("  ");
  return `${line(head)}\n${line(row)}\n`;
}

export function addBenchCommand(program: Command): void {
  program
    .command("bench")
    .argument("<file>", "a TVMScript file, or an ONNX model (.onnx)")
    .description("compile a PrimFunc (or an ONNX model) for a target, time it on random inputs: median time and GFLOP/s (when the flop count is known); for a model, optionally against onnxruntime")
    .requiredOption("--target <target>", `code generator: ${CLI_TARGETS.join(", ")}`)
    .option("--func <name>", "the function to time (default: the only one, or main)")
    .option("--threads <n>", "threads for parallel loops (sets -num-cores)", positiveInt("--threads"))
    .option("--number <n>", "calls per timed repeat (default: grows until a repeat lasts 50 ms)", positiveInt("--number"))
    .option("--repeat <n>", "timed repeats (default 5)", positiveInt("--repeat"))
    .option("--seed <n>", "random seed of the inputs", (v) => Number.parseInt(v, 10), 0)
    .option("--bind <name=value...>", "values for symbolic dimensions and scalar parameters", [])
    .option("--default-schedule", "apply the default CPU schedule before building (TVMScript; models always get it)")
    .option("--input <spec...>", "model inputs: name=random[:AxB[:HI]] or name=file.npy (.onnx only)", [])
    .option("--vs <peer>", "also time onnxruntime-node on the same inputs and compare outputs (.onnx only): onnxruntime")
    .option("--json", "print JSON instead of a table")
    .addHelpText(
      "after",
      "\nExamples:\n  $ weft bench examples/matmul.py --target c --threads 2\n  $ weft bench examples/softmax.py --target js --json\n  $ weft bench examples/mlp.onnx --target c --input x=random:64x64 --vs onnxruntime",
    )
    .action(async (file: string, opts: BenchOptions) => {
      if (/\.onnx$/i.test(file)) {
        if (opts.func || opts.bind.length || opts.defaultSchedule) throw new CliError("--func, --bind and --default-schedule apply to TVMScript files; a model's entry is main and its shapes come from --input");
        const r = await benchOnnx(file, { target: opts.target, seed: opts.seed, input: opts.input ?? [], ...(opts.threads !== undefined ? { threads: opts.threads } : {}), ...(opts.number !== undefined ? { number: opts.number } : {}), ...(opts.repeat !== undefined ? { repeat: opts.repeat } : {}), ...(opts.vs !== undefined ? { vs: opts.vs } : {}) });
        process.stdout.write(opts.json ? `${JSON.stringify(r, null, 2)}\n` : onnxBenchTable(r));
        return;
      }
      if (opts.input?.length || opts.vs !== undefined) throw new CliError("--input and --vs apply to ONNX models (.onnx); for a TVMScript file use --bind");
      const r = await benchFile(file, opts);
      process.stdout.write(opts.json ? `${JSON.stringify(r, null, 2)}\n` : benchTable(r));
    });
}
