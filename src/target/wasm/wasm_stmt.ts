/**
 * Statements of the wasm target: sequences, Evaluate, BufferStore (v128 stores when the vector
 * is contiguous), For / While / thread-extent loops (serial here; wasm_parallel.ts outlines
 * parallel loops when the memory is shared), IfThenElse, LetStmt, AssertStmt, Allocate (static region for constant sizes, a
 * bump of `sp` otherwise) and DeclBuffer. Each statement's hoisted scalars go in a prelude.
 */
import binaryen from "binaryen";
import type { BufferLoad, Call, IntImm, PrimExpr, Ramp, Var } from "../../ir/expr.js";
import type { Op } from "../../ir/op_registry.js";
import type {
  Allocate, AssertStmt, AttrStmt, BufferStore, DeclBuffer, Evaluate, For, IfThenElse, IterVar, LetStmt, SeqStmt, Stmt, While,
} from "../../tir/stmt.js";
import { type Ref, WASM_ALIGN, alignUp, reprOf, simdElem, storageBytes, wasmType } from "./wasm_types.js";

/** Largest allocation (elements) kept in v128 locals (16 v128 registers on x86-64). */
const REG_MAX = 64;
import { shortName } from "./wasm_expr.js";
import { SimdCodegen } from "./wasm_simd.js";

/** Statements, loops and allocations. */
export abstract class StmtCodegen extends SimdCodegen {
  protected labels = 0;
  /** Constant-size temporaries come from `sp` (a thread's own scratch) instead of the static region. */
  protected threadLocalAllocs = false;
  private tlsCur = 0;
  /** Most scratch bytes the thread-local temporaries take at once. */
  protected tlsMax = 0;

  // ---- statements ---------------------------------------------------------------------------

  /** Compiles `f` with a fresh statement prelude; returns the prelude followed by f's statements. */
  protected withPre(f: () => Ref[]): Ref {
    const outer = this.pre, outerMemo = this.memo;
    this.pre = [];
    this.memo = new Map();
    const r = f();
    const all = [...this.pre, ...r];
    this.pre = outer;
    this.memo = outerMemo;
    return all.length === 1 ? all[0]! : this.m.block(null, all, binaryen.none);
  }

  protected seq(xs: Ref[]): Ref {
    return xs.length === 0 ? this.m.nop() : xs.length === 1 ? xs[0]! : this.m.block(null, xs, binaryen.none);
  }

  protected stmt(s: Stmt): Ref {
    const m = this.m;
    switch (s.kind) {
      case "SeqStmt":
        return this.seq((s as SeqStmt).seq.map((x) => this.stmt(x)));
      case "Evaluate":
        return this.evaluate(s as Evaluate);
      case "BufferStore":
        return this.store(s as BufferStore);
      case "For":
        return this.forLoop(s as For);
      case "While": {
        const w = s as While;
        const brk = `w${this.labels++}`, cont = `c${this.labels++}`;
        const cond = this.withPre(() => [m.br(brk, m.i32.eqz(this.scalar(w.condition, "while condition")))]);
        return m.block(brk, [m.loop(cont, m.block(null, [cond, this.stmt(w.body), m.br(cont)]))]);
      }
      case "IfThenElse": {
        const i = s as IfThenElse;
        let out: Ref | undefined;
        const pre = this.withPre(() => {
          const c = this.scalar(i.condition, "condition of an if statement");
          out = m.if(c, this.stmt(i.thenCase), i.elseCase ? this.stmt(i.elseCase) : undefined);
          return [out];
        });
        return pre;
      }
      case "LetStmt": {
        const l = s as LetStmt;
        const bind = this.letBinding(l.variable, l.value);
        return this.seq([bind, this.stmt(l.body)]);
      }
      case "AttrStmt":
        return this.attr(s as AttrStmt);
      case "AssertStmt": {
        const a = s as AssertStmt;
        const id = this.mb.messages.length;
        this.mb.messages.push(`${this.fname}: ${a.message.value}`);
        const check = this.withPre(() => [
          m.if(m.i32.eqz(this.scalar(a.condition, "condition of an assert")), m.block(null, [m.call(this.mb.assertFail(), [m.i32.const(id)], binaryen.none), m.unreachable()])),
        ]);
        return this.seq([check, this.stmt(a.body)]);
      }
      case "Allocate":
        return this.allocate(s as Allocate);
      case "DeclBuffer": {
        const d = s as DeclBuffer;
        if (!this.bufAddr.has(d.buffer.data) && !this.regBufs.has(d.buffer.data)) this.fail(`DeclBuffer ${d.buffer.name}: its data var ${d.buffer.data.name} is not defined here`);
        return this.stmt(d.body);
      }
      case "Block":
      case "BlockRealize":
        this.fail("found a block; the wasm target expects a lowered PrimFunc (no blocks): run lower() first (build does)");
      default:
        this.fail(`cannot generate code for statements of kind ${s.kind}`);
    }
  }

  protected letBinding(v: Var, value: PrimExpr): Ref {
    const m = this.m;
    if (v.dtype.isHandle()) {
      if (value.kind !== "Var" || !this.bufAddr.has(value as Var)) this.fail(`let ${v.name}: only handle variables can be bound to handles`);
      this.bufAddr.set(v, this.bufAddr.get(value as Var)!);
      return m.nop();
    }
    return this.withPre(() => this.bindValue(v, value));
  }

  /** Sets locals for `v` = `value` (inside a prelude); returns the set instructions. */
  protected override bindValue(v: Var, value: PrimExpr): Ref[] {
    const m = this.m;
    const lanes = v.dtype.lanes;
    const r = reprOf(v.dtype);
    if (lanes === 1) {
      const x = this.expr(value);
      const index = this.newLocal(wasmType(r));
      this.names.set(v, { kind: "local", index, repr: r });
      return [m.local.set(index, x)];
    }
    if (this.vectorizable(value)) {
      const chunks = lanes / 4;
      const xs = Array.from({ length: chunks }, (_, c) => this.vexpr(value, c));
      const locals = xs.map(() => this.newLocal(binaryen.v128));
      this.names.set(v, { kind: "v128", locals });
      return xs.map((x, c) => m.local.set(locals[c]!, x));
    }
    const xs = Array.from({ length: lanes }, (_, l) => this.expr(value, l));
    const locals = xs.map(() => this.newLocal(wasmType(r)));
    this.names.set(v, { kind: "lanes", locals, repr: r });
    return xs.map((x, l) => m.local.set(locals[l]!, x));
  }

  protected evaluate(e: Evaluate): Ref {
    const m = this.m;
    const v = e.value;
    if (v.kind === "IntImm" || v.kind === "FloatImm" || v.kind === "StringImm") return m.nop();
    if (v.kind === "Call" && (v as Call).op.kind === "Op") {
      const c = v as Call;
      const op = shortName(c.op as Op);
      if (op === "ret") return this.withPre(() => [m.return(this.expr(c.args[0]!))]);
      if (op === "assume" || op === "likely") return m.nop();
    }
    if (v.dtype.isHandle() || v.dtype.bits === 0) this.fail(`cannot evaluate ${v.kind} of dtype ${v.dtype}`);
    return this.withPre(() => Array.from({ length: v.dtype.lanes }, (_, l) => m.drop(this.expr(v, v.dtype.lanes > 1 ? l : undefined))));
  }

  protected forLoop(l: For): Ref {
    const m = this.m;
    const t = l.loopVar.dtype;
    const r = reprOf(t);
    const iv = this.newLocal(wasmType(r)), end = this.newLocal(wasmType(r));
    const init = this.withPre(() => {
      const lo = this.scalar(l.min, `min of loop ${l.loopVar.name}`);
      const ext = this.scalar(l.extent, `extent of loop ${l.loopVar.name}`);
      return [m.local.set(iv, lo), m.local.set(end, this.arith("Add", t, this.get(iv), ext))];
    });
    this.names.set(l.loopVar, { kind: "local", index: iv, repr: r });
    let stepRef: Ref | undefined;
    let stepInit: Ref = m.nop();
    if (l.step && !(l.step.kind === "IntImm" && (l.step as IntImm).value === 1)) {
      const st = this.newLocal(wasmType(r));
      stepInit = this.withPre(() => [m.local.set(st, this.scalar(l.step!, `step of loop ${l.loopVar.name}`))]);
      stepRef = this.get(st);
    }
    const brk = `b${this.labels++}`, cont = `l${this.labels++}`;
    const body = this.stmt(l.body);
    const one = r === "i32" ? m.i32.const(1) : m.f64.const(1);
    const lt = (): Ref => this.compare("LT", t, this.get(iv), this.get(end));
    return m.block(null, [
      init,
      stepInit,
      m.block(brk, [
        m.br(brk, this.not(lt())),
        m.loop(cont, m.block(null, [
          body,
          m.local.set(iv, this.arith("Add", t, this.get(iv), stepRef ?? one)),
          m.br(cont, lt()),
        ])),
      ]),
    ]);
  }

  protected not(b: Ref): Ref {
    return this.m.i32.eqz(b);
  }

  protected attr(a: AttrStmt): Ref {
    const node = a.node;
    if ((a.attrKey === "thread_extent" || a.attrKey === "virtual_thread") && typeof node === "object" && node.kind === "IterVar") {
      const iv = (node as IterVar).variable;
      if (this.names.has(iv)) return this.stmt(a.body);
      const m = this.m;
      const i = this.newLocal(binaryen.i32), n = this.newLocal(binaryen.i32);
      const init = this.withPre(() => [m.local.set(i, m.i32.const(0)), m.local.set(n, this.scalar(a.value, `${a.attrKey} of ${iv.name}`))]);
      this.names.set(iv, { kind: "local", index: i, repr: "i32" });
      const brk = `b${this.labels++}`, cont = `l${this.labels++}`;
      return m.block(null, [
        init,
        m.block(brk, [
          m.br(brk, m.i32.ge_s(this.get(i), this.get(n))),
          m.loop(cont, m.block(null, [this.stmt(a.body), m.local.set(i, m.i32.add(this.get(i), m.i32.const(1))), m.br(cont, m.i32.lt_s(this.get(i), this.get(n)))])),
        ]),
      ]);
    }
    return this.stmt(a.body);
  }

  /**
   * Whether the allocation can live in v128 locals: float32 / int32, constant size (at most
   * REG_MAX elements), and every use of its data var in `a.body` a load or store at
   * one constant index or a unit-stride constant ramp inside the allocation, without predicate.
   */
  protected promotable(a: Allocate): "f32" | "i32" | undefined {
    if (!this.simd || a.dtype.lanes !== 1 || !a.extents.every((e) => e.kind === "IntImm")) return undefined;
    const k = simdElem(a.dtype);
    if (k !== "f32" && k !== "i32") return undefined;
    const n = a.extents.reduce((acc, e) => acc * (e as IntImm).value, 1);
    if (n > REG_MAX) return undefined;
    const v = a.bufferVar;
    const okIndex = (idx: PrimExpr): boolean => {
      if (idx.kind === "IntImm") {
        const i = (idx as IntImm).value;
        return i >= 0 && i < n;
      }
      if (idx.kind !== "Ramp") return false;
      const r = idx as Ramp;
      if (r.base.kind !== "IntImm" || r.stride.kind !== "IntImm" || (r.stride as IntImm).value !== 1) return false;
      const b = (r.base as IntImm).value;
      return b >= 0 && b + r.lanes <= n;
    };
    let ok = true;
    const seen = new Set<unknown>();
    const visit = (x: unknown): void => {
      if (!ok || typeof x !== "object" || x === null || seen.has(x)) return;
      seen.add(x);
      if (Array.isArray(x)) {
        x.forEach(visit);
        return;
      }
      const node = x as { kind?: unknown };
      if (typeof node.kind !== "string") return;
      if (x === v) {
        ok = false;
        return;
      }
      if (node.kind === "BufferLoad" || node.kind === "BufferStore") {
        const acc = x as unknown as BufferLoad;
        if (acc.buffer.data === v) {
          const b = acc.buffer;
          if (acc.predicate || acc.indices.length !== 1 || b.dtype.lanes !== 1 || simdElem(b.dtype) !== k || !okIndex(acc.indices[0]!)) {
            ok = false;
            return;
          }
          const eo = b.elemOffset;
          if (!(eo.kind === "IntImm" && (eo as IntImm).value === 0)) {
            ok = false;
            return;
          }
        }
      }
      for (const [key, y] of Object.entries(x)) {
        if (key === "dtype" || key === "buffer") continue;
        visit(y);
      }
    };
    visit(a.body);
    return ok ? k : undefined;
  }

  protected allocate(a: Allocate): Ref {
    const m = this.m;
    const rk = this.promotable(a);
    if (rk) {
      const n = a.extents.reduce((acc, e) => acc * (e as IntImm).value, 1);
      const locals = Array.from({ length: Math.ceil(n / 4) }, () => this.newLocal(binaryen.v128));
      this.regBufs.set(a.bufferVar, { locals, k: rk });
      const zero = new Uint8Array(16);
      return m.block(null, [...locals.map((l) => m.local.set(l, m.v128.const(zero))), this.stmt(a.body)]);
    }
    const laneBytes = storageBytes(a.dtype) * a.dtype.lanes;
    const addr = this.newLocal(binaryen.i32);
    this.bufAddr.set(a.bufferVar, addr);
    if (a.extents.every((e) => e.kind === "IntImm")) {
      const n = a.extents.reduce((acc, e) => acc * (e as IntImm).value, 1);
      if (this.threadLocalAllocs) {
        // The caller reserved tlsMax bytes from sp for this thread.
        const bytes = alignUp(Math.max(n * laneBytes, 1));
        this.tlsCur += bytes;
        this.tlsMax = Math.max(this.tlsMax, this.tlsCur);
        const body = this.stmt(a.body);
        this.tlsCur -= bytes;
        const sp = this.spLocal;
        return m.block(null, [m.local.set(addr, this.get(sp)), m.local.set(sp, m.i32.add(this.get(sp), m.i32.const(bytes))), body, m.local.set(sp, this.get(addr))]);
      }
      const at = this.mb.staticAlloc(n * laneBytes);
      return m.block(null, [m.local.set(addr, m.i32.const(at)), this.stmt(a.body)]);
    }
    // Dynamic size: bump `sp`, growing the memory when needed; restore `sp` after the body.
    const saved = this.newLocal(binaryen.i32), bytes = this.newLocal(binaryen.i32);
    const setup = this.withPre(() => {
      let size: Ref = m.i32.const(laneBytes);
      for (const e of a.extents) size = m.i32.mul(size, this.toI32(this.scalar(e, `extent of allocation ${a.bufferVar.name}`), e.dtype));
      return [m.local.set(bytes, m.i32.and(m.i32.add(size, m.i32.const(WASM_ALIGN - 1)), m.i32.const(-WASM_ALIGN)))];
    });
    const sp = (): Ref => this.get(this.spLocal);
    const need = m.i32.add(sp(), this.get(bytes));
    const have = m.i32.mul(m.memory.size(), m.i32.const(65536));
    const pagesShort = m.i32.shr_u(m.i32.add(m.i32.sub(m.i32.add(sp(), this.get(bytes)), m.i32.mul(m.memory.size(), m.i32.const(65536))), m.i32.const(65535)), m.i32.const(16));
    const grow = m.if(m.i32.gt_u(need, have), m.if(m.i32.eq(m.memory.grow(pagesShort), m.i32.const(-1)), m.unreachable()));
    return m.block(null, [
      setup,
      grow,
      m.local.set(addr, sp()),
      m.local.set(saved, sp()),
      m.local.set(this.spLocal, m.i32.add(sp(), this.get(bytes))),
      this.stmt(a.body),
      m.local.set(this.spLocal, this.get(saved)),
    ]);
  }

  /** A store into a register-promoted buffer: every value first, then the v128 local updates. */
  protected regStore(rb: { locals: number[]; k: "f32" | "i32" }, s: BufferStore, total: number): Ref[] {
    const m = this.m;
    const idx = s.indices[0]!;
    const first = this.regIndex(idx, 0);
    if (total === 1) {
      const i = first;
      const x = this.expr(s.value);
      const loc = rb.locals[i >> 2]!;
      const upd = rb.k === "f32" ? m.f32x4.replace_lane(this.get(loc), i & 3, x) : m.i32x4.replace_lane(this.get(loc), i & 3, x);
      return [m.local.set(loc, upd)];
    }
    const vec = this.vectorizable(s.value);
    if (first % 4 === 0 && total % 4 === 0) {
      const tmps: number[] = [];
      const out: Ref[] = [];
      for (let c = 0; c < total / 4; c++) {
        const t = this.newLocal(binaryen.v128);
        out.push(m.local.set(t, vec ? this.vexpr(s.value, c) : this.gather(s.value, c)));
        tmps.push(t);
      }
      tmps.forEach((t, c) => out.push(m.local.set(rb.locals[(first >> 2) + c]!, this.get(t))));
      return out;
    }
    const r = reprOf(s.buffer.dtype);
    const vals: number[] = [];
    const out: Ref[] = [];
    for (let l = 0; l < total; l++) {
      const t = this.newLocal(wasmType(r));
      out.push(m.local.set(t, this.expr(s.value, l)));
      vals.push(t);
    }
    vals.forEach((t, l) => {
      const i = first + l;
      const loc = rb.locals[i >> 2]!;
      const upd = rb.k === "f32" ? m.f32x4.replace_lane(this.get(loc), i & 3, this.get(t)) : m.i32x4.replace_lane(this.get(loc), i & 3, this.get(t));
      out.push(m.local.set(loc, upd));
    });
    return out;
  }

  protected store(s: BufferStore): Ref {
    const m = this.m;
    const b = s.buffer;
    const idxLanes = Math.max(1, ...s.indices.map((i) => i.dtype.lanes));
    const bl = b.dtype.lanes;
    const total = idxLanes * bl;
    const rb = this.regBufs.get(b.data);
    if (rb) return this.withPre(() => this.regStore(rb, s, total));
    return this.withPre(() => {
      if (total === 1 && !s.predicate) {
        const { addr, off } = this.addressOff(b, s.indices, 0, 0);
        return [this.storeLane(b, addr, this.expr(s.value), off)];
      }
      const vec = this.contiguousVector(b, s.indices, total);
      if (vec && !s.predicate && this.vectorizable(s.value)) {
        const out: Ref[] = [];
        for (let c = 0; c < total / 4; c++) {
          const { addr, off } = this.vecAddress(b, vec, c);
          out.push(m.v128.store(off, 16, addr, this.vexpr(s.value, c)));
        }
        return out;
      }
      // Lane by lane: every value first (they may read the buffer being stored to), then stores.
      const vals: number[] = [];
      const out: Ref[] = [];
      const r = reprOf(b.dtype);
      for (let k = 0; k < total; k++) {
        const t = this.newLocal(wasmType(r));
        out.push(m.local.set(t, this.expr(s.value, total > 1 ? k : undefined)));
        vals.push(t);
      }
      for (let k = 0; k < total; k++) {
        const l = Math.floor(k / bl), kk = k % bl;
        const st = this.storeLane(b, this.address(b, s.indices, l, kk), this.get(vals[k]!));
        const pred = this.predicateLane(s.predicate, l, k, idxLanes, total);
        out.push(pred ? m.if(pred, st) : st);
      }
      return out;
    });
  }
}
