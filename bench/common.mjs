// What the benchmark suites share: installing and loading the peers (onnxruntime-node,
// onnxruntime-web in a worker thread), timing one round, medians, machine facts and writing
// bench/results/<suite>.json + .md.
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { createRequire } from "node:module";
import { cpus, totalmem } from "node:os";
import { performance } from "node:perf_hooks";
import { fileURLToPath, pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";

export const benchDir = fileURLToPath(new URL(".", import.meta.url));
export const requireBench = createRequire(new URL("./package.json", import.meta.url));

/** A suite's list of notes (they end up under the table) that also echoes each note to stderr. */
export function makeNotes(suite) {
  const notes = [];
  const note = (s) => {
    notes.push(s);
    console.error(`${suite}: ${s}`);
  };
  return { notes, note };
}

/** Installs bench/package.json's peers on first run; ORT's CUDA download is skipped (CPU only). */
export function ensurePeers(note) {
  const have = (name) => existsSync(`${benchDir}node_modules/${name}/package.json`);
  if (have("onnxruntime-node") && have("onnxruntime-web")) return;
  console.error("bench: installing benchmark peers in bench/ (ONNXRUNTIME_NODE_INSTALL=skip npm install) ...");
  const r = spawnSync("npm", ["install", "--no-audit", "--no-fund", "--loglevel=error"], {
    cwd: benchDir,
    env: { ...process.env, ONNXRUNTIME_NODE_INSTALL: "skip" },
    stdio: ["ignore", "inherit", "inherit"],
  });
  if (r.status !== 0) note(`npm install in bench/ failed (exit ${r.status ?? r.error?.message}); peers that are missing are skipped`);
}

/** Imports a peer from bench/node_modules (not from the package's own dependencies). */
export async function importPeer(name) {
  return import(pathToFileURL(requireBench.resolve(name)).href);
}

/** µs per call of one round: calls repeated until `minMs` has passed, at least one. */
export function timeSync(fn, minMs) {
  let calls = 0;
  const t0 = performance.now();
  let t = t0;
  do {
    fn();
    calls++;
    t = performance.now();
  } while (t - t0 < minMs);
  return ((t - t0) * 1000) / calls;
}

export async function timeAsync(fn, minMs) {
  let calls = 0;
  const t0 = performance.now();
  let t = t0;
  do {
    await fn();
    calls++;
    t = performance.now();
  } while (t - t0 < minMs);
  return ((t - t0) * 1000) / calls;
}

export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

export function fmt(x, d = 1) {
  if (x === null || x === undefined) return "–";
  return x >= 100 ? x.toFixed(0) : x.toFixed(d);
}

/** The Markdown lines of a results file's notes (none when there are no notes). */
export function notesSection(notes) {
  return notes.length ? ["", "Notes:", ...notes.map((n) => `- ${n}`)] : [];
}

export function machineInfo() {
  return {
    cpus: cpus().length,
    model: cpus()[0]?.model ?? "unknown",
    memory_gib: Number((totalmem() / 2 ** 30).toFixed(1)),
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
  };
}

/**
 * onnxruntime-web with `threads` wasm threads, in its own worker (its thread count is fixed when
 * the runtime first initializes). `setup(key, model, inputs)` creates a session whose feeds are
 * either [[name, shape]] (filled in the worker) or [{ name, shape, data }] (float32 values);
 * `time(key, minMs)` times one round in µs per call. Rejects if the worker cannot load ORT.
 */
export async function startOrtWeb(threads) {
  const worker = new Worker(new URL("./ortweb_worker.mjs", import.meta.url), { workerData: { numThreads: threads } });
  const pending = new Map();
  let nextId = 0;
  const ready = new Promise((res, rej) => {
    worker.once("error", rej);
    worker.on("message", (m) => {
      if (m.ready) return res();
      const p = pending.get(m.id);
      pending.delete(m.id);
      if (m.error) p?.rej(new Error(m.error));
      else p?.res(m);
    });
  });
  const call = (msg) =>
    new Promise((res, rej) => {
      const id = nextId++;
      pending.set(id, { res, rej });
      worker.postMessage({ ...msg, id });
    });
  const close = () => worker.terminate();
  try {
    await ready;
  } catch (e) {
    await close();
    throw e;
  }
  return {
    setup: (key, model, inputs) => call({ type: "setup", key, model, inputs }),
    time: async (key, minMs) => (await call({ type: "time", key, minMs })).us,
    close,
  };
}

/** Writes bench/results/<suite>.json and .md. */
export function writeResults(suite, json, md) {
  mkdirSync(new URL("./results/", import.meta.url), { recursive: true });
  writeFileSync(new URL(`./results/${suite}.json`, import.meta.url), `${JSON.stringify(json, null, 2)}\n`);
  writeFileSync(new URL(`./results/${suite}.md`, import.meta.url), md);
}
