/**
 * Outlining of parallel loops: the body becomes `static void weft_par_N(lo, hi, ctx)` with the
 * outside variables it uses in a context struct, run by the prelude's thread pool
 * (`weft_parallel_for`).
 */
import type { Var } from "../../ir/expr.js";
import type { For } from "../../tir/stmt.js";
import { cScalarType } from "./c_types.js";
import { CStmtRenderer } from "./c_stmt.js";

/** The statement layer plus parallel-loop outlining. */
export abstract class CParallelRenderer extends CStmtRenderer {
  /**
   * A parallel loop: its body is outlined into `static void weft_par_N(lo, hi, ctx)` (the
   * variables it uses from outside travel in a context struct) and run by weft_parallel_for,
   * the prelude's thread pool (see PRELUDE for why not OpenMP).
   */
  protected parallelLoop(f: For, ind: string): string {
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
}
