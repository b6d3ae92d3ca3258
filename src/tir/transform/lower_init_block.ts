/**
 * LowerInitBlock: a reduction block's `init` statement becomes an ordinary statement at the
 * head of its body, guarded by "every reduction iter var is at the start of its domain":
 *
 *     with T.init():            if vk == 0:
 *         C[vi, vj] = 0     ->      C[vi, vj] = T.float32(0)
 *     C[vi, vj] += ...          C[vi, vj] += ...
 *
 * The guard is the conjunction, in iter-var order, of `v == dom.min` over the block's
 * CommReduce iter vars; a block with an init but no reduction iter var runs its init
 * unguarded (as TVM does). Every later lowering pass expects inits to be gone.
 */
import type { PrimExpr } from "../../ir/expr.js";
import * as ops from "../../ir/expr_ops.js";
import { Block, IfThenElse, SeqStmt, type Stmt } from "../stmt.js";
import { StmtExprMutator } from "../stmt_functor.js";
import { primFuncPass, type Pass } from "./pass.js";

class InitBlockLowerer extends StmtExprMutator {
  override visitExpr(e: PrimExpr): PrimExpr {
    return e; // only statements change
  }

  override visitBlock(b: Block): Stmt {
    const visited = super.visitBlock(b) as Block;
    if (!visited.init) return visited;
    const conds: PrimExpr[] = [];
    for (const iv of visited.iterVars) {
      if (iv.iterType === "CommReduce") conds.push(ops.eq(iv.variable, iv.dom.min));
    }
    let init: Stmt = visited.init;
    if (conds.length > 0) {
      let cond = conds[0]!;
      for (let i = 1; i < conds.length; i++) cond = ops.and(cond, conds[i]!);
      init = new IfThenElse(cond, init);
    }
    return visited.with({ init: undefined, body: SeqStmt.flatten([init, visited.body]) });
  }
}

/** Lowers every block's `T.init()` into a guarded statement in front of the block body. */
export const LowerInitBlock: Pass = primFuncPass("LowerInitBlock", (func) =>
  func.withBody(new InitBlockLowerer().visitStmt(func.body)),
);
