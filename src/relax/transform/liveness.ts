/**
 * Lifetimes of the tensors a function allocates, for memory planning and kills. Works on the
 * function's top-level bindings (in order, across blocks; an If binding counts as one use of
 * everything its branches use). A value may be reached through aliases (`y = x`, a tuple, a
 * tuple item, a reshape view, the result of a call that may return its argument), so each
 * variable maps to the set of allocations ("roots") it may refer to. A root is live until the
 * last binding that uses any of its aliases; roots reachable from the return value escape.
 */
import { GlobalVar } from "../../ir/expr.js";
import type { IRModule } from "../../ir/module.js";
import type { Binding } from "../binding.js";
import { Call, Function, Tuple, TupleGetItem, Var, type Expr } from "../expr.js";
import { RelaxOp } from "../op/registry.js";
import { usedVars } from "./lower_util.js";

/** Ops whose result shares memory with their first argument. */
const VIEW_OPS = new Set(["relax.reshape"]);

export interface Liveness {
  /** The top-level bindings in order. */
  readonly bindings: readonly Binding[];
  /** Index of the last binding that uses the root through any alias (its own index if unused). */
  readonly lastUse: ReadonlyMap<Var, number>;
  /** Roots the function's result may refer to: they outlive the call. */
  readonly escaping: ReadonlySet<Var>;
}

/**
 * `isRoot(binding)` says which bindings allocate (their variable becomes a root).
 * `mod` tells DPS PrimFunc calls (no aliasing) from other calls.
 */
export function analyzeLiveness(bindings: readonly Binding[], body: Expr, isRoot: (b: Binding) => boolean, mod?: IRModule): Liveness {
  const roots = new Map<Var, Set<Var>>();
  const rootsOf = (vars: Iterable<Var>): Set<Var> => {
    const s = new Set<Var>();
    for (const v of vars) for (const r of roots.get(v) ?? []) s.add(r);
    return s;
  };
  const lastUse = new Map<Var, number>();
  bindings.forEach((b, i) => {
    const used = usedVars(b.value);
    for (const r of rootsOf(used)) lastUse.set(r, i);
    if (isRoot(b)) {
      roots.set(b.variable, new Set([b.variable]));
      lastUse.set(b.variable, i);
      return;
    }
    const v = b.value;
    let aliased: Set<Var> | undefined;
    if (v instanceof Var || v instanceof Tuple || v instanceof TupleGetItem) aliased = rootsOf(used);
    else if (v instanceof Call) {
      if (v.op instanceof RelaxOp) {
        if (VIEW_OPS.has(v.op.name)) aliased = rootsOf(usedVars(v.args[0] as Expr));
      } else if (v.op instanceof GlobalVar) {
        const callee = mod?.tryGet(v.op.name);
        // A PrimFunc writes into its arguments and returns nothing; a Relax function may return them.
        if (!callee || callee instanceof Function) aliased = rootsOf(used);
      } else aliased = rootsOf(used);
    } else aliased = rootsOf(used); // If, SeqExpr: conservatively every value it touches
    if (aliased && aliased.size > 0) roots.set(b.variable, aliased);
  });
  const escaping = rootsOf(usedVars(body));
  return { bindings, lastUse, escaping };
}
