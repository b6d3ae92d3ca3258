/** dtype <-> C type names, C identifiers, and the renderer's naming / vector-typedef state. */
import type { DataType } from "../../ir/dtype.js";
import type { Var } from "../../ir/expr.js";
import type { CodegenOptions } from "./codegen_c.js";
import { narrowFloat } from "./c_float16.js";

export class CodegenError extends Error {
  override name = "CodegenError";
}

/** The C scalar type of one lane. */
export function cScalarType(t: DataType): string {
  const e = t.element();
  if (e.isBool()) return "bool";
  if (e.isHandle()) return e.isVoid() ? "void" : "void*";
  if (e.isFloat()) {
    if (e.code === "float" && e.bits === 32) return "float";
    if (e.code === "float" && e.bits === 64) return "double";
    // Kept in floats holding values rounded to the type (see c_float16.ts).
    if (e.bits === 16) return "float";
    throw new CodegenError(`c target: ${e} is not supported (float16, bfloat16, float32 and float64 are)`);
  }
  if (![8, 16, 32, 64].includes(e.bits)) throw new CodegenError(`c target: ${e} is not supported (8/16/32/64-bit integers are)`);
  return `${e.isUInt() ? "uint" : "int"}${e.bits}_t`;
}

export function shortName(t: DataType): string {
  const e = t.element();
  if (e.isFloat()) return e.code === "bfloat" ? "bf16" : `f${e.bits}`;
  if (e.isBool()) return "b";
  return `${e.isUInt() ? "u" : "i"}${e.bits}`;
}

export const C_KEYWORDS = new Set([
  "auto", "break", "case", "char", "const", "continue", "default", "do", "double", "else", "enum", "extern", "float", "for",
  "goto", "if", "inline", "int", "long", "register", "restrict", "return", "short", "signed", "sizeof", "static", "struct",
  "switch", "typedef", "union", "unsigned", "void", "volatile", "while", "bool", "true", "false", "main", "abs", "exp",
]);

/**
 * Names the C library declares (math.h functions and macros, the stdlib / string.h functions
 * the prelude uses): a PrimFunc named like one (a legalized `isnan`, `sqrt`, `round`) would
 * clash with the declaration or be expanded as a macro.
 */
export const C_LIBRARY_NAMES = new Set([
  "isnan", "isinf", "isfinite", "isnormal", "signbit", "fpclassify", "log", "log2", "log10", "log1p", "exp2", "expm1", "sqrt",
  "cbrt", "sin", "cos", "tan", "asin", "acos", "atan", "atan2", "sinh", "cosh", "tanh", "asinh", "acosh", "atanh", "erf",
  "erfc", "tgamma", "lgamma", "floor", "ceil", "round", "trunc", "rint", "nearbyint", "fmod", "remainder", "fabs", "fmin",
  "fmax", "pow", "hypot", "ldexp", "frexp", "modf", "copysign", "nan", "fma", "lround", "llround", "lrint", "div", "labs",
  "memcpy", "memset", "memmove", "malloc", "calloc", "realloc", "free", "abort", "exit", "qsort", "printf", "assert",
]);

/** The renderer's state, names and types; the layers in c_expr / c_vector / c_stmt / c_parallel build on it. */
export abstract class CRendererBase {
  protected readonly names = new Map<Var, string>();
  protected readonly used = new Set<string>();
  /** C element type that each handle var points to. */
  protected readonly ptrElem = new Map<Var, string>();
  protected readonly vecTypes = new Map<string, string>();
  protected readonly externs = new Set<string>();
  protected readonly ukernels = new Set<string>();
  protected readonly externProtos = new Map<string, string>();
  /** C declaration type of each defined variable (what an outlined parallel loop redeclares it as). */
  protected readonly declType = new Map<Var, string>();
  /** Outlined parallel loop bodies (context struct + function), emitted before the functions. */
  protected readonly outlined: string[] = [];
  /** Thread-local workspace slots of heap-sized Allocates (see weft_ws_get in the prelude). */
  protected readonly workspaces: string[] = [];
  protected tmp = 0;

  constructor(protected readonly opts: CodegenOptions) {}

  // ---------- names and types ----------
  protected fresh(hint: string): string {
    let base = hint.replace(/[^A-Za-z0-9_]/g, "_");
    if (!/^[A-Za-z_]/.test(base)) base = `v_${base}`;
    if (C_KEYWORDS.has(base) || base.startsWith("weft_")) base = `${base}_`;
    let n = base;
    for (let i = 1; this.used.has(n); i++) n = `${base}_${i}`;
    this.used.add(n);
    return n;
  }
  protected define(v: Var, ctype?: string): string {
    const n = this.fresh(v.name || "v");
    this.names.set(v, n);
    if (ctype) this.declType.set(v, ctype);
    return n;
  }
  protected nameOf(v: Var): string {
    const n = this.names.get(v);
    if (!n) throw new CodegenError(`c codegen: variable ${v.name} is used but not defined (is the function lowered?)`);
    return n;
  }
  protected tmpName(): string {
    return `_t${this.tmp++}`;
  }

  /** C type of a (possibly vector) dtype; vector types are typedef'd on demand. */
  type(t: DataType): string {
    if (t.lanes === 1) return cScalarType(t);
    const lanes = t.lanes;
    if ((lanes & (lanes - 1)) !== 0) throw new CodegenError(`c target: vector ${t} has ${lanes} lanes; only powers of two are supported`);
    // Bool vectors are masks of int8 lanes (nonzero = true).
    const elem = t.element().isBool() ? "int8_t" : cScalarType(t);
    const narrow = narrowFloat(t);
    const bytes = lanes * (t.element().isBool() ? 1 : narrow ? 4 : t.element().bytes());
    const name = `weft_${t.element().isBool() ? "bool" : shortName(t)}x${lanes}`;
    if (!this.vecTypes.has(name)) {
      let extra = "";
      if (!t.element().isBool()) extra += `WEFT_VMINMAX(${name})\n`;
      if (t.element().isFloat() && t.element().bits === 32) {
        extra += `typedef int32_t ${name}_i __attribute__((vector_size(${bytes})));\nWEFT_VEXP_F32(${name}, ${name}_i)\nWEFT_VMATH_F32(${name}, ${name}_i)\n`;
      }
      if (narrow) {
        extra += `typedef int32_t ${name}_i __attribute__((vector_size(${bytes})));\nWEFT_VRND_${narrow.toUpperCase()}(${name}, ${name}_i)\n`;
      }
      this.vecTypes.set(
        name,
        `typedef ${elem} ${name} __attribute__((vector_size(${bytes})));\n` +
          `static inline ${name} ${name}_ld(const void* p) { ${name} v; memcpy(&v, p, sizeof v); return v; }\n` +
          `static inline void ${name}_st(void* p, ${name} v) { memcpy(p, &v, sizeof v); }\n` +
          extra,
      );
    }
    return name;
  }
}
