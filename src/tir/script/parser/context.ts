/**
 * Parser state: the name scopes (one per function, loop, block, branch and `with` body), the
 * stack of open frames (loops and blocks, which `T.axis.remap` and `T.reads` look at), the
 * function being built, and error reporting that turns any failure into a located
 * ScriptError.
 */
import type { Buffer, BufferRegion } from "../../../ir/buffer.js";
import type { PrimExpr, Var } from "../../../ir/expr.js";
import { Analyzer } from "../../../arith/analyzer.js";
import type { AttrValue, IterVar, MatchBufferRegion, Stmt } from "../../stmt.js";
import type { Span } from "../python/ast.js";
import { ScriptError, scriptError } from "../python/errors.js";
import type { ScriptValue } from "./values.js";

interface Binding {
  readonly value: ScriptValue;
  readonly span: Span | undefined;
}

/** One level of name bindings. Lookups walk outwards; definitions go into the innermost. */
export class Scope {
  private readonly names = new Map<string, Binding>();
  constructor(readonly parent: Scope | undefined) {}

  lookup(name: string): ScriptValue | undefined {
    for (let s: Scope | undefined = this; s; s = s.parent) {
      const b = s.names.get(name);
      if (b) return b.value;
    }
    return undefined;
  }

  has(name: string): boolean {
    for (let s: Scope | undefined = this; s; s = s.parent) if (s.names.has(name)) return true;
    return false;
  }

  /** Every visible name (for "did you mean" hints). */
  *visibleNames(): IterableIterator<string> {
    for (let s: Scope | undefined = this; s; s = s.parent) yield* s.names.keys();
  }

  /** The binding of `name` in this very scope, if any. */
  own(name: string): Binding | undefined {
    return this.names.get(name);
  }

  set(name: string, value: ScriptValue, span: Span | undefined): void {
    this.names.set(name, { value, span });
  }
}

/** A block being parsed: what its header statements (`T.axis.*`, `T.reads`, ...) collect. */
export class BlockFrame {
  readonly iterVars: IterVar[] = [];
  readonly bindings: PrimExpr[] = [];
  predicate: PrimExpr | undefined;
  reads: BufferRegion[] | undefined;
  writes: BufferRegion[] | undefined;
  annotations: Record<string, AttrValue> | undefined;
  readonly allocBuffers: Buffer[] = [];
  readonly matchBuffers: MatchBufferRegion[] = [];
  init: Stmt | undefined;
  constructor(
    readonly name: string,
    readonly noRealize: boolean,
    readonly span: Span,
  ) {}
}

export interface LoopFrame {
  readonly variable: Var;
  readonly min: PrimExpr;
  readonly extent: PrimExpr;
}

/** Open constructs, innermost last. "other" stands for if/while/with bodies. */
export type Frame =
  | { readonly kind: "block"; readonly block: BlockFrame }
  | { readonly kind: "loop"; readonly loop: LoopFrame }
  | { readonly kind: "other" };

/** The PrimFunc under construction. */
export class FuncState {
  readonly params: Var[] = [];
  /** Handle params, in order, and the buffers matched to them. */
  readonly bufferMap = new Map<Var, Buffer>();
  readonly attrs: Record<string, AttrValue> = {};
  readonly rootAllocs: Buffer[] = [];
  containsBlock = false;
  constructor(readonly name: string) {}
}

export class ParseContext {
  scope: Scope;
  readonly frames: Frame[] = [];
  func: FuncState | undefined;
  /** Data pointer -> buffer, for every buffer seen (auto-detection of opaque accesses). */
  readonly dataToBuffer = new Map<Var, Buffer>();
  /** Handles made by `T.allocate`, with a buffer over them for old scripts that index them. */
  readonly allocatedBuffer = new Map<Var, Buffer>();
  /** Variables made by `T.env_thread`, with their thread tag. */
  readonly envThreads = new Map<Var, string>();
  /** Variables just created by a declaring builtin and not yet bound to a name. */
  readonly fresh = new Set<Var>();
  readonly analyzer = new Analyzer();
  /** Attributes of the @I.ir_module being parsed (set while its class body is read). */
  moduleAttrs: Record<string, AttrValue> | undefined;
  /** The statement being parsed; the location of errors that have no better one. */
  currentSpan: Span = { line: 1, col: 1, endLine: 1, endCol: 1 };

  constructor(
    readonly source: string,
    readonly file: string,
    globals: Scope,
  ) {
    this.scope = globals;
  }

  error(msg: string, span: Span): ScriptError {
    return scriptError(msg, span, this.source, this.file);
  }

  fail(msg: string, span: Span): never {
    throw this.error(msg, span);
  }

  /**
   * Runs `f`; a non-ScriptError it throws (an IR constructor's TypeError, a builder's
   * RangeError) becomes a ScriptError at `span`.
   */
  guard<T>(span: Span, f: () => T): T {
    try {
      return f();
    } catch (e) {
      throw this.rethrow(e, span);
    }
  }

  rethrow(e: unknown, span: Span): ScriptError {
    if (e instanceof ScriptError) return e;
    if (e instanceof RangeError && /call stack/i.test(e.message)) return this.error("the script is nested too deeply", span);
    const msg = e instanceof Error ? e.message : String(e);
    return this.error(msg, span);
  }

  // ------------------------------------------------------------------ scopes

  pushScope(): void {
    this.scope = new Scope(this.scope);
  }

  popScope(): void {
    this.scope = this.scope.parent!;
  }

  withScope<T>(f: () => T): T {
    this.pushScope();
    try {
      return f();
    } finally {
      this.popScope();
    }
  }

  /** Binds `name` in the innermost scope; a second definition in the same scope is an error. */
  define(name: string, value: ScriptValue, span: Span): void {
    const prev = this.scope.own(name);
    if (prev) {
      const where = prev.span ? ` (first defined on line ${prev.span.line})` : "";
      this.fail(`redefinition of '${name}'${where}`, span);
    }
    this.scope.set(name, value, span);
  }

  /** Binds `name`, replacing a binding of the same scope (used where Python rebinding is meant). */
  rebind(name: string, value: ScriptValue, span?: Span): void {
    this.scope.set(name, value, span);
  }

  // ------------------------------------------------------------------ frames

  withFrame<T>(frame: Frame, f: () => T): T {
    this.frames.push(frame);
    try {
      return f();
    } finally {
      this.frames.pop();
    }
  }

  /** The block whose body is being parsed directly (no loop/if/with in between). */
  directBlock(): BlockFrame | undefined {
    const top = this.frames[this.frames.length - 1];
    return top?.kind === "block" ? top.block : undefined;
  }

  nearestBlock(): BlockFrame | undefined {
    for (let i = this.frames.length - 1; i >= 0; i--) {
      const f = this.frames[i]!;
      if (f.kind === "block") return f.block;
    }
    return undefined;
  }

  /** The enclosing loop over `v`, if any. */
  findLoop(v: Var): LoopFrame | undefined {
    for (let i = this.frames.length - 1; i >= 0; i--) {
      const f = this.frames[i]!;
      if (f.kind === "loop" && f.loop.variable === v) return f.loop;
    }
    return undefined;
  }

  requireFunc(what: string, span: Span): FuncState {
    if (!this.func) this.fail(`${what} can only be used inside a @T.prim_func`, span);
    return this.func;
  }

  /** Remembers a buffer's data pointer (for region detection of opaque uses). */
  noteBuffer(b: Buffer): void {
    if (!this.dataToBuffer.has(b.data)) this.dataToBuffer.set(b.data, b);
  }

  /** Marks a variable as freshly declared, so that assigning it names it instead of making a LetStmt. */
  freshVar<V extends Var>(v: V): V {
    this.fresh.add(v);
    return v;
  }
}
