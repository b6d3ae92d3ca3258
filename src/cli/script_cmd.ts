/**
 * `weft script check` and `weft script run`: TVMScript in, canonical TVMScript or an
 * interpreter run out.
 */
import { readFileSync } from "node:fs";
import type { Command } from "commander";
import { IRModule } from "../ir/module.js";
import { PrimFunc } from "../tir/function.js";
import { parseScript, printScript } from "../tir/script/index.js";
import { Rng, randomArray, runPrimFunc, type HostArray } from "../tir/interp/index.js";
import { summarize, type ArraySummary } from "./summary.js";
import { CliError } from "./errors.js";
import { CLI_TARGETS, buildFunc, resolveTarget } from "./targets.js";
import type { ArgValue } from "../runtime/module.js";

function readSource(file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch (e) {
    throw new CliError(`${file}: cannot read the file (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
}

export function loadModule(file: string): IRModule {
  return parseScript(readSource(file), file);
}

function pickFunc(mod: IRModule, file: string, name?: string): [string, PrimFunc] {
  const prims: [{ name: string }, PrimFunc][] = [];
  for (const [g, f] of mod.entries()) if (f instanceof PrimFunc) prims.push([g, f]);
  if (prims.length === 0) throw new CliError(`${file}: no @T.prim_func in the file`);
  if (name !== undefined) {
    const hit = prims.find(([g]) => g.name === name);
    if (!hit) throw new CliError(`${file}: no function "${name}" (it has: ${prims.map(([g]) => g.name).join(", ")}); pick one with --func`);
    return [hit[0].name, hit[1]];
  }
  if (prims.length === 1) return [prims[0]![0].name, prims[0]![1]];
  const main = prims.find(([g]) => g.name === "main");
  if (main) return ["main", main[1]];
  throw new CliError(`${file}: several functions (${prims.map(([g]) => g.name).join(", ")}); pick one with --func NAME`);
}

/** Parses `n=16,m=8` style bindings of symbolic dimensions and scalar parameters. */
function parseBindings(items: readonly string[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const item of items.flatMap((s) => s.split(","))) {
    if (!item) continue;
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=(-?\d+(?:\.\d+)?)$/.exec(item.trim());
    if (!m) throw new CliError(`--bind ${item}: expected NAME=NUMBER, e.g. --bind n=16`);
    out.set(m[1]!, Number(m[2]));
  }
  return out;
}

/** Concrete value of a shape expression, with the user's bindings for symbolic dims. */
function dimValue(dim: unknown, binds: Map<string, number>, what: string): number {
  const d = dim as { kind: string; value?: number; name?: string };
  if (d.kind === "IntImm") return d.value!;
  if ((d.kind === "Var" || d.kind === "SizeVar") && binds.has(d.name!)) return binds.get(d.name!)!;
  throw new CliError(`${what} has the symbolic dimension ${String(dim)}: give its value with --bind ${d.name ?? "n"}=<int>`);
}

/** Seeded random arguments for every parameter of `func` (buffers) plus the bound scalars. */
export function prepareArgs(func: PrimFunc, opts: { seed: number; bind: string[] }): { args: (HostArray | number)[]; named: [string, HostArray | number][] } {
  const binds = parseBindings(opts.bind);
  const rng = new Rng(opts.seed);
  const args: (HostArray | number)[] = [];
  const named: [string, HostArray | number][] = [];
  for (const p of func.params) {
    const buf = func.bufferMap.get(p);
    if (buf) {
      const shape = buf.shape.map((s, i) => dimValue(s, binds, `buffer ${buf.name} (dimension ${i})`));
      const arr = randomArray(shape, buf.dtype, rng);
      args.push(arr);
      named.push([buf.name, arr]);
    } else {
      const v = binds.get(p.name);
      if (v === undefined) throw new CliError(`scalar parameter ${p.name}: give its value with --bind ${p.name}=<number>`);
      args.push(v);
      named.push([p.name, v]);
    }
  }
  return { args, named };
}

function summarizeAll(named: [string, HostArray | number][]): Record<string, ArraySummary | number> {
  const out: Record<string, ArraySummary | number> = {};
  for (const [name, a] of named) out[name] = typeof a === "number" ? a : summarize(a);
  return out;
}

export { pickFunc };

/** Runs the picked function in the interpreter on seeded random inputs; summarizes every argument. */
export function runScript(mod: IRModule, file: string, opts: { func?: string; seed: number; bind: string[] }): Record<string, ArraySummary | number> {
  const [, func] = pickFunc(mod, file, opts.func);
  const { args, named } = prepareArgs(func, opts);
  runPrimFunc(func, args);
  return summarizeAll(named);
}

/**
 * Like runScript, but compiles the function for `target` (c, wasm, js) and runs the compiled
 * kernel on the same seeded inputs; without a target, runs the interpreter.
 */
export async function runScriptOn(
  mod: IRModule,
  file: string,
  opts: { func?: string; seed: number; bind: string[]; target?: string; defaultSchedule?: boolean },
): Promise<Record<string, ArraySummary | number>> {
  if (opts.target === undefined || opts.target === "interp") return runScript(mod, file, opts);
  const target = await resolveTarget(opts.target);
  const [name, func] = pickFunc(mod, file, opts.func);
  const { args, named } = prepareArgs(func, opts);
  const { module } = await buildFunc(name, func, target, { defaultSchedule: opts.defaultSchedule ?? false });
  module.get(name)(...(args as ArgValue[]));
  return summarizeAll(named);
}

export function addScriptCommands(program: Command): void {
  const script = program.command("script").description("work with TVMScript files (the T dialect)");
  script
    .command("check")
    .argument("<file>", "a TVMScript file (@T.prim_func or @I.ir_module)")
    .description("parse FILE and print it back as canonical TVMScript")
    .addHelpText("after", "\nExample:\n  $ weft script check examples/matmul.py")
    .action((file: string) => {
      const mod = loadModule(file);
      const only = mod.size === 1 && mod.functionList[0] instanceof PrimFunc && !/@I\.ir_module/.test(readSource(file));
      const text = only ? printScript(mod.functionList[0]!, { name: mod.globalVars[0]!.name }) : printScript(mod);
      process.stdout.write(text.endsWith("\n") ? text : `${text}\n`);
    });
  script
    .command("run")
    .argument("<file>", "a TVMScript file")
    .description("fill every buffer parameter with seeded random values, run the function in the interpreter, print a JSON summary of every buffer")
    .option("--func <name>", "the function to run (default: the only one, or main)")
    .option("--seed <n>", "random seed", (v) => Number.parseInt(v, 10), 0)
    .option("--bind <name=value...>", "values for symbolic dimensions and scalar parameters, e.g. --bind n=16", [])
    .option("--target <target>", `compile for this target (${CLI_TARGETS.join(", ")}) and run the compiled kernel instead of the interpreter`)
    .option("--default-schedule", "with --target: apply the default CPU schedule before building")
    .addHelpText(
      "after",
      "\nExamples:\n  $ weft script run examples/softmax.py\n  $ weft script run examples/dynamic.py --bind n=16 --seed 3\n  $ weft script run examples/matmul.py --target c     (same JSON as the interpreter run)",
    )
    .action(async (file: string, opts: { func?: string; seed: number; bind: string[]; target?: string; defaultSchedule?: boolean }) => {
      const res = await runScriptOn(loadModule(file), file, opts);
      process.stdout.write(`${JSON.stringify(res, null, 2)}\n`);
    });
}

