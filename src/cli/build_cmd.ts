/**
 * `weft build FILE --target c|wasm|js [-o DIR] [--func NAME] [--default-schedule]`: lowers a
 * PrimFunc, generates code for the target and writes the artifacts (c: the .c source and a copy
 * of the .so; js: the .js source; wasm: the .wasm) plus `manifest.json`, then prints what it wrote.
 */
import { copyFileSync, mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Command } from "commander";
import type { Module } from "../runtime/module.js";
import type { PrimFunc } from "../tir/function.js";
import { loadModule, pickFunc } from "./script_cmd.js";
import { CLI_TARGETS, buildFunc, countFlops, resolveTarget } from "./targets.js";

export interface BuildArtifact {
  kind: "source" | "shared-library" | "wasm";
  file: string;
  /** Where the artifact came from (e.g. the compile cache), when it is a copy. */
  from?: string;
}

export interface BuildManifest {
  weft: string;
  source: string;
  target: string;
  scheduled: boolean;
  functions: { name: string; params: { name: string; dtype: string; shape?: string[] }[]; flops: number | null }[];
  artifacts: BuildArtifact[];
  compiler?: { path: string; version: string; flags: string[] };
}

function describeParams(func: PrimFunc): BuildManifest["functions"][number]["params"] {
  return func.params.map((p) => {
    const buf = func.bufferMap.get(p);
    return buf ? { name: buf.name, dtype: buf.dtype.toString(), shape: buf.shape.map((d) => String(d)) } : { name: p.name, dtype: p.dtype.toString() };
  });
}

/** Finds the wasm bytes of a built module, whatever the wasm target names them. */
function wasmBytes(m: Module): Uint8Array | undefined {
  const any = m as unknown as Record<string, unknown>;
  for (const key of ["artifact", "wasmBytes", "binary", "bytes", "wasm"]) {
    const v = any[key];
    if (v instanceof Uint8Array) return v;
    if (v && typeof v === "object") {
      const inner = (v as Record<string, unknown>)["bytes"] ?? (v as Record<string, unknown>)["binary"];
      if (inner instanceof Uint8Array) return inner;
    }
  }
  for (const key of ["getBinary", "getWasm", "emitBinary"]) {
    const f = any[key];
    if (typeof f === "function") {
      const v = (f as () => unknown).call(m);
      if (v instanceof Uint8Array) return v;
    }
  }
  return undefined;
}

export async function buildFile(
  file: string,
  opts: { target: string; out?: string; func?: string; defaultSchedule?: boolean },
): Promise<{ dir: string; manifest: BuildManifest; written: string[] }> {
  const target = await resolveTarget(opts.target);
  const mod = loadModule(file);
  const [name, func] = pickFunc(mod, file, opts.func);
  const { module, scheduled } = await buildFunc(name, func, target, { defaultSchedule: opts.defaultSchedule ?? false });
  const dir = resolve(opts.out ?? "build");
  mkdirSync(dir, { recursive: true });
  const artifacts: BuildArtifact[] = [];
  const manifest: BuildManifest = {
    weft: "0.1.0",
    source: resolve(file),
    target: target.toString(),
    scheduled,
    functions: [{ name, params: describeParams(func), flops: countFlops(func) }],
    artifacts,
  };
  const source = module.getSource?.(name);
  if (target.kind === "c") {
    if (source !== undefined) {
      writeFileSync(join(dir, `${name}.c`), source);
      artifacts.push({ kind: "source", file: `${name}.c` });
    }
    const c = (module as Module & { c?: { artifact: { soPath: string; compiler: { path: string; version: string }; flags: string[] } } }).c;
    if (c) {
      copyFileSync(c.artifact.soPath, join(dir, `${name}.so`));
      artifacts.push({ kind: "shared-library", file: `${name}.so`, from: c.artifact.soPath });
      manifest.compiler = { path: c.artifact.compiler.path, version: c.artifact.compiler.version, flags: c.artifact.flags };
    }
  } else if (target.kind === "js") {
    if (source !== undefined) {
      writeFileSync(join(dir, `${name}.js`), source);
      artifacts.push({ kind: "source", file: `${name}.js` });
    }
  } else if (target.kind === "wasm") {
    const bytes = wasmBytes(module);
    if (bytes) {
      writeFileSync(join(dir, `${name}.wasm`), bytes);
      artifacts.push({ kind: "wasm", file: `${name}.wasm` });
    }
    if (source !== undefined && source.trimStart().startsWith("(module")) {
      writeFileSync(join(dir, `${name}.wat`), source);
      artifacts.push({ kind: "source", file: `${name}.wat` });
    }
  }
  writeFileSync(join(dir, "manifest.json"), `${JSON.stringify(manifest, null, 2)}\n`);
  const written = [...artifacts.map((a) => join(dir, a.file)), join(dir, "manifest.json")];
  return { dir, manifest, written };
}

export function addBuildCommand(program: Command): void {
  program
    .command("build")
    .argument("<file>", "a TVMScript file (@T.prim_func or @I.ir_module)")
    .description("lower a PrimFunc, generate code for a target and write the artifacts plus manifest.json")
    .requiredOption("--target <target>", `code generator: ${CLI_TARGETS.join(", ")} (options allowed, e.g. "c -num-cores=2")`)
    .option("-o, --out <dir>", "output folder", "build")
    .option("--func <name>", "the function to build (default: the only one, or main)")
    .option("--default-schedule", "apply the default CPU schedule before lowering")
    .addHelpText("after", "\nExamples:\n  $ weft build examples/matmul.py --target c -o out/\n  $ weft build examples/softmax.py --target js")
    .action(async (file: string, opts: { target: string; out?: string; func?: string; defaultSchedule?: boolean }) => {
      const { written } = await buildFile(file, opts);
      process.stdout.write(`${written.map((w) => `wrote ${w}`).join("\n")}\n`);
    });
}
