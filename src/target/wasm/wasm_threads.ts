/**
 * The worker threads that run the chunks of parallel loops (wasm_parallel.ts). Each worker
 * instantiates the module's compiled WebAssembly.Module over the same shared memory, then waits
 * on the generation word of the control block; a kernel publishes a job by bumping it, and the
 * worker runs its chunk (`__weft_worker(t)`) and counts itself done. The kernel path uses only
 * Atomics and WebAssembly: workers are browser Workers where `Worker` is global, Node's
 * worker_threads otherwise (unref'd, so an idle pool never keeps a process alive).
 */
import { CTL, WORKER_ENTRY } from "./wasm_parallel.js";

/** Source of a worker (a classic script; CommonJS under Node's `eval: true`). */
const WORKER_SOURCE = `
"use strict";
const C = ${JSON.stringify(CTL)};
const onStart = async ({ module, memory, ctl, id, spin }, post) => {
  const w = new Int32Array(memory.buffer, ctl, 16);
  const weft = {};
  for (const imp of WebAssembly.Module.imports(module)) {
    if (imp.module !== "weft") continue;
    weft[imp.name] = imp.name === "assert_fail"
      ? (i) => { Atomics.compareExchange(w, C.ERR, 0, i + 1); throw new Error("assert"); }
      : () => { throw new Error("weft: " + imp.name + " cannot be called on a worker thread"); };
  }
  const instance = await WebAssembly.instantiate(module, { env: { memory }, weft });
  const run = instance.exports.${WORKER_ENTRY};
  let gen = Atomics.load(w, C.GEN);
  post("ready");
  for (;;) {
    for (let k = 0; k < spin && Atomics.load(w, C.GEN) === gen; k++);
    Atomics.wait(w, C.GEN, gen);
    const g = Atomics.load(w, C.GEN);
    if (g === gen) continue;
    gen = g;
    if (Atomics.load(w, C.EXIT)) return;
    if (id < Atomics.load(w, C.N)) {
      try { run(id); } catch (e) { Atomics.compareExchange(w, C.ERR, 0, -1); }
      Atomics.add(w, C.DONE, 1);
    }
  }
};
if (typeof require === "function") {
  const { parentPort } = require("node:worker_threads");
  parentPort.once("message", (m) => onStart(m, (x) => parentPort.postMessage(x)));
} else {
  self.onmessage = (e) => onStart(e.data, (x) => self.postMessage(x));
}
`;

interface AnyWorker {
  postMessage(m: unknown): void;
  terminate(): unknown;
  /** Node: lets the process exit while the worker lives (after it started). */
  unref?(): void;
}

/** Spins a worker makes before it sleeps (back-to-back kernels then skip the wake-up latency). */
const SPIN = 20000;

async function spawn(onMessage: (m: unknown) => void, onError: (e: unknown) => void): Promise<AnyWorker> {
  const g = globalThis as { Worker?: new (url: string) => AnyWorker & { onmessage: unknown; onerror: unknown }; Blob?: typeof Blob; URL?: typeof URL; process?: { versions?: { node?: string } } };
  if (!g.process?.versions?.node && g.Worker && g.Blob && g.URL) {
    const url = g.URL.createObjectURL(new g.Blob([WORKER_SOURCE], { type: "text/javascript" }));
    const w = new g.Worker(url);
    w.onmessage = (e: { data: unknown }) => onMessage(e.data);
    w.onerror = onError;
    return w;
  }
  const { Worker } = await import("node:worker_threads");
  const w = new Worker(WORKER_SOURCE, { eval: true });
  w.on("message", onMessage);
  w.on("error", onError);
  return w;
}

/** The workers of one module (threads - 1 of them: the calling thread runs chunk 0). */
export class WasmThreadPool {
  private readonly ctl: Int32Array;

  private constructor(private readonly workers: AnyWorker[], memory: WebAssembly.Memory, ctlAddr: number, readonly threads: number) {
    this.ctl = new Int32Array(memory.buffer, ctlAddr, 16);
    this.setThreads(threads);
  }

  static async start(module: WebAssembly.Module, memory: WebAssembly.Memory, ctlAddr: number, threads: number): Promise<WasmThreadPool> {
    const workers: AnyWorker[] = [];
    const ready: Promise<void>[] = [];
    for (let id = 1; id < threads; id++) {
      let ok!: () => void, fail!: (e: unknown) => void;
      ready.push(new Promise<void>((res, rej) => ((ok = res), (fail = rej))));
      const w = await spawn((m) => m === "ready" && ok(), (e) => fail(e));
      w.postMessage({ module, memory, ctl: ctlAddr, id, spin: SPIN });
      workers.push(w);
    }
    try {
      await Promise.all(ready);
    } catch (e) {
      for (const w of workers) w.terminate();
      throw new Error(`wasm module: a worker thread for parallel loops failed to start (${(e as Error)?.message ?? e}); build with -num-cores=1 to run parallel loops serially`);
    }
    for (const w of workers) w.unref?.();
    return new WasmThreadPool(workers, memory, ctlAddr, threads);
  }

  /** Threads that share a parallel loop from now on (1..threads). */
  setThreads(n: number): void {
    Atomics.store(this.ctl, CTL.POOL, Math.max(1, Math.min(this.threads, Math.floor(n))));
  }

  /** After a kernel threw on the calling thread: waits until the workers finished their chunks. */
  quiesce(): void {
    const n = Atomics.load(this.ctl, CTL.N);
    while (n > 1 && Atomics.load(this.ctl, CTL.DONE) < n - 1) { /* the workers finish their chunks */ }
  }

  terminate(): void {
    Atomics.store(this.ctl, CTL.EXIT, 1);
    Atomics.add(this.ctl, CTL.GEN, 1);
    Atomics.notify(this.ctl, CTL.GEN);
    for (const w of this.workers) w.terminate();
    this.workers.length = 0;
  }
}
