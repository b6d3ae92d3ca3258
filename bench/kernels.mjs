// Kernel benchmarks: weft's `c` and `wasm` targets against onnxruntime-node (CPU EP),
// onnxruntime-web (wasm), OpenBLAS cblas_sgemm (through koffi) and tfjs-backend-wasm, on
// matmul 1024³, FFN 128×768 @ 768×3072, conv2d 1×64×56×56 (64 3×3 filters, pad 1),
// softmax 12×128×128 (last axis) and layer_norm 128×768, at 1 and 2 threads.
//
// All implementations run in this one invocation, interleaved: every round times every
// implementation once (calls repeated until `minMs` has passed, at least one call), and the
// reported figure is the median over rounds. Peers are benchmark-only dependencies kept in
// bench/package.json; they are installed there on first run (ONNXRUNTIME_NODE_INSTALL=skip npm
// install) and a peer that cannot be installed or loaded is skipped with a note.
//
// Writes bench/results/kernels.json ({ machine, rows: [{ workload, impl, threads, median_us,
// gflops }] }) and bench/results/kernels.md (the table, with weft/peer time ratios).
import { performance } from "node:perf_hooks";
import { ensurePeers as installPeers, fmt, importPeer, machineInfo, makeNotes, notesSection, median, requireBench, startOrtWeb, timeAsync, timeSync, writeResults } from "./common.mjs";
import { singleOpModel } from "./onnx_model.mjs";

const { notes, note } = makeNotes("kernels");
const ensurePeers = () => installPeers(note);

// ---------------------------------------------------------------------------------------------
// Workloads

let WORKLOADS = [
  {
    id: "matmul_1024",
    flops: 2 * 1024 ** 3,
    inputs: [["A", [1024, 1024]], ["B", [1024, 1024]]],
    output: ["C", [1024, 1024]],
    onnx: { op: "MatMul" },
    gemm: { M: 1024, N: 1024, K: 1024 },
    weft: (te) => {
      const A = te.placeholder([1024, 1024], "float32", "A");
      const B = te.placeholder([1024, 1024], "float32", "B");
      return [A, B, te.topi.matmul(A, B)];
    },
    tf: (tf, [A, B]) => tf.matMul(A, B),
  },
  {
    id: "ffn_128x768x3072",
    flops: 2 * 128 * 768 * 3072,
    inputs: [["X", [128, 768]], ["W", [768, 3072]]],
    output: ["Y", [128, 3072]],
    onnx: { op: "MatMul" },
    gemm: { M: 128, N: 3072, K: 768 },
    weft: (te) => {
      const X = te.placeholder([128, 768], "float32", "X");
      const W = te.placeholder([768, 3072], "float32", "W");
      return [X, W, te.topi.matmul(X, W)];
    },
    tf: (tf, [X, W]) => tf.matMul(X, W),
  },
  {
    id: "conv3x3_64x56x56",
    flops: 2 * 64 * 56 * 56 * 64 * 9,
    inputs: [["X", [1, 64, 56, 56]], ["W", [64, 64, 3, 3]]],
    output: ["Y", [1, 64, 56, 56]],
    onnx: { op: "Conv", attrs: { kernel_shape: [3, 3], pads: [1, 1, 1, 1], strides: [1, 1] } },
    weft: (te) => {
      const X = te.placeholder([1, 64, 56, 56], "float32", "X");
      const W = te.placeholder([64, 64, 3, 3], "float32", "W");
      return [X, W, te.topi.conv2d(X, W, { padding: 1 })];
    },
    // tfjs-wasm convolves NHWC / HWIO only: same work, its native layout.
    tfInputs: [[1, 56, 56, 64], [3, 3, 64, 64]],
    tf: (tf, [X, W]) => tf.conv2d(X, W, 1, "same"),
  },
  {
    id: "softmax_12x128x128",
    flops: null,
    inputs: [["X", [12, 128, 128]]],
    output: ["Y", [12, 128, 128]],
    onnx: { op: "Softmax", attrs: { axis: -1 } },
    weft: (te) => {
      const X = te.placeholder([12, 128, 128], "float32", "X");
      return [X, te.topi.softmax(X, -1)];
    },
    tf: (tf, [X]) => tf.softmax(X, -1),
  },
  {
    id: "layernorm_128x768",
    flops: null,
    inputs: [["X", [128, 768]], ["gamma", [768]], ["beta", [768]]],
    output: ["Y", [128, 768]],
    onnx: { op: "LayerNormalization", attrs: { axis: -1 }, floatAttrs: { epsilon: 1e-5 } },
    weft: (te) => {
      const X = te.placeholder([128, 768], "float32", "X");
      const g = te.placeholder([768], "float32", "gamma");
      const b = te.placeholder([768], "float32", "beta");
      return [X, g, b, te.topi.layerNorm(X, g, b, -1, 1e-5)];
    },
    // tfjs has no layer-norm op: composed from moments (several kernels).
    tf: (tf, [X, g, b]) => {
      const { mean, variance } = tf.moments(X, -1, true);
      return tf.add(tf.mul(tf.mul(tf.sub(X, mean), tf.rsqrt(tf.add(variance, 1e-5))), g), b);
    },
  },
];

const THREADS = [1, 2];

function fill(n, seed = 1) {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = Math.sin((i + seed) * 0.37) * 0.5;
  return a;
}
const numel = (shape) => shape.reduce((a, b) => a * b, 1);

// ---------------------------------------------------------------------------------------------
// Implementations. Each `make*` returns a list of { workload, impl, threads, run: async () => us }
// where `run` times one round (calls repeated until minMs, at least one) and returns µs per call.

async function makeWeft(minMs) {
  const dist = new URL("../dist/", import.meta.url);
  const { te } = await import(new URL("index.js", dist).href);
  const { build } = await import(new URL("target/build.js", dist).href);
  const { IRModule } = await import(new URL("ir/module.js", dist).href);
  const { Target } = await import(new URL("target/target.js", dist).href);
  const { Rng, randomArray } = await import(new URL("tir/interp/index.js", dist).href);
  let applyDefaultSchedule;
  try {
    ({ applyDefaultSchedule } = await import(new URL("schedule/default/index.js", dist).href));
  } catch {
    note("weft: no default schedules in dist/ (src/schedule/default) yet: weft kernels are unscheduled");
  }
  const targets = [];
  try {
    await import(new URL("target/c/index.js", dist).href);
    targets.push("c");
  } catch (e) {
    note(`weft-c: cannot load the c target (${e.message})`);
  }
  try {
    await import(new URL("target/wasm/index.js", dist).href);
    targets.push("wasm");
  } catch {
    note("weft-wasm: no wasm target in dist/ (src/target/wasm) yet: skipped");
  }
  const impls = [];
  for (const w of WORKLOADS) {
    const func = te.createPrimFunc(w.weft(te));
    const rng = new Rng(0);
    const args = func.params.map((p) => {
      const b = func.bufferMap.get(p);
      return randomArray(b.shape.map((d) => d.value), b.dtype, rng);
    });
    for (const kind of targets) {
      for (const threads of THREADS) {
        const target = Target.parse(`${kind} -num-cores=${threads}`);
        try {
          let mod = IRModule.fromFunction(func, "main");
          if (applyDefaultSchedule) mod = await applyDefaultSchedule(mod, target);
          const m = await build(mod, target);
          const fn = m.get("main");
          fn(...args); // warm-up (and first-call work)
          impls.push({ workload: w.id, impl: `weft-${kind}`, threads, scheduled: !!applyDefaultSchedule, run: async () => timeSync(() => fn(...args), minMs) });
        } catch (e) {
          note(`weft-${kind} ${w.id} ${threads}t: build failed: ${e.message.split("\n")[0]}`);
        }
      }
    }
  }
  return impls;
}

async function makeOrtNode(minMs) {
  let ort;
  try {
    const m = await importPeer("onnxruntime-node");
    ort = m.default ?? m;
    await ort.InferenceSession.create(singleOpModel({ op: "Softmax", inputs: [["X", [2, 2]]], output: ["Y", [2, 2]], attrs: { axis: -1 } }));
  } catch (e) {
    note(`onnxruntime-node: cannot be loaded (${e.message.split("\n")[0]}): skipped`);
    return [];
  }
  const impls = [];
  for (const w of WORKLOADS) {
    const model = singleOpModel({ ...w.onnx, inputs: w.inputs, output: w.output });
    const feeds = {};
    w.inputs.forEach(([name, shape], i) => (feeds[name] = new ort.Tensor("float32", fill(numel(shape), i + 1), shape)));
    for (const threads of THREADS) {
      const session = await ort.InferenceSession.create(model, {
        executionProviders: ["cpu"],
        intraOpNumThreads: threads,
        interOpNumThreads: 1,
        graphOptimizationLevel: "all",
      });
      await session.run(feeds);
      impls.push({ workload: w.id, impl: "onnxruntime-node", threads, run: () => timeAsync(() => session.run(feeds), minMs) });
    }
  }
  return impls;
}

async function makeOrtWeb(minMs) {
  try {
    requireBench.resolve("onnxruntime-web");
  } catch {
    note("onnxruntime-web: not installed: skipped");
    return [];
  }
  const impls = [];
  const workers = [];
  for (const threads of THREADS) {
    try {
      const web = await startOrtWeb(threads);
      workers.push(web);
      for (const w of WORKLOADS) {
        const key = w.id;
        await web.setup(key, singleOpModel({ ...w.onnx, inputs: w.inputs, output: w.output }), w.inputs);
        impls.push({ workload: w.id, impl: "onnxruntime-web", threads, run: () => web.time(key, minMs) });
      }
    } catch (e) {
      note(`onnxruntime-web ${threads}t: cannot be loaded (${String(e.message).split("\n")[0]}): skipped`);
    }
  }
  return { impls, close: () => Promise.all(workers.map((w) => w.close())) };
}

async function makeOpenBlas(minMs) {
  const candidates = [
    process.env.OPENBLAS_LIB,
    "libopenblas.so.0",
    "libopenblas.so",
    "/usr/lib/x86_64-linux-gnu/libopenblas.so.0",
    "/usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblas.so.0",
    "/usr/lib/aarch64-linux-gnu/libopenblas.so.0",
    "/usr/local/lib/libopenblas.so",
    "/opt/homebrew/opt/openblas/lib/libopenblas.dylib",
  ].filter(Boolean);
  let koffi;
  try {
    koffi = (await import("koffi")).default;
  } catch (e) {
    note(`openblas: koffi cannot be loaded (${e.message}): skipped`);
    return [];
  }
  let lib;
  for (const c of candidates) {
    try {
      lib = koffi.load(c);
      break;
    } catch {
      /* next */
    }
  }
  if (!lib) {
    note("openblas: libopenblas not found (apt-get install libopenblas0-pthread, or set OPENBLAS_LIB): skipped");
    return [];
  }
  const sgemm = lib.func(
    "void cblas_sgemm(int order, int transA, int transB, int M, int N, int K, float alpha, const float *A, int lda, const float *B, int ldb, float beta, float *C, int ldc)",
  );
  let setThreads;
  try {
    setThreads = lib.func("void openblas_set_num_threads(int n)");
  } catch {
    note("openblas: no openblas_set_num_threads; thread count left to OPENBLAS_NUM_THREADS");
  }
  const impls = [];
  for (const w of WORKLOADS) {
    if (!w.gemm) continue;
    const { M, N, K } = w.gemm;
    const A = fill(M * K, 1), B = fill(K * N, 2), C = new Float32Array(M * N);
    const call = () => sgemm(101, 111, 111, M, N, K, 1, A, K, B, N, 0, C, N);
    for (const threads of THREADS) {
      impls.push({
        workload: w.id,
        impl: "openblas",
        threads,
        run: async () => {
          setThreads?.(threads);
          call();
          return timeSync(call, minMs);
        },
      });
    }
  }
  return impls;
}

async function makeTfjsWasm(minMs) {
  let tf;
  try {
    tf = await importPeer("@tensorflow/tfjs-core");
    const wasm = await importPeer("@tensorflow/tfjs-backend-wasm");
    const dir = requireBench.resolve("@tensorflow/tfjs-backend-wasm").replace(/dist\/.*$/, "dist/");
    wasm.setWasmPaths?.(dir);
    wasm.setThreadsCount?.(1);
    if (!(await tf.setBackend("wasm"))) throw new Error("setBackend('wasm') returned false");
    await tf.ready();
  } catch (e) {
    note(`tfjs-wasm: cannot be loaded (${String(e?.message ?? e).split("\n")[0]}): skipped`);
    return [];
  }
  const impls = [];
  for (const w of WORKLOADS) {
    const shapes = w.tfInputs ?? w.inputs.map(([, s]) => s);
    const ins = shapes.map((s, i) => tf.tensor(fill(numel(s), i + 1), s, "float32"));
    const call = () => {
      const out = tf.tidy(() => w.tf(tf, ins));
      out.dataSync();
      out.dispose();
    };
    try {
      call();
      impls.push({ workload: w.id, impl: "tfjs-wasm", threads: 1, run: async () => timeSync(call, minMs) });
    } catch (e) {
      note(`tfjs-wasm ${w.id}: failed (${e.message}): skipped`);
    }
  }
  return impls;
}

// ---------------------------------------------------------------------------------------------

function markdown(rows, machine) {
  const out = [];
  out.push(`# weft kernel benchmarks`);
  out.push("");
  out.push(`${machine.model}, ${machine.cpus} CPUs, node ${machine.node}; ${machine.rounds} interleaved rounds, medians${machine.quick ? " (--quick)" : ""}.`);
  out.push(`weft kernels: ${machine.weftSchedule}. Ratio columns: weft time / peer time (below 1: weft is faster).`);
  out.push("");
  out.push("| workload | threads | impl | median µs | GFLOP/s | weft-c / impl | weft-wasm / impl |");
  out.push("|---|---:|---|---:|---:|---:|---:|");
  for (const w of WORKLOADS) {
    for (const t of THREADS) {
      const here = rows.filter((r) => r.workload === w.id && r.threads === t);
      const c = here.find((r) => r.impl === "weft-c");
      const wa = here.find((r) => r.impl === "weft-wasm");
      for (const r of here) {
        const ratio = (x) => (x ? (x.median_us / r.median_us).toFixed(2) : "–");
        out.push(`| ${w.id} | ${t} | ${r.impl} | ${fmt(r.median_us)} | ${fmt(r.gflops)} | ${ratio(c)} | ${ratio(wa)} |`);
      }
    }
  }
  out.push(...notesSection(machine.notes));
  return `${out.join("\n")}\n`;
}

export async function run({ quick, only, weftOnly }) {
  const rounds = quick ? 3 : 7;
  const minMs = quick ? 40 : 150;
  const t0 = performance.now();
  if (only) {
    const ids = only.split(",");
    const unknown = ids.filter((id) => !WORKLOADS.some((w) => w.id.startsWith(id)));
    if (unknown.length) throw new Error(`bench kernels --only: no workload starts with ${unknown.join(", ")} (workloads: ${WORKLOADS.map((w) => w.id).join(", ")})`);
    WORKLOADS = WORKLOADS.filter((w) => ids.some((id) => w.id.startsWith(id)));
  }
  if (!weftOnly) ensurePeers();
  const none = { impls: [] };
  const weft = await makeWeft(minMs);
  const ortNode = weftOnly ? [] : await makeOrtNode(minMs);
  const ortWeb = weftOnly ? none : await makeOrtWeb(minMs);
  const blas = weftOnly ? [] : await makeOpenBlas(minMs);
  const tfjs = weftOnly ? [] : await makeTfjsWasm(minMs);
  const impls = [...weft, ...ortNode, ...(ortWeb.impls ?? []), ...blas, ...tfjs];
  console.error(`kernels: ${impls.length} (workload, impl, threads) entries, ${rounds} rounds (setup ${((performance.now() - t0) / 1000).toFixed(1)} s)`);
  const samples = impls.map(() => []);
  for (let r = 0; r < rounds; r++) {
    for (const w of WORKLOADS) {
      // Interleave: every implementation of this workload, then the next workload.
      for (let i = 0; i < impls.length; i++) {
        if (impls[i].workload !== w.id) continue;
        try {
          samples[i].push(await impls[i].run());
        } catch (e) {
          if (!impls[i].failed) note(`${impls[i].impl} ${w.id} ${impls[i].threads}t: failed while timing (${e.message})`);
          impls[i].failed = true;
        }
      }
    }
    console.error(`kernels: round ${r + 1}/${rounds} done (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
  }
  await ortWeb.close?.();
  const flopsOf = Object.fromEntries(WORKLOADS.map((w) => [w.id, w.flops]));
  const rows = [];
  impls.forEach((impl, i) => {
    if (!samples[i].length) return;
    const us = median(samples[i]);
    const flops = flopsOf[impl.workload];
    rows.push({
      workload: impl.workload,
      impl: impl.impl,
      threads: impl.threads,
      median_us: Number(us.toFixed(2)),
      gflops: flops === null ? null : Number((flops / (us * 1e3)).toFixed(2)),
      rounds: samples[i].length,
      ...(impl.scheduled !== undefined ? { scheduled: impl.scheduled } : {}),
    });
  });
  const machine = {
    ...machineInfo(),
    quick: !!quick,
    rounds,
    min_ms_per_round: minMs,
    weftSchedule: weft.some((i) => i.scheduled) ? "default schedules (src/schedule/default)" : "unscheduled (no default schedules yet)",
    notes,
    elapsed_s: Number(((performance.now() - t0) / 1000).toFixed(1)),
  };
  const md = markdown(rows, machine);
  writeResults("kernels", { machine, rows }, md);
  process.stdout.write(md);
  console.error(`kernels: wrote bench/results/kernels.json and bench/results/kernels.md (${machine.elapsed_s} s)`);
}
