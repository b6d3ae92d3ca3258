/**
 * What one wasm module shares between its functions: the JavaScript functions it imports (math
 * in double precision, the interpreter's per-dtype arithmetic and casts, assert_fail), the i32
 * division / modulo helpers that never trap (truncating, floor and unsigned), and the static
 * memory region for constant-size temporaries.
 */
import binaryen from "binaryen";
import { jsImport } from "./wasm_js_imports.js";
import { type Ref, WASM_GUARD_BYTES, alignUp } from "./wasm_types.js";

/** Shared state of one binaryen module (imports, helpers, static memory). */
export class ModuleBuilder {
  readonly m = new binaryen.Module();
  readonly imports: Record<string, (...a: number[]) => number> = {};
  /** Import name -> its recipe (wasm_js_imports.ts), so that a cached module can rebuild its imports. */
  readonly importRecipes: Record<string, string> = {};
  private readonly importName = new Map<string, string>();
  readonly messages: string[] = [];
  private readonly helpers = new Set<string>();
  staticEnd = WASM_GUARD_BYTES;
  /** Parallel loops may run on worker threads (the memory is shared). */
  parallel = false;
  /** Outlined parallel loop bodies, by table index (wasm_parallel.ts). */
  readonly outlined: string[] = [];
  /** Address of the parallel control block, once a loop is outlined. */
  ctl: number | undefined;
  /** Calls of importFn so far: code that calls JavaScript cannot run on a worker. */
  jsImportUses = 0;

  /** Name of the imported JS function of a recipe (wasm_js_imports.ts): `n` f64 arguments, an f64 result. */
  importFn(recipe: string, n: number): string {
    this.jsImportUses++;
    let name = this.importName.get(recipe);
    if (name) return name;
    name = `${recipe.replace(/[^A-Za-z0-9_]/g, "_")}_${this.importName.size}`;
    this.importName.set(recipe, name);
    this.imports[name] = jsImport(recipe);
    this.importRecipes[name] = recipe;
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

  /**
   * `__exp_f32x4 (v128) -> v128` or `__exp_f32 (f32) -> f32`: expf in wasm itself (a call out to
   * JavaScript's Math.exp per lane costs ~100x more). x = n ln2 + r with |r| <= ln2/2 (n by
   * the 1.5 * 2^23 rounding trick, ln2 split Cody-Waite style), exp(r) by a degree-6 polynomial
   * (Cephes' expf coefficients), times 2^n built in the exponent bits as 2^(n/2) 2^(n - n/2) so
   * that subnormal results are right. Relative error within ~2 ulp (1e-6 is what tests ask);
   * x is clamped to [-104, 88.8] first: +inf -> inf, -inf -> 0, NaN stays NaN.
   */
  expF32(vector: boolean): string {
    const fname = vector ? "__exp_f32x4" : "__exp_f32";
    if (this.helpers.has(fname)) return fname;
    this.helpers.add(fname);
    const m = this.m;
    const T = vector ? binaryen.v128 : binaryen.f32;
    const X = 0, TT = 1, N = 2, R = 3, P = 4;
    const get = (i: number, ty: binaryen.Type = T): Ref => m.local.get(i, ty);
    const c = (v: number): Ref => (vector ? m.f32x4.splat(m.f32.const(v)) : m.f32.const(v));
    const ci = (v: number): Ref => (vector ? m.i32x4.splat(m.i32.const(v)) : m.i32.const(v));
    const f = vector ? m.f32x4 : m.f32;
    const add = (a: Ref, b: Ref): Ref => f.add(a, b), sub = (a: Ref, b: Ref): Ref => f.sub(a, b), mul = (a: Ref, b: Ref): Ref => f.mul(a, b);
    // Integer ops on the bits: i32x4 on a v128, i32 on the reinterpreted f32.
    const NT = vector ? binaryen.v128 : binaryen.i32;
    const bits = (x: Ref): Ref => (vector ? x : m.i32.reinterpret(x));
    const fromBits = (x: Ref): Ref => (vector ? x : m.f32.reinterpret(x));
    const isub = (a: Ref, b: Ref): Ref => (vector ? m.i32x4.sub(a, b) : m.i32.sub(a, b));
    const iadd = (a: Ref, b: Ref): Ref => (vector ? m.i32x4.add(a, b) : m.i32.add(a, b));
    const ishr = (a: Ref, k: number): Ref => (vector ? m.i32x4.shr_s(a, m.i32.const(k)) : m.i32.shr_s(a, m.i32.const(k)));
    const ishl = (a: Ref, k: number): Ref => (vector ? m.i32x4.shl(a, m.i32.const(k)) : m.i32.shl(a, m.i32.const(k)));
    // x > hi ? hi : x (a NaN compares false and stays).
    const clamp = (cmp: "gt" | "lt", lim: number): Ref =>
      vector
        ? m.v128.bitselect(c(lim), get(X), cmp === "gt" ? m.f32x4.gt(get(X), c(lim)) : m.f32x4.lt(get(X), c(lim)))
        : m.select(cmp === "gt" ? m.f32.gt(get(X), c(lim)) : m.f32.lt(get(X), c(lim)), c(lim), get(X));
    const MAGIC = 12582912; // 1.5 * 2^23
    const scale = (n: Ref): Ref => fromBits(ishl(iadd(n, ci(127)), 23));
    let poly = add(mul(c(1.98756915e-4), get(R)), c(1.3981999507e-3));
    for (const k of [8.3334519073e-3, 4.1665795894e-2, 1.6666665459e-1, 5.0000001201e-1]) poly = add(mul(poly, get(R)), c(k));
    const body = m.block(null, [
      m.local.set(X, clamp("gt", 88.8)),
      m.local.set(X, clamp("lt", -104)),
      m.local.set(TT, add(mul(get(X), c(1.4426950408889634)), c(MAGIC))),
      m.local.set(N, isub(bits(get(TT)), ci(0x4b400000))),
      m.local.set(TT, sub(get(TT), c(MAGIC))), // n as a float
      m.local.set(R, sub(get(X), mul(get(TT), c(0.693359375)))),
      m.local.set(R, sub(get(R), mul(get(TT), c(-2.12194440e-4)))),
      m.local.set(P, poly),
      m.local.set(P, add(add(mul(get(P), mul(get(R), get(R))), get(R)), c(1))),
      // p * 2^(n >> 1) * 2^(n - (n >> 1))
      mul(
        mul(get(P), scale(ishr(get(N, NT), 1))),
        scale(isub(get(N, NT), ishr(get(N, NT), 1))),
      ),
    ], T);
    m.addFunction(fname, binaryen.createType([T]), T, [T, NT, T, T], body);
    return fname;
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

