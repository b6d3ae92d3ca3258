/**
 * What one wasm module shares between its functions: the JavaScript functions it imports (math
 * in double precision, the interpreter's per-dtype arithmetic and casts, assert_fail), the i32
 * division / modulo helpers that never trap (truncating, floor and unsigned), and the static
 * memory region for constant-size temporaries.
 */
import binaryen from "binaryen";
import { cpow, erf, ldexp } from "../../tir/interp/math.js";
import { type Ref, WASM_GUARD_BYTES, alignUp } from "./wasm_types.js";

/** Shared state of one binaryen module (imports, helpers, static memory). */
export class ModuleBuilder {
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


/** Math functions lowered to a call of JavaScript's Math (or the interpreter's functions), in double precision. */
export const floatUnary: Record<string, (x: number) => number> = {
  exp: Math.exp, log: Math.log, log2: Math.log2, log10: Math.log10, log1p: Math.log1p, expm1: Math.expm1,
  tanh: Math.tanh, sin: Math.sin, cos: Math.cos, tan: Math.tan, asin: Math.asin, acos: Math.acos, atan: Math.atan,
  sinh: Math.sinh, cosh: Math.cosh, asinh: Math.asinh, acosh: Math.acosh, atanh: Math.atanh,
  exp2: (x) => 2 ** x, exp10: (x) => 10 ** x, rsqrt: (x) => 1 / Math.sqrt(x), sigmoid: (x) => 1 / (1 + Math.exp(-x)),
  erf,
};
export const floatBinary: Record<string, (x: number, y: number) => number> = {
  pow: cpow, atan2: Math.atan2, hypot: Math.hypot, ldexp, fmod: (a, b) => a % b,
};
