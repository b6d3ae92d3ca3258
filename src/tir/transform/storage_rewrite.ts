/**
 * StorageRewrite: lets temporaries whose lifetimes do not overlap share memory.
 *
 * A conservative take on TVM's StorageRewrite, for lowered code (flat buffers, no blocks):
 * 1. Liveness. The body is numbered in execution order. An access to a temporary at time t
 *    makes it live at t; an access inside a loop that does not contain the temporary's
 *    Allocate makes it live over the whole loop (its value may flow between iterations).
 *    Each temporary gets the interval [first, last] of its accesses.
 * 2. Candidates: Allocates with constant extents and a true condition, no annotations, not
 *    under a parallel / thread_binding loop or a thread_extent / virtual_thread attribute (each
 *    thread needs its own copy), whose data var is used only through buffers of the
 *    allocation's dtype with no strides and offset 0 (a var passed to a call or an attribute
 *    escapes, and the temporary is left alone).
 * 3. Planning, in order of first use: a temporary reuses the storage of an earlier one with the
 *    same dtype and scope whose interval ended strictly before it starts; the shared storage
 *    has the largest size of its users.
 * 4. Rewriting: the Allocates of candidates are removed and one Allocate per storage is
 *    placed at the top of the function (named after its first user); buffers of the other
 *    users are re-pointed at it (DeclBuffers and every load and store).
 * When no two temporaries share storage the function is returned unchanged. Symbolic sizes
 * keep their own allocations. The contents of reused storage are whatever the previous user
 * left (they are undefined in a fresh allocation too).
 */
import { Buffer } from "../../ir/buffer.js";
import { BufferLoad, IntImm, Var, type PrimExpr } from "../../ir/expr.js";
import { int32 } from "../../ir/dtype.js";
import type { PrimFunc } from "../function.js";
import { Allocate, AttrStmt, BufferStore, DeclBuffer, For, type Stmt } from "../stmt.js";
import { StmtExprMutator, StmtExprVisitor } from "../stmt_functor.js";
import { primFuncPass, type Pass } from "./pass.js";

interface Temp {
  readonly alloc: Allocate;
  readonly depth: number;
  readonly size: number;
  readonly key: string;
  first: number;
  last: number;
  ok: boolean;
}

interface Loop {
  readonly start: number;
  readonly touched: Set<Temp>;
}

const THREAD_ATTRS = new Set(["thread_extent", "virtual_thread"]);

function constSize(a: Allocate): number | undefined {
  let n = 1;
  for (const e of a.extents) {
    if (!(e instanceof IntImm)) return undefined;
    n *= e.value;
  }
  return n;
}

/** Numbers the body, finds the candidates and their live intervals. */
class Liveness extends StmtExprVisitor {
  readonly temps = new Map<Var, Temp>();
  readonly order: Temp[] = [];
  private time = 0;
  private readonly loops: Loop[] = [];
  private threadDepth = 0;

  override visitStmt(s: Stmt): void {
    this.time++;
    switch (s.kind) {
      case "Allocate": {
        const a = s as Allocate;
        const size = constSize(a);
        const condTrue = a.condition instanceof IntImm && a.condition.value === 1;
        const t: Temp = {
          alloc: a,
          depth: this.loops.length,
          size: size ?? 0,
          key: `${a.dtype}|${a.bufferVar.typeAnnotation?.storageScope ?? "global"}`,
          first: Infinity,
          last: -Infinity,
          ok: condTrue && size !== undefined && Object.keys(a.annotations).length === 0 && this.threadDepth === 0,
        };
        this.temps.set(a.bufferVar, t);
        this.order.push(t);
        return super.visitStmt(s);
      }
      case "DeclBuffer":
        this.checkBuffer((s as DeclBuffer).buffer);
        return super.visitStmt(s);
      case "AttrStmt": {
        const a = s as AttrStmt;
        if (a.node instanceof Var) this.escape(a.node);
        if (THREAD_ATTRS.has(a.attrKey)) return this.inThread(() => super.visitStmt(s));
        return super.visitStmt(s);
      }
      case "For":
      case "While": {
        const loop: Loop = { start: this.time, touched: new Set() };
        this.loops.push(loop);
        const threaded = s instanceof For && (s.forKind === "parallel" || s.forKind === "thread_binding");
        if (threaded) this.inThread(() => super.visitStmt(s));
        else super.visitStmt(s);
        this.loops.pop();
        this.time++;
        for (const t of loop.touched) t.last = Math.max(t.last, this.time);
        return;
      }
      case "Block":
      case "BlockRealize":
        throw new Error("expected lowered code without blocks (run LowerOpaqueBlock first)");
      default:
        return super.visitStmt(s);
    }
  }

  private inThread(f: () => void): void {
    this.threadDepth++;
    f();
    this.threadDepth--;
  }

  override visitVar(v: Var): void {
    this.escape(v);
  }

  private escape(v: Var): void {
    const t = this.temps.get(v);
    if (t) t.ok = false;
  }

  private checkBuffer(b: Buffer): Temp | undefined {
    const t = this.temps.get(b.data);
    if (!t) return undefined;
    const offsetZero = b.elemOffset instanceof IntImm && b.elemOffset.value === 0;
    if (b.dtype !== t.alloc.dtype || b.strides.length !== 0 || !offsetZero) t.ok = false;
    return t;
  }

  private access(b: Buffer): void {
    const t = this.checkBuffer(b);
    if (!t) return;
    if (this.loops.length > t.depth) {
      const loop = this.loops[t.depth]!;
      t.first = Math.min(t.first, loop.start);
      loop.touched.add(t);
    } else {
      t.first = Math.min(t.first, this.time);
      t.last = Math.max(t.last, this.time);
    }
  }

  override visitBufferLoad(e: BufferLoad): void {
    this.access(e.buffer);
    super.visitBufferLoad(e);
  }

  override visitBufferStore(s: BufferStore): void {
    this.access(s.buffer);
    super.visitBufferStore(s);
  }
}

interface Storage {
  readonly owner: Allocate;
  size: number;
  last: number;
  users: number;
}

class Rewriter extends StmtExprMutator {
  private readonly buffers = new Map<Buffer, Buffer>();
  constructor(
    private readonly removed: ReadonlySet<Allocate>,
    private readonly dataMap: ReadonlyMap<Var, Var>,
  ) {
    super();
  }
  private remap(b: Buffer): Buffer {
    const v = this.dataMap.get(b.data);
    if (!v) return b;
    let nb = this.buffers.get(b);
    if (!nb) {
      nb = b.with({ data: v });
      this.buffers.set(b, nb);
    }
    return nb;
  }
  override visitStmt(s: Stmt): Stmt {
    if (s instanceof Allocate && this.removed.has(s)) return this.visitStmt(s.body);
    if (s instanceof DeclBuffer) {
      const body = this.visitStmt(s.body);
      const b = this.remap(s.buffer);
      return body === s.body && b === s.buffer ? s : new DeclBuffer(b, body);
    }
    return super.visitStmt(s);
  }
  override visitBufferLoad(e: BufferLoad): PrimExpr {
    const r = super.visitBufferLoad(e) as BufferLoad;
    const b = this.remap(r.buffer);
    return b === r.buffer ? r : new BufferLoad(b, r.indices, r.predicate);
  }
  override visitBufferStore(s: BufferStore): Stmt {
    const r = super.visitBufferStore(s) as BufferStore;
    const b = this.remap(r.buffer);
    return b === r.buffer ? r : new BufferStore(b, r.value, r.indices, r.predicate);
  }
}

export function storageRewriteFunc(func: PrimFunc): PrimFunc {
  const live = new Liveness();
  live.visitStmt(func.body);
  const cands = live.order.filter((t) => t.ok && t.first !== Infinity);
  cands.sort((a, b) => a.first - b.first);
  const free = new Map<string, Storage[]>();
  const storages: Storage[] = [];
  const dataMap = new Map<Var, Var>();
  let shared = false;
  for (const t of cands) {
    const list = free.get(t.key) ?? [];
    free.set(t.key, list);
    const s = list.find((x) => x.last < t.first);
    if (s) {
      s.size = Math.max(s.size, t.size);
      s.last = t.last;
      s.users++;
      dataMap.set(t.alloc.bufferVar, s.owner.bufferVar);
      shared = true;
    } else {
      const ns: Storage = { owner: t.alloc, size: t.size, last: t.last, users: 1 };
      list.push(ns);
      storages.push(ns);
    }
  }
  if (!shared) return func;
  const removed = new Set(cands.map((t) => t.alloc));
  let body = new Rewriter(removed, dataMap).visitStmt(func.body);
  for (let i = storages.length - 1; i >= 0; i--) {
    const s = storages[i]!;
    const a = s.owner;
    const ext = new IntImm(a.extents[0]?.dtype ?? int32, s.size);
    body = new Allocate(a.bufferVar, a.dtype, [ext], a.condition, body, a.annotations);
  }
  return func.withBody(body);
}

export const StorageRewrite: Pass = primFuncPass("StorageRewrite", (func) => storageRewriteFunc(func));
