/**
 * VMShapeLower: turns symbolic shapes into work on the VM's shape heap. Every symbolic
 * variable of a function gets a heap slot (an int64 per call); then
 *
 * - each parameter is checked on entry: `vm.builtin.check_tensor_info` (is a tensor, ndim,
 *   dtype) and `vm.builtin.match_shape`, which stores a variable's first occurrence into its
 *   slot and asserts every later occurrence and every constant dim; the error context names
 *   the function, the parameter and the expected StructInfo;
 * - each `R.match_cast` is checked the same way where it stands (and defines its variables);
 * - a dim that is an expression (`n * 2`) in a parameter is stored in a scratch slot and
 *   compared once its variables are known (`vm.builtin.check_heap`);
 * - the checks the BlockBuilder recorded in `relax.runtime_checks` become `check_heap` calls
 *   as soon as their variables are in the heap (the attribute is then removed);
 * - every symbolic `R.shape([...])` a binding uses becomes a shape built from the heap
 *   (`vm.builtin.make_shape`), expression dims first computed with `vm.builtin.compute_heap`;
 *   a symbolic `R.prim_value(...)` is computed with `vm.builtin.eval_heap`;
 * - an `R.Prim(value=m)` parameter defines (or checks) m (`vm.builtin.match_prim_value`).
 *
 * The calls are `R.call_pure_packed` of the builtins, which VM codegen maps to the builtin
 * table. Heap programs are postfix text the runtime evaluates (it knows no PrimExprs).
 */
import * as X from "../../ir/expr.js";
import type { PrimExpr, Var as TirVar } from "../../ir/expr.js";
import { collectVars } from "../../ir/expr_functor.js";
import { BindingBlock, MatchCast, VarBinding, type Binding } from "../binding.js";
import { RUNTIME_CHECKS_ATTR } from "../block_builder.js";
import {
  Call, DataTypeImm, PrimValue, ShapeExpr, StringImm, Tuple, TupleGetItem, Var, type CallArg, type Expr,
} from "../expr.js";
import { callPurePacked } from "../op/builtin.js";
import { sinfoText } from "../op/infer_util.js";
import {
  ObjectStructInfo, PrimStructInfo, ShapeStructInfo, TensorStructInfo, TupleStructInfo, type StructInfo,
} from "../struct_info.js";
import { structInfoVars } from "../struct_info_analysis.js";
import { UPPER_BOUND_ATTR } from "./static_plan_block_memory.js";
import { bodySeq, NameSupply, relaxFunctionPass, rewriteBindings, withBody } from "./lower_util.js";
import { SeqExpr } from "../expr.js";

const MATCH = { assertImm: 1, storeToHeap: 2, assertLoad: 3 };
const MAKE = { useImm: 0, loadHeap: 1 };

const BIN: Record<string, string> = {
  Add: "+", Sub: "-", Mul: "*", FloorDiv: "/", FloorMod: "%", Div: "/", Mod: "%", Min: "min", Max: "max",
  EQ: "==", NE: "!=", LT: "<", LE: "<=", GT: ">", GE: ">=", And: "&&", Or: "||",
};

/** A check waiting for its variables: `cond` (or `scratch slot == dim`) once they are known. */
interface PendingCheck {
  readonly vars: readonly TirVar[];
  readonly message: string;
  readonly cond: PrimExpr;
  /** Set for a parameter dim that is an expression: the actual dim sits in this slot. */
  readonly scratch?: number;
}

class ShapeLowerer {
  private readonly slots = new Map<TirVar, number>();
  private readonly defined = new Set<TirVar>();
  private nslots = 0;
  private pending: PendingCheck[] = [];
  readonly heap: Var;

  constructor(
    private readonly fname: string,
    private readonly names: NameSupply,
  ) {
    this.heap = new Var(names.fresh("shape_heap"), new ObjectStructInfo());
  }

  get size(): number {
    return this.nslots;
  }

  private slot(v: TirVar): number {
    let s = this.slots.get(v);
    if (s === undefined) {
      s = this.nslots++;
      this.slots.set(v, s);
    }
    return s;
  }

  /** Postfix text of a dim expression over heap slots. */
  program(e: PrimExpr): string {
    if (e instanceof X.IntImm) return String(e.value);
    if (e instanceof X.Var) {
      if (!this.defined.has(e)) throw new Error(`symbolic variable ${e.name} is used before any parameter or match_cast defines it`);
      return `h${this.slot(e)}`;
    }
    if (e instanceof X.Cast) return this.program(e.value);
    if (e instanceof X.Not) return `${this.program(e.a)} !`;
    const op = BIN[e.kind];
    const bin = e as unknown as { a: PrimExpr; b: PrimExpr };
    if (op && bin.a && bin.b) return `${this.program(bin.a)} ${this.program(bin.b)} ${op}`;
    throw new Error(`the shape expression ${String(e)} (${e.kind}) cannot be computed on the shape heap`);
  }

  call(name: string, args: Expr[], out: Binding[], sinfo: StructInfo = new TupleStructInfo([]), varName = "_"): Var {
    const v = new Var(this.names.fresh(varName), sinfo);
    out.push(new VarBinding(v, callPurePacked(name, args, sinfo).withStructInfo(sinfo)));
    return v;
  }

  private flush(out: Binding[]): void {
    const ready = this.pending.filter((c) => c.vars.every((v) => this.defined.has(v)));
    this.pending = this.pending.filter((c) => !ready.includes(c));
    for (const c of ready) {
      const program = c.scratch !== undefined ? `h${c.scratch} ${this.program(c.cond)} ==` : this.program(c.cond);
      this.call("vm.builtin.check_heap", [this.heap, new StringImm(program), new StringImm(c.message)], out);
    }
  }

  /** Records a runtime check; it is emitted once its variables are in the heap. */
  addCheck(cond: PrimExpr, message: string, out: Binding[]): void {
    this.pending.push({ vars: collectVars(cond), message, cond });
    this.flush(out);
  }

  /** match_shape arguments for dims; expression dims go to scratch slots checked later. */
  private matchDims(dims: readonly PrimExpr[]): { args: Expr[]; later: [number, PrimExpr][] } {
    const args: Expr[] = [];
    const later: [number, PrimExpr][] = [];
    for (const d of dims) {
      if (d instanceof X.IntImm) args.push(PrimValue.int64(MATCH.assertImm), PrimValue.int64(d.value));
      else if (d instanceof X.Var) {
        if (this.defined.has(d)) args.push(PrimValue.int64(MATCH.assertLoad), PrimValue.int64(this.slot(d)));
        else {
          args.push(PrimValue.int64(MATCH.storeToHeap), PrimValue.int64(this.slot(d)));
          this.defined.add(d);
        }
      } else {
        const scratch = this.nslots++;
        args.push(PrimValue.int64(MATCH.storeToHeap), PrimValue.int64(scratch));
        later.push([scratch, d]);
      }
    }
    return { args, later };
  }

  /** Checks `value` against `s`, defining the symbolic variables it introduces. */
  check(value: Expr, s: StructInfo, ctx: string, out: Binding[]): void {
    const head = `${ctx}: expected ${sinfoText(s)}`;
    const str = new StringImm(head);
    const matchShape = (dims: readonly PrimExpr[]) => {
      const { args, later } = this.matchDims(dims);
      this.call("vm.builtin.match_shape", [value, this.heap, PrimValue.int64(dims.length), ...args, str], out);
      for (const [slot, e] of later) {
        this.pending.push({ vars: collectVars(e), message: `${head}: dimension ${String(e)} does not match`, cond: e, scratch: slot });
      }
    };
    if (s instanceof TensorStructInfo) {
      const dt = s.isUnknownDtype ? new StringImm("") : new DataTypeImm(s.dtype);
      this.call("vm.builtin.check_tensor_info", [value, PrimValue.int64(s.ndim), dt, str], out);
      if (s.dims) matchShape(s.dims);
    } else if (s instanceof ShapeStructInfo) {
      this.call("vm.builtin.check_shape_info", [value, PrimValue.int64(s.ndim), str], out);
      if (s.values) matchShape(s.values);
    } else if (s instanceof PrimStructInfo) {
      this.call("vm.builtin.check_prim_value_info", [value, new DataTypeImm(s.dtype), str], out);
      if (s.value && !(s.value instanceof X.FloatImm) && s.dtype.isInt()) {
        // R.Prim(value=m): the scalar defines (or must equal) m, like a shape dimension.
        const { args, later } = this.matchDims([s.value]);
        this.call("vm.builtin.match_prim_value", [value, this.heap, ...args, str], out);
        for (const [slot, e] of later) this.pending.push({ vars: collectVars(e), message: `${head}: value ${String(e)} does not match`, cond: e, scratch: slot });
      }
    } else if (s instanceof TupleStructInfo) {
      this.call("vm.builtin.check_tuple_info", [value, PrimValue.int64(s.fields.length), str], out);
      s.fields.forEach((f, i) => {
        if (f instanceof ObjectStructInfo) return;
        const item = new Var(this.names.fresh("item"), f);
        out.push(new VarBinding(item, new TupleGetItem(value, i)));
        this.check(item, f, `${ctx}[${i}]`, out);
      });
    }
    this.flush(out);
  }

  /** A shape value from the heap for a symbolic R.shape (dims computed first when needed). */
  makeShape(shape: ShapeExpr, out: Binding[]): Var {
    const args: Expr[] = [this.heap, PrimValue.int64(shape.values.length)];
    for (const d of shape.values) {
      if (d instanceof X.IntImm) args.push(PrimValue.int64(MAKE.useImm), PrimValue.int64(d.value));
      else if (d instanceof X.Var) args.push(PrimValue.int64(MAKE.loadHeap), PrimValue.int64(this.programSlot(d)));
      else {
        const scratch = this.nslots++;
        this.call("vm.builtin.compute_heap", [this.heap, PrimValue.int64(scratch), new StringImm(this.program(d))], out);
        args.push(PrimValue.int64(MAKE.loadHeap), PrimValue.int64(scratch));
      }
    }
    return this.call("vm.builtin.make_shape", args, out, shape.structInfo!, "shape");
  }

  private programSlot(v: TirVar): number {
    this.program(v); // throws a clear error when v is not defined yet
    return this.slot(v);
  }

  remaining(): readonly PendingCheck[] {
    return this.pending;
  }

  get fnName(): string {
    return this.fname;
  }
}

function isSymbolicShape(e: Expr): e is ShapeExpr {
  return e instanceof ShapeExpr && e.values.some((v) => !(v instanceof X.IntImm));
}

/** Replaces symbolic shapes among a value's leaves by heap-built shape vars. */
function lowerValue(e: Expr, L: ShapeLowerer, out: Binding[]): Expr {
  if (isSymbolicShape(e)) return L.makeShape(e, out);
  if (e instanceof PrimValue && !(e.value instanceof X.IntImm) && !(e.value instanceof X.FloatImm)) {
    // A symbolic scalar (R.prim_value(n * 2)) is computed from the heap.
    return L.call("vm.builtin.eval_heap", [L.heap, new StringImm(L.program(e.value))], out, e.structInfo!, "value");
  }
  if (e instanceof Tuple) {
    const fs = e.fields.map((f) => lowerValue(f, L, out));
    return fs.every((f, i) => f === e.fields[i]) ? e : new Tuple(fs);
  }
  if (e instanceof Call) {
    const args = e.args.map((a: CallArg) => (a instanceof X.GlobalVar ? a : lowerValue(a as Expr, L, out)));
    return args.every((a, i) => a === e.args[i]) ? e : new Call(e.op, args, e.attrs, e.sinfoArgs, e.structInfo);
  }
  return e;
}

export const vmShapeLower = relaxFunctionPass("VMShapeLower", (fn, fname) => {
  const names = new NameSupply(fn);
  const L = new ShapeLowerer(fname, names);
  const prologue: Binding[] = [];
  for (const p of fn.params) L.check(p, p.structInfo, `${fname}: parameter ${p.name}`, prologue);
  // Storage planned for an upper bound (StaticPlanBlockMemory) only holds values up to it.
  const bounds = fn.attrs[UPPER_BOUND_ATTR];
  if (bounds && typeof bounds === "object" && !Array.isArray(bounds) && !(bounds instanceof X.IntImm)) {
    const vars = new Map(fn.params.flatMap((p) => structInfoVars(p.structInfo)).map((v) => [v.name, v]));
    for (const [name, b] of Object.entries(bounds as Record<string, unknown>)) {
      const v = vars.get(name);
      const bound = b instanceof X.IntImm ? b.value : b;
      if (!v || typeof bound !== "number") continue;
      L.addCheck(new X.LE(v, new X.IntImm(v.dtype, bound)), `${fname}: ${name} exceeds its upper bound ${bound} (function attribute ${UPPER_BOUND_ATTR})`, prologue);
    }
  }
  const checks = fn.attrs[RUNTIME_CHECKS_ATTR];
  if (Array.isArray(checks)) {
    for (const c of checks as { condition: PrimExpr; message: string }[]) L.addCheck(c.condition, `${fname}: ${c.message}`, prologue);
  }
  const body = rewriteBindings(bodySeq(fn), (b) => {
    const out: Binding[] = [];
    if (b instanceof MatchCast) {
      let value = b.value;
      if (!(value instanceof Var)) {
        const tmp = new Var(names.fresh("cast_in"), value.structInfo ?? new ObjectStructInfo());
        out.push(new VarBinding(tmp, lowerValue(value, L, out)));
        value = tmp;
      }
      L.check(value, b.structInfo, `${fname}: match_cast of ${b.variable.name}`, out);
      out.push(new MatchCast(b.variable, value, b.structInfo));
      return out;
    }
    out.push(new VarBinding(b.variable, lowerValue(b.value, L, out)));
    return out;
  });
  if (L.remaining().length > 0) {
    throw new Error(`runtime check "${L.remaining()[0]!.message}" uses variables that nothing defines`);
  }
  let ret: Expr = body.body;
  const tail: Binding[] = [];
  ret = lowerValue(ret, L, tail);
  const heapSinfo = new ObjectStructInfo();
  const heapBinding = new VarBinding(L.heap, callPurePacked("vm.builtin.alloc_shape_heap", [PrimValue.int64(L.size)], heapSinfo).withStructInfo(heapSinfo));
  // The prologue joins the first block when that is an ordinary one (as a parser would read it).
  const blocks = [...body.blocks];
  const first = blocks[0];
  if (first && !first.isDataflow) blocks[0] = new BindingBlock([heapBinding, ...prologue, ...first.bindings]);
  else blocks.unshift(new BindingBlock([heapBinding, ...prologue]));
  const last = blocks[blocks.length - 1]!;
  if (tail.length && !last.isDataflow) blocks[blocks.length - 1] = new BindingBlock([...last.bindings, ...tail]);
  else if (tail.length) blocks.push(new BindingBlock(tail));
  const attrs = { ...fn.attrs };
  delete (attrs as Record<string, unknown>)[RUNTIME_CHECKS_ATTR];
  return withBody(fn, new SeqExpr(blocks, ret, body.structInfo), attrs);
});
