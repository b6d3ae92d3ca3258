/**
 * Small helpers the VM-lowering passes share: rewriting the bindings of a function body (nested If branches included),
 * substituting Relax variables, and the variables an expression uses.
 * (The pass infrastructure itself is pass.ts.)
 */
import type { Pass } from "./pass.js";
import { BindingBlock, DataflowBlock, MatchCast, VarBinding, type Binding } from "../binding.js";
import { Call, Function, If, SeqExpr, Tuple, TupleGetItem, Var, type CallArg, type Expr } from "../expr.js";

export type { Pass };
export { relaxFunctionPass } from "./pass.js";

/** The function's body as a SeqExpr (a bare expression becomes a SeqExpr without blocks). */
export function bodySeq(fn: Function): SeqExpr {
  return fn.body instanceof SeqExpr ? fn.body : new SeqExpr([], fn.body);
}

export function withBody(fn: Function, body: Expr, attrs = fn.attrs): Function {
  return new Function(fn.params, body, fn.retStructInfo, fn.isPure, attrs);
}

/**
 * Rewrites every binding of a SeqExpr (and of the SeqExprs in If branches, innermost first):
 * `f` receives a binding and returns the bindings that replace it. Blocks keep their kind.
 */
export function rewriteBindings(seq: SeqExpr, f: (b: Binding, depth: number) => readonly Binding[], depth = 0): SeqExpr {
  const blocks = seq.blocks.map((blk) => {
    const out: Binding[] = [];
    for (const b of blk.bindings) {
      let cur: Binding = b;
      if (b.value instanceof If) {
        const v = b.value;
        const t = asSeq(v.trueBranch), e = asSeq(v.falseBranch);
        const nt = rewriteBindings(t, f, depth + 1), ne = rewriteBindings(e, f, depth + 1);
        if (nt !== t || ne !== e) {
          const nif = new If(v.cond, nt, ne, v.structInfo);
          cur = b instanceof VarBinding ? new VarBinding(b.variable, nif) : new MatchCast(b.variable, nif, b.structInfo);
        }
      }
      out.push(...f(cur, depth));
    }
    return blk instanceof DataflowBlock ? new DataflowBlock(out) : new BindingBlock(out);
  });
  return new SeqExpr(blocks, seq.body, seq.structInfo);
}

export function asSeq(e: Expr): SeqExpr {
  return e instanceof SeqExpr ? e : new SeqExpr([], e);
}

/** Replaces uses of Relax variables (definitions are the caller's business). */
export function substituteExpr(e: Expr, vmap: ReadonlyMap<Var, Expr>): Expr {
  if (vmap.size === 0) return e;
  const sub = (x: Expr): Expr => {
    if (x instanceof Var) return vmap.get(x) ?? x;
    if (x instanceof Tuple) return new Tuple(x.fields.map(sub));
    if (x instanceof TupleGetItem) return new TupleGetItem(sub(x.tuple), x.index);
    if (x instanceof Call) {
      const op = x.op instanceof Var ? sub(x.op) : x.op;
      const args = x.args.map((a: CallArg) => (a instanceof Var || a instanceof Tuple || a instanceof TupleGetItem || a instanceof Call ? sub(a) : a));
      return new Call(op, args, x.attrs, x.sinfoArgs, x.structInfo);
    }
    if (x instanceof If) return new If(sub(x.cond), sub(x.trueBranch), sub(x.falseBranch), x.structInfo);
    if (x instanceof SeqExpr) {
      const blocks = x.blocks.map((blk) => {
        const bs = blk.bindings.map((b) => (b instanceof VarBinding ? new VarBinding(b.variable, sub(b.value)) : new MatchCast(b.variable, sub(b.value), b.structInfo)));
        return blk instanceof DataflowBlock ? new DataflowBlock(bs) : new BindingBlock(bs);
      });
      return new SeqExpr(blocks, sub(x.body), x.structInfo);
    }
    return x;
  };
  return sub(e);
}

/** The Relax variables an expression uses (If branches and nested SeqExprs included). */
export function usedVars(e: Expr, out: Set<Var> = new Set()): Set<Var> {
  const walk = (x: Expr): void => {
    if (x instanceof Var) out.add(x);
    else if (x instanceof Tuple) x.fields.forEach(walk);
    else if (x instanceof TupleGetItem) walk(x.tuple);
    else if (x instanceof Call) {
      if (x.op instanceof Var) walk(x.op);
      for (const a of x.args) if (!(a.kind === "GlobalVar")) walk(a as Expr);
    } else if (x instanceof If) {
      walk(x.cond);
      walk(x.trueBranch);
      walk(x.falseBranch);
    } else if (x instanceof SeqExpr) {
      for (const blk of x.blocks) for (const b of blk.bindings) walk(b.value);
      walk(x.body);
    }
  };
  walk(e);
  return out;
}

/** Fresh names that do not collide with the function's existing variable names. */
export class NameSupply {
  private readonly used = new Set<string>();
  constructor(fn: Function) {
    for (const p of fn.params) this.used.add(p.name);
    const visit = (e: Expr) => {
      if (e instanceof SeqExpr) {
        for (const blk of e.blocks) {
          for (const b of blk.bindings) {
            this.used.add(b.variable.name);
            visit(b.value);
          }
        }
        visit(e.body);
      } else if (e instanceof If) {
        visit(e.trueBranch);
        visit(e.falseBranch);
      }
    };
    visit(fn.body);
  }
  fresh(base: string): string {
    if (!this.used.has(base)) {
      this.used.add(base);
      return base;
    }
    for (let i = 1; ; i++) {
      const n = `${base}${i}`;
      if (!this.used.has(n)) {
        this.used.add(n);
        return n;
      }
    }
  }
}
