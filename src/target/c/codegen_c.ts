/**
 * The C renderer: lowered TIR (no blocks) -> one C translation unit.
 *
 * Conventions of the generated code:
 * - every PrimFunc becomes `int32_t name(params...)` (or its `retType`), returning 0 on success
 *   and -1 when an AssertStmt fails (the message is kept for `weft_last_error()`);
 * - parameters bound to buffers are `void*` data pointers; scalar parameters keep their type;
 *   variables that only appear in buffer shapes / strides / elem_offset (symbolic shapes) are
 *   appended as extra int parameters, in `CFuncInfo.implicitVars` order, bound by the caller;
 * - signed integer overflow wraps because the source is compiled with `-fwrapv`, and 8/16-bit
 *   results are cast back to their type, so int arithmetic matches the interpreter bit for bit;
 * - vectors use GCC/Clang vector extensions; contiguous `Ramp(b, 1, n)` accesses are memcpy
 *   loads/stores (unaligned-safe, no aliasing trouble), everything else is built lane by lane;
 * - `parallel` loops are outlined into `weft_par_N(lo, hi, ctx)` functions run by the prelude's
 *   thread pool (`weft_parallel_for`), `num_threads` from the target's `-num-cores`.
 */
import type { DataType } from "../../ir/dtype.js";
import {
  Add, Broadcast, BufferLoad, Call, Cast, FloatImm, Mul, IntImm, Let, PrimExpr, Ramp, Select, Shuffle, StringImm, Var,
  type BinaryOp, type CmpOp, type And, type Or, type Not,
} from "../../ir/expr.js";
import type { Buffer } from "../../ir/buffer.js";
import type { Op } from "../../ir/op_registry.js";
import type { IRModule } from "../../ir/module.js";
import { PrimFunc } from "../../tir/function.js";
import type {
  Allocate, AssertStmt, AttrStmt, BufferStore, DeclBuffer, Evaluate, For, IfThenElse, LetStmt, SeqStmt, Stmt, While,
} from "../../tir/stmt.js";
import { isUkernel, ukernelSource } from "./ukernels.js";

export class CodegenError extends Error {
  override name = "CodegenError";
}

export interface CodegenOptions {
  /** `num_threads(N)` on parallel loops (the target's `-num-cores`). */
  numThreads?: number;
  /** Allocations up to this many bytes with a constant size go on the stack (default 64 KiB). */
  stackLimitBytes?: number;
}

/** How the caller binds a variable that only appears in buffer metadata. */
export interface ImplicitVarSource {
  /** Index of the parameter whose buffer defines it. */
  param: number;
  field: "shape" | "strides" | "elem_offset";
  dim: number;
}

export interface CParam {
  name: string;
  dtype: DataType;
  /** The buffer bound to this handle parameter, when there is one. */
  buffer?: Buffer;
}

export interface CFuncInfo {
  /** The C symbol. */
  symbol: string;
  params: CParam[];
  implicitVars: { var: Var; source: ImplicitVarSource }[];
  /** C return type of the function ("int32_t" unless the PrimFunc returns something else). */
  retType: string;
  /** The koffi prototype, e.g. `int32_t f(void *A, int32_t n)`. */
  prototype: string;
}

export interface CSource {
  code: string;
  funcs: Map<string, CFuncInfo>;
}

const PRELUDE = `#include <stdint.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <pthread.h>
#include <unistd.h>
#define WEFT_EXPORT __attribute__((visibility("default")))
static char weft_error_buf[512];
static void weft_set_error(const char* msg) { strncpy(weft_error_buf, msg, sizeof(weft_error_buf) - 1); }
WEFT_EXPORT const char* weft_last_error(void) { return weft_error_buf; }
WEFT_EXPORT void weft_clear_error(void) { weft_error_buf[0] = 0; }
/* Parallel loops: a small pthread pool (one per library). The calling thread claims chunks of
 * the range like the workers do, and at the end waits only for workers that joined the loop:
 * a worker that has not been scheduled yet (another process holds the core) is not waited
 * for, so a loaded machine costs at most the serial time instead of a scheduler time slice
 * per parallel loop (what an OpenMP fork/join barrier costs there). Idle workers spin briefly,
 * then sleep on a condition variable. */
typedef void (*weft_par_fn)(int64_t lo, int64_t hi, void* ctx);
static struct {
  pthread_mutex_t mu;
  pthread_cond_t wake, done;
  unsigned gen;
  int nworkers, busy, closed, active, joined, limit;
  weft_par_fn fn;
  void* ctx;
  int64_t end, chunk, next;
} weft_pool = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, PTHREAD_COND_INITIALIZER };
static int32_t weft_num_threads_v = 0;
static inline void weft_pause(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}
static int32_t weft_default_threads(void) {
  if (weft_num_threads_v > 0) return weft_num_threads_v;
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n > 0 ? (int32_t)n : 1;
}
WEFT_EXPORT int32_t weft_set_num_threads(int32_t n) {
  if (n > 0) weft_num_threads_v = n;
  return weft_default_threads();
}
static void weft_run_chunks(weft_par_fn fn, void* ctx, int64_t end, int64_t chunk) {
  for (;;) {
    int64_t lo = __atomic_fetch_add(&weft_pool.next, chunk, __ATOMIC_RELAXED);
    if (lo >= end) break;
    fn(lo, lo + chunk < end ? lo + chunk : end, ctx);
  }
}
static void* weft_worker(void* arg) {
  unsigned seen = (unsigned)(uintptr_t)arg;
  for (;;) {
    for (int spin = 0; spin < 2000 && __atomic_load_n(&weft_pool.gen, __ATOMIC_ACQUIRE) == seen; spin++) weft_pause();
    pthread_mutex_lock(&weft_pool.mu);
    while (weft_pool.gen == seen) pthread_cond_wait(&weft_pool.wake, &weft_pool.mu);
    seen = weft_pool.gen;
    if (weft_pool.closed || weft_pool.joined >= weft_pool.limit) { pthread_mutex_unlock(&weft_pool.mu); continue; }
    weft_pool.joined++;
    weft_pool.active++;
    weft_par_fn fn = weft_pool.fn;
    void* ctx = weft_pool.ctx;
    int64_t end = weft_pool.end, chunk = weft_pool.chunk;
    pthread_mutex_unlock(&weft_pool.mu);
    weft_run_chunks(fn, ctx, end, chunk);
    pthread_mutex_lock(&weft_pool.mu);
    if (__atomic_sub_fetch(&weft_pool.active, 1, __ATOMIC_RELEASE) == 0 && weft_pool.closed) pthread_cond_signal(&weft_pool.done);
    pthread_mutex_unlock(&weft_pool.mu);
  }
  return NULL;
}
/* Runs fn over [begin, end) with up to nthreads threads (<= 0: weft_set_num_threads / all cores). */
static void weft_parallel_for(int64_t begin, int64_t end, int32_t nthreads, weft_par_fn fn, void* ctx) {
  int64_t n = end - begin;
  if (n <= 0) return;
  if (nthreads <= 0) nthreads = weft_default_threads();
  if (nthreads > n) nthreads = (int32_t)n;
  if (nthreads <= 1) { fn(begin, end, ctx); return; }
  pthread_mutex_lock(&weft_pool.mu);
  if (weft_pool.busy) { pthread_mutex_unlock(&weft_pool.mu); fn(begin, end, ctx); return; } /* nested or concurrent: serial */
  weft_pool.busy = 1;
  while (weft_pool.nworkers < nthreads - 1) {
    pthread_t t;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    int rc = pthread_create(&t, &attr, weft_worker, (void*)(uintptr_t)weft_pool.gen);
    pthread_attr_destroy(&attr);
    if (rc != 0) break;
    weft_pool.nworkers++;
  }
  int64_t pieces = (int64_t)nthreads * 8;
  weft_pool.fn = fn;
  weft_pool.ctx = ctx;
  weft_pool.end = end;
  weft_pool.chunk = (n + pieces - 1) / pieces;
  weft_pool.next = begin;
  weft_pool.closed = 0;
  weft_pool.active = 0;
  weft_pool.joined = 0;
  weft_pool.limit = nthreads - 1;
  __atomic_store_n(&weft_pool.gen, weft_pool.gen + 1, __ATOMIC_RELEASE);
  pthread_cond_broadcast(&weft_pool.wake);
  int64_t chunk = weft_pool.chunk;
  pthread_mutex_unlock(&weft_pool.mu);
  weft_run_chunks(fn, ctx, end, chunk);
  pthread_mutex_lock(&weft_pool.mu);
  weft_pool.closed = 1; /* workers that have not joined yet will not */
  pthread_mutex_unlock(&weft_pool.mu);
  for (int spin = 0; spin < 20000 && __atomic_load_n(&weft_pool.active, __ATOMIC_ACQUIRE) > 0; spin++) weft_pause();
  pthread_mutex_lock(&weft_pool.mu);
  while (weft_pool.active > 0) pthread_cond_wait(&weft_pool.done, &weft_pool.mu);
  weft_pool.busy = 0;
  pthread_mutex_unlock(&weft_pool.mu);
}
static inline void* weft_alloc(size_t bytes) { void* p = NULL; if (posix_memalign(&p, 64, bytes ? bytes : 64) != 0) return NULL; return p; }
#define WEFT_INT_HELPERS(T, S) \\
  static inline T weft_floordiv_##S(T a, T b) { T q = a / b, r = a % b; return (r != 0 && ((r < 0) != (b < 0))) ? q - 1 : q; } \\
  static inline T weft_floormod_##S(T a, T b) { T r = a % b; return (r != 0 && ((r < 0) != (b < 0))) ? r + b : r; } \\
  static inline T weft_min_##S(T a, T b) { return a < b ? a : b; } \\
  static inline T weft_max_##S(T a, T b) { return a > b ? a : b; }
WEFT_INT_HELPERS(int8_t, i8) WEFT_INT_HELPERS(int16_t, i16) WEFT_INT_HELPERS(int32_t, i32) WEFT_INT_HELPERS(int64_t, i64)
WEFT_INT_HELPERS(uint8_t, u8) WEFT_INT_HELPERS(uint16_t, u16) WEFT_INT_HELPERS(uint32_t, u32) WEFT_INT_HELPERS(uint64_t, u64)
static inline float weft_min_f32(float a, float b) { return a < b ? a : b; }
static inline float weft_max_f32(float a, float b) { return a > b ? a : b; }
static inline double weft_min_f64(double a, double b) { return a < b ? a : b; }
static inline double weft_max_f64(double a, double b) { return a > b ? a : b; }
/* Lane-wise a > b ? a : b (and a < b ? a : b), as the scalar helpers (NaN in a gives b). */
#define WEFT_VMINMAX(VT) \
  static inline VT VT##_max(VT a, VT b) { __typeof__(a > b) m = a > b; return (VT)((m & (__typeof__(m))a) | (~m & (__typeof__(m))b)); } \
  static inline VT VT##_min(VT a, VT b) { __typeof__(a < b) m = a < b; return (VT)((m & (__typeof__(m))a) | (~m & (__typeof__(m))b)); }
/* Vector expf without libm (C without fast-math calls expf lane by lane): x = n ln2 + r with
 * |r| <= ln2/2 (Cody-Waite), exp(r) by a degree-6 polynomial (Cephes' expf coefficients),
 * times 2^n built in the exponent bits as 2^(n/2) 2^(n - n/2) so that results down to the
 * subnormals are right. Relative error within ~2 ulp; +inf -> inf, -inf -> 0, NaN -> NaN. */
#define WEFT_VEXP_F32(VT, IT) \
  static inline VT VT##_exp(VT x) { \
    const VT z = {0}; \
    IT m = x > (z + 88.8f); x = (VT)((m & (IT)(z + 88.8f)) | (~m & (IT)x)); \
    m = x < (z - 104.0f); x = (VT)((m & (IT)(z - 104.0f)) | (~m & (IT)x)); \
    VT t = x * 1.44269504088896341f + 12582912.0f; \
    VT nf = t - 12582912.0f; \
    IT n = (IT)t - 0x4B400000; \
    VT r = x - nf * 0.693359375f; \
    r = r - nf * -2.12194440e-4f; \
    VT p = r * 1.9875691500e-4f + 1.3981999507e-3f; \
    p = p * r + 8.3334519073e-3f; \
    p = p * r + 4.1665795894e-2f; \
    p = p * r + 1.6666665459e-1f; \
    p = p * r + 5.0000001201e-1f; \
    VT y = p * (r * r) + r + 1.0f; \
    IT n1 = n >> 1, n2 = n - n1; \
    return y * (VT)((n1 + 127) << 23) * (VT)((n2 + 127) << 23); \
  }
`;

/** The C scalar type of one lane. */
export function cScalarType(t: DataType): string {
  const e = t.element();
  if (e.isBool()) return "bool";
  if (e.isHandle()) return e.isVoid() ? "void" : "void*";
  if (e.isFloat()) {
    if (e.code === "float" && e.bits === 32) return "float";
    if (e.code === "float" && e.bits === 64) return "double";
    throw new CodegenError(`c target: ${e} is not supported yet (float32 and float64 are)`);
  }
  if (![8, 16, 32, 64].includes(e.bits)) throw new CodegenError(`c target: ${e} is not supported (8/16/32/64-bit integers are)`);
  return `${e.isUInt() ? "uint" : "int"}${e.bits}_t`;
}

function shortName(t: DataType): string {
  const e = t.element();
  if (e.isFloat()) return `f${e.bits}`;
  if (e.isBool()) return "b";
  return `${e.isUInt() ? "u" : "i"}${e.bits}`;
}

const C_KEYWORDS = new Set([
  "auto", "break", "case", "char", "const", "continue", "default", "do", "double", "else", "enum", "extern", "float", "for",
  "goto", "if", "inline", "int", "long", "register", "restrict", "return", "short", "signed", "sizeof", "static", "struct",
  "switch", "typedef", "union", "unsigned", "void", "volatile", "while", "bool", "true", "false", "main", "abs", "exp",
]);

const MATH_F32: Record<string, string> = {
  exp: "expf", exp2: "exp2f", log: "logf", log2: "log2f", log10: "log10f", log1p: "log1pf", expm1: "expm1f",
  sqrt: "sqrtf", tanh: "tanhf", erf: "erff", sin: "sinf", cos: "cosf", tan: "tanf", asin: "asinf", acos: "acosf",
  atan: "atanf", sinh: "sinhf", cosh: "coshf", asinh: "asinhf", acosh: "acoshf", atanh: "atanhf", floor: "floorf",
  ceil: "ceilf", round: "nearbyintf", nearbyint: "nearbyintf", trunc: "truncf", fabs: "fabsf", pow: "powf",
  atan2: "atan2f", fmod: "fmodf", copysign: "copysignf", hypot: "hypotf", nextafter: "nextafterf",
};

interface Scope {
  inParallel: boolean;
}

/** Renders one module; create one per build. */
class CRenderer {
  private readonly names = new Map<Var, string>();
  private readonly used = new Set<string>();
  /** C element type that each handle var points to. */
  private readonly ptrElem = new Map<Var, string>();
  private readonly vecTypes = new Map<string, string>();
  private readonly externs = new Set<string>();
  private readonly ukernels = new Set<string>();
  private readonly externProtos = new Map<string, string>();
  /** C declaration type of each defined variable (what an outlined parallel loop redeclares it as). */
  private readonly declType = new Map<Var, string>();
  /** Outlined parallel loop bodies (context struct + function), emitted before the functions. */
  private readonly outlined: string[] = [];
  private tmp = 0;

  constructor(private readonly opts: CodegenOptions) {}

  // ---------- names and types ----------
  private fresh(hint: string): string {
    let base = hint.replace(/[^A-Za-z0-9_]/g, "_");
    if (!/^[A-Za-z_]/.test(base)) base = `v_${base}`;
    if (C_KEYWORDS.has(base) || base.startsWith("weft_")) base = `${base}_`;
    let n = base;
    for (let i = 1; this.used.has(n); i++) n = `${base}_${i}`;
    this.used.add(n);
    return n;
  }
  private define(v: Var, ctype?: string): string {
    const n = this.fresh(v.name || "v");
    this.names.set(v, n);
    if (ctype) this.declType.set(v, ctype);
    return n;
  }
  private nameOf(v: Var): string {
    const n = this.names.get(v);
    if (!n) throw new CodegenError(`c codegen: variable ${v.name} is used but not defined (is the function lowered?)`);
    return n;
  }
  private tmpName(): string {
    return `_t${this.tmp++}`;
  }

  /** C type of a (possibly vector) dtype; vector types are typedef'd on demand. */
  type(t: DataType): string {
    if (t.lanes === 1) return cScalarType(t);
    const lanes = t.lanes;
    if ((lanes & (lanes - 1)) !== 0) throw new CodegenError(`c target: vector ${t} has ${lanes} lanes; only powers of two are supported`);
    // Bool vectors are masks of int8 lanes (nonzero = true).
    const elem = t.element().isBool() ? "int8_t" : cScalarType(t);
    const bytes = t.element().isBool() ? 1 : t.bytes();
    const name = `weft_${t.element().isBool() ? "bool" : shortName(t)}x${lanes}`;
    if (!this.vecTypes.has(name)) {
      let extra = "";
      if (!t.element().isBool()) extra += `WEFT_VMINMAX(${name})\n`;
      if (t.element().isFloat() && t.element().bits === 32) {
        extra += `typedef int32_t ${name}_i __attribute__((vector_size(${bytes * lanes})));\nWEFT_VEXP_F32(${name}, ${name}_i)\n`;
      }
      this.vecTypes.set(
        name,
        `typedef ${elem} ${name} __attribute__((vector_size(${bytes * lanes})));\n` +
          `static inline ${name} ${name}_ld(const void* p) { ${name} v; memcpy(&v, p, sizeof v); return v; }\n` +
          `static inline void ${name}_st(void* p, ${name} v) { memcpy(p, &v, sizeof v); }\n` +
          extra,
      );
    }
    return name;
  }

  // ---------- functions ----------
  renderFunc(symbol: string, f: PrimFunc): { code: string; info: CFuncInfo } {
    const params: CParam[] = [];
    const decls: string[] = [];
    const prologue: string[] = [];
    const protoArgs: string[] = [];
    f.params.forEach((p) => {
      const buf = f.bufferMap.get(p);
      if (buf) {
        const elem = cScalarType(buf.dtype);
        const dataName = this.define(buf.data, `${elem}* restrict`);
        this.ptrElem.set(buf.data, elem);
        decls.push(`void* ${dataName}_arg`);
        prologue.push(`  ${elem}* restrict ${dataName} = (${elem}*)${dataName}_arg;`);
        protoArgs.push(`void *${dataName}_arg`);
        if (p !== buf.data) {
          const pn = this.define(p, "void*");
          prologue.push(`  void* ${pn} = ${dataName}_arg; (void)${pn};`);
        }
        params.push({ name: p.name, dtype: p.dtype, buffer: buf });
      } else {
        const t = p.dtype.isHandle() ? "void*" : cScalarType(p.dtype);
        const n = this.define(p, t);
        decls.push(`${t} ${n}`);
        protoArgs.push(`${t === "void*" ? "void *" : t} ${n}`);
        params.push({ name: p.name, dtype: p.dtype });
      }
    });
    // Variables that only appear in buffer metadata become extra parameters.
    const implicitVars: CFuncInfo["implicitVars"] = [];
    const seen = new Set<Var>(f.params);
    f.params.forEach((p, pi) => {
      const buf = f.bufferMap.get(p);
      if (!buf) return;
      const visit = (e: PrimExpr, field: ImplicitVarSource["field"], dim: number) => {
        for (const v of freeVars(e)) {
          if (seen.has(v)) continue;
          seen.add(v);
          const direct = e === v;
          implicitVars.push({ var: v, source: { param: pi, field: direct ? field : field, dim: direct ? dim : -1 } });
        }
      };
      buf.shape.forEach((s, d) => visit(s, "shape", d));
      buf.strides.forEach((s, d) => visit(s, "strides", d));
      visit(buf.elemOffset, "elem_offset", 0);
    });
    for (const iv of implicitVars) {
      const t = cScalarType(iv.var.dtype);
      const n = this.define(iv.var, t);
      decls.push(`${t} ${n}`);
      protoArgs.push(`${t} ${n}`);
    }
    const retType = f.retType && !f.retType.isVoid() ? cScalarType(f.retType) : "int32_t";
    const body = this.stmt(f.body, "  ", { inParallel: false });
    const code = `WEFT_EXPORT ${retType} ${symbol}(${decls.join(", ") || "void"}) {\n${prologue.join("\n")}${prologue.length ? "\n" : ""}${body}  return 0;\n}\n`;
    const info: CFuncInfo = {
      symbol,
      params,
      implicitVars,
      retType,
      prototype: `${retType} ${symbol}(${protoArgs.join(", ")})`,
    };
    return { code, info };
  }

  header(): string {
    let s = PRELUDE;
    for (const t of this.vecTypes.values()) s += t;
    s += ukernelSource(this.ukernels);
    for (const p of this.externProtos.values()) s += p;
    for (const o of this.outlined) s += o;
    return s;
  }

  // ---------- statements ----------
  private stmt(s: Stmt, ind: string, sc: Scope): string {
    switch (s.kind) {
      case "SeqStmt":
        return (s as SeqStmt).seq.map((x) => this.stmt(x, ind, sc)).join("");
      case "LetStmt": {
        const l = s as LetStmt;
        const value = this.expr(l.value);
        const t = l.variable.dtype.isHandle() ? "void*" : this.type(l.variable.dtype);
        const n = this.define(l.variable, t);
        if (l.variable.dtype.isHandle()) this.ptrElem.set(l.variable, l.variable.typeAnnotation ? cScalarType(l.variable.typeAnnotation.elementType) : "void");
        return `${ind}{\n${ind}  ${t} ${n} = ${value}; (void)${n};\n${this.stmt(l.body, ind + "  ", sc)}${ind}}\n`;
      }
      case "AttrStmt":
        return this.stmt((s as AttrStmt).body, ind, sc);
      case "AssertStmt": {
        const a = s as AssertStmt;
        const msg = JSON.stringify(a.message.value);
        if (sc.inParallel) {
          return `${ind}if (!(${this.expr(a.condition)})) { weft_set_error(${msg}); } else {\n${this.stmt(a.body, ind + "  ", sc)}${ind}}\n`;
        }
        return `${ind}if (!(${this.expr(a.condition)})) { weft_set_error(${msg}); return -1; }\n${this.stmt(a.body, ind, sc)}`;
      }
      case "BufferStore":
        return this.store(s as BufferStore, ind);
      case "Allocate":
        return this.allocate(s as Allocate, ind, sc);
      case "DeclBuffer": {
        const d = s as DeclBuffer;
        if (!this.names.has(d.buffer.data)) throw new CodegenError(`c codegen: DeclBuffer ${d.buffer.name} over undefined data ${d.buffer.data.name}`);
        return this.stmt(d.body, ind, sc);
      }
      case "For":
        return this.forLoop(s as For, ind, sc);
      case "While": {
        const w = s as While;
        return `${ind}while (${this.expr(w.condition)}) {\n${this.stmt(w.body, ind + "  ", sc)}${ind}}\n`;
      }
      case "IfThenElse": {
        const i = s as IfThenElse;
        let out = `${ind}if (${this.expr(i.condition)}) {\n${this.stmt(i.thenCase, ind + "  ", sc)}${ind}}`;
        if (i.elseCase) out += ` else {\n${this.stmt(i.elseCase, ind + "  ", sc)}${ind}}`;
        return out + "\n";
      }
      case "Evaluate": {
        const v = (s as Evaluate).value;
        if (v instanceof IntImm) return "";
        if (v instanceof Call && v.op.kind === "Op" && (v.op as Op).name === "tir.ret") {
          return `${ind}return ${this.expr(v.args[0]!)};\n`;
        }
        return `${ind}(void)(${this.expr(v)});\n`;
      }
      case "Block":
      case "BlockRealize":
        throw new CodegenError(`c codegen: the function still has blocks; lower it first (weft's lower() pipeline)`);
      default:
        throw new CodegenError(`c codegen: unsupported statement ${s.kind}`);
    }
  }

  private forLoop(f: For, ind: string, sc: Scope): string {
    if (f.forKind === "parallel" && !sc.inParallel && (!f.step || isConst(f.step, 1))) return this.parallelLoop(f, ind);
    const t = cScalarType(f.loopVar.dtype);
    const min = this.expr(f.min);
    const ext = this.expr(f.extent);
    const v = this.define(f.loopVar, t);
    const end = this.fresh(`${v}_end`);
    const step = f.step ? this.expr(f.step) : undefined;
    let pragma = "";
    const inner: Scope = { inParallel: sc.inParallel || f.forKind === "parallel" };
    if (f.forKind === "parallel" && !sc.inParallel) {
      pragma = `${ind}#pragma omp parallel for schedule(static)${this.opts.numThreads ? ` num_threads(${this.opts.numThreads})` : ""}\n`;
    } else if (f.forKind === "unrolled" && f.extent instanceof IntImm && f.extent.value <= 64) {
      pragma = `${ind}#pragma GCC unroll ${f.extent.value}\n`;
    } else if (f.forKind === "vectorized") {
      pragma = `${ind}#pragma GCC ivdep\n`;
    }
    const incr = step ? `${v} += ${step}` : `++${v}`;
    return (
      `${ind}{\n${ind}  const ${t} ${end} = ${min} + ${ext};\n${pragma.replace(/^/gm, "  ").replace(/^  $/gm, "")}` +
      `${ind}  for (${t} ${v} = ${min}; ${v} < ${end}; ${incr}) {\n${this.stmt(f.body, ind + "    ", inner)}${ind}  }\n${ind}}\n`
    );
  }

  /**
   * A parallel loop: its body is outlined into `static void weft_par_N(lo, hi, ctx)` (the
   * variables it uses from outside travel in a context struct) and run by weft_parallel_for,
   * the prelude's thread pool (see PRELUDE for why not OpenMP).
   */
  private parallelLoop(f: For, ind: string): string {
    const t = cScalarType(f.loopVar.dtype);
    const min = this.expr(f.min);
    const ext = this.expr(f.extent);
    const outside = new Map<string, Var>();
    for (const [v, n] of this.names) outside.set(n, v);
    const id = this.outlined.length;
    this.outlined.push(""); // reserve the slot: loops outlined while rendering the body come later
    const fn = `weft_par_${id}`;
    const v = this.define(f.loopVar, t);
    const body = this.stmt(f.body, "    ", { inParallel: true });
    // The outside variables the body names (string literals left out).
    const captured: [string, string][] = [];
    const seen = new Set<string>();
    for (const m of body.replace(/"(?:[^"\\]|\\.)*"/g, '""').matchAll(/[A-Za-z_][A-Za-z0-9_]*/g)) {
      const n = m[0];
      if (seen.has(n)) continue;
      seen.add(n);
      const cv = outside.get(n);
      if (!cv) continue;
      const ct = this.declType.get(cv) ?? (cv.dtype.isHandle() ? "void*" : this.type(cv.dtype));
      captured.push([n, ct]);
    }
    const field = (ct: string) => ct.replace(/\s*restrict\b/, "");
    const struct = `struct ${fn}_ctx { char weft_pad;${captured.map(([n, ct]) => ` ${field(ct)} ${n};`).join("")} };\n`;
    const loads = captured.map(([n, ct]) => `  ${ct} ${n} = weft_c->${n}; (void)${n};\n`).join("");
    this.outlined[id] =
      struct +
      `static void ${fn}(int64_t weft_lo, int64_t weft_hi, void* weft_ctx) {\n` +
      `  const struct ${fn}_ctx* weft_c = (const struct ${fn}_ctx*)weft_ctx;\n${loads}` +
      `  for (${t} ${v} = (${t})weft_lo; ${v} < (${t})weft_hi; ++${v}) {\n${body}  }\n}\n`;
    const threads = this.opts.numThreads && this.opts.numThreads > 0 ? this.opts.numThreads : 0;
    const lo = this.tmpName();
    return (
      `${ind}{\n${ind}  struct ${fn}_ctx weft_c${id} = { 0${captured.map(([n]) => `, ${n}`).join("")} };\n` +
      `${ind}  const int64_t ${lo} = (int64_t)(${min});\n` +
      `${ind}  weft_parallel_for(${lo}, ${lo} + (int64_t)(${ext}), ${threads} /* num_threads(${threads || "default"}) */, ${fn}, &weft_c${id});\n${ind}}\n`
    );
  }

  private allocate(a: Allocate, ind: string, sc: Scope): string {
    const elem = cScalarType(a.dtype);
    const n = this.define(a.bufferVar, `${elem}*`);
    this.ptrElem.set(a.bufferVar, elem);
    let count = a.dtype.lanes;
    let constant = true;
    for (const e of a.extents) {
      if (e instanceof IntImm) count *= e.value;
      else constant = false;
    }
    const bytes = count * a.dtype.bytes();
    const limit = this.opts.stackLimitBytes ?? 65536;
    if (constant && bytes <= limit) {
      return `${ind}{\n${ind}  ${elem} ${n}[${Math.max(1, count)}] __attribute__((aligned(64)));\n${this.stmt(a.body, ind + "  ", sc)}${ind}}\n`;
    }
    const size = [String(a.dtype.lanes), ...a.extents.map((e) => `(size_t)(${this.expr(e)})`)].join(" * ");
    const fail = sc.inParallel ? `weft_set_error("weft: out of memory"); abort();` : `weft_set_error("weft: out of memory allocating ${n}"); return -1;`;
    return (
      `${ind}{\n${ind}  ${elem}* ${n} = (${elem}*)weft_alloc(sizeof(${elem}) * ${size});\n${ind}  if (!${n}) { ${fail} }\n` +
      `${this.stmt(a.body, ind + "  ", sc)}${ind}  free(${n});\n${ind}}\n`
    );
  }

  /** `ptr` as seen through `buf` (casts when the buffer's dtype differs from the storage's). */
  private dataPtr(buf: Buffer): string {
    const n = this.nameOf(buf.data);
    const want = cScalarType(buf.dtype);
    const have = this.ptrElem.get(buf.data);
    return have === want ? n : `((${want}*)${n})`;
  }

  /** The flat element index of `indices` into `buf` (row-major unless strides are given). */
  private flatIndex(buf: Buffer, indices: readonly PrimExpr[]): PrimExpr {
    return flattenIndex(buf, indices);
  }

  private store(s: BufferStore, ind: string): string {
    const buf = s.buffer;
    const ptr = this.dataPtr(buf);
    const idx = this.flatIndex(buf, s.indices);
    const lanes = s.value.dtype.lanes;
    if (lanes === 1 && !s.predicate) return `${ind}${ptr}[${this.expr(idx)}] = ${this.expr(s.value)};\n`;
    const ramp = asRamp(idx);
    if (!s.predicate && ramp && isConst(ramp.stride, 1) && buf.dtype.lanes === 1) {
      const vt = this.type(s.value.dtype);
      return `${ind}${vt}_st(&${ptr}[${this.expr(ramp.base)}], ${this.expr(s.value)});\n`;
    }
    // Scatter: evaluate the value once, then store lane by lane.
    const vt = this.type(s.value.dtype);
    const tv = this.tmpName();
    let out = `${ind}{\n${ind}  ${vt} ${tv} = ${this.expr(s.value)};\n`;
    for (let l = 0; l < lanes; l++) {
      const st = `${ptr}[${this.lane(idx, l)}] = ${tv}[${l}];`;
      out += s.predicate ? `${ind}  if (${this.lane(s.predicate, l)}) ${st}\n` : `${ind}  ${st}\n`;
    }
    return out + `${ind}}\n`;
  }

  // ---------- expressions ----------
  expr(e: PrimExpr): string {
    if (e.dtype.lanes > 1) return this.vecExpr(e);
    return this.scalar(e);
  }

  private intImm(t: DataType, v: number): string {
    if (t.isBool()) return v ? "true" : "false";
    if (t.bits === 64) return t.isUInt() ? `UINT64_C(${v})` : `INT64_C(${v})`;
    if (t.isInt() && t.bits === 32 && v === -2147483648) return "(-2147483647 - 1)";
    const c = cScalarType(t);
    return t.bits === 32 ? (t.isUInt() ? `${v}u` : `${v}`) : `((${c})${v})`;
  }

  private floatImm(t: DataType, v: number): string {
    if (Number.isNaN(v)) return t.bits === 32 ? "NAN" : "((double)NAN)";
    if (v === Infinity) return t.bits === 32 ? "INFINITY" : "((double)INFINITY)";
    if (v === -Infinity) return t.bits === 32 ? "(-INFINITY)" : "(-(double)INFINITY)";
    const s = Object.is(v, -0) ? "-0.0" : v.toPrecision(17);
    return t.bits === 32 ? `((float)${s})` : `(${s})`;
  }

  /** Wraps 8/16-bit integer results back into their type (C promotes them to int). */
  private wrap(t: DataType, s: string): string {
    return t.isIntegral() && t.bits < 32 ? `((${cScalarType(t)})${s})` : s;
  }

  private scalar(e: PrimExpr): string {
    const t = e.dtype;
    switch (e.kind) {
      case "IntImm":
        return this.intImm(t, (e as IntImm).value);
      case "FloatImm":
        return this.floatImm(t, (e as FloatImm).value);
      case "StringImm":
        return JSON.stringify((e as StringImm).value);
      case "Var":
      case "SizeVar":
        return this.nameOf(e as Var);
      case "Cast":
        return `((${cScalarType(t)})${this.scalar((e as Cast).value)})`;
      case "Add":
      case "Sub":
      case "Mul":
      case "Div":
      case "Mod": {
        const b = e as BinaryOp;
        const x = this.scalar(b.a), y = this.scalar(b.b);
        if (e.kind === "Mod" && t.isFloat()) return `${t.bits === 32 ? "fmodf" : "fmod"}(${x}, ${y})`;
        const op = { Add: "+", Sub: "-", Mul: "*", Div: "/", Mod: "%" }[e.kind];
        return this.wrap(t, `(${x} ${op} ${y})`);
      }
      case "FloorDiv":
      case "FloorMod": {
        const b = e as BinaryOp;
        const x = this.scalar(b.a), y = this.scalar(b.b);
        if (t.isFloat()) {
          const fl = t.bits === 32 ? "floorf" : "floor";
          return e.kind === "FloorDiv" ? `${fl}(${x} / ${y})` : `({ ${cScalarType(t)} _a = ${x}, _b = ${y}; _a - ${fl}(_a / _b) * _b; })`;
        }
        return `weft_${e.kind === "FloorDiv" ? "floordiv" : "floormod"}_${shortName(t)}(${x}, ${y})`;
      }
      case "Min":
      case "Max": {
        const b = e as BinaryOp;
        return `weft_${e.kind === "Min" ? "min" : "max"}_${shortName(t)}(${this.scalar(b.a)}, ${this.scalar(b.b)})`;
      }
      case "EQ":
      case "NE":
      case "LT":
      case "LE":
      case "GT":
      case "GE": {
        const c = e as CmpOp;
        const op = { EQ: "==", NE: "!=", LT: "<", LE: "<=", GT: ">", GE: ">=" }[e.kind];
        return `(${this.scalar(c.a)} ${op} ${this.scalar(c.b)})`;
      }
      case "And":
        return `(${this.scalar((e as And).a)} && ${this.scalar((e as And).b)})`;
      case "Or":
        return `(${this.scalar((e as Or).a)} || ${this.scalar((e as Or).b)})`;
      case "Not":
        return `(!${this.scalar((e as Not).a)})`;
      case "Select": {
        // Both sides of a Select are evaluated in TIR; C's ?: evaluating one is equivalent for pure code.
        const s = e as Select;
        return `(${this.scalar(s.condition)} ? ${this.scalar(s.trueValue)} : ${this.scalar(s.falseValue)})`;
      }
      case "Let": {
        const l = e as Let;
        const v = this.expr(l.value);
        const n = this.define(l.variable, this.type(l.variable.dtype));
        return `({ ${this.type(l.variable.dtype)} ${n} = ${v}; ${this.scalar(l.body)}; })`;
      }
      case "BufferLoad": {
        const l = e as BufferLoad;
        const ptr = this.dataPtr(l.buffer);
        return `${ptr}[${this.expr(this.flatIndex(l.buffer, l.indices))}]`;
      }
      case "Call":
        return this.call(e as Call, (x) => this.scalar(x));
      case "Ramp":
      case "Broadcast":
      case "Shuffle":
        throw new CodegenError(`c codegen: ${e.kind} with scalar type ${t}`);
      default:
        throw new CodegenError(`c codegen: unsupported expression ${e.kind}`);
    }
  }

  /** A call whose arguments are rendered by `arg` (scalar, or one lane of a vector call). */
  private call(c: Call, arg: (x: PrimExpr) => string): string {
    if (c.op.kind === "GlobalVar") return `${c.op.name.replace(/[^A-Za-z0-9_]/g, "_")}(${c.args.map(arg).join(", ")})`;
    const op = c.op as Op;
    const name = op.name.startsWith("tir.") ? op.name.slice(4) : op.name;
    const t = c.dtype.element();
    const a = c.args;
    const f32 = t.isFloat() && t.bits === 32;
    switch (name) {
      case "if_then_else":
        return `(${arg(a[0]!)} ? ${arg(a[1]!)} : ${arg(a[2]!)})`;
      case "likely":
        return `__builtin_expect(!!(${arg(a[0]!)}), 1)`;
      case "sigmoid":
        return f32 ? `(1.0f / (1.0f + expf(-${arg(a[0]!)})))` : `(1.0 / (1.0 + exp(-${arg(a[0]!)})))`;
      case "rsqrt":
        return f32 ? `(1.0f / sqrtf(${arg(a[0]!)}))` : `(1.0 / sqrt(${arg(a[0]!)}))`;
      case "exp10":
        return f32 ? `powf(10.0f, ${arg(a[0]!)})` : `pow(10.0, ${arg(a[0]!)})`;
      case "ldexp":
        return `${f32 ? "ldexpf" : "ldexp"}(${arg(a[0]!)}, (int)${arg(a[1]!)})`;
      case "fabs":
        if (!t.isFloat()) return `({ ${cScalarType(t)} _x = ${arg(a[0]!)}; _x < 0 ? -_x : _x; })`;
        break;
      case "isnan":
        return `isnan(${arg(a[0]!)})`;
      case "isinf":
        return `isinf(${arg(a[0]!)})`;
      case "isfinite":
        return `isfinite(${arg(a[0]!)})`;
      case "bitwise_and":
        return this.wrap(t, `(${arg(a[0]!)} & ${arg(a[1]!)})`);
      case "bitwise_or":
        return this.wrap(t, `(${arg(a[0]!)} | ${arg(a[1]!)})`);
      case "bitwise_xor":
        return this.wrap(t, `(${arg(a[0]!)} ^ ${arg(a[1]!)})`);
      case "bitwise_not":
        return this.wrap(t, `(~${arg(a[0]!)})`);
      case "shift_left":
        // Shift the unsigned pattern so that shifting into the sign bit is defined.
        return `((${cScalarType(t)})((u${cScalarType(t).replace(/^u/, "")})${arg(a[0]!)} << ${arg(a[1]!)}))`;
      case "shift_right":
        return this.wrap(t, `(${arg(a[0]!)} >> ${arg(a[1]!)})`);
      case "popcount":
        return `__builtin_popcountll((uint64_t)(u${cScalarType(a[0]!.dtype).replace(/^u/, "")})${arg(a[0]!)})`;
      case "reinterpret": {
        const from = cScalarType(a[0]!.dtype);
        return `({ ${from} _f = ${arg(a[0]!)}; ${cScalarType(t)} _r; memcpy(&_r, &_f, sizeof _r); _r; })`;
      }
      case "call_extern":
      case "call_pure_extern": {
        const fn = a[0];
        if (!(fn instanceof StringImm)) throw new CodegenError(`c codegen: ${name} needs the function name as its first argument`);
        const rest = a.slice(1);
        if (isUkernel(fn.value)) this.ukernels.add(fn.value);
        else if (!this.externProtos.has(fn.value)) {
          const ps = rest.map((x) => (x.dtype.isHandle() ? "void*" : cScalarType(x.dtype)));
          this.externProtos.set(fn.value, `extern ${c.dtype.isVoid() ? "void" : cScalarType(c.dtype)} ${fn.value}(${ps.join(", ") || "void"});\n`);
        }
        this.externs.add(fn.value);
        return `${fn.value}(${rest.map(arg).join(", ")})`;
      }
      case "address_of": {
        const l = a[0];
        if (!(l instanceof BufferLoad)) throw new CodegenError("c codegen: T.address_of expects a buffer load");
        return `(&${this.dataPtr(l.buffer)}[${this.scalar(this.flatIndex(l.buffer, l.indices))}])`;
      }
      case "tvm_access_ptr": {
        const data = a[1]!, off = a[2]!;
        const elem = a[0] instanceof Call ? "void" : "void";
        const v = data instanceof Var ? this.ptrElem.get(data) ?? "char" : "char";
        return `((${elem}*)((${v}*)${this.scalar(data)} + ${this.scalar(off)}))`;
      }
      case "assume":
        return "((void)0)";
      case "undef":
        return "0";
      default:
        break;
    }
    if (op.category === "math") {
      if (!t.isFloat()) throw new CodegenError(`c codegen: T.${name} on ${t}`);
      const fn = MATH_F32[name] ?? name;
      const cname = f32 ? fn : fn.endsWith("f") && MATH_F32[name] ? fn.slice(0, -1) : fn;
      return `${cname}(${a.map(arg).join(", ")})`;
    }
    throw new CodegenError(`c codegen: no C lowering for T.${name}`);
  }

  // ---------- vectors ----------
  private vecExpr(e: PrimExpr): string {
    const t = e.dtype;
    const vt = this.type(t);
    switch (e.kind) {
      case "Var":
        return this.nameOf(e as Var);
      case "Broadcast": {
        const b = e as Broadcast;
        const tv = this.tmpName();
        return `({ ${cScalarType(b.value.dtype)} ${tv} = ${this.scalar(b.value)}; (${vt}){${Array(b.lanes).fill(tv).join(", ")}}; })`;
      }
      case "Ramp": {
        const r = e as Ramp;
        const tb = this.tmpName(), ts = this.tmpName();
        const et = cScalarType(r.base.dtype);
        const lanes = Array.from({ length: r.lanes }, (_, i) => (i === 0 ? tb : `${tb} + ${ts} * ${i}`));
        return `({ ${et} ${tb} = ${this.scalar(r.base)}, ${ts} = ${this.scalar(r.stride)}; (${vt}){${lanes.join(", ")}}; })`;
      }
      case "Add":
      case "Sub":
      case "Mul": {
        const b = e as BinaryOp;
        const op = { Add: "+", Sub: "-", Mul: "*" }[e.kind];
        return `(${this.vecExpr(b.a)} ${op} ${this.vecExpr(b.b)})`;
      }
      case "Div":
        if (t.isFloat()) return `(${this.vecExpr((e as BinaryOp).a)} / ${this.vecExpr((e as BinaryOp).b)})`;
        break;
      case "Cast": {
        const v = (e as Cast).value;
        if (t.element().isBool() || v.dtype.element().isBool()) break;
        return `__builtin_convertvector(${this.vecExpr(v)}, ${vt})`;
      }
      case "EQ":
      case "NE":
      case "LT":
      case "LE":
      case "GT":
      case "GE": {
        const c = e as CmpOp;
        if (c.a.dtype.element().isBool()) break;
        const op = { EQ: "==", NE: "!=", LT: "<", LE: "<=", GT: ">", GE: ">=" }[e.kind];
        return `__builtin_convertvector((${this.vecExpr(c.a)} ${op} ${this.vecExpr(c.b)}), ${vt})`;
      }
      case "Min":
      case "Max": {
        const b = e as BinaryOp;
        if (t.element().isBool()) break;
        return `${vt}_${e.kind === "Min" ? "min" : "max"}(${this.vecExpr(b.a)}, ${this.vecExpr(b.b)})`;
      }
      case "Call": {
        const c = e as Call;
        if (c.op.kind !== "Op" || !(t.element().isFloat() && t.element().bits === 32) || c.args.length !== 1 || c.args[0]!.dtype.lanes !== t.lanes) break;
        const name = (c.op as Op).name.replace(/^tir\./, "");
        if (name === "exp") return `${vt}_exp(${this.vecExpr(c.args[0]!)})`;
        if (name === "sigmoid") return `({ ${vt} _s = ${vt}_exp(-${this.vecExpr(c.args[0]!)}); 1.0f / (1.0f + _s); })`;
        break;
      }
      case "And":
        return `(${this.vecExpr((e as And).a)} & ${this.vecExpr((e as And).b)})`;
      case "Or":
        return `(${this.vecExpr((e as Or).a)} | ${this.vecExpr((e as Or).b)})`;
      case "BufferLoad": {
        const l = e as BufferLoad;
        if (l.predicate || l.buffer.dtype.lanes !== 1) break;
        const idx = this.flatIndex(l.buffer, l.indices);
        const r = asRamp(idx);
        if (r && isConst(r.stride, 1)) return `${vt}_ld(&${this.dataPtr(l.buffer)}[${this.scalar(r.base)}])`;
        if (r && isConst(r.stride, 0)) {
          const tv = this.tmpName();
          return `({ ${cScalarType(t)} ${tv} = ${this.dataPtr(l.buffer)}[${this.scalar(r.base)}]; (${vt}){${Array(t.lanes).fill(tv).join(", ")}}; })`;
        }
        break;
      }
      case "Let": {
        const l = e as Let;
        const v = this.expr(l.value);
        const n = this.define(l.variable, this.type(l.variable.dtype));
        return `({ ${this.type(l.variable.dtype)} ${n} = ${v}; ${this.vecExpr(l.body)}; })`;
      }
      default:
        break;
    }
    // Everything else is built lane by lane (lazy per lane, so if_then_else guards hold).
    const lanes = Array.from({ length: t.lanes }, (_, l) => this.lane(e, l));
    return `((${vt}){${lanes.join(", ")}})`;
  }

  /** A scalar C expression for lane `l` of the vector expression `e`. */
  private lane(e: PrimExpr, l: number): string {
    const t = e.dtype;
    if (t.lanes === 1) return this.scalar(e);
    switch (e.kind) {
      case "Ramp": {
        const r = e as Ramp;
        return l === 0 ? this.scalar(r.base) : this.wrap(r.base.dtype, `(${this.scalar(r.base)} + ${this.scalar(r.stride)} * ${this.intImm(r.base.dtype, l)})`);
      }
      case "Broadcast":
        return this.scalar((e as Broadcast).value);
      case "Var":
        return `${this.nameOf(e as Var)}[${l}]`;
      case "Shuffle": {
        const s = e as Shuffle;
        let k = s.indices[l]!;
        for (const v of s.vectors) {
          if (k < v.dtype.lanes) return this.lane(v, k);
          k -= v.dtype.lanes;
        }
        throw new CodegenError("c codegen: Shuffle index out of range");
      }
      case "Cast":
        return `((${cScalarType(t)})${this.lane((e as Cast).value, l)})`;
      case "Add":
      case "Sub":
      case "Mul":
      case "Div":
      case "Mod":
      case "FloorDiv":
      case "FloorMod":
      case "Min":
      case "Max": {
        const b = e as BinaryOp;
        const x = this.lane(b.a, l), y = this.lane(b.b, l);
        const et = t.element();
        if (e.kind === "Min" || e.kind === "Max") return `weft_${e.kind === "Min" ? "min" : "max"}_${shortName(et)}(${x}, ${y})`;
        if (e.kind === "FloorDiv" || e.kind === "FloorMod") {
          if (et.isFloat()) {
            const fl = et.bits === 32 ? "floorf" : "floor";
            return e.kind === "FloorDiv" ? `${fl}(${x} / ${y})` : `({ ${cScalarType(et)} _a = ${x}, _b = ${y}; _a - ${fl}(_a / _b) * _b; })`;
          }
          return `weft_${e.kind === "FloorDiv" ? "floordiv" : "floormod"}_${shortName(et)}(${x}, ${y})`;
        }
        if (e.kind === "Mod" && et.isFloat()) return `${et.bits === 32 ? "fmodf" : "fmod"}(${x}, ${y})`;
        const op = { Add: "+", Sub: "-", Mul: "*", Div: "/", Mod: "%" }[e.kind];
        return this.wrap(et, `(${x} ${op} ${y})`);
      }
      case "EQ":
      case "NE":
      case "LT":
      case "LE":
      case "GT":
      case "GE": {
        const c = e as CmpOp;
        const op = { EQ: "==", NE: "!=", LT: "<", LE: "<=", GT: ">", GE: ">=" }[e.kind];
        return `(${this.lane(c.a, l)} ${op} ${this.lane(c.b, l)})`;
      }
      case "And":
        return `(${this.lane((e as And).a, l)} && ${this.lane((e as And).b, l)})`;
      case "Or":
        return `(${this.lane((e as Or).a, l)} || ${this.lane((e as Or).b, l)})`;
      case "Not":
        return `(!${this.lane((e as Not).a, l)})`;
      case "Select": {
        const s = e as Select;
        return `(${this.lane(s.condition, l)} ? ${this.lane(s.trueValue, l)} : ${this.lane(s.falseValue, l)})`;
      }
      case "BufferLoad": {
        const b = e as BufferLoad;
        if (b.buffer.dtype.lanes !== 1) break;
        const load = `${this.dataPtr(b.buffer)}[${this.lane(this.flatIndex(b.buffer, b.indices), l)}]`;
        return b.predicate ? `(${this.lane(b.predicate, l)} ? ${load} : (${cScalarType(t)})0)` : load;
      }
      case "Call":
        return this.call(e as Call, (x) => this.lane(x, l));
      default:
        break;
    }
    return `(${this.vecExpr(e)})[${l}]`;
  }
}

function isConst(e: PrimExpr, v: number): boolean {
  return e instanceof IntImm && e.value === v;
}

/** Free variables of an expression (in first-use order). */
function freeVars(e: PrimExpr): Var[] {
  const out: Var[] = [];
  const walk = (x: unknown): void => {
    if (x instanceof Var) {
      if (!out.includes(x)) out.push(x);
      return;
    }
    if (x instanceof PrimExpr) {
      for (const k of Object.keys(x)) {
        const v = (x as unknown as Record<string, unknown>)[k];
        if (v instanceof PrimExpr) walk(v);
        else if (Array.isArray(v)) v.forEach(walk);
      }
    }
  };
  walk(e);
  return out;
}

/** Recognizes `base + stride * lane` shapes: Ramp, Broadcast, and sums / scalings of them. */
export function asRamp(e: PrimExpr): { base: PrimExpr; stride: PrimExpr } | undefined {
  const t = e.dtype.element();
  const zero = new IntImm(t, 0);
  if (e.dtype.lanes === 1) return { base: e, stride: zero };
  if (e instanceof Ramp) return { base: e.base, stride: e.stride };
  if (e instanceof Broadcast) return { base: e.value, stride: zero };
  if (e.kind === "Add" || e.kind === "Sub") {
    const b = e as BinaryOp;
    const x = asRamp(b.a), y = asRamp(b.b);
    if (!x || !y) return undefined;
    const mk = (p: PrimExpr, q: PrimExpr): PrimExpr => {
      if (e.kind === "Add") {
        if (isConst(q, 0)) return p;
        if (isConst(p, 0)) return q;
      } else if (isConst(q, 0)) return p;
      return new (b.constructor as new (a: PrimExpr, b: PrimExpr) => PrimExpr)(p, q);
    };
    return { base: mk(x.base, y.base), stride: foldConst(mk(x.stride, y.stride)) };
  }
  if (e.kind === "Mul") {
    const b = e as BinaryOp;
    const x = asRamp(b.a), y = asRamp(b.b);
    if (!x || !y) return undefined;
    // One side must be uniform (stride 0).
    if (isConst(y.stride, 0)) return { base: new (b.constructor as new (a: PrimExpr, b: PrimExpr) => PrimExpr)(x.base, y.base), stride: foldConst(mulExpr(x.stride, y.base)) };
    if (isConst(x.stride, 0)) return { base: new (b.constructor as new (a: PrimExpr, b: PrimExpr) => PrimExpr)(x.base, y.base), stride: foldConst(mulExpr(y.stride, x.base)) };
  }
  return undefined;
}

function mulExpr(a: PrimExpr, b: PrimExpr): PrimExpr {
  if (isConst(a, 0) || isConst(b, 0)) return new IntImm(a.dtype, 0);
  if (isConst(a, 1)) return b;
  if (isConst(b, 1)) return a;
  if (a instanceof IntImm && b instanceof IntImm) return new IntImm(a.dtype, Math.imul(a.value, b.value));
  return new Mul(a, b);
}

function foldConst(e: PrimExpr): PrimExpr {
  if ((e.kind === "Add" || e.kind === "Sub" || e.kind === "Mul") && e.dtype.bits <= 32) {
    const b = e as BinaryOp;
    if (b.a instanceof IntImm && b.b instanceof IntImm) {
      const v = e.kind === "Add" ? b.a.value + b.b.value : e.kind === "Sub" ? b.a.value - b.b.value : Math.imul(b.a.value, b.b.value);
      if (Number.isSafeInteger(v) && v >= -(2 ** 31) && v < 2 ** 31) return new IntImm(e.dtype, v);
    }
  }
  return e;
}

/** Flat element index of an access (the identity for flattened 1-D buffers with offset 0). */
export function flattenIndex(buf: Buffer, indices: readonly PrimExpr[]): PrimExpr {
  const lanes = Math.max(1, ...indices.map((i) => i.dtype.lanes));
  const it = indices[0]?.dtype.element() ?? buf.elemOffset.dtype;
  const bc = (x: PrimExpr): PrimExpr => {
    let y = x.dtype.element() !== it && x.dtype.lanes === 1 ? castTo(it, x) : x;
    if (lanes > 1 && y.dtype.lanes === 1) y = new Broadcast(y, lanes);
    return y;
  };
  let flat: PrimExpr | undefined;
  const n = indices.length;
  let stride: PrimExpr = new IntImm(it, 1);
  for (let d = n - 1; d >= 0; d--) {
    const s = buf.strides.length ? buf.strides[d]! : stride;
    const idx = indices[d]!;
    const sv = castTo(it, s);
    const term = isConst(sv, 1) ? idx : mulExpr(idx, idx.dtype.lanes > 1 ? bc(sv) : sv);
    flat = flat ? new Add(bc(term), bc(flat)) : term;
    if (!buf.strides.length) stride = foldConst(mulExpr(stride, castTo(it, buf.shape[d]!)));
  }
  flat ??= new IntImm(it, 0);
  if (!isConst(buf.elemOffset, 0)) flat = new Add(bc(flat), bc(castTo(it, buf.elemOffset)));
  return flat;
}

function castTo(t: DataType, e: PrimExpr): PrimExpr {
  return e.dtype === t ? e : new Cast(t, e);
}

/** Renders every PrimFunc of `mod` into one C translation unit. */
export function codegenC(mod: IRModule, opts: CodegenOptions = {}): CSource {
  const r = new CRenderer(opts);
  const funcs = new Map<string, CFuncInfo>();
  const bodies: string[] = [];
  for (const [gv, f] of mod.entries()) {
    if (!(f instanceof PrimFunc)) continue;
    // Not `main` (GCC optimizes main as code run once) nor a C keyword or a weft_ helper name.
    let sym = gv.name.replace(/[^A-Za-z0-9_]/g, "_");
    if (!/^[A-Za-z_]/.test(sym) || C_KEYWORDS.has(sym) || sym.startsWith("weft_")) sym = `weft_fn_${sym}`;
    const { code, info } = r.renderFunc(sym, f);
    funcs.set(gv.name, info);
    bodies.push(code);
  }
  return { code: `${r.header()}\n${bodies.join("\n")}`, funcs };
}
