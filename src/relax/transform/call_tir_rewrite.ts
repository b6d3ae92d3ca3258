/**
 * CallTIRRewrite: makes the outputs of `R.call_tir` explicit. A PrimFunc writes its results
 * into buffers its caller passes (destination-passing style), so
 *
 *   y = R.call_tir(cls.f, (x,), out_sinfo=R.Tensor((n, 4), dtype="float32"), tir_vars=R.shape([m]))
 *
 * becomes an allocation, a direct call of the PrimFunc and an alias:
 *
 *   alloc = R.builtin.alloc_tensor(R.shape([n, 4]), R.dtype("float32"), R.prim_value(0))
 *   _ = cls.f(x, alloc, R.shape([m]))
 *   y = alloc
 *
 * A tuple out_sinfo allocates one tensor per field and binds `y` to the tuple of them.
 * `R.call_dps_packed` is rewritten the same way, calling the packed function.
 */
import { GlobalVar } from "../../ir/expr.js";
import { MatchCast, VarBinding, type Binding } from "../binding.js";
import { Call, ExternFunc, ShapeExpr, Tuple, Var, type Expr } from "../expr.js";
import { builtinAllocTensor } from "../op/memory.js";
import { RelaxOp } from "../op/registry.js";
import { ObjectStructInfo, TensorStructInfo, TupleStructInfo, type StructInfo } from "../struct_info.js";
import { bodySeq, NameSupply, relaxFunctionPass, rewriteBindings, withBody } from "./lower_util.js";

function isDpsCall(v: Expr): v is Call {
  return v instanceof Call && v.op instanceof RelaxOp && (v.op.name === "relax.call_tir" || v.op.name === "relax.call_dps_packed");
}

function outputs(s: StructInfo, fname: string): TensorStructInfo[] {
  const list = s instanceof TupleStructInfo ? s.fields : [s];
  return list.map((t) => {
    if (!(t instanceof TensorStructInfo) || !(t.shape instanceof ShapeExpr) || t.isUnknownDtype) {
      throw new TypeError(`the outputs of a call of ${fname} need a known shape (R.shape) and dtype to be allocated, got ${String(t)}`);
    }
    return t;
  });
}

export const callTIRRewrite = relaxFunctionPass("CallTIRRewrite", (fn) => {
  const names = new NameSupply(fn);
  const rewrite = (b: Binding): readonly Binding[] => {
    if (!isDpsCall(b.value)) return [b];
    const call = b.value;
    const callee = call.args[0]!;
    const calleeName = callee instanceof GlobalVar ? callee.name : (callee as ExternFunc).globalSymbol;
    const outSinfo = call.sinfoArgs[0]!;
    const outs = outputs(outSinfo, calleeName);
    const out: Binding[] = [];
    const allocs = outs.map((t) => {
      const v = new Var(names.fresh("alloc"), t);
      out.push(new VarBinding(v, builtinAllocTensor(t.shape!, t.dtype)));
      return v;
    });
    const inputs = call.args[1] instanceof Tuple ? call.args[1].fields : [call.args[1] as Expr];
    const args: Expr[] = [...inputs, ...allocs];
    if (call.args[2]) args.push(call.args[2] as Expr);
    const target = callee instanceof GlobalVar ? callee : (callee as ExternFunc);
    out.push(new VarBinding(new Var(names.fresh("_"), new ObjectStructInfo()), new Call(target, args, {}, [], new ObjectStructInfo())));
    const result: Expr = outSinfo instanceof TupleStructInfo ? new Tuple(allocs) : allocs[0]!;
    out.push(b instanceof MatchCast ? new MatchCast(b.variable, result, b.structInfo) : new VarBinding(b.variable, result));
    return out;
  };
  return withBody(fn, rewriteBindings(bodySeq(fn), rewrite));
});
