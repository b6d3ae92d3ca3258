/**
 * FuseOps: groups the call_tir bindings of each dataflow block by TVM's operator-fusion rules
 * and lifts every group of two or more bindings into a private Relax function marked
 * `Primitive` (`fused_<callees>`), called where the group was. FuseTIR then merges each such
 * function into one PrimFunc.
 *
 * The rules (TVM's GraphPartitioner over the post-dominator tree of the block's dataflow
 * graph; patterns come from AnnotateTIROpPattern):
 * 1. an out-elemwise-fusable op (matmul, conv) fuses with its elementwise post-dominator when
 *    every op on the way is at most broadcast: matmul + bias add + relu;
 * 2. elementwise and broadcast ops fuse into a post-dominator that is injective or a
 *    reduction (or already in a fused group) when the ops on the way are at most injective;
 * 3. injective ops (reshape, transpose, slicing) fuse into an injective post-dominator.
 * Opaque bindings (tuples, calls of other functions, non-call values) never fuse; a group's
 * outputs are the vars used after it (a tuple when several). Constants the group reads are
 * lifted to parameters; symbolic vars that no input's shape defines on its own (only `n * 2`
 * appears) come in a leading `R.Shape([n])` parameter. Groups are emitted in dependency order.
 */
import { GlobalVar, type PrimExpr, type Var as TirVar } from "../../ir/expr.js";
import { IRModule, type BaseFunc } from "../../ir/module.js";
import { PrimFunc } from "../../tir/function.js";
import { VarBinding, type Binding, type BindingBlock } from "../binding.js";
import { BlockBuilder } from "../block_builder.js";
import {
  Call, Constant, DataflowVar, Function, SeqExpr, ShapeExpr, Tuple, TupleGetItem, Var, type CallArg, type Expr,
} from "../expr.js";
import { RelaxOp } from "../op/registry.js";
import { structInfoVars, substituteStructInfo } from "../struct_info_analysis.js";
import { ShapeStructInfo, type StructInfo } from "../struct_info.js";
import { OP_PATTERN_ATTR, OpPatternKind as K } from "./annotate_tir_op_pattern.js";
import { visitUses } from "./dead_code_elimination.js";
import { ExprMutator } from "./mutator.js";
import { modulePass, wrapError, type Pass } from "./pass.js";

const MAX_FUSE_DEPTH = 256;

interface GNode {
  readonly index: number;
  readonly key: Expr;
  pattern: number;
  externRef: boolean;
  readonly outputs: { node: GNode; pattern: number }[];
  readonly binding?: Binding;
}

interface Group {
  parent: Group | undefined;
  pattern: number;
  numNodes: number;
  hasAnchor: boolean;
}

function root(g: Group): Group {
  while (g.parent) g = g.parent;
  return g;
}

/** The dataflow graph of one block: nodes in topological (post-DFS) order. */
function buildGraph(block: BindingBlock, mod: IRModule): GNode[] {
  const nodes: GNode[] = [];
  const byKey = new Map<Expr, GNode>();
  const make = (key: Expr, pattern: number, binding?: Binding): GNode => {
    const n: GNode = { index: nodes.length, key, pattern, externRef: false, outputs: [], binding };
    nodes.push(n);
    byKey.set(key, n);
    return n;
  };
  const leaf = (e: Expr): GNode | undefined => {
    if (!(e instanceof Var) && !(e instanceof Constant)) return undefined;
    return byKey.get(e) ?? make(e, K.Opaque);
  };
  for (const b of block.bindings) {
    const edges: [GNode, number][] = [];
    let pattern: number = K.Opaque;
    const v = b.value;
    if (b instanceof VarBinding && v instanceof Call && v.op instanceof RelaxOp && v.op.name === "relax.call_tir") {
      const f = mod.tryGet((v.args[0] as GlobalVar).name);
      const p = f instanceof PrimFunc ? f.attrs[OP_PATTERN_ATTR] : undefined;
      pattern = typeof p === "number" ? p : K.Opaque;
      for (const a of (v.args[1] as Tuple).fields) {
        const n = leaf(a);
        if (n) edges.push([n, pattern]);
      }
    } else if (b instanceof VarBinding && v instanceof TupleGetItem) {
      // Opaque: a group that took the item would take the whole tuple as an input, which
      // FuseTIR cannot turn into buffers; the item's consumers start their own groups.
      const n = leaf(v.tuple);
      if (n) edges.push([n, K.Opaque]);
    } else {
      visitUses(v, (x) => {
        const n = leaf(x);
        if (n) edges.push([n, K.Opaque]);
      });
    }
    const node = make(b.variable, pattern, b);
    if (!(b.variable instanceof DataflowVar)) node.externRef = true;
    for (const [src, p] of edges) src.outputs.push({ node, pattern: p });
  }
  return nodes;
}

interface DomNode {
  readonly gnode: GNode;
  parent: DomNode | undefined;
  depth: number;
  pattern: number;
}

/** The post-dominator tree (TVM's DominatorTree::PostDom). */
function postDominators(nodes: readonly GNode[]): DomNode[] {
  const tree: DomNode[] = new Array(nodes.length);
  const lca = (a: DomNode | undefined, b: DomNode | undefined, pat: { p: number }): DomNode | undefined => {
    while (a !== b) {
      if (!a || !b) return undefined;
      if (a.depth < b.depth) {
        pat.p = Math.max(pat.p, b.pattern);
        b = b.parent;
      } else if (b.depth < a.depth) {
        pat.p = Math.max(pat.p, a.pattern);
        a = a.parent;
      } else {
        pat.p = Math.max(pat.p, a.pattern, b.pattern);
        a = a.parent;
        b = b.parent;
      }
    }
    return a;
  };
  for (let i = nodes.length - 1; i >= 0; i--) {
    const g = nodes[i]!;
    if (g.externRef || g.outputs.length === 0) {
      tree[i] = { gnode: g, parent: undefined, depth: 1, pattern: K.Opaque };
      continue;
    }
    const pat = { p: K.ElemWise as number };
    let parent: DomNode | undefined = tree[g.outputs[0]!.node.index];
    pat.p = Math.max(pat.p, g.outputs[0]!.pattern);
    for (const e of g.outputs.slice(1)) {
      parent = lca(parent, tree[e.node.index], pat);
      pat.p = Math.max(pat.p, e.pattern);
    }
    tree[i] = { gnode: g, parent, depth: parent ? parent.depth + 1 : 1, pattern: pat.p };
  }
  return tree;
}

/** TVM's GraphPartitioner: union-find groups over the nodes. */
function partition(nodes: readonly GNode[]): Group[] {
  const groups: Group[] = nodes.map((n) => ({ parent: undefined, pattern: n.pattern, numNodes: 1, hasAnchor: n.pattern === K.OutEWiseFusable }));
  const dom = postDominators(nodes);
  const checkPath = (src: GNode, sink: GNode, fcond: (kind: number, isSink: boolean) => boolean): boolean => {
    const visited = new Set<GNode>();
    const go = (n: GNode): boolean => {
      if (visited.has(n)) return true;
      visited.add(n);
      if (!fcond(root(groups[n.index]!).pattern, n === sink)) return false;
      if (n === sink) return true;
      return n.outputs.every((e) => go(e.node));
    };
    return src.outputs.every((e) => go(e.node));
  };
  const merge = (child: Group, parent: Group) => {
    child = root(child);
    parent = root(parent);
    if (child === parent) return;
    parent.numNodes += child.numNodes;
    child.parent = parent;
    if (child.hasAnchor) {
      parent.hasAnchor = true;
      parent.pattern = Math.max(child.pattern, parent.pattern);
    }
  };
  const commitFuse = (src: GNode, sink: GNode) => {
    const target = groups[sink.index]!;
    const visited = new Set<GNode>();
    const go = (n: GNode) => {
      if (n === sink || visited.has(n)) return;
      visited.add(n);
      merge(groups[n.index]!, target);
      n.outputs.forEach((e) => go(e.node));
    };
    go(src);
  };
  for (let phase = 0; phase < 3; phase++) {
    for (let i = 0; i < nodes.length; i++) {
      const g = nodes[i]!, d = dom[i]!, grp = groups[i]!;
      if (grp.pattern === K.Opaque || !d.parent) continue;
      const sink = d.parent.gnode;
      const sinkGroup = groups[sink.index]!;
      if (root(grp).numNodes + root(sinkGroup).numNodes > MAX_FUSE_DEPTH) continue;
      if (phase === 2) {
        // Tuple fusion: relax tuples are opaque here, so there is nothing to do.
        continue;
      }
      if (root(grp) === root(sinkGroup)) continue;
      if (root(sinkGroup).pattern === K.Tuple) continue;
      if (grp.pattern === K.OutEWiseFusable) {
        if (phase !== 0) continue;
        if (d.pattern === K.ElemWise && checkPath(g, sink, (k) => k <= K.Broadcast)) commitFuse(g, sink);
      } else if (grp.pattern <= K.Broadcast) {
        if (d.pattern <= K.Injective || d.pattern === K.CommReduce) {
          const ok = checkPath(g, sink, (k, isSink) => (isSink ? k <= K.Broadcast || k === K.CommReduce || k === K.Injective || k === K.OutEWiseFusable : k <= K.Injective));
          if (ok) commitFuse(g, sink);
        }
      } else if (grp.pattern === K.Injective || grp.pattern === K.Tuple) {
        if (phase !== 1) continue;
        if (checkPath(g, sink, (k) => k <= K.Injective)) commitFuse(g, sink);
      }
    }
  }
  return groups;
}

class Fuser extends ExprMutator {
  readonly added: [GlobalVar, Function][] = [];
  private readonly names: Set<string>;
  /** Vars used after each binding position of the current function (filled per block). */
  private usedLater = new Set<Var>();
  private fnBody: Expr | undefined;

  constructor(mod: IRModule, names: Set<string>) {
    super(mod);
    this.names = names;
  }

  override rewriteFunction(fn: Function, name: string): Function {
    this.fnBody = fn.body;
    return super.rewriteFunction(fn, name);
  }

  override visitBindingBlock(block: BindingBlock): void {
    if (!block.isDataflow) return super.visitBindingBlock(block);
    const nodes = buildGraph(block, this.mod);
    const groups = partition(nodes);
    const members = new Map<Group, Binding[]>();
    for (const n of nodes) {
      if (!n.binding) continue;
      const r = root(groups[n.index]!);
      const l = members.get(r) ?? [];
      l.push(n.binding);
      members.set(r, l);
    }
    // Units: lifted groups or single bindings, emitted in dependency order.
    const unitOf = new Map<Binding, Binding[]>();
    for (const l of members.values()) for (const b of l) unitOf.set(b, l);
    const units: Binding[][] = [];
    for (const b of block.bindings) if (unitOf.get(b)![0] === b) units.push(unitOf.get(b)!);
    const definedBy = new Map<Var, Binding[]>();
    for (const u of units) for (const b of u) definedBy.set(b.variable, u);
    const deps = new Map<Binding[], Set<Binding[]>>();
    for (const u of units) {
      const d = new Set<Binding[]>();
      for (const b of u) visitUses(b.value, (v) => {
        const o = definedBy.get(v);
        if (o && o !== u) d.add(o);
      });
      deps.set(u, d);
    }
    this.bb.beginDataflow();
    const done = new Set<Binding[]>();
    while (done.size < units.length) {
      const next = units.find((u) => !done.has(u) && [...deps.get(u)!].every((d) => done.has(d)));
      if (!next) throw new Error("FuseOps: the fused groups depend on each other in a cycle");
      done.add(next);
      if (next.length === 1) this.visitBinding(next[0]!);
      else this.emitGroup(next);
    }
    this.bb.endDataflow();
  }

  /** Lifts `members` into a Primitive function and binds its call (and tuple reads) to the members' output vars. */
  private emitGroup(members: Binding[]): void {
    const defined = new Set(members.map((b) => b.variable));
    // Inputs: vars and constants the members read that the group does not define.
    const inputs: Expr[] = [];
    const addInput = (e: Expr) => {
      if ((e instanceof Var && !defined.has(e)) || e instanceof Constant) if (!inputs.includes(e)) inputs.push(e);
    };
    for (const b of members) {
      const v = b.value;
      if (v instanceof Call && v.op instanceof RelaxOp && v.op.name === "relax.call_tir") (v.args[1] as Tuple).fields.forEach(addInput);
      else visitUses(v, addInput);
    }
    // Outputs: member vars read outside the group (other bindings, later blocks, the result).
    const usedOutside = new Set<Var>();
    const body = this.fnBody!;
    const note = (v: Var) => usedOutside.add(v);
    if (body instanceof SeqExpr) {
      for (const blk of body.blocks) for (const b of blk.bindings) if (!defined.has(b.variable)) visitUses(b.value, note);
      visitUses(body.body, note);
    } else visitUses(body, note);
    const outputs = members.map((b) => b.variable).filter((v) => usedOutside.has(v) || !(v instanceof DataflowVar));

    const callees = members.flatMap((b) => (b.value instanceof Call && b.value.args[0] instanceof GlobalVar ? [b.value.args[0].name] : []));
    const base = `fused_${callees.join("_")}`;
    let name = base;
    for (let k = 1; this.names.has(name); k++) name = `${base}${k}`;
    this.names.add(name);

    const fn = this.liftFunction(members, inputs, outputs, name);
    const gv = new GlobalVar(name);
    this.added.push([gv, fn]);
    this.bb.addFunction(fn, gv);

    const args: CallArg[] = inputs.map((e) => this.visitExpr(e));
    // Symbolic vars no input defines come first, in a shape (so the signature defines them before use).
    if (fn.params.length > inputs.length) args.unshift(new ShapeExpr(this.symbolArgs));
    const call = new Call(gv, args);
    if (outputs.length === 1) {
      this.emitVarBinding(new VarBinding(outputs[0]!, call), call);
      return;
    }
    const t = this.bb.emit(call, "lv");
    outputs.forEach((o, i) => this.emitVarBinding(new VarBinding(o, new TupleGetItem(t, i)), new TupleGetItem(t, i)));
  }

  /** Symbolic vars passed to the last lifted function in an extra shape parameter. */
  private symbolArgs: PrimExpr[] = [];

  private liftFunction(members: Binding[], inputs: readonly Expr[], outputs: readonly Var[], name: string): Function {
    // The function gets its own copies of the symbolic vars (each function defines its own).
    const syms: TirVar[] = [];
    for (const e of inputs) structInfoVars(e.structInfo!, syms);
    const standalone = new Set<TirVar>();
    for (const e of inputs) {
      const s = e.structInfo!;
      const dims = "dims" in s ? (s as { dims?: readonly PrimExpr[] }).dims : undefined;
      dims?.forEach((d) => (d.kind === "Var" || d.kind === "SizeVar") && standalone.add(d as TirVar));
    }
    const used: TirVar[] = [];
    for (const b of members) {
      structInfoVars(b.variable.structInfo, used);
      if (b.value instanceof Call) {
        b.value.sinfoArgs.forEach((s) => structInfoVars(s, used));
        const tv = b.value.args[2];
        if (tv instanceof ShapeExpr) structInfoVars(tv.structInfo!, used);
      }
    }
    const loose = used.filter((v) => !standalone.has(v));
    const vmap = new Map<TirVar, PrimExpr>();
    for (const v of [...syms, ...loose]) if (!vmap.has(v)) vmap.set(v, v.copyWithName(v.name));
    const sub = (s: StructInfo) => substituteStructInfo(s, vmap);
    const remap = new Map<Expr, Expr>();
    const params = inputs.map((e, i) => {
      const p = new Var(e instanceof Var ? e.name : `const${i}`, sub(e.structInfo!));
      remap.set(e, p);
      return p;
    });
    this.symbolArgs = loose;
    if (loose.length > 0) params.unshift(new Var("tir_vars", new ShapeStructInfo(loose.map((v) => vmap.get(v)!))));
    const bb = new BlockBuilder(this.mod);
    bb.beginFunction(name, params);
    bb.beginDataflow();
    const rw = (e: Expr): Expr => {
      const r = remap.get(e);
      if (r) return r;
      if (e instanceof Tuple) return new Tuple(e.fields.map(rw));
      if (e instanceof TupleGetItem) return new TupleGetItem(rw(e.tuple), e.index);
      if (e instanceof ShapeExpr) return new ShapeExpr(e.values.map((v) => substituteDim(v, vmap)));
      if (e instanceof Call) {
        return new Call(e.op, e.args.map((a) => (a instanceof GlobalVar ? a : rw(a))), e.attrs, e.sinfoArgs.map(sub));
      }
      return e;
    };
    for (const b of members) {
      const value = bb.normalize(rw(b.value));
      const isOut = outputs.includes(b.variable);
      const v = isOut ? new Var(b.variable.name, sub(b.variable.structInfo)) : new DataflowVar(b.variable.name, sub(b.variable.structInfo));
      bb.emitBinding(new VarBinding(v, value));
      remap.set(b.variable, v);
    }
    bb.endDataflow();
    const result = outputs.length === 1 ? remap.get(outputs[0]!)! : new Tuple(outputs.map((o) => remap.get(o)!));
    return bb.endFunction(result, { attrs: { Primitive: 1 }, private: true });
  }
}

function substituteDim(e: PrimExpr, vmap: Map<TirVar, PrimExpr>): PrimExpr {
  const s = substituteStructInfo(new ShapeStructInfo([e]), vmap) as ShapeStructInfo;
  return s.values![0]!;
}

export function fuseOps(mod: IRModule): IRModule {
  const names = new Set(mod.globalVars.map((g) => g.name));
  const entries: [GlobalVar, BaseFunc][] = [];
  const added: [GlobalVar, Function][] = [];
  for (const [g, f] of mod.entries()) {
    if (!(f instanceof Function) || f.attrs["Primitive"] !== undefined) {
      entries.push([g, f]);
      continue;
    }
    try {
      const fu = new Fuser(mod, names);
      entries.push([g, fu.rewriteFunction(f, g.name)]);
      added.push(...fu.added);
    } catch (e) {
      throw wrapError("FuseOps", g.name, e);
    }
  }
  return new IRModule([...entries, ...added], mod.attrs);
}

export const FuseOps: Pass = modulePass("FuseOps", fuseOps);
