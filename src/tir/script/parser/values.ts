/**
 * The values a TVMScript expression evaluates to. Python literals stay Python-like until an
 * IR node needs them (so `1 + 2` folds to the Python int 3, and an int literal stored into a
 * float buffer becomes a float constant); IR objects (PrimExpr, Buffer, ...) are used as is;
 * the remaining classes describe script-level things such as `T.grid(...)` or `T.block(...)`
 * that only make sense in one statement position.
 */
import type { Buffer, BufferRegion } from "../../../ir/buffer.js";
import type { DataType } from "../../../ir/dtype.js";
import { PrimExpr, type GlobalVar, type Range, type Var } from "../../../ir/expr.js";
import type { Op } from "../../../ir/op_registry.js";
import type { Annotations, IterVar, Stmt } from "../../stmt.js";
import type { Span } from "../python/ast.js";
import type { ParseContext } from "./context.js";

/** A Python float (Python ints are JS numbers, so `1.0` must stay distinguishable from `1`). */
export class PyFloat {
  constructor(readonly value: number) {}
}

/** `lower:upper:step` inside a subscript, parts evaluated. */
export class SliceValue {
  constructor(
    readonly lower: ScriptValue | undefined,
    readonly upper: ScriptValue | undefined,
    readonly step: ScriptValue | undefined,
    readonly span: Span,
  ) {}
}

/** A Python dict literal; keys may be strings or IR values (`T.Let(..., where={x: v})`). */
export class DictValue {
  constructor(readonly entries: ReadonlyArray<readonly [ScriptValue, ScriptValue]>) {}
}

/** `A[i, 0:4]` before its role is known: a load, a store target or a buffer region. */
export class BufferAccess {
  constructor(
    readonly buffer: Buffer,
    readonly indices: ReadonlyArray<PrimExpr | SliceValue>,
    readonly span: Span,
  ) {}
}

/** One evaluated call argument and where it came from (for error locations). */
export interface Arg {
  readonly value: ScriptValue;
  readonly span: Span;
}

/** Positional and keyword arguments of a call, already evaluated. */
export interface CallArgs {
  readonly pos: readonly Arg[];
  readonly kw: ReadonlyMap<string, Arg>;
}

/** Arguments bound to a builtin's parameter names. */
export interface BoundArgs {
  get(name: string): Arg | undefined;
  /** Extra positional arguments of a variadic builtin. */
  readonly rest: readonly Arg[];
}

/** Where a builtin is called from: the span of the call and the assignment target names. */
export interface CallSite {
  readonly ctx: ParseContext;
  readonly span: Span;
  /** `x = T.f(...)` passes ["x"]; `a, b = T.f(...)` passes ["a", "b"]. */
  readonly names: readonly string[] | undefined;
}

/** A function of the T / I namespaces. `sig` undefined: the builtin binds arguments itself. */
export class Builtin {
  constructor(
    readonly name: string,
    readonly sig: Signature | undefined,
    readonly impl: (args: BoundArgs & CallArgs, site: CallSite) => ScriptValue,
  ) {}
}

export interface Signature {
  /** Parameter names in positional order. */
  readonly params: readonly string[];
  /** How many leading params are required. */
  readonly required: number;
  /** Keyword-only parameter names. */
  readonly kwOnly?: readonly string[];
  /** Whether extra positional arguments are collected into `rest`. */
  readonly varargs?: boolean;
}

/** `T`, `T.axis`, `I`, or a module's `cls`: a set of named members. */
export class Namespace {
  constructor(
    readonly path: string,
    readonly member: (name: string) => ScriptValue | undefined,
    readonly memberNames: () => readonly string[],
  ) {}
}

/** A bound method such as `A.vload`. */
export class Method {
  constructor(
    readonly name: string,
    readonly call: (args: CallArgs, site: CallSite) => ScriptValue,
  ) {}
}

/** A function of the module being parsed, called as `cls.f(...)`. */
export class FuncRef {
  constructor(
    readonly gv: GlobalVar,
    readonly retType: DataType | undefined,
  ) {}
}

/** `@T.prim_func` / `@T.prim_func(private=True)` / `@I.ir_module`. */
export class Decorator {
  constructor(
    readonly kind: "prim_func" | "ir_module",
    readonly isPrivate = false,
  ) {}
}

export type LoopKind = "serial" | "parallel" | "vectorized" | "unrolled" | "thread_binding";

/** One loop of a `for` header: `range(...)`, `T.serial(...)`, one extent of `T.grid(...)`. */
export class LoopSpec {
  constructor(
    readonly kind: LoopKind,
    readonly min: PrimExpr,
    readonly extent: PrimExpr,
    readonly dtype: DataType,
    readonly step: PrimExpr | undefined,
    readonly threadTag: string | undefined,
    readonly annotations: Annotations,
  ) {}
}

/** `T.grid(...)`: several nested serial loops. */
export class GridSpec {
  constructor(readonly loops: readonly LoopSpec[]) {}
}

/** `T.block("name")` / `T.sblock(...)` as the item of a `with`. */
export class BlockSpec {
  constructor(
    readonly name: string,
    readonly noRealize: boolean,
  ) {}
}

/** `T.init()` as the item of a `with`. */
export class InitSpec {}

/**
 * A statement that scopes what follows it: `T.decl_buffer`, `T.allocate`, `T.attr`,
 * `T.Assert`, `T.launch_thread`, `T.LetStmt`. Used as `with X as y:` it wraps the body; as
 * `y = X` or a bare `X` it wraps the rest of the enclosing statement list.
 */
export class ScopeFrame {
  constructor(
    /** What `as y` / `y =` binds (a Buffer, a Var) or undefined. */
    readonly result: ScriptValue,
    readonly wrap: (body: Stmt) => Stmt,
  ) {}
}

/** A statement produced by a call (`T.evaluate`, `T.buffer_store`, `A.vstore`). */
export class EmitStmt {
  constructor(readonly stmt: Stmt) {}
}

/** `T.meta_var(x)`: bind x by name without a LetStmt. */
export class MetaVar {
  constructor(readonly value: ScriptValue) {}
}

export type ScriptValue =
  | PrimExpr
  | Buffer
  | BufferRegion
  | Range
  | IterVar
  | number
  | PyFloat
  | string
  | boolean
  | null
  | undefined
  | readonly ScriptValue[]
  | DictValue
  | SliceValue
  | BufferAccess
  | Builtin
  | Namespace
  | Method
  | FuncRef
  | Decorator
  | LoopSpec
  | GridSpec
  | BlockSpec
  | InitSpec
  | ScopeFrame
  | EmitStmt
  | MetaVar
  | Op
  | DataTypeValue;

/** `T.float32` used as a value (a dtype argument or an annotation). */
export class DataTypeValue {
  constructor(
    readonly dtype: DataType,
    readonly builtin: Builtin,
  ) {}
}

export function isPythonNumber(v: ScriptValue): v is number | PyFloat | boolean {
  return typeof v === "number" || typeof v === "boolean" || v instanceof PyFloat;
}

/** A short description of a value for error messages ("a Buffer", "the int 3", ...). */
export function describe(v: ScriptValue): string {
  if (v === null) return "None";
  if (v === undefined) return "nothing (the call returns no value)";
  if (typeof v === "number") return `the int ${v}`;
  if (typeof v === "boolean") return `the bool ${v ? "True" : "False"}`;
  if (typeof v === "string") return `the string ${JSON.stringify(v)}`;
  if (v instanceof PyFloat) return `the float ${v.value}`;
  if (Array.isArray(v)) return `a list of ${v.length} item(s)`;
  if (v instanceof PrimExpr) return `a ${v.dtype} expression`;
  if (v instanceof DictValue) return "a dict";
  if (v instanceof SliceValue) return "a slice";
  if (v instanceof BufferAccess) return `an access to buffer ${v.buffer.name}`;
  if (v instanceof Builtin) return `the function ${v.name}`;
  if (v instanceof Namespace) return `the namespace ${v.path}`;
  if (v instanceof Method) return `the method ${v.name}`;
  if (v instanceof FuncRef) return `the function ${v.gv.name}`;
  if (v instanceof Decorator) return `the decorator ${v.kind}`;
  if (v instanceof LoopSpec || v instanceof GridSpec) return "a loop header";
  if (v instanceof BlockSpec) return `T.block("${v.name}")`;
  if (v instanceof InitSpec) return "T.init()";
  if (v instanceof ScopeFrame) return "a scoped statement";
  if (v instanceof EmitStmt) return "a statement";
  if (v instanceof MetaVar) return "a T.meta_var";
  if (v instanceof DataTypeValue) return `the dtype ${v.dtype}`;
  const k = (v as { kind?: string }).kind;
  if (k === "Buffer") return `the buffer ${(v as Buffer).name}`;
  if (k === "BufferRegion") return `a region of buffer ${(v as BufferRegion).buffer.name}`;
  if (k === "Op") return `the operator ${(v as Op).name}`;
  if (k === "Range") return "a range";
  if (k === "IterVar") return `the iter var ${(v as IterVar).variable.name}`;
  return "a value";
}

/** Whether `v` is a fresh variable a builtin just created (so `x = T.int32()` names it). */
export function isVarValue(v: ScriptValue): v is Var {
  return v instanceof PrimExpr && (v.kind === "Var" || v.kind === "SizeVar");
}
