/**
 * What one wasm module shares between its functions: the JavaScript functions it imports (math
 * in double precision, the interpreter's per-dtype arithmetic and casts, assert_fail), the i32
 * division / modulo helpers that never trap (truncating, floor and unsigned), and the static
 * memory region for constant-size temporaries.
 */
import binaryen from "binaryen";
import { jsImport } from "../kernel_imports.js";
import { type Ref, WASM_GUARD_BYTES, alignUp } from "./wasm_types.js";

/** Shared state of one binaryen module (imports, helpers, static memory). */
export class ModuleBuilder {
  readonly m = new binaryen.Module();
  readonly imports: Record<string, (...a: number[]) => number> = {};
  /** Import name -> its recipe (src/target/kernel_imports.ts), so that a cached module can rebuild its imports. */
  readonly importRecipes: Record<string, string> = {};
  private readonly importName = new Map<string, string>();
  readonly messages: string[] = [];
  private readonly helpers = new Set<string>();
  staticEnd = WASM_GUARD_BYTES;
  /** Parallel loops may run on worker threads (the memory is shared). */
  parallel = false;
  /** Micro-kernels may use relaxed SIMD (WasmCodegenOptions.relaxedSimd). */
  relaxedSimd = false;
  /** Some function uses a relaxed-SIMD instruction (the binary then needs an engine that has them). */
  usesRelaxedSimd = false;
  /** Outlined parallel loop bodies, by table index (wasm_parallel.ts). */
  readonly outlined: string[] = [];
  /** Address of the parallel control block, once a loop is outlined. */
  ctl: number | undefined;
  /** Calls of importFn so far: code that calls JavaScript cannot run on a worker. */
  jsImportUses = 0;

  /** Name of the imported JS function of a recipe (src/target/kernel_imports.ts): `n` f64 arguments, an f64 result. */
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

