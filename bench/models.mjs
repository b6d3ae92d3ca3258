// Model benchmarks: whole networks written with weft's nn builder, exported to ONNX and run by
// weft (importOnnx + relax.build for the `c` and `wasm` targets, on the VM) and by
// onnxruntime-node (CPU EP) and onnxruntime-web (wasm), each at 1 and 2 threads:
//   mlp        x: (batch, 784) -> 1024 -> 1024 -> 10 with ReLUs, at batch 64 (batch symbolic)
//   resnet18   ResNet-18-shaped CNN at 1x3x224x224 (see RESNET_NOTE for the one difference)
//   bert       one BERT-base encoder layer (hidden 768, 12 heads, FFN 3072), x: (1, seq, 768)
//              with `seq` symbolic: ONE weft build per target runs seq 16, 77, 128 (and 384)
//   gpt2       one GPT-2-small-shaped decoder block (pre-LayerNorm, 12 heads, FFN 3072); causal
//              attention comes from an additive mask input (see GPT2_NOTE)
//
// All implementations run in this one invocation, interleaved: every round times every
// implementation of a (model, input) case once (calls repeated until `minMs`, at least one)
// and the reported figure is the median over rounds. Every case feeds the same float32 values
// to every implementation, and weft's outputs are compared with onnxruntime-node's (1 thread):
// max relative error = max |weft - ort| / max |ort|, flagged above 1e-4.
// A model weft fails to import, build or run is recorded in the notes and the rest goes on.
//
// Writes bench/results/models.json ({ machine, rows: [{ model, impl, threads, median_us,
// max_rel_err?, compile_ms? }] }) and bench/results/models.md.
import { performance } from "node:perf_hooks";
import { ensurePeers, fmt, importPeer, machineInfo, makeNotes, notesSection, median, requireBench, startOrtWeb, timeAsync, timeSync, writeResults } from "./common.mjs";

const { notes, note } = makeNotes("models");
const THREADS = [1, 2];
const TOLERANCE = 1e-4;
// A weft call slower than this in its warm-up is not timed, and the model's larger inputs are not
// run on that build (both recorded in the notes): kernels over symbolic shapes are still
// unscheduled and can be orders of magnitude slower than the peers, and repeating them every
// round would make the run take hours. Cases are listed smallest first for this reason.
const slowCallMs = (quick) => (quick ? 5000 : 30000);

const RESNET_NOTE =
  "resnet18: the stem's max pool is 2x2 stride 2 (the nn builder's MaxPool2d has no padding), not 3x3 stride 2 pad 1; both take 112x112 to 56x56, every other layer is ResNet-18's";
const GPT2_NOTE =
  "gpt2: the nn builder has no causal op, so the block takes an additive mask input (seq, seq): 0 on and below the diagonal, -1e4 above, added to the attention scores before softmax; GELU is the erf form (GPT-2 uses the tanh approximation)";

// ---------------------------------------------------------------------------------------------
// Models (built on the nn builder from dist/, so this file needs `npm run build` first)

async function defineModels(nn, quick) {
  class BasicBlock extends nn.Module {
    constructor(cin, cout, stride, rng) {
      super();
      this.conv1 = this.addChild("conv1", new nn.Conv2d(cin, cout, 3, { stride, padding: 1, bias: false, rng }));
      this.bn1 = this.addChild("bn1", new nn.BatchNorm2d(cout, 1e-5, rng));
      this.conv2 = this.addChild("conv2", new nn.Conv2d(cout, cout, 3, { padding: 1, bias: false, rng }));
      this.bn2 = this.addChild("bn2", new nn.BatchNorm2d(cout, 1e-5, rng));
      if (stride !== 1 || cin !== cout) {
        this.down = this.addChild("downsample", new nn.Sequential(new nn.Conv2d(cin, cout, 1, { stride, bias: false, rng }), new nn.BatchNorm2d(cout, 1e-5, rng)));
      }
    }
    forward(g, x) {
      const h = g.relu(this.bn1.forward(g, this.conv1.forward(g, x)));
      const y = this.bn2.forward(g, this.conv2.forward(g, h));
      return g.relu(g.add(y, this.down ? this.down.forward(g, x) : x));
    }
  }
  const resnet18 = (rng) => {
    const layers = [new nn.Conv2d(3, 64, 7, { stride: 2, padding: 3, bias: false, rng }), new nn.BatchNorm2d(64, 1e-5, rng), new nn.ReLU(), new nn.MaxPool2d(2)];
    let cin = 64;
    for (const [cout, stride] of [[64, 1], [128, 2], [256, 2], [512, 2]]) {
      layers.push(new BasicBlock(cin, cout, stride, rng), new BasicBlock(cout, cout, 1, rng));
      cin = cout;
    }
    layers.push(new nn.GlobalAvgPool2d(), new nn.Flatten(), new nn.Linear(512, 1000, { rng }));
    return new nn.Sequential(...layers);
  };

  // GPT-2's attention: q/k/v/out projections, scores scaled by 1/sqrt(d) plus the additive mask.
  class CausalSelfAttention extends nn.Module {
    constructor(embed, heads, rng) {
      super();
      this.heads = heads;
      this.embed = embed;
      this.headDim = embed / heads;
      for (const n of ["q", "k", "v", "out"]) this[n] = this.addChild(n, new nn.Linear(embed, embed, { rng }));
    }
    forward(g, x, mask) {
      const split = (t, perm) => g.transpose(g.reshape(t, [0, 0, this.heads, this.headDim]), perm);
      const q = split(this.q.forward(g, x), [0, 2, 1, 3]);
      const kt = split(this.k.forward(g, x), [0, 2, 3, 1]);
      const v = split(this.v.forward(g, x), [0, 2, 1, 3]);
      const scores = g.add(g.mul(g.matmul(q, kt), g.scalar(1 / Math.sqrt(this.headDim))), mask);
      const ctx = g.matmul(g.softmax(scores, -1), v);
      return this.out.forward(g, g.reshape(g.transpose(ctx, [0, 2, 1, 3]), [0, 0, this.embed]));
    }
  }
  class Gpt2Block extends nn.Module {
    constructor(embed, heads, ffn, rng) {
      super();
      this.ln1 = this.addChild("ln_1", new nn.LayerNorm(embed, 1e-5, rng));
      this.attn = this.addChild("attn", new CausalSelfAttention(embed, heads, rng));
      this.ln2 = this.addChild("ln_2", new nn.LayerNorm(embed, 1e-5, rng));
      this.fc = this.addChild("c_fc", new nn.Linear(embed, ffn, { rng }));
      this.proj = this.addChild("c_proj", new nn.Linear(ffn, embed, { rng }));
    }
    forward(g, x, mask) {
      const h = g.add(x, this.attn.forward(g, this.ln1.forward(g, x), mask));
      return g.add(h, this.proj.forward(g, g.gelu(this.fc.forward(g, this.ln2.forward(g, h)))));
    }
  }

  const causalMask = (s) => {
    const m = new Float32Array(s * s);
    for (let i = 0; i < s; i++) for (let j = i + 1; j < s; j++) m[i * s + j] = -1e4;
    return m;
  };
  const random = (rng, shape) => ({ shape, data: rng.uniform(shape.reduce((a, b) => a * b, 1), 1) });
  const seqCase = (seq, rng, withMask) => ({
    id: `seq=${seq}`,
    inputs: [{ name: "x", ...random(rng, [1, seq, 768]) }, ...(withMask ? [{ name: "mask", shape: [seq, seq], data: causalMask(seq) }] : [])],
  });
  const rng = new nn.Rng(2024);
  const bertSeqs = quick ? [16, 77, 128] : [16, 77, 128, 384];
  return [
    {
      id: "mlp",
      make: () => new nn.Sequential(new nn.Linear(784, 1024, { rng }), new nn.ReLU(), new nn.Linear(1024, 1024, { rng }), new nn.ReLU(), new nn.Linear(1024, 10, { rng })),
      specs: [{ name: "x", shape: ["batch", 784] }],
      cases: () => [{ id: "batch=64", inputs: [{ name: "x", ...random(rng, [64, 784]) }] }],
    },
    {
      id: "resnet18",
      make: () => resnet18(rng),
      specs: [{ name: "x", shape: [1, 3, 224, 224] }],
      cases: () => [{ id: "1x3x224x224", inputs: [{ name: "x", ...random(rng, [1, 3, 224, 224]) }] }],
      note: RESNET_NOTE,
    },
    {
      id: "bert",
      make: () => new nn.TransformerEncoderLayer(768, 12, 3072, rng),
      specs: [{ name: "x", shape: [1, "seq", 768] }],
      cases: () => bertSeqs.map((s) => seqCase(s, rng, false)),
    },
    {
      id: "gpt2",
      make: () => new Gpt2Block(768, 12, 3072, rng),
      specs: [{ name: "x", shape: [1, "seq", 768] }, { name: "mask", shape: ["seq", "seq"] }],
      cases: () => [16, 128].map((s) => seqCase(s, rng, true)),
      note: GPT2_NOTE,
    },
  ];
}

// ---------------------------------------------------------------------------------------------
// Implementations: each returns { impls: [{ model, case, impl, threads, compile_ms?, run }], ... }

const firstLine = (e) => String(e?.message ?? e).split("\n")[0];

async function makeWeft(models, minMs, limitMs) {
  const { frontend, relax, runtime } = await import(new URL("../dist/index.js", import.meta.url).href);
  const impls = [];
  for (const m of models) {
    let mod;
    try {
      const t0 = performance.now();
      mod = frontend.importOnnx(m.onnx);
      m.import_ms = performance.now() - t0;
    } catch (e) {
      note(`weft ${m.id}: importOnnx failed: ${firstLine(e)}`);
      continue;
    }
    for (const kind of ["c", "wasm"]) {
      for (const threads of THREADS) {
        const impl = `weft-${kind}`;
        let vm, compileMs;
        try {
          const t0 = performance.now();
          ({ vm } = await relax.build(mod, `${kind} -num-cores=${threads}`));
          compileMs = performance.now() - t0;
        } catch (e) {
          note(`${impl} ${m.id} ${threads}t: relax.build failed: ${firstLine(e)}`);
          continue;
        }
        let slow = null;
        for (const c of m.cases) {
          if (slow) {
            note(`${impl} ${m.id} ${c.id} ${threads}t: not run (${slow} already took over ${limitMs / 1000} s)`);
            continue;
          }
          const args = c.inputs.map((x) => runtime.NDArray.fromArray(x.data, x.shape, "float32"));
          try {
            const t0 = performance.now();
            const out = vm.invoke("main", ...args);
            const warmMs = performance.now() - t0;
            const output = Float32Array.from(out.data);
            if (warmMs > limitMs) {
              slow = c.id;
              note(`${impl} ${m.id} ${c.id} ${threads}t: one call took ${(warmMs / 1000).toFixed(1)} s, over the ${limitMs / 1000} s limit: checked but not timed`);
              impls.push({ model: m.id, case: c.id, impl, threads, compile_ms: compileMs, output, run: null });
              continue;
            }
            impls.push({ model: m.id, case: c.id, impl, threads, compile_ms: compileMs, output, run: async () => timeSync(() => vm.invoke("main", ...args), minMs) });
          } catch (e) {
            note(`${impl} ${m.id} ${c.id} ${threads}t: run failed: ${firstLine(e)}`);
          }
        }
      }
    }
  }
  return impls;
}

async function makeOrtNode(models, minMs) {
  let ort;
  try {
    const mod = await importPeer("onnxruntime-node");
    ort = mod.default ?? mod;
  } catch (e) {
    note(`onnxruntime-node: cannot be loaded (${firstLine(e)}): skipped, so weft's outputs are not checked`);
    return [];
  }
  const impls = [];
  for (const m of models) {
    for (const threads of THREADS) {
      try {
        const t0 = performance.now();
        const session = await ort.InferenceSession.create(m.onnx, { executionProviders: ["cpu"], intraOpNumThreads: threads, interOpNumThreads: 1, graphOptimizationLevel: "all" });
        const compileMs = performance.now() - t0;
        for (const c of m.cases) {
          const feeds = Object.fromEntries(c.inputs.map((x) => [x.name, new ort.Tensor("float32", x.data, x.shape)]));
          const out = await session.run(feeds);
          const output = Float32Array.from(out[session.outputNames[0]].data);
          impls.push({ model: m.id, case: c.id, impl: "onnxruntime-node", threads, compile_ms: compileMs, output, run: () => timeAsync(() => session.run(feeds), minMs) });
        }
      } catch (e) {
        note(`onnxruntime-node ${m.id} ${threads}t: failed: ${firstLine(e)}`);
      }
    }
  }
  return impls;
}

async function makeOrtWeb(models, minMs) {
  try {
    requireBench.resolve("onnxruntime-web");
  } catch {
    note("onnxruntime-web: not installed: skipped");
    return { impls: [] };
  }
  const impls = [];
  const workers = [];
  for (const threads of THREADS) {
    let web;
    try {
      web = await startOrtWeb(threads);
      workers.push(web);
    } catch (e) {
      note(`onnxruntime-web ${threads}t: cannot be loaded (${firstLine(e)}): skipped`);
      continue;
    }
    for (const m of models) {
      for (const c of m.cases) {
        const key = `${m.id}/${c.id}`;
        try {
          const t0 = performance.now();
          await web.setup(key, m.onnx, c.inputs);
          impls.push({ model: m.id, case: c.id, impl: "onnxruntime-web", threads, compile_ms: performance.now() - t0, run: () => web.time(key, minMs) });
        } catch (e) {
          note(`onnxruntime-web ${key} ${threads}t: failed: ${firstLine(e)}`);
        }
      }
    }
  }
  return { impls, close: () => Promise.all(workers.map((w) => w.close())) };
}

/** max |got - want| / max |want| (so near-zero reference values do not blow the ratio up). */
function maxRelErr(got, want) {
  if (got.length !== want.length) return Infinity;
  let scale = 1e-12, err = 0;
  for (let i = 0; i < want.length; i++) {
    scale = Math.max(scale, Math.abs(want[i]));
    const d = Math.abs(got[i] - want[i]);
    err = Math.max(err, Number.isNaN(d) ? Infinity : d);
  }
  return err / scale;
}

// ---------------------------------------------------------------------------------------------

const label = (r) => (r.case ? `${r.model} (${r.case})` : r.model);

function markdown(rows, machine, models) {
  const out = [];
  out.push("# weft model benchmarks");
  out.push("");
  out.push(`${machine.model}, ${machine.cpus} CPUs, node ${machine.node}; ${machine.rounds} interleaved rounds, medians${machine.quick ? " (--quick)" : ""}.`);
  out.push(`Ratio columns: weft time / peer time at the same thread count (below 1: weft is faster). max rel err: weft's output against onnxruntime-node's, max |Δ| / max |ref| (⚠ above ${TOLERANCE}).`);
  out.push("");
  out.push("| model | threads | impl | median ms | weft-c / impl | weft-wasm / impl | max rel err |");
  out.push("|---|---:|---|---:|---:|---:|---:|");
  const keys = [...new Set(rows.map((r) => `${r.model}\u0000${r.case}`))];
  for (const key of keys) {
    for (const t of THREADS) {
      const here = rows.filter((r) => `${r.model}\u0000${r.case}` === key && r.threads === t);
      const c = here.find((r) => r.impl === "weft-c" && r.median_us !== null);
      const wa = here.find((r) => r.impl === "weft-wasm" && r.median_us !== null);
      for (const r of here) {
        const ratio = (x) => (x && r.median_us ? (x.median_us / r.median_us).toFixed(2) : "–");
        const err = r.max_rel_err === undefined ? "" : `${r.max_rel_err.toExponential(1)}${r.max_rel_err > TOLERANCE ? " ⚠" : ""}`;
        out.push(`| ${label(r)} | ${t} | ${r.impl} | ${r.median_us === null ? "not timed" : fmt(r.median_us / 1000, 2)} | ${ratio(c)} | ${ratio(wa)} | ${err} |`);
      }
    }
  }
  out.push("");
  out.push("Compile / session-creation times (ms): weft = importOnnx + relax.build (one build serves every input of a model); onnxruntime = InferenceSession.create.");
  out.push("weft's builds use its on-disk artifact cache ($WEFT_CACHE_DIR, else ~/.cache/weft), so a kernel compiled by an earlier build or run skips the C compiler / binaryen; run with WEFT_CACHE_DIR=$(mktemp -d) for cold compile times.");
  out.push("");
  out.push("| model | weft import | weft-c 1t | weft-c 2t | weft-wasm 1t | weft-wasm 2t | onnxruntime-node 1t |");
  out.push("|---|---:|---:|---:|---:|---:|---:|");
  for (const m of models) {
    const ms = (impl, t) => fmt(rows.find((r) => r.model === m.id && r.impl === impl && r.threads === t)?.compile_ms, 0);
    out.push(`| ${m.id} | ${fmt(m.import_ms, 0)} | ${ms("weft-c", 1)} | ${ms("weft-c", 2)} | ${ms("weft-wasm", 1)} | ${ms("weft-wasm", 2)} | ${ms("onnxruntime-node", 1)} |`);
  }
  out.push(...notesSection(machine.notes));
  return `${out.join("\n")}\n`;
}

export async function run({ quick, only, weftOnly }) {
  const rounds = quick ? 3 : 5;
  const minMs = quick ? 40 : 150;
  const t0 = performance.now();
  const { frontend } = await import(new URL("../dist/index.js", import.meta.url).href);
  const nn = frontend.nn;
  let models = await defineModels(nn, quick);
  if (only) {
    const ids = only.split(",");
    const unknown = ids.filter((id) => !models.some((m) => m.id.startsWith(id)));
    if (unknown.length) throw new Error(`bench models --only: no model starts with ${unknown.join(", ")} (models: ${models.map((m) => m.id).join(", ")})`);
    models = models.filter((m) => ids.some((id) => m.id.startsWith(id)));
  }
  for (const m of models) {
    m.onnx = nn.exportOnnx(m.make(), m.specs);
    m.cases = m.cases();
    if (m.note) note(m.note);
  }
  if (!weftOnly) ensurePeers(note);
  const weft = await makeWeft(models, minMs, slowCallMs(quick));
  const ortNode = weftOnly ? [] : await makeOrtNode(models, minMs);
  const ortWeb = weftOnly ? { impls: [] } : await makeOrtWeb(models, minMs);
  const impls = [...weft, ...ortNode, ...ortWeb.impls];
  console.error(`models: ${impls.length} (model, input, impl, threads) entries, ${rounds} rounds (setup ${((performance.now() - t0) / 1000).toFixed(1)} s)`);
  const samples = impls.map(() => []);
  for (let r = 0; r < rounds; r++) {
    for (const m of models) {
      for (const c of m.cases) {
        // Interleave: every implementation of this case, then the next case.
        for (let i = 0; i < impls.length; i++) {
          const x = impls[i];
          if (x.model !== m.id || x.case !== c.id || !x.run || x.failed) continue;
          try {
            samples[i].push(await x.run());
          } catch (e) {
            note(`${x.impl} ${m.id} ${c.id} ${x.threads}t: failed while timing (${firstLine(e)})`);
            x.failed = true;
          }
        }
      }
    }
    console.error(`models: round ${r + 1}/${rounds} done (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
  }
  await ortWeb.close?.();
  const reference = (x) => ortNode.find((o) => o.model === x.model && o.case === x.case && o.threads === 1)?.output;
  const rows = [];
  impls.forEach((x, i) => {
    if (!samples[i].length && x.run) return;
    const ref = x.impl.startsWith("weft") ? reference(x) : undefined;
    const err = ref ? maxRelErr(x.output, ref) : undefined;
    if (err !== undefined && err > TOLERANCE) note(`${x.impl} ${x.model} ${x.case} ${x.threads}t: max relative error ${err.toExponential(2)} against onnxruntime-node is above ${TOLERANCE}`);
    rows.push({
      model: x.model,
      case: x.case,
      impl: x.impl,
      threads: x.threads,
      median_us: samples[i].length ? Number(median(samples[i]).toFixed(1)) : null,
      ...(err !== undefined ? { max_rel_err: Number(err.toPrecision(3)) } : {}),
      ...(x.compile_ms !== undefined ? { compile_ms: Number(x.compile_ms.toFixed(0)) } : {}),
      rounds: samples[i].length,
    });
  });
  const machine = { ...machineInfo(), quick: !!quick, rounds, min_ms_per_round: minMs, notes, elapsed_s: Number(((performance.now() - t0) / 1000).toFixed(1)) };
  const md = markdown(rows, machine, models);
  writeResults("models", { machine, rows }, md);
  process.stdout.write(md);
  console.error(`models: wrote bench/results/models.json and bench/results/models.md (${machine.elapsed_s} s)`);
}
