/**
 * SplitWeightPacking (TVM's SplitLayoutRewritePreproc): a scheduled kernel that starts by
 * repacking one of its parameters into a new layout (the matmul rules' packed B panel, conv's
 * packed weights) does that work on every call. When every call passes a constant there, the
 * packing loop nest moves into a kernel of its own and the call sites pack first:
 *
 *   y = R.call_tir(k, (x, W_const), ...)           # k: W_global = pack(W); compute(x, W_global)
 *   ==>
 *   wp = R.call_tir(k_pack_w, (W_const,), R.Tensor(packed shape))
 *   y = R.call_tir(k, (x, wp), ...)                 # k: compute(x, W_global)
 *
 * LiftTransformParams then moves `wp` out of the per-call path: the packing runs once.
 *
 * A packing stage is a root-level loop nest holding one block that reads one parameter buffer
 * (no other block reads it) and writes one buffer the root allocates, both of constant shape.
 */
import type { Buffer } from "../../ir/buffer.js";
import { GlobalVar, Var as TirVar } from "../../ir/expr.js";
import { IRModule, type BaseFunc } from "../../ir/module.js";
import { PrimFunc } from "../../tir/function.js";
import { Block, BlockRealize, SeqStmt, type Stmt } from "../../tir/stmt.js";
import { postOrderVisitStmt } from "../../tir/stmt_functor.js";
import { Call, Constant, Function, If, SeqExpr, ShapeExpr, Tuple, type Expr } from "../expr.js";
import { callTir } from "../op/builtin.js";
import { RelaxOp } from "../op/registry.js";
import { TensorStructInfo } from "../struct_info.js";
import { ExprMutator } from "./mutator.js";
import { modulePass, wrapError, type Pass } from "./pass.js";

interface PackStage {
  /** Index of the packed parameter among the kernel's params (= its call_tir argument). */
  param: number;
  /** Index of the loop nest among the root block's statements. */
  stmt: number;
  /** The packed buffer (a root allocation today, a parameter after the split). */
  packed: Buffer;
}

function rootOf(f: PrimFunc): Block | undefined {
  return f.body instanceof BlockRealize ? f.body.block : undefined;
}

function rootStmts(root: Block): readonly Stmt[] {
  return root.body instanceof SeqStmt ? root.body.seq : [root.body];
}

function blocksIn(s: Stmt): Block[] {
  const out: Block[] = [];
  postOrderVisitStmt(s, (x) => x instanceof Block && out.push(x));
  return out;
}

const isConstShape = (b: Buffer) => b.shape.every((d) => d.kind === "IntImm");

/** The packing stages of a scheduled kernel (at most one per parameter). */
export function findPackStages(f: PrimFunc): PackStage[] {
  const root = rootOf(f);
  if (!root) return [];
  const stmts = rootStmts(root);
  const blocks = stmts.map(blocksIn);
  const paramOf = new Map<Buffer, number>();
  f.params.forEach((p, i) => {
    const b = f.bufferMap.get(p);
    if (b) paramOf.set(b, i);
  });
  const out: PackStage[] = [];
  stmts.forEach((_, i) => {
    const bs = blocks[i]!;
    if (bs.length !== 1) return;
    const b = bs[0]!;
    if (b.reads.length !== 1 || b.writes.length !== 1 || b.init) return;
    const src = b.reads[0]!.buffer, dst = b.writes[0]!.buffer;
    const param = paramOf.get(src);
    if (param === undefined || !root.allocBuffers.includes(dst) || !isConstShape(src) || !isConstShape(dst)) return;
    // The parameter must be read by this stage alone, the packed buffer written by it alone.
    const elsewhere = blocks.some((other, j) => j !== i && other.some((x) => x.reads.some((r) => r.buffer === src) || x.writes.some((w) => w.buffer === dst || w.buffer === src)));
    if (elsewhere || out.some((s) => s.param === param)) return;
    out.push({ param, stmt: i, packed: dst });
  });
  return out;
}

/** The kernel without its packing stages (taking the packed buffers instead) and one packing kernel per stage. */
function split(f: PrimFunc, stages: readonly PackStage[]): { kernel: PrimFunc; packs: PrimFunc[] } {
  const root = rootOf(f)!;
  const stmts = rootStmts(root);
  const params = [...f.params];
  const bufferMap = new Map(f.bufferMap);
  const packs: PrimFunc[] = [];
  for (const s of stages) {
    const p = f.params[s.param]!;
    const src = f.bufferMap.get(p)!;
    const q = new TirVar(s.packed.name, p.dtype);
    params[s.param] = q;
    bufferMap.delete(p);
    bufferMap.set(q, s.packed);
    const body = new Block({ nameHint: "root", body: stmts[s.stmt]! });
    packs.push(new PrimFunc([p, q], BlockRealize.of(body), new Map([[p, src], [q, s.packed]]), { "tir.noalias": true }));
  }
  const moved = new Set(stages.map((s) => s.stmt));
  const packed = new Set(stages.map((s) => s.packed));
  const newRoot = root.with({
    body: SeqStmt.flatten(stmts.filter((_, i) => !moved.has(i))),
    allocBuffers: root.allocBuffers.filter((b) => !packed.has(b)),
  });
  return { kernel: f.with({ params, bufferMap, body: BlockRealize.of(newRoot) }), packs };
}

function callTirParts(c: Call): { gv: GlobalVar; args: Tuple } | undefined {
  if (!(c.op instanceof RelaxOp) || c.op.name !== "relax.call_tir") return undefined;
  const [gv, args] = c.args;
  return gv instanceof GlobalVar && args instanceof Tuple ? { gv, args } : undefined;
}

/** The call_tir calls in the module's Relax functions (binding values, in normal form), by callee name. */
function callSites(mod: IRModule): Map<string, Call[]> {
  const sites = new Map<string, Call[]>();
  const visit = (e: Expr): void => {
    if (e instanceof SeqExpr) {
      for (const blk of e.blocks) for (const b of blk.bindings) visit(b.value);
      visit(e.body);
    } else if (e instanceof If) {
      visit(e.trueBranch);
      visit(e.falseBranch);
    } else if (e instanceof Call) {
      const parts = callTirParts(e);
      if (!parts) return;
      const list = sites.get(parts.gv.name);
      if (list) list.push(e);
      else sites.set(parts.gv.name, [e]);
    }
  };
  for (const [, f] of mod.entries()) if (f instanceof Function) visit(f.body);
  return sites;
}

interface Plan {
  packs: { gv: GlobalVar; param: number; sinfo: TensorStructInfo }[];
}

class CallSplitter extends ExprMutator {
  constructor(
    mod: IRModule,
    private readonly plans: ReadonlyMap<string, Plan>,
  ) {
    super(mod);
  }

  override visitCall(call: Call): Expr {
    const c = super.visitCall(call);
    if (!(c instanceof Call)) return c;
    const parts = callTirParts(c);
    const plan = parts && this.plans.get(parts.gv.name);
    if (!parts || !plan) return c;
    const fields = [...parts.args.fields];
    for (const p of plan.packs) fields[p.param] = this.bb.emit(callTir(p.gv, [fields[p.param]!], p.sinfo));
    return callTir(parts.gv, fields, c.sinfoArgs[0]!, c.args[2] instanceof ShapeExpr ? c.args[2] : undefined);
  }
}

export function splitWeightPacking(mod: IRModule): IRModule {
  const sites = callSites(mod);
  const plans = new Map<string, Plan>();
  const entries: [GlobalVar | string, BaseFunc][] = [];
  for (const [g, f] of mod.entries()) {
    entries.push([g, f]);
    if (!(f instanceof PrimFunc)) continue;
    const calls = sites.get(g.name) ?? [];
    // Only parameters that every call passes a constant for (weights): others would pay for the
    // packing on every call anyway, and as a separate kernel.
    const stages = findPackStages(f).filter((s) => calls.length > 0 && calls.every((c) => callTirParts(c)!.args.fields[s.param] instanceof Constant));
    if (stages.length === 0) continue;
    const { kernel, packs } = split(f, stages);
    entries[entries.length - 1] = [g, kernel];
    const plan: Plan = { packs: [] };
    packs.forEach((pf, k) => {
      const s = stages[k]!;
      const gv = new GlobalVar(`${g.name}_pack_${pf.params[0]!.name}`);
      entries.push([gv, pf]);
      plan.packs.push({ gv, param: s.param, sinfo: new TensorStructInfo(new ShapeExpr(s.packed.shape), s.packed.dtype) });
    });
    plans.set(g.name, plan);
  }
  if (plans.size === 0) return mod;
  const withPacks = new IRModule(entries, mod.attrs);
  return withPacks.map((f, name) => {
    if (!(f instanceof Function)) return f;
    try {
      return new CallSplitter(withPacks, plans).rewriteFunction(f, name);
    } catch (e) {
      throw wrapError("SplitWeightPacking", name, e);
    }
  });
}

export const SplitWeightPacking: Pass = modulePass("SplitWeightPacking", splitWeightPacking);
