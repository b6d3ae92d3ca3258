/**
 * ExprMutator: rebuilds Relax functions binding by binding through a BlockBuilder, so every
 * rewritten value is normalized again (nested calls bound to fresh vars, StructInfo inferred).
 * Override `visitCall` / `visitBinding` / `visitExpr` to rewrite; everything else is kept.
 *
 * A binding whose value did not change keeps its var; a changed value keeps the var too when
 * its StructInfo is the same, else a fresh var with the same name takes its place and later
 * uses are remapped (`varRemap`). Vars can also be remapped to any expression (a constant).
 */
import { GlobalVar } from "../../ir/expr.js";
import { IRModule, type BaseFunc } from "../../ir/module.js";
import { structuralEqual } from "../../ir/structural.js";
import { BindingBlock, MatchCast, VarBinding, type Binding } from "../binding.js";
import { BlockBuilder } from "../block_builder.js";
import {
  Call, DataflowVar, Function, If, SeqExpr, Tuple, TupleGetItem, Var, type CallArg, type Callee, type Expr,
} from "../expr.js";
import { RelaxOp } from "../op/registry.js";

export class ExprMutator {
  readonly bb: BlockBuilder;
  /** Uses of a key var read the value instead (a renamed var, a constant, ...). */
  readonly varRemap = new Map<Var, Expr>();
  /** The module function being rewritten. */
  funcName = "";

  constructor(readonly mod: IRModule) {
    this.bb = new BlockBuilder(mod);
  }

  /** Rebuilds `fn` (its params kept) with every binding visited. */
  rewriteFunction(fn: Function, name: string): Function {
    this.funcName = name;
    this.varRemap.clear();
    const params = this.visitParams(fn.params);
    this.bb.beginFunction(name, params);
    const result = this.visitBody(fn.body);
    const isPrivate = fn.attrs["global_symbol"] === undefined;
    return this.bb.endFunction(result, { retStructInfo: fn.retStructInfo, attrs: fn.attrs, isPure: fn.isPure, private: isPrivate });
  }

  protected visitParams(params: readonly Var[]): readonly Var[] {
    return params;
  }

  /** Visits the blocks of a SeqExpr (emitting into the open scope) and returns its result. */
  visitBody(body: Expr): Expr {
    if (!(body instanceof SeqExpr)) return this.visitExpr(body);
    for (const b of body.blocks) this.visitBindingBlock(b);
    return this.visitExpr(body.body);
  }

  visitBindingBlock(block: BindingBlock): void {
    if (!block.isDataflow) {
      for (const b of block.bindings) this.visitBinding(b);
      return;
    }
    this.bb.beginDataflow();
    for (const b of block.bindings) this.visitBinding(b);
    this.bb.endDataflow();
  }

  visitBinding(b: Binding): void {
    const value = this.visitExpr(b.value);
    if (b instanceof MatchCast) this.emitMatchCast(b, value);
    else this.emitVarBinding(b, value);
  }

  /** Binds `value` (normalized here) to `b`'s var, or to a fresh var when its StructInfo changed. */
  emitVarBinding(b: VarBinding, value: Expr): Var {
    const v = this.bb.normalize(value);
    if (v === b.value) return this.bb.emitBinding(b);
    const old = b.variable;
    const was = b.value.structInfo ?? old.structInfo;
    if (structuralEqual(v.structInfo, was) || structuralEqual(v.structInfo, old.structInfo)) {
      return this.bb.emitBinding(new VarBinding(old, v));
    }
    const fresh = old instanceof DataflowVar ? new DataflowVar(old.name, v.structInfo!) : new Var(old.name, v.structInfo!);
    this.varRemap.set(old, fresh);
    return this.bb.emitBinding(new VarBinding(fresh, v));
  }

  emitMatchCast(b: MatchCast, value: Expr): Var {
    const v = this.bb.normalizeArg(value);
    return this.bb.emitBinding(v === b.value ? b : new MatchCast(b.variable, v, b.structInfo));
  }

  visitExpr(e: Expr): Expr {
    switch (e.kind) {
      case "relax.Var":
      case "relax.DataflowVar":
        return this.visitVar(e as Var);
      case "relax.Tuple": {
        const t = e as Tuple;
        const fields = t.fields.map((f) => this.visitExpr(f));
        return fields.every((f, i) => f === t.fields[i]) ? t : new Tuple(fields);
      }
      case "relax.TupleGetItem": {
        const t = e as TupleGetItem;
        const tuple = this.visitExpr(t.tuple);
        return tuple === t.tuple ? t : new TupleGetItem(tuple, t.index);
      }
      case "relax.Call":
        return this.visitCall(e as Call);
      case "relax.If":
        return this.visitIf(e as If);
      case "relax.SeqExpr":
        // A nested SeqExpr (not in normal form): its bindings join the current scope.
        return this.visitBody(e);
      case "relax.Function":
        throw new Error(`${this.constructor.name}: nested Relax functions are not supported (in "${this.funcName}")`);
      default:
        return e;
    }
  }

  visitVar(v: Var): Expr {
    return this.varRemap.get(v) ?? v;
  }

  visitCall(call: Call): Expr {
    const args = call.args.map((a) => this.visitArg(a));
    const op: Callee = call.op instanceof RelaxOp || call.op instanceof GlobalVar ? call.op : this.visitExpr(call.op);
    if (op === call.op && args.every((a, i) => a === call.args[i])) return call;
    return new Call(op, args, call.attrs, call.sinfoArgs);
  }

  protected visitArg(a: CallArg): CallArg {
    return a instanceof GlobalVar ? a : this.visitExpr(a);
  }

  visitIf(e: If): Expr {
    const cond = this.visitExpr(e.cond);
    const t = this.bb.scope(() => this.visitBody(e.trueBranch));
    const f = this.bb.scope(() => this.visitBody(e.falseBranch));
    return new If(cond, t, f);
  }
}

/** The Relax functions of a module, rewritten one by one; other functions are kept. */
export function mapRelaxFunctions(mod: IRModule, f: (fn: Function, name: string) => Function): IRModule {
  return mod.map((fn, name) => (fn instanceof Function ? f(fn, name) : fn));
}

/** A module with the same functions (and attributes) plus / minus some. */
export function moduleWith(mod: IRModule, entries: Iterable<readonly [GlobalVar | string, BaseFunc]>): IRModule {
  return new IRModule(entries, mod.attrs);
}
