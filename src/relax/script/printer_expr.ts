/**
 * Relax expressions, StructInfo and call attributes as TVMScript text (`R.add(x, y)`,
 * `R.Tensor((n, 4), dtype="float32")`, `axis=[1]`). Names come from the shared TIR printer
 * context, so Relax vars, symbolic vars and module functions never collide.
 */
import { int64, voidType } from "../../ir/dtype.js";
import { GlobalVar, PrimExpr, Var as TirVar } from "../../ir/expr.js";
import type { PrinterContext } from "../../tir/script/printer/context.js";
import { exprText } from "../../tir/script/printer/expr.js";
import { callText, formatFloat, formatInt, quote } from "../../tir/script/printer/literal.js";
import {
  Call, Constant, DataTypeImm, ExternFunc, PrimValue, ShapeExpr, StringImm, Tuple, TupleGetItem, Var, type AttrValue, type CallArg,
  type Expr,
} from "../expr.js";
import { RelaxOp } from "../op/registry.js";
import { primText } from "../prim_text.js";
import {
  FuncStructInfo, ObjectStructInfo, PrimStructInfo, ShapeStructInfo, StructInfo, TensorStructInfo, TupleStructInfo,
} from "../struct_info.js";

export class RelaxPrinter {
  /** In a function signature the symbolic vars it defines print quoted (bare ones only). */
  quoteSymbols: ReadonlySet<TirVar> | undefined;
  usesRelax = false;
  /** Whether a module function was referenced (`cls.name`) since the enclosing function began. */
  usedModule = false;

  constructor(readonly p: PrinterContext) {}

  R(attr: string): string {
    this.usesRelax = true;
    return "R." + attr;
  }

  prim(e: PrimExpr): string {
    if ((e.kind === "Var" || e.kind === "SizeVar") && this.quoteSymbols?.has(e as TirVar)) return quote(this.symName(e as TirVar));
    return primText(e, { name: (v) => this.symName(v), fallback: (x) => exprText(this.p, x) });
  }

  private symName(v: TirVar): string {
    return this.p.lookup(v) ?? v.name;
  }

  varName(v: Var): string {
    const n = this.p.lookup(v);
    if (n === undefined) throw new Error(`printScript: Relax var '${v.name}' is used but not defined in scope`);
    return n;
  }

  // ------------------------------------------------------------ struct info

  sinfo(s: StructInfo): string {
    if (s instanceof ObjectStructInfo) return this.R("Object");
    if (s instanceof PrimStructInfo) {
      if (s.value) return callText(this.R("Prim"), [], [["value", this.prim(s.value)]]);
      return callText(this.R("Prim"), [quote(s.dtype.toString())]);
    }
    if (s instanceof ShapeStructInfo) {
      if (s.values) return callText(this.R("Shape"), [`[${s.values.map((v) => this.prim(v)).join(", ")}]`]);
      return s.ndim < 0 ? this.R("Shape") : callText(this.R("Shape"), [], [["ndim", formatInt(s.ndim)]]);
    }
    if (s instanceof TensorStructInfo) return this.tensorSinfo(s);
    if (s instanceof TupleStructInfo) return s.fields.length === 0 ? this.R("Tuple") : callText(this.R("Tuple"), s.fields.map((f) => this.sinfo(f)));
    if (s instanceof FuncStructInfo) {
      if (!s.params) return s.purity ? callText(this.R("Callable"), [], [["purity", "True"]]) : this.R("Callable");
      const args = [this.tuple(s.params.map((x) => this.sinfo(x))), this.sinfo(s.ret)];
      if (!s.purity) args.push("False");
      return callText(this.R("Callable"), args);
    }
    throw new Error(`printScript: cannot print struct info ${(s as StructInfo).kind}`);
  }

  private tensorSinfo(s: TensorStructInfo): string {
    const args: string[] = [];
    const kw: [string, string][] = [];
    if (s.shape instanceof ShapeExpr) args.push(this.tuple(s.shape.values.map((v) => this.prim(v))));
    else if (s.shape) args.push(this.expr(s.shape));
    if (s.dtype !== voidType) kw.push(["dtype", quote(s.dtype.toString())]);
    if (!s.shape && s.ndim >= 0) kw.push(["ndim", formatInt(s.ndim)]);
    if (args.length === 0 && kw.length === 0) return this.R("Tensor");
    return callText(this.R("Tensor"), args, kw);
  }

  tuple(items: readonly string[]): string {
    return items.length === 1 ? `(${items[0]},)` : `(${items.join(", ")})`;
  }

  // ------------------------------------------------------------ expressions

  arg(a: CallArg): string {
    return a instanceof GlobalVar ? this.globalVar(a) : this.expr(a);
  }

  globalVar(gv: GlobalVar): string {
    const text = this.p.moduleGlobals?.get(gv.name);
    if (text === undefined) return gv.name;
    this.usedModule = true;
    return text;
  }

  expr(e: Expr): string {
    if (e instanceof Var) return this.varName(e);
    if (e instanceof Constant) return this.constant(e);
    if (e instanceof Tuple) return this.tuple(e.fields.map((f) => this.expr(f)));
    if (e instanceof TupleGetItem) return `${this.expr(e.tuple)}[${e.index}]`;
    if (e instanceof ShapeExpr) return callText(this.R("shape"), [`[${e.values.map((v) => this.prim(v)).join(", ")}]`]);
    if (e instanceof PrimValue) return callText(this.R("prim_value"), [this.prim(e.value)]);
    if (e instanceof StringImm) return callText(this.R("str"), [quote(e.value)]);
    if (e instanceof DataTypeImm) return callText(this.R("dtype"), [quote(e.value.toString())]);
    if (e instanceof ExternFunc) return callText(this.R("ExternFunc"), [quote(e.globalSymbol)]);
    if (e instanceof Call) return this.call(e);
    throw new Error(`printScript: a ${e.kind} cannot be printed inline (it is printed as a statement)`);
  }

  private constant(c: Constant): string {
    const scalar = (v: number) => (c.dtype.isFloat() ? formatFloat(v) : c.dtype.isBool() ? (v ? "True" : "False") : formatInt(v));
    const nest = (dim: number, offset: number): string => {
      if (dim === c.shape.length) return scalar(c.data[offset]!);
      const stride = c.shape.slice(dim + 1).reduce((a, b) => a * b, 1);
      const parts: string[] = [];
      for (let i = 0; i < c.shape[dim]!; i++) parts.push(nest(dim + 1, offset + i * stride));
      return `[${parts.join(", ")}]`;
    };
    // A rank-1 tensor of one element and a scalar would read the same with a bare value.
    return callText(this.R("const"), [nest(0, 0), quote(c.dtype.toString())]);
  }

  call(c: Call): string {
    const op = c.op;
    if (op instanceof RelaxOp) return this.opCall(op, c);
    const callee = op instanceof GlobalVar ? this.globalVar(op) : this.expr(op);
    return callText(callee, c.args.map((a) => this.arg(a)));
  }

  private opCall(op: RelaxOp, c: Call): string {
    const kw: [string, string][] = [];
    let args: string[];
    switch (op.name) {
      case "relax.call_tir":
      case "relax.call_dps_packed": {
        args = [op.name === "relax.call_tir" ? this.arg(c.args[0]!) : quote((c.args[0] as ExternFunc).globalSymbol), this.expr(c.args[1] as Expr)];
        kw.push(["out_sinfo", this.sinfo(c.sinfoArgs[0]!)]);
        if (c.args[2]) kw.push(["tir_vars", this.expr(c.args[2] as Expr)]);
        break;
      }
      case "relax.call_pure_packed":
        args = [quote((c.args[0] as ExternFunc).globalSymbol), ...c.args.slice(1).map((a) => this.arg(a))];
        kw.push(["sinfo_args", this.tuple(c.sinfoArgs.map((s) => this.sinfo(s)))]);
        break;
      default:
        args = c.args.map((a) => this.arg(a));
        for (const k of Object.keys(op.attrDefaults)) if (k in c.attrs) kw.push([k, this.attr(c.attrs[k]!)]);
    }
    return callText(this.R(op.scriptName), args, kw);
  }

  attr(v: AttrValue): string {
    if (v === null) return "None";
    if (typeof v === "boolean") return v ? "True" : "False";
    if (typeof v === "number") return Number.isInteger(v) ? formatInt(v) : formatFloat(v);
    if (typeof v === "string") return quote(v);
    if (Array.isArray(v)) return `[${v.map((x) => this.attr(x)).join(", ")}]`;
    if (v instanceof PrimExpr) return v.dtype === int64 ? this.prim(v) : exprText(this.p, v);
    const entries = Object.entries(v as Record<string, AttrValue>).sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    return `{${entries.map(([k, x]) => `${quote(k)}: ${this.attr(x)}`).join(", ")}}`;
  }
}
