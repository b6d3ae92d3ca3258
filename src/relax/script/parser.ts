/**
 * The TVMScript parser for Relax and mixed modules: `@R.function` functions, and
 * `@I.ir_module` classes holding `@R.function`s and `@T.prim_func`s. PrimFuncs go to the TIR
 * parser (sharing its context, so errors look alike); Relax bodies are rebuilt through a
 * BlockBuilder, which re-infers every binding's StructInfo and checks it against the
 * annotation written in the script.
 *
 * Symbolic vars: in a signature, a quoted name (`R.Tensor(("n", 4))`) or an undefined bare
 * name (`R.Tensor((n, 4))`) defines an int64 var; `n = T.int64()` in the body names it again
 * (or declares a var a later match_cast defines).
 *
 * Module functions are `cls.f` or `Module.f`, with or without a `cls = Module` line. In a
 * body, `a, b = value` unpacks a tuple and `@R.function def inner(...)` binds a local function
 * that may use the vars and symbolic vars defined before it.
 */
import { DataType } from "../../ir/dtype.js";
import { GlobalVar, Var as TirVar } from "../../ir/expr.js";
import { IRModule } from "../../ir/module.js";
import { Scope } from "../../tir/script/parser/context.js";
import { ScriptParser } from "../../tir/script/parser/function.js";
import { I_NAMESPACE, T_NAMESPACE } from "../../tir/script/parser/namespace.js";
import { Decorator, FuncRef, Namespace } from "../../tir/script/parser/values.js";
import type * as A from "../../tir/script/python/ast.js";
import { DEFAULT_FILE } from "../../tir/script/python/errors.js";
import { parsePython } from "../../tir/script/python/parser.js";
import { BlockBuilder } from "../block_builder.js";
import { Function, If, TupleGetItem, Var, type AttrValue, type Expr } from "../expr.js";
import { sinfoText } from "../op/infer_util.js";
import { FuncStructInfo, ObjectStructInfo, TupleStructInfo, type StructInfo } from "../struct_info.js";
import {
  DataflowMarker, FuncAttrMarker, MatchCastValue, ModuleRef, OutputMarker, RPath, RelaxEvaluator, describe,
} from "./parser_eval.js";

type DecoKind = { kind: "relax"; isPrivate: boolean; isPure: boolean } | { kind: "prim"; isPrivate: boolean } | { kind: "module" };

/** The function being parsed: its attributes from R.func_attr. */
interface FuncFrame {
  attrs: Record<string, AttrValue>;
}

class RelaxScriptParser {
  readonly sp: ScriptParser;
  readonly ev: RelaxEvaluator;
  bb = new BlockBuilder();
  private func: FuncFrame | undefined;

  constructor(source: string, file: string) {
    this.sp = new ScriptParser(source, file);
    this.ev = new RelaxEvaluator(this.sp.ctx, this.sp.stmts.ev);
    this.ev.bind("R", new RPath(""));
  }

  get ctx() {
    return this.sp.ctx;
  }

  // ------------------------------------------------------------ module level

  parseModule(mod: A.Module): IRModule {
    const ctx = this.ctx;
    const funcs: Array<[A.FunctionDef, DecoKind]> = [];
    let cls: A.ClassDef | undefined;
    for (const s of mod.body) {
      ctx.currentSpan = s.span;
      if (s.kind === "ImportFrom") this.importAliases(s);
      else if (s.kind === "Import" || s.kind === "Pass" || (s.kind === "ExprStmt" && s.value.kind === "Constant")) continue;
      else if (s.kind === "FunctionDef") funcs.push([s, this.decorator(s)]);
      else if (s.kind === "ClassDef") {
        if (this.decorator(s).kind !== "module") ctx.fail(`class '${s.name}' needs the @I.ir_module decorator`, s.span);
        if (cls) ctx.fail(`a file may hold one @I.ir_module class; '${cls.name}' came first`, s.span);
        cls = s;
      } else ctx.fail("unexpected statement at the top level (expected @R.function / @T.prim_func functions or an @I.ir_module class)", s.span);
    }
    if (cls && funcs.length > 0) ctx.fail("a file holds either functions or one @I.ir_module class, not both", funcs[0]![0].span);
    if (cls) return this.classModule(cls);
    return this.functions(funcs, {});
  }

  private importAliases(s: A.ImportFrom): void {
    if (s.module !== "tvm.script" && s.module !== "tvm.script.parser") return;
    for (const a of s.names) {
      const alias = a.asname ?? a.name;
      if (a.name === "relax") this.ev.bind(alias, new RPath(""));
      else if (a.name === "tir" || a.name === "tirx") this.ctx.rebind(alias, T_NAMESPACE, a.span);
      else if (a.name === "ir") this.ctx.rebind(alias, I_NAMESPACE, a.span);
    }
  }

  /** `@R.function`, `@R.function(private=True, pure=False)`, `@T.prim_func(...)`, `@I.ir_module`. */
  private decorator(node: A.FunctionDef | A.ClassDef): DecoKind {
    const ctx = this.ctx;
    if (node.decorators.length !== 1) {
      return ctx.fail(`'${node.name}' needs exactly one decorator (@R.function, @T.prim_func or @I.ir_module)`, node.span);
    }
    const d = node.decorators[0]!;
    const callee = d.kind === "Call" ? d.func : d;
    const kws = new Map<string, boolean>();
    if (d.kind === "Call") {
      for (const k of d.keywords) {
        const v = this.ev.eval(k.value);
        if (typeof v !== "boolean" || !k.name) ctx.fail("decorator options must be keyword booleans such as private=True", k.span);
        kws.set(k.name!, v as boolean);
      }
    }
    const text = callee.kind === "Attribute" && callee.value.kind === "Name" ? `${callee.value.id}.${callee.attr}` : "";
    const target = callee.kind === "Attribute" ? this.ev.eval(callee.value) : undefined;
    if (callee.kind === "Attribute" && callee.attr === "function" && target instanceof RPath) {
      return { kind: "relax", isPrivate: kws.get("private") ?? false, isPure: kws.get("pure") ?? true };
    }
    if (callee.kind === "Attribute" && callee.attr === "prim_func" && target === T_NAMESPACE) return { kind: "prim", isPrivate: kws.get("private") ?? false };
    if (callee.kind === "Attribute" && callee.attr === "ir_module" && target === I_NAMESPACE) return { kind: "module" };
    return ctx.fail(`unsupported decorator @${text || "..."}: expected @R.function, @T.prim_func or @I.ir_module`, d.span);
  }

  private classModule(cls: A.ClassDef): IRModule {
    const ctx = this.ctx;
    if (cls.bases.length > 0 || cls.keywords.length > 0) ctx.fail("an @I.ir_module class takes no base classes", cls.span);
    const defs: Array<[A.FunctionDef, DecoKind]> = [];
    ctx.moduleAttrs = {};
    try {
      for (const s of cls.body) {
        ctx.currentSpan = s.span;
        if (s.kind === "FunctionDef") {
          const d = this.decorator(s);
          if (d.kind === "module") ctx.fail(`function '${s.name}' cannot be an @I.ir_module`, s.span);
          if (defs.some(([f]) => f.name === s.name)) ctx.fail(`the module already has a function named '${s.name}'`, s.span);
          defs.push([s, d]);
        } else if (s.kind === "ExprStmt") {
          if (s.value.kind === "Constant") continue;
          const v = this.sp.stmts.ev.eval(s.value);
          if (v !== undefined) ctx.fail(`unexpected statement in an @I.ir_module class (it evaluates to ${describe(v)})`, s.span);
        } else if (s.kind !== "Pass") {
          ctx.fail("an @I.ir_module class may only contain functions and I.module_attrs(...)", s.span);
        }
      }
      return this.functions(defs, { ...ctx.moduleAttrs }, cls.name);
    } finally {
      ctx.moduleAttrs = undefined;
    }
  }

  /** PrimFuncs first (Relax bodies call them), then Relax signatures, then Relax bodies. */
  private functions(defs: Array<[A.FunctionDef, DecoKind]>, attrs: Record<string, unknown>, className?: string): IRModule {
    const ctx = this.ctx;
    const gvs = new Map(defs.map(([f]) => [f.name, new GlobalVar(f.name)]));
    const refs = new Map(defs.filter(([, d]) => d.kind === "prim").map(([f]) => [f.name, new FuncRef(gvs.get(f.name)!, undefined)]));
    const moduleScope = new Scope(ctx.scope);
    const ns = new Namespace(className ?? "cls", (n) => refs.get(n), () => [...refs.keys()]);
    moduleScope.set("cls", ns, undefined);
    if (className) moduleScope.set(className, ns, undefined);
    const mref = new ModuleRef(gvs);
    this.ev.bind("cls", mref);
    if (className) this.ev.bind(className, mref);
    for (const [def, d] of defs) {
      if (d.kind !== "prim") continue;
      ctx.currentSpan = def.span;
      this.bb.addFunction(this.sp.primFunc(def, new Decorator("prim_func", d.isPrivate), moduleScope), gvs.get(def.name)!);
    }
    const saved = ctx.scope;
    ctx.scope = moduleScope;
    try {
      for (const [def, d] of defs) {
        if (d.kind !== "relax") continue;
        ctx.currentSpan = def.span;
        this.withFunctionScope(() => {
          const { params, ret } = this.signature(def);
          this.bb.declareFunction(def.name, new FuncStructInfo(params.map((p) => p.structInfo), ret ?? new ObjectStructInfo(), d.isPure));
        });
      }
      for (const [def, d] of defs) {
        if (d.kind !== "relax") continue;
        ctx.currentSpan = def.span;
        this.bb.addFunction(this.relaxFunction(def, d.isPrivate, d.isPure), gvs.get(def.name)!);
      }
    } finally {
      ctx.scope = saved;
    }
    return new IRModule([...this.bb.getModule().entries()], attrs);
  }

  // ------------------------------------------------------------ functions

  private withFunctionScope<T>(f: () => T): T {
    this.ctx.pushScope();
    this.ev.scopes.push(new Map());
    try {
      return f();
    } finally {
      this.ev.scopes.pop();
      this.ctx.popScope();
    }
  }

  private signature(def: A.FunctionDef): { params: Var[]; ret: StructInfo | undefined } {
    const ctx = this.ctx;
    this.ev.autoDefine = true;
    try {
      const params = def.args.map((a) => {
        if (a.kind !== "normal" && a.kind !== "posonly") ctx.fail(`parameter '${a.name}': only plain parameters are supported`, a.span);
        if (!a.annotation) ctx.fail(`parameter '${a.name}' needs a struct info annotation such as R.Tensor((n, 4), dtype="float32")`, a.span);
        const v = new Var(a.name, this.ev.toSinfo(this.ev.eval(a.annotation!), a.annotation!.span));
        this.ev.bind(a.name, v);
        return v;
      });
      const ret = def.returns ? this.ev.toSinfo(this.ev.eval(def.returns), def.returns.span) : undefined;
      return { params, ret };
    } finally {
      this.ev.autoDefine = false;
    }
  }

  relaxFunction(def: A.FunctionDef, isPrivate: boolean, isPure: boolean): Function {
    return this.withFunctionScope(() => {
      const { params, ret } = this.signature(def);
      this.func = { attrs: {} };
      this.bb.beginFunction(def.name, params);
      try {
        const result = this.body(def.body, true);
        if (!result) return this.ctx.fail(`function '${def.name}' must end with a return statement`, def.span);
        return this.ctx.guard(def.span, () =>
          this.bb.endFunction(result, { retStructInfo: ret, attrs: this.func!.attrs, isPure, private: isPrivate }),
        );
      } finally {
        this.func = undefined;
      }
    });
  }

  /** Parses statements; returns the returned expression when the list ends with `return`. */
  private body(stmts: readonly A.Stmt[], isFunction: boolean): Expr | undefined {
    for (let i = 0; i < stmts.length; i++) {
      const s = stmts[i]!;
      this.ctx.currentSpan = s.span;
      if (s.kind === "Return") {
        if (!isFunction || i !== stmts.length - 1) this.ctx.fail("return must be the last statement of the function", s.span);
        if (!s.value) return this.ctx.fail("a Relax function must return a value", s.span);
        return this.ev.toExpr(this.ev.eval(s.value), s.value.span);
      }
      try {
        this.stmt(s, stmts, i);
      } catch (e) {
        throw this.ctx.rethrow(e, s.span);
      }
    }
    return undefined;
  }

  private stmt(s: A.Stmt, siblings: readonly A.Stmt[], index: number, outputs?: ReadonlySet<string>): void {
    const ctx = this.ctx;
    switch (s.kind) {
      case "Pass":
        return;
      case "ExprStmt": {
        if (s.value.kind === "Constant") return;
        const v = this.ev.eval(s.value);
        if (v instanceof FuncAttrMarker) Object.assign(this.func!.attrs, v.attrs);
        else if (v instanceof OutputMarker) {
          if (!outputs) ctx.fail("R.output(...) is only allowed as the last statement of a `with R.dataflow():` block", s.span);
        } else ctx.fail(`a statement must bind its value to a name (got ${describe(v)}); write 'name = ...'`, s.span);
        return;
      }
      case "Assign":
      case "AnnAssign": {
        const target = s.kind === "Assign" ? s.targets[0] : s.target;
        if (s.kind === "Assign" && s.targets.length !== 1) return ctx.fail("chained assignments (a = b = value) are not supported; assign one name at a time", s.span);
        if (s.kind === "Assign" && (target?.kind === "Tuple" || target?.kind === "List")) return this.unpack(target.elts, s.value, siblings, index, outputs);
        if (!target || target.kind !== "Name") {
          return ctx.fail("expected a name or a tuple of names on the left of '=' (name = value, or a, b = value)", target?.span ?? s.span);
        }
        if (!s.value) return ctx.fail(`'${target.id}' needs a value`, s.span);
        if (this.declaration(target.id, s.value)) return;
        const ann = s.kind === "AnnAssign" ? this.ev.toSinfo(this.ev.eval(s.annotation), s.annotation.span) : undefined;
        const v = this.ev.eval(s.value);
        if (v instanceof ModuleRef) {
          // `cls = Module`, as TVM prints at the top of functions that call module functions.
          this.ev.bind(target.id, v);
          return;
        }
        if (v instanceof MatchCastValue) {
          this.ev.bind(target.id, this.bb.matchCast(v.value, v.sinfo, target.id, { exactName: true }));
          return;
        }
        this.assign(target.id, this.ev.toExpr(v, s.value.span), ann, siblings, index, outputs);
        return;
      }
      case "With":
        return this.dataflow(s);
      case "If":
        return this.ifStmt(s);
      case "FunctionDef":
        return this.localFunction(s, siblings, index, outputs);
      default:
        return ctx.fail(`unsupported statement in a Relax function (${s.kind})`, s.span);
    }
  }

  /** Binds `name` to `expr`; in a dataflow block, as an output when R.output names it and nothing reassigns it later. */
  private assign(name: string, expr: Expr, ann: StructInfo | undefined, siblings: readonly A.Stmt[], index: number, outputs?: ReadonlySet<string>): void {
    const isOutput = outputs?.has(name) && !siblings.slice(index + 1).some((x) => assigns(x, name));
    const opts = { exactName: true, structInfo: ann };
    this.ev.bind(name, isOutput ? this.bb.emitOutput(expr, name, opts) : this.bb.emit(expr, name, opts));
  }

  /**
   * `a, b = value`, as TVM binds it: a tuple value that is not a var is bound to a fresh var
   * first, then each name to an item of it (`a = lv[0]`); a tuple literal binds its fields.
   */
  private unpack(targets: readonly A.Expr[], value: A.Expr, siblings: readonly A.Stmt[], index: number, outputs?: ReadonlySet<string>): void {
    const ctx = this.ctx;
    const names = targets.map((t) => {
      if (t.kind !== "Name") return ctx.fail("tuple unpacking takes plain names (a, b = value); nested or starred targets are not supported", t.span);
      return t.id;
    });
    const dup = names.find((n, i) => names.indexOf(n) !== i);
    if (dup !== undefined) ctx.fail(`'${dup}' appears twice on the left of '='`, targets[names.lastIndexOf(dup)]!.span);
    const v = this.ev.eval(value);
    const count = (n: number, what: string) => {
      if (n !== names.length) ctx.fail(`cannot unpack ${what} into ${names.length} names: it has ${n} field(s)`, value.span);
    };
    if (Array.isArray(v)) {
      count(v.length, "a tuple literal");
      const fields = v.map((x) => this.ev.toExpr(x, value.span));
      names.forEach((n, i) => this.assign(n, fields[i]!, undefined, siblings, index, outputs));
      return;
    }
    if (v instanceof MatchCastValue) return ctx.fail("R.match_cast cannot be unpacked directly; bind it to one name, then unpack that name", value.span);
    let tuple = this.ev.toExpr(v, value.span);
    if (!(tuple instanceof Var)) tuple = this.ctx.guard(value.span, () => this.bb.emit(tuple));
    const sinfo = tuple.structInfo;
    if (!(sinfo instanceof TupleStructInfo)) return ctx.fail(`cannot unpack a value of ${sinfoText(sinfo!)}: only a tuple value can be unpacked`, value.span);
    count(sinfo.fields.length, `a value of ${sinfoText(sinfo)}`);
    names.forEach((n, i) => this.assign(n, new TupleGetItem(tuple, i), undefined, siblings, index, outputs));
  }

  /** A local function (closure): `@R.function def inner(...)` in a function body binds `inner`. */
  private localFunction(def: A.FunctionDef, siblings: readonly A.Stmt[], index: number, outputs?: ReadonlySet<string>): void {
    const d = this.decorator(def);
    if (d.kind !== "relax") return this.ctx.fail(`only @R.function can be defined inside a Relax function ('${def.name}' is not one)`, def.span);
    const outer = this.bb, func = this.func;
    this.bb = outer.local();
    let fn: Function;
    try {
      fn = this.relaxFunction(def, true, d.isPure);
    } finally {
      this.bb = outer;
      this.func = func;
    }
    this.assign(def.name, fn, undefined, siblings, index, outputs);
  }

  /** `n = T.int64()`: names a symbolic var (reusing one a signature defined). */
  private declaration(name: string, value: A.Expr): boolean {
    if (value.kind !== "Call" || value.args.length !== 0 || value.keywords.length !== 0 || value.func.kind !== "Attribute") return false;
    const base = this.ev.eval(value.func.value);
    const dtype = DataType.tryParse(value.func.attr);
    if (base !== T_NAMESPACE || !dtype) return false;
    const old = this.ctx.scope.lookup(name);
    if (old instanceof TirVar && old.dtype === dtype) return true;
    this.ctx.scope.set(name, new TirVar(name, dtype), value.span);
    return true;
  }

  private dataflow(s: A.With): void {
    const ctx = this.ctx;
    const item = s.items[0];
    if (s.items.length !== 1 || !item || item.target || !(this.ev.eval(item.context) instanceof DataflowMarker)) {
      return ctx.fail("only `with R.dataflow():` is supported in Relax functions", s.span);
    }
    const last = s.body[s.body.length - 1];
    const outputs = new Set<string>();
    let body = s.body;
    if (last && last.kind === "ExprStmt" && last.value.kind === "Call") {
      const f = last.value.func;
      if (f.kind === "Attribute" && f.attr === "output") {
        for (const a of last.value.args) {
          if (a.kind !== "Name") ctx.fail("R.output takes variable names", a.span);
          outputs.add((a as A.Name).id);
        }
        body = s.body.slice(0, -1);
      }
    }
    this.bb.beginDataflow();
    body.forEach((x, i) => {
      ctx.currentSpan = x.span;
      try {
        this.stmt(x, body, i, outputs);
      } catch (e) {
        throw ctx.rethrow(e, x.span);
      }
    });
    for (const name of outputs) {
      const v = this.ev.lookup(name);
      if (!(v instanceof Var) || v.kind !== "relax.Var") ctx.fail(`R.output: '${name}' is not bound in this dataflow block`, last!.span);
    }
    this.bb.endDataflow();
  }

  /** `if c: ... v = a else: ... v = b` binds v to an If whose branches end in a and b. */
  private ifStmt(s: A.If): void {
    const ctx = this.ctx;
    const target = (stmts: readonly A.Stmt[], what: string): [string, A.Expr, A.Expr | undefined] => {
      const last = stmts[stmts.length - 1];
      if (last?.kind === "Assign" && last.targets.length === 1 && last.targets[0]!.kind === "Name") return [last.targets[0]!.id, last.value, undefined];
      if (last?.kind === "AnnAssign" && last.target.kind === "Name" && last.value) return [last.target.id, last.value, last.annotation];
      return ctx.fail(`the ${what} branch of an if must end by assigning the result to a name`, last?.span ?? s.span);
    };
    if (s.orelse.length === 0) ctx.fail("an if in a Relax function needs an else branch", s.span);
    const [name, , ann] = target(s.body, "then");
    const [other] = target(s.orelse, "else");
    if (other !== name) ctx.fail(`both branches must assign the same name ('${name}' vs '${other}')`, s.orelse[s.orelse.length - 1]!.span);
    const cond = this.ev.toExpr(this.ev.eval(s.test), s.test.span);
    const branch = (stmts: readonly A.Stmt[]) =>
      this.bb.scope(() => {
        this.ctx.pushScope();
        this.ev.scopes.push(new Map());
        try {
          this.body(stmts.slice(0, -1), false);
          const [, value] = target(stmts, "");
          return this.ev.toExpr(this.ev.eval(value), value.span);
        } finally {
          this.ev.scopes.pop();
          this.ctx.popScope();
        }
      });
    const t = branch(s.body), f = branch(s.orelse);
    const sinfo = ann ? this.ev.toSinfo(this.ev.eval(ann), ann.span) : undefined;
    this.ev.bind(name, this.bb.emit(new If(cond, t, f), name, { exactName: true, structInfo: sinfo }));
  }
}

function assigns(s: A.Stmt, name: string): boolean {
  const binds = (t: A.Expr): boolean => (t.kind === "Name" ? t.id === name : (t.kind === "Tuple" || t.kind === "List") && t.elts.some(binds));
  if (s.kind === "Assign") return s.targets.some(binds);
  if (s.kind === "AnnAssign") return binds(s.target);
  if (s.kind === "FunctionDef") return s.name === name;
  return false;
}

function run<T>(source: string, file: string, f: (p: RelaxScriptParser, mod: A.Module) => T): T {
  const mod = parsePython(source, file);
  const p = new RelaxScriptParser(source, file);
  try {
    return f(p, mod);
  } catch (e) {
    throw p.ctx.rethrow(e, p.ctx.currentSpan);
  }
}

/**
 * Parses TVMScript holding Relax: an `@I.ir_module` class mixing `@R.function`s and
 * `@T.prim_func`s, or top-level functions. Errors are ScriptErrors located in `file`.
 */
export function parseRelaxScript(source: string, file: string = DEFAULT_FILE): IRModule {
  return run(source, file, (p, mod) => p.parseModule(mod));
}

/** Parses a script holding exactly one `@R.function`. */
export function parseRelaxFunction(source: string, file: string = DEFAULT_FILE): Function {
  const mod = parseRelaxScript(source, file);
  const fns = [...mod.entries()].filter(([, f]) => f instanceof Function);
  if (fns.length !== 1) throw new Error(`expected exactly one @R.function, found ${fns.length}`);
  return fns[0]![1] as Function;
}


