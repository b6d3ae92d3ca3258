/**
 * LiftTransformParams: the computations of a function that depend on constants alone (weight
 * packing after SplitWeightPacking, a transposed or cast weight FoldConstant left in place)
 * move into `<name>_transform_params`, a function without parameters that returns them as a
 * tuple. The function itself gets them from `vm.builtin.cached_call`, which runs that function
 * on the first call and returns the same arrays afterwards (per VM): the work is done once.
 *
 *   lv = R.call_tir(k_pack_w, (R.const(W),), R.Tensor((24, 768, 32)))
 *   ==>
 *   params = R.call_pure_packed("vm.builtin.cached_call", cls.main_transform_params, sinfo_args=...)
 *   lv = params[0]
 *
 * Only call_tir bindings with constant shapes and no symbolic arguments are lifted.
 */
import { GlobalVar } from "../../ir/expr.js";
import { IRModule, type BaseFunc } from "../../ir/module.js";
import { VarBinding, BindingBlock, DataflowBlock, type Binding } from "../binding.js";
import { Call, Constant, ExternFunc, Function, SeqExpr, Tuple, TupleGetItem, Var } from "../expr.js";
import { RelaxOp, callOp } from "../op/registry.js";
import { TensorStructInfo, TupleStructInfo } from "../struct_info.js";
import { Normalize } from "./normalize.js";
import { modulePass, type Pass } from "./pass.js";

export const CACHED_CALL = "vm.builtin.cached_call";

function isStaticTensor(v: Var): boolean {
  const s = v.structInfo;
  return s instanceof TensorStructInfo && !!s.dims && s.dims.every((d) => d.kind === "IntImm");
}

/** The bindings of `fn` computable from constants alone, in order. */
function liftable(fn: Function): VarBinding[] {
  if (!(fn.body instanceof SeqExpr)) return [];
  const lifted = new Set<Var>();
  const out: VarBinding[] = [];
  for (const blk of fn.body.blocks) {
    for (const b of blk.bindings) {
      if (!(b instanceof VarBinding) || !(b.value instanceof Call)) continue;
      const c = b.value;
      if (!(c.op instanceof RelaxOp) || c.op.name !== "relax.call_tir" || c.args.length !== 2) continue;
      const args = c.args[1];
      if (!(args instanceof Tuple) || !isStaticTensor(b.variable)) continue;
      if (!args.fields.every((a) => a instanceof Constant || (a instanceof Var && lifted.has(a)))) continue;
      lifted.add(b.variable);
      out.push(b);
    }
  }
  return out;
}

/** `<name>_transform_params`: the lifted bindings (on fresh vars) returning their values as a tuple. */
function transformFunction(lifted: readonly VarBinding[]): Function {
  const fresh = new Map<Var, Var>();
  const bindings: Binding[] = lifted.map((b) => {
    const c = b.value as Call;
    const args = (c.args[1] as Tuple).fields.map((a) => (a instanceof Var ? fresh.get(a)! : a));
    const v = new Var(b.variable.name, b.variable.structInfo);
    fresh.set(b.variable, v);
    return new VarBinding(v, new Call(c.op, [c.args[0]!, new Tuple(args)], c.attrs, c.sinfoArgs));
  });
  const result = new Tuple(lifted.map((b) => fresh.get(b.variable)!));
  const ret = new TupleStructInfo(lifted.map((b) => b.variable.structInfo));
  return new Function([], new SeqExpr([new BindingBlock(bindings)], result), ret, true, {});
}

function liftFunction(fn: Function, transform: GlobalVar, lifted: readonly VarBinding[]): Function {
  const body = fn.body as SeqExpr;
  const index = new Map(lifted.map((b, i) => [b, i] as const));
  const sinfo = new TupleStructInfo(lifted.map((b) => b.variable.structInfo));
  const params = new Var("transformed", sinfo);
  let placed = false;
  const blocks = body.blocks.map((blk) => {
    const bindings: Binding[] = [];
    for (const b of blk.bindings) {
      const i = b instanceof VarBinding ? index.get(b) : undefined;
      if (i === undefined) {
        bindings.push(b);
        continue;
      }
      if (!placed) {
        bindings.push(new VarBinding(params, callOp("relax.call_pure_packed", [new ExternFunc(CACHED_CALL), transform], {}, [sinfo])));
        placed = true;
      }
      bindings.push(new VarBinding(b.variable, new TupleGetItem(params, i)));
    }
    return blk.isDataflow ? new DataflowBlock(bindings) : new BindingBlock(bindings);
  });
  return new Function(fn.params, new SeqExpr(blocks, body.body), fn.retStructInfo, fn.isPure, fn.attrs);
}

export function liftTransformParams(mod: IRModule): IRModule {
  const entries: [GlobalVar | string, BaseFunc][] = [];
  let changed = false;
  for (const [g, f] of mod.entries()) {
    const lifted = f instanceof Function && f.attrs["global_symbol"] !== undefined ? liftable(f) : [];
    if (lifted.length === 0) {
      entries.push([g, f]);
      continue;
    }
    const tg = new GlobalVar(`${g.name}_transform_params`);
    entries.push([g, liftFunction(f as Function, tg, lifted)], [tg, transformFunction(lifted)]);
    changed = true;
  }
  if (!changed) return mod;
  // Normalize fills in the StructInfo of the new bindings (the tuple reads, the cached call).
  return Normalize(new IRModule(entries, mod.attrs));
}

export const LiftTransformParams: Pass = modulePass("LiftTransformParams", liftTransformParams);
