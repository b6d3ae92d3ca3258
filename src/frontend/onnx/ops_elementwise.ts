/**
 * Elementwise ONNX ops: arithmetic and comparisons (numpy broadcasting, as Relax's binary ops),
 * Where, unary math, activations, Clip, Cast, Identity and Dropout (inference: identity).
 * Binary ops on import-time known int values (shape arithmetic) fold instead of emitting code.
 */
import { bool, int64, type DataType } from "../../ir/dtype.js";
import { IntImm, type PrimExpr } from "../../ir/expr.js";
import * as E from "../../ir/expr_ops.js";
import { Constant, op, type Expr } from "../../relax/index.js";
import { tensorSinfo } from "../shape_util.js";
import { knownOf, type NodeView } from "./context.js";
import { dtypeFromOnnx } from "./proto.js";
import { registerConverter } from "./registry.js";

/** A 0-d constant of `like`'s dtype (alpha, beta, bounds). */
export function scalarLike(like: Expr, v: number, what: string): Constant {
  return new Constant(tensorSinfo(like, what).dtype, [], [v]);
}

type Binary = (a: Expr, b: Expr) => Expr;
type Fold = (a: PrimExpr, b: PrimExpr) => PrimExpr;

/** Folds a binary op over known int values with broadcasting of a scalar or equal lengths. */
function foldKnown(node: NodeView, fold: Fold, resultDtype?: DataType): boolean {
  const a = node.known(0), b = node.known(1);
  if (!a || !b || a.dtype !== b.dtype) return false;
  const n = Math.max(a.values.length, b.values.length);
  const pick = (k: typeof a, i: number) => (k.values.length === 1 ? k.values[0]! : k.values[i]);
  if ((a.values.length !== n && a.values.length !== 1) || (b.values.length !== n && b.values.length !== 1)) return false;
  const out: PrimExpr[] = [];
  try {
    for (let i = 0; i < n; i++) out.push(node.bb.analyzer.simplify(fold(pick(a, i)!, pick(b, i)!)));
  } catch {
    return false; // not foldable at import time (e.g. comparing symbolic dims): emit the op
  }
  node.setKnown(0, knownOf(out, a.scalar && b.scalar, resultDtype ?? a.dtype));
  return true;
}

function binary(onnxName: string, f: Binary, fold?: Fold, resultDtype?: DataType): void {
  registerConverter(onnxName, (node) => {
    if (fold && foldKnown(node, fold, resultDtype)) return undefined;
    return f(node.input(0), node.input(1));
  });
}

binary("Add", op.add, E.add);
binary("Sub", op.subtract, E.sub);
binary("Mul", op.multiply, E.mul);
// ONNX integer Div truncates; shape arithmetic only divides non-negative dims, where floor = trunc.
binary("Div", op.divide, E.floordiv);
// Equal / Where on known values fold too: PyTorch exports Expand's target shape as
// Where(Equal(shape, -1), ones, shape).
binary("Equal", op.equal, (a, b) => {
  if (!E.isConstInt(a) || !E.isConstInt(b)) throw new TypeError("Equal folds only static values");
  return new IntImm(int64, a.value === b.value ? 1 : 0);
}, bool);
binary("Less", op.less);
binary("LessOrEqual", op.lessEqual);
binary("Greater", op.greater);
binary("GreaterOrEqual", op.greaterEqual);

registerConverter("Pow", (node) => {
  const x = node.input(0);
  let y = node.input(1);
  // ONNX lets the exponent have its own type; Relax's power wants one dtype.
  const xd = tensorSinfo(x, node.label).dtype, yd = tensorSinfo(y, node.label).dtype;
  if (xd !== yd) y = op.astype(y, xd.toString());
  return op.power(x, y);
});

/** Max/Min/Sum/Mean take any number of inputs. */
function variadic(onnxName: string, f: Binary, mean = false): void {
  registerConverter(onnxName, (node) => {
    const xs = node.inputs.map((_, i) => node.input(i));
    if (xs.length === 0) throw node.error("needs at least one input");
    let acc = xs[0]!;
    for (const x of xs.slice(1)) acc = node.bb.emit(f(acc, x));
    return mean && xs.length > 1 ? op.divide(acc, scalarLike(acc, xs.length, node.label)) : acc;
  });
}
variadic("Max", op.maximum);
variadic("Min", op.minimum);
variadic("Sum", op.add);
variadic("Mean", op.add, true);

registerConverter("Where", (node) => {
  const c = node.known(0), a = node.known(1), b = node.known(2);
  if (c && a && b && c.values.every((v) => E.isConstInt(v))) {
    const n = Math.max(c.values.length, a.values.length, b.values.length);
    const at = (k: typeof c, i: number) => (k.values.length === 1 ? k.values[0] : k.values[i]);
    if ([c, a, b].every((k) => k.values.length === 1 || k.values.length === n)) {
      const out = Array.from({ length: n }, (_, i) => ((at(c, i) as IntImm).value ? at(a, i)! : at(b, i)!));
      return node.setKnown(0, knownOf(out, c.scalar && a.scalar && b.scalar, a.dtype));
    }
  }
  return op.where(node.input(0), node.input(1), node.input(2));
});

const UNARY: Record<string, (x: Expr) => Expr> = {
  Relu: op.nn.relu,
  Sigmoid: op.sigmoid,
  Tanh: op.tanh,
  Exp: op.exp,
  Log: op.log,
  Sqrt: op.sqrt,
  Erf: op.erf,
  Neg: op.negative,
  Abs: op.abs,
  Floor: op.floor,
  Ceil: op.ceil,
  Round: op.round,
  Sign: op.sign,
  Sin: op.sin,
  Cos: op.cos,
  Tan: op.tan,
};
for (const [name, f] of Object.entries(UNARY)) registerConverter(name, (node) => f(node.input(0)));

registerConverter("Reciprocal", (node) => {
  const x = node.input(0);
  return op.divide(scalarLike(x, 1, node.label), x);
});

registerConverter("Softplus", (node) => {
  const x = node.input(0);
  return op.log(op.add(op.exp(x), scalarLike(x, 1, node.label)));
});

// Gelu is a default-domain op from opset 20; approximate="tanh" is the tanh formula.
registerConverter("Gelu", (node) => {
  const approx = node.string("approximate", "none");
  if (approx === "none") return op.nn.gelu(node.input(0));
  if (approx === "tanh") return op.nn.geluTanh(node.input(0));
  throw node.error(`approximate="${approx}" is not an ONNX Gelu mode (use "none" or "tanh")`);
});

registerConverter("LeakyRelu", (node) => {
  const x = node.input(0);
  const alpha = node.float("alpha", 0.01);
  // where(x > 0, x, alpha * x): correct for every alpha, not only 0 <= alpha <= 1.
  return op.where(op.greater(x, scalarLike(x, 0, node.label)), x, op.multiply(x, scalarLike(x, alpha, node.label)));
});

registerConverter("Elu", (node) => {
  const x = node.input(0);
  const alpha = node.float("alpha", 1);
  const neg = op.multiply(op.subtract(op.exp(x), scalarLike(x, 1, node.label)), scalarLike(x, alpha, node.label));
  return op.where(op.greater(x, scalarLike(x, 0, node.label)), x, neg);
});

registerConverter("HardSigmoid", (node) => {
  const x = node.input(0);
  const alpha = node.float("alpha", 0.2), beta = node.float("beta", 0.5);
  const lin = op.add(op.multiply(x, scalarLike(x, alpha, node.label)), scalarLike(x, beta, node.label));
  return op.minimum(op.maximum(lin, scalarLike(x, 0, node.label)), scalarLike(x, 1, node.label));
});

// HardSwish(x) = x * HardSigmoid(x) with alpha = 1/6, beta = 0.5 (MobileNetV3).
registerConverter("HardSwish", (node) => {
  const x = node.input(0);
  const lin = op.add(op.multiply(x, scalarLike(x, 1 / 6, node.label)), scalarLike(x, 0.5, node.label));
  const hs = node.bb.emit(op.minimum(op.maximum(lin, scalarLike(x, 0, node.label)), scalarLike(x, 1, node.label)));
  return op.multiply(x, hs);
});

// Clip: bounds are optional inputs since opset 11 (attributes before).
registerConverter("Clip", (node) => {
  let y = node.input(0);
  const lo = node.optionalInput(1), hi = node.optionalInput(2);
  if (lo) y = node.bb.emit(op.maximum(y, lo));
  if (hi) y = op.minimum(y, hi);
  return y;
});

registerConverter("Cast", (node) => {
  if (!node.hasAttr("to")) throw node.error("attribute 'to' (the target element type) is missing");
  const to = dtypeFromOnnx(node.int("to", 0), node.label);
  const k = node.known(0);
  if (k && to.isIntegral() && !to.isBool()) return node.setKnown(0, knownOf(k.values, k.scalar, to));
  return op.astype(node.input(0), to.toString());
});

function identity(node: NodeView): Expr | undefined {
  const k = node.known(0);
  if (k) return node.setKnown(0, k);
  return node.input(0);
}
registerConverter("Identity", identity);

registerConverter("Dropout", (node) => {
  if (node.wantsOutput(1)) throw node.error("the mask output is not supported (weft imports models for inference, where Dropout is the identity)");
  if (node.hasInput(2)) {
    const t = node.input(2);
    if (!(t instanceof Constant) || t.data[0] !== 0) throw node.error("training_mode must be a constant false for inference");
  }
  return identity(node);
});
