/**
 * Matrix products: matmul (numpy semantics: 1-D operands promoted and squeezed, batch
 * dimensions broadcast, optional transposes), batch_matmul (TVM's 3-D form, B transposed by
 * default) and dense (x @ Wᵀ + bias).
 */
import { dtypeOf, type DataType, type DTypeLike } from "../../ir/dtype.js";
import type { PrimExpr } from "../../ir/expr.js";
import { cast, mul } from "../../ir/expr_ops.js";
import { reduceAxis, sum } from "../reduce.js";
import { Tensor, compute } from "../tensor.js";
import { add } from "./broadcast.js";
import { broadcastIndex, broadcastShapes, checkRank, checkTensor, dimsCompatible, formatDim, formatShape } from "./shape_utils.js";

export interface MatmulOptions {
  transposeA?: boolean;
  transposeB?: boolean;
  /** Accumulate and return in this dtype (operands are cast); needed when A and B differ. */
  outDtype?: DTypeLike;
}

interface Roles {
  op: string;
  a: string;
  b: string;
}

function resultDtype(r: Roles, A: Tensor, B: Tensor, outDtype: DTypeLike | undefined): DataType {
  if (outDtype !== undefined) return dtypeOf(outDtype);
  if (A.dtype !== B.dtype) {
    throw new TypeError(`${r.op}: dtypes differ: ${r.a} is ${A.dtype} but ${r.b} is ${B.dtype} (give outDtype to multiply mixed types)`);
  }
  return A.dtype;
}

function matmulImpl(r: Roles, A: Tensor, B: Tensor, ta: boolean, tb: boolean, outDtype: DTypeLike | undefined, name: string): Tensor {
  checkTensor(r.op, r.a, A);
  checkTensor(r.op, r.b, B);
  if (A.ndim === 0 || B.ndim === 0) {
    throw new TypeError(`${r.op}: operands must be at least 1-D, got ${r.a} ${formatShape(A.shape)} and ${r.b} ${formatShape(B.shape)}`);
  }
  const dtype = resultDtype(r, A, B, outDtype);
  const a1 = A.ndim === 1, b1 = B.ndim === 1;
  const an = A.ndim, bn = B.ndim;
  const M = a1 ? undefined : ta ? A.shape[an - 1]! : A.shape[an - 2]!;
  const Ka = a1 ? A.shape[0]! : ta ? A.shape[an - 2]! : A.shape[an - 1]!;
  const Kb = b1 ? B.shape[0]! : tb ? B.shape[bn - 1]! : B.shape[bn - 2]!;
  const N = b1 ? undefined : tb ? B.shape[bn - 2]! : B.shape[bn - 1]!;
  if (!dimsCompatible(Ka, Kb)) {
    const flags = ta || tb ? ` (transpose_a=${ta}, transpose_b=${tb})` : "";
    throw new TypeError(`${r.op}: inner dimensions differ: ${r.a} is ${formatShape(A.shape)} but ${r.b} is ${formatShape(B.shape)}${flags}`);
  }
  const batchA = a1 ? [] : A.shape.slice(0, an - 2);
  const batchB = b1 ? [] : B.shape.slice(0, bn - 2);
  let batch: PrimExpr[];
  try {
    batch = broadcastShapes(r.op, [[r.a, batchA], [r.b, batchB]]);
  } catch {
    throw new TypeError(
      `${r.op}: batch dimensions cannot be broadcast: ${r.a} is ${formatShape(A.shape)} and ${r.b} is ${formatShape(B.shape)}`,
    );
  }
  const nb = batch.length;
  const shape = [...batch, ...(M ? [M] : []), ...(N ? [N] : [])];
  const names = [...batch.map((_, i) => `b${i}`), ...(M ? ["i"] : []), ...(N ? ["j"] : [])];
  const k = reduceAxis(Ka, "k");
  const kv = k.variable;
  const conv = (e: PrimExpr) => (e.dtype === dtype ? e : cast(dtype, e));
  return compute(
    shape,
    (...idx) => {
      const bIdx = idx.slice(0, nb);
      const i = M ? idx[nb]! : undefined;
      const j = N ? idx[nb + (M ? 1 : 0)]! : undefined;
      const aIdx = [...broadcastIndex(batchA, batch, bIdx), ...(a1 ? [kv] : ta ? [kv, i!] : [i!, kv])];
      const bIdx2 = [...broadcastIndex(batchB, batch, bIdx), ...(b1 ? [kv] : tb ? [j!, kv] : [kv, j!])];
      return sum(mul(conv(A.load(aIdx)), conv(B.load(bIdx2))), k);
    },
    name,
    { tag: "matmul", axisNames: names },
  );
}

const suffix = (ta: boolean, tb: boolean) => `${ta ? "T" : "N"}${tb ? "T" : "N"}`;

/** numpy.matmul, with optional transposes of the last two dimensions (`T_matmul_NN`, ...). */
export function matmul(A: Tensor, B: Tensor, opts: MatmulOptions = {}): Tensor {
  const ta = opts.transposeA ?? false, tb = opts.transposeB ?? false;
  return matmulImpl({ op: "matmul", a: "A", b: "B" }, A, B, ta, tb, opts.outDtype, `T_matmul_${suffix(ta, tb)}`);
}

/**
 * TVM's batch_matmul: x [b, M, K] times y [b, K, N] (or y [b, N, K] when transposeB, the
 * default); a batch of 1 broadcasts.
 */
export function batchMatmul(x: Tensor, y: Tensor, opts: MatmulOptions = {}): Tensor {
  checkTensor("batch_matmul", "x", x);
  checkTensor("batch_matmul", "y", y);
  checkRank("batch_matmul", "x", x, [3]);
  checkRank("batch_matmul", "y", y, [3]);
  const ta = opts.transposeA ?? false, tb = opts.transposeB ?? true;
  return matmulImpl({ op: "batch_matmul", a: "x", b: "y" }, x, y, ta, tb, opts.outDtype, `T_batch_matmul_${suffix(ta, tb)}`);
}

/** A fully connected layer: data [..., K] times weight [N, K] transposed, plus bias [N]. */
export function dense(data: Tensor, weight: Tensor, bias?: Tensor, outDtype?: DTypeLike): Tensor {
  checkTensor("dense", "data", data);
  checkTensor("dense", "weight", weight);
  checkRank("dense", "weight", weight, [2]);
  const out = matmulImpl({ op: "dense", a: "data", b: "weight" }, data, weight, false, true, outDtype, "T_matmul_NT");
  if (bias === undefined) return out;
  checkTensor("dense", "bias", bias);
  if (bias.ndim !== 1 || !dimsCompatible(bias.shape[0]!, weight.shape[0]!)) {
    throw new TypeError(`dense: bias must be 1-D with ${formatDim(weight.shape[0]!)} entries (weight is ${formatShape(weight.shape)}), got ${formatShape(bias.shape)}`);
  }
  if (bias.dtype !== out.dtype) throw new TypeError(`dense: bias is ${bias.dtype} but the product is ${out.dtype}`);
  return add(out, bias);
}
