/**
 * `weft bench MODEL.onnx --target T [--threads N] [--input name=random:AxB ...] [--vs onnxruntime]`:
 * imports an ONNX model, builds it with relax.build (default schedules), times `main` on the
 * VM (median over timed repeats) and, with `--vs onnxruntime`, times onnxruntime-node (CPU EP,
 * same thread count) on the same input values in the same run, with the ratio of the medians
 * and the largest relative difference between the two sets of outputs.
 *
 * onnxruntime-node is not a dependency of weft (it is a benchmark-only peer in bench/): it is
 * loaded with a dynamic import, from the package's own resolution or else from bench/node_modules.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { performance } from "node:perf_hooks";
import { pathToFileURL } from "node:url";
import { importOnnx } from "../frontend/index.js";
import { build } from "../relax/pipeline.js";
import { NDArray, isNDArray } from "../runtime/ndarray.js";
import { CliError } from "./errors.js";
import { makeInputs } from "./model_cmd.js";
import { resolveTarget } from "./targets.js";

/** The part of onnxruntime-node's API this command uses. */
export interface OrtTensor {
  readonly data: ArrayLike<number | bigint>;
  readonly dims: readonly number[];
}
export interface OrtSession {
  readonly outputNames: readonly string[];
  run(feeds: Record<string, OrtTensor>): Promise<Record<string, OrtTensor>>;
}
export interface OrtModule {
  Tensor: new (type: string, data: ArrayLike<number | bigint>, dims: readonly number[]) => OrtTensor;
  InferenceSession: { create(model: Uint8Array, opts: Record<string, unknown>): Promise<OrtSession> };
}

export const ORT_INSTALL_HINT =
  "onnxruntime-node is not installed: it is not a dependency of weft. Install it next to weft with `ONNXRUNTIME_NODE_INSTALL=skip npm install onnxruntime-node`, or run `npm run bench` in a weft checkout, which installs it under bench/";

type Importer = (specifier: string) => Promise<{ default?: OrtModule } & Partial<OrtModule>>;

/**
 * Imports onnxruntime-node: the package's own resolution first, then bench/node_modules.
 * `importer` is the dynamic import (a parameter so tests can make it fail).
 */
export async function loadOnnxRuntime(importer: Importer = (s) => import(s)): Promise<OrtModule> {
  const name = "onnxruntime-node";
  const pick = (m: { default?: OrtModule } & Partial<OrtModule>): OrtModule => m.default ?? (m as OrtModule);
  try {
    return pick(await importer(name));
  } catch {
    /* not installed next to weft: try the benchmark peers */
  }
  try {
    const requireBench = createRequire(new URL("../../bench/package.json", import.meta.url));
    return pick(await importer(pathToFileURL(requireBench.resolve(name)).href));
  } catch {
    throw new CliError(ORT_INSTALL_HINT);
  }
}

export interface OnnxBenchOptions {
  target: string;
  threads?: number;
  number?: number;
  repeat?: number;
  seed: number;
  input?: string[];
  vs?: string;
}

export interface Timing {
  number: number;
  repeat: number;
  times_us: number[];
  median_us: number;
  mean_us: number;
}

export interface OnnxBenchResult {
  file: string;
  target: string;
  threads: number | null;
  inputs: Record<string, { shape: number[]; dtype: string }>;
  compile_ms: number;
  weft: Timing;
  onnxruntime?: Timing & { session_ms: number };
  /** weft median / onnxruntime median (below 1: weft is faster). */
  ratio?: number;
  /** Over all outputs: max |weft - ort| / max |ort|. */
  max_rel_diff?: number;
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/**
 * Times `call` as the existing `weft bench` does: one warm-up, then `repeat` timed repeats of
 * `number` calls each; without --number, `number` doubles until one repeat lasts 50 ms.
 */
async function timeCalls(call: () => unknown, opts: { number?: number; repeat?: number }): Promise<Timing> {
  await call();
  let number = opts.number ?? 1;
  const once = async (n: number): Promise<number> => {
    const t0 = performance.now();
    for (let i = 0; i < n; i++) await call();
    return performance.now() - t0;
  };
  if (opts.number === undefined) while ((await once(number)) < 50) number *= 2;
  const repeat = opts.repeat ?? 5;
  const times: number[] = [];
  for (let r = 0; r < repeat; r++) times.push(((await once(number)) * 1000) / number);
  return { number, repeat, times_us: times, median_us: median(times), mean_us: times.reduce((a, b) => a + b, 0) / times.length };
}

function flattenOutputs(v: unknown, out: NDArray[] = []): NDArray[] {
  if (isNDArray(v)) out.push(v);
  else if (Array.isArray(v)) for (const x of v) flattenOutputs(x, out);
  return out;
}

function maxRelDiff(got: ArrayLike<number | bigint>, want: ArrayLike<number | bigint>): number {
  if (got.length !== want.length) return Infinity;
  // Relative to the largest reference magnitude, so outputs near zero do not blow the ratio up.
  let scale = 1e-12, err = 0;
  for (let i = 0; i < want.length; i++) {
    const w = Number(want[i]), d = Math.abs(Number(got[i]) - w);
    scale = Math.max(scale, Math.abs(w));
    err = Math.max(err, Number.isNaN(d) ? Infinity : d);
  }
  return err / scale;
}

/**
 * The same values as an onnxruntime tensor. ORT's type names match weft's dtype names; weft keeps
 * 64-bit integers in a Float64Array, ORT wants BigInt64Array / BigUint64Array.
 */
function ortTensor(ort: OrtModule, a: NDArray): OrtTensor {
  const dtype = a.dtype.toString();
  const data = a.data as ArrayLike<number>;
  if (dtype === "int64") return new ort.Tensor(dtype, BigInt64Array.from(Array.from(data, (v) => BigInt(v))), a.shape);
  if (dtype === "uint64") return new ort.Tensor(dtype, BigUint64Array.from(Array.from(data, (v) => BigInt(v))), a.shape);
  return new ort.Tensor(dtype, data, a.shape);
}

export async function benchOnnx(file: string, opts: OnnxBenchOptions, deps: { loadOrt?: () => Promise<OrtModule> } = {}): Promise<OnnxBenchResult> {
  if (opts.vs !== undefined && opts.vs !== "onnxruntime") throw new CliError(`--vs ${opts.vs}: the only peer is onnxruntime (onnxruntime-node, CPU)`);
  // Load the peer before the (possibly long) build, so a missing install fails at once.
  const ort = opts.vs ? await (deps.loadOrt ?? loadOnnxRuntime)() : undefined;
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(readFileSync(file));
  } catch (e) {
    throw new CliError(`weft bench: cannot read ${file}: ${(e as Error).message}`);
  }
  let target = await resolveTarget(opts.target);
  if (opts.threads !== undefined) target = target.with({ "num-cores": opts.threads });
  const t0 = performance.now();
  const { exec, vm } = await build(importOnnx(bytes), target);
  const compileMs = performance.now() - t0;
  const main = exec.functions.find((f) => f.name === "main" && f.kind === "vm");
  if (!main) throw new CliError(`weft bench: ${file} compiled to no main function`);
  const params = main.params ?? [];
  const args = makeInputs("main", params, main.paramInfo, opts.input ?? [], opts.seed);
  const outputs = flattenOutputs(vm.invoke("main", ...args));
  const weft = await timeCalls(() => vm.invoke("main", ...args), opts);
  const result: OnnxBenchResult = {
    file,
    target: target.toString(),
    threads: opts.threads ?? null,
    inputs: Object.fromEntries(params.map((p, i) => [p, { shape: [...args[i]!.shape], dtype: args[i]!.dtype.toString() }])),
    compile_ms: compileMs,
    weft,
  };
  if (!ort) return result;
  const s0 = performance.now();
  const session = await ort.InferenceSession.create(bytes, {
    executionProviders: ["cpu"],
    graphOptimizationLevel: "all",
    interOpNumThreads: 1,
    ...(opts.threads !== undefined ? { intraOpNumThreads: opts.threads } : {}),
  });
  const sessionMs = performance.now() - s0;
  const feeds = Object.fromEntries(params.map((p, i) => [p, ortTensor(ort, args[i]!)]));
  const ref = await session.run(feeds);
  if (session.outputNames.length !== outputs.length) throw new CliError(`weft bench: weft's main returned ${outputs.length} output(s), onnxruntime ${session.outputNames.length}`);
  const diff = Math.max(...session.outputNames.map((n, i) => maxRelDiff(outputs[i]!.data as ArrayLike<number | bigint>, ref[n]!.data)));
  const peer = await timeCalls(() => session.run(feeds), opts);
  return { ...result, onnxruntime: { ...peer, session_ms: sessionMs }, ratio: weft.median_us / peer.median_us, max_rel_diff: diff };
}

export function onnxBenchTable(r: OnnxBenchResult): string {
  const head = ["impl", "target", "threads", "median µs", "mean µs", "number×repeat"];
  const threads = r.threads === null ? "default" : String(r.threads);
  const rows = [["weft", r.target, threads, r.weft.median_us.toFixed(2), r.weft.mean_us.toFixed(2), `${r.weft.number}×${r.weft.repeat}`]];
  if (r.onnxruntime) rows.push(["onnxruntime-node", "cpu", threads, r.onnxruntime.median_us.toFixed(2), r.onnxruntime.mean_us.toFixed(2), `${r.onnxruntime.number}×${r.onnxruntime.repeat}`]);
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(w[i]!)).join("  ").trimEnd();
  const inputs = Object.entries(r.inputs).map(([n, x]) => `${n}: ${x.dtype}[${x.shape.join("x")}]`).join(", ");
  let text = `${r.file} (${inputs}); compiled in ${r.compile_ms.toFixed(0)} ms\n${line(head)}\n${rows.map(line).join("\n")}\n`;
  if (r.ratio !== undefined) text += `weft / onnxruntime: ${r.ratio.toFixed(2)}× the time; max relative difference of the outputs: ${r.max_rel_diff!.toExponential(2)}\n`;
  return text;
}
