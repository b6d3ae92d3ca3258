/**
 * Visitors and copy-on-write mutators over TIR statements (and the expressions inside them).
 */
import { BufferRegion } from "../ir/buffer.js";
import { Range, type PrimExpr, type Var } from "../ir/expr.js";
import { ExprMutator, ExprVisitor } from "../ir/expr_functor.js";
import {
  Allocate, AssertStmt, AttrStmt, Block, BlockRealize, BufferStore, DeclBuffer, Evaluate, For, IfThenElse, IterVar,
  LetStmt, MatchBufferRegion, SeqStmt, While, type Stmt,
} from "./stmt.js";

export class StmtExprVisitor extends ExprVisitor {
  visitStmt(s: Stmt): void {
    switch (s.kind) {
      case "LetStmt": {
        const l = s as LetStmt;
        this.visitExpr(l.value);
        return this.visitStmt(l.body);
      }
      case "AttrStmt": {
        const a = s as AttrStmt;
        this.visitExpr(a.value);
        return this.visitStmt(a.body);
      }
      case "AssertStmt": {
        const a = s as AssertStmt;
        this.visitExpr(a.condition);
        return this.visitStmt(a.body);
      }
      case "BufferStore":
        return this.visitBufferStore(s as BufferStore);
      case "Allocate": {
        const a = s as Allocate;
        a.extents.forEach((e) => this.visitExpr(e));
        this.visitExpr(a.condition);
        return this.visitStmt(a.body);
      }
      case "DeclBuffer":
        return this.visitStmt((s as DeclBuffer).body);
      case "For":
        return this.visitFor(s as For);
      case "While": {
        const w = s as While;
        this.visitExpr(w.condition);
        return this.visitStmt(w.body);
      }
      case "SeqStmt":
        for (const x of (s as SeqStmt).seq) this.visitStmt(x);
        return;
      case "IfThenElse": {
        const i = s as IfThenElse;
        this.visitExpr(i.condition);
        this.visitStmt(i.thenCase);
        if (i.elseCase) this.visitStmt(i.elseCase);
        return;
      }
      case "Evaluate":
        return this.visitExpr((s as Evaluate).value);
      case "Block":
        return this.visitBlock(s as Block);
      case "BlockRealize":
        return this.visitBlockRealize(s as BlockRealize);
      default:
        throw new Error(`internal: unknown statement kind ${s.kind}`);
    }
  }
  visitFor(f: For): void {
    this.visitExpr(f.min);
    this.visitExpr(f.extent);
    if (f.step) this.visitExpr(f.step);
    this.visitStmt(f.body);
  }
  visitBufferStore(s: BufferStore): void {
    this.visitExpr(s.value);
    for (const i of s.indices) this.visitExpr(i);
    if (s.predicate) this.visitExpr(s.predicate);
  }
  visitBlockRealize(r: BlockRealize): void {
    for (const v of r.iterValues) this.visitExpr(v);
    this.visitExpr(r.predicate);
    this.visitStmt(r.block);
  }
  visitBlock(b: Block): void {
    for (const iv of b.iterVars) {
      this.visitExpr(iv.dom.min);
      this.visitExpr(iv.dom.extent);
    }
    for (const r of [...b.reads, ...b.writes]) this.visitRegion(r);
    for (const m of b.matchBuffers) this.visitRegion(m.source);
    if (b.init) this.visitStmt(b.init);
    this.visitStmt(b.body);
  }
  visitRegion(r: BufferRegion): void {
    for (const rg of r.region) {
      this.visitExpr(rg.min);
      this.visitExpr(rg.extent);
    }
  }
}

/** Rebuilds only what changed; override the `visit*` methods of interest. */
export class StmtExprMutator extends ExprMutator {
  visitStmt(s: Stmt): Stmt {
    switch (s.kind) {
      case "LetStmt": {
        const l = s as LetStmt;
        const v = this.visitExpr(l.value), b = this.visitStmt(l.body);
        return v === l.value && b === l.body ? l : new LetStmt(l.variable, v, b);
      }
      case "AttrStmt": {
        const a = s as AttrStmt;
        const v = this.visitExpr(a.value), b = this.visitStmt(a.body);
        return v === a.value && b === a.body ? a : new AttrStmt(a.node, a.attrKey, v, b);
      }
      case "AssertStmt": {
        const a = s as AssertStmt;
        const c = this.visitExpr(a.condition), b = this.visitStmt(a.body);
        return c === a.condition && b === a.body ? a : new AssertStmt(c, a.message, b);
      }
      case "BufferStore":
        return this.visitBufferStore(s as BufferStore);
      case "Allocate": {
        const a = s as Allocate;
        const ex = this.visitArray(a.extents), c = this.visitExpr(a.condition), b = this.visitStmt(a.body);
        return ex === a.extents && c === a.condition && b === a.body
          ? a
          : new Allocate(a.bufferVar, a.dtype, ex, c, b, a.annotations);
      }
      case "DeclBuffer": {
        const d = s as DeclBuffer;
        const b = this.visitStmt(d.body);
        return b === d.body ? d : new DeclBuffer(d.buffer, b);
      }
      case "For":
        return this.visitFor(s as For);
      case "While": {
        const w = s as While;
        const c = this.visitExpr(w.condition), b = this.visitStmt(w.body);
        return c === w.condition && b === w.body ? w : new While(c, b);
      }
      case "SeqStmt": {
        const q = s as SeqStmt;
        const seq = this.visitStmts(q.seq);
        return seq === q.seq ? q : SeqStmt.flatten(seq);
      }
      case "IfThenElse": {
        const i = s as IfThenElse;
        const c = this.visitExpr(i.condition), t = this.visitStmt(i.thenCase);
        const e = i.elseCase ? this.visitStmt(i.elseCase) : undefined;
        return c === i.condition && t === i.thenCase && e === i.elseCase ? i : new IfThenElse(c, t, e);
      }
      case "Evaluate": {
        const e = s as Evaluate;
        const v = this.visitExpr(e.value);
        return v === e.value ? e : new Evaluate(v);
      }
      case "Block":
        return this.visitBlock(s as Block);
      case "BlockRealize":
        return this.visitBlockRealize(s as BlockRealize);
      default:
        throw new Error(`internal: unknown statement kind ${s.kind}`);
    }
  }

  visitStmts(xs: readonly Stmt[]): readonly Stmt[] {
    let out: Stmt[] | undefined;
    for (let i = 0; i < xs.length; i++) {
      const y = this.visitStmt(xs[i]!);
      if (out) out.push(y);
      else if (y !== xs[i]) {
        out = xs.slice(0, i);
        out.push(y);
      }
    }
    return out ?? xs;
  }

  visitFor(f: For): Stmt {
    const min = this.visitExpr(f.min), ext = this.visitExpr(f.extent);
    const step = f.step ? this.visitExpr(f.step) : undefined;
    const body = this.visitStmt(f.body);
    if (min === f.min && ext === f.extent && step === f.step && body === f.body) return f;
    return f.with({ min, extent: ext, step, body });
  }

  visitBufferStore(s: BufferStore): Stmt {
    const v = this.visitExpr(s.value), idx = this.visitArray(s.indices);
    const p = s.predicate ? this.visitExpr(s.predicate) : undefined;
    return v === s.value && idx === s.indices && p === s.predicate ? s : new BufferStore(s.buffer, v, idx, p);
  }

  visitBlockRealize(r: BlockRealize): Stmt {
    const vals = this.visitArray(r.iterValues), p = this.visitExpr(r.predicate);
    const b = this.visitStmt(r.block);
    if (vals === r.iterValues && p === r.predicate && b === r.block) return r;
    if (!(b instanceof Block)) throw new Error("internal: a mutator turned a Block into a non-block");
    return new BlockRealize(vals, p, b);
  }

  visitBlock(b: Block): Stmt {
    let ivChanged = false;
    const ivs = b.iterVars.map((iv) => {
      const r = this.visitRange(iv.dom);
      if (r === iv.dom) return iv;
      ivChanged = true;
      return new IterVar(r, iv.variable, iv.iterType, iv.threadTag);
    });
    const reads = this.visitRegions(b.reads), writes = this.visitRegions(b.writes);
    let mbChanged = false;
    const mbs = b.matchBuffers.map((m) => {
      const src = this.visitRegion(m.source);
      if (src === m.source) return m;
      mbChanged = true;
      return new MatchBufferRegion(m.buffer, src);
    });
    const init = b.init ? this.visitStmt(b.init) : undefined;
    const body = this.visitStmt(b.body);
    if (!ivChanged && reads === b.reads && writes === b.writes && !mbChanged && init === b.init && body === b.body) return b;
    return b.with({ iterVars: ivs, reads, writes, matchBuffers: mbs, init, body });
  }

  visitRange(r: Range): Range {
    const m = this.visitExpr(r.min), e = this.visitExpr(r.extent);
    return m === r.min && e === r.extent ? r : new Range(m, e);
  }

  visitRegion(r: BufferRegion): BufferRegion {
    let changed = false;
    const rs = r.region.map((x) => {
      const y = this.visitRange(x);
      if (y !== x) changed = true;
      return y;
    });
    return changed ? new BufferRegion(r.buffer, rs) : r;
  }

  visitRegions(rs: readonly BufferRegion[]): readonly BufferRegion[] {
    let changed = false;
    const out = rs.map((r) => {
      const y = this.visitRegion(r);
      if (y !== r) changed = true;
      return y;
    });
    return changed ? out : rs;
  }
}

class StmtPostOrder extends StmtExprVisitor {
  constructor(private readonly f: (s: Stmt) => void) {
    super();
  }
  override visitStmt(x: Stmt): void {
    super.visitStmt(x);
    this.f(x);
  }
  override visitExpr(_e: PrimExpr): void {}
}

/** Calls `f` on every statement, children first. */
export function postOrderVisitStmt(s: Stmt, f: (s: Stmt) => void): void {
  new StmtPostOrder(f).visitStmt(s);
}

class StmtSubstituter extends StmtExprMutator {
  constructor(private readonly f: (v: Var) => PrimExpr | undefined) {
    super();
  }
  override visitVar(v: Var): PrimExpr {
    return this.f(v) ?? v;
  }
}

/** Substitutes variables throughout a statement. */
export function substituteStmt(s: Stmt, vmap: ReadonlyMap<Var, PrimExpr> | ((v: Var) => PrimExpr | undefined)): Stmt {
  if (typeof vmap !== "function" && vmap.size === 0) return s;
  return new StmtSubstituter(typeof vmap === "function" ? vmap : (v: Var) => vmap.get(v)).visitStmt(s);
}
