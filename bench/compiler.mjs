// The compiler's own speed: parse, print, simplify, schedule primitives, trace replay and the
// reference interpreter, each timed as the median of several rounds. Writes
// bench/results/compiler.json and bench/results/compiler.md.
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { performance } from "node:perf_hooks";
import { ir, arith, tir, te, schedule } from "../dist/index.js";

/** Median time per call in microseconds: `rounds` rounds of `inner` calls each. */
function time(f, { rounds = 15, inner = 20 } = {}) {
  for (let i = 0; i < 3; i++) f();
  const per = [];
  for (let r = 0; r < rounds; r++) {
    const t0 = performance.now();
    for (let i = 0; i < inner; i++) f();
    per.push(((performance.now() - t0) * 1000) / inner);
  }
  per.sort((a, b) => a - b);
  return per[Math.floor(per.length / 2)];
}

function matmul(n) {
  const A = te.placeholder([n, n], "float32", "A");
  const B = te.placeholder([n, n], "float32", "B");
  return te.createPrimFunc([A, B, te.topi.matmul(A, B)]);
}

function classicSchedule(func) {
  const sch = new schedule.Schedule(func);
  const b = sch.getBlock("T_matmul_NN");
  const [i, j, k] = sch.getLoops(b);
  const [i0, i1] = sch.split(i, [undefined, 32]);
  const [j0, j1] = sch.split(j, [undefined, 64]);
  sch.reorder(i0, j0, k, i1, j1);
  const cw = sch.cacheWrite(b, 0, "global");
  sch.reverseComputeAt(cw, j0);
  sch.vectorize(j1);
  sch.parallel(sch.fuse(i0, j0));
  sch.decomposeReduction(b, k);
  return sch;
}

export async function run({ quick }) {
  const o = quick ? { rounds: 5, inner: 5 } : {};
  const mm = matmul(1024);
  const text = tir.printScript(mm);
  const rows = [];
  const add = (task, us) => rows.push({ task, median_us: Number(us.toFixed(2)) });

  add("parse matmul TVMScript", time(() => tir.parsePrimFunc(text), o));
  add("print matmul TVMScript", time(() => tir.printScript(mm), o));
  const parsed = tir.parsePrimFunc(text);
  add("structural equal (parsed vs built matmul)", time(() => ir.structuralEqual(parsed, mm), o));
  const i0 = new ir.Var("i0"), i1 = new ir.Var("i1"), i2 = new ir.Var("i2");
  add("simplify floordiv(i0*64 + i1*8 + i2, 8), fresh analyzer", time(() => {
    const an = new arith.Analyzer();
    an.bind(i0, ir.Range.fromExtent(ir.convert(16)));
    an.bind(i1, ir.Range.fromExtent(ir.convert(8)));
    an.bind(i2, ir.Range.fromExtent(ir.convert(8)));
    an.simplify(ir.floordiv(ir.add(ir.add(ir.mul(i0, 64), ir.mul(i1, 8)), i2), 8));
  }, o));
  const base = time(() => new schedule.Schedule(mm), o);
  add("new Schedule(matmul)", base);
  add("split (incl. getBlock/getLoops)", time(() => {
    const sch = new schedule.Schedule(mm);
    sch.split(sch.getLoops(sch.getBlock("T_matmul_NN"))[0], [undefined, 32]);
  }, o) - base);
  add("classic CPU matmul schedule (10 primitives)", time(() => classicSchedule(mm), { ...o, inner: 3 }) - base);
  const traceText = classicSchedule(mm).trace.toJSONString();
  add("replay classic trace from JSON", time(() => schedule.Trace.fromJSON(traceText).applyTo(new schedule.Schedule(mm)), { ...o, inner: 3 }));
  const small = matmul(64);
  const rng = new tir.Rng(0);
  const args = [0, 1, 2].map(() => tir.randomArray([64, 64], "float32", rng));
  add("interpreter: 64^3 matmul", time(() => tir.runPrimFunc(small, args), { ...o, inner: 2 }));

  const machine = { cpus: cpus().length, model: cpus()[0]?.model ?? "unknown", node: process.version };
  mkdirSync(new URL("./results/", import.meta.url), { recursive: true });
  writeFileSync(new URL("./results/compiler.json", import.meta.url), JSON.stringify({ machine, rows }, null, 2) + "\n");
  const md = ["| task | median µs |", "|---|---:|", ...rows.map((r) => `| ${r.task} | ${r.median_us} |`)].join("\n");
  writeFileSync(new URL("./results/compiler.md", import.meta.url), `${md}\n`);
  console.log(`machine: ${machine.model} x${machine.cpus}, node ${machine.node}\n${md}`);
}
