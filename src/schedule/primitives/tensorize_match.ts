/**
 * Structural matching of a block against a tensor intrinsic's description (TVM's
 * TensorizeComparator). The block's body and the description's body are walked in step:
 * loops must agree in extent and kind, inner blocks in iter vars and bindings, expressions in
 * kind and dtype, and each description buffer maps onto one buffer of the block. Indices are
 * compared after subtracting the tile origin, which comes from the block's read/write region
 * of that buffer (a block buffer may have more leading dimensions, each of extent 1).
 *
 * A mismatch throws MatchFailure with a sentence saying what differed, in the form "the
 * description's loop k has extent 4 but the block's has 8".
 */
import { Analyzer } from "../../arith/analyzer.js";
import type { Buffer, BufferRegion } from "../../ir/buffer.js";
import {
  BufferLoad, Call, Cast, FloatImm, IntImm, Let, PrimExpr, Range, StringImm, Var,
} from "../../ir/expr.js";
import { substitute } from "../../ir/expr_functor.js";
import * as E from "../../ir/expr_ops.js";
import type { PrimFunc } from "../../tir/function.js";
import {
  Block, BlockRealize, BufferStore, Evaluate, For, IfThenElse, LetStmt, SeqStmt, type Stmt,
} from "../../tir/stmt.js";
import { printScript } from "../../tir/script/index.js";

export class MatchFailure extends Error {}

export interface IntrinMatch {
  /** Description buffer -> block buffer. */
  readonly buffers: ReadonlyMap<Buffer, Buffer>;
  /** Block buffer -> the tile origin, one index per dimension of the block buffer. */
  readonly origins: ReadonlyMap<Buffer, readonly PrimExpr[]>;
}

interface Access {
  readonly block: Buffer;
  readonly desc: Buffer;
  readonly blockIdx: readonly PrimExpr[];
  readonly descIdx: readonly PrimExpr[];
}

function text(n: PrimExpr): string {
  try {
    return printScript(n);
  } catch {
    return n.kind;
  }
}

const indexText = (b: Buffer, idx: readonly PrimExpr[]) => `${b.name}[${idx.map(text).join(", ")}]`;
const rangeText = (r: readonly Range[]) => r.map((x) => `${text(x.min)}:${text(E.add(x.min, x.extent))}`).join(", ");

function describeStmt(s: Stmt): string {
  if (s instanceof For) return `loop ${s.loopVar.name}`;
  if (s instanceof BlockRealize) return `block "${s.block.nameHint}"`;
  if (s instanceof BufferStore) return `a store to ${s.buffer.name}`;
  if (s instanceof SeqStmt) return `a sequence of ${s.seq.length} statements`;
  return `a ${s.kind}`;
}

/** Matches `realize` (the block to tensorize) against the description `desc`. */
export function matchIntrinsic(realize: BlockRealize, desc: PrimFunc): IntrinMatch {
  return new Matcher(desc).run(realize);
}

class Matcher {
  /** Description variable -> block variable. */
  private readonly vars = new Map<Var, Var>();
  private readonly varsInv = new Map<Var, Var>();
  private readonly bufs = new Map<Buffer, Buffer>();
  private readonly bufsInv = new Map<Buffer, Buffer>();
  private readonly accesses: Access[] = [];
  private readonly analyzer = new Analyzer();

  constructor(private readonly desc: PrimFunc) {}

  private fail(msg: string): never {
    throw new MatchFailure(msg);
  }

  run(realize: BlockRealize): IntrinMatch {
    const root = (this.desc.body as BlockRealize).block;
    if (!this.provablyTrue(realize.predicate)) {
      this.fail(`the block is guarded by the predicate ${text(realize.predicate)}, which the description does not have`);
    }
    const block = realize.block;
    for (const iv of block.iterVars) this.bindRange(iv.variable, iv.dom);
    this.stmt(block.body, root.body);
    const origins = this.regions(block, root);
    this.checkAccesses(origins);
    return { buffers: this.bufs, origins };
  }

  private provablyTrue(p: PrimExpr): boolean {
    return (p instanceof IntImm && p.value !== 0) || this.analyzer.canProve(p);
  }

  private bindRange(v: Var, r: Range): void {
    if (v.dtype.isIntegral() && v.dtype.lanes === 1 && !this.analyzer.getRange(v)) this.analyzer.bind(v, r);
  }

  private defVar(b: Var, d: Var, what: string): void {
    if (b.dtype !== d.dtype) this.fail(`the description's ${what} ${d.name} is ${d.dtype} but the block's ${what} ${b.name} is ${b.dtype}`);
    const prev = this.vars.get(d);
    if (prev && prev !== b) this.fail(`the description's ${what} ${d.name} corresponds to both ${prev.name} and ${b.name} in the block`);
    const other = this.varsInv.get(b);
    if (other && other !== d) this.fail(`the block's ${what} ${b.name} plays the roles of both ${other.name} and ${d.name} of the description`);
    this.vars.set(d, b);
    this.varsInv.set(b, d);
  }

  private mapped(e: PrimExpr): PrimExpr {
    return substitute(e, (v) => this.vars.get(v));
  }

  private equal(b: PrimExpr, d: PrimExpr): boolean {
    const m = this.mapped(d);
    if (b.dtype !== m.dtype) return false;
    return this.analyzer.canProveEqual(b, m);
  }

  private buffer(b: Buffer, d: Buffer): void {
    const prev = this.bufs.get(d);
    if (prev === b) return;
    if (prev) this.fail(`the description's buffer ${d.name} stands for ${prev.name} in one place and ${b.name} in another`);
    const other = this.bufsInv.get(b);
    if (other) this.fail(`the block's buffer ${b.name} plays the roles of both ${other.name} and ${d.name} of the description`);
    if (b.dtype !== d.dtype) this.fail(`the description's buffer ${d.name} holds ${d.dtype} but the block's buffer ${b.name} holds ${b.dtype}`);
    if (b.scope !== d.scope) this.fail(`the description's buffer ${d.name} is in scope "${d.scope}" but the block's buffer ${b.name} is in "${b.scope}"`);
    if (b.ndim < d.ndim) this.fail(`the description's buffer ${d.name} has ${d.ndim} dimensions but the block's buffer ${b.name} has only ${b.ndim}`);
    this.bufs.set(d, b);
    this.bufsInv.set(b, d);
  }

  // ------------------------------------------------------------ statements

  private stmt(b: Stmt, d: Stmt): void {
    if (b.kind !== d.kind) this.fail(`the description has ${describeStmt(d)} where the block has ${describeStmt(b)}`);
    if (d instanceof For) return this.loop(b as For, d);
    if (d instanceof BlockRealize) return this.blockRealize(b as BlockRealize, d);
    if (d instanceof SeqStmt) {
      const bs = b as SeqStmt;
      if (bs.seq.length !== d.seq.length) this.fail(`the description has a sequence of ${d.seq.length} statements where the block has ${bs.seq.length}`);
      d.seq.forEach((x, i) => this.stmt(bs.seq[i]!, x));
      return;
    }
    if (d instanceof BufferStore) {
      const bs = b as BufferStore;
      this.buffer(bs.buffer, d.buffer);
      this.access(bs.buffer, d.buffer, bs.indices, d.indices);
      return this.expr(bs.value, d.value);
    }
    if (d instanceof Evaluate) return this.expr((b as Evaluate).value, d.value);
    if (d instanceof IfThenElse) {
      const bi = b as IfThenElse;
      this.expr(bi.condition, d.condition);
      this.stmt(bi.thenCase, d.thenCase);
      if (!!bi.elseCase !== !!d.elseCase) this.fail("the description and the block differ in whether an if has an else branch");
      if (d.elseCase) this.stmt(bi.elseCase!, d.elseCase);
      return;
    }
    if (d instanceof LetStmt) {
      const bl = b as LetStmt;
      this.expr(bl.value, d.value);
      this.defVar(bl.variable, d.variable, "let variable");
      return this.stmt(bl.body, d.body);
    }
    this.fail(`tensorize cannot match a ${d.kind} of the description`);
  }

  private loop(b: For, d: For): void {
    const name = d.loopVar.name;
    this.defVar(b.loopVar, d.loopVar, "loop");
    if (!this.equal(b.min, d.min)) this.fail(`the description's loop ${name} starts at ${text(d.min)} but the block's loop ${b.loopVar.name} starts at ${text(b.min)}`);
    if (!this.equal(b.extent, d.extent)) this.fail(`the description's loop ${name} has extent ${text(d.extent)} but the block's has ${text(b.extent)}`);
    if (b.forKind !== d.forKind) this.fail(`the description's loop ${name} is ${d.forKind} but the block's loop ${b.loopVar.name} is ${b.forKind}`);
    if (b.threadTag !== d.threadTag) this.fail(`the description's loop ${name} is bound to ${d.threadTag ?? "no thread"} but the block's loop ${b.loopVar.name} to ${b.threadTag ?? "no thread"}`);
    this.bindRange(b.loopVar, new Range(b.min, b.extent));
    this.stmt(b.body, d.body);
  }

  private blockRealize(b: BlockRealize, d: BlockRealize): void {
    const bb = b.block, db = d.block;
    const name = `block "${db.nameHint}"`;
    if (bb.iterVars.length !== db.iterVars.length) {
      this.fail(`the description's ${name} has ${db.iterVars.length} iter vars but the block's block "${bb.nameHint}" has ${bb.iterVars.length}`);
    }
    db.iterVars.forEach((div, k) => {
      const biv = bb.iterVars[k]!;
      this.defVar(biv.variable, div.variable, "iter var");
      if (biv.iterType !== div.iterType) this.fail(`iter var ${div.variable.name} of the description's ${name} is ${div.iterType} but ${biv.variable.name} of the block's is ${biv.iterType}`);
      if (!this.equal(biv.dom.extent, div.dom.extent)) {
        this.fail(`iter var ${div.variable.name} of the description's ${name} has extent ${text(div.dom.extent)} but ${biv.variable.name} of the block's has ${text(biv.dom.extent)}`);
      }
      if (!this.equal(b.iterValues[k]!, d.iterValues[k]!)) {
        this.fail(`iter var ${div.variable.name} of the description's ${name} is bound to ${text(d.iterValues[k]!)} but ${biv.variable.name} of the block's to ${text(b.iterValues[k]!)}`);
      }
      this.bindRange(biv.variable, biv.dom);
    });
    if (!this.equal(b.predicate, d.predicate) && !(this.provablyTrue(b.predicate) && this.provablyTrue(d.predicate))) {
      this.fail(`the description's ${name} has the predicate ${text(d.predicate)} but the block's has ${text(b.predicate)}`);
    }
    if (bb.allocBuffers.length || db.allocBuffers.length || bb.matchBuffers.length || db.matchBuffers.length) {
      this.fail(`tensorize does not match blocks that allocate or match buffers (block "${bb.nameHint}")`);
    }
    if (!!bb.init !== !!db.init) {
      this.fail(`the description's ${name} ${db.init ? "has" : "has no"} init but the block's block "${bb.nameHint}" ${bb.init ? "has one" : "has none"}`);
    }
    if (db.init) this.stmt(bb.init!, db.init);
    this.stmt(bb.body, db.body);
  }

  // ------------------------------------------------------------ expressions

  private expr(b: PrimExpr, d: PrimExpr): void {
    const mismatch = () => this.fail(`the description computes ${text(d)} where the block computes ${text(b)}`);
    if (b.kind !== d.kind) mismatch();
    if (b.dtype !== d.dtype) this.fail(`the description computes ${text(d)} in ${d.dtype} where the block computes ${text(b)} in ${b.dtype}`);
    if (d instanceof Var) {
      if (this.vars.get(d) !== b) mismatch();
      return;
    }
    if (d instanceof IntImm || d instanceof FloatImm || d instanceof StringImm) {
      if ((b as IntImm).value !== d.value) mismatch();
      return;
    }
    if (d instanceof BufferLoad) {
      const bl = b as BufferLoad;
      this.buffer(bl.buffer, d.buffer);
      this.access(bl.buffer, d.buffer, bl.indices, d.indices);
      return;
    }
    if (d instanceof Cast) return this.expr((b as Cast).value, d.value);
    if (d instanceof Let) {
      const bl = b as Let;
      this.expr(bl.value, d.value);
      this.defVar(bl.variable, d.variable, "let variable");
      return this.expr(bl.body, d.body);
    }
    if (d instanceof Call) {
      const bc = b as Call;
      if (bc.op !== d.op || bc.args.length !== d.args.length) mismatch();
      d.args.forEach((a, i) => this.expr(bc.args[i]!, a));
      return;
    }
    // Every other node kind compares its child expressions field by field.
    const fields = ["a", "b", "condition", "trueValue", "falseValue", "value", "base", "stride"] as const;
    let any = false;
    for (const f of fields) {
      const dv = (d as unknown as Record<string, unknown>)[f];
      if (dv instanceof PrimExpr) {
        any = true;
        this.expr((b as unknown as Record<string, PrimExpr>)[f]!, dv);
      }
    }
    const lanes = (x: PrimExpr) => (x as unknown as { lanes?: number }).lanes;
    if (lanes(b) !== lanes(d)) mismatch();
    if (!any) this.fail(`tensorize cannot match a ${d.kind} expression of the description`);
  }

  private access(b: Buffer, d: Buffer, bIdx: readonly PrimExpr[], dIdx: readonly PrimExpr[]): void {
    if (bIdx.length < dIdx.length) this.fail(`the description indexes ${d.name} with ${dIdx.length} indices but the block indexes ${b.name} with ${bIdx.length}`);
    this.accesses.push({ block: b, desc: d, blockIdx: bIdx, descIdx: dIdx });
  }

  // ------------------------------------------------------------ regions and indices

  /** Tile origins from the block's regions; every region must be the description's tile. */
  private regions(block: Block, root: Block): Map<Buffer, PrimExpr[]> {
    const origins = new Map<Buffer, PrimExpr[]>();
    // A reduction block with an init reads what it writes without listing it.
    const listed = new Set(block.reads.map((r) => r.buffer));
    const reads = block.init ? [...block.reads, ...block.writes.filter((w) => !listed.has(w.buffer))] : block.reads;
    const check = (role: "reads" | "writes", blockRegions: readonly BufferRegion[], descRegions: readonly BufferRegion[]) => {
      for (const dr of descRegions) {
        const b = this.bufs.get(dr.buffer);
        if (!b) this.fail(`the description ${role === "reads" ? "reads" : "writes"} ${dr.buffer.name}, which its body never accesses`);
        const br = blockRegions.find((r) => r.buffer === b);
        if (!br) this.fail(`the description ${role === "reads" ? "reads" : "writes"} ${dr.buffer.name}[${rangeText(dr.region)}] but the block does not ${role === "reads" ? "read" : "write"} ${b.name}`);
        this.tile(br, dr, origins);
      }
      for (const br of blockRegions) {
        const d = this.bufsInv.get(br.buffer);
        if (!d || !descRegions.some((r) => r.buffer === d)) {
          this.fail(`the block ${role === "reads" ? "reads" : "writes"} ${br.buffer.name}[${rangeText(br.region)}] but the description does not ${role === "reads" ? "read" : "write"} ${d ? d.name : "any buffer standing for it"}`);
        }
      }
    };
    check("writes", block.writes, root.writes);
    check("reads", reads, root.reads);
    return origins;
  }

  private tile(br: BufferRegion, dr: BufferRegion, origins: Map<Buffer, PrimExpr[]>): void {
    const b = br.buffer, d = dr.buffer;
    const off = br.region.length - dr.region.length;
    const origin: PrimExpr[] = [];
    for (let k = 0; k < off; k++) {
      const r = br.region[k]!;
      if (!this.analyzer.canProveEqual(r.extent, new IntImm(r.extent.dtype, 1))) {
        this.fail(`the block's region ${b.name}[${rangeText(br.region)}] spans ${text(r.extent)} elements in dimension ${k}, which the description's ${d.ndim}-dimensional buffer ${d.name} cannot cover`);
      }
      origin.push(r.min);
    }
    dr.region.forEach((r, k) => {
      const x = br.region[off + k]!;
      if (!this.analyzer.canProveEqual(x.extent, E.cast(x.extent.dtype, r.extent))) {
        this.fail(`the description's tile ${d.name}[${rangeText(dr.region)}] has extent ${text(r.extent)} in dimension ${k} but the block's region ${b.name}[${rangeText(br.region)}] has ${text(x.extent)}`);
      }
      origin.push(this.analyzer.simplify(E.sub(x.min, E.cast(x.min.dtype, r.min))));
    });
    const prev = origins.get(b);
    if (!prev) {
      origins.set(b, origin);
      return;
    }
    origin.forEach((o, k) => {
      if (!this.analyzer.canProveEqual(o, prev[k]!)) {
        this.fail(`the block reads and writes different tiles of ${b.name} (dimension ${k} starts at ${text(prev[k]!)} and at ${text(o)})`);
      }
    });
  }

  private checkAccesses(origins: ReadonlyMap<Buffer, readonly PrimExpr[]>): void {
    for (const a of this.accesses) {
      const origin = origins.get(a.block);
      if (!origin) this.fail(`the block accesses ${a.block.name} but lists no region of it in T.reads / T.writes`);
      const off = a.blockIdx.length - a.descIdx.length;
      for (let k = 0; k < off; k++) {
        if (!this.analyzer.canProveEqual(a.blockIdx[k]!, origin[k]!)) {
          this.fail(`the block accesses ${indexText(a.block, a.blockIdx)}, outside its tile in dimension ${k} (which is fixed at ${text(origin[k]!)})`);
        }
      }
      a.descIdx.forEach((di, k) => {
        const rel = this.analyzer.simplify(E.sub(a.blockIdx[off + k]!, origin[off + k]!));
        if (!this.equal(rel, di)) {
          this.fail(`the description accesses ${indexText(a.desc, a.descIdx)} where the block accesses ${indexText(a.block, a.blockIdx)}: index ${k} is ${text(rel)} from the tile origin, not ${text(this.mapped(di))}`);
        }
      });
    }
  }
}
