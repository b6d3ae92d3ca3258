/**
 * StaticPlanBlockMemory: places the tensors a function allocates (`R.builtin.alloc_tensor`,
 * from CallTIRRewrite) into storages, and lets tensors whose lifetimes do not overlap share a
 * storage. Each allocation becomes `R.memory.alloc_tensor(storage, 0, shape, dtype)`; each
 * storage is one `R.memory.alloc_storage(R.shape([bytes]), ...)` emitted before its first
 * tensor.
 *
 * - Sizes: a static shape gives its byte size. A symbolic one uses the function attribute
 *   `tir_var_upper_bound` ({"n": 128}) when it bounds every variable of the shape (the storage
 *   is sized for the bound, the tensor keeps its symbolic shape); otherwise the allocation
 *   stays per call.
 * - Reuse: when a tensor's last use has passed (aliases included, see liveness.ts), its storage
 *   returns to a free list; a later allocation of the same dtype takes the smallest free
 *   storage that fits, or grows the largest free one, or makes a new one.
 * - Tensors the function returns are never planned (they outlive the call).
 * Only top-level bindings are planned; allocations inside If branches stay per call.
 */
import { Analyzer } from "../../arith/analyzer.js";
import type { DataType } from "../../ir/dtype.js";
import { IntImm, Var as TirVar, type PrimExpr } from "../../ir/expr.js";
import { collectVars, substitute } from "../../ir/expr_functor.js";
import { storageClassOf } from "../../runtime/ndarray.js";
import { BindingBlock, DataflowBlock, VarBinding, type Binding } from "../binding.js";
import { Call, DataTypeImm, Function, SeqExpr, ShapeExpr, Var, type AttrValue, type Expr } from "../expr.js";
import { memoryAllocStorage, memoryAllocTensor } from "../op/memory.js";
import { RelaxOp } from "../op/registry.js";
import { ObjectStructInfo } from "../struct_info.js";
import { analyzeLiveness } from "./liveness.js";
import { bodySeq, NameSupply, relaxFunctionPass, withBody } from "./lower_util.js";

export const UPPER_BOUND_ATTR = "tir_var_upper_bound";

export function isCallTo(e: Expr, name: string): e is Call {
  return e instanceof Call && e.op instanceof RelaxOp && e.op.name === name;
}

/** Bytes of a tensor in NDArray storage (float16 takes 4 bytes there, int64 8). */
function elementBytes(dtype: DataType): number {
  return storageClassOf(dtype).BYTES_PER_ELEMENT * dtype.lanes;
}

function upperBounds(fn: Function): Map<string, number> {
  const out = new Map<string, number>();
  const a = fn.attrs[UPPER_BOUND_ATTR] as AttrValue | undefined;
  if (a === undefined || a === null) return out;
  if (typeof a !== "object" || Array.isArray(a) || a instanceof IntImm || "dtype" in (a as object)) {
    throw new TypeError(`attribute ${UPPER_BOUND_ATTR} must be a dict of variable name -> int, e.g. {"n": 128}`);
  }
  for (const [k, v] of Object.entries(a as Record<string, AttrValue>)) {
    const n = v instanceof IntImm ? v.value : v;
    if (typeof n !== "number" || !Number.isInteger(n) || n < 0) throw new TypeError(`${UPPER_BOUND_ATTR}: bound of "${k}" must be a non-negative integer, got ${String(v)}`);
    out.set(k, n);
  }
  return out;
}

/** The byte size of a shape, using upper bounds for symbolic dims; undefined if unbounded. */
function sizeBytes(dims: readonly PrimExpr[], dtype: DataType, bounds: ReadonlyMap<string, number>, analyzer: Analyzer): number | undefined {
  let n = elementBytes(dtype);
  for (const d of dims) {
    let e = d;
    if (!(e instanceof IntImm)) {
      const vars = collectVars(e);
      if (!vars.every((v) => bounds.has(v.name))) return undefined;
      // Dims are products and sums of non-negative sizes: substituting each bound bounds the dim.
      e = analyzer.simplify(substitute(e, (v: TirVar) => new IntImm(v.dtype, bounds.get(v.name)!)));
      if (!(e instanceof IntImm)) return undefined;
    }
    n *= e.value;
  }
  return n;
}

interface StorageToken {
  readonly id: number;
  bytes: number;
  readonly dtype: DataType;
  var?: Var;
}

export const staticPlanBlockMemory = relaxFunctionPass("StaticPlanBlockMemory", (fn, _name, mod) => {
  const seq = bodySeq(fn);
  const bindings = seq.blocks.flatMap((b) => b.bindings);
  const isAlloc = (b: Binding) => b instanceof VarBinding && isCallTo(b.value, "relax.builtin.alloc_tensor");
  const live = analyzeLiveness(bindings, seq.body, isAlloc, mod);
  const bounds = upperBounds(fn);
  const analyzer = new Analyzer();

  // Plan: which storage each allocation takes.
  const assigned = new Map<Binding, StorageToken>();
  const tokens: StorageToken[] = [];
  const free: StorageToken[] = [];
  const releaseAt = new Map<number, StorageToken[]>();
  bindings.forEach((b, i) => {
    if (isAlloc(b) && !live.escaping.has(b.variable)) {
      const call = b.value as Call;
      const shape = call.args[0];
      const dtype = (call.args[1] as DataTypeImm).value;
      const bytes = shape instanceof ShapeExpr ? sizeBytes(shape.values, dtype, bounds, analyzer) : undefined;
      if (bytes !== undefined) {
        const same = free.filter((t) => t.dtype === dtype);
        const fit = same.filter((t) => t.bytes >= bytes).sort((x, y) => x.bytes - y.bytes)[0];
        const tok = fit ?? same.sort((x, y) => y.bytes - x.bytes)[0] ?? { id: tokens.length, bytes, dtype };
        if (tok.id === tokens.length) tokens.push(tok);
        else free.splice(free.indexOf(tok), 1);
        tok.bytes = Math.max(tok.bytes, bytes);
        assigned.set(b, tok);
        const end = live.lastUse.get(b.variable) ?? i;
        const list = releaseAt.get(end) ?? [];
        list.push(tok);
        releaseAt.set(end, list);
      }
    }
    for (const t of releaseAt.get(i) ?? []) free.push(t);
  });
  if (assigned.size === 0) return fn;

  // Emit: storages before their first tensor, tensors placed at offset 0.
  const names = new NameSupply(fn);
  const rewrite = (b: Binding): Binding[] => {
    const tok = assigned.get(b);
    if (!tok) return [b];
    const call = b.value as Call;
    const out: Binding[] = [];
    if (!tok.var) {
      tok.var = new Var(names.fresh("storage"), new ObjectStructInfo());
      out.push(new VarBinding(tok.var, memoryAllocStorage(tok.bytes, tok.dtype)));
    }
    out.push(new VarBinding(b.variable, memoryAllocTensor(tok.var, 0, call.args[0] as Expr, tok.dtype)));
    return out;
  };
  const blocks = seq.blocks.map((blk) => {
    const bs = blk.bindings.flatMap(rewrite);
    return blk instanceof DataflowBlock ? new DataflowBlock(bs) : new BindingBlock(bs);
  });
  return withBody(fn, new SeqExpr(blocks, seq.body, seq.structInfo));
});
