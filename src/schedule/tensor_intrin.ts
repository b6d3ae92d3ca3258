/**
 * Tensor intrinsics: a description PrimFunc (what a hardware instruction or micro-kernel
 * computes, written as ordinary TIR over small match_buffer'ed tiles) and an implementation
 * PrimFunc (how to compute it: an extern call, vector code, ...). `tensorize` matches a block
 * against the description and substitutes the implementation.
 *
 * Both functions take handle parameters matched to buffers, in the same order, and have one
 * root block whose T.reads / T.writes give each buffer's tile, as TVM's intrinsics do:
 *
 *   @T.prim_func
 *   def desc(a: T.handle, b: T.handle, c: T.handle):
 *       A = T.match_buffer(a, (4, 4), "float32", offset_factor=1)
 *       ...
 *       with T.block("root"):
 *           T.reads(C[0:4, 0:16], A[0:4, 0:4], B[0:4, 0:16])
 *           T.writes(C[0:4, 0:16])
 *           for i, j, k in T.grid(4, 16, 4): ...
 */
import { BufferRegion, type Buffer } from "../ir/buffer.js";
import { BufferLoad, IntImm, Let, Range, Var, type PrimExpr } from "../ir/expr.js";
import { PrimFunc } from "../tir/function.js";
import {
  Allocate, Block, BlockRealize, BufferStore, DeclBuffer, For, IterVar, LetStmt, MatchBufferRegion, type Stmt,
} from "../tir/stmt.js";
import { StmtExprMutator, postOrderVisitStmt } from "../tir/stmt_functor.js";
import { postOrderVisit } from "../ir/expr_functor.js";

/** Registered intrinsics; a function stands for one registered lazily, built on first use. */
const registry = new Map<string, TensorIntrin | (() => TensorIntrin)>();

/**
 * Families of intrinsics named by their shape (e.g. `weft_fma_f32_8x32_k256_extern`): a
 * resolver registers the member a name asks for, so a stored trace naming a shape nobody
 * registered yet in this process still replays.
 */
const resolvers: ((name: string) => void)[] = [];

export class TensorIntrin {
  private constructor(
    readonly name: string,
    readonly desc: PrimFunc,
    readonly impl: PrimFunc,
  ) {}

  /** Checks and registers an intrinsic; a second registration of a name needs `override`. */
  static register(name: string, desc: PrimFunc, impl: PrimFunc, opts: { override?: boolean } = {}): TensorIntrin {
    checkFree(name, opts.override);
    validate(name, desc, impl);
    const t = new TensorIntrin(name, desc, impl);
    registry.set(name, t);
    return t;
  }

  /**
   * Registers an intrinsic whose functions are built (and checked) when it is first used, so
   * that importing a library of intrinsics costs no parsing.
   */
  static registerLazy(name: string, build: () => { desc: PrimFunc; impl: PrimFunc }, opts: { override?: boolean } = {}): void {
    checkFree(name, opts.override);
    registry.set(name, () => {
      const { desc, impl } = build();
      validate(name, desc, impl);
      return new TensorIntrin(name, desc, impl);
    });
  }

  /** The intrinsic registered as `name`; the error lists the known names. */
  static get(name: string): TensorIntrin {
    const t = TensorIntrin.tryGet(name);
    if (!t) {
      const known = TensorIntrin.names();
      throw new Error(`no tensor intrinsic named "${name}" (registered: ${known.length ? known.join(", ") : "none"})`);
    }
    return t;
  }

  /** Adds a resolver for a family of shape-named intrinsics (see `resolvers`). */
  static addResolver(resolve: (name: string) => void): void {
    resolvers.push(resolve);
  }

  static tryGet(name: string): TensorIntrin | undefined {
    if (!registry.has(name)) for (const r of resolvers) if (!registry.has(name)) r(name);
    const t = registry.get(name);
    if (typeof t !== "function") return t;
    const built = t();
    registry.set(name, built);
    return built;
  }

  static names(): string[] {
    return [...registry.keys()].sort();
  }

  /** The root block of the description or implementation. */
  static rootBlock(f: PrimFunc): Block {
    return (f.body as BlockRealize).block;
  }
}

function checkFree(name: string, override: boolean | undefined): void {
  if (registry.has(name) && !override) {
    throw new Error(`TensorIntrin.register: an intrinsic named "${name}" is already registered (pass { override: true } to replace it)`);
  }
}

function validate(name: string, desc: PrimFunc, impl: PrimFunc): void {
  const fail = (msg: string): never => {
    throw new Error(`TensorIntrin.register("${name}"): ${msg}`);
  };
  if (desc.params.length !== impl.params.length) {
    fail(`the description has ${desc.params.length} parameters but the implementation has ${impl.params.length}`);
  }
  for (const [what, f] of [["description", desc], ["implementation", impl]] as const) {
    f.params.forEach((p, i) => {
      if (!p.dtype.isHandle() || !f.bufferMap.has(p)) fail(`parameter ${i} (${p.name}) of the ${what} must be a handle matched to a buffer (T.match_buffer)`);
    });
    if (!(f.body instanceof BlockRealize) || f.body.block.iterVars.length !== 0) {
      fail(`the body of the ${what} must be one root block without iter vars (with T.block("root"): ...)`);
    }
    const root = TensorIntrin.rootBlock(f);
    const inRegions = new Set([...root.reads, ...root.writes].map((r) => r.buffer));
    f.params.forEach((p) => {
      const b = f.bufferMap.get(p)!;
      if (!inRegions.has(b)) fail(`buffer ${b.name} of the ${what} appears in neither T.reads nor T.writes of its root block`);
    });
  }
  desc.params.forEach((p, i) => {
    const d = desc.bufferMap.get(p)!, m = impl.bufferMap.get(impl.params[i]!)!;
    const shape = (b: Buffer) => `(${b.shape.map((x) => (x instanceof IntImm ? x.value : "?")).join(", ")})`;
    if (d.dtype !== m.dtype || shape(d) !== shape(m)) {
      fail(`parameter ${i} is ${d.dtype} ${shape(d)} in the description but ${m.dtype} ${shape(m)} in the implementation`);
    }
  });
  const accessed = new Set<Buffer>();
  const noteLoads = (e: PrimExpr) =>
    postOrderVisit(e, (x) => {
      if (x instanceof BufferLoad) accessed.add(x.buffer);
    });
  postOrderVisitStmt(TensorIntrin.rootBlock(desc).body, (s) => {
    if (!(s instanceof BufferStore)) return;
    accessed.add(s.buffer);
    noteLoads(s.value);
    s.indices.forEach(noteLoads);
  });
  for (const p of desc.params) {
    const b = desc.bufferMap.get(p)!;
    if (!accessed.has(b)) fail(`the description never loads or stores buffer ${b.name}, so tensorize could not tell which buffer of a block it stands for`);
  }
}

/**
 * A copy of `func` in which every variable and buffer it defines is new, so that each
 * tensorized block gets its own match_buffer'ed buffers, stride and offset variables.
 */
export function instantiate(func: PrimFunc): PrimFunc {
  const r = new Renewer();
  const params = func.params.map((p) => r.renew(p));
  const bufferMap = new Map<Var, Buffer>();
  func.params.forEach((p, i) => {
    const b = func.bufferMap.get(p);
    if (b) bufferMap.set(params[i]!, r.buffer(b));
  });
  return func.with({ params, bufferMap, body: r.visitStmt(func.body) });
}

class Renewer extends StmtExprMutator {
  private readonly vars = new Map<Var, Var>();
  private readonly bufs = new Map<Buffer, Buffer>();

  renew(v: Var): Var {
    let n = this.vars.get(v);
    if (!n) {
      n = v.copyWithName(v.name);
      this.vars.set(v, n);
    }
    return n;
  }

  buffer(b: Buffer): Buffer {
    let n = this.bufs.get(b);
    if (n) return n;
    const fresh = (e: PrimExpr): PrimExpr => {
      if (e instanceof Var && !this.vars.has(e)) this.renew(e);
      return this.visitExpr(e);
    };
    n = b.with({ data: this.renew(b.data), shape: b.shape.map(fresh), strides: b.strides.map(fresh), elemOffset: fresh(b.elemOffset) });
    this.bufs.set(b, n);
    return n;
  }

  private region(r: BufferRegion): BufferRegion {
    return new BufferRegion(this.buffer(r.buffer), r.region.map((x) => new Range(this.visitExpr(x.min), this.visitExpr(x.extent))));
  }

  override visitVar(v: Var): PrimExpr {
    return this.vars.get(v) ?? v;
  }

  override visitExpr(e: PrimExpr): PrimExpr {
    if (e instanceof Let) {
      const value = this.visitExpr(e.value);
      return new Let(this.renew(e.variable), value, this.visitExpr(e.body));
    }
    return super.visitExpr(e);
  }

  override visitBufferLoad(e: BufferLoad): PrimExpr {
    return new BufferLoad(this.buffer(e.buffer), this.visitArray(e.indices), e.predicate && this.visitExpr(e.predicate));
  }

  override visitBufferStore(s: BufferStore): Stmt {
    return new BufferStore(this.buffer(s.buffer), this.visitExpr(s.value), this.visitArray(s.indices), s.predicate && this.visitExpr(s.predicate));
  }

  override visitFor(f: For): Stmt {
    const loopVar = this.renew(f.loopVar);
    return f.with({ loopVar, min: this.visitExpr(f.min), extent: this.visitExpr(f.extent), body: this.visitStmt(f.body) });
  }

  override visitStmt(s: Stmt): Stmt {
    if (s instanceof LetStmt) {
      const value = this.visitExpr(s.value);
      return new LetStmt(this.renew(s.variable), value, this.visitStmt(s.body));
    }
    if (s instanceof Allocate) {
      return new Allocate(this.renew(s.bufferVar), s.dtype, this.visitArray(s.extents), this.visitExpr(s.condition), this.visitStmt(s.body), s.annotations);
    }
    if (s instanceof DeclBuffer) return new DeclBuffer(this.buffer(s.buffer), this.visitStmt(s.body));
    return super.visitStmt(s);
  }

  override visitBlock(b: Block): Stmt {
    const iterVars = b.iterVars.map((iv) => new IterVar(this.visitRange(iv.dom), this.renew(iv.variable), iv.iterType, iv.threadTag));
    const allocBuffers = b.allocBuffers.map((x) => this.buffer(x));
    const matchBuffers = b.matchBuffers.map((m) => new MatchBufferRegion(this.buffer(m.buffer), this.region(m.source)));
    return b.with({
      iterVars,
      allocBuffers,
      matchBuffers,
      reads: b.reads.map((r) => this.region(r)),
      writes: b.writes.map((r) => this.region(r)),
      init: b.init && this.visitStmt(b.init),
      body: this.visitStmt(b.body),
    });
  }
}
