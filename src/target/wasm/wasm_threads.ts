/**
 * The worker threads that run the chunks of parallel loops (wasm_parallel.ts). Each worker
 * instantiates the module's compiled WebAssembly.Module over the same shared memory, then waits
 * on the generation word of the control block; a kernel publishes a job by bumping it (a
 * seqlock: odd while the job changes), and the worker announces itself in ACTIVE and takes
 * chunks (`__weft_worker(t)`) until none are left. The kernel path uses only
 * Atomics and WebAssembly: workers are browser Workers where `Worker` is global, Node's
 * worker_threads otherwise (unref'd, so an idle pool never keeps a process alive).
 */
import { CTL, WORKER_ENTRY } from "./wasm_repr.js";

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
  let seen = Atomics.load(w, C.GEN);
  post("ready");
  for (;;) {
    for (let k = 0; k < spin && Atomics.load(w, C.GEN) === seen; k++);
    Atomics.wait(w, C.GEN, seen);
    const g = Atomics.load(w, C.GEN);
    if (g === seen || (g & 1)) continue; // nothing new, or a job being published
    if (Atomics.load(w, C.EXIT)) return;
    // Announce, then make sure the job did not change meanwhile (the publisher waits for
    // ACTIVE == 0 before it rewrites the job's fields).
    Atomics.add(w, C.ACTIVE, 1);
    if (Atomics.load(w, C.GEN) === g) {
      seen = g;
      if (id < Atomics.load(w, C.N)) {
        try { run(id); } catch (e) { Atomics.compareExchange(w, C.ERR, 0, -1); }
      }
    }
    Atomics.sub(w, C.ACTIVE, 1);
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

  /** After a kernel threw on the calling thread: no chunk is handed out any more, and the workers finish theirs. */
  quiesce(): void {
    Atomics.store(this.ctl, CTL.NEXT, 0x3fffffff);
    while (Atomics.load(this.ctl, CTL.ACTIVE) !== 0) { /* the workers finish their chunks */ }
  }

  terminate(): void {
    Atomics.store(this.ctl, CTL.EXIT, 1);
    Atomics.add(this.ctl, CTL.GEN, 2);
    Atomics.notify(this.ctl, CTL.GEN);
    for (const w of this.workers) w.terminate();
    this.workers.length = 0;
  }
}
