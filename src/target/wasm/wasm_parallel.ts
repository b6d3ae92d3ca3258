/**
 * Parallel loops of the wasm target. With a shared memory, the body of a `parallel` loop is
 * outlined into an internal function `(sp, ctx, lo, hi)` that runs iterations [lo, hi); the
 * variables it uses from outside travel in a context record written at the caller's `sp`.
 * `__weft_parallel_for` splits the range into a few chunks per thread, publishes the job in a
 * control block in memory, wakes the worker threads (wasm_threads.ts: each runs an instance of
 * the same module over the same memory, parked in Atomics.wait), takes chunks itself like every
 * worker does, and spins until no worker is busy. Workers enter through `__weft_worker(t)`.
 *
 * Each thread gets its own scratch region ([base + t * tls, base + (t + 1) * tls)) for the
 * constant-size temporaries the body allocates. A loop stays serial when the body nests in
 * another parallel body, allocates a dynamically sized temporary, uses a register-promoted
 * buffer of the caller, or calls a JavaScript import (workers have no JavaScript functions).
 */
import binaryen from "binaryen";
import type { IntImm, Var } from "../../ir/expr.js";
import type { Allocate, For } from "../../tir/stmt.js";
import { type Binding, type Ref, alignUp, reprOf, wasmType } from "./wasm_types.js";
import type { ModuleBuilder } from "./wasm_helpers.js";
import { StmtCodegen } from "./wasm_stmt.js";
import { CTL, WORKER_ENTRY } from "./wasm_repr.js";

export { CTL, WORKER_ENTRY };

/** Chunks per participating thread: uneven progress (a busy core) evens out. */
const CHUNKS_PER_THREAD = 4;
export const CTL_BYTES = 64;
const DISPATCH = "__weft_parallel_for";
const ENSURE = "__weft_ensure";
const I32 = binaryen.i32;
/** Signature of an outlined body: (sp, ctx, lo, hi). */
const BODY_PARAMS = binaryen.createType([I32, I32, I32, I32]);

/** One captured value: where it lives in the caller and at which offset of the context record. */
interface Capture {
  readonly v: Var;
  readonly src: { kind: "addr"; index: number } | Binding;
  readonly offset: number;
}

/** Statements plus outlining of parallel loops. */
export abstract class ParallelCodegen extends StmtCodegen {
  /** Set in an outlined body: nested parallel loops run serially, temporaries come from the thread's scratch. */
  protected inParallelBody = false;

  protected override forLoop(l: For): Ref {
    if (l.forKind === "parallel" && this.mb.parallel && !this.inParallelBody) {
      const out = this.outline(l);
      if (out) return out;
    }
    return super.forLoop(l);
  }

  private outline(l: For): Ref | undefined {
    if (reprOf(l.loopVar.dtype) !== "i32" || (l.step && !(l.step.kind === "IntImm" && (l.step as IntImm).value === 1))) return undefined;
    const caps = this.captures(l);
    if (!caps) return undefined;
    const ctxBytes = alignUp(caps.reduce((n, c) => Math.max(n, c.offset + slotBytes(c.src)), 0) || 1);
    const name = `__weft_par_${this.mb.outlined.length}`;
    const child = new OutlinedBody(this.mb, this.func, this.fname, this.symbolOf, this.simd);
    const jsBefore = this.mb.jsImportUses;
    const tls = child.generate(name, l, caps);
    if (this.mb.jsImportUses !== jsBefore) {
      this.mb.m.removeFunction(name);
      return undefined;
    }
    const fn = this.mb.outlined.length;
    this.mb.outlined.push(name);
    const rt = parallelRuntime(this.mb);
    const m = this.m;
    const lo = this.newLocal(I32), hi = this.newLocal(I32);
    const sp = (): Ref => this.get(this.spLocal);
    const init = this.withPre(() => {
      const min = this.scalar(l.min, `min of loop ${l.loopVar.name}`);
      const ext = this.scalar(l.extent, `extent of loop ${l.loopVar.name}`);
      return [m.local.set(lo, min), m.local.set(hi, m.i32.add(this.get(lo), ext))];
    });
    // Room for the context record and every thread's scratch, then the record itself.
    const pool = (): Ref => m.i32.atomic.load(rt.ctl + 4 * CTL.POOL, m.i32.const(0));
    const poolAtLeast1 = m.select(m.i32.gt_s(pool(), m.i32.const(1)), pool(), m.i32.const(1));
    const need = m.i32.add(m.i32.add(sp(), m.i32.const(ctxBytes)), m.i32.mul(poolAtLeast1, m.i32.const(tls)));
    const stores = caps.map((c) => storeCapture(m, sp(), c, (i) => this.get(i)));
    return m.block(null, [
      init,
      m.call(ENSURE, [need], binaryen.none),
      ...stores,
      m.call(DISPATCH, [m.i32.const(fn), sp(), this.get(lo), this.get(hi), m.i32.add(sp(), m.i32.const(ctxBytes)), m.i32.const(tls)], binaryen.none),
    ]);
  }

  /** The caller's values the body uses, with their context offsets; undefined when the loop cannot be outlined. */
  private captures(l: For): Capture[] | undefined {
    const defined = new Set<unknown>([l.loopVar]);
    const used: Var[] = [];
    const seen = new Set<unknown>();
    let dynamicAlloc = false;
    const visit = (x: unknown): void => {
      if (typeof x !== "object" || x === null || seen.has(x)) return;
      seen.add(x);
      if (Array.isArray(x)) {
        x.forEach(visit);
        return;
      }
      const k = (x as { kind?: unknown }).kind;
      if (k === "Var" || k === "SizeVar") used.push(x as Var);
      else if (k === "Allocate") {
        const a = x as Allocate;
        defined.add(a.bufferVar);
        if (!a.extents.every((e) => e.kind === "IntImm")) dynamicAlloc = true;
      } else if (k === "LetStmt" || k === "Let") defined.add((x as { variable: Var }).variable);
      else if (k === "For") defined.add((x as For).loopVar);
      for (const [key, y] of Object.entries(x)) if (key !== "dtype") visit(y);
    };
    visit(l.body);
    if (dynamicAlloc) return undefined;
    const caps: Capture[] = [];
    let offset = 0;
    for (const v of used) {
      if (defined.has(v)) continue;
      if (this.regBufs.has(v)) return undefined;
      const addr = this.bufAddr.get(v);
      const src: Capture["src"] | undefined = addr !== undefined ? { kind: "addr", index: addr } : this.names.get(v);
      if (!src) continue;
      const size = slotBytes(src);
      offset = Math.ceil(offset / Math.min(size, 16)) * Math.min(size, 16);
      caps.push({ v, src, offset });
      offset += size;
    }
    return caps;
  }
}

/** An outlined loop body: `(sp, ctx, lo, hi)`, captured values loaded from the context record. */
class OutlinedBody extends ParallelCodegen {
  /** Returns the scratch bytes one thread needs. */
  generate(name: string, l: For, caps: readonly Capture[]): number {
    const m = this.m;
    this.inParallelBody = true;
    this.threadLocalAllocs = true;
    this.newLocal(I32); // sp (this.spLocal)
    const ctx = this.newLocal(I32), lo = this.newLocal(I32), hi = this.newLocal(I32);
    const loads: Ref[] = [];
    for (const c of caps) loads.push(...this.loadCapture(m, c, ctx));
    const iv = this.newLocal(I32);
    this.names.set(l.loopVar, { kind: "local", index: iv, repr: "i32" });
    const body = this.stmt(l.body);
    const brk = `b${this.labels++}`, cont = `l${this.labels++}`;
    const fn = m.block(null, [
      ...loads,
      m.local.set(iv, this.get(lo)),
      m.block(brk, [
        m.br(brk, m.i32.ge_s(this.get(iv), this.get(hi))),
        m.loop(cont, m.block(null, [
          body,
          m.local.set(iv, m.i32.add(this.get(iv), m.i32.const(1))),
          m.br(cont, m.i32.lt_s(this.get(iv), this.get(hi))),
        ])),
      ]),
    ]);
    m.addFunction(name, BODY_PARAMS, binaryen.none, this.localTypes.slice(4), fn);
    return alignUp(this.tlsMax);
  }

  private loadCapture(m: binaryen.Module, c: Capture, ctx: number): Ref[] {
    const at = (): Ref => this.get(ctx);
    const src = c.src;
    if (src.kind === "addr") {
      const i = this.newLocal(I32);
      this.bufAddr.set(c.v, i);
      return [m.local.set(i, m.i32.load(c.offset, 4, at()))];
    }
    if (src.kind === "local") {
      const i = this.newLocal(wasmType(src.repr));
      this.names.set(c.v, { kind: "local", index: i, repr: src.repr });
      return [m.local.set(i, loadRepr(m, src.repr, c.offset, at()))];
    }
    if (src.kind === "lanes") {
      const locals = src.locals.map(() => this.newLocal(wasmType(src.repr)));
      this.names.set(c.v, { kind: "lanes", locals, repr: src.repr });
      return locals.map((i, k) => m.local.set(i, loadRepr(m, src.repr, c.offset + 8 * k, at())));
    }
    const locals = src.locals.map(() => this.newLocal(binaryen.v128));
    this.names.set(c.v, { kind: "v128", locals });
    return locals.map((i, k) => m.local.set(i, m.v128.load(c.offset + 16 * k, 16, at())));
  }
}

function slotBytes(src: Capture["src"]): number {
  switch (src.kind) {
    case "addr": case "local": return 8;
    case "lanes": return 8 * src.locals.length;
    default: return 16 * src.locals.length;
  }
}

function loadRepr(m: binaryen.Module, r: ReturnType<typeof reprOf>, offset: number, ptr: Ref): Ref {
  return r === "i32" ? m.i32.load(offset, 4, ptr) : r === "f32" ? m.f32.load(offset, 4, ptr) : m.f64.load(offset, 8, ptr);
}

function storeCapture(m: binaryen.Module, ctx: Ref, c: Capture, get: (i: number) => Ref): Ref {
  const src = c.src;
  const store = (r: ReturnType<typeof reprOf>, off: number, v: Ref): Ref =>
    r === "i32" ? m.i32.store(off, 4, ctx, v) : r === "f32" ? m.f32.store(off, 4, ctx, v) : m.f64.store(off, 8, ctx, v);
  if (src.kind === "addr") return store("i32", c.offset, get(src.index));
  if (src.kind === "local") return store(src.repr, c.offset, get(src.index));
  if (src.kind === "lanes") return m.block(null, src.locals.map((i, k) => store(src.repr, c.offset + 8 * k, get(i))));
  return m.block(null, src.locals.map((i, k) => m.v128.store(c.offset + 16 * k, 16, ctx, get(i))));
}

/**
 * The module-level part, made once per module: the control block, the dispatcher, the worker
 * entry and the memory-growing helper. The function table is filled by `finishParallel`.
 */
function parallelRuntime(mb: ModuleBuilder): { ctl: number } {
  if (mb.ctl !== undefined) return { ctl: mb.ctl };
  const ctl = mb.staticAlloc(CTL_BYTES);
  mb.ctl = ctl;
  const m = mb.m;
  const c = (v: number): Ref => m.i32.const(v);
  const slot = (k: number): Ref => m.i32.atomic.load(ctl + 4 * k, c(0));
  const put = (k: number, v: Ref): Ref => m.i32.atomic.store(ctl + 4 * k, c(0), v);
  const g = (i: number): Ref => m.local.get(i, I32);
  // Start of chunk t of n over [lo, lo + e): lo + e * t / n, in 64 bits.
  const chunk = (lo: Ref, e: Ref, t: Ref, n: Ref): Ref =>
    m.i32.add(lo, m.i32.wrap(m.i64.div_u(m.i64.mul(m.i64.extend_u(e), m.i64.extend_u(t)), m.i64.extend_u(n))));
  const run = (fn: Ref, sp: Ref, ctx: Ref, lo: Ref, hi: Ref): Ref => m.call_indirect("weft_par", fn, [sp, ctx, lo, hi], BODY_PARAMS, binaryen.none);

  // __weft_ensure(end): grows the memory so that [0, end) is addressable.
  const have = (): Ref => m.i32.mul(m.memory.size(), c(65536));
  const pagesShort = m.i32.shr_u(m.i32.add(m.i32.sub(g(0), have()), c(65535)), c(16));
  m.addFunction(ENSURE, binaryen.createType([I32]), binaryen.none, [],
    m.if(m.i32.gt_u(g(0), have()), m.if(m.i32.eq(m.memory.grow(pagesShort), c(-1)), m.unreachable())));

  // __weft_parallel_for(fn, ctx, lo, hi, base, tls); locals: 6 e, 7 n, 8 nc, 9 c, 10 err.
  // Publishing is a seqlock on GEN (odd while the job's fields change, and only once no worker
  // is ACTIVE); every participant, this thread included, takes chunks from NEXT until none are
  // left, so a worker that wakes late (a busy core) only takes what is left.
  const [FN, CTX, LO, HI, BASE, TLS, E, N, NC, C, ERR] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
  const waitIdle = (label: string): Ref => m.loop(label, m.br(label, m.i32.ne(slot(CTL.ACTIVE), c(0))));
  const bump = (k: number, v: Ref): Ref => m.i32.atomic.rmw.add(ctl + 4 * k, c(0), v);
  m.addFunction(DISPATCH, binaryen.createType([I32, I32, I32, I32, I32, I32]), binaryen.none, [I32, I32, I32, I32, I32], m.block(null, [
    m.local.set(E, m.i32.sub(g(HI), g(LO))),
    m.if(m.i32.le_s(g(E), c(0)), m.return()),
    m.local.set(N, slot(CTL.POOL)),
    m.if(m.i32.gt_s(g(N), g(E)), m.local.set(N, g(E))),
    m.if(m.i32.le_s(g(N), c(1)), m.block(null, [run(g(FN), g(BASE), g(CTX), g(LO), g(HI)), m.return()])),
    m.local.set(NC, m.i32.mul(g(N), c(CHUNKS_PER_THREAD))),
    m.if(m.i32.gt_s(g(NC), g(E)), m.local.set(NC, g(E))),
    m.drop(bump(CTL.GEN, c(1))),
    waitIdle("idle0"),
    put(CTL.FN, g(FN)), put(CTL.CTX, g(CTX)), put(CTL.LO, g(LO)), put(CTL.HI, g(HI)), put(CTL.N, g(N)), put(CTL.NC, g(NC)),
    put(CTL.SP, g(BASE)), put(CTL.TLS, g(TLS)), put(CTL.ERR, c(0)), put(CTL.NEXT, c(0)),
    m.drop(bump(CTL.GEN, c(1))),
    m.drop(m.memory.atomic.notify(c(ctl + 4 * CTL.GEN), c(-1))),
    m.loop("take", m.block(null, [
      m.local.set(C, bump(CTL.NEXT, c(1))),
      m.if(m.i32.lt_s(g(C), g(NC)), m.block(null, [
        run(g(FN), g(BASE), g(CTX), chunk(g(LO), g(E), g(C), g(NC)), chunk(g(LO), g(E), m.i32.add(g(C), c(1)), g(NC))),
        m.br("take"),
      ])),
    ])),
    waitIdle("idle1"),
    m.local.set(ERR, slot(CTL.ERR)),
    m.if(m.i32.gt_s(g(ERR), c(0)), m.call(mb.assertFail(), [m.i32.sub(g(ERR), c(1))], binaryen.none)),
    m.if(m.i32.ne(g(ERR), c(0)), m.unreachable()),
  ]));

  // __weft_worker(t): chunks of the published job on thread t's scratch. Locals: 1 lo, 2 e, 3 nc, 4 c.
  const T = 0, WLO = 1, WE = 2, WNC = 3, WC = 4;
  m.addFunction(WORKER_ENTRY, binaryen.createType([I32]), binaryen.none, [I32, I32, I32, I32], m.block(null, [
    m.local.set(WLO, slot(CTL.LO)),
    m.local.set(WE, m.i32.sub(slot(CTL.HI), g(WLO))),
    m.local.set(WNC, slot(CTL.NC)),
    m.loop("take", m.block(null, [
      m.local.set(WC, bump(CTL.NEXT, c(1))),
      m.if(m.i32.lt_s(g(WC), g(WNC)), m.block(null, [
        run(
          slot(CTL.FN),
          m.i32.add(slot(CTL.SP), m.i32.mul(g(T), slot(CTL.TLS))),
          slot(CTL.CTX),
          chunk(g(WLO), g(WE), g(WC), g(WNC)),
          chunk(g(WLO), g(WE), m.i32.add(g(WC), c(1)), g(WNC)),
        ),
        m.br("take"),
      ])),
    ])),
  ]));
  m.addFunctionExport(WORKER_ENTRY, WORKER_ENTRY);
  return { ctl };
}

/** Adds the table of outlined bodies (after every function is generated). */
export function finishParallel(mb: ModuleBuilder): void {
  if (!mb.outlined.length) return;
  mb.m.addTable("weft_par", mb.outlined.length, mb.outlined.length);
  mb.m.addActiveElementSegment("weft_par", "weft_par_elems", mb.outlined, mb.m.i32.const(0));
}

