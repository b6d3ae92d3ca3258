/**
 * How transform_layout fills padding (TVM's TransformLayoutPlanner). When the new layout has
 * elements no old index maps to, `padValue` must end up there. In order of preference:
 *
 * - replacement: a write stage that stores every element of the old buffer in row-major loop
 *   order is rewritten to loop over the new shape and store
 *   `T.if_then_else(<is padding>, pad, value)`;
 * - epilogue: otherwise, after the last write a new block `buffer_<name>_padding` stores the pad
 *   value into the padding;
 * - prologue: a buffer nobody in the scope writes (an input) gets a block
 *   `buffer_<name>_assumptions` of `T.assume(not <is padding> or buf[...] == pad)` up front.
 */
import { Buffer, BufferRegion } from "../../ir/buffer.js";
import { BufferLoad, IntImm, type PrimExpr, Range, Var } from "../../ir/expr.js";
import { bool } from "../../ir/dtype.js";
import * as E from "../../ir/expr_ops.js";
import { collectVars, substitute } from "../../ir/expr_functor.js";
import { structuralEqual } from "../../ir/structural.js";
import {
  Block, BlockRealize, BufferStore, Evaluate, For, IterVar, LetStmt, TRUE, type Stmt,
} from "../../tir/stmt.js";
import { StmtExprMutator, StmtExprVisitor } from "../../tir/stmt_functor.js";
import { IndexMap } from "../index_map.js";

export type PaddingPlan =
  | { kind: "none" }
  | { kind: "prologue"; prologue: Stmt }
  | { kind: "replacement"; replacements: Map<For, Stmt>; newToOld: Map<Block, Block> }
  | { kind: "epilogue"; insertAfter: Stmt; newBlock: Stmt };

/** A store into the old buffer and the loops its indices depend on. */
interface WriteInfo {
  store: BufferStore;
  realize: BlockRealize | undefined;
  /** The loops from the outermost to the innermost one the indices use. */
  loops: For[];
  /** Whether those loops walk the whole buffer in row-major order (one loop per dimension). */
  rowMajor: boolean;
}

/** Finds the writes of the old buffer, tracking which loops each index depends on. */
class WriteCollector extends StmtExprVisitor {
  readonly writes: WriteInfo[] = [];
  private readonly loops: For[] = [];
  private readonly depth = new Map<Var, [number, number]>();
  private readonly bindings = new Map<Var, PrimExpr>();
  private realize: BlockRealize | undefined;
  constructor(private readonly buffer: Buffer) {
    super();
  }

  private dependency(e: PrimExpr): [number, number] | undefined {
    let r: [number, number] | undefined;
    for (const v of collectVars(e)) {
      const d = this.depth.get(v);
      if (d) r = r ? [Math.min(r[0], d[0]), Math.max(r[1], d[1])] : d;
    }
    return r;
  }

  /** A let / block var counts as depending on the loops its value uses. */
  private bindVar(v: Var, value: PrimExpr): () => void {
    const d = this.dependency(value);
    if (!d) return () => undefined;
    this.depth.set(v, d);
    this.bindings.set(v, substitute(value, this.bindings));
    return () => {
      this.depth.delete(v);
      this.bindings.delete(v);
    };
  }

  override visitFor(f: For): void {
    this.depth.set(f.loopVar, [this.loops.length, this.loops.length]);
    this.loops.push(f);
    super.visitFor(f);
    this.loops.pop();
    this.depth.delete(f.loopVar);
  }

  override visitStmt(s: Stmt): void {
    if (s instanceof LetStmt) {
      this.visitExpr(s.value);
      const undo = this.bindVar(s.variable, s.value);
      this.visitStmt(s.body);
      undo();
      return;
    }
    if (s instanceof BlockRealize) {
      const undos = s.block.iterVars.map((iv, i) => this.bindVar(iv.variable, s.iterValues[i]!));
      const saved = this.realize;
      this.realize = s;
      super.visitStmt(s);
      this.realize = saved;
      undos.forEach((u) => u());
      return;
    }
    super.visitStmt(s);
  }

  override visitBufferStore(s: BufferStore): void {
    if (s.buffer !== this.buffer) return;
    let range: [number, number] | undefined;
    for (const idx of s.indices) {
      const d = this.dependency(idx);
      if (d) range = range ? [Math.min(range[0], d[0]), Math.max(range[1], d[1])] : d;
    }
    const loops = range ? this.loops.slice(range[0], range[1] + 1) : [];
    const rowMajor =
      loops.length > 0 &&
      loops.length === this.buffer.ndim &&
      loops.length === s.indices.length &&
      loops.every((l, i) => {
        const idx = substitute(s.indices[i]!, this.bindings);
        return idx === l.loopVar && l.min instanceof IntImm && l.min.value === 0 && structuralEqual(l.extent, this.buffer.shape[i]) && l.forKind === "serial";
      });
    this.writes.push({ store: s, realize: this.realize, loops, rowMajor });
  }
}

/** The inverse map with fresh variables (each generated loop nest gets its own). */
function freshInverse(inverse: IndexMap, padding: PrimExpr): { inv: IndexMap; padding: PrimExpr } {
  const vars = inverse.initialIndices.map((v) => v.copyWithName(v.name));
  const m = new Map<Var, PrimExpr>();
  inverse.initialIndices.forEach((v, i) => m.set(v, vars[i]!));
  return { inv: new IndexMap(vars, inverse.finalIndices.map((e) => substitute(e, m))), padding: substitute(padding, m) };
}

/** Loops over the new shape around `body`, one per inverse input. */
function loopNest(vars: readonly Var[], shape: readonly PrimExpr[], body: Stmt): Stmt {
  let s = body;
  for (let i = vars.length - 1; i >= 0; i--) s = new For(vars[i]!, new IntImm(vars[i]!.dtype, 0), shape[i]!, "serial", s);
  return s;
}

/** A block over the new index space with one spatial var `v_<axis>` per loop. */
function spaceBlock(vars: readonly Var[], shape: readonly PrimExpr[]): { iterVars: IterVar[]; blockVars: Var[]; subst: Map<Var, PrimExpr> } {
  const blockVars = vars.map((v) => new Var(`v_${v.name}`, v.dtype));
  const iterVars = blockVars.map((v, i) => new IterVar(new Range(new IntImm(v.dtype, 0), shape[i]!), v, "DataPar"));
  const subst = new Map<Var, PrimExpr>();
  vars.forEach((v, i) => subst.set(v, blockVars[i]!));
  return { iterVars, blockVars, subst };
}

const point = (buf: Buffer, idx: readonly PrimExpr[]) => new BufferRegion(buf, idx.map((x) => new Range(x, new IntImm(x.dtype, 1))));

/** TVM's BufferStoreReplacer: the row-major write nest rewritten over the new index space. */
class StoreReplacer extends StmtExprMutator {
  private readonly remap = new Map<Var, PrimExpr>();
  private newIndices: PrimExpr[];
  private iterVars: readonly IterVar[] | undefined;
  private iterValues: readonly PrimExpr[] | undefined;
  allReplaced = true;
  constructor(
    private readonly info: WriteInfo,
    private readonly newBuffer: Buffer,
    private padding: PrimExpr,
    private readonly inv: IndexMap,
    private readonly pad: IndexMap,
    private readonly newToOld: Map<Block, Block>,
  ) {
    super();
    this.newIndices = [...inv.initialIndices];
    info.loops.forEach((l, i) => this.remap.set(l.loopVar, inv.finalIndices[i]!));
    this.defineBlockUpdates();
  }

  /** When the store indices are the block's own spatial vars, give the block new ones over the new space. */
  private defineBlockUpdates(): void {
    const r = this.info.realize;
    if (!r) return;
    const old = this.info.store.indices;
    const ivs = r.block.iterVars;
    this.iterVars = ivs;
    this.iterValues = r.iterValues;
    if (old.length === 0 || ivs.length < old.length) return;
    let start = 0;
    while (start < ivs.length - old.length && old[0] !== ivs[start]!.variable) start++;
    for (let i = 0; i < old.length; i++) {
      const iv = ivs[start + i]!;
      if (old[i] !== iv.variable || iv.iterType !== "DataPar") return;
    }
    const { iterVars, blockVars, subst } = spaceBlock(this.inv.initialIndices, this.newBuffer.shape);
    this.newIndices = blockVars;
    this.iterVars = [...ivs.slice(0, start), ...iterVars, ...ivs.slice(start + old.length)];
    this.iterValues = [...r.iterValues.slice(0, start), ...this.inv.initialIndices, ...r.iterValues.slice(start + old.length)];
    old.forEach((v, i) => this.remap.set(v as Var, substitute(this.inv.finalIndices[i]!, subst)));
    this.padding = substitute(this.padding, subst);
  }

  override visitVar(v: Var): PrimExpr {
    return this.remap.get(v) ?? v;
  }

  override visitBufferStore(s: BufferStore): Stmt {
    let store = s;
    const same = s.buffer === this.info.store.buffer && s.indices.every((x, i) => structuralEqual(x, this.info.store.indices[i]));
    if (same) {
      const padAt = this.pad.mapIndices(this.newIndices)[0]!;
      store = new BufferStore(this.newBuffer, E.ifThenElse(this.padding, padAt, s.value), this.newIndices);
    } else {
      this.allReplaced = false;
    }
    return super.visitBufferStore(store);
  }

  override visitBlockRealize(r: BlockRealize): Stmt {
    const out = super.visitBlockRealize(r) as BlockRealize;
    if (r !== this.info.realize || !this.iterVars || !this.iterValues) return out;
    let block = out.block;
    if (block.iterVars !== this.iterVars) {
      const nb = block.with({ iterVars: this.iterVars });
      this.record(out.block, nb);
      block = nb;
    }
    return new BlockRealize(this.iterValues, out.predicate, block);
  }

  override visitBlock(b: Block): Stmt {
    const out = super.visitBlock(b) as Block;
    this.record(b, out);
    return out;
  }

  private record(before: Block, after: Block): void {
    if (before === after) return;
    this.newToOld.set(after, this.newToOld.get(before) ?? before);
  }
}

/** Picks and builds the plan for filling the padding of `newBuffer` with `pad`. */
export function planPadding(
  scope: Block,
  oldBuffer: Buffer,
  newBuffer: Buffer,
  inverse: IndexMap,
  padding: PrimExpr,
  pad: IndexMap,
): PaddingPlan {
  const c = new WriteCollector(oldBuffer);
  c.visitStmt(scope.body);
  const writes = c.writes;
  if (writes.length === 0) {
    const { inv, padding: p } = freshInverse(inverse, padding);
    const { iterVars, blockVars, subst } = spaceBlock(inv.initialIndices, newBuffer.shape);
    const pred = substitute(p, subst);
    const padAt = pad.mapIndices(blockVars)[0]!;
    const fact = E.or(E.not(pred), E.eq(new BufferLoad(newBuffer, blockVars), padAt));
    const block = new Block({
      iterVars,
      reads: [point(newBuffer, blockVars)],
      writes: [],
      nameHint: `buffer_${newBuffer.name}_assumptions`,
      body: new Evaluate(E.callIntrin("tir.assume", [fact], bool)),
    });
    return { kind: "prologue", prologue: loopNest(inv.initialIndices, newBuffer.shape, new BlockRealize(inv.initialIndices, TRUE, block)) };
  }
  const replacements = new Map<For, Stmt>();
  const newToOld = new Map<Block, Block>();
  for (const w of writes) {
    if (!w.rowMajor) continue;
    const { inv, padding: p } = freshInverse(inverse, padding);
    const replacer = new StoreReplacer(w, newBuffer, p, inv, pad, newToOld);
    const body = replacer.visitStmt(w.loops[w.loops.length - 1]!.body);
    if (!replacer.allReplaced) continue;
    replacements.set(w.loops[0]!, loopNest(inv.initialIndices, newBuffer.shape, body));
  }
  if (replacements.size > 0) return { kind: "replacement", replacements, newToOld };
  const { inv, padding: p } = freshInverse(inverse, padding);
  const { iterVars, blockVars } = spaceBlock(inv.initialIndices, newBuffer.shape);
  const block = new Block({
    iterVars,
    reads: [],
    writes: [point(newBuffer, blockVars)],
    nameHint: `buffer_${newBuffer.name}_padding`,
    body: new BufferStore(newBuffer, pad.mapIndices(blockVars)[0]!, blockVars),
  });
  const last = writes[writes.length - 1]!;
  const insertAfter: Stmt | undefined = last.loops[0] ?? last.realize;
  if (!insertAfter) throw new Error("internal: a write of the buffer lies outside any loop or block");
  return {
    kind: "epilogue",
    insertAfter,
    newBlock: loopNest(inv.initialIndices, newBuffer.shape, new BlockRealize(inv.initialIndices, p, block)),
  };
}
