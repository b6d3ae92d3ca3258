/**
 * Read / write regions of a block, as TVMScript fills them in when `T.reads` / `T.writes` are
 * omitted. The block body (and init) is walked once; every BufferLoad / BufferStore adds the
 * region its indices cover, with block iteration variables kept symbolic and variables of
 * loops inside the block relaxed over their ranges. A nested block contributes its own
 * declared regions (computed recursively when it declares none), relaxed over its bindings.
 */
import { Buffer, BufferRegion } from "../ir/buffer.js";
import { Call, IntImm, PrimExpr, Range, Var, type BufferLoad } from "../ir/expr.js";
import * as ops from "../ir/expr_ops.js";
import { substitute, usesVar } from "../ir/expr_functor.js";
import { Op } from "../ir/op_registry.js";
import { Analyzer } from "../arith/analyzer.js";
import { IntervalSet, NEG_INF, POS_INF, evalSet, evalSetRange, intersect, union, type IntSet } from "../arith/int_set.js";
import { fromLinearForm, linearForm } from "../arith/linear_facts.js";
import {
  Allocate, Block, BlockRealize, BufferStore, DeclBuffer, For, IfThenElse, LetStmt, MatchBufferRegion, type Stmt,
} from "./stmt.js";
import { StmtExprVisitor } from "./stmt_functor.js";

export interface BlockAccessRegion {
  readonly reads: BufferRegion[];
  readonly writes: BufferRegion[];
  /** Buffers reached other than through loads and stores (their data pointer is used). */
  readonly opaque: BufferRegion[];
}

export interface BlockAccessOptions {
  analyzer?: Analyzer;
  /** Data variable -> buffer, to recognise opaque uses of buffers never loaded or stored. */
  bufferVarMap?: ReadonlyMap<Var, Buffer>;
}

/** Reads, writes and opaque accesses of a block, each buffer listed once in first-visit order. */
export function getBlockAccessRegion(block: Block, opts: BlockAccessOptions = {}): BlockAccessRegion {
  const d = new AccessDetector(block, opts.analyzer ?? new Analyzer(), opts.bufferVarMap);
  if (block.init) d.visitStmt(block.init);
  d.visitStmt(block.body);
  return d.result();
}

/**
 * What T.reads / T.writes default to: opaque accesses count as both, and a reduction block
 * (one with an init) does not list the buffers it writes among its reads.
 */
export function getBlockReadWriteRegion(
  block: Block,
  analyzer?: Analyzer,
  bufferVarMap?: ReadonlyMap<Var, Buffer>,
): { reads: BufferRegion[]; writes: BufferRegion[] } {
  const acc = getBlockAccessRegion(block, { analyzer, bufferVarMap });
  const opaque = new Set(acc.opaque.map((r) => r.buffer));
  const writes = acc.writes.filter((r) => !opaque.has(r.buffer));
  const written = new Set(block.init ? writes.map((r) => r.buffer) : []);
  const reads = acc.reads.filter((r) => !opaque.has(r.buffer) && !written.has(r.buffer));
  return { reads: [...reads, ...acc.opaque], writes: [...writes, ...acc.opaque] };
}

const ifThenElseOp = Op.get("tir.if_then_else");

type Cmp = "<" | "<=" | "==";
interface Comparison {
  readonly lhs: PrimExpr;
  readonly rhs: PrimExpr;
  readonly op: Cmp;
}

class AccessDetector extends StmtExprVisitor {
  /** Relaxed variables: loops inside the block, let-bound values, narrowed by conditions. */
  private readonly dom = new Map<Var, IntSet>();
  private readonly reads = new Map<Buffer, IntSet[]>();
  private readonly writes = new Map<Buffer, IntSet[]>();
  private readonly opaqueVars: Var[] = [];
  private readonly local = new Set<Buffer>();
  private readonly localData = new Set<Var>();
  private readonly matched = new Map<Buffer, MatchBufferRegion>();
  private readonly dataToBuffer = new Map<Var, Buffer>();

  constructor(
    private readonly block: Block,
    private readonly analyzer: Analyzer,
    bufferVarMap: ReadonlyMap<Var, Buffer> | undefined,
  ) {
    super();
    if (bufferVarMap) for (const [v, b] of bufferVarMap) this.dataToBuffer.set(v, b);
    for (const b of block.allocBuffers) this.local.add(b);
    for (const m of block.matchBuffers) {
      this.matched.set(m.buffer, m);
      this.dataToBuffer.set(m.buffer.data, m.buffer);
    }
  }

  // ------------------------------------------------------------ statements

  override visitFor(f: For): void {
    this.visitExpr(f.min);
    this.visitExpr(f.extent);
    const saved = this.dom.get(f.loopVar);
    this.dom.set(f.loopVar, IntervalSet.fromMinExtent(f.min, f.extent));
    this.visitStmt(f.body);
    this.restore(f.loopVar, saved);
  }

  override visitStmt(s: Stmt): void {
    switch (s.kind) {
      case "LetStmt": {
        const l = s as LetStmt;
        this.visitExpr(l.value);
        const saved = this.dom.get(l.variable);
        this.dom.set(l.variable, evalSet(l.value, this.dom, this.analyzer));
        this.visitStmt(l.body);
        return this.restore(l.variable, saved);
      }
      case "IfThenElse": {
        const i = s as IfThenElse;
        this.visitExpr(i.condition);
        this.underCondition(i.condition, false, () => this.visitStmt(i.thenCase));
        if (i.elseCase) this.underCondition(i.condition, true, () => this.visitStmt(i.elseCase!));
        return;
      }
      case "DeclBuffer":
        this.local.add((s as DeclBuffer).buffer);
        return super.visitStmt(s);
      case "Allocate":
        this.localData.add((s as Allocate).bufferVar);
        return super.visitStmt(s);
      default:
        return super.visitStmt(s);
    }
  }

  override visitBufferStore(s: BufferStore): void {
    this.record(this.writes, s.buffer, s.indices);
    super.visitBufferStore(s);
  }

  override visitBlockRealize(r: BlockRealize): void {
    for (const v of r.iterValues) this.visitExpr(v);
    this.visitExpr(r.predicate);
    const inner = r.block;
    for (const b of inner.allocBuffers) this.local.add(b);
    let reads = inner.reads, writes = inner.writes;
    if (reads.length === 0 && writes.length === 0) {
      // What the inner block's T.reads / T.writes would be if they were filled in.
      ({ reads, writes } = getBlockReadWriteRegion(inner, this.analyzer, this.dataToBuffer));
    }
    const vmap = new Map<Var, PrimExpr>();
    inner.iterVars.forEach((iv, i) => vmap.set(iv.variable, r.iterValues[i]!));
    const relax = (region: BufferRegion) =>
      region.region.map((rg) => {
        const m = substitute(rg.min, vmap), e = substitute(rg.extent, vmap);
        return evalSetRange(m === rg.min && e === rg.extent ? rg : new Range(m, e), this.dom, this.analyzer);
      });
    for (const rd of reads) this.merge(this.reads, rd.buffer, relax(rd));
    for (const wr of writes) this.merge(this.writes, wr.buffer, relax(wr));
  }

  override visitBlock(b: Block): void {
    throw new Error(`getBlockReadWriteRegion: block "${b.nameHint}" appears without a BlockRealize inside block "${this.block.nameHint}"`);
  }

  // ------------------------------------------------------------ expressions

  override visitExpr(e: PrimExpr): void {
    if (e instanceof Call && e.op === ifThenElseOp) {
      const [c, t, f] = e.args as [PrimExpr, PrimExpr, PrimExpr];
      this.visitExpr(c);
      this.underCondition(c, false, () => this.visitExpr(t));
      this.underCondition(c, true, () => this.visitExpr(f));
      return;
    }
    super.visitExpr(e);
  }

  override visitBufferLoad(e: BufferLoad): void {
    this.record(this.reads, e.buffer, e.indices);
    super.visitBufferLoad(e);
  }

  override visitVar(v: Var): void {
    if (v.dtype.isHandle()) this.opaqueVars.push(v);
  }

  // ------------------------------------------------------------ regions

  private record(into: Map<Buffer, IntSet[]>, buffer: Buffer, indices: readonly PrimExpr[]): void {
    this.dataToBuffer.set(buffer.data, buffer);
    this.merge(into, buffer, indices.map((i) => evalSet(i, this.dom, this.analyzer)));
  }

  private merge(into: Map<Buffer, IntSet[]>, buffer: Buffer, sets: IntSet[]): void {
    const m = this.matched.get(buffer);
    if (m) {
      buffer = m.source.buffer;
      sets = matchedToSource(m, sets);
    }
    const prev = into.get(buffer);
    if (!prev) {
      into.set(buffer, sets);
      return;
    }
    for (let i = 0; i < prev.length; i++) prev[i] = union(prev[i]!, sets[i]!, this.analyzer);
  }

  private isLocal(b: Buffer): boolean {
    return this.local.has(b) || this.localData.has(b.data);
  }

  private toRegions(m: Map<Buffer, IntSet[]>): BufferRegion[] {
    const out: BufferRegion[] = [];
    for (const [buf, sets] of m) {
      if (this.isLocal(buf)) continue;
      // A bounded, non-empty set needs no fallback bound (coverRange would just call toRange),
      // so the buffer-dimension Range is only built when it is used.
      const an = this.analyzer;
      out.push(new BufferRegion(buf, sets.map((s, i) =>
        s.hasLowerBound() && s.hasUpperBound() && !s.isNothing()
          ? s.toRange(an)
          : s.coverRange(Range.fromExtent(buf.shape[i]!), an))));
    }
    return out;
  }

  result(): BlockAccessRegion {
    const opaque: BufferRegion[] = [];
    const seen = new Set<Buffer>();
    for (const v of this.opaqueVars) {
      const b = this.dataToBuffer.get(v);
      if (!b || seen.has(b) || this.isLocal(b)) continue;
      seen.add(b);
      const m = this.matched.get(b);
      opaque.push(m ? m.source : b.fullRegion());
    }
    return { reads: this.toRegions(this.reads), writes: this.toRegions(this.writes), opaque };
  }

  private restore(v: Var, saved: IntSet | undefined): void {
    if (saved) this.dom.set(v, saved);
    else this.dom.delete(v);
  }

  // ------------------------------------------------------------ conditions

  /** Runs `f` with the relaxed variables narrowed by what `cond` (or its negation) implies. */
  private underCondition(cond: PrimExpr, negate: boolean, f: () => void): void {
    const saved: [Var, IntSet | undefined][] = [];
    if (this.dom.size > 0 && usesVar(cond, (v) => this.dom.has(v))) {
      for (const c of comparisons(cond, negate)) {
        for (const [v, s] of this.deduce(c)) {
          saved.push([v, this.dom.get(v)]);
          this.dom.set(v, intersect(this.dom.get(v)!, s, this.analyzer));
        }
      }
    }
    try {
      f();
    } finally {
      for (let i = saved.length - 1; i >= 0; i--) this.restore(saved[i]![0], saved[i]![1]);
    }
  }

  /** Bounds on relaxed variables that appear with coefficient +-1 in `lhs - rhs`. */
  private deduce(c: Comparison): [Var, IntSet][] {
    if (!c.lhs.dtype.isIntegral() || c.lhs.dtype !== c.rhs.dtype) return [];
    const form = linearForm(ops.sub(c.lhs, c.rhs));
    if (!form) return [];
    const out: [Var, IntSet][] = [];
    for (const t of form.terms) {
      const v = t.atom;
      if (!(v instanceof Var) || !this.dom.has(v) || Math.abs(t.coeff) !== 1) continue;
      const others = form.terms.filter((u) => u !== t);
      if (others.some((u) => usesVar(u.atom, (w) => w === v))) continue;
      // lhs - rhs = coeff * v + rest
      const rest = fromLinearForm({ terms: others, constant: form.constant }, v.dtype);
      const strict = c.op === "<" ? 1 : 0;
      let lo: PrimExpr = NEG_INF, hi: PrimExpr = POS_INF;
      if (t.coeff === 1) {
        hi = evalSet(ops.sub(ops.neg(rest), strict), this.dom, this.analyzer).max;
        if (c.op === "==") lo = evalSet(ops.neg(rest), this.dom, this.analyzer).min;
      } else {
        lo = evalSet(ops.add(rest, strict), this.dom, this.analyzer).min;
        if (c.op === "==") hi = evalSet(rest, this.dom, this.analyzer).max;
      }
      if (lo !== NEG_INF || hi !== POS_INF) out.push([v, new IntervalSet(lo, hi)]);
    }
    return out;
  }
}

/** The conjuncts of `cond` (or of its negation) that are integer comparisons. */
function comparisons(cond: PrimExpr, negate: boolean): Comparison[] {
  const out: Comparison[] = [];
  const walk = (e: PrimExpr, neg: boolean): void => {
    const k = e.kind;
    const b = e as unknown as { a: PrimExpr; b: PrimExpr };
    if (k === "Not") return walk(b.a, !neg);
    if ((k === "And" && !neg) || (k === "Or" && neg)) {
      walk(b.a, neg);
      return walk(b.b, neg);
    }
    const flip: Record<string, string> = { LT: "GE", LE: "GT", GT: "LE", GE: "LT", EQ: "NE", NE: "EQ" };
    const kind = neg ? flip[k] : k;
    switch (kind) {
      case "LT":
        return void out.push({ lhs: b.a, rhs: b.b, op: "<" });
      case "LE":
        return void out.push({ lhs: b.a, rhs: b.b, op: "<=" });
      case "GT":
        return void out.push({ lhs: b.b, rhs: b.a, op: "<" });
      case "GE":
        return void out.push({ lhs: b.b, rhs: b.a, op: "<=" });
      case "EQ":
        return void out.push({ lhs: b.a, rhs: b.b, op: "==" });
      default:
        return;
    }
  };
  walk(cond, negate);
  return out;
}

/** An access of a match_buffer, as a region of the buffer it was matched to. */
function matchedToSource(m: MatchBufferRegion, sets: IntSet[]): IntSet[] {
  const src = m.source.region;
  const lead = src.length - sets.length;
  const unitLead = lead >= 0 && src.slice(0, lead).every((r) => r.extent instanceof IntImm && r.extent.value === 1);
  if (!unitLead) return src.map((r) => IntervalSet.fromRange(r));
  const shift = (base: PrimExpr, x: PrimExpr) => (x === NEG_INF || x === POS_INF ? x : ops.add(base, x));
  return src.map((r, i) => {
    if (i < lead) return IntervalSet.fromRange(r);
    const s = sets[i - lead]!;
    if (!s.hasLowerBound() || !s.hasUpperBound()) return IntervalSet.fromRange(r);
    return new IntervalSet(shift(r.min, s.min), shift(r.min, s.max));
  });
}
