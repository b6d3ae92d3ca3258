/**
 * CanonicalizeBindings: removes bindings that only rename a value.
 *
 * - `y = x` (a var bound to another var): later uses of `y` read `x`. When `y` is an output of
 *   a dataflow block and `x` a DataflowVar of that block with the same StructInfo, `x`'s own
 *   binding defines `y` instead (a DataflowVar cannot be used after its block).
 * - `y = R.match_cast(x, S)` where `x` provably already has struct info `S` and `S` defines no
 *   new symbolic var: uses of `y` read `x`.
 * - `t[i]` of a var bound to a tuple literal reads the field directly.
 */
import { structuralEqual } from "../../ir/structural.js";
import { MatchCast, VarBinding, type Binding, type BindingBlock } from "../binding.js";
import { DataflowVar, Tuple, TupleGetItem, Var, type Expr } from "../expr.js";
import { baseCheck, structInfoVars } from "../struct_info_analysis.js";
import { ExprMutator } from "./mutator.js";
import { relaxFunctionPass, type Pass } from "./pass.js";

class Canonicalizer extends ExprMutator {
  /** DataflowVars whose binding defines an output var instead. */
  private readonly renameDef = new Map<Var, Var>();
  /** `gv = lv` bindings made redundant by a renamed definition. */
  private readonly dropped = new Set<Binding>();
  private readonly tuples = new Map<Var, Tuple>();

  override visitBindingBlock(block: BindingBlock): void {
    if (block.isDataflow) this.planOutputRenames(block);
    super.visitBindingBlock(block);
  }

  private planOutputRenames(block: BindingBlock): void {
    const defs = new Map<Var, Binding>();
    for (const b of block.bindings) defs.set(b.variable, b);
    const taken = new Set<Var>();
    for (const b of block.bindings) {
      if (!(b instanceof VarBinding) || b.variable instanceof DataflowVar || !(b.value instanceof DataflowVar)) continue;
      const src = b.value;
      const def = defs.get(src);
      if (!(def instanceof VarBinding) || taken.has(src) || !structuralEqual(src.structInfo, b.variable.structInfo)) continue;
      taken.add(src);
      this.renameDef.set(src, b.variable);
      this.varRemap.set(src, b.variable);
      this.dropped.add(b);
    }
  }

  override visitBinding(b: Binding): void {
    if (this.dropped.has(b)) return;
    const value = this.visitExpr(b.value);
    const v = b.variable;
    if (b instanceof VarBinding && value instanceof Var && this.canAlias(v, value)) {
      this.varRemap.set(v, value);
      return;
    }
    if (b instanceof MatchCast && value instanceof Var && this.canAlias(v, value)) {
      const fresh = structInfoVars(b.structInfo).some((t) => !this.bb.isDefinedSymbol(t));
      if (!fresh && baseCheck(b.structInfo, value.structInfo, this.bb.analyzer) === "pass") {
        this.varRemap.set(v, value);
        return;
      }
    }
    if (b instanceof VarBinding) {
      const target = this.renameDef.get(v);
      const out = this.emitVarBinding(target ? new VarBinding(target, b.value) : b, value);
      if (value instanceof Tuple) this.tuples.set(out, value);
      return;
    }
    this.emitMatchCast(b, value);
  }

  /** Whether uses of `v` may read `x` instead: `x` must stay visible wherever `v` was. */
  private canAlias(v: Var, x: Var): boolean {
    return !(x instanceof DataflowVar) || v instanceof DataflowVar;
  }

  override visitExpr(e: Expr): Expr {
    const r = super.visitExpr(e);
    if (r instanceof TupleGetItem && r.tuple instanceof Var) {
      const t = this.tuples.get(r.tuple);
      const field = t?.fields[r.index];
      // A DataflowVar field may not be read where only the (output) tuple var is visible.
      if (field && (!(field instanceof DataflowVar) || r.tuple instanceof DataflowVar)) return field;
    }
    return r;
  }
}

/** Rounds until nothing changes: folding `t[i]` can expose a new `gv = lv` to rename. */
const MAX_ROUNDS = 4;

export const CanonicalizeBindings: Pass = relaxFunctionPass("CanonicalizeBindings", (fn, name, mod) => {
  let cur = fn;
  for (let i = 0; i < MAX_ROUNDS; i++) {
    const next = new Canonicalizer(mod).rewriteFunction(cur, name);
    if (structuralEqual(next, cur)) return next;
    cur = next;
  }
  return cur;
});
