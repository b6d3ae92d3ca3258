/**
 * Entry points of the TVMScript parser: a file of `@T.prim_func` functions or one
 * `@I.ir_module class`, a single PrimFunc, or a bare expression. Functions get the
 * `global_symbol` attribute of their name unless declared `@T.prim_func(private=True)`.
 */
import { Buffer } from "../../../ir/buffer.js";
import { handle, type DataType } from "../../../ir/dtype.js";
import { GlobalVar, type PrimExpr, Var } from "../../../ir/expr.js";
import { IRModule } from "../../../ir/module.js";
import { PrimFunc } from "../../function.js";
import type * as A from "../python/ast.js";
import { DEFAULT_FILE } from "../python/errors.js";
import { parsePython } from "../python/parser.js";
import { wrapRootBlock } from "./complete.js";
import { FuncState, ParseContext, Scope } from "./context.js";
import { unwrapMeta } from "./convert.js";
import { globalScope, I_NAMESPACE, T_NAMESPACE } from "./namespace.js";
import { StmtParser } from "./stmt.js";
import { Builtin, DataTypeValue, Decorator, FuncRef, Namespace, describe, isVarValue, type ScriptValue } from "./values.js";

/** What an import binds: `from tvm.script import tir as T` makes `T` the T namespace. */
function importAliases(ctx: ParseContext, s: A.ImportFrom): void {
  if (s.module !== "tvm.script" && s.module !== "tvm.script.parser") return;
  for (const a of s.names) {
    const ns = a.name === "tir" || a.name === "tirx" ? T_NAMESPACE : a.name === "ir" ? I_NAMESPACE : undefined;
    if (ns) ctx.rebind(a.asname ?? a.name, ns, a.span);
  }
}

export class ScriptParser {
  readonly ctx: ParseContext;
  readonly stmts: StmtParser;

  constructor(source: string, file: string) {
    this.ctx = new ParseContext(source, file, globalScope());
    this.stmts = new StmtParser(this.ctx);
  }

  /** Which decorator a def or class carries. */
  private decorator(node: A.FunctionDef | A.ClassDef): Decorator | undefined {
    const ctx: ParseContext = this.ctx;
    let found: Decorator | undefined;
    for (const d of node.decorators) {
      const text = d.kind === "Attribute" && d.value.kind === "Name" ? `${d.value.id}.${d.attr}` : undefined;
      if (text === "R.function" || text === "R.macro") ctx.fail(`@${text} (Relax) is not supported by this parser yet`, d.span);
      let v = unwrapMeta(this.stmts.ev.eval(d));
      if (v instanceof Builtin && v.name === "T.prim_func") v = new Decorator("prim_func");
      if (v instanceof Builtin && v.name === "I.ir_module") v = new Decorator("ir_module");
      if (!(v instanceof Decorator)) ctx.fail(`unsupported decorator: expected @T.prim_func or @I.ir_module, got ${describe(v)}`, d.span);
      if (found) ctx.fail("only one @T.prim_func / @I.ir_module decorator is allowed", d.span);
      found = v;
    }
    return found;
  }

  parseModule(mod: A.Module): IRModule {
    const ctx: ParseContext = this.ctx;
    const funcs: Array<[A.FunctionDef, Decorator]> = [];
    let cls: A.ClassDef | undefined;
    for (const s of mod.body) {
      ctx.currentSpan = s.span;
      switch (s.kind) {
        case "ImportFrom":
          importAliases(ctx, s);
          break;
        case "Import":
        case "Pass":
          break;
        case "ExprStmt":
          if (s.value.kind !== "Constant" || s.value.valueKind !== "str") this.topLevelError(s);
          break;
        case "Assign":
          this.topLevelAssign(s);
          break;
        case "FunctionDef": {
          const d = this.decorator(s);
          if (!d || d.kind !== "prim_func") ctx.fail(`function '${s.name}' needs the @T.prim_func decorator`, s.span);
          if (funcs.some(([f]) => f.name === s.name)) ctx.fail(`the file already has a function named '${s.name}'`, s.span);
          funcs.push([s, d]);
          break;
        }
        case "ClassDef": {
          const d = this.decorator(s);
          if (!d || d.kind !== "ir_module") ctx.fail(`class '${s.name}' needs the @I.ir_module decorator`, s.span);
          if (cls) ctx.fail(`a file may hold one @I.ir_module class; '${cls.name}' came first`, s.span);
          cls = s;
          break;
        }
        default:
          this.topLevelError(s);
      }
    }
    if (cls && funcs.length > 0) {
      ctx.fail("a file holds either @T.prim_func functions or one @I.ir_module class, not both", funcs[0]![0].span);
    }
    if (cls) return this.irModule(cls);
    return new IRModule(funcs.map(([f, d]) => [f.name, this.primFunc(f, d, ctx.scope)] as const));
  }

  private topLevelError(s: A.Stmt): never {
    return this.ctx.fail("unexpected statement at the top level (expected @T.prim_func functions or an @I.ir_module class)", s.span);
  }

  /** `N = 128` at the top level: a constant the functions may use. */
  private topLevelAssign(s: A.Assign): void {
    const ctx: ParseContext = this.ctx;
    const t = s.targets[0]!;
    if (s.targets.length !== 1 || t.kind !== "Name") this.topLevelError(s);
    const v = unwrapMeta(this.stmts.ev.eval(s.value));
    const ok = typeof v === "number" || typeof v === "string" || typeof v === "boolean" || Array.isArray(v) || v === null;
    if (!ok) ctx.fail(`a top-level assignment may only bind a Python constant, got ${describe(v)}`, s.value.span);
    ctx.rebind(t.id, v, t.span);
  }

  private irModule(cls: A.ClassDef): IRModule {
    const ctx: ParseContext = this.ctx;
    if (cls.bases.length > 0 || cls.keywords.length > 0) ctx.fail("an @I.ir_module class takes no base classes", cls.span);
    const defs: Array<[A.FunctionDef, Decorator]> = [];
    const refs = new Map<string, FuncRef>();
    const moduleScope = new Scope(ctx.scope);
    ctx.moduleAttrs = {};
    const saved = ctx.scope;
    ctx.scope = moduleScope;
    try {
      for (const s of cls.body) {
        ctx.currentSpan = s.span;
        if (s.kind === "FunctionDef") {
          const d = this.decorator(s);
          if (!d || d.kind !== "prim_func") ctx.fail(`function '${s.name}' needs the @T.prim_func decorator`, s.span);
          if (refs.has(s.name)) ctx.fail(`the module already has a function named '${s.name}'`, s.span);
          defs.push([s, d]);
          refs.set(s.name, new FuncRef(new GlobalVar(s.name), this.returnType(s)));
        } else if (s.kind === "ExprStmt") {
          if (s.value.kind === "Constant" && s.value.valueKind === "str") continue;
          const v = this.stmts.ev.eval(s.value);
          if (v !== undefined) ctx.fail(`unexpected statement in an @I.ir_module class (it evaluates to ${describe(v)})`, s.span);
        } else if (s.kind !== "Pass") {
          ctx.fail("an @I.ir_module class may only contain @T.prim_func functions and I.module_attrs(...)", s.span);
        }
      }
      const ns = new Namespace(cls.name, (n) => refs.get(n), () => [...refs.keys()]);
      moduleScope.set(cls.name, ns, cls.span);
      moduleScope.set("cls", ns, cls.span);
      const funcs = defs.map(([f, d]) => [refs.get(f.name)!.gv, this.primFunc(f, d, moduleScope)] as const);
      return new IRModule(funcs, ctx.moduleAttrs);
    } finally {
      ctx.scope = saved;
      ctx.moduleAttrs = undefined;
    }
  }

  private returnType(def: A.FunctionDef): DataType | undefined {
    if (!def.returns) return undefined;
    const v = unwrapMeta(this.stmts.ev.eval(def.returns));
    if (v === null) return undefined;
    if (v instanceof DataTypeValue) return v.dtype;
    return this.ctx.fail(`the return annotation must be None or a dtype such as T.int32, got ${describe(v)}`, def.returns.span);
  }

  primFunc(def: A.FunctionDef, deco: Decorator, outer: Scope): PrimFunc {
    const ctx: ParseContext = this.ctx;
    const func = new FuncState(def.name);
    const saved = ctx.scope;
    ctx.func = func;
    ctx.scope = new Scope(outer);
    try {
      const retType = this.returnType(def);
      this.params(def, func);
      let body = this.stmts.list(def.body);
      body = wrapRootBlock(body, func.rootAllocs, func.containsBlock);
      const attrs = { ...func.attrs };
      if (!deco.isPrivate && !("global_symbol" in attrs)) attrs["global_symbol"] = def.name;
      const bufferMap = new Map<Var, Buffer>();
      for (const p of func.params) {
        const b = func.bufferMap.get(p);
        if (b) bufferMap.set(p, b);
      }
      return ctx.guard(def.span, () => new PrimFunc(func.params, body, bufferMap, attrs, retType));
    } finally {
      ctx.scope = saved;
      ctx.func = undefined;
      ctx.fresh.clear();
    }
  }

  /** Parameters; plain typed ones first, so buffer shapes may use scalar parameters listed later. */
  private params(def: A.FunctionDef, func: FuncState): void {
    const ctx: ParseContext = this.ctx;
    const isBufferAnn = (a: A.Expr): boolean => {
      const callee = a.kind === "Call" ? a.func : a.kind === "Subscript" ? a.value : undefined;
      return callee !== undefined && callee.kind === "Attribute" && callee.attr === "Buffer";
    };
    const made = new Map<A.Arg, [Var, ScriptValue]>();
    for (const pass of [false, true]) {
      for (const arg of def.args) {
        if (arg.kind !== "normal" && arg.kind !== "posonly") ctx.fail(`parameter '${arg.name}': *args, keyword-only and **kwargs parameters are not supported`, arg.span);
        if (arg.default) ctx.fail(`parameter '${arg.name}' cannot have a default value`, arg.default.span);
        if (!arg.annotation) {
          ctx.fail(`parameter '${arg.name}' needs a type annotation: T.Buffer((...), "dtype"), T.handle, or a dtype such as T.int32`, arg.span);
        }
        if (isBufferAnn(arg.annotation) !== pass) continue;
        const r = this.param(arg, arg.annotation, func);
        made.set(arg, r);
        ctx.define(arg.name, r[1], arg.span);
      }
    }
    for (const arg of def.args) func.params.push(made.get(arg)![0]);
  }

  private param(arg: A.Arg, ann: A.Expr, func: FuncState): [Var, ScriptValue] {
    const ctx: ParseContext = this.ctx;
    const v = unwrapMeta(ann.kind === "Call" ? this.stmts.ev.call(ann, [arg.name]) : this.stmts.ev.eval(ann));
    if (v instanceof DataTypeValue) {
      const x = new Var(arg.name, v.dtype);
      return [x, x];
    }
    if (isVarValue(v)) {
      ctx.fresh.delete(v);
      const x = v.name === arg.name ? v : new Var(arg.name, v.dtype, v.typeAnnotation);
      return [x, x];
    }
    if (v instanceof Buffer) {
      const h = new Var(arg.name, handle);
      func.bufferMap.set(h, v);
      return [h, v];
    }
    return ctx.fail(
      `parameter '${arg.name}': expected a type such as T.Buffer((...), "dtype"), T.handle or T.int32, got ${describe(v)}`,
      ann.span,
    );
  }
}

function run<T>(source: string, file: string, f: (p: ScriptParser, mod: A.Module) => T): T {
  const mod = parsePython(source, file);
  const p = new ScriptParser(source, file);
  try {
    return f(p, mod);
  } catch (e) {
    throw p.ctx.rethrow(e, p.ctx.currentSpan);
  }
}

/**
 * Parses TVMScript: one or more `@T.prim_func` functions, or an `@I.ir_module class`.
 * Functions are bound under their Python names. Errors are ScriptErrors located in `file`.
 */
export function parseScript(source: string, file: string = DEFAULT_FILE): IRModule {
  return run(source, file, (p, mod) => p.parseModule(mod));
}

/** Parses a script holding exactly one PrimFunc (top level or in an @I.ir_module). */
export function parsePrimFunc(source: string, file: string = DEFAULT_FILE): PrimFunc {
  const mod = parseScript(source, file);
  const funcs = [...mod.entries()].filter(([, f]) => f instanceof PrimFunc);
  if (funcs.length !== 1) {
    const names = funcs.map(([g]) => g.name).join(", ");
    const p = new ParseContext(source, file, globalScope());
    throw p.error(
      funcs.length === 0 ? "expected one @T.prim_func, found none" : `expected exactly one @T.prim_func, found ${funcs.length} (${names})`,
      { line: 1, col: 1, endLine: 1, endCol: 1 },
    );
  }
  return funcs[0]![1] as PrimFunc;
}

/**
 * Parses one expression, e.g. `parseExpr("i * 4 + j", { i, j })`. Names resolve to the
 * given variables and buffers, plus `T`.
 */
export function parseExpr(source: string, vars: Readonly<Record<string, Var | Buffer>> = {}, file = "<expr>"): PrimExpr {
  return run(source, file, (p, mod) => {
    const ctx: ParseContext = p.ctx;
    const body = mod.body;
    const only = body[0];
    if (body.length !== 1 || !only || only.kind !== "ExprStmt") {
      return ctx.fail("expected a single expression", only?.span ?? mod.span);
    }
    ctx.pushScope();
    for (const [k, v] of Object.entries(vars)) ctx.rebind(k, v);
    return p.stmts.ev.expr(only.value, "expression");
  });
}
