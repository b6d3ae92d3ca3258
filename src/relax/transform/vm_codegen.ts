/**
 * VM codegen: Relax functions (after CallTIRRewrite, memory planning, kills and VMShapeLower)
 * to VM bytecode. Each binding becomes at most a few instructions:
 *
 * - a call of a PrimFunc (`cls.f(x, alloc)`) calls the kernel of that name; a call of a Relax
 *   function calls its bytecode; `R.call_pure_packed("vm.builtin.x", ...)` calls the builtin;
 * - memory ops map to `vm.builtin.empty` / `alloc_storage` / `alloc_tensor`; a kill writes
 *   null into the killed value's register; `R.reshape` is a view (`vm.builtin.reshape`);
 * - tuples use `make_tuple` / `tuple_getitem`; If reads its condition (`read_if_cond`), runs
 *   one branch and moves the branch's value into one result register;
 * - constants (tensors, static shapes, strings, dtypes) go to the constant pool, integers and
 *   floats into immediates; `y = x` and match_cast only rename a register.
 *
 * Anything else (a high-level op that was not legalized, a call_tir not rewritten, a symbolic
 * shape not lowered) is an error naming the function, the binding and the missing pass.
 */
import * as X from "../../ir/expr.js";
import type { IRModule } from "../../ir/module.js";
import { NDArray } from "../../runtime/ndarray.js";
import {
  VOID_REGISTER, cst, fnArg, imm, reg, type Instr, type InstrArg, type VMFunctionInfo, type VMParamInfo,
} from "../../runtime/vm/bytecode.js";
import { Executable, type KernelArtifact, type VMConstant } from "../../runtime/vm/executable.js";
import { ShapeTuple } from "../../runtime/vm/values.js";
import { PrimFunc } from "../../tir/function.js";
import { MatchCast } from "../binding.js";
import {
  Call, Constant, DataTypeImm, ExternFunc, Function, If, PrimValue, SeqExpr, ShapeExpr, StringImm, Tuple, TupleGetItem, Var,
  type CallArg, type Expr,
} from "../expr.js";
import { RelaxOp } from "../op/registry.js";
import { sinfoText } from "../op/infer_util.js";
import { TensorStructInfo } from "../struct_info.js";
import { usedVars } from "./lower_util.js";

export class CodegenError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "VMCodegenError";
  }
}

class Tables {
  readonly funcs: VMFunctionInfo[] = [];
  private readonly index = new Map<string, number>();
  readonly constants: VMConstant[] = [];
  private readonly constIndex = new Map<unknown, number>();

  func(kind: VMFunctionInfo["kind"], name: string): number {
    const key = `${kind}:${name}`;
    let i = this.index.get(key);
    if (i === undefined) {
      i = this.funcs.length;
      this.funcs.push({ kind, name });
      this.index.set(key, i);
    }
    return i;
  }

  /** Constants are shared by value for strings and numbers, by node for tensors. */
  constant(key: unknown, make: () => VMConstant): number {
    let i = this.constIndex.get(key);
    if (i === undefined) {
      i = this.constants.length;
      this.constants.push(make());
      this.constIndex.set(key, i);
    }
    return i;
  }
}

class FunctionCodegen {
  private readonly code: Instr[] = [];
  private readonly vars = new Map<Var, InstrArg>();
  private nregs: number;
  private binding = "";

  constructor(
    private readonly name: string,
    private readonly fn: Function,
    private readonly mod: IRModule,
    private readonly t: Tables,
  ) {
    fn.params.forEach((p, i) => this.vars.set(p, reg(i)));
    this.nregs = fn.params.length;
    this.used = usedVars(fn.body);
  }

  /** Variables something reads: a call bound to any other variable discards its result. */
  private readonly used: ReadonlySet<Var>;

  private fail(msg: string): never {
    throw new CodegenError(`VM codegen: function "${this.name}"${this.binding ? `, binding ${this.binding}` : ""}: ${msg}`);
  }

  private newReg(): number {
    return this.nregs++;
  }

  private emitCall(func: number, args: InstrArg[], dst = this.newReg()): number {
    this.code.push({ op: "call", func, args, dst });
    return dst;
  }

  private builtin(name: string, args: InstrArg[], dst?: number): number {
    return this.emitCall(this.t.func("builtin", name), args, dst);
  }

  private toReg(a: InstrArg): number {
    return a.k === "reg" ? a.i : this.builtin("vm.builtin.identity", [a]);
  }

  operand(e: Expr | CallArg): InstrArg {
    if (e instanceof X.GlobalVar) return fnArg(this.calleeIndex(e));
    if (e instanceof Var) {
      const a = this.vars.get(e);
      if (!a) this.fail(`variable ${e.name} is used before it is defined`);
      return a;
    }
    if (e instanceof Constant) {
      return cst(this.t.constant(e, () => NDArray.fromArray(e.data as number[], e.shape, e.dtype)));
    }
    if (e instanceof ShapeExpr) {
      const dims = e.values.map((v) => (v instanceof X.IntImm ? v.value : this.fail(`the shape R.shape([${e.values.join(", ")}]) is symbolic; run VMShapeLower first`)));
      return cst(this.t.constant(`shape:${dims.join(",")}`, () => new ShapeTuple(dims)));
    }
    if (e instanceof PrimValue) {
      const v = e.value;
      if (v instanceof X.IntImm || v instanceof X.FloatImm) return imm(v.value);
      this.fail(`R.prim_value(${String(v)}) is symbolic; run VMShapeLower first`);
    }
    if (e instanceof StringImm) return cst(this.t.constant(`str:${e.value}`, () => e.value));
    if (e instanceof DataTypeImm) return cst(this.t.constant(`str:${e.value}`, () => e.value.toString()));
    if (e instanceof ExternFunc) return fnArg(this.t.func("builtin", e.globalSymbol));
    return reg(this.emitExpr(e as Expr));
  }

  private calleeIndex(gv: X.GlobalVar): number {
    const f = this.mod.tryGet(gv.name);
    if (f instanceof PrimFunc) return this.t.func("kernel", gv.name);
    if (f instanceof Function) return this.t.func("vm", gv.name);
    return this.fail(`the module has no function "${gv.name}" to call`);
  }

  /** Emits an expression; returns the register holding its value. */
  emitExpr(e: Expr): number {
    if (e instanceof Call) return this.emitCallExpr(e);
    if (e instanceof Tuple) return this.builtin("vm.builtin.make_tuple", e.fields.map((f) => this.operand(f)));
    if (e instanceof TupleGetItem) return this.builtin("vm.builtin.tuple_getitem", [this.operand(e.tuple), imm(e.index)]);
    if (e instanceof If) return this.emitIf(e);
    if (e instanceof SeqExpr) return this.toReg(this.emitSeq(e));
    return this.toReg(this.operand(e));
  }

  private emitCallExpr(c: Call): number {
    const args = () => c.args.map((a) => this.operand(a));
    const op = c.op;
    if (op instanceof X.GlobalVar) return this.emitCall(this.calleeIndex(op), args());
    if (op instanceof ExternFunc) return this.builtin(op.globalSymbol, args());
    if (!(op instanceof RelaxOp)) return this.fail(`calls of a function value (${op.kind}) are not supported by the VM yet`);
    const a = (i: number) => this.operand(c.args[i]!);
    switch (op.name) {
      case "relax.call_pure_packed":
        return this.builtin((c.args[0] as ExternFunc).globalSymbol, c.args.slice(1).map((x) => this.operand(x)));
      case "relax.builtin.alloc_tensor":
        return this.builtin("vm.builtin.empty", [a(0), a(1)]);
      case "relax.memory.alloc_storage":
        return this.builtin("vm.builtin.alloc_storage", [a(0)]);
      case "relax.memory.alloc_tensor":
        return this.builtin("vm.builtin.alloc_tensor", [a(0), a(1), a(2), a(3)]);
      case "relax.memory.kill_tensor":
      case "relax.memory.kill_storage": {
        const x = a(0);
        if (x.k === "reg") this.builtin("vm.builtin.null_value", [], x.i);
        return this.newReg();
      }
      case "relax.reshape":
        return this.builtin("vm.builtin.reshape", [a(0), a(1)]);
      case "relax.shape_of":
        return this.builtin("vm.builtin.shape_of", [a(0)]);
      case "relax.call_tir":
      case "relax.call_dps_packed":
        return this.fail(`R.${op.scriptName} must be rewritten to an explicit call first (run CallTIRRewrite)`);
      default:
        return this.fail(`R.${op.scriptName} has no VM lowering; legalize it to R.call_tir first (LegalizeOps)`);
    }
  }

  private emitIf(e: If): number {
    const cond = this.builtin("vm.builtin.read_if_cond", [this.operand(e.cond)]);
    const out = this.newReg();
    const ifAt = this.code.length;
    this.code.push({ op: "if", cond, falseOffset: 0 });
    this.builtin("vm.builtin.identity", [this.branch(e.trueBranch)], out);
    const gotoAt = this.code.length;
    this.code.push({ op: "goto", offset: 0 });
    this.code[ifAt] = { op: "if", cond, falseOffset: this.code.length - ifAt };
    this.builtin("vm.builtin.identity", [this.branch(e.falseBranch)], out);
    this.code[gotoAt] = { op: "goto", offset: this.code.length - gotoAt };
    return out;
  }

  private branch(e: Expr): InstrArg {
    return e instanceof SeqExpr ? this.emitSeq(e) : this.operand(e);
  }

  emitSeq(seq: SeqExpr): InstrArg {
    for (const blk of seq.blocks) {
      for (const b of blk.bindings) {
        this.binding = b.variable.name;
        const v = b.value;
        // Renames and match_casts share the register of their value.
        if (b instanceof MatchCast || v instanceof Var) this.vars.set(b.variable, this.operand(v));
        else if (v instanceof Constant || v instanceof ShapeExpr || v instanceof PrimValue || v instanceof StringImm || v instanceof DataTypeImm) {
          this.vars.set(b.variable, this.operand(v));
        } else {
          const r = this.emitExpr(v);
          this.vars.set(b.variable, reg(r));
          // Kernels and checks: nothing reads their result, so the call writes no register.
          const last = this.code[this.code.length - 1];
          if (!this.used.has(b.variable) && last?.op === "call" && last.dst === r) this.code[this.code.length - 1] = { ...last, dst: VOID_REGISTER };
        }
      }
    }
    this.binding = "";
    return this.operand(seq.body);
  }

  finish(): VMFunctionInfo {
    const result = this.fn.body instanceof SeqExpr ? this.emitSeq(this.fn.body) : this.operand(this.fn.body);
    const r = this.toReg(result);
    this.code.push({ op: "ret", reg: r });
    const paramInfo = this.fn.params.map((p): VMParamInfo => {
      const s = p.structInfo;
      const text = sinfoText(s);
      if (!(s instanceof TensorStructInfo)) return { kind: "other", text };
      const dims = s.dims ? s.dims.map((d) => (d instanceof X.IntImm ? d.value : String(d))) : null;
      return { kind: "tensor", dtype: s.dtype.toString(), ndim: s.ndim, dims, text };
    });
    return { kind: "vm", name: this.name, params: this.fn.params.map((p) => p.name), paramInfo, numRegs: this.nregs, code: this.code };
  }
}

/** Compiles every Relax function of `mod` to bytecode; kernels are attached as artifacts. */
export function vmCodegen(mod: IRModule, kernels: readonly KernelArtifact[] = []): Executable {
  const t = new Tables();
  const relaxFns = [...mod.entries()].filter(([, f]) => f instanceof Function) as [X.GlobalVar, Function][];
  if (relaxFns.length === 0) throw new CodegenError("VM codegen: the module has no Relax function to compile");
  // VM functions take the first table entries, so their indices do not depend on call order.
  for (const [gv] of relaxFns) t.func("vm", gv.name);
  const bodies = new Map<number, VMFunctionInfo>();
  for (const [gv, fn] of relaxFns) bodies.set(t.func("vm", gv.name), new FunctionCodegen(gv.name, fn, mod, t).finish());
  const funcs = t.funcs.map((f, i) => bodies.get(i) ?? f);
  return new Executable(funcs, t.constants, kernels);
}
