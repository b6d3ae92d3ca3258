/**
 * `weft compile MODEL.onnx --target T [-o OUT.weft] [--dump-ir DIR]`: imports an ONNX model,
 * builds it with relax.build (graph passes, fusion, default schedules, VM codegen) and writes the
 * executable to one file.
 * `weft run FILE.weft --input name=random:1x3x224x224 | name=file.npy ... [--save-outputs DIR]`:
 * loads an executable, makes the inputs, runs `main` on the VM and prints the same JSON summary
 * per output as `weft script run` (and writes `.npy` files with --save-outputs).
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import type { Command } from "commander";
import { importOnnx } from "../frontend/index.js";
import { build, loadExecutable } from "../relax/pipeline.js";
import { NDArray, isNDArray } from "../runtime/ndarray.js";
import { fromNpy, toNpy } from "../runtime/npy.js";
import type { VMParamInfo } from "../runtime/vm/bytecode.js";
import type { ProfileEntry } from "../runtime/vm/vm.js";
import { Rng } from "../tir/interp/index.js";
import { CliError } from "./errors.js";
import { summarize, type ArraySummary } from "./summary.js";
import { resolveTarget } from "./targets.js";

export interface CompileOptions {
  target: string;
  output?: string;
  dumpIr?: string;
  defaultSchedule?: boolean;
}

/** Imports and builds `file`; writes the executable; returns what it wrote. */
export async function compileModel(file: string, opts: CompileOptions): Promise<{ output: string; bytes: number; params: string[]; kernels: number }> {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(readFileSync(file));
  } catch (e) {
    throw new CliError(`weft compile: cannot read ${file}: ${(e as Error).message}`);
  }
  const mod = importOnnx(bytes);
  const target = await resolveTarget(opts.target);
  const built = await build(mod, target, { ...(opts.dumpIr ? { dumpDir: opts.dumpIr } : {}), defaultSchedule: opts.defaultSchedule ?? true });
  const output = opts.output ?? `${basename(file).replace(/\.onnx$/i, "")}.weft`;
  const data = built.exec.serialize();
  writeFileSync(output, data);
  const main = built.exec.functions.find((f) => f.name === "main");
  const params = (main?.params ?? []).map((p, i) => `${p}: ${main?.paramInfo?.[i]?.text ?? "?"}`);
  const kernels = built.exec.kernels.reduce((n, k) => n + k.functions.length, 0);
  return { output, bytes: data.byteLength, params, kernels };
}

/** One `--input name=spec`: `random[:AxBxC][:HI]` or a path to a `.npy` file. */
function makeInput(name: string, spec: string, info: VMParamInfo | undefined, rng: Rng): NDArray {
  if (!spec.startsWith("random")) {
    let bytes: Uint8Array;
    try {
      bytes = new Uint8Array(readFileSync(spec));
    } catch (e) {
      throw new CliError(`--input ${name}: cannot read ${spec}: ${(e as Error).message} (use name=file.npy or name=random:2x8)`);
    }
    return fromNpy(bytes, spec);
  }
  if (!info || info.kind !== "tensor") throw new CliError(`--input ${name}: the parameter is ${info?.text ?? "unknown"}, not a tensor; random inputs are tensors`);
  const [, shapeText, hiText] = spec.split(":");
  let shape: number[];
  if (shapeText) {
    shape = shapeText.split("x").map((d) => Number(d));
    if (shape.some((d) => !Number.isInteger(d) || d < 0)) throw new CliError(`--input ${name}: bad shape "${shapeText}" (write e.g. random:1x3x224x224)`);
    if (shape.length !== info.ndim) throw new CliError(`--input ${name}: the parameter is ${info.text}, a shape of ${shape.length} dims was given`);
  } else {
    if (!info.dims || info.dims.some((d) => typeof d !== "number")) throw new CliError(`--input ${name}: the parameter is ${info.text}; give its shape, e.g. ${name}=random:${(info.dims ?? []).map((d) => (typeof d === "number" ? d : 4)).join("x") || "2x8"}`);
    shape = info.dims as number[];
  }
  const a = NDArray.empty(shape, info.dtype);
  const e = a.dtype.element();
  const n = a.data.length;
  const values = new Array<number>(n);
  if (e.isFloat()) for (let i = 0; i < n; i++) values[i] = rng.uniform(-1, 1);
  else {
    // Integer inputs are often indices (token ids): non-negative, below HI (default 8).
    const hi = hiText ? Number(hiText) : e.isBool() ? 2 : 8;
    if (!Number.isInteger(hi) || hi < 1) throw new CliError(`--input ${name}: bad upper bound "${hiText}" for random integers`);
    for (let i = 0; i < n; i++) values[i] = rng.int(0, hi);
  }
  return NDArray.fromArray(values, shape, info.dtype);
}

/**
 * The arguments of a VM function from `--input name=spec` items (`weft run`, `weft bench
 * MODEL.onnx`): parameters without an item get seeded random values of their static shape.
 */
export function makeInputs(fname: string, params: readonly string[], info: readonly (VMParamInfo | undefined)[] | undefined, items: readonly string[], seed: number): NDArray[] {
  const given = new Map<string, string>();
  for (const item of items) {
    const eq = item.indexOf("=");
    if (eq <= 0) throw new CliError(`--input "${item}": write name=random:2x8 or name=file.npy`);
    given.set(item.slice(0, eq), item.slice(eq + 1));
  }
  for (const name of given.keys()) {
    if (!params.includes(name)) throw new CliError(`--input ${name}: ${fname} has no parameter ${name} (parameters: ${params.join(", ")})`);
  }
  const rng = new Rng(seed);
  return params.map((p, i) => makeInput(p, given.get(p) ?? "random", info?.[i], rng));
}

export interface RunOptions {
  input?: string[];
  seed?: number;
  saveOutputs?: string;
  func?: string;
  /** Time every kernel and builtin over 5 runs after a warm-up (mean per run); the table goes to `onProfile`. */
  onProfile?: (table: string) => void;
}

/** Loads an executable, runs a function on the given inputs; the summary of every output. */
export async function runModel(file: string, opts: RunOptions): Promise<Record<string, ArraySummary>> {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(readFileSync(file));
  } catch (e) {
    throw new CliError(`weft run: cannot read ${file}: ${(e as Error).message}`);
  }
  const { exec, vm } = await loadExecutable(bytes);
  const fname = opts.func ?? "main";
  const f = exec.functions.find((x) => x.name === fname && x.kind === "vm");
  if (!f) throw new CliError(`weft run: ${file} has no function "${fname}" (functions: ${vm.functionNames().join(", ")})`);
  const args = makeInputs(fname, f.params ?? [], f.paramInfo, opts.input ?? [], opts.seed ?? 0);
  let result = vm.invoke(fname, ...args);
  if (opts.onProfile) {
    const runs = 5;
    vm.setProfiling(true);
    for (let r = 0; r < runs; r++) result = vm.invoke(fname, ...args);
    opts.onProfile(profileTable(vm.profile().map((e) => ({ ...e, calls: e.calls / runs, totalMs: e.totalMs / runs }))));
    vm.setProfiling(false);
  }
  const outputs: [string, NDArray][] = [];
  const collect = (v: unknown, name: string): void => {
    if (isNDArray(v)) outputs.push([name, v]);
    else if (Array.isArray(v)) v.forEach((x, i) => collect(x, `${name}${i}`));
  };
  collect(result, "output");
  if (opts.saveOutputs) {
    mkdirSync(opts.saveOutputs, { recursive: true });
    for (const [name, a] of outputs) writeFileSync(join(opts.saveOutputs, `${name}.npy`), toNpy(a));
  }
  return Object.fromEntries(outputs.map(([n, a]) => [n, summarize(a)]));
}

/** The profile as a Markdown table: kernels and builtins by time, VM functions (inclusive) last. */
export function profileTable(entries: readonly ProfileEntry[]): string {
  const own = entries.filter((e) => e.kind !== "vm");
  const total = own.reduce((a, e) => a + e.totalMs, 0);
  const rows = [...own, ...entries.filter((e) => e.kind === "vm")].map((e) => {
    const share = e.kind === "vm" ? "(incl.)" : `${((100 * e.totalMs) / (total || 1)).toFixed(1)}%`;
    return `| ${e.name} | ${e.kind} | ${e.calls} | ${e.totalMs.toFixed(3)} | ${share} |`;
  });
  return ["| function | kind | calls | ms | share |", "|---|---|---:|---:|---:|", ...rows].join("\n") + "\n";
}

export function addModelCommands(program: Command): void {
  program
    .command("compile")
    .description("import an ONNX model, compile it (graph passes, fusion, default schedules) and write one executable file")
    .argument("<model>", "an ONNX model (.onnx)")
    .requiredOption("--target <target>", 'code generator: c, wasm, js (options allowed, e.g. "c -num-cores=2")')
    .option("-o, --output <file>", "the executable to write (default: MODEL.weft in the current folder)")
    .option("--dump-ir <dir>", "write the module after every pass (TVMScript) and the bytecode into DIR")
    .option("--no-default-schedule", "build the kernels unscheduled")
    .addHelpText("after", "\nExamples:\n  $ weft compile examples/mlp.onnx --target wasm -o mlp.weft\n  $ weft compile model.onnx --target c --dump-ir ir/")
    .action(async (model: string, o: { target: string; output?: string; dumpIr?: string; defaultSchedule: boolean }) => {
      const r = await compileModel(model, { target: o.target, defaultSchedule: o.defaultSchedule, ...(o.output ? { output: o.output } : {}), ...(o.dumpIr ? { dumpIr: o.dumpIr } : {}) });
      process.stdout.write(`wrote ${r.output} (${r.bytes} bytes, ${r.kernels} kernels)\nmain(${r.params.join(", ")})\n`);
    });
  program
    .command("run")
    .description("run a compiled model's main function on given or seeded random inputs; print a JSON summary of every output")
    .argument("<file>", "an executable written by weft compile")
    .option("--input <spec...>", "name=random[:AxB[:HI]] (random values; integers in [0, HI), default 8) or name=file.npy", [])
    .option("--seed <n>", "random seed", (v) => Number.parseInt(v, 10), 0)
    .option("--func <name>", "the function to run", "main")
    .option("--save-outputs <dir>", "write every output as DIR/<name>.npy")
    .option("--profile", "after a warm-up run, time every kernel and builtin over 5 runs; print the mean per run (to stderr)")
    .addHelpText("after", "\nExamples:\n  $ weft run mlp.weft --input x=random:4x8\n  $ weft run bert.weft --input input_ids=random:1x128:30522 --save-outputs out/\n  $ weft run mlp.weft --input x=random:64x64 --profile")
    .action(async (file: string, o: { input: string[]; seed: number; func: string; saveOutputs?: string; profile?: boolean }) => {
      const res = await runModel(file, {
        input: o.input, seed: o.seed, func: o.func, ...(o.saveOutputs ? { saveOutputs: o.saveOutputs } : {}),
        ...(o.profile ? { onProfile: (t: string) => process.stderr.write(t) } : {}),
      });
      process.stdout.write(`${JSON.stringify(res, null, 2)}\n`);
    });
}
