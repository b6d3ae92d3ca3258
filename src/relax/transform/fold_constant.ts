/**
 * FoldConstant: evaluates at compile time the calls whose tensor arguments are all constants.
 *
 * - A core operator on constants is legalized on its own (the same TE rule as LegalizeOps),
 *   its PrimFunc runs in the TIR interpreter, and the call becomes an `R.const`.
 * - A `call_tir` of a module PrimFunc on constants runs the same way.
 * - Uses of a var bound to a constant read the constant (as TVM's FoldConstant), so chains
 *   fold in one pass; the bindings left unused go with DeadCodeElimination.
 * Calls whose output shape is not a constant, or that legalization cannot handle, stay.
 */
import { GlobalVar, IntImm } from "../../ir/expr.js";
import type { IRModule } from "../../ir/module.js";
import { PrimFunc } from "../../tir/function.js";
import { emptyArray, fromArray, runPrimFunc, toArray, type HostArray } from "../../tir/interp/index.js";
import { BlockBuilder } from "../block_builder.js";
import { VarBinding } from "../binding.js";
import { Call, Constant, PrimValue, ShapeExpr, Tuple, TupleGetItem, Var, type Expr } from "../expr.js";
import { RelaxOp } from "../op/registry.js";
import { StructInfo, TensorStructInfo, TupleStructInfo } from "../struct_info.js";
import { PrimFuncTable, legalizeCall } from "./legalize_ops.js";
import { ExprMutator } from "./mutator.js";
import { relaxFunctionPass, type Pass } from "./pass.js";

const isConstInt = (e: unknown): e is IntImm => e instanceof IntImm;

/** Whether `e` is known at compile time: constants, constant shapes and values, tuples of those. */
function isConstant(e: Expr): boolean {
  if (e instanceof Constant) return true;
  if (e instanceof ShapeExpr) return e.values.every(isConstInt);
  if (e instanceof PrimValue) return isConstInt(e.value);
  if (e instanceof Tuple) return e.fields.every(isConstant);
  return false;
}

function constShape(s: StructInfo | undefined): number[] | undefined {
  if (!(s instanceof TensorStructInfo) || s.isUnknownDtype) return undefined;
  const dims = s.dims;
  if (!dims || !dims.every(isConstInt)) return undefined;
  return dims.map((d) => (d as IntImm).value);
}

function toHost(c: Constant): HostArray {
  return fromArray(c.data as number[], c.shape, c.dtype);
}

class ConstantFolder extends ExprMutator {
  override visitExpr(e: Expr): Expr {
    const r = super.visitExpr(e);
    // `t[i]` of a literal tuple of constants (a folded multi-output call) is the field.
    if (r instanceof TupleGetItem && r.tuple instanceof Tuple && isConstant(r.tuple)) return r.tuple.fields[r.index]!;
    return r;
  }

  override visitCall(call: Call): Expr {
    const c = super.visitCall(call);
    if (!(c instanceof Call)) return c;
    try {
      return this.fold(c) ?? c;
    } catch {
      // A call that cannot be evaluated now (no legalization, an interpreter error) stays.
      return c;
    }
  }

  /** Uses of a var bound to a constant (or a tuple of them) read the value itself. */
  override emitVarBinding(b: VarBinding, value: Expr): Var {
    const v = super.emitVarBinding(b, value);
    if (value instanceof Constant || (value instanceof Tuple && isConstant(value))) this.varRemap.set(b.variable, value);
    return v;
  }

  private fold(c: Call): Expr | undefined {
    if (!(c.op instanceof RelaxOp)) return undefined;
    if (c.op.name === "relax.call_tir") return this.runCallTir(c);
    if (!c.args.every((a) => !(a instanceof GlobalVar) && isConstant(a))) return undefined;
    const n = this.bb.normalize(c) as Call;
    // Legalize in a scratch builder: a rule's helper bindings must not leak into the function.
    const scratch = new BlockBuilder(this.mod);
    scratch.beginFunction("fold", []);
    const table = new PrimFuncTable(this.mod);
    const l = legalizeCall(n, scratch, table);
    if (!(l instanceof Call)) return undefined;
    return this.runCallTir(l, new Map(table.added.map(([g, f]) => [g.name, f] as const)));
  }

  private runCallTir(c: Call, extra: ReadonlyMap<string, PrimFunc> = new Map()): Expr | undefined {
    const gv = c.args[0];
    const args = c.args[1];
    if (!(gv instanceof GlobalVar) || !(args instanceof Tuple) || !args.fields.every((f) => f instanceof Constant)) return undefined;
    if (c.args[2] && !isConstant(c.args[2] as Expr)) return undefined;
    const f = extra.get(gv.name) ?? this.mod.tryGet(gv.name);
    if (!(f instanceof PrimFunc)) return undefined;
    const out = c.sinfoArgs[0];
    const outInfos = out instanceof TupleStructInfo ? out.fields : [out];
    const shapes = outInfos.map(constShape);
    if (shapes.some((s) => s === undefined)) return undefined;
    const outs = outInfos.map((s, i) => emptyArray(shapes[i]!, (s as TensorStructInfo).dtype));
    const tirVars = c.args[2] ? (c.args[2] as ShapeExpr).values.map((v) => (v as IntImm).value) : [];
    runPrimFunc(f, [...args.fields.map((x) => toHost(x as Constant)), ...outs, ...tirVars]);
    const consts = outs.map((o) => new Constant(o.dtype, [...o.shape], toArray(o)));
    return out instanceof TupleStructInfo ? new Tuple(consts) : consts[0]!;
  }
}

export const FoldConstant: Pass = relaxFunctionPass("FoldConstant", (fn, name, mod: IRModule) => new ConstantFolder(mod).rewriteFunction(fn, name));
