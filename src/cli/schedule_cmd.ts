/**
 * `weft schedule FILE --trace TRACE.json`: replays a schedule trace (TVM's JSON form, as in a
 * MetaSchedule tuning record) on a TVMScript module and prints the scheduled module, or the
 * trace as the TypeScript calls that reproduce it.
 */
import { readFileSync, writeFileSync } from "node:fs";
import type { Command } from "commander";
import { PrimFunc } from "../tir/function.js";
import { printScript } from "../tir/script/index.js";
import { Instruction, Schedule, Trace } from "../schedule/index.js";
import type { IRModule } from "../ir/module.js";
import { loadModule } from "./script_cmd.js";
import { CliError } from "./errors.js";

export interface ScheduleCommandOptions {
  trace: string;
  output?: string;
  func?: string;
  printTs?: boolean;
  seed: number;
}

function readText(file: string, what: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch (e) {
    throw new CliError(`${file}: cannot read the ${what} (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
}

/** Reads the trace file; every problem with it is reported against the file's name. */
export function loadTrace(file: string): Trace {
  const text = readText(file, "trace file");
  try {
    return Trace.fromJSON(text);
  } catch (e) {
    throw new CliError(`${file}: ${(e as Error).message}`);
  }
}

function primFuncNames(mod: IRModule): string[] {
  return [...mod.entries()].filter(([, f]) => f instanceof PrimFunc).map(([g]) => g.name);
}

/**
 * The functions the trace's GetBlock instructions look in must exist. `--func NAME` points
 * them all at NAME (tuning records always say "main", a file may call its function otherwise).
 */
function retarget(trace: Trace, mod: IRModule, file: string, traceFile: string, func: string | undefined): Trace {
  const names = primFuncNames(mod);
  if (func !== undefined) {
    if (!names.includes(func)) throw new CliError(`${file}: no function "${func}" (it has: ${names.join(", ") || "none"})`);
    const t = new Trace();
    for (const inst of trace.insts) {
      const moved = inst.kind.name === "GetBlock" ? new Instruction(inst.kind, inst.inputs, [inst.attrs[0], func], inst.outputs) : inst;
      t.append(moved, trace.getDecision(inst));
    }
    return t;
  }
  for (const inst of trace.insts) {
    const fn = inst.kind.name === "GetBlock" ? inst.attrs[1] : undefined;
    if (typeof fn === "string" && !names.includes(fn)) {
      const hint = names.length === 1 ? `; pass --func ${names[0]} to apply the trace to it` : "; pick the function with --func NAME";
      throw new CliError(`${traceFile}: the trace looks up blocks in function "${fn}", but ${file} has no such function (it has: ${names.join(", ")})${hint}`);
    }
  }
  return trace;
}

/** Applies the trace; returns what the command prints (TVMScript, or TypeScript with --print-ts). */
export function runSchedule(file: string, opts: ScheduleCommandOptions): string {
  const trace = loadTrace(opts.trace);
  const source = readText(file, "file");
  const mod = loadModule(file);
  const sch = new Schedule(mod, { seed: opts.seed });
  if (opts.func !== undefined && primFuncNames(mod).includes(opts.func)) sch.workOn(opts.func);
  // ScheduleErrors propagate: main() prints their message (with the marked function), exit 1.
  retarget(trace, mod, file, opts.trace, opts.func).applyTo(sch);
  if (opts.printTs) return sch.trace.toTypeScript();
  const out = sch.mod;
  const only = out.size === 1 && out.functionList[0] instanceof PrimFunc && !/@I\.ir_module/.test(source);
  const text = only ? printScript(out.functionList[0]!, { name: out.globalVars[0]!.name }) : printScript(out);
  return text.endsWith("\n") ? text : `${text}\n`;
}

export function addScheduleCommand(program: Command): void {
  program
    .command("schedule")
    .argument("<file>", "a TVMScript file (@T.prim_func or @I.ir_module)")
    .description("apply a schedule trace (TVM's JSON form) to FILE and print the scheduled module as TVMScript")
    .requiredOption("--trace <trace.json>", "the trace: [[instructions...], [decisions...]] as TVM writes it")
    .option("-o, --output <file>", "write the result to a file instead of stdout")
    .option("--func <name>", "the function the trace schedules (its GetBlock lookups are pointed at it)")
    .option("--print-ts", "print the replayed trace as TypeScript schedule calls instead of the module")
    .option("--seed <n>", "random seed for sampling instructions that have no recorded decision", (v) => {
      const n = Number.parseInt(v, 10);
      if (!Number.isInteger(n) || String(n) !== v.trim()) throw new CliError(`--seed ${v}: expected an integer`);
      return n;
    }, 42)
    .addHelpText(
      "after",
      "\nExamples:\n  $ weft schedule examples/matmul.py --trace examples/matmul_schedule.json\n" +
        "  $ weft schedule examples/matmul.py --trace examples/matmul_schedule.json --print-ts",
    )
    .action((file: string, opts: ScheduleCommandOptions) => {
      const text = runSchedule(file, opts);
      if (opts.output !== undefined) {
        try {
          writeFileSync(opts.output, text);
        } catch (e) {
          throw new CliError(`${opts.output}: cannot write the result (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
        }
      } else {
        process.stdout.write(text);
      }
    });
}
