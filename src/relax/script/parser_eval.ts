/**
 * Expression evaluation for the `R` dialect: Python AST -> Relax expressions, StructInfo and
 * attribute values. `R.*` members are resolved here (struct info constructors, literals,
 * call_tir and friends, and every registered operator by its script name); arithmetic on
 * symbolic dims and any `T.*` expression go to the TIR expression evaluator, which sees the
 * symbolic vars through the shared TIR scope.
 */
import { DataType, bool, int32, int64, voidType } from "../../ir/dtype.js";
import { GlobalVar, IntImm, PrimExpr, Var as TirVar } from "../../ir/expr.js";
import type * as A from "../../tir/script/python/ast.js";
import type { ParseContext } from "../../tir/script/parser/context.js";
import type { ExprEvaluator } from "../../tir/script/parser/expr.js";
import { suggest } from "../../tir/script/parser/signature.js";
import { DataTypeValue, DictValue, PyFloat, type ScriptValue } from "../../tir/script/parser/values.js";
import {
  Constant, DataTypeImm, Expr, ExternFunc, PrimValue, ShapeExpr, StringImm, Tuple, TupleGetItem, Call, type AttrValue, type Attrs,
  type CallArg,
} from "../expr.js";
import { callDpsPacked, callPurePacked, callTir } from "../op/builtin.js";
import { RelaxOp, callOp } from "../op/registry.js";
import {
  FuncStructInfo, ObjectStructInfo, PrimStructInfo, ShapeStructInfo, StructInfo, TensorStructInfo, TupleStructInfo,
} from "../struct_info.js";

/** `R`, `R.nn`, `R.add`: a path under the R namespace, resolved when used. */
export class RPath {
  constructor(readonly path: string) {}
}

/** `cls` / the class name inside an @I.ir_module: its functions by name. */
export class ModuleRef {
  constructor(readonly globals: ReadonlyMap<string, GlobalVar>) {}
}

/** Statement-level R calls, consumed by the statement parser. */
export class MatchCastValue {
  constructor(
    readonly value: Expr,
    readonly sinfo: StructInfo,
  ) {}
}
export class OutputMarker {
  constructor(readonly vars: readonly Expr[]) {}
}
export class FuncAttrMarker {
  constructor(readonly attrs: Attrs) {}
}
export class DataflowMarker {}

export type RValue = ScriptValue | Expr | StructInfo | GlobalVar | RPath | ModuleRef | MatchCastValue | OutputMarker | FuncAttrMarker | DataflowMarker | RValue[];

const SINFO_NAMES = new Set(["Tensor", "Shape", "Prim", "Object", "Tuple", "Callable"]);

export class RelaxEvaluator {
  /** Relax names, innermost scope last. Symbolic vars live in the TIR context's scope. */
  readonly scopes: Map<string, RValue>[] = [new Map()];
  /** In a signature, unknown names (and strings) in shapes define symbolic vars. */
  autoDefine = false;

  constructor(
    readonly ctx: ParseContext,
    readonly tir: ExprEvaluator,
  ) {}

  // ------------------------------------------------------------ scopes

  lookup(name: string): RValue | undefined {
    for (let i = this.scopes.length - 1; i >= 0; i--) {
      const s = this.scopes[i]!;
      if (s.has(name)) return s.get(name);
    }
    return this.ctx.scope.has(name) ? this.ctx.scope.lookup(name) : undefined;
  }

  bind(name: string, v: RValue): void {
    this.scopes[this.scopes.length - 1]!.set(name, v);
  }

  /** The symbolic var called `name`, defining it (int64) in the innermost TIR scope if needed. */
  symbol(name: string, span: A.Span): TirVar {
    const v = this.ctx.scope.lookup(name);
    if (v instanceof TirVar) return v;
    if (v !== undefined) return this.ctx.fail(`'${name}' is not a symbolic variable`, span);
    const fresh = new TirVar(name, int64);
    this.ctx.scope.set(name, fresh, span);
    return fresh;
  }

  // ------------------------------------------------------------ evaluation

  eval(e: A.Expr): RValue {
    try {
      return this.evalInner(e);
    } catch (err) {
      throw this.ctx.rethrow(err, e.span);
    }
  }

  private evalInner(e: A.Expr): RValue {
    switch (e.kind) {
      case "Constant":
        if (e.valueKind === "float") return new PyFloat(e.value as number);
        if (e.valueKind === "int" && typeof e.value !== "number") return this.ctx.fail(`the integer ${e.raw} is too large`, e.span);
        return e.value as RValue;
      case "Name": {
        const v = this.lookup(e.id);
        if (v !== undefined) return v;
        if (this.autoDefine) return this.symbol(e.id, e.span);
        const all = [...this.scopes.flatMap((s) => [...s.keys()]), ...this.ctx.scope.visibleNames()];
        const hint = suggest(e.id, all);
        return this.ctx.fail(`undefined name '${e.id}'${hint ? ` (did you mean '${hint}'?)` : ""}`, e.span);
      }
      case "Attribute": {
        const base = this.eval(e.value);
        if (base instanceof RPath) return new RPath(base.path ? `${base.path}.${e.attr}` : e.attr);
        if (base instanceof ModuleRef) {
          const g = base.globals.get(e.attr);
          if (!g) return this.ctx.fail(`the module has no function '${e.attr}' (it has: ${[...base.globals.keys()].join(", ")})`, e.span);
          return g;
        }
        return this.tir.eval(e);
      }
      case "Call":
        return this.call(e);
      case "Tuple":
      case "List":
        return e.elts.map((x) => this.eval(x));
      case "Dict":
        return new DictValue(e.keys.map((k, i) => [this.eval(k!) as ScriptValue, this.eval(e.values[i]!) as ScriptValue] as const));
      case "Subscript": {
        const base = this.toExpr(this.eval(e.value), e.value.span);
        const idx = this.eval(e.index);
        if (typeof idx !== "number") return this.ctx.fail("a tuple can only be indexed by an int literal", e.index.span);
        return new TupleGetItem(base, idx);
      }
      default:
        // Arithmetic and comparisons on symbolic dims.
        return this.tir.eval(e);
    }
  }

  private call(e: A.Call): RValue {
    const f = this.eval(e.func);
    if (f instanceof RPath) return this.rCall(f.path, e);
    const args = () => e.args.map((a) => this.toArg(this.eval(a), a.span));
    if (f instanceof GlobalVar) return new Call(f, args());
    if (f instanceof Expr) return new Call(f, args());
    return this.tir.eval(e);
  }

  // ------------------------------------------------------------ conversions

  toExpr(v: RValue, span: A.Span): Expr {
    if (v instanceof Expr) return v;
    if (Array.isArray(v)) return new Tuple(v.map((x) => this.toExpr(x, span)));
    if (typeof v === "number") return new PrimValue(new IntImm(int64, v));
    if (typeof v === "boolean") return PrimValue.bool(v);
    if (v instanceof PrimExpr) return new PrimValue(v);
    if (typeof v === "string") return new StringImm(v);
    return this.ctx.fail(`expected a Relax expression, got ${describe(v)}`, span);
  }

  toArg(v: RValue, span: A.Span): CallArg {
    return v instanceof GlobalVar ? v : this.toExpr(v, span);
  }

  toDim(v: RValue, span: A.Span): PrimExpr {
    if (typeof v === "number") return new IntImm(int64, v);
    if (typeof v === "string") return this.symbol(v, span);
    if (v instanceof PrimExpr) {
      if (v.dtype === int64) return v;
      if (v instanceof IntImm && v.dtype === int32) return new IntImm(int64, v.value);
      return this.ctx.fail(`shape dims must be int64, got a ${v.dtype} expression`, span);
    }
    return this.ctx.fail(`expected a shape dim (an int or an int64 expression), got ${describe(v)}`, span);
  }

  toShape(v: RValue, span: A.Span): Expr {
    if (Array.isArray(v)) return new ShapeExpr(v.map((d) => this.toDim(d, span)));
    const e = this.toExpr(v, span);
    if (!(e.structInfo instanceof ShapeStructInfo)) return this.ctx.fail(`expected a shape, got ${describe(v)}`, span);
    return e;
  }

  toSinfo(v: RValue, span: A.Span): StructInfo {
    if (v instanceof StructInfo) return v;
    if (v instanceof RPath && SINFO_NAMES.has(v.path)) return this.sinfoCall(v.path, [], new Map(), span);
    if (Array.isArray(v)) return new TupleStructInfo(v.map((x) => this.toSinfo(x, span)));
    return this.ctx.fail(`expected a struct info such as R.Tensor((n, 4), dtype="float32"), got ${describe(v)}`, span);
  }

  toAttr(v: RValue, span: A.Span): AttrValue {
    if (v === null || typeof v === "number" || typeof v === "string" || typeof v === "boolean") return v;
    if (v instanceof PyFloat) return v.value;
    if (v instanceof PrimExpr) return v;
    if (v instanceof DataTypeValue) return v.dtype.toString();
    if (Array.isArray(v)) return v.map((x) => this.toAttr(x, span));
    if (v instanceof DictValue) {
      const out: Record<string, AttrValue> = {};
      for (const [k, x] of v.entries) {
        if (typeof k !== "string") return this.ctx.fail("attribute dict keys must be strings", span);
        out[k] = this.toAttr(x, span);
      }
      return out;
    }
    return this.ctx.fail(`expected an attribute value (int, float, str, bool, None, list or dict), got ${describe(v)}`, span);
  }

  private dtype(v: RValue, span: A.Span): DataType {
    if (v === null) return voidType;
    if (v instanceof DataTypeValue) return v.dtype;
    if (typeof v === "string") {
      const t = DataType.tryParse(v);
      if (t) return t;
    }
    return this.ctx.fail(`expected a dtype such as "float32", got ${describe(v)}`, span);
  }

  // ------------------------------------------------------------ R.* calls

  private args(e: A.Call): { pos: { v: RValue; span: A.Span }[]; kw: Map<string, { v: RValue; span: A.Span }> } {
    const pos = e.args.map((a) => {
      if (a.kind === "Starred") return this.ctx.fail("*args are not supported in R calls", a.span);
      return { v: this.eval(a), span: a.span };
    });
    const kw = new Map<string, { v: RValue; span: A.Span }>();
    for (const k of e.keywords) {
      if (k.name === null) this.ctx.fail("**kwargs are not supported in R calls", k.span);
      kw.set(k.name!, { v: this.eval(k.value), span: k.value.span });
    }
    return { pos, kw };
  }

  private rCall(path: string, e: A.Call): RValue {
    if (SINFO_NAMES.has(path)) {
      const { pos, kw } = this.args(e);
      return this.sinfoCall(path, pos, kw, e.span);
    }
    const { pos, kw } = this.args(e);
    const need = (i: number, what: string) => pos[i] ?? this.ctx.fail(`R.${path} needs ${what}`, e.span);
    switch (path) {
      case "const":
        return this.constant(need(0, "a value").v, kw.get("dtype")?.v ?? pos[1]?.v, e.span);
      case "shape":
        return this.toShape(need(0, "a list of dims").v, e.span);
      case "prim_value": {
        const v = need(0, "a value").v;
        if (typeof v === "number") return new PrimValue(new IntImm(int64, v));
        if (typeof v === "boolean") return new PrimValue(new IntImm(bool, v ? 1 : 0));
        if (v instanceof PrimExpr) return new PrimValue(v);
        return this.ctx.fail(`R.prim_value expects an int, bool or PrimExpr, got ${describe(v)}`, e.span);
      }
      case "tuple":
        if (kw.size > 0) return this.ctx.fail("R.tuple takes its fields as positional arguments", e.span);
        return new Tuple(pos.map((p) => this.toExpr(p.v, p.span)));
      case "str":
        return new StringImm(String(need(0, "a string").v));
      case "dtype":
        return new DataTypeImm(this.dtype(need(0, "a dtype").v, e.span));
      case "ExternFunc":
        return new ExternFunc(String(need(0, "a symbol name").v));
      case "match_cast":
        return new MatchCastValue(this.toExpr(need(0, "a value").v, e.span), this.toSinfo(need(1, "a struct info").v, e.span));
      case "output":
        return new OutputMarker(pos.map((p) => this.toExpr(p.v, p.span)));
      case "dataflow":
        return new DataflowMarker();
      case "func_attr": {
        const a = this.toAttr(need(0, "a dict").v, e.span);
        if (typeof a !== "object" || a === null || Array.isArray(a) || a instanceof PrimExpr) return this.ctx.fail("R.func_attr expects a dict", e.span);
        return new FuncAttrMarker(a as Attrs);
      }
      case "call_tir": {
        const f = need(0, "a PrimFunc (cls.name)").v;
        if (!(f instanceof GlobalVar)) return this.ctx.fail(`R.call_tir: the callee must be a module PrimFunc such as cls.add, got ${describe(f)}`, e.span);
        const out = kw.get("out_sinfo") ?? pos[2];
        if (!out) return this.ctx.fail("R.call_tir needs out_sinfo=R.Tensor(...)", e.span);
        const tv = kw.get("tir_vars") ?? pos[3];
        return callTir(f, this.toExpr(need(1, "the argument tuple").v, e.span), this.toSinfo(out.v, out.span), tv ? this.toShape(tv.v, tv.span) : undefined);
      }
      case "call_dps_packed": {
        const out = kw.get("out_sinfo") ?? pos[2];
        if (!out) return this.ctx.fail("R.call_dps_packed needs out_sinfo=R.Tensor(...)", e.span);
        return callDpsPacked(this.extern(need(0, "a function name").v, e.span), this.toExpr(need(1, "the argument tuple").v, e.span), this.toSinfo(out.v, out.span));
      }
      case "call_pure_packed": {
        const s = kw.get("sinfo_args");
        if (!s) return this.ctx.fail("R.call_pure_packed needs sinfo_args=(R.Tensor(...),)", e.span);
        let sinfo = Array.isArray(s.v) && s.v.length === 1 ? this.toSinfo(s.v[0]!, s.span) : this.toSinfo(s.v, s.span);
        if (Array.isArray(s.v) && s.v.length !== 1) sinfo = this.toSinfo(s.v, s.span);
        const args = pos.slice(1).map((p) => this.toExpr(p.v, p.span));
        return callPurePacked(this.extern(need(0, "a function name").v, e.span), args, sinfo);
      }
    }
    const op = RelaxOp.byScriptName(path);
    if (!op) {
      const hint = suggest(path, RelaxOp.all().map((o) => o.scriptName));
      return this.ctx.fail(`unknown Relax operator R.${path}${hint ? ` (did you mean R.${hint}?)` : ""}`, e.func.span);
    }
    return this.opCall(op, pos, kw, e.span);
  }

  private extern(v: RValue, span: A.Span): ExternFunc {
    if (v instanceof ExternFunc) return v;
    if (typeof v === "string") return new ExternFunc(v);
    return this.ctx.fail(`expected a packed function name (a string), got ${describe(v)}`, span);
  }

  private opCall(op: RelaxOp, pos: { v: RValue; span: A.Span }[], kw: Map<string, { v: RValue; span: A.Span }>, span: A.Span): Call {
    const args: CallArg[] = [];
    const attrs: Record<string, AttrValue> = {};
    const attrNames = Object.keys(op.attrDefaults);
    const params = op.params;
    pos.forEach((p, i) => {
      const param = params[i];
      if (param) args.push(param.kind === "shape" ? this.toShape(p.v, p.span) : this.toArg(p.v, p.span));
      else if (params.some((q) => q.variadic)) args.push(this.toArg(p.v, p.span));
      else {
        const name = attrNames[i - params.length];
        if (name === undefined) this.ctx.fail(`R.${op.scriptName} takes at most ${params.length + attrNames.length} positional argument(s)`, p.span);
        attrs[name!] = this.toAttr(p.v, p.span);
      }
    });
    for (const [k, a] of kw) {
      const pi = params.findIndex((q) => q.name === k);
      if (pi >= 0) {
        if (pi !== args.length) this.ctx.fail(`R.${op.scriptName}: argument '${k}' given out of order`, a.span);
        args.push(params[pi]!.kind === "shape" ? this.toShape(a.v, a.span) : this.toArg(a.v, a.span));
      } else if (k in op.attrDefaults) attrs[k] = this.toAttr(a.v, a.span);
      else {
        const hint = suggest(k, [...params.map((q) => q.name), ...attrNames]);
        this.ctx.fail(`R.${op.scriptName} has no argument '${k}'${hint ? ` (did you mean '${hint}'?)` : ""}`, a.span);
      }
    }
    return this.ctx.guard(span, () => callOp(op.name, args, attrs));
  }

  private constant(v: RValue, dt: RValue | undefined, span: A.Span): Constant {
    const shape: number[] = [];
    const data: number[] = [];
    let sawFloat = false, sawBool = false;
    const walk = (x: RValue, depth: number): void => {
      if (Array.isArray(x)) {
        if (shape.length === depth) shape.push(x.length);
        else if (shape[depth] !== x.length) this.ctx.fail("R.const: the nested lists are ragged", span);
        x.forEach((y) => walk(y, depth + 1));
        return;
      }
      if (depth !== shape.length) this.ctx.fail("R.const: the nested lists are ragged", span);
      if (x instanceof PyFloat) {
        sawFloat = true;
        data.push(x.value);
      } else if (typeof x === "number") data.push(x);
      else if (typeof x === "boolean") {
        sawBool = true;
        data.push(x ? 1 : 0);
      } else this.ctx.fail(`R.const: expected numbers, got ${describe(x)}`, span);
    };
    walk(v, 0);
    const dtype = dt === undefined || dt === null ? (sawFloat ? DataType.parse("float32") : sawBool ? bool : int32) : this.dtype(dt, span);
    return this.ctx.guard(span, () => new Constant(dtype, shape, data));
  }

  sinfoCall(path: string, pos: { v: RValue; span: A.Span }[], kw: Map<string, { v: RValue; span: A.Span }>, span: A.Span): StructInfo {
    const get = (i: number, name: string) => kw.get(name) ?? pos[i];
    switch (path) {
      case "Object":
        return new ObjectStructInfo();
      case "Prim": {
        const value = kw.get("value");
        if (value) return new PrimStructInfo(this.toPrimValue(value.v, value.span));
        const d = get(0, "dtype");
        return new PrimStructInfo(d ? this.dtype(d.v, d.span) : voidType);
      }
      case "Shape": {
        const values = get(0, "values");
        if (values && values.v !== null) return new ShapeStructInfo((values.v as RValue[]).map((d) => this.toDim(d, values.span)));
        const nd = kw.get("ndim");
        return new ShapeStructInfo(nd ? (nd.v as number) : -1);
      }
      case "Tensor": {
        const shape = get(0, "shape"), dt = get(1, "dtype"), nd = kw.get("ndim");
        const dtype = dt ? this.dtype(dt.v, dt.span) : voidType;
        if (shape && shape.v !== null) {
          if (Array.isArray(shape.v)) return new TensorStructInfo(new ShapeExpr(shape.v.map((d) => this.toDim(d, shape.span))), dtype);
          return this.ctx.guard(shape.span, () => new TensorStructInfo(this.toExpr(shape.v, shape.span), dtype));
        }
        return new TensorStructInfo(nd ? (nd.v as number) : -1, dtype);
      }
      case "Tuple":
        return new TupleStructInfo(pos.map((p) => this.toSinfo(p.v, p.span)));
      case "Callable": {
        const params = get(0, "params"), ret = get(1, "ret"), purity = get(2, "purity");
        const pure = purity ? purity.v === true : false;
        if (!params) return FuncStructInfo.opaque(new ObjectStructInfo(), pure);
        const ps = (params.v as RValue[]).map((x) => this.toSinfo(x, params.span));
        return new FuncStructInfo(ps, ret ? this.toSinfo(ret.v, ret.span) : new ObjectStructInfo(), purity ? purity.v === true : true);
      }
    }
    return this.ctx.fail(`unknown struct info R.${path}`, span);
  }

  private toPrimValue(v: RValue, span: A.Span): PrimExpr {
    if (typeof v === "number") return new IntImm(int64, v);
    if (typeof v === "string") return this.symbol(v, span);
    if (v instanceof PrimExpr) return v;
    return this.ctx.fail(`expected a PrimExpr, got ${describe(v)}`, span);
  }
}

/** A short description of a value for error messages. */
export function describe(v: RValue): string {
  if (v === null) return "None";
  if (v === undefined) return "nothing";
  if (typeof v === "number") return `the int ${v}`;
  if (typeof v === "string") return `the string ${JSON.stringify(v)}`;
  if (typeof v === "boolean") return `the bool ${v ? "True" : "False"}`;
  if (v instanceof PyFloat) return `the float ${v.value}`;
  if (Array.isArray(v)) return `a tuple of ${v.length} item(s)`;
  if (v instanceof RPath) return `R.${v.path}`;
  if (v instanceof ModuleRef) return "the module itself (use one of its functions, cls.name)";
  if (v instanceof GlobalVar) return `the function ${v.name}`;
  if (v instanceof PrimExpr) return `a ${v.dtype} expression`;
  if (v instanceof StructInfo) return "a struct info";
  if (v instanceof Expr) return `a Relax ${v.kind.replace("relax.", "")}`;
  return "a value";
}
