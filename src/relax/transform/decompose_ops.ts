/**
 * DecomposeOps: rewrites composite operators into simpler core operators, so later passes
 * (legalization, fusion) only see the simple ones. Inference semantics:
 *
 *     R.nn.batch_norm(x, gamma, beta, mean, var, axis=1, epsilon=e)
 *       -> ((x - mean') / sqrt(var' + e) * gamma' + beta', mean, var)
 *
 * where `t'` is `t` with unit axes appended after the channel axis (`R.expand_dims`) so it
 * broadcasts along `axis`. `scale=False` drops gamma, `center=False` drops beta. layer_norm,
 * softmax and the activations have TE implementations and stay as they are. A batch_norm
 * with `training=True` is an error (no batch statistics at inference).
 */
import { Call, Constant, Tuple, type Expr } from "../expr.js";
import * as op from "../op/index.js";
import { RelaxOp } from "../op/registry.js";
import { TensorStructInfo } from "../struct_info.js";
import { ExprMutator } from "./mutator.js";
import { relaxFunctionPass, type Pass } from "./pass.js";

type Decomposer = (call: Call) => Expr;

function batchNorm(call: Call): Expr {
  const [x, gamma, beta, mean, variance] = call.args as Expr[];
  if (call.attrs["training"] === true) throw new Error("R.nn.batch_norm: training=True cannot be decomposed for inference (set training=False)");
  const xs = x!.structInfo;
  if (!(xs instanceof TensorStructInfo) || xs.ndim < 0 || xs.isUnknownDtype) {
    throw new Error("R.nn.batch_norm: decomposing needs the rank and dtype of 'data'; give it a shape with R.match_cast first");
  }
  const ndim = xs.ndim;
  const a = call.attrs["axis"] as number;
  const axis = a < 0 ? a + ndim : a;
  const trailing = Array.from({ length: ndim - axis - 1 }, (_, i) => i + 1);
  const bcast = (t: Expr) => (trailing.length > 0 ? op.expandDims(t, trailing) : t);
  const eps = new Constant(xs.dtype, [], [call.attrs["epsilon"] as number]);
  let out: Expr = op.divide(op.subtract(x!, bcast(mean!)), op.sqrt(op.add(bcast(variance!), eps)));
  if (call.attrs["scale"] !== false) out = op.multiply(out, bcast(gamma!));
  if (call.attrs["center"] !== false) out = op.add(out, bcast(beta!));
  return new Tuple([out, mean!, variance!]);
}

const DECOMPOSERS: Readonly<Record<string, Decomposer>> = {
  "relax.nn.batch_norm": batchNorm,
};

class OpDecomposer extends ExprMutator {
  override visitCall(call: Call): Expr {
    const c = super.visitCall(call);
    if (!(c instanceof Call) || !(c.op instanceof RelaxOp)) return c;
    const d = DECOMPOSERS[c.op.name];
    return d ? d(this.bb.normalize(c) as Call) : c;
  }
}

export const DecomposeOps: Pass = relaxFunctionPass("DecomposeOps", (fn, name, mod) => new OpDecomposer(mod).rewriteFunction(fn, name));
