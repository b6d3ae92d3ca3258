/**
 * Path copying for the immutable IR: rebuild a sref's statement with one child statement
 * swapped, without descending into other loops or blocks (an sref's children are the nearest
 * loops/blocks below it).
 */
import {
  Allocate, AssertStmt, AttrStmt, Block, BlockRealize, DeclBuffer, For, IfThenElse, LetStmt, SeqStmt, While,
  type Stmt,
} from "../tir/stmt.js";

/** Returns `s` with `oldChild` (a For, Block or BlockRealize) replaced by `newChild`. */
export function replaceChild(s: Stmt, oldChild: Stmt, newChild: Stmt): Stmt {
  let found = false;
  const visit = (x: Stmt): Stmt => {
    if (x === oldChild) {
      found = true;
      return newChild;
    }
    if (x instanceof BlockRealize) {
      if (x.block !== oldChild) return x;
      found = true;
      return newChild instanceof Block ? new BlockRealize(x.iterValues, x.predicate, newChild) : newChild;
    }
    if (x instanceof For || x instanceof Block) return x;
    if (x instanceof SeqStmt) {
      let changed = false;
      const seq = x.seq.map((y) => {
        const z = visit(y);
        if (z !== y) changed = true;
        return z;
      });
      return changed ? SeqStmt.flatten(seq) : x;
    }
    if (x instanceof IfThenElse) {
      const t = visit(x.thenCase);
      const e = x.elseCase ? visit(x.elseCase) : undefined;
      return t === x.thenCase && e === x.elseCase ? x : new IfThenElse(x.condition, t, e);
    }
    if (x instanceof LetStmt) {
      const b = visit(x.body);
      return b === x.body ? x : new LetStmt(x.variable, x.value, b);
    }
    if (x instanceof AttrStmt) {
      const b = visit(x.body);
      return b === x.body ? x : new AttrStmt(x.node, x.attrKey, x.value, b);
    }
    if (x instanceof AssertStmt) {
      const b = visit(x.body);
      return b === x.body ? x : new AssertStmt(x.condition, x.message, b);
    }
    if (x instanceof Allocate) {
      const b = visit(x.body);
      return b === x.body ? x : new Allocate(x.bufferVar, x.dtype, x.extents, x.condition, b, x.annotations);
    }
    if (x instanceof DeclBuffer) {
      const b = visit(x.body);
      return b === x.body ? x : new DeclBuffer(x.buffer, b);
    }
    if (x instanceof While) {
      const b = visit(x.body);
      return b === x.body ? x : new While(x.condition, b);
    }
    return x;
  };
  let out: Stmt;
  if (s instanceof For) out = s.with({ body: visit(s.body) });
  else if (s instanceof Block) {
    const body = visit(s.body);
    const init = s.init && !found ? visit(s.init) : s.init;
    out = body === s.body && init === s.init ? s : s.with({ body, init });
  } else out = visit(s);
  if (!found) throw new Error("internal: replaceChild did not find the statement to replace");
  return out;
}
