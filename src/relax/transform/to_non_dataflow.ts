/**
 * ToNonDataflow: the VM has no dataflow regions, so every DataflowBlock becomes an ordinary
 * BindingBlock and every DataflowVar an ordinary Var (same name and StructInfo). Later
 * lowering passes insert impure bindings (allocations, kills) that a dataflow block forbids.
 */
import { BindingBlock, MatchCast, VarBinding, type Binding } from "../binding.js";
import { DataflowVar, If, SeqExpr, Var, type Expr } from "../expr.js";
import { asSeq, bodySeq, relaxFunctionPass, substituteExpr, withBody } from "./lower_util.js";

function convertSeq(seq: SeqExpr, vmap: Map<Var, Expr>): SeqExpr {
  const blocks = seq.blocks.map((blk) => {
    const out: Binding[] = blk.bindings.map((b) => {
      let value = b.value;
      if (value instanceof If) {
        const nif = new If(substituteExpr(value.cond, vmap), convertSeq(asSeq(value.trueBranch), vmap), convertSeq(asSeq(value.falseBranch), vmap), value.structInfo);
        value = nif;
      } else value = substituteExpr(value, vmap);
      let v = b.variable;
      if (v instanceof DataflowVar) {
        const nv = new Var(v.name, v.structInfo);
        vmap.set(v, nv);
        v = nv;
      }
      return b instanceof MatchCast ? new MatchCast(v, value, b.structInfo) : new VarBinding(v, value);
    });
    return new BindingBlock(out);
  });
  return new SeqExpr(blocks, substituteExpr(seq.body, vmap), seq.structInfo);
}

export const toNonDataflow = relaxFunctionPass("ToNonDataflow", (fn) => withBody(fn, convertSeq(bodySeq(fn), new Map())));
