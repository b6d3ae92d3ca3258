/**
 * The `weft` command line. Each command lives in its own file; this one wires them up.
 */
import { Command, CommanderError } from "commander";
import { addScriptCommands } from "./script_cmd.js";
import { addScheduleCommand } from "./schedule_cmd.js";
import { addBuildCommand } from "./build_cmd.js";
import { addBenchCommand } from "./bench_cmd.js";
import { addModelCommands } from "./model_cmd.js";

export async function main(argv: readonly string[]): Promise<number> {
  const program = new Command();
  program
    .name("weft")
    .description("weft: a tensor-program compiler (TensorIR, MetaSchedule, Relax, Korch) in TypeScript")
    .version("0.1.0")
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) })
    .addHelpText(
      "after",
      `
Examples:
  $ weft script check examples/matmul.py      parse and print canonical TVMScript
  $ weft script run examples/softmax.py       run a PrimFunc on random inputs in the interpreter
  $ weft build examples/matmul.py --target c -o out/  write the C source, the .so and a manifest
  $ weft bench examples/matmul.py --target c          median time and GFLOP/s on random inputs
  $ weft compile examples/mlp.onnx --target wasm      import, compile, write mlp.weft
  $ weft run mlp.weft --input x=random:4x8            run it; JSON summary of every output`,
    );
  addScriptCommands(program);
  addScheduleCommand(program);
  addBuildCommand(program);
  addBenchCommand(program);
  addModelCommands(program);
  try {
    await program.parseAsync([...argv]);
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode;
    if (e instanceof Error) {
      process.stderr.write(`${e.message.replace(/\n?$/, "\n")}`);
      if (process.env["WEFT_DEBUG"]) process.stderr.write(`${e.stack}\n`);
      return 1;
    }
    throw e;
  }
}
