/**
 * DeadCodeElimination: removes bindings whose value is never used and has no side effect, and
 * module functions that no exported function reaches.
 *
 * - Bindings: one backward liveness walk per function. A binding stays when its var is used
 *   later (by a binding that stays, or the result) or its value may have a side effect: a call
 *   of an impure operator or function, an If (kept whole). An unused match_cast stays when it
 *   defines a symbolic var (it is that var's definition). Blocks left empty disappear.
 * - Functions: the roots are the functions with a `global_symbol` (Relax functions and
 *   PrimFuncs); everything a root mentions (calls, `call_tir` callees) is kept, transitively.
 *   A module without any exported function is left whole.
 */
import { GlobalVar } from "../../ir/expr.js";
import { IRModule, type BaseFunc } from "../../ir/module.js";
import { MatchCast, type Binding, type BindingBlock } from "../binding.js";
import { Call, Function, If, SeqExpr, Tuple, TupleGetItem, Var, type Expr } from "../expr.js";
import { RelaxOp } from "../op/registry.js";
import { structInfoVars } from "../struct_info_analysis.js";
import { FuncStructInfo } from "../struct_info.js";
import { ExprMutator } from "./mutator.js";
import { modulePass, wrapError, type Pass } from "./pass.js";

/** Calls `f` on every Relax var and GlobalVar `e` mentions (nested scopes included). */
export function visitUses(e: Expr | GlobalVar, onVar: (v: Var) => void, onGlobal: (g: GlobalVar) => void = () => {}): void {
  if (e instanceof GlobalVar) return onGlobal(e);
  if (e instanceof Var) return onVar(e);
  if (e instanceof Tuple) return e.fields.forEach((f) => visitUses(f, onVar, onGlobal));
  if (e instanceof TupleGetItem) return visitUses(e.tuple, onVar, onGlobal);
  if (e instanceof Call) {
    if (e.op instanceof GlobalVar) onGlobal(e.op);
    else if (!(e.op instanceof RelaxOp)) visitUses(e.op, onVar, onGlobal);
    return e.args.forEach((a) => visitUses(a, onVar, onGlobal));
  }
  if (e instanceof If) {
    visitUses(e.cond, onVar, onGlobal);
    visitUses(e.trueBranch, onVar, onGlobal);
    return visitUses(e.falseBranch, onVar, onGlobal);
  }
  if (e instanceof SeqExpr) {
    for (const b of e.blocks) for (const x of b.bindings) visitUses(x.value, onVar, onGlobal);
    return visitUses(e.body, onVar, onGlobal);
  }
  if (e instanceof Function) {
    for (const p of e.params) onVar(p);
    return visitUses(e.body, onVar, onGlobal);
  }
}

/** Whether evaluating `e` can have an effect besides its value. */
export function mayHaveSideEffect(e: Expr, mod: IRModule): boolean {
  if (e instanceof Call) {
    if (e.op instanceof RelaxOp) return !e.op.pure;
    if (e.op instanceof GlobalVar) {
      const f = mod.tryGet(e.op.name);
      return !(f instanceof Function && f.isPure);
    }
    const s = e.op.structInfo;
    return !(s instanceof FuncStructInfo && s.purity);
  }
  if (e instanceof If || e instanceof SeqExpr) return true;
  return false;
}

class DeadBindingRemover extends ExprMutator {
  private live = new Set<Var>();

  override rewriteFunction(fn: Function, name: string): Function {
    this.live = liveVars(fn, this.mod);
    return super.rewriteFunction(fn, name);
  }

  override visitBinding(b: Binding): void {
    if (!this.live.has(b.variable)) return;
    super.visitBinding(b);
  }
}

/** The binding vars of `fn` that must stay (backward liveness over the top-level blocks). */
function liveVars(fn: Function, mod: IRModule): Set<Var> {
  const live = new Set<Var>();
  const use = (e: Expr) => visitUses(e, (v) => live.add(v));
  const body = fn.body;
  if (!(body instanceof SeqExpr)) return live;
  use(body.body);
  // Symbolic vars defined by match_casts, with the bindings that define them.
  const defined = new Set(fn.params.flatMap((p) => structInfoVars(p.structInfo)));
  const definers = new Set<Binding>();
  for (const blk of body.blocks) {
    for (const b of blk.bindings) {
      if (!(b instanceof MatchCast)) continue;
      const fresh = structInfoVars(b.structInfo).filter((t) => !defined.has(t));
      if (fresh.length > 0) definers.add(b);
      fresh.forEach((t) => defined.add(t));
    }
  }
  const blocks: readonly BindingBlock[] = body.blocks;
  for (let i = blocks.length - 1; i >= 0; i--) {
    const bs = blocks[i]!.bindings;
    for (let j = bs.length - 1; j >= 0; j--) {
      const b = bs[j]!;
      if (live.has(b.variable) || definers.has(b) || mayHaveSideEffect(b.value, mod)) {
        live.add(b.variable);
        use(b.value);
      }
    }
  }
  return live;
}

/** Names of the functions reachable from the exported ones. */
export function reachableFunctions(mod: IRModule): Set<string> {
  const seen = new Set<string>();
  const stack: string[] = [];
  for (const [g, f] of mod.entries()) if (typeof f.attrs["global_symbol"] === "string") stack.push(g.name);
  // A module without exported functions keeps them all (nothing says which are entry points).
  if (stack.length === 0) return new Set(mod.globalVars.map((g) => g.name));
  while (stack.length > 0) {
    const name = stack.pop()!;
    if (seen.has(name) || !mod.has(name)) continue;
    seen.add(name);
    const f = mod.get(name);
    if (f instanceof Function) visitUses(f, () => {}, (g) => stack.push(g.name));
  }
  return seen;
}

export function deadCodeElimination(mod: IRModule): IRModule {
  const entries: [GlobalVar, BaseFunc][] = [];
  for (const [g, f] of mod.entries()) {
    if (!(f instanceof Function)) {
      entries.push([g, f]);
      continue;
    }
    try {
      entries.push([g, new DeadBindingRemover(mod).rewriteFunction(f, g.name)]);
    } catch (e) {
      throw wrapError("DeadCodeElimination", g.name, e);
    }
  }
  const withBindings = new IRModule(entries, mod.attrs);
  const keep = reachableFunctions(withBindings);
  return new IRModule([...withBindings.entries()].filter(([g]) => keep.has(g.name)), mod.attrs);
}

export const DeadCodeElimination: Pass = modulePass("DeadCodeElimination", deadCodeElimination);
