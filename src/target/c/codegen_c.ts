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
import { PrimExpr, Var } from "../../ir/expr.js";
import type { Buffer } from "../../ir/buffer.js";
import type { IRModule } from "../../ir/module.js";
import { PrimFunc } from "../../tir/function.js";
import { ukernelSource } from "./ukernels.js";
import { PRELUDE } from "./c_prelude.js";
import { FLOAT16_PRELUDE } from "./c_float16.js";
import { C_KEYWORDS, C_LIBRARY_NAMES, cScalarType } from "./c_types.js";
import { CParallelRenderer } from "./c_parallel.js";

export { CodegenError, cScalarType } from "./c_types.js";
export { asRamp, flattenIndex } from "./c_expr.js";

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

/** Renders one module; create one per build. */
class CRenderer extends CParallelRenderer {
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
    let s = PRELUDE + FLOAT16_PRELUDE;
    for (const t of this.vecTypes.values()) s += t;
    s += ukernelSource(this.ukernels);
    for (const p of this.externProtos.values()) s += p;
    for (const w of this.workspaces) s += w;
    for (const o of this.outlined) s += o;
    return s;
  }
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

/** Renders every PrimFunc of `mod` into one C translation unit. */
export function codegenC(mod: IRModule, opts: CodegenOptions = {}): CSource {
  const r = new CRenderer(opts);
  const funcs = new Map<string, CFuncInfo>();
  const bodies: string[] = [];
  for (const [gv, f] of mod.entries()) {
    if (!(f instanceof PrimFunc)) continue;
    // Not `main` (GCC optimizes main as code run once), a C keyword, a C library name or a weft_ helper name.
    let sym = gv.name.replace(/[^A-Za-z0-9_]/g, "_");
    if (!/^[A-Za-z_]/.test(sym) || C_KEYWORDS.has(sym) || C_LIBRARY_NAMES.has(sym) || sym.startsWith("weft_")) sym = `weft_fn_${sym}`;
    const { code, info } = r.renderFunc(sym, f);
    funcs.set(gv.name, info);
    bodies.push(code);
  }
  return { code: `${r.header()}\n${bodies.join("\n")}`, funcs };
}
