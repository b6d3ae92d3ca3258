/**
 * Expression evaluation: Python AST -> script values. Arithmetic on Python numbers is done
 * in Python's way (so `128 // 4` is the int 32); as soon as an IR value is involved the
 * expr_ops builders take over, which promote types and fold constants the way TVM's operator
 * overloads do. Every failure is reported at the span of the innermost expression involved.
 */
import { Buffer } from "../../../ir/buffer.js";
import { voidType } from "../../../ir/dtype.js";
import { BufferLoad, Call, PrimExpr } from "../../../ir/expr.js";
import * as E from "../../../ir/expr_ops.js";
import { Op } from "../../../ir/op_registry.js";
import type * as A from "../python/ast.js";
import type { Span } from "../python/ast.js";
import { callOp } from "./builtins_expr.js";
import { makeStore } from "./builtins_stmt.js";
import type { ParseContext } from "./context.js";
import { binaryOperands, operandOf, toExpr, toIndex, toList, unwrapMeta } from "./convert.js";
import { bindBuiltinArgs, suggest } from "./signature.js";
import {
  Builtin, BufferAccess, DataTypeValue, DictValue, EmitStmt, FuncRef, Method, Namespace, PyFloat, SliceValue, describe,
  isVarValue, type Arg, type CallArgs, type CallSite, type ScriptValue,
} from "./values.js";

type PyValue = number | boolean | PyFloat | string | null;

function isPy(v: ScriptValue): v is PyValue {
  return v === null || typeof v === "number" || typeof v === "boolean" || typeof v === "string" || v instanceof PyFloat;
}

function truthy(v: PyValue): boolean {
  if (v instanceof PyFloat) return v.value !== 0;
  return Boolean(v);
}

function num(v: number | boolean | PyFloat): number {
  return v instanceof PyFloat ? v.value : typeof v === "boolean" ? (v ? 1 : 0) : v;
}

export class ExprEvaluator {
  constructor(readonly ctx: ParseContext) {}

  /** Evaluates `e`; any failure inside becomes a ScriptError located at `e`. */
  eval(e: A.Expr): ScriptValue {
    try {
      return this.evalInner(e);
    } catch (err) {
      throw this.ctx.rethrow(err, e.span);
    }
  }

  /** Evaluates `e` as a PrimExpr. */
  expr(e: A.Expr, what: string): PrimExpr {
    return toExpr(this.ctx, this.eval(e), e.span, what);
  }

  private evalInner(e: A.Expr): ScriptValue {
    switch (e.kind) {
      case "Constant":
        return this.constant(e);
      case "Name":
        return this.name(e);
      case "Attribute":
        return this.attribute(this.eval(e.value), e.attr, e.span, e.value.span);
      case "Call":
        return this.call(e, undefined);
      case "Subscript":
        return this.subscript(e);
      case "Tuple":
      case "List":
        return this.items(e.elts);
      case "Dict":
        return this.dict(e);
      case "BinOp":
        return this.binopChain(e);
      case "UnaryOp":
        return this.unary(e);
      case "BoolOp":
        return this.boolOp(e);
      case "Compare":
        return this.compare(e);
      case "IfExp":
        return this.ifExp(e);
      case "Slice":
        return this.slice(e);
      case "Set":
        return this.ctx.fail("set displays are not supported in TVMScript", e.span);
      case "Lambda":
        return this.ctx.fail("lambda is not supported in TVMScript", e.span);
      case "Starred":
        return this.ctx.fail("a starred expression can only be a call argument", e.span);
    }
  }

  private constant(e: A.Constant): ScriptValue {
    switch (e.valueKind) {
      case "int":
        if (typeof e.value !== "number") return this.ctx.fail(`the integer ${e.raw} is too large (TIR integers are at most 64-bit and must be exact in a double)`, e.span);
        return e.value;
      case "float":
        return new PyFloat(e.value as number);
      case "str":
      case "bool":
        return e.value as string | boolean;
      case "none":
        return null;
      case "ellipsis":
        return this.ctx.fail("'...' is not supported in TVMScript", e.span);
    }
  }

  private name(e: A.Name): ScriptValue {
    const scope = this.ctx.scope;
    if (scope.has(e.id)) return scope.lookup(e.id);
    const hint = suggest(e.id, scope.visibleNames());
    return this.ctx.fail(`undefined name '${e.id}'${hint ? ` (did you mean '${hint}'?)` : ""}`, e.span);
  }

  private items(elts: readonly A.Expr[]): ScriptValue[] {
    const out: ScriptValue[] = [];
    for (const x of elts) {
      if (x.kind === "Starred") out.push(...toList(this.eval(x.value)));
      else out.push(this.eval(x));
    }
    return out;
  }

  private dict(e: A.Dict): DictValue {
    const entries: Array<[ScriptValue, ScriptValue]> = [];
    e.keys.forEach((k, i) => {
      if (k === null) this.ctx.fail("'**' in a dict is not supported in TVMScript", e.values[i]!.span);
      entries.push([this.eval(k), this.eval(e.values[i]!)]);
    });
    return new DictValue(entries);
  }

  private slice(e: A.Slice): SliceValue {
    const part = (x: A.Expr | undefined) => (x ? this.eval(x) : undefined);
    return new SliceValue(part(e.lower), part(e.upper), part(e.step), e.span);
  }

  // ------------------------------------------------------------------ attributes and calls

  attribute(v: ScriptValue, attr: string, span: Span, baseSpan: Span): ScriptValue {
    const ctx: ParseContext = this.ctx;
    v = unwrapMeta(v);
    if (v instanceof Namespace) {
      const m = v.member(attr);
      if (m !== undefined) return m;
      const hint = suggest(attr, v.memberNames());
      return ctx.fail(`${v.path}.${attr} is not a TVMScript function${hint ? ` (did you mean ${v.path}.${hint}?)` : ""}`, span);
    }
    if (v instanceof Buffer) return this.bufferAttribute(v, attr, span);
    if (isVarValue(v) && attr === "dtype") return String(v.dtype);
    if (v instanceof PrimExpr && attr === "dtype") return String(v.dtype);
    return ctx.fail(`${describe(v)} has no attribute '${attr}'`, baseSpan.line === span.line ? span : baseSpan);
  }

  private bufferAttribute(b: Buffer, attr: string, span: Span): ScriptValue {
    const ctx: ParseContext = this.ctx;
    switch (attr) {
      case "data":
        return b.data;
      case "shape":
        return [...b.shape];
      case "strides":
        return [...b.strides];
      case "elem_offset":
        return b.elemOffset;
      case "dtype":
        return String(b.dtype);
      case "name":
        return b.name;
      case "ndim":
        return b.shape.length;
      case "scope":
        return new Method(`${b.name}.scope`, () => b.scope);
      case "vload":
        return new Method(`${b.name}.vload`, (args, site) => {
          const idx = this.methodArg(args, 0, "indices", `${b.name}.vload`, site.span);
          const pred = args.kw.get("predicate");
          const indices = toList(idx.value).map((x, i) => toIndex(ctx, x, idx.span, `${b.name}.vload index ${i}`));
          const p = pred ? toExpr(ctx, pred.value, pred.span, `${b.name}.vload predicate`) : undefined;
          return ctx.guard(site.span, () => new BufferLoad(b, indices, p));
        });
      case "vstore":
        return new Method(`${b.name}.vstore`, (args, site) => {
          const idx = this.methodArg(args, 0, "indices", `${b.name}.vstore`, site.span);
          const value = this.methodArg(args, 1, "value", `${b.name}.vstore`, site.span);
          const pred = args.kw.get("predicate");
          const indices = toList(idx.value).map((x, i) => toIndex(ctx, x, idx.span, `${b.name}.vstore index ${i}`));
          const p = pred ? toExpr(ctx, pred.value, pred.span, `${b.name}.vstore predicate`) : undefined;
          return new EmitStmt(makeStore(ctx, new BufferAccess(b, indices, idx.span), value.value, value.span, site.span, p));
        });
      default:
        return ctx.fail(`buffer ${b.name} has no attribute '${attr}' (buffers have data, shape, strides, elem_offset, dtype, vload, vstore)`, span);
    }
  }

  private methodArg(args: CallArgs, i: number, name: string, what: string, span: Span): Arg {
    const a = args.pos[i] ?? args.kw.get(name);
    if (!a) this.ctx.fail(`${what}() missing required argument '${name}'`, span);
    return a;
  }

  /** A call; `names` are the assignment targets (they name what the call declares). */
  call(e: A.Call, names: readonly string[] | undefined): ScriptValue {
    const ctx: ParseContext = this.ctx;
    const f = unwrapMeta(this.eval(e.func));
    const pos: Arg[] = [];
    for (const x of e.args) {
      if (x.kind === "Starred") {
        for (const v of toList(this.eval(x.value))) pos.push({ value: v, span: x.span });
      } else {
        pos.push({ value: this.eval(x), span: x.span });
      }
    }
    const kw = new Map<string, Arg>();
    for (const k of e.keywords) {
      if (k.name === null) return ctx.fail("'**' arguments are not supported in TVMScript", k.span);
      kw.set(k.name, { value: this.eval(k.value), span: k.value.span });
    }
    const args: CallArgs = { pos, kw };
    const site: CallSite = { ctx, span: e.span, names };
    try {
      return this.apply(f, args, site, e.func.span);
    } catch (err) {
      throw ctx.rethrow(err, e.span);
    }
  }

  private apply(f: ScriptValue, args: CallArgs, site: CallSite, funcSpan: Span): ScriptValue {
    if (f instanceof Builtin) return f.impl(bindBuiltinArgs(f, args, site), site);
    if (f instanceof DataTypeValue) return f.builtin.impl(bindBuiltinArgs(f.builtin, args, site), site);
    if (f instanceof Op) return callOp(f, args, site);
    if (f instanceof Method) return f.call(args, site);
    if (f instanceof FuncRef) {
      for (const [k, a] of args.kw) this.ctx.fail(`${f.gv.name}() got an unexpected keyword argument '${k}'`, a.span);
      const xs = args.pos.map((a, i) => toExpr(this.ctx, a.value, a.span, `argument ${i + 1} of ${f.gv.name}`));
      return new Call(f.retType ?? voidType, f.gv, xs);
    }
    return this.ctx.fail(`${describe(f)} is not callable`, funcSpan);
  }

  // ------------------------------------------------------------------ subscripts

  private subscript(e: A.Subscript): ScriptValue {
    const ctx: ParseContext = this.ctx;
    let v = unwrapMeta(this.eval(e.value));
    if (isVarValue(v)) {
      const legacy = ctx.allocatedBuffer.get(v);
      if (legacy) v = legacy;
    }
    const idxNodes = e.index.kind === "Tuple" ? e.index.elts : [e.index];
    if (v instanceof Buffer) {
      const indices = idxNodes.map((n) => {
        if (n.kind === "Slice") return this.slice(n);
        const x = this.eval(n);
        return toIndex(ctx, x, n.span, `index of buffer ${(v as Buffer).name}`);
      });
      return new BufferAccess(v, indices, e.span);
    }
    if (Array.isArray(v)) {
      if (idxNodes.length !== 1 || e.index.kind === "Slice") ctx.fail("a list can only be indexed with one integer", e.index.span);
      const i = this.eval(e.index);
      if (typeof i !== "number") return ctx.fail(`list indices must be integers, got ${describe(i)}`, e.index.span);
      const j = i < 0 ? v.length + i : i;
      if (j < 0 || j >= v.length) ctx.fail(`list index ${i} out of range for ${v.length} item(s)`, e.index.span);
      return v[j]!;
    }
    if (v instanceof Builtin && v.name === "T.Buffer") {
      // Older TVM printed parameter types as T.Buffer[(128, 128), "float32"].
      const pos = idxNodes.map((n) => ({ value: this.eval(n), span: n.span }));
      return this.apply(v, { pos, kw: new Map() }, { ctx, span: e.span, names: undefined }, e.value.span);
    }
    return ctx.fail(`${describe(v)} is not subscriptable`, e.value.span);
  }

  // ------------------------------------------------------------------ operators

  /** A left-deep chain (`a + b + c + ...`) is folded iteratively, so long sums do not recurse. */
  private binopChain(e: A.BinOp): ScriptValue {
    const chain: A.BinOp[] = [];
    let cur: A.Expr = e;
    while (cur.kind === "BinOp") {
      chain.push(cur);
      cur = cur.left;
    }
    let acc = this.eval(cur);
    let accSpan = cur.span;
    for (let i = chain.length - 1; i >= 0; i--) {
      const b = chain[i]!;
      acc = this.binop(b.op, acc, accSpan, this.eval(b.right), b.right.span, b.span);
      accSpan = b.span;
    }
    return acc;
  }

  binop(op: A.BinOpKind, l: ScriptValue, ls: Span, r: ScriptValue, rs: Span, span: Span): ScriptValue {
    l = unwrapMeta(l);
    r = unwrapMeta(r);
    if (isPy(l) && isPy(r) && l !== null && r !== null) {
      if (typeof l === "string" || typeof r === "string") {
        if (op === "+" && typeof l === "string" && typeof r === "string") return l + r;
        return this.ctx.fail(`unsupported operand types for ${op}: ${describe(l)} and ${describe(r)}`, span);
      }
      return this.pyArith(op, l, r, span);
    }
    const [a, b] = binaryOperands(this.ctx, l, ls, r, rs, `operand of ${op}`);
    return this.ctx.guard(span, () => exprArith(op, a, b));
  }

  private pyArith(op: A.BinOpKind, a: number | boolean | PyFloat, b: number | boolean | PyFloat, span: Span): ScriptValue {
    const ctx: ParseContext = this.ctx;
    const isFloat = a instanceof PyFloat || b instanceof PyFloat;
    const x = num(a), y = num(b);
    const int = (v: number | bigint): number => {
      const n = Number(v);
      if (!Number.isSafeInteger(n)) ctx.fail(`integer result ${v} of ${op} is too large`, span);
      return n;
    };
    const zero = () => {
      if (y === 0) ctx.fail(op === "/" ? "division by zero" : `integer division or modulo by zero`, span);
    };
    switch (op) {
      case "+": return isFloat ? new PyFloat(x + y) : int(x + y);
      case "-": return isFloat ? new PyFloat(x - y) : int(x - y);
      case "*": return isFloat ? new PyFloat(x * y) : int(BigInt(x) * BigInt(y));
      case "/": zero(); return new PyFloat(x / y);
      case "//": {
        zero();
        if (isFloat) return new PyFloat(Math.floor(x / y));
        const q = BigInt(x) / BigInt(y);
        return int(BigInt(x) % BigInt(y) !== 0n && (x < 0) !== (y < 0) ? q - 1n : q);
      }
      case "%": {
        zero();
        if (isFloat) return new PyFloat(x - y * Math.floor(x / y));
        const m = BigInt(x) % BigInt(y);
        return int(m !== 0n && (m < 0n) !== (y < 0) ? m + BigInt(y) : m);
      }
      case "**":
        if (isFloat || y < 0) return new PyFloat(x ** y);
        return int(BigInt(x) ** BigInt(y));
      case "<<": case ">>": case "&": case "|": case "^": {
        if (isFloat) return ctx.fail(`unsupported operand types for ${op}: float`, span);
        const p = BigInt(x), q = BigInt(y);
        if ((op === "<<" || op === ">>") && q < 0n) ctx.fail("negative shift count", span);
        const r = op === "<<" ? p << q : op === ">>" ? p >> q : op === "&" ? p & q : op === "|" ? p | q : p ^ q;
        return int(r);
      }
      case "@":
        return ctx.fail("the @ operator is not supported in TVMScript", span);
    }
  }

  private unary(e: A.UnaryOp): ScriptValue {
    const ctx: ParseContext = this.ctx;
    const v = unwrapMeta(this.eval(e.operand));
    if (isPy(v)) {
      if (e.op === "not") return !truthy(v);
      if (v === null || typeof v === "string") return ctx.fail(`bad operand type for unary ${e.op}: ${describe(v)}`, e.span);
      if (e.op === "+") return typeof v === "boolean" ? num(v) : v;
      if (e.op === "-") return v instanceof PyFloat ? new PyFloat(-v.value) : -num(v) || 0;
      if (v instanceof PyFloat) return ctx.fail("bad operand type for unary ~: float", e.span);
      return ~num(v);
    }
    const x = toExpr(ctx, v, e.operand.span, `operand of ${e.op}`);
    return ctx.guard(e.span, () => {
      switch (e.op) {
        case "-": return E.neg(x);
        case "+": return x;
        case "not": return E.not(x);
        case "~": return x.dtype.isBool() ? E.not(x) : new Call(x.dtype, Op.get("tir.bitwise_not"), [x]);
      }
    });
  }

  /** Python's `and` / `or` on Python values; the folding builders once an IR value appears. */
  private boolOp(e: A.BoolOp): ScriptValue {
    const ctx: ParseContext = this.ctx;
    let acc = unwrapMeta(this.eval(e.values[0]!));
    let accSpan = e.values[0]!.span;
    for (let i = 1; i < e.values.length; i++) {
      const node = e.values[i]!;
      if (isPy(acc)) {
        if (e.op === "and" ? !truthy(acc) : truthy(acc)) return acc;
        acc = unwrapMeta(this.eval(node));
        accSpan = node.span;
        continue;
      }
      const a = toExpr(ctx, acc, accSpan, `operand of ${e.op}`);
      const b = operandOf(ctx, this.eval(node), node.span, `operand of ${e.op}`);
      acc = ctx.guard(e.span, () => (e.op === "and" ? E.and(a, b) : E.or(a, b)));
    }
    return acc;
  }

  private compare(e: A.Compare): ScriptValue {
    const ctx: ParseContext = this.ctx;
    let left = this.eval(e.left);
    let leftSpan = e.left.span;
    let acc: ScriptValue = true;
    for (let i = 0; i < e.ops.length; i++) {
      const node = e.comparators[i]!;
      const right = this.eval(node);
      const r = this.compareOne(e.ops[i]!, left, leftSpan, right, node.span, e.span);
      if (isPy(acc) && isPy(r)) {
        acc = r;
        if (!truthy(r)) return false;
      } else {
        const prev: ScriptValue = acc;
        acc = ctx.guard(e.span, (): PrimExpr => E.and(operandOf(ctx, prev, e.span, "comparison"), operandOf(ctx, r, e.span, "comparison")));
      }
      left = right;
      leftSpan = node.span;
    }
    return acc;
  }

  private compareOne(op: A.CmpOpKind, l: ScriptValue, ls: Span, r: ScriptValue, rs: Span, span: Span): ScriptValue {
    l = unwrapMeta(l);
    r = unwrapMeta(r);
    if (op === "in" || op === "not in" || op === "is" || op === "is not") {
      return this.ctx.fail(`the '${op}' operator is not supported in TVMScript`, span);
    }
    if (isPy(l) && isPy(r)) {
      if (typeof l === "string" || typeof r === "string" || l === null || r === null) {
        if (op === "==") return l === r;
        if (op === "!=") return l !== r;
        return this.ctx.fail(`cannot compare ${describe(l)} and ${describe(r)} with ${op}`, span);
      }
      const x = num(l), y = num(r);
      switch (op) {
        case "<": return x < y;
        case "<=": return x <= y;
        case ">": return x > y;
        case ">=": return x >= y;
        case "==": return x === y;
        case "!=": return x !== y;
      }
    }
    const [a, b] = binaryOperands(this.ctx, l, ls, r, rs, `operand of ${op}`);
    return this.ctx.guard(span, () => {
      switch (op) {
        case "<": return E.lt(a, b);
        case "<=": return E.le(a, b);
        case ">": return E.gt(a, b);
        case ">=": return E.ge(a, b);
        case "==": return E.eq(a, b);
        default: return E.ne(a, b);
      }
    });
  }

  private ifExp(e: A.IfExp): ScriptValue {
    const test = unwrapMeta(this.eval(e.test));
    if (isPy(test)) return this.eval(truthy(test) ? e.body : e.orelse);
    const c = toExpr(this.ctx, test, e.test.span, "condition of if-else expression");
    const [a, b] = binaryOperands(this.ctx, this.eval(e.body), e.body.span, this.eval(e.orelse), e.orelse.span, "branch of if-else expression");
    return this.ctx.guard(e.span, () => E.select(c, a, b));
  }
}

/** The builder behind each Python operator once IR values are involved. */
function exprArith(op: A.BinOpKind, a: E.ExprLike, b: E.ExprLike): PrimExpr {
  switch (op) {
    case "+": return E.add(a, b);
    case "-": return E.sub(a, b);
    case "*": return E.mul(a, b);
    case "/": return E.div(a, b);
    case "//": return E.floordiv(a, b);
    case "%": return E.floormod(a, b);
    case "**": return E.pow(a, b);
    case "@": throw new TypeError("the @ operator is not supported in TVMScript");
    default: {
      const [x, y] = E.matchTypes(a, b);
      if (x.dtype.isBool() && (op === "&" || op === "|")) return op === "&" ? E.and(x, y) : E.or(x, y);
      const name = { "<<": "shift_left", ">>": "shift_right", "&": "bitwise_and", "|": "bitwise_or", "^": "bitwise_xor" }[op];
      return new Call(x.dtype, Op.get(`tir.${name}`), [x, y]);
    }
  }
}
