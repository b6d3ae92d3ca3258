/**
 * ConvertBlocksToOpaque: every block iter var is replaced by the value it is bound to, and
 * the blocks lose their iter vars (they become "opaque"). Names, reads / writes (rewritten in
 * loop variables), alloc_buffers, match_buffers and annotations stay; the realize keeps its
 * predicate (TVM leaves `T.where` on the realize, LowerOpaqueBlock turns it into an `if`).
 *
 *     with T.block("C"):                        with T.block("C"):
 *         vi, vj = T.axis.remap("SS", [i, j])       T.reads(A[i, j])
 *         T.reads(A[vi, vj])                ->      T.writes(C[i, j])
 *         T.writes(C[vi, vj])                       C[i, j] = A[i, j]
 *         C[vi, vj] = A[vi, vj]
 *
 * Preconditions: inits are lowered (LowerInitBlock), and a block's iter values and predicate
 * do not use the block's own iter vars. One walk over the function.
 */
import type { PrimExpr, Var } from "../../ir/expr.js";
import { Block, BlockRealize, type Stmt } from "../stmt.js";
import { StmtExprMutator } from "../stmt_functor.js";
import { primFuncPass, type Pass } from "./pass.js";

class OpaqueBlockConverter extends StmtExprMutator {
  /** Block iter var -> its (already rewritten) binding. */
  private readonly subst = new Map<Var, PrimExpr>();
  /** Iter vars of the realize whose bindings are being visited, with their block's name. */
  private readonly forbidden = new Map<Var, string>();

  override visitVar(v: Var): PrimExpr {
    const blockName = this.forbidden.get(v);
    if (blockName !== undefined) {
      throw new Error(
        `block "${blockName}": its iter var ${v.name} is used in its own predicate or iter values, ` +
          `where it is not defined yet; expected bindings in terms of enclosing loops only`,
      );
    }
    return this.subst.get(v) ?? v;
  }

  override visitBlockRealize(r: BlockRealize): Stmt {
    const block = r.block;
    if (block.init) {
      throw new Error(`block "${block.nameHint}" still has an init (T.init()); expected LowerInitBlock to run first`);
    }
    for (const iv of block.iterVars) this.forbidden.set(iv.variable, block.nameHint);
    const predicate = this.visitExpr(r.predicate);
    const values = this.visitArray(r.iterValues);
    for (const iv of block.iterVars) this.forbidden.delete(iv.variable);
    block.iterVars.forEach((iv, i) => this.subst.set(iv.variable, values[i]!));
    const newBlock = this.visitStmt(block) as Block;
    for (const iv of block.iterVars) this.subst.delete(iv.variable);
    if (r.iterValues.length === 0 && predicate === r.predicate && newBlock === block) return r;
    return new BlockRealize([], predicate, newBlock);
  }

  override visitBlock(b: Block): Stmt {
    if (b.init) {
      throw new Error(`block "${b.nameHint}" still has an init (T.init()); expected LowerInitBlock to run first`);
    }
    const visited = super.visitBlock(b) as Block;
    return visited.iterVars.length === 0 ? visited : visited.with({ iterVars: [] });
  }
}

/** Substitutes block iter vars by their bindings and drops them (blocks become opaque). */
export const ConvertBlocksToOpaque: Pass = primFuncPass("ConvertBlocksToOpaque", (func) =>
  func.withBody(new OpaqueBlockConverter().visitStmt(func.body)),
);
