/**
 * KillAfterLastUse: ends the lifetime of every tensor and storage a function allocates right
 * after its last use (aliases included, see liveness.ts), with `R.memory.kill_tensor` /
 * `R.memory.kill_storage`. The VM then drops its reference (the register becomes null), so
 * memory the planner did not reuse can be collected during the call rather than after it.
 * Values the function returns are never killed. Only top-level bindings are considered.
 */
import { BindingBlock, DataflowBlock, VarBinding, type Binding } from "../binding.js";
import { SeqExpr, Var } from "../expr.js";
import { killStorage, killTensor } from "../op/memory.js";
import { TupleStructInfo } from "../struct_info.js";
import { analyzeLiveness } from "./liveness.js";
import { bodySeq, NameSupply, relaxFunctionPass, withBody } from "./lower_util.js";
import { isCallTo } from "./static_plan_block_memory.js";

export const killAfterLastUse = relaxFunctionPass("KillAfterLastUse", (fn, _name, mod) => {
  const seq = bodySeq(fn);
  const bindings = seq.blocks.flatMap((b) => b.bindings);
  const kindOf = (b: Binding): "tensor" | "storage" | undefined => {
    if (!(b instanceof VarBinding)) return undefined;
    if (isCallTo(b.value, "relax.memory.alloc_storage")) return "storage";
    if (isCallTo(b.value, "relax.memory.alloc_tensor") || isCallTo(b.value, "relax.builtin.alloc_tensor")) return "tensor";
    return undefined;
  };
  const live = analyzeLiveness(bindings, seq.body, (b) => kindOf(b) !== undefined, mod);
  const killsAfter = new Map<number, Var[]>();
  const kinds = new Map<Var, "tensor" | "storage">();
  bindings.forEach((b, i) => {
    const k = kindOf(b);
    if (!k || live.escaping.has(b.variable)) return;
    kinds.set(b.variable, k);
    const at = live.lastUse.get(b.variable) ?? i;
    killsAfter.set(at, [...(killsAfter.get(at) ?? []), b.variable]);
  });
  if (kinds.size === 0) return fn;
  const names = new NameSupply(fn);
  let index = 0;
  const blocks = seq.blocks.map((blk) => {
    const out: Binding[] = [];
    for (const b of blk.bindings) {
      out.push(b);
      // Tensors first: a storage outlives the tensors placed in it.
      const dead = (killsAfter.get(index++) ?? []).sort((x, y) => (kinds.get(x) === kinds.get(y) ? 0 : kinds.get(x) === "tensor" ? -1 : 1));
      for (const v of dead) {
        const kill = kinds.get(v) === "tensor" ? killTensor(v) : killStorage(v);
        out.push(new VarBinding(new Var(names.fresh("_"), new TupleStructInfo([])), kill));
      }
    }
    return blk instanceof DataflowBlock ? new DataflowBlock(out) : new BindingBlock(out);
  });
  return withBody(fn, new SeqExpr(blocks, seq.body, seq.structInfo));
});
