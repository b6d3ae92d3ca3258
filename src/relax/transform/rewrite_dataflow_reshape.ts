/**
 * RewriteDataflowReshape: a call_tir of a kernel that only reinterprets its input's row-major
 * data in another shape (LegalizeOps marks the kernels of reshape, squeeze, expand_dims and
 * flatten with the attribute `weft.reshape`) becomes `R.reshape(x, shape)`, which the VM runs
 * as a view of the same storage instead of a copy. Kernels that fusion merged with other
 * operators are new functions without the mark and stay as they are.
 *
 *   y = R.call_tir(reshape, (x,), R.Tensor((n, 12, 64), "float32"))
 *   ==>  y = R.reshape(x, R.shape([n, 12, 64]))
 */
import { GlobalVar } from "../../ir/expr.js";
import { IRModule, type BaseFunc } from "../../ir/module.js";
import { PrimFunc } from "../../tir/function.js";
import { Call, Function, Tuple, type Expr } from "../expr.js";
import { reshape } from "../op/manipulate.js";
import { RelaxOp } from "../op/registry.js";
import { TensorStructInfo } from "../struct_info.js";
import { reachableFunctions } from "./dead_code_elimination.js";
import { ExprMutator } from "./mutator.js";
import { modulePass, wrapError, type Pass } from "./pass.js";

/** The attribute LegalizeOps puts on kernels that are pure reshapes of their one input. */
export const RESHAPE_ATTR = "weft.reshape";

class ReshapeRewriter extends ExprMutator {
  override visitCall(call: Call): Expr {
    const c = super.visitCall(call);
    if (!(c instanceof Call) || !(c.op instanceof RelaxOp) || c.op.name !== "relax.call_tir") return c;
    const [callee, args] = c.args;
    if (!(callee instanceof GlobalVar) || !(args instanceof Tuple) || args.fields.length !== 1) return c;
    const f = this.mod.get(callee.name);
    const out = c.sinfoArgs[0];
    if (!(f instanceof PrimFunc) || !f.attrs[RESHAPE_ATTR] || !(out instanceof TensorStructInfo) || !out.dims) return c;
    const x = args.fields[0]!;
    // A view keeps the dtype: only a same-dtype reshape qualifies.
    if (!(x.structInfo instanceof TensorStructInfo) || x.structInfo.dtype !== out.dtype) return c;
    return reshape(x, out.dims);
  }
}

export function rewriteDataflowReshape(mod: IRModule): IRModule {
  const out = [...mod.entries()].map(([g, f]): [GlobalVar, BaseFunc] => {
    if (!(f instanceof Function)) return [g, f];
    try {
      return [g, new ReshapeRewriter(mod).rewriteFunction(f, g.name)];
    } catch (e) {
      throw wrapError("RewriteDataflowReshape", g.name, e);
    }
  });
  const result = new IRModule(out, mod.attrs);
  const keep = reachableFunctions(result);
  return new IRModule([...result.entries()].filter(([g]) => keep.has(g.name)), mod.attrs);
}

export const RewriteDataflowReshape: Pass = modulePass("RewriteDataflowReshape", rewriteDataflowReshape);
