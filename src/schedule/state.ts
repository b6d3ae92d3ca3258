/**
 * ScheduleState: the module being scheduled plus the sref tree over it and the cached flags of
 * each block. Every transformation goes through `replace` (path copying up to the function's
 * root block) or `replaceFunc`; both re-point surviving srefs at the new statements.
 */
import type { Var } from "../ir/expr.js";
import { IRModule } from "../ir/module.js";
import { PrimFunc } from "../tir/function.js";
import {
  Allocate, AssertStmt, AttrStmt, Block, BlockRealize, DeclBuffer, For, IfThenElse, LetStmt, SeqStmt, While,
  type Stmt,
} from "../tir/stmt.js";
import { StmtSRef } from "./sref.js";
import { replaceChild } from "./replace.js";
import { computeBlockInfo, type BlockInfo } from "./block_info.js";

export class ScheduleState {
  private currentMod: IRModule;
  private readonly refs = new Map<Block | For, StmtSRef>();
  private readonly realizes = new Map<Block, BlockRealize>();
  private readonly roots = new Map<string, StmtSRef>();
  private readonly funcOfRoot = new Map<StmtSRef, string>();
  private readonly funcRefs = new Map<string, Set<StmtSRef>>();
  private infoCache = new Map<StmtSRef, BlockInfo>();

  constructor(mod: IRModule) {
    this.currentMod = mod;
    for (const [g, f] of mod.entries()) {
      if (f instanceof PrimFunc && f.body instanceof BlockRealize) this.index(g.name, f, new Map());
    }
  }

  get mod(): IRModule {
    return this.currentMod;
  }

  func(name: string): PrimFunc {
    const f = this.currentMod.get(name);
    if (!(f instanceof PrimFunc)) throw new Error(`"${name}" is not a PrimFunc`);
    return f;
  }

  /** Names of the functions that have a root block (schedulable). */
  funcNames(): string[] {
    return [...this.roots.keys()];
  }

  rootSRef(funcName: string): StmtSRef {
    const r = this.roots.get(funcName);
    if (!r) {
      const f = this.currentMod.tryGet(funcName);
      if (!f) throw new Error(`the module has no function "${funcName}"`);
      throw new Error(
        `function "${funcName}" has no root block: TensorIR schedules need block-based functions (write T.block in TVMScript or build it with te.createPrimFunc)`,
      );
    }
    return r;
  }

  getSRef(stmt: Block | For): StmtSRef | undefined {
    return this.refs.get(stmt);
  }

  /** The BlockRealize that binds a block. */
  realizeOf(block: Block): BlockRealize {
    const r = this.realizes.get(block);
    if (!r) throw new Error(`internal: block "${block.nameHint}" has no BlockRealize in the schedule state`);
    return r;
  }

  rootOf(sref: StmtSRef): StmtSRef {
    let r = sref;
    while (r.parent) r = r.parent;
    return r;
  }

  funcNameOf(sref: StmtSRef): string {
    const name = this.funcOfRoot.get(this.rootOf(sref));
    if (name === undefined) throw new Error(`internal: ${sref.describe()} is not in any function of the schedule`);
    return name;
  }

  funcOf(sref: StmtSRef): PrimFunc {
    return this.func(this.funcNameOf(sref));
  }

  /** The cached flags of a block (affine binding, region cover, stage pipeline). */
  blockInfo(blockSRef: StmtSRef): BlockInfo {
    let info = this.infoCache.get(blockSRef);
    if (!info) {
      info = computeBlockInfo(this, blockSRef);
      this.infoCache.set(blockSRef, info);
    }
    return info;
  }

  /**
   * Replaces the statement of `src` by `tgt` (a Block replaces a Block; a loop may become any
   * statement). `blockReuse` maps old blocks to the new blocks that keep their srefs.
   */
  replace(src: StmtSRef, tgt: Stmt, blockReuse: ReadonlyMap<Block, Block> = new Map()): void {
    if (!src.stmt) throw new Error("internal: replace of a removed statement");
    const funcName = this.funcNameOf(src);
    let child: Stmt = src.stmt;
    let newChild: Stmt = tgt;
    for (let p = src.parent; p; p = p.parent) {
      const ps = p.stmt!;
      newChild = replaceChild(ps, child, newChild);
      child = ps;
    }
    if (!(newChild instanceof Block)) throw new Error("internal: the root of a function must stay a block");
    const func = this.func(funcName);
    const body = replaceChild(func.body, child, newChild);
    this.replaceFunc(funcName, func.withBody(body), blockReuse);
  }

  /** Replaces a whole function (for transformations easier written over the function). */
  replaceFunc(funcName: string, func: PrimFunc, blockReuse: ReadonlyMap<Block, Block> = new Map()): void {
    this.currentMod = this.currentMod.with(funcName, func);
    this.index(funcName, func, blockReuse);
  }

  /** Captures everything `replace` changes, for undoing a failed primitive. */
  snapshot(): () => void {
    const mod = this.currentMod;
    const refs = new Map(this.refs);
    const realizes = new Map(this.realizes);
    const roots = new Map(this.roots);
    const funcOfRoot = new Map(this.funcOfRoot);
    const funcRefs = new Map([...this.funcRefs].map(([k, v]) => [k, new Set(v)] as const));
    const fields = new Map<StmtSRef, [Block | For | undefined, StmtSRef | undefined, number]>();
    for (const set of this.funcRefs.values()) for (const s of set) fields.set(s, [s.stmt, s.parent, s.seqIndex]);
    return () => {
      this.currentMod = mod;
      const restore = <K, V>(dst: Map<K, V>, src: Map<K, V>) => {
        dst.clear();
        for (const [k, v] of src) dst.set(k, v);
      };
      restore(this.refs, refs);
      restore(this.realizes, realizes);
      restore(this.roots, roots);
      restore(this.funcOfRoot, funcOfRoot);
      restore(this.funcRefs, funcRefs);
      for (const [s, [stmt, parent, idx]] of fields) {
        s.stmt = stmt;
        s.parent = parent;
        s.seqIndex = idx;
      }
      this.infoCache = new Map();
    };
  }

  /** (Re)builds the sref tree of one function, reusing the srefs of surviving statements. */
  private index(funcName: string, func: PrimFunc, blockReuse: ReadonlyMap<Block, Block>): void {
    this.infoCache = new Map();
    const old = this.funcRefs.get(funcName) ?? new Set<StmtSRef>();
    const byLoopVar = new Map<Var, StmtSRef>();
    const byName = new Map<string, StmtSRef[]>();
    const reuseInv = new Map<Block, Block>();
    const byStmt = new Map<Block | For, StmtSRef>();
    for (const [o, n] of blockReuse) reuseInv.set(n, o);
    for (const s of old) {
      if (s.stmt instanceof For) byLoopVar.set(s.stmt.loopVar, s);
      else if (s.stmt instanceof Block) {
        const l = byName.get(s.stmt.nameHint) ?? [];
        l.push(s);
        byName.set(s.stmt.nameHint, l);
      }
      if (s.stmt) {
        byStmt.set(s.stmt, s);
        this.refs.delete(s.stmt);
        if (s.stmt instanceof Block) this.realizes.delete(s.stmt);
      }
    }
    const claimed = new Set<StmtSRef>();
    const fresh = new Set<StmtSRef>();
    const claim = (s: StmtSRef | undefined): StmtSRef | undefined => {
      if (!s || claimed.has(s) || !old.has(s)) return undefined;
      claimed.add(s);
      return s;
    };
    // Blocks kept by the reuse map or by identity claim their srefs before any block is matched
    // by name, so a new block sharing a name with a surviving one cannot take its sref.
    const kept = new Map<Block, StmtSRef>();
    const keep = (x: Stmt): void => {
      if (x instanceof BlockRealize) {
        const prev = reuseInv.get(x.block);
        const s = (prev ? claim(byStmt.get(prev)) : undefined) ?? claim(byStmt.get(x.block));
        if (s) kept.set(x.block, s);
        if (x.block.init) keep(x.block.init);
        keep(x.block.body);
      } else if (x instanceof SeqStmt) {
        x.seq.forEach(keep);
      } else if (x instanceof IfThenElse) {
        keep(x.thenCase);
        if (x.elseCase) keep(x.elseCase);
      } else if (
        x instanceof For || x instanceof LetStmt || x instanceof AttrStmt || x instanceof AssertStmt ||
        x instanceof Allocate || x instanceof DeclBuffer || x instanceof While
      ) {
        keep(x.body);
      }
    };
    keep(func.body);
    const srefFor = (x: Block | For, parent: StmtSRef | undefined, seqIndex: number): StmtSRef => {
      let s: StmtSRef | undefined;
      if (x instanceof For) s = claim(byLoopVar.get(x.loopVar));
      else s = kept.get(x) ?? claim(byName.get(x.nameHint)?.find((c) => !claimed.has(c)));
      if (!s) s = new StmtSRef(x, parent, seqIndex);
      s.stmt = x;
      s.parent = parent;
      s.seqIndex = seqIndex;
      fresh.add(s);
      this.refs.set(x, s);
      return s;
    };
    const walk = (x: Stmt, parent: StmtSRef | undefined, seqIndex: number): void => {
      if (x instanceof BlockRealize) {
        const s = srefFor(x.block, parent, seqIndex);
        this.realizes.set(x.block, x);
        if (x.block.init) walk(x.block.init, s, -1);
        walk(x.block.body, s, -1);
      } else if (x instanceof For) {
        walk(x.body, srefFor(x, parent, seqIndex), -1);
      } else if (x instanceof SeqStmt) {
        x.seq.forEach((y, i) => walk(y, parent, i));
      } else if (x instanceof IfThenElse) {
        walk(x.thenCase, parent, -1);
        if (x.elseCase) walk(x.elseCase, parent, -1);
      } else if (
        x instanceof LetStmt || x instanceof AttrStmt || x instanceof AssertStmt || x instanceof Allocate ||
        x instanceof DeclBuffer || x instanceof While
      ) {
        walk(x.body, parent, -1);
      }
    };
    const prevRoot = this.roots.get(funcName);
    if (prevRoot) this.funcOfRoot.delete(prevRoot);
    if (!(func.body instanceof BlockRealize)) {
      this.roots.delete(funcName);
      this.funcRefs.delete(funcName);
      for (const s of old) this.invalidate(s);
      return;
    }
    walk(func.body, undefined, -1);
    const root = this.refs.get(func.body.block)!;
    this.roots.set(funcName, root);
    this.funcOfRoot.set(root, funcName);
    for (const s of old) if (!claimed.has(s)) this.invalidate(s);
    this.funcRefs.set(funcName, fresh);
  }

  private invalidate(s: StmtSRef): void {
    s.stmt = undefined;
    s.parent = undefined;
    s.seqIndex = -1;
  }
}
