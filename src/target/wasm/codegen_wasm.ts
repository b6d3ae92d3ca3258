/**
 * The `wasm` target's renderer: lowered PrimFuncs (no blocks; flat buffers; Allocate /
 * DeclBuffer; For, While, IfThenElse, LetStmt, AssertStmt; Ramp / Broadcast vectors) become
 * one binaryen module with one exported function per PrimFunc.
 *
 * Calling convention of an export: `(sp: i32, <one value per parameter>, <one per extra shape
 * symbol>) -> result?`. A buffer parameter is the i32 byte address of its data in the imported
 * linear memory; a scalar is passed in its representation (below); `sp` is the first free
 * 64-byte-aligned byte, where dynamically sized temporaries go (the kernel grows the memory when
 * they do not fit). Constant-size temporaries live in a static region reserved at build time
 * (`staticBase` .. `staticEnd`) and are reused by every call, as the js target does.
 *
 * Values (one lane) are kept in one of three wasm types, chosen by dtype:
 * - i32: bool, int8/16/32, uint8/16/32 (narrow types kept normalized: sign-extended / masked);
 * - f32: float32;
 * - f64: float64, and the dtypes wasm has no arithmetic for (int64 / uint64 / float16 /
 *   bfloat16), which hold the interpreter's own numbers and compute through the interpreter's
 *   per-dtype functions, imported from JavaScript (exact, slow; index math is int32).
 * Memory holds each dtype in the NDArray / interpreter storage class (int64 as float64 numbers,
 * float16 as float32 values, bool as bytes), so NDArrays are copied byte for byte.
 *
 * Semantics follow the interpreter bit for bit: int32 wraps, floor division / modulo round
 * toward minus infinity, float32 arithmetic is done in f32 (correctly rounded, like
 * Math.fround of the double result), min/max are `a < b ? a : b`, float -> int casts truncate
 * and wrap like `x | 0` (NaN / inf give 0), transcendental functions call JavaScript's Math (or
 * the interpreter's erf / pow) in double precision and round to the dtype. Division by zero gives
 * 0 instead of trapping. Vector expressions on float32 / int32 whose lanes are a multiple of 4 use
 * SIMD128 (f32x4 / i32x4, v128 loads and stores for unit-stride ramps), chunk by chunk; every
 * other vector shape is expanded lane by lane. Every loop kind (parallel included) runs serially.
 */
import binaryen from "binaryen";
import type { Buffer } from "../../ir/buffer.js";
import { int32, type DataType } from "../../ir/dtype.js";
import type {
  And, BinaryOp, Broadcast, BufferLoad, Call, Cast, CmpOp, FloatImm, IntImm, Let, Not, Or, PrimExpr, Ramp, Select, Shuffle, Var,
} from "../../ir/expr.js";
import type { Op } from "../../ir/op_registry.js";
import type { PrimFunc } from "../../tir/function.js";
import type {
  Allocate, AssertStmt, AttrStmt, BufferStore, DeclBuffer, Evaluate, For, IfThenElse, IterVar, LetStmt, SeqStmt, Stmt, While,
} from "../../tir/stmt.js";
import { roundHalfEven } from "../../tir/interp/float_format.js";
import { clz, copysign, cpow, erf, ldexp, nextafterFn, popcount } from "../../tir/interp/math.js";
import { castFn, kitFor, normalizer } from "../../tir/interp/scalar_ops.js";

type Ref = binaryen.ExpressionRef;
export type Repr = "i32" | "f32" | "f64";

export class WasmCodegenError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "WasmCodegenError";
  }
}

/** First byte a kernel may touch: [0, GUARD) stays unused so small negative offsets stay in memory. */
export const WASM_GUARD_BYTES = 4096;
export const WASM_ALIGN = 64;

/** The wasm type one lane of `t` is computed in. */
export function reprOf(t: DataType): Repr {
  const e = t.element();
  if (e.isBool()) return "i32";
  if (e.isFloat()) return e.bits === 32 && e.code === "float" ? "f32" : "f64";
  if (e.isHandle()) throw new WasmCodegenError(`values of dtype ${t} have no wasm representation`);
  return e.bits <= 32 ? "i32" : "f64";
}

/** Bytes one lane of `t` takes in memory (its NDArray storage class). */
export function storageBytes(t: DataType): number {
  const e = t.element();
  if (e.isBool()) return 1;
  if (e.isFloat()) return e.bits === 64 ? 8 : 4;
  if (e.bits === 64) return 8;
  return e.bits <= 8 ? 1 : e.bits === 16 ? 2 : 4;
}

function wasmType(r: Repr): binaryen.Type {
  return r === "i32" ? binaryen.i32 : r === "f32" ? binaryen.f32 : binaryen.f64;
}

const isUnsigned32 = (t: DataType): boolean => t.element().isUInt() && t.element().bits === 32;
const alignUp = (n: number, a = WASM_ALIGN): number => Math.ceil(n / a) * a;

/** What the module loader needs to know about one exported function. */
export interface WasmFunctionInfo {
  readonly name: string;
  readonly exportName: string;
  /** Per PrimFunc parameter: a buffer (its dtype) or a scalar (its representation). */
  readonly params: readonly ({ kind: "buffer"; dtype: DataType; written: boolean } | { kind: "scalar"; dtype: DataType })[];
  /** Extra trailing arguments: symbol slots (of the ArgChecker) and their dtypes. */
  readonly symParams: readonly { sym: number; dtype: DataType }[];
  /** dtype of the value T.ret returns, if the function returns one. */
  readonly result?: DataType;
}

export interface WasmModuleArtifact {
  readonly binary: Uint8Array;
  readonly functions: readonly WasmFunctionInfo[];
  /** JavaScript functions the module imports (module name "weft"). */
  readonly imports: Record<string, (...a: number[]) => number>;
  /** Messages of failed asserts, by index (imported `assert_fail(i)` throws the message). */
  readonly messages: readonly string[];
  readonly staticEnd: number;
  readonly shared: boolean;
  /** Memory pages the binary declares as its maximum. */
  readonly maxPages: number;
  /** The optimized module as text (on request). */
  readonly text?: string;
}

export interface WasmCodegenInput {
  readonly func: PrimFunc;
  readonly name: string;
  /** Symbol slot of every variable the signature binds (primFuncSignature's symbolOf). */
  readonly symbolOf: ReadonlyMap<Var, number>;
}

export interface WasmCodegenOptions {
  shared?: boolean;
  maxPages?: number;
  /** binaryen optimize level (default 3); 0 skips optimization. */
  optimizeLevel?: number;
  /** Keep the text form of the optimized module (for debugging / tests). */
  emitText?: boolean;
  /** Use SIMD128 for float32 / int32 vectors (default true). */
  simd?: boolean;
}

const floatUnary: Record<string, (x: number) => number> = {
  exp: Math.exp, log: Math.log, log2: Math.log2, log10: Math.log10, log1p: Math.log1p, expm1: Math.expm1,
  tanh: Math.tanh, sin: Math.sin, cos: Math.cos, tan: Math.tan, asin: Math.asin, acos: Math.acos, atan: Math.atan,
  sinh: Math.sinh, cosh: Math.cosh, asinh: Math.asinh, acosh: Math.acosh, atanh: Math.atanh,
  exp2: (x) => 2 ** x, exp10: (x) => 10 ** x, rsqrt: (x) => 1 / Math.sqrt(x), sigmoid: (x) => 1 / (1 + Math.exp(-x)),
  erf,
};
const floatBinary: Record<string, (x: number, y: number) => number> = {
  pow: cpow, atan2: Math.atan2, hypot: Math.hypot, ldexp, fmod: (a, b) => a % b,
};

/** Whether an expression reads a buffer (then it must not be evaluated speculatively). */
function hasLoad(e: PrimExpr): boolean {
  let found = false;
  const visit = (x: unknown): void => {
    if (found || typeof x !== "object" || x === null) return;
    const n = x as { kind?: string };
    if (n.kind === "BufferLoad") {
      found = true;
      return;
    }
    if (typeof n.kind !== "string") return;
    for (const [key, v] of Object.entries(x)) {
      if (key === "dtype" || key === "buffer") continue;
      if (Array.isArray(v)) v.forEach(visit);
      else visit(v);
    }
  };
  visit(e);
  return found;
}

function shortName(op: Op): string {
  return op.name.startsWith("tir.") ? op.name.slice(4) : op.name;
}

type Binding =
  | { kind: "local"; index: number; repr: Repr }
  | { kind: "lanes"; locals: number[]; repr: Repr }
  | { kind: "v128"; locals: number[] };

/** Shared state of one binaryen module (imports, helpers, static memory). */
class ModuleBuilder {
  readonly m = new binaryen.Module();
  readonly imports: Record<string, (...a: number[]) => number> = {};
  private readonly importName = new Map<unknown, string>();
  readonly messages: string[] = [];
  private readonly helpers = new Set<string>();
  staticEnd = WASM_GUARD_BYTES;

  /** Name of an imported JS function of `n` f64 arguments returning f64. */
  importFn(fn: (...a: number[]) => number, hint: string, n: number): string {
    let name = this.importName.get(fn);
    if (name) return name;
    name = `${hint.replace(/[^A-Za-z0-9_]/g, "_")}_${this.importName.size}`;
    this.importName.set(fn, name);
    this.imports[name] = fn;
    this.m.addFunctionImport(name, "weft", name, binaryen.createType(new Array<binaryen.Type>(n).fill(binaryen.f64)), binaryen.f64);
    return name;
  }

  assertFail(): string {
    if (!this.helpers.has("assert_fail")) {
      this.helpers.add("assert_fail");
      this.m.addFunctionImport("assert_fail", "weft", "assert_fail", binaryen.createType([binaryen.i32]), binaryen.none);
    }
    return "assert_fail";
  }

  staticAlloc(bytes: number): number {
    const at = this.staticEnd;
    this.staticEnd = alignUp(at + Math.max(bytes, 1));
    return at;
  }

  /** Integer division helpers on i32 that never trap (b = 0 gives 0, INT_MIN / -1 wraps). */
  helper(name: "divs" | "rems" | "fdivs" | "fmods" | "divu" | "remu"): string {
    const fname = `__${name}`;
    if (this.helpers.has(fname)) return fname;
    this.helpers.add(fname);
    const m = this.m;
    const a = (): Ref => m.local.get(0, binaryen.i32), b = (): Ref => m.local.get(1, binaryen.i32);
    const c = (v: number): Ref => m.i32.const(v);
    let body: Ref;
    const guard = (e: Ref, minusOne: Ref): Ref =>
      m.if(m.i32.eqz(b()), c(0), m.if(m.i32.eq(b(), c(-1)), minusOne, e));
    switch (name) {
      case "divs": body = guard(m.i32.div_s(a(), b()), m.i32.sub(c(0), a())); break;
      case "rems": body = guard(m.i32.rem_s(a(), b()), c(0)); break;
      case "divu": body = m.if(m.i32.eqz(b()), c(0), m.i32.div_u(a(), b())); break;
      case "remu": body = m.if(m.i32.eqz(b()), c(0), m.i32.rem_u(a(), b())); break;
      case "fdivs": {
        // q = a / b (trunc); q - 1 when the remainder is non-zero and its sign differs from b's.
        const q = m.i32.div_s(a(), b());
        const r = m.i32.rem_s(a(), b());
        const adjust = m.i32.and(m.i32.ne(r, c(0)), m.i32.lt_s(m.i32.xor(m.i32.rem_s(a(), b()), b()), c(0)));
        body = guard(m.i32.sub(q, adjust), m.i32.sub(c(0), a()));
        break;
      }
      default: {
        // r = a % b; r + b when r is non-zero and its sign differs from b's.
        const r = (): Ref => m.local.get(2, binaryen.i32);
        const inner = m.block(null, [
          m.local.set(2, m.i32.rem_s(a(), b())),
          m.select(m.i32.and(m.i32.ne(r(), c(0)), m.i32.lt_s(m.i32.xor(r(), b()), c(0))), m.i32.add(r(), b()), r()),
        ], binaryen.i32);
        body = guard(inner, c(0));
      }
    }
    m.addFunction(fname, binaryen.createType([binaryen.i32, binaryen.i32]), binaryen.i32, name === "fmods" ? [binaryen.i32] : [], body);
    return fname;
  }
}

class FunctionCodegen {
  private readonly m: binaryen.Module;
  private readonly localTypes: binaryen.Type[] = [];
  private readonly names = new Map<Var, Binding>();
  /** Buffer data vars -> local holding the byte address. */
  private readonly bufAddr = new Map<Var, number>();
  private pre: Ref[] | undefined;
  private memo = new Map<PrimExpr, number>();
  private labels = 0;
  private readonly spLocal = 0;
  private readonly written = new Set<Var>();
  private resultDtype: DataType | undefined;
  /** A handle is re-bound by a LetStmt: stores may go through it, so every buffer counts as written. */
  private handleLets = false;
  private readonly vecOk = new Map<PrimExpr, boolean>();

  constructor(
    private readonly mb: ModuleBuilder,
    private readonly func: PrimFunc,
    private readonly fname: string,
    private readonly symbolOf: ReadonlyMap<Var, number>,
    private readonly simd: boolean,
  ) {
    this.m = mb.m;
  }

  private fail(msg: string): never {
    throw new WasmCodegenError(`wasm codegen, function ${this.fname}: ${msg}`);
  }

  private newLocal(t: binaryen.Type): number {
    this.localTypes.push(t);
    return this.localTypes.length - 1;
  }
  private get(i: number): Ref {
    return this.m.local.get(i, this.localTypes[i]!);
  }

  // ---- function ----------------------------------------------------------------------------

  generate(exportName: string): WasmFunctionInfo {
    const f = this.func;
    const m = this.m;
    this.newLocal(binaryen.i32); // sp
    const params: WasmFunctionInfo["params"][number][] = [];
    for (const p of f.params) {
      const b = f.bufferMap.get(p);
      if (b) {
        const i = this.newLocal(binaryen.i32);
        this.bufAddr.set(b.data, i);
        this.bufAddr.set(p, i);
        params.push({ kind: "buffer", dtype: b.dtype, written: false });
        continue;
      }
      const r = reprOf(p.dtype);
      this.names.set(p, { kind: "local", index: this.newLocal(wasmType(r)), repr: r });
      params.push({ kind: "scalar", dtype: p.dtype });
    }
    const symParams: { sym: number; dtype: DataType }[] = [];
    for (const [v, k] of this.symbolOf) {
      if (this.names.has(v)) continue;
      const r = reprOf(v.dtype);
      this.names.set(v, { kind: "local", index: this.newLocal(wasmType(r)), repr: r });
      symParams.push({ sym: k, dtype: v.dtype });
    }
    const nparams = this.localTypes.length;
    // Buffers with a variable elem_offset: bind it to 0 (compact arguments).
    for (const p of f.params) {
      const b = f.bufferMap.get(p);
      if (b && b.elemOffset.kind === "Var" && !this.names.has(b.elemOffset as Var)) {
        this.names.set(b.elemOffset as Var, { kind: "local", index: this.newLocal(binaryen.i32), repr: "i32" });
      }
    }
    this.scanReturn(f.body);
    const body = this.stmt(f.body);
    const resultType = this.resultDtype ? wasmType(reprOf(this.resultDtype)) : binaryen.none;
    const full = this.resultDtype ? m.block(null, [body, m.unreachable()], resultType) : body;
    m.addFunction(exportName, binaryen.createType(this.localTypes.slice(0, nparams)), resultType, this.localTypes.slice(nparams), full);
    m.addFunctionExport(exportName, exportName);
    f.params.forEach((p, i) => {
      const b = f.bufferMap.get(p);
      if (b) params[i] = { kind: "buffer", dtype: b.dtype, written: this.handleLets || this.written.has(b.data) };
    });
    return { name: this.fname, exportName, params, symParams, ...(this.resultDtype ? { result: this.resultDtype } : {}) };
  }

  private scanReturn(s: Stmt): void {
    const visit = (x: Stmt | undefined): void => {
      if (!x) return;
      switch (x.kind) {
        case "SeqStmt": for (const y of (x as SeqStmt).seq) visit(y); return;
        case "Evaluate": {
          const v = (x as Evaluate).value;
          if (v.kind === "Call" && (v as Call).op.kind === "Op" && shortName((v as Call).op as Op) === "ret") {
            this.resultDtype ??= (v as Call).args[0]!.dtype;
          }
          return;
        }
        case "BufferStore": this.written.add((x as BufferStore).buffer.data); return;
        case "LetStmt":
          if ((x as LetStmt).variable.dtype.isHandle()) this.handleLets = true;
          visit((x as LetStmt).body); return;
        case "For": case "While": case "AttrStmt": case "AssertStmt": case "Allocate": case "DeclBuffer":
          visit((x as unknown as { body: Stmt }).body); return;
        case "IfThenElse": visit((x as IfThenElse).thenCase); visit((x as IfThenElse).elseCase); return;
        default: return;
      }
    };
    visit(s);
  }

  // ---- statements ---------------------------------------------------------------------------

  /** Compiles `f` with a fresh statement prelude; returns the prelude followed by f's statements. */
  private withPre(f: () => Ref[]): Ref {
    const outer = this.pre, outerMemo = this.memo;
    this.pre = [];
    this.memo = new Map();
    const r = f();
    const all = [...this.pre, ...r];
    this.pre = outer;
    this.memo = outerMemo;
    return all.length === 1 ? all[0]! : this.m.block(null, all, binaryen.none);
  }

  private seq(xs: Ref[]): Ref {
    return xs.length === 0 ? this.m.nop() : xs.length === 1 ? xs[0]! : this.m.block(null, xs, binaryen.none);
  }

  private stmt(s: Stmt): Ref {
    const m = this.m;
    switch (s.kind) {
      case "SeqStmt":
        return this.seq((s as SeqStmt).seq.map((x) => this.stmt(x)));
      case "Evaluate":
        return this.evaluate(s as Evaluate);
      case "BufferStore":
        return this.store(s as BufferStore);
      case "For":
        return this.forLoop(s as For);
      case "While": {
        const w = s as While;
        const brk = `w${this.labels++}`, cont = `c${this.labels++}`;
        const cond = this.withPre(() => [m.br(brk, m.i32.eqz(this.scalar(w.condition, "while condition")))]);
        return m.block(brk, [m.loop(cont, m.block(null, [cond, this.stmt(w.body), m.br(cont)]))]);
      }
      case "IfThenElse": {
        const i = s as IfThenElse;
        let out: Ref | undefined;
        const pre = this.withPre(() => {
          const c = this.scalar(i.condition, "condition of an if statement");
          out = m.if(c, this.stmt(i.thenCase), i.elseCase ? this.stmt(i.elseCase) : undefined);
          return [out];
        });
        return pre;
      }
      case "LetStmt": {
        const l = s as LetStmt;
        const bind = this.letBinding(l.variable, l.value);
        return this.seq([bind, this.stmt(l.body)]);
      }
      case "AttrStmt":
        return this.attr(s as AttrStmt);
      case "AssertStmt": {
        const a = s as AssertStmt;
        const id = this.mb.messages.length;
        this.mb.messages.push(`${this.fname}: ${a.message.value}`);
        const check = this.withPre(() => [
          m.if(m.i32.eqz(this.scalar(a.condition, "condition of an assert")), m.block(null, [m.call(this.mb.assertFail(), [m.i32.const(id)], binaryen.none), m.unreachable()])),
        ]);
        return this.seq([check, this.stmt(a.body)]);
      }
      case "Allocate":
        return this.allocate(s as Allocate);
      case "DeclBuffer": {
        const d = s as DeclBuffer;
        if (!this.bufAddr.has(d.buffer.data)) this.fail(`DeclBuffer ${d.buffer.name}: its data var ${d.buffer.data.name} is not defined here`);
        return this.stmt(d.body);
      }
      case "Block":
      case "BlockRealize":
        this.fail("found a block; the wasm target expects a lowered PrimFunc (no blocks): run lower() first (build does)");
      default:
        this.fail(`cannot generate code for statements of kind ${s.kind}`);
    }
  }

  private letBinding(v: Var, value: PrimExpr): Ref {
    const m = this.m;
    if (v.dtype.isHandle()) {
      if (value.kind !== "Var" || !this.bufAddr.has(value as Var)) this.fail(`let ${v.name}: only handle variables can be bound to handles`);
      this.bufAddr.set(v, this.bufAddr.get(value as Var)!);
      return m.nop();
    }
    return this.withPre(() => this.bindValue(v, value));
  }

  /** Sets locals for `v` = `value` (inside a prelude); returns the set instructions. */
  private bindValue(v: Var, value: PrimExpr): Ref[] {
    const m = this.m;
    const lanes = v.dtype.lanes;
    const r = reprOf(v.dtype);
    if (lanes === 1) {
      const x = this.expr(value);
      const index = this.newLocal(wasmType(r));
      this.names.set(v, { kind: "local", index, repr: r });
      return [m.local.set(index, x)];
    }
    if (this.vectorizable(value)) {
      const chunks = lanes / 4;
      const xs = Array.from({ length: chunks }, (_, c) => this.vexpr(value, c));
      const locals = xs.map(() => this.newLocal(binaryen.v128));
      this.names.set(v, { kind: "v128", locals });
      return xs.map((x, c) => m.local.set(locals[c]!, x));
    }
    const xs = Array.from({ length: lanes }, (_, l) => this.expr(value, l));
    const locals = xs.map(() => this.newLocal(wasmType(r)));
    this.names.set(v, { kind: "lanes", locals, repr: r });
    return xs.map((x, l) => m.local.set(locals[l]!, x));
  }

  private evaluate(e: Evaluate): Ref {
    const m = this.m;
    const v = e.value;
    if (v.kind === "IntImm" || v.kind === "FloatImm" || v.kind === "StringImm") return m.nop();
    if (v.kind === "Call" && (v as Call).op.kind === "Op") {
      const c = v as Call;
      const op = shortName(c.op as Op);
      if (op === "ret") return this.withPre(() => [m.return(this.expr(c.args[0]!))]);
      if (op === "assume" || op === "likely") return m.nop();
    }
    if (v.dtype.isHandle() || v.dtype.bits === 0) this.fail(`cannot evaluate ${v.kind} of dtype ${v.dtype}`);
    return this.withPre(() => Array.from({ length: v.dtype.lanes }, (_, l) => m.drop(this.expr(v, v.dtype.lanes > 1 ? l : undefined))));
  }

  private forLoop(l: For): Ref {
    const m = this.m;
    const t = l.loopVar.dtype;
    const r = reprOf(t);
    const iv = this.newLocal(wasmType(r)), end = this.newLocal(wasmType(r));
    const init = this.withPre(() => {
      const lo = this.scalar(l.min, `min of loop ${l.loopVar.name}`);
      const ext = this.scalar(l.extent, `extent of loop ${l.loopVar.name}`);
      return [m.local.set(iv, lo), m.local.set(end, this.arith("Add", t, this.get(iv), ext))];
    });
    this.names.set(l.loopVar, { kind: "local", index: iv, repr: r });
    let stepRef: Ref | undefined;
    let stepInit: Ref = m.nop();
    if (l.step && !(l.step.kind === "IntImm" && (l.step as IntImm).value === 1)) {
      const st = this.newLocal(wasmType(r));
      stepInit = this.withPre(() => [m.local.set(st, this.scalar(l.step!, `step of loop ${l.loopVar.name}`))]);
      stepRef = this.get(st);
    }
    const brk = `b${this.labels++}`, cont = `l${this.labels++}`;
    const body = this.stmt(l.body);
    const one = r === "i32" ? m.i32.const(1) : m.f64.const(1);
    const lt = (): Ref => this.compare("LT", t, this.get(iv), this.get(end));
    return m.block(null, [
      init,
      stepInit,
      m.block(brk, [
        m.br(brk, this.not(lt())),
        m.loop(cont, m.block(null, [
          body,
          m.local.set(iv, this.arith("Add", t, this.get(iv), stepRef ?? one)),
          m.br(cont, lt()),
        ])),
      ]),
    ]);
  }

  private not(b: Ref): Ref {
    return this.m.i32.eqz(b);
  }

  private attr(a: AttrStmt): Ref {
    const node = a.node;
    if ((a.attrKey === "thread_extent" || a.attrKey === "virtual_thread") && typeof node === "object" && node.kind === "IterVar") {
      const iv = (node as IterVar).variable;
      if (this.names.has(iv)) return this.stmt(a.body);
      const m = this.m;
      const i = this.newLocal(binaryen.i32), n = this.newLocal(binaryen.i32);
      const init = this.withPre(() => [m.local.set(i, m.i32.const(0)), m.local.set(n, this.scalar(a.value, `${a.attrKey} of ${iv.name}`))]);
      this.names.set(iv, { kind: "local", index: i, repr: "i32" });
      const brk = `b${this.labels++}`, cont = `l${this.labels++}`;
      return m.block(null, [
        init,
        m.block(brk, [
          m.br(brk, m.i32.ge_s(this.get(i), this.get(n))),
          m.loop(cont, m.block(null, [this.stmt(a.body), m.local.set(i, m.i32.add(this.get(i), m.i32.const(1))), m.br(cont, m.i32.lt_s(this.get(i), this.get(n)))])),
        ]),
      ]);
    }
    return this.stmt(a.body);
  }

  private allocate(a: Allocate): Ref {
    const m = this.m;
    const laneBytes = storageBytes(a.dtype) * a.dtype.lanes;
    const addr = this.newLocal(binaryen.i32);
    this.bufAddr.set(a.bufferVar, addr);
    if (a.extents.every((e) => e.kind === "IntImm")) {
      const n = a.extents.reduce((acc, e) => acc * (e as IntImm).value, 1);
      const at = this.mb.staticAlloc(n * laneBytes);
      return m.block(null, [m.local.set(addr, m.i32.const(at)), this.stmt(a.body)]);
    }
    // Dynamic size: bump `sp`, growing the memory when needed; restore `sp` after the body.
    const saved = this.newLocal(binaryen.i32), bytes = this.newLocal(binaryen.i32);
    const setup = this.withPre(() => {
      let size: Ref = m.i32.const(laneBytes);
      for (const e of a.extents) size = m.i32.mul(size, this.scalar(e, `extent of allocation ${a.bufferVar.name}`));
      return [m.local.set(bytes, m.i32.and(m.i32.add(size, m.i32.const(WASM_ALIGN - 1)), m.i32.const(-WASM_ALIGN)))];
    });
    const sp = (): Ref => this.get(this.spLocal);
    const need = m.i32.add(sp(), this.get(bytes));
    const have = m.i32.mul(m.memory.size(), m.i32.const(65536));
    const pagesShort = m.i32.shr_u(m.i32.add(m.i32.sub(m.i32.add(sp(), this.get(bytes)), m.i32.mul(m.memory.size(), m.i32.const(65536))), m.i32.const(65535)), m.i32.const(16));
    const grow = m.if(m.i32.gt_u(need, have), m.if(m.i32.eq(m.memory.grow(pagesShort), m.i32.const(-1)), m.unreachable()));
    return m.block(null, [
      setup,
      grow,
      m.local.set(addr, sp()),
      m.local.set(saved, sp()),
      m.local.set(this.spLocal, m.i32.add(sp(), this.get(bytes))),
      this.stmt(a.body),
      m.local.set(this.spLocal, this.get(saved)),
    ]);
  }

  private store(s: BufferStore): Ref {
    const m = this.m;
    const b = s.buffer;
    const idxLanes = Math.max(1, ...s.indices.map((i) => i.dtype.lanes));
    const bl = b.dtype.lanes;
    const total = idxLanes * bl;
    return this.withPre(() => {
      if (total === 1 && !s.predicate) return [this.storeLane(b, this.address(b, s.indices, 0, 0), this.expr(s.value))];
      const vec = this.contiguousVector(b, s.indices, total);
      if (vec && !s.predicate && this.vectorizable(s.value)) {
        const out: Ref[] = [];
        for (let c = 0; c < total / 4; c++) {
          out.push(m.v128.store(0, 16, this.vecAddress(b, vec, c), this.vexpr(s.value, c)));
        }
        return out;
      }
      // Lane by lane: every value first (they may read the buffer being stored to), then stores.
      const vals: number[] = [];
      const out: Ref[] = [];
      const r = reprOf(b.dtype);
      for (let k = 0; k < total; k++) {
        const t = this.newLocal(wasmType(r));
        out.push(m.local.set(t, this.expr(s.value, total > 1 ? k : undefined)));
        vals.push(t);
      }
      for (let k = 0; k < total; k++) {
        const l = Math.floor(k / bl), kk = k % bl;
        const st = this.storeLane(b, this.address(b, s.indices, l, kk), this.get(vals[k]!));
        const pred = this.predicateLane(s.predicate, l, k, idxLanes, total);
        out.push(pred ? m.if(pred, st) : st);
      }
      return out;
    });
  }

  // ---- buffers and addresses ------------------------------------------------------------------

  private base(b: Buffer): Ref {
    const i = this.bufAddr.get(b.data);
    if (i === undefined) this.fail(`buffer ${b.name}: its data var ${b.data.name} is not defined here`);
    return this.get(i);
  }

  /** Element index (i32, before the dtype's lanes) of lane `l` of the indices. */
  private elemIndex(b: Buffer, indices: readonly PrimExpr[], l: number): Ref {
    const m = this.m;
    const vector = indices.some((i) => i.dtype.lanes > 1);
    const idx = indices.map((i) => this.toI32(i.dtype.lanes > 1 ? this.expr(i, l) : vector ? this.hoist(i) : this.expr(i), i.dtype));
    let off: Ref;
    if (b.strides.length) {
      off = idx.map((x, d) => {
        const s = b.strides[d]!;
        return s.kind === "IntImm" && (s as IntImm).value === 1 ? x : m.i32.mul(x, this.toI32(this.hoist(s), s.dtype));
      }).reduce((acc, x) => m.i32.add(acc, x));
    } else {
      off = idx[0] ?? m.i32.const(0);
      for (let d = 1; d < idx.length; d++) off = m.i32.add(m.i32.mul(off, this.toI32(this.hoist(b.shape[d]!), b.shape[d]!.dtype)), idx[d]!);
    }
    const eo = b.elemOffset;
    if (!(eo.kind === "IntImm" && (eo as IntImm).value === 0)) off = m.i32.add(off, this.toI32(this.hoist(eo), eo.dtype));
    return off;
  }

  /** Index expressions come as int32 mostly; int64 (f64 representation) are converted. */
  private toI32(x: Ref, t: DataType): Ref {
    return reprOf(t) === "i32" ? x : this.m.i32.trunc_s_sat.f64(x);
  }

  private scaled(b: Buffer, elem: Ref, k: number): Ref {
    const m = this.m;
    const sb = storageBytes(b.dtype);
    const bl = b.dtype.lanes;
    let byteIdx = bl === 1 ? elem : m.i32.add(m.i32.mul(elem, m.i32.const(bl)), m.i32.const(k));
    if (sb > 1) byteIdx = m.i32.shl(byteIdx, m.i32.const(Math.log2(sb)));
    return m.i32.add(this.base(b), byteIdx);
  }

  private address(b: Buffer, indices: readonly PrimExpr[], l: number, k: number): Ref {
    return this.scaled(b, this.elemIndex(b, indices, l), k);
  }

  private loadLane(b: Buffer, addr: Ref): Ref {
    const m = this.m;
    const e = b.dtype.element();
    if (e.isBool()) return m.i32.load8_u(0, 1, addr);
    if (e.isFloat()) {
      if (e.bits === 64) return m.f64.load(0, 8, addr);
      const x = m.f32.load(0, 4, addr);
      return e.bits === 32 && e.code === "float" ? x : m.f64.promote(x);
    }
    if (e.bits === 64) return m.f64.load(0, 8, addr);
    if (e.bits <= 8) return e.isInt() ? m.i32.load8_s(0, 1, addr) : m.i32.load8_u(0, 1, addr);
    if (e.bits === 16) return e.isInt() ? m.i32.load16_s(0, 2, addr) : m.i32.load16_u(0, 2, addr);
    return m.i32.load(0, 4, addr);
  }

  private storeLane(b: Buffer, addr: Ref, v: Ref): Ref {
    const m = this.m;
    const e = b.dtype.element();
    if (e.isBool()) return m.i32.store8(0, 1, addr, v);
    if (e.isFloat()) {
      if (e.bits === 64) return m.f64.store(0, 8, addr, v);
      return m.f32.store(0, 4, addr, e.bits === 32 && e.code === "float" ? v : m.f32.demote(v));
    }
    if (e.bits === 64) return m.f64.store(0, 8, addr, v);
    if (e.bits <= 8) return m.i32.store8(0, 1, addr, v);
    if (e.bits === 16) return m.i32.store16(0, 2, addr, v);
    return m.i32.store(0, 4, addr, v);
  }

  private predicateLane(pred: PrimExpr | undefined, l: number, k: number, L: number, total: number): Ref | undefined {
    if (!pred) return undefined;
    const pl = pred.dtype.lanes;
    if (pl === 1) return this.hoist(pred);
    if (pl === total) return this.expr(pred, k);
    if (pl === L) return this.expr(pred, l);
    this.fail(`predicate with ${pl} lanes for an access of ${total} lanes`);
  }

  private load(e: BufferLoad, lane: number | undefined): Ref {
    const m = this.m;
    const b = e.buffer;
    const total = e.dtype.lanes;
    const bl = b.dtype.lanes;
    const k = lane ?? 0;
    const L = total / bl;
    const l = Math.floor(k / bl), kk = k % bl;
    const x = this.loadLane(b, this.address(b, e.indices, l, kk));
    const pred = this.predicateLane(e.predicate, l, k, L, total);
    if (!pred) return x;
    const r = reprOf(b.dtype);
    return m.if(pred, x, this.zero(r));
  }

  private zero(r: Repr): Ref {
    return r === "i32" ? this.m.i32.const(0) : r === "f32" ? this.m.f32.const(0) : this.m.f64.const(0);
  }

  // ---- SIMD ------------------------------------------------------------------------------------

  /** The ramp base of a unit-stride contiguous vector access, when there is one. */
  private contiguousVector(b: Buffer, indices: readonly PrimExpr[], total: number): Ramp | undefined {
    if (!this.simd || total % 4 !== 0 || b.dtype.lanes !== 1 || indices.length !== 1) return undefined;
    const e = b.dtype;
    if (!((e.isFloat() && e.bits === 32 && e.code === "float") || (e.isInt() && e.bits === 32))) return undefined;
    const i = indices[0]!;
    if (i.kind !== "Ramp") return undefined;
    const r = i as Ramp;
    if (!(r.stride.kind === "IntImm" && (r.stride as IntImm).value === 1) || reprOf(r.base.dtype) !== "i32") return undefined;
    return r;
  }

  private vecAddress(b: Buffer, r: Ramp, chunk: number): Ref {
    const m = this.m;
    let elem = this.hoist(r.base);
    if (chunk) elem = m.i32.add(elem, m.i32.const(4 * chunk));
    const eo = b.elemOffset;
    if (!(eo.kind === "IntImm" && (eo as IntImm).value === 0)) elem = m.i32.add(elem, this.toI32(this.hoist(eo), eo.dtype));
    return m.i32.add(this.base(b), m.i32.shl(elem, m.i32.const(2)));
  }

  /** Whether `e` (a vector) can be computed as v128 chunks of 4 lanes. */
  private vectorizable(e: PrimExpr): boolean {
    if (!this.simd) return false;
    let ok = this.vecOk.get(e);
    if (ok !== undefined) return ok;
    ok = this.checkVec(e);
    this.vecOk.set(e, ok);
    return ok;
  }

  private static simdElem(t: DataType): "f32" | "i32" | "mask" | undefined {
    const e = t.element();
    if (e.isFloat() && e.bits === 32 && e.code === "float") return "f32";
    if (e.isInt() && e.bits === 32) return "i32";
    if (e.isBool()) return "mask";
    return undefined;
  }

  private checkVec(e: PrimExpr): boolean {
    const t = e.dtype;
    if (t.lanes < 4 || t.lanes % 4 !== 0) return false;
    const k = FunctionCodegen.simdElem(t);
    if (!k) return false;
    const sub = (x: PrimExpr): boolean => x.dtype.lanes === 1 || this.vectorizable(x);
    switch (e.kind) {
      case "Ramp": return k === "i32";
      case "Broadcast": return k !== "mask";
      case "Var":
        return this.names.get(e as Var) !== undefined;
      case "BufferLoad":
        return true; // v128.load when contiguous, gathered lane by lane otherwise
      case "Add": case "Sub": case "Mul": case "Min": case "Max": {
        const b = e as BinaryOp;
        return k !== "mask" && sub(b.a) && sub(b.b);
      }
      case "Div": {
        const b = e as BinaryOp;
        return k === "f32" && sub(b.a) && sub(b.b);
      }
      case "EQ": case "NE": case "LT": case "LE": case "GT": case "GE": {
        const c = e as CmpOp;
        const ak = FunctionCodegen.simdElem(c.a.dtype);
        return (ak === "f32" || ak === "i32") && sub(c.a) && sub(c.b);
      }
      case "And": case "Or": return sub((e as And).a) && sub((e as And).b);
      case "Not": return sub((e as Not).a);
      case "Select": {
        const s = e as Select;
        return k !== "mask" && sub(s.condition) && sub(s.trueValue) && sub(s.falseValue);
      }
      case "Cast": {
        const c = e as Cast;
        const from = FunctionCodegen.simdElem(c.value.dtype);
        // int32 -> float32 only: float -> int32 casts wrap like `x | 0`, which trunc_sat does not.
        return k === "f32" && from === "i32" ? sub(c.value) : true;
      }
      case "Call": {
        const c = e as Call;
        if (c.op.kind !== "Op") return false;
        const op = shortName(c.op as Op);
        if (k === "f32" && ["sqrt", "floor", "ceil", "trunc", "fabs", "round", "nearbyint"].includes(op)) return sub(c.args[0]!);
        // Eager bitselect only when no branch loads (a guarded load may be out of range); else lazy lanes.
        if (op === "if_then_else" && k !== "mask" && !hasLoad(c.args[1]!) && !hasLoad(c.args[2]!)) return sub(c.args[0]!) && sub(c.args[1]!) && sub(c.args[2]!);
        return true; // gathered
      }
      default:
        return true; // gathered lane by lane (Shuffle, Let, other casts, ...)
    }
  }

  /** Lanes 4c..4c+3 of `e` computed one by one and packed into a v128. */
  private gather(e: PrimExpr, c: number): Ref {
    const m = this.m;
    const k = FunctionCodegen.simdElem(e.dtype)!;
    const lane = (j: number): Ref => {
      const x = this.expr(e, 4 * c + j);
      return k === "mask" ? m.i32.sub(m.i32.const(0), x) : x;
    };
    let v = k === "f32" ? m.f32x4.splat(lane(0)) : m.i32x4.splat(lane(0));
    for (let j = 1; j < 4; j++) v = k === "f32" ? m.f32x4.replace_lane(v, j, lane(j)) : m.i32x4.replace_lane(v, j, lane(j));
    return v;
  }

  /** A v128 holding lanes 4c..4c+3 of `e` (a vectorizable vector or a scalar, splatted). */
  private vexpr(e: PrimExpr, c: number): Ref {
    const m = this.m;
    const t = e.dtype;
    const k = FunctionCodegen.simdElem(t);
    if (t.lanes === 1) {
      const x = this.hoist(e);
      return k === "f32" ? m.f32x4.splat(x) : m.i32x4.splat(x);
    }
    switch (e.kind) {
      case "Ramp": {
        const r = e as Ramp;
        const base = this.hoist(r.base);
        if (r.stride.kind === "IntImm") {
          const s = (r.stride as IntImm).value;
          const lanes = [0, 1, 2, 3].map((j) => Math.imul(s, 4 * c + j) | 0);
          return m.i32x4.add(m.i32x4.splat(base), m.v128.const(new Uint8Array(new Int32Array(lanes).buffer)));
        }
        const s = this.hoist(r.stride);
        const lanes = [0, 1, 2, 3].map((j) => 4 * c + j);
        return m.i32x4.add(m.i32x4.splat(base), m.i32x4.mul(m.i32x4.splat(s), m.v128.const(new Uint8Array(new Int32Array(lanes).buffer))));
      }
      case "Broadcast": {
        const x = this.hoist((e as Broadcast).value);
        return k === "f32" ? m.f32x4.splat(x) : m.i32x4.splat(x);
      }
      case "Var": {
        const b = this.names.get(e as Var)!;
        return b.kind === "v128" ? this.get(b.locals[c]!) : this.gather(e, c);
      }
      case "BufferLoad": {
        const l = e as BufferLoad;
        const r = l.predicate ? undefined : this.contiguousVector(l.buffer, l.indices, t.lanes);
        return r ? m.v128.load(0, 16, this.vecAddress(l.buffer, r, c)) : this.gather(e, c);
      }
      case "Add": case "Sub": case "Mul": case "Div": case "Min": case "Max": {
        const b = e as BinaryOp;
        const a = this.vexpr(b.a, c), y = this.vexpr(b.b, c);
        if (e.kind === "Min" || e.kind === "Max") {
          // a < b ? a : b (and a > b ? a : b), lane-wise, as the interpreter computes it.
          const ta = this.newLocal(binaryen.v128), tb = this.newLocal(binaryen.v128);
          this.pre!.push(m.local.set(ta, a), m.local.set(tb, y));
          const A = (): Ref => this.get(ta), B = (): Ref => this.get(tb);
          if (k === "i32") return e.kind === "Min" ? m.i32x4.min_s(A(), B()) : m.i32x4.max_s(A(), B());
          const mask = e.kind === "Min" ? m.f32x4.lt(A(), B()) : m.f32x4.gt(A(), B());
          return m.v128.bitselect(A(), B(), mask);
        }
        const ops = k === "f32" ? m.f32x4 : m.i32x4;
        switch (e.kind) {
          case "Add": return ops.add(a, y);
          case "Sub": return ops.sub(a, y);
          case "Mul": return ops.mul(a, y);
          default: return m.f32x4.div(a, y);
        }
      }
      case "EQ": case "NE": case "LT": case "LE": case "GT": case "GE": {
        const cm = e as CmpOp;
        const a = this.vexpr(cm.a, c), y = this.vexpr(cm.b, c);
        if (FunctionCodegen.simdElem(cm.a.dtype) === "f32") {
          const f = { EQ: m.f32x4.eq, NE: m.f32x4.ne, LT: m.f32x4.lt, LE: m.f32x4.le, GT: m.f32x4.gt, GE: m.f32x4.ge }[cm.kind];
          return f(a, y);
        }
        const f = { EQ: m.i32x4.eq, NE: m.i32x4.ne, LT: m.i32x4.lt_s, LE: m.i32x4.le_s, GT: m.i32x4.gt_s, GE: m.i32x4.ge_s }[cm.kind];
        return f(a, y);
      }
      case "And": return m.v128.and(this.vmask((e as And).a, c), this.vmask((e as And).b, c));
      case "Or": return m.v128.or(this.vmask((e as Or).a, c), this.vmask((e as Or).b, c));
      case "Not": return m.v128.not(this.vmask((e as Not).a, c));
      case "Select": {
        const s = e as Select;
        return m.v128.bitselect(this.vexpr(s.trueValue, c), this.vexpr(s.falseValue, c), this.vmask(s.condition, c));
      }
      case "Cast": {
        const v = (e as Cast).value;
        if (k === "f32" && FunctionCodegen.simdElem(v.dtype) === "i32") return m.f32x4.convert_i32x4_s(this.vexpr(v, c));
        return this.gather(e, c);
      }
      case "Call": {
        const call = e as Call;
        const op = shortName(call.op as Op);
        const eagerIf = op === "if_then_else" && !hasLoad(call.args[1]!) && !hasLoad(call.args[2]!);
        if (!(k === "f32" && ["sqrt", "floor", "ceil", "trunc", "fabs", "round", "nearbyint"].includes(op)) && !eagerIf) return this.gather(e, c);
        if (op === "if_then_else") {
          return m.v128.bitselect(this.vexpr(call.args[1]!, c), this.vexpr(call.args[2]!, c), this.vmask(call.args[0]!, c));
        }
        const x = this.vexpr(call.args[0]!, c);
        switch (op) {
          case "sqrt": return m.f32x4.sqrt(x);
          case "floor": return m.f32x4.floor(x);
          case "ceil": return m.f32x4.ceil(x);
          case "trunc": return m.f32x4.trunc(x);
          case "fabs": return m.f32x4.abs(x);
          default: return m.f32x4.nearest(x);
        }
      }
      default:
        return this.gather(e, c);
    }
  }

  /** A lane mask (all ones / zeros per 32-bit lane) for a bool vector or scalar. */
  private vmask(e: PrimExpr, c: number): Ref {
    const m = this.m;
    if (e.dtype.lanes === 1) return m.i32x4.splat(m.i32.sub(m.i32.const(0), this.hoist(e)));
    return this.vexpr(e, c);
  }

  // ---- expressions -----------------------------------------------------------------------------

  private scalar(e: PrimExpr, what: string): Ref {
    if (e.dtype.lanes !== 1) this.fail(`${what} must be a scalar, got ${e.dtype}`);
    return this.expr(e);
  }

  /** A scalar expression computed once per statement (into a local); returns a read of it. */
  private hoist(e: PrimExpr): Ref {
    const m = this.m;
    if (e.kind === "IntImm" || e.kind === "FloatImm" || ((e.kind === "Var" || e.kind === "SizeVar") && e.dtype.lanes === 1)) return this.expr(e);
    if (!this.pre) return this.expr(e);
    const hit = this.memo.get(e);
    if (hit !== undefined) return this.get(hit);
    const x = this.expr(e);
    const t = this.newLocal(wasmType(reprOf(e.dtype)));
    this.pre.push(m.local.set(t, x));
    this.memo.set(e, t);
    return this.get(t);
  }

  private sub(e: PrimExpr, l: number): Ref {
    return e.dtype.lanes === 1 ? this.expr(e) : this.expr(e, l);
  }

  private cond(c: PrimExpr, parent: PrimExpr, l: number): Ref {
    if (c.dtype.lanes === 1) return parent.dtype.lanes > 1 ? this.hoist(c) : this.expr(c);
    return this.expr(c, l);
  }

  /** Lane `lane` (when a vector) of expression `e`, in its representation. */
  expr(e: PrimExpr, lane?: number): Ref {
    const m = this.m;
    const vec = e.dtype.lanes > 1;
    if (vec && lane === undefined) this.fail(`internal: vector expression ${e.kind} (${e.dtype}) used without a lane`);
    const l = vec ? lane! : 0;
    switch (e.kind) {
      case "IntImm": {
        const v = (e as IntImm).value;
        const r = reprOf(e.dtype);
        return r === "i32" ? m.i32.const(v | 0) : r === "f32" ? m.f32.const(v) : m.f64.const(v);
      }
      case "FloatImm": {
        const v = normalizer(e.dtype)((e as FloatImm).value);
        return reprOf(e.dtype) === "f32" ? m.f32.const(v) : m.f64.const(v);
      }
      case "StringImm":
        return this.fail("string values cannot be computed in wasm");
      case "Var":
      case "SizeVar": {
        const b = this.names.get(e as Var);
        if (b === undefined) this.fail(`variable ${(e as Var).name} is used but not defined`);
        if (b.kind === "local") return this.get(b.index);
        if (b.kind === "lanes") return this.get(b.locals[l]!);
        const k = FunctionCodegen.simdElem(e.dtype)!;
        const v = this.get(b.locals[l >> 2]!);
        if (k === "f32") return m.f32x4.extract_lane(v, l & 3);
        const x = m.i32x4.extract_lane(v, l & 3);
        return k === "mask" ? m.i32.ne(x, m.i32.const(0)) : x;
      }
      case "Cast":
        return this.cast((e as Cast).value.dtype, e.dtype, this.sub((e as Cast).value, l));
      case "Add": case "Sub": case "Mul": case "Div": case "Mod": case "FloorDiv": case "FloorMod": case "Min": case "Max": {
        const b = e as BinaryOp;
        return this.arith(e.kind, b.a.dtype, this.sub(b.a, l), this.sub(b.b, l));
      }
      case "EQ": case "NE": case "LT": case "LE": case "GT": case "GE": {
        const c = e as CmpOp;
        return this.compare(c.kind, c.a.dtype, this.sub(c.a, l), this.sub(c.b, l));
      }
      case "And": return m.i32.and(this.sub((e as And).a, l), this.sub((e as And).b, l));
      case "Or": return m.i32.or(this.sub((e as Or).a, l), this.sub((e as Or).b, l));
      case "Not": return m.i32.eqz(this.sub((e as Not).a, l));
      case "Select": {
        const s = e as Select;
        return m.select(this.cond(s.condition, e, l), this.sub(s.trueValue, l), this.sub(s.falseValue, l));
      }
      case "Ramp": {
        const r = e as Ramp;
        const t = r.base.dtype;
        const base = this.hoist(r.base);
        if (l === 0) return base;
        if (reprOf(t) === "i32" && r.stride.kind === "IntImm") return this.arith("Add", t, base, m.i32.const(Math.imul(l, (r.stride as IntImm).value)));
        const lv = reprOf(t) === "i32" ? m.i32.const(l) : reprOf(t) === "f32" ? m.f32.const(l) : m.f64.const(l);
        return this.arith("Add", t, base, this.arith("Mul", t, lv, this.hoist(r.stride)));
      }
      case "Broadcast":
        return this.hoist((e as Broadcast).value);
      case "Shuffle": {
        const s = e as Shuffle;
        let i = s.indices[l]!;
        for (const v of s.vectors) {
          if (i < v.dtype.lanes) return v.dtype.lanes === 1 ? this.hoist(v) : this.expr(v, i);
          i -= v.dtype.lanes;
        }
        return this.fail(`Shuffle index ${s.indices[l]} is outside its vectors`);
      }
      case "Let": {
        const x = e as Let;
        if (!this.names.has(x.variable) || !this.memo.has(x)) {
          if (!this.pre) this.fail("internal: Let outside a statement");
          this.memo.clear();
          this.pre.push(...this.bindValue(x.variable, x.value));
          this.memo.set(x, -1);
        }
        return this.expr(x.body, vec ? l : undefined);
      }
      case "Call":
        return this.call(e as Call, l);
      case "BufferLoad":
        return this.load(e as BufferLoad, vec ? l : undefined);
      default:
        return this.fail(`cannot generate code for expressions of kind ${e.kind}`);
    }
  }

  /** Normalizes an i32 holding a wrapped result to a narrow integer dtype. */
  private normI32(t: DataType, x: Ref): Ref {
    const m = this.m;
    const e = t.element();
    if (e.isBool()) return m.i32.ne(x, m.i32.const(0));
    if (e.bits >= 32) return x;
    if (e.isInt()) {
      if (e.bits === 8) return m.i32.extend8_s(x);
      if (e.bits === 16) return m.i32.extend16_s(x);
      const s = m.i32.const(32 - e.bits);
      return m.i32.shr_s(m.i32.shl(x, s), m.i32.const(32 - e.bits));
    }
    return m.i32.and(x, m.i32.const(2 ** e.bits - 1));
  }

  /** An i32 value of dtype `t` as an f64 (signed or unsigned). */
  private i32ToF64(t: DataType, x: Ref): Ref {
    return isUnsigned32(t) ? this.m.f64.convert_u.i32(x) : this.m.f64.convert_s.i32(x);
  }
  private toF64(t: DataType, x: Ref): Ref {
    const r = reprOf(t);
    return r === "i32" ? this.i32ToF64(t, x) : r === "f32" ? this.m.f64.promote(x) : x;
  }
  private fromF64(t: DataType, x: Ref): Ref {
    const m = this.m;
    const r = reprOf(t);
    if (r === "f64") return x;
    if (r === "f32") return m.f32.demote(x);
    return isUnsigned32(t) ? m.i32.trunc_u_sat.f64(x) : m.i32.trunc_s_sat.f64(x);
  }
  /** Calls a JS function on f64 arguments (converted from dtype `t`); result converted to `rt`. */
  private callJs(fn: (...a: number[]) => number, hint: string, t: DataType, args: Ref[], rt: DataType): Ref {
    const name = this.mb.importFn(fn, hint, args.length);
    return this.fromF64(rt, this.m.call(name, args.map((a) => this.toF64(t, a)), binaryen.f64));
  }

  private arith(kind: string, t: DataType, a: Ref, b: Ref): Ref {
    const m = this.m;
    const r = reprOf(t);
    const e = t.element();
    if (kind === "Min" || kind === "Max") {
      // a < b ? a : b (a > b ? a : b): NaN and -0 behave as in the interpreter.
      const wt = wasmType(r);
      const ta = this.newLocal(wt), tb = this.newLocal(wt);
      const c = this.compare(kind === "Min" ? "LT" : "GT", t, this.get(ta), this.get(tb));
      return m.block(null, [m.local.set(ta, a), m.local.set(tb, b), m.select(c, this.get(ta), this.get(tb))], wt);
    }
    if (r === "i32") {
      const uns = e.isUInt();
      switch (kind) {
        case "Add": return this.normI32(t, m.i32.add(a, b));
        case "Sub": return this.normI32(t, m.i32.sub(a, b));
        case "Mul": return this.normI32(t, m.i32.mul(a, b));
        case "Div": return this.normI32(t, m.call(this.mb.helper(uns ? "divu" : "divs"), [a, b], binaryen.i32));
        case "Mod": return this.normI32(t, m.call(this.mb.helper(uns ? "remu" : "rems"), [a, b], binaryen.i32));
        case "FloorDiv": return this.normI32(t, m.call(this.mb.helper(uns ? "divu" : "fdivs"), [a, b], binaryen.i32));
        case "FloorMod": return this.normI32(t, m.call(this.mb.helper(uns ? "remu" : "fmods"), [a, b], binaryen.i32));
      }
    } else if (r === "f32") {
      switch (kind) {
        case "Add": return m.f32.add(a, b);
        case "Sub": return m.f32.sub(a, b);
        case "Mul": return m.f32.mul(a, b);
        case "Div": return m.f32.div(a, b);
        case "FloorDiv": return m.f32.floor(m.f32.div(a, b));
      }
    } else if (e.isFloat() && e.bits === 64) {
      switch (kind) {
        case "Add": return m.f64.add(a, b);
        case "Sub": return m.f64.sub(a, b);
        case "Mul": return m.f64.mul(a, b);
        case "Div": return m.f64.div(a, b);
        case "FloorDiv": return m.f64.floor(m.f64.div(a, b));
      }
    }
    const kit = kitFor(e);
    const op = ({ Add: "add", Sub: "sub", Mul: "mul", Div: "div", Mod: "mod", FloorDiv: "floordiv", FloorMod: "floormod" } as const)[kind as "Add"];
    if (!op) this.fail(`no arithmetic ${kind} for ${t}`);
    return this.callJs(kit[op], `${e}_${op}`, t, [a, b], t);
  }

  private compare(kind: string, t: DataType, a: Ref, b: Ref): Ref {
    const m = this.m;
    const r = reprOf(t);
    if (r === "i32") {
      const u = isUnsigned32(t);
      switch (kind) {
        case "EQ": return m.i32.eq(a, b);
        case "NE": return m.i32.ne(a, b);
        case "LT": return u ? m.i32.lt_u(a, b) : m.i32.lt_s(a, b);
        case "LE": return u ? m.i32.le_u(a, b) : m.i32.le_s(a, b);
        case "GT": return u ? m.i32.gt_u(a, b) : m.i32.gt_s(a, b);
        default: return u ? m.i32.ge_u(a, b) : m.i32.ge_s(a, b);
      }
    }
    const o = r === "f32" ? m.f32 : m.f64;
    switch (kind) {
      case "EQ": return o.eq(a, b);
      case "NE": return o.ne(a, b);
      case "LT": return o.lt(a, b);
      case "LE": return o.le(a, b);
      case "GT": return o.gt(a, b);
      default: return o.ge(a, b);
    }
  }

  private cast(fromT: DataType, toT: DataType, x: Ref): Ref {
    const m = this.m;
    const from = fromT.element(), to = toT.element();
    if (from === to) return x;
    const rf = reprOf(from), rt = reprOf(to);
    if (to.isBool()) {
      return rf === "i32" ? m.i32.ne(x, m.i32.const(0)) : rf === "f32" ? m.f32.ne(x, m.f32.const(0)) : m.f64.ne(x, m.f64.const(0));
    }
    if (to.isFloat()) {
      if (rt === "f32") return rf === "i32" ? (isUnsigned32(from) ? m.f32.convert_u.i32(x) : m.f32.convert_s.i32(x)) : rf === "f32" ? x : m.f32.demote(x);
      const d = this.toF64(from, x);
      if (to.bits === 64 && to.code === "float") return d;
      return m.call(this.mb.importFn(normalizer(to), `norm_${to}`, 1), [d], binaryen.f64);
    }
    // integer destination
    if (rf === "i32" && rt === "i32") return this.normI32(to, x);
    if (rt === "i32" && to.bits === 32 && to.isInt() && (rf === "f32" || from.isFloat() || rf === "f64")) {
      // x | 0 after truncation: exact via trunc_sat while |x| < 2^31, the interpreter's function otherwise.
      const t = this.newLocal(binaryen.f64);
      const d = this.toF64(from, x);
      const g = (): Ref => this.get(t);
      const slow = m.call(this.mb.importFn(castFn(from, to), `cast_${from}_${to}`, 1), [g()], binaryen.f64);
      return m.block(null, [
        m.local.set(t, d),
        m.if(m.f64.lt(m.f64.abs(g()), m.f64.const(2147483648)), m.i32.trunc_s_sat.f64(g()), m.i32.trunc_s_sat.f64(slow)),
      ], binaryen.i32);
    }
    const name = this.mb.importFn(castFn(from, to), `cast_${from}_${to}`, 1);
    return this.fromF64(to, m.call(name, [this.toF64(from, x)], binaryen.f64));
  }

  /** Rounds an f64 result of a math function to dtype `t`'s representation. */
  private roundTo(t: DataType, d: Ref): Ref {
    const e = t.element();
    if (reprOf(e) === "f32") return this.m.f32.demote(d);
    if (e.isFloat() && e.bits === 64) return d;
    return this.m.call(this.mb.importFn(normalizer(e), `norm_${e}`, 1), [d], binaryen.f64);
  }

  private call(c: Call, l: number): Ref {
    const m = this.m;
    if (c.op.kind === "GlobalVar") this.fail(`calls to @${c.op.name} are not supported by the wasm target`);
    const op = shortName(c.op as Op);
    const args = c.args;
    const t = c.dtype;
    const r = reprOf(t.isHandle() ? args[0]?.dtype ?? t : t);
    switch (op) {
      case "if_then_else": {
        const cond = this.cond(args[0]!, c, l);
        return m.if(cond, this.sub(args[1]!, l), this.sub(args[2]!, l));
      }
      case "likely":
        return this.sub(args[0]!, l);
      case "assume":
        return m.i32.const(1);
      case "undef":
        return this.zero(reprOf(t));
      case "ret":
        return this.fail("T.ret is only supported as a statement (T.evaluate(T.ret(x)))");
      case "fabs": {
        const x = this.sub(args[0]!, l);
        return r === "f32" ? m.f32.abs(x) : r === "f64" && t.element().isFloat() ? m.f64.abs(x) : this.callJs((v) => normalizer(t)(Math.abs(v)), `abs_${t.element()}`, t, [x], t);
      }
      case "sqrt": case "floor": case "ceil": case "trunc": case "round": case "nearbyint": {
        const x = this.sub(args[0]!, l);
        const o = r === "f32" ? m.f32 : m.f64;
        const a = op === "sqrt" ? o.sqrt(x) : op === "floor" ? o.floor(x) : op === "ceil" ? o.ceil(x) : op === "trunc" ? o.trunc(x) : o.nearest(x);
        return r === "f32" || (t.element().isFloat() && t.element().bits === 64) ? a : this.roundTo(t, a);
      }
      case "isnan": {
        const at = args[0]!.dtype;
        const ra = reprOf(at);
        if (ra === "i32") return m.i32.const(0);
        const tl = this.newLocal(wasmType(ra));
        const o = ra === "f32" ? m.f32 : m.f64;
        return o.ne(m.local.tee(tl, this.sub(args[0]!, l), wasmType(ra)), this.get(tl));
      }
      case "isinf": case "isfinite": {
        const ra = reprOf(args[0]!.dtype);
        if (ra === "i32") return m.i32.const(op === "isfinite" ? 1 : 0);
        const o = ra === "f32" ? m.f32 : m.f64;
        const inf = ra === "f32" ? m.f32.const(Infinity) : m.f64.const(Infinity);
        const a = o.abs(this.sub(args[0]!, l));
        return op === "isinf" ? o.eq(a, inf) : o.lt(a, inf);
      }
      case "popcount": case "clz": {
        const at = args[0]!.dtype;
        const x = this.sub(args[0]!, l);
        if (reprOf(at) === "i32" && at.bits === 32) return this.cast(int32, t, op === "popcount" ? m.i32.popcnt(x) : m.i32.clz(x));
        const bits = at.isBool() ? 1 : at.bits;
        const g = op === "popcount" ? popcount : clz;
        return this.callJs((v) => g(v, bits), `${op}${bits}`, at, [x], t);
      }
      case "copysign": {
        if (r === "f32") return m.f32.copysign(this.sub(args[0]!, l), this.sub(args[1]!, l));
        if (t.element().isFloat() && t.element().bits === 64) return m.f64.copysign(this.sub(args[0]!, l), this.sub(args[1]!, l));
        return this.roundTo(t, m.call(this.mb.importFn(copysign, "copysign", 2), [this.toF64(args[0]!.dtype, this.sub(args[0]!, l)), this.toF64(args[1]!.dtype, this.sub(args[1]!, l))], binaryen.f64));
      }
      case "nextafter": {
        const fn = nextafterFn(args[0]!.dtype);
        return this.callJs(fn, `nextafter_${args[0]!.dtype.element()}`, args[0]!.dtype, [this.sub(args[0]!, l), this.sub(args[1]!, l)], t);
      }
      case "bitwise_and": case "bitwise_or": case "bitwise_xor": case "bitwise_not": case "shift_left": case "shift_right":
        return this.bitOp(op, c, l);
      case "call_extern": case "call_pure_extern":
        this.fail(`cannot run extern function ${args[0]?.kind === "StringImm" ? (args[0] as unknown as { value: string }).value : "?"} in the wasm target`);
      default:
        break;
    }
    const fu = floatUnary[op];
    if (fu) {
      const at = args[0]!.dtype;
      return this.roundTo(t, m.call(this.mb.importFn(fu, op, 1), [this.toF64(at, this.sub(args[0]!, l))], binaryen.f64));
    }
    const fb = floatBinary[op];
    if (fb) {
      const a = this.toF64(args[0]!.dtype, this.sub(args[0]!, l)), b = this.toF64(args[1]!.dtype, this.sub(args[1]!, l));
      return this.roundTo(t, m.call(this.mb.importFn(fb, op, 2), [a, b], binaryen.f64));
    }
    if (op === "round_half_even") return this.roundTo(t, m.call(this.mb.importFn(roundHalfEven, "rhe", 1), [this.toF64(args[0]!.dtype, this.sub(args[0]!, l))], binaryen.f64));
    return this.fail(`operator ${(c.op as Op).name} is not supported by the wasm target`);
  }

  private bitOp(op: string, c: Call, l: number): Ref {
    const m = this.m;
    const t = c.args[0]!.dtype.element();
    const a = this.sub(c.args[0]!, l);
    const b = c.args.length > 1 ? this.sub(c.args[1]!, l) : undefined;
    if (reprOf(t) !== "i32") {
      const signed = t.isInt();
      const wrap = (r: bigint): number => Number(signed ? BigInt.asIntN(64, r) : BigInt.asUintN(64, r));
      const fns: Record<string, (x: number, y: number) => number> = {
        bitwise_and: (x, y) => wrap(BigInt(x) & BigInt(y)),
        bitwise_or: (x, y) => wrap(BigInt(x) | BigInt(y)),
        bitwise_xor: (x, y) => wrap(BigInt(x) ^ BigInt(y)),
        bitwise_not: (x) => wrap(~BigInt(x)),
        shift_left: (x, y) => wrap(BigInt(x) << BigInt(y)),
        shift_right: (x, y) => wrap(BigInt(x) >> BigInt(y)),
      };
      const key = `${op}_${t}`;
      const fn = (this.bitFns[key] ??= fns[op]!);
      return this.callJs(fn, key, t, b === undefined ? [a] : [a, b], t);
    }
    switch (op) {
      case "bitwise_and": return this.normI32(t, m.i32.and(a, b!));
      case "bitwise_or": return this.normI32(t, m.i32.or(a, b!));
      case "bitwise_xor": return this.normI32(t, m.i32.xor(a, b!));
      case "bitwise_not": return this.normI32(t, m.i32.xor(a, m.i32.const(-1)));
      case "shift_left": return this.normI32(t, m.i32.shl(a, b!));
      default: return t.isInt() ? m.i32.shr_s(a, b!) : this.normI32(t, m.i32.shr_u(a, b!));
    }
  }
  private readonly bitFns: Record<string, (x: number, y: number) => number> = {};
}

/** Renders lowered PrimFuncs into one optimized, validated wasm binary. */
export function generateWasm(funcs: readonly WasmCodegenInput[], opts: WasmCodegenOptions = {}): WasmModuleArtifact {
  const mb = new ModuleBuilder();
  const m = mb.m;
  const shared = opts.shared ?? false;
  const maxPages = opts.maxPages ?? 32768;
  try {
    let features = binaryen.Features.MVP | binaryen.Features.NontrappingFPToInt | binaryen.Features.SignExt |
      binaryen.Features.SIMD128 | binaryen.Features.BulkMemory | binaryen.Features.MutableGlobals;
    if (shared) features |= binaryen.Features.Atomics;
    m.setFeatures(features);
    m.setMemory(1, maxPages, null, [], shared, false, "0");
    m.addMemoryImport("0", "env", "memory", shared);
    const infos: WasmFunctionInfo[] = [];
    funcs.forEach((f, i) => {
      const g = new FunctionCodegen(mb, f.func, f.name, f.symbolOf, opts.simd ?? true);
      infos.push(g.generate(`f${i}_${f.name.replace(/[^A-Za-z0-9_]/g, "_")}`));
    });
    if (!m.validate()) throw new WasmCodegenError(`wasm codegen: binaryen rejected the module:\n${m.emitText().slice(0, 4000)}`);
    const level = opts.optimizeLevel ?? 3;
    if (level > 0) {
      const prevO = binaryen.getOptimizeLevel(), prevS = binaryen.getShrinkLevel();
      binaryen.setOptimizeLevel(level);
      binaryen.setShrinkLevel(0);
      try {
        m.optimize();
      } finally {
        binaryen.setOptimizeLevel(prevO);
        binaryen.setShrinkLevel(prevS);
      }
      if (!m.validate()) throw new WasmCodegenError("wasm codegen: the optimized module does not validate");
    }
    const binary = m.emitBinary();
    return {
      binary, functions: infos, imports: mb.imports, messages: mb.messages, staticEnd: mb.staticEnd, shared, maxPages,
      ...(opts.emitText ? { text: m.emitText() } : {}),
    };
  } finally {
    m.dispose();
  }
}
