/**
 * Statements: Python statements -> TIR statements. A statement that binds something for the
 * rest of its list (`x: T.int32 = v`, `x = expr`, `assert c, "m"`, `A = T.decl_buffer(...)`,
 * a bare `T.attr(...)`) opens a scope whose body is everything after it, as in TVM's concise
 * printing. Blocks collect their header statements (`T.axis.*`, `T.reads`, ...) in a
 * BlockFrame and are completed (auto reads/writes) when closed.
 *
 * `x = expr` with a PrimExpr (or a Python number) on the right makes a LetStmt binding a new
 * variable named `x`, as TVM does; a name can be defined once per scope, so `x = x + 1`
 * is a redefinition error rather than a silent shadowing.
 */
import { Buffer } from "../../../ir/buffer.js";
import { Call, PrimExpr, StringImm, Var } from "../../../ir/expr.js";
import { Op } from "../../../ir/op_registry.js";
import {
  AssertStmt, Block, BlockRealize, Evaluate, For, IfThenElse, LetStmt, SeqStmt, TRUE, While, noOp, type Stmt,
} from "../../stmt.js";
import type * as A from "../python/ast.js";
import type { Span } from "../python/ast.js";
import { makeStore } from "./builtins_stmt.js";
import { completeBlockRegions } from "./complete.js";
import { BlockFrame, type ParseContext } from "./context.js";
import { toExpr, unwrapMeta, valueOfType } from "./convert.js";
import { ExprEvaluator } from "./expr.js";
import {
  BlockSpec, BufferAccess, DataTypeValue, EmitStmt, GridSpec, InitSpec, LoopSpec, MetaVar, PyFloat, ScopeFrame,
  describe, isVarValue, type ScriptValue,
} from "./values.js";

/** Statements of one body; scoped statements nest the rest of the list inside them. */
class StmtList {
  private cur: Stmt[] = [];
  private readonly open: Array<{ prev: Stmt[]; wrap: (body: Stmt) => Stmt }> = [];

  emit(s: Stmt): void {
    this.cur.push(s);
  }

  /** Everything emitted from now on becomes the body of `wrap`. */
  scope(wrap: (body: Stmt) => Stmt): void {
    this.open.push({ prev: this.cur, wrap });
    this.cur = [];
  }

  finish(): Stmt {
    let body = seq(this.cur);
    for (let i = this.open.length - 1; i >= 0; i--) {
      const { prev, wrap } = this.open[i]!;
      prev.push(wrap(body));
      body = seq(prev);
    }
    return body;
  }
}

function seq(stmts: Stmt[]): Stmt {
  return stmts.length === 0 ? noOp() : SeqStmt.flatten(stmts);
}

function targetNames(t: A.Expr | undefined): string[] | undefined {
  if (!t) return undefined;
  if (t.kind === "Name") return [t.id];
  if ((t.kind === "Tuple" || t.kind === "List") && t.elts.every((e) => e.kind === "Name")) {
    return t.elts.map((e) => (e as A.Name).id);
  }
  return undefined;
}

export class StmtParser {
  readonly ev: ExprEvaluator;
  constructor(readonly ctx: ParseContext) {
    this.ev = new ExprEvaluator(ctx);
  }

  /** A statement list in the current scope. */
  list(stmts: readonly A.Stmt[]): Stmt {
    const out = new StmtList();
    for (const s of stmts) this.stmt(s, out);
    return out.finish();
  }

  /** A nested body: its own scope, and not directly inside the enclosing block. */
  private nested(stmts: readonly A.Stmt[]): Stmt {
    return this.ctx.withScope(() => this.ctx.withFrame({ kind: "other" }, () => this.list(stmts)));
  }

  private stmt(s: A.Stmt, out: StmtList): void {
    const ctx: ParseContext = this.ctx;
    ctx.currentSpan = s.span;
    try {
      this.stmtInner(s, out);
    } catch (e) {
      throw ctx.rethrow(e, s.span);
    }
  }

  private stmtInner(s: A.Stmt, out: StmtList): void {
    const ctx: ParseContext = this.ctx;
    switch (s.kind) {
      case "ExprStmt":
        return this.exprStmt(s, out);
      case "Assign":
        return this.assign(s, out);
      case "AugAssign":
        return this.augAssign(s, out);
      case "AnnAssign":
        return this.annAssign(s, out);
      case "For":
        return this.forStmt(s, out);
      case "While":
        return this.whileStmt(s, out);
      case "If":
        return this.ifStmt(s, out);
      case "With":
        return this.withItems(s.items, 0, s.body, s.span, out);
      case "Assert":
        return this.assertStmt(s, out);
      case "Return":
        return this.returnStmt(s, out);
      case "Pass":
      case "Import":
      case "ImportFrom":
        return;
      case "Break":
      case "Continue":
        return ctx.fail(`'${s.kind.toLowerCase()}' is not supported in TIR`, s.span);
      case "FunctionDef":
      case "ClassDef":
        return ctx.fail(`a nested ${s.kind === "FunctionDef" ? "function" : "class"} definition is not supported inside a @T.prim_func`, s.span);
    }
  }

  private evalNamed(e: A.Expr, names: readonly string[] | undefined): ScriptValue {
    return e.kind === "Call" ? this.ev.call(e, names) : this.ev.eval(e);
  }

  // ------------------------------------------------------------------ simple statements

  private exprStmt(s: A.ExprStmt, out: StmtList): void {
    const ctx: ParseContext = this.ctx;
    if (s.value.kind === "Constant" && s.value.valueKind === "str") return; // docstring
    const v = unwrapMeta(this.evalNamed(s.value, undefined));
    if (v === undefined || v === null || typeof v === "string") return;
    if (v instanceof EmitStmt) return out.emit(v.stmt);
    if (v instanceof ScopeFrame) return out.scope(v.wrap);
    if (v instanceof PrimExpr || v instanceof BufferAccess || typeof v === "number" || typeof v === "boolean") {
      return out.emit(new Evaluate(toExpr(ctx, v, s.value.span, "statement")));
    }
    ctx.fail(`this expression does nothing as a statement (it evaluates to ${describe(v)})`, s.value.span);
  }

  private assign(s: A.Assign, out: StmtList): void {
    const ctx: ParseContext = this.ctx;
    if (s.targets.length !== 1) ctx.fail("chained assignment (a = b = c) is not supported in TVMScript", s.span);
    const target = s.targets[0]!;
    if (target.kind === "Subscript") {
      const acc = unwrapMeta(this.ev.eval(target));
      if (!(acc instanceof BufferAccess)) ctx.fail(`can only assign to buffer elements like A[i], not to ${describe(acc)}`, target.span);
      const value = this.ev.eval(s.value);
      return out.emit(makeStore(ctx, acc, value, s.value.span, s.span));
    }
    const names = targetNames(target);
    if (!names) return ctx.fail("can only assign to a name, a tuple of names or a buffer element", target.span);
    if (target.kind === "Name") {
      return this.bind(names[0]!, this.evalNamed(s.value, names), target.span, out);
    }
    let values: ScriptValue[];
    if ((s.value.kind === "Tuple" || s.value.kind === "List") && s.value.elts.length === names.length) {
      values = s.value.elts.map((e, i) => this.evalNamed(e, [names[i]!]));
    } else {
      const v = unwrapMeta(this.evalNamed(s.value, names));
      if (!Array.isArray(v)) return ctx.fail(`cannot unpack ${describe(v)} into ${names.length} names`, s.value.span);
      values = [...v];
    }
    if (values.length !== names.length) {
      ctx.fail(`cannot unpack ${values.length} value(s) into ${names.length} name(s)`, s.span);
    }
    const elts = (target as A.Tuple | A.List).elts;
    names.forEach((n, i) => this.bind(n, values[i]!, elts[i]!.span, out));
  }

  /** `name = value`, following TVM's bind rules (see the file comment). */
  private bind(name: string, v: ScriptValue, span: Span, out: StmtList): void {
    const ctx: ParseContext = this.ctx;
    if (v instanceof MetaVar) return ctx.define(name, v.value, span);
    if (v === undefined) return ctx.fail(`the right-hand side returns no value, so it cannot be assigned to '${name}'`, span);
    if (v instanceof ScopeFrame) {
      if (v.result === undefined) ctx.fail(`the right-hand side returns no value, so it cannot be assigned to '${name}'`, span);
      out.scope(v.wrap);
      if (isVarValue(v.result)) ctx.fresh.delete(v.result);
      return ctx.define(name, v.result, span);
    }
    if (v instanceof Buffer) {
      // `A = T.match_buffer(A, ...)` rebinds the handle parameter's name to its buffer.
      const own = ctx.scope.own(name)?.value;
      if (isVarValue(own) && ctx.func?.bufferMap.get(own) === v) return ctx.rebind(name, v, span);
      return ctx.define(name, v, span);
    }
    if (isVarValue(v) && ctx.fresh.delete(v)) return ctx.define(name, v, span);
    if (v instanceof PrimExpr || v instanceof BufferAccess || typeof v === "number" || typeof v === "boolean" || v instanceof PyFloat) {
      const e = toExpr(ctx, v, span, `value of ${name}`);
      const x = new Var(name, e.dtype);
      out.scope((body) => new LetStmt(x, e, body));
      return ctx.define(name, x, span);
    }
    if (v instanceof LoopSpec || v instanceof GridSpec || v instanceof BlockSpec || v instanceof InitSpec || v instanceof EmitStmt) {
      return ctx.fail(`${describe(v)} cannot be assigned to a name`, span);
    }
    ctx.define(name, v, span);
  }

  private augAssign(s: A.AugAssign, out: StmtList): void {
    const ctx: ParseContext = this.ctx;
    if (s.target.kind !== "Subscript") {
      return ctx.fail("augmented assignment (+=, ...) works on buffer elements only; TIR variables cannot be reassigned", s.target.span);
    }
    const acc = unwrapMeta(this.ev.eval(s.target));
    if (!(acc instanceof BufferAccess)) return ctx.fail(`can only assign to buffer elements like A[i], not to ${describe(acc)}`, s.target.span);
    const rhs = this.ev.eval(s.value);
    const value = this.ev.binop(s.op, acc, s.target.span, rhs, s.value.span, s.span);
    out.emit(makeStore(ctx, acc, value, s.value.span, s.span));
  }

  /** `x: T.float32 = value` -> LetStmt. */
  private annAssign(s: A.AnnAssign, out: StmtList): void {
    const ctx: ParseContext = this.ctx;
    if (s.target.kind !== "Name") return ctx.fail("only a name can be annotated (x: T.int32 = ...)", s.target.span);
    if (!s.value) return ctx.fail(`'${s.target.id}: ...' needs a value (x: T.int32 = 0)`, s.span);
    const name = s.target.id;
    const ann = unwrapMeta(this.evalNamed(s.annotation, [name]));
    let x: Var;
    if (ann instanceof DataTypeValue) x = new Var(name, ann.dtype);
    else if (isVarValue(ann)) {
      ctx.fresh.delete(ann);
      x = new Var(name, ann.dtype, ann.typeAnnotation);
    } else {
      return ctx.fail(`the annotation of '${name}' must be a type such as T.int32 or T.float32, got ${describe(ann)}`, s.annotation.span);
    }
    const value = valueOfType(ctx, this.ev.eval(s.value), x.dtype, s.value.span, `value of ${name}`);
    out.scope((body) => new LetStmt(x, value, body));
    ctx.define(name, x, s.target.span);
  }

  private assertStmt(s: A.Assert, out: StmtList): void {
    const ctx: ParseContext = this.ctx;
    const cond = this.ev.expr(s.test, "assert condition");
    if (!cond.dtype.isBool()) ctx.fail(`assert: the condition must be bool, got ${describe(cond)}`, s.test.span);
    let msg = "";
    if (s.msg) {
      const m = unwrapMeta(this.ev.eval(s.msg));
      if (typeof m === "string") msg = m;
      else if (m instanceof StringImm) msg = m.value;
      else ctx.fail(`assert: the message must be a string, got ${describe(m)}`, s.msg.span);
    }
    const text = new StringImm(msg);
    out.scope((body) => new AssertStmt(cond, text, body));
  }

  private returnStmt(s: A.Return, out: StmtList): void {
    if (!s.value) return this.ctx.fail("return needs a value in a PrimFunc (return x)", s.span);
    const v = this.ev.expr(s.value, "return value");
    out.emit(new Evaluate(new Call(v.dtype, Op.get("tir.ret"), [v])));
  }

  // ------------------------------------------------------------------ compound statements

  private forStmt(s: A.For, out: StmtList): void {
    const ctx: ParseContext = this.ctx;
    if (s.orelse.length > 0) ctx.fail("for-else is not supported in TVMScript", s.orelse[0]!.span);
    const it = unwrapMeta(this.evalNamed(s.iter, undefined));
    let specs: readonly LoopSpec[];
    if (it instanceof LoopSpec) specs = [it];
    else if (it instanceof GridSpec) specs = it.loops;
    else {
      return ctx.fail(
        `a for loop must iterate over range(...), T.grid(...), T.serial, T.parallel, T.vectorized, T.unroll or T.thread_binding; got ${describe(it)}`,
        s.iter.span,
      );
    }
    const names = targetNames(s.target);
    if (!names) return ctx.fail("the loop variable must be a name or a tuple of names", s.target.span);
    if (names.length !== specs.length) {
      ctx.fail(`the loop header makes ${specs.length} loop(s) but ${names.length} loop variable(s) are given`, s.target.span);
    }
    const vars = specs.map((sp, i) => new Var(names[i]!, sp.dtype));
    const body = ctx.withScope(() => {
      const spans = s.target.kind === "Tuple" || s.target.kind === "List" ? s.target.elts.map((e) => e.span) : [s.target.span];
      vars.forEach((v, i) => ctx.define(names[i]!, v, spans[i]!));
      let depth = 0;
      const enter = (): Stmt => {
        if (depth === specs.length) return this.list(s.body);
        const i = depth++;
        return ctx.withFrame({ kind: "loop", loop: { variable: vars[i]!, min: specs[i]!.min, extent: specs[i]!.extent } }, enter);
      };
      return enter();
    });
    let stmt = body;
    for (let i = specs.length - 1; i >= 0; i--) {
      const sp = specs[i]!;
      const inner = stmt;
      stmt = ctx.guard(s.span, () => new For(vars[i]!, sp.min, sp.extent, sp.kind, inner, sp.threadTag, sp.annotations, sp.step));
    }
    out.emit(stmt);
  }

  private whileStmt(s: A.While, out: StmtList): void {
    const ctx: ParseContext = this.ctx;
    if (s.orelse.length > 0) ctx.fail("while-else is not supported in TVMScript", s.orelse[0]!.span);
    const cond = this.ev.expr(s.test, "while condition");
    if (!cond.dtype.isBool()) ctx.fail(`while: the condition must be bool, got ${describe(cond)}`, s.test.span);
    out.emit(new While(cond, this.nested(s.body)));
  }

  private ifStmt(s: A.If, out: StmtList): void {
    const ctx: ParseContext = this.ctx;
    const test = unwrapMeta(this.ev.eval(s.test));
    if (typeof test === "boolean") {
      // A Python-level condition picks a branch while parsing, as in TVM.
      const chosen = test ? s.body : s.orelse;
      if (chosen.length > 0) out.emit(this.nested(chosen));
      return;
    }
    const cond = toExpr(ctx, test, s.test.span, "if condition");
    if (!cond.dtype.isBool() || cond.dtype.lanes !== 1) ctx.fail(`if: the condition must be a bool expression, got ${describe(cond)}`, s.test.span);
    const then = this.nested(s.body);
    const orelse = s.orelse.length > 0 ? this.nested(s.orelse) : undefined;
    out.emit(new IfThenElse(cond, then, orelse));
  }

  private withItems(items: readonly A.WithItem[], i: number, body: readonly A.Stmt[], span: Span, out: StmtList): void {
    const ctx: ParseContext = this.ctx;
    const item = items[i]!;
    const rest = (o: StmtList) => {
      if (i + 1 < items.length) this.withItems(items, i + 1, body, span, o);
      else for (const s of body) this.stmt(s, o);
    };
    const names = targetNames(item.target);
    if (item.target && !names) ctx.fail("the target of 'as' must be a name", item.target.span);
    const v = unwrapMeta(this.evalNamed(item.context, names));
    if (v instanceof BlockSpec || v instanceof InitSpec) {
      if (item.target) ctx.fail(`${describe(v)} cannot be bound with 'as'`, item.target.span);
      const inner = () => {
        const o = new StmtList();
        rest(o);
        return o.finish();
      };
      if (v instanceof BlockSpec) return out.emit(this.block(v, inner, span));
      return this.init(inner, span);
    }
    if (v instanceof ScopeFrame) {
      const stmt = ctx.withScope(() =>
        ctx.withFrame({ kind: "other" }, () => {
          if (names) {
            if (names.length !== 1 || v.result === undefined) ctx.fail(`${describe(v)} binds no value to 'as'`, item.target!.span);
            if (isVarValue(v.result)) ctx.fresh.delete(v.result);
            ctx.define(names[0]!, v.result, item.target!.span);
          }
          const o = new StmtList();
          rest(o);
          return v.wrap(o.finish());
        }),
      );
      return out.emit(stmt);
    }
    ctx.fail(
      `a with statement expects T.block(...), T.init(), T.attr(...), T.allocate(...), T.decl_buffer(...), T.launch_thread(...), T.LetStmt(...) or T.Assert(...); got ${describe(v)}`,
      item.context.span,
    );
  }

  private block(spec: BlockSpec, parseBody: () => Stmt, span: Span): Stmt {
    const ctx: ParseContext = this.ctx;
    const func = ctx.requireFunc("T.block", span);
    func.containsBlock = true;
    const frame = new BlockFrame(spec.name, spec.noRealize, span);
    const body = ctx.withScope(() => ctx.withFrame({ kind: "block", block: frame }, parseBody));
    let block = ctx.guard(span, () => new Block({
      iterVars: frame.iterVars,
      reads: frame.reads ?? [],
      writes: frame.writes ?? [],
      nameHint: frame.name,
      body,
      init: frame.init,
      allocBuffers: frame.allocBuffers,
      matchBuffers: frame.matchBuffers,
      annotations: frame.annotations ?? {},
    }));
    if (frame.reads === undefined || frame.writes === undefined) {
      block = ctx.guard(span, () =>
        completeBlockRegions(block, frame.reads === undefined, frame.writes === undefined, ctx.dataToBuffer, ctx.analyzer),
      );
    }
    if (spec.noRealize) {
      if (frame.predicate) ctx.fail(`block "${spec.name}" has no_realize=True, so it cannot have a T.where`, span);
      return block;
    }
    return ctx.guard(span, () => new BlockRealize(frame.bindings, frame.predicate ?? TRUE, block));
  }

  private init(parseBody: () => Stmt, span: Span): void {
    const ctx: ParseContext = this.ctx;
    const b = ctx.directBlock();
    if (!b) return ctx.fail("`with T.init():` must be directly inside a `with T.block(...)`", span);
    if (b.init) ctx.fail(`block "${b.name}" already has a T.init()`, span);
    b.init = ctx.withScope(() => ctx.withFrame({ kind: "other" }, parseBody));
  }
}

