/**
 * The shared machinery of blockize (and of tensorize, which blockizes a loop first): divide a
 * block's bindings into a part over the loops that stay outside and a part over the loops that
 * move inside the new outer block, derive the iter vars of both blocks, rewrite the inner block
 * in terms of them, and build the outer block's init for reductions.
 *
 * Naming follows TVM: the outer block gets `vi_o` iter vars for every original `vi`; the inner
 * block gets `vi_i` only where the inner part is not a single point; the original `vi` becomes
 * `vi_o * inner_extent + vi_i`.
 */
import { Analyzer } from "../../arith/analyzer.js";
import { relaxRegion } from "../../arith/int_set.js";
import { IterSumExpr, normalizeIterMapToExpr, subspaceDivide, type IterMark } from "../../arith/iter_map.js";
import { BufferRegion } from "../../ir/buffer.js";
import { IntImm, PrimExpr, Range, Var } from "../../ir/expr.js";
import * as E from "../../ir/expr_ops.js";
import { usesVar } from "../../ir/expr_functor.js";
import { Block, BlockRealize, For, IterVar, TRUE, type Stmt } from "../../tir/stmt.js";
import { StmtExprMutator, StmtExprVisitor, substituteStmt } from "../../tir/stmt_functor.js";

/** One binding split as `outer * inner.extent + inner`. */
export interface DividedBinding {
  readonly outer: PrimExpr;
  readonly outerExtent: PrimExpr;
  readonly inner: PrimExpr;
  readonly innerExtent: PrimExpr;
}

export interface BlockDivision {
  readonly bindings: DividedBinding[];
  readonly outerPredicate: PrimExpr;
  readonly innerPredicate: PrimExpr;
}

const isOne = (e: PrimExpr): boolean => e instanceof IntImm && e.value === 1;
const isTrue = (e: PrimExpr): boolean => e instanceof IntImm && e.value !== 0;

function markExpr(m: IterMark): PrimExpr {
  return m.source instanceof IterSumExpr ? normalizeIterMapToExpr(m.source) : m.source;
}

/**
 * Divides the bindings of `realize` between `innerVars` (loops moving into the new block) and
 * the other loops of `domains`. Falls back, like TVM, to a trivial division when each binding
 * uses only outer or only inner loops (bindings need not be affine then). Returns the reason
 * when the bindings cannot be divided.
 */
export function divideBlockBindings(
  realize: BlockRealize,
  domains: ReadonlyMap<Var, Range>,
  innerVars: readonly Var[],
  preserveUnitIters: boolean,
): BlockDivision | string {
  const values = realize.iterValues;
  const div = subspaceDivide(values, domains, innerVars, realize.predicate, "surjective", new Analyzer());
  if (div.errors.length === 0) {
    // subspaceDivide drops unit loops; TVM keeps them in the outer binding when asked to
    // preserve unit iters (`vi_o = T.axis.spatial(1, i0)`), which `(binding - inner) / I` recovers.
    const plain = new Analyzer();
    const inner = new Set(innerVars);
    const bindings = div.bindings.map((b, k): DividedBinding => {
      const innerExpr = markExpr(b.inner);
      let outer = markExpr(b.outer);
      if (preserveUnitIters && isOne(b.outer.extent) && !usesVar(outer, () => true)) {
        const whole = values[k]!;
        const rest = plain.simplify(E.floordiv(E.sub(whole, innerExpr), b.inner.extent));
        if (!usesVar(rest, (v) => inner.has(v))) outer = rest;
      }
      return { outer, outerExtent: b.outer.extent, inner: innerExpr, innerExtent: b.inner.extent };
    });
    return { bindings, outerPredicate: div.outerPredicate, innerPredicate: div.innerPredicate };
  }
  const trivial = trivialDivision(realize, innerVars);
  return trivial ?? div.errors.join("; ");
}

/** Each binding uses only outer loops, only inner loops, or none: no arithmetic needed. */
function trivialDivision(realize: BlockRealize, innerVars: readonly Var[]): BlockDivision | undefined {
  if (!isTrue(realize.predicate)) return undefined;
  const inner = new Set(innerVars);
  const out: DividedBinding[] = [];
  for (let k = 0; k < realize.iterValues.length; k++) {
    const v = realize.iterValues[k]!;
    const ext = realize.block.iterVars[k]!.dom.extent;
    const one = new IntImm(ext.dtype, 1), zero = new IntImm(v.dtype, 0);
    const usesInner = usesVar(v, (x) => inner.has(x));
    const usesOuter = usesVar(v, (x) => !inner.has(x));
    if (usesInner && usesOuter) return undefined;
    if (usesInner) out.push({ outer: zero, outerExtent: one, inner: v, innerExtent: ext });
    else if (usesOuter) out.push({ outer: v, outerExtent: ext, inner: zero, innerExtent: one });
    else out.push({ outer: v, outerExtent: one, inner: zero, innerExtent: one });
  }
  return { bindings: out, outerPredicate: TRUE, innerPredicate: TRUE };
}

export interface DerivedIters {
  readonly outerIterVars: IterVar[];
  readonly outerBindings: PrimExpr[];
  readonly innerIterVars: IterVar[];
  readonly innerBindings: PrimExpr[];
  /** Original iter var -> its expression over the new outer / inner iter vars. */
  readonly subst: Map<Var, PrimExpr>;
}

/**
 * The iter vars of the outer and inner blocks. With `reuse`, the outer iter vars of an earlier
 * block are shared (blockizing several blocks into one); the caller checks they agree.
 */
export function deriveBlockIters(
  iterVars: readonly IterVar[],
  division: BlockDivision,
  preserveUnitIters: boolean,
  reuse?: { iterVars: readonly IterVar[]; bindings: readonly PrimExpr[] },
): DerivedIters {
  const outerIterVars: IterVar[] = [], outerBindings: PrimExpr[] = [];
  const innerIterVars: IterVar[] = [], innerBindings: PrimExpr[] = [];
  const subst = new Map<Var, PrimExpr>();
  iterVars.forEach((iv, k) => {
    const d = division.bindings[k]!;
    let outer: IterVar;
    if (reuse) {
      outer = reuse.iterVars[k]!;
    } else {
      outer = new IterVar(Range.fromExtent(d.outerExtent), iv.variable.copyWithName(`${iv.variable.name}_o`), iv.iterType);
      outerIterVars.push(outer);
      outerBindings.push(d.outer);
    }
    if (isOne(d.innerExtent)) {
      subst.set(iv.variable, isOne(d.outerExtent) && !preserveUnitIters ? new IntImm(iv.variable.dtype, 0) : outer.variable);
      return;
    }
    const inner = new IterVar(Range.fromExtent(d.innerExtent), iv.variable.copyWithName(`${iv.variable.name}_i`), iv.iterType);
    innerIterVars.push(inner);
    innerBindings.push(d.inner);
    subst.set(iv.variable, isOne(d.outerExtent) ? inner.variable : E.add(E.mul(outer.variable, d.innerExtent), inner.variable));
  });
  return { outerIterVars, outerBindings, innerIterVars, innerBindings, subst };
}

/**
 * Substitutes the original iter vars throughout a block, simplifying the integer expressions
 * that changed, and records every nested block that changed so its sref survives.
 */
export function substituteBlock(block: Block, subst: ReadonlyMap<Var, PrimExpr>, analyzer: Analyzer, reuse: Map<Block, Block>): Block {
  return new BindingReplacer(subst, analyzer, reuse).visitStmt(block) as Block;
}

class BindingReplacer extends StmtExprMutator {
  // The same index expressions recur in the regions, the init and the body: rewrite each once.
  private readonly memo = new Map<PrimExpr, PrimExpr>();

  constructor(
    private readonly subst: ReadonlyMap<Var, PrimExpr>,
    private readonly analyzer: Analyzer,
    private readonly reuse: Map<Block, Block>,
  ) {
    super();
  }

  override visitExpr(e: PrimExpr): PrimExpr {
    const hit = this.memo.get(e);
    if (hit) return hit;
    let r = super.visitExpr(e);
    if (r !== e && r.dtype.lanes === 1 && (r.dtype.isIntegral() || r.dtype.isBool())) r = this.analyzer.simplify(r);
    this.memo.set(e, r);
    return r;
  }

  override visitVar(v: Var): PrimExpr {
    return this.subst.get(v) ?? v;
  }

  override visitBlock(b: Block): Stmt {
    const n = super.visitBlock(b);
    if (n !== b) this.reuse.set(b, n as Block);
    return n;
  }
}

/** The inner block: new iter vars, no init; a reduction split across blocks also reads what it writes. */
export function makeInnerBlock(block: Block, iters: DerivedIters, hasOuterReduction: boolean): Block {
  let reads = block.reads;
  if (hasOuterReduction) {
    const readBufs = new Set(block.reads.map((r) => r.buffer));
    reads = [...block.writes.filter((w) => !readBufs.has(w.buffer)), ...block.reads];
  }
  return block.with({ iterVars: iters.innerIterVars, init: undefined, reads });
}

/** Regions relaxed over the inner iter vars (an unbounded dimension covers the whole buffer). */
export function relaxRegions(regions: readonly BufferRegion[], innerDoms: ReadonlyMap<Var, Range>, analyzer: Analyzer): BufferRegion[] {
  return regions.map((r) => new BufferRegion(r.buffer, relaxRegion(r.region, innerDoms, analyzer, r.buffer.shape)));
}

/** Wraps `stmt` in copies of `loops` (innermost first). */
export function makeLoopNest(stmt: Stmt, loops: readonly For[]): Stmt {
  let s = stmt;
  for (const l of loops) s = l.with({ body: s });
  return s;
}

/**
 * The outer block's init: a block `<name>_init` over the data-parallel inner iter vars the init
 * uses, under fresh copies of the inner loops those bindings (or the predicate) use.
 */
export function makeOuterInit(init: Stmt, inner: BlockRealize, loops: readonly For[], name: string): Stmt {
  const blk = inner.block;
  const rename = new Map<Var, PrimExpr>();
  const initIterVars: IterVar[] = [], initValues: PrimExpr[] = [];
  const initUses = (v: Var): boolean => stmtUsesVar(init, v);
  blk.iterVars.forEach((iv, k) => {
    if (iv.iterType !== "DataPar" || !initUses(iv.variable)) return;
    const nv = iv.variable.copyWithName(`${iv.variable.name}_init`);
    rename.set(iv.variable, nv);
    initIterVars.push(new IterVar(iv.dom, nv, iv.iterType, iv.threadTag));
    initValues.push(inner.iterValues[k]!);
  });
  const initBlock = new Block({ iterVars: initIterVars, reads: [], writes: blk.writes, nameHint: name, body: init });
  let stmt: Stmt = new BlockRealize(initValues, inner.predicate, initBlock);
  for (const l of loops) {
    const used = (e: PrimExpr) => usesVar(e, (x) => x === l.loopVar);
    if (!initValues.some(used) && !used(inner.predicate)) continue;
    const nv = l.loopVar.copyWithName(l.loopVar.name);
    rename.set(l.loopVar, nv);
    stmt = l.with({ loopVar: nv, body: stmt });
  }
  return substituteStmt(stmt, rename);
}

function stmtUsesVar(s: Stmt, v: Var): boolean {
  const u = new VarUse(v);
  u.visitStmt(s);
  return u.found;
}

class VarUse extends StmtExprVisitor {
  found = false;
  constructor(private readonly v: Var) {
    super();
  }
  override visitVar(x: Var): void {
    if (x === this.v) this.found = true;
  }
}
