#!/usr/bin/env node
// `npm run bench -- <suite> [--quick]`: runs a benchmark suite against the built package.
// Options: --quick (fewer, shorter rounds); for kernels and models, --only matmul,softmax or
// --only mlp,bert (workload / model id prefixes) and --weft-only (no peers).
// Suites: compiler (the compiler's own speed), kernels (weft kernels against ONNX Runtime,
// OpenBLAS and TF.js), models (whole ONNX models: MLP, ResNet-18, a BERT-base layer, a GPT-2
// block, against onnxruntime-node and -web, with a numerical check). Peers live in
// bench/package.json and are installed on first run.
import { argv, exit } from "node:process";

const suites = { compiler: () => import("./compiler.mjs"), kernels: () => import("./kernels.mjs"), models: () => import("./models.mjs") };
const [name = "compiler", ...rest] = argv.slice(2);
const load = suites[name];
if (!load) {
  console.error(`bench: unknown suite "${name}" (suites: ${Object.keys(suites).join(", ")})`);
  exit(1);
}
const mod = await load();
const valueOf = (flag) => {
  const i = rest.indexOf(flag);
  return i >= 0 ? rest[i + 1] : undefined;
};
await mod.run({ quick: rest.includes("--quick"), only: valueOf("--only"), weftOnly: rest.includes("--weft-only") });
exit(0); // peers may leave worker threads or thread pools behind
