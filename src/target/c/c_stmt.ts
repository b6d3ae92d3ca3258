/** Statement lowering of the C renderer: control flow, loops, allocation and buffer stores. */
import { Call, IntImm } from "../../ir/expr.js";
import type { Op } from "../../ir/op_registry.js";
import type {
  Allocate, AssertStmt, AttrStmt, BufferStore, DeclBuffer, Evaluate, For, IfThenElse, LetStmt, SeqStmt, Stmt, While,
} from "../../tir/stmt.js";
import { CodegenError, cScalarType } from "./c_types.js";
import { asRamp, isConst } from "./c_expr.js";
import { CVectorRenderer } from "./c_vector.js";

export interface Scope {
  inParallel: boolean;
}

/** Statements, on top of the expression layers; parallel loops are outlined by c_parallel.ts. */
export abstract class CStmtRenderer extends CVectorRenderer {
  protected abstract parallelLoop(f: For, ind: string): string;

  // ---------- statements ----------
  protected stmt(s: Stmt, ind: string, sc: Scope): string {
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

  protected forLoop(f: For, ind: string, sc: Scope): string {
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


  protected allocate(a: Allocate, ind: string, sc: Scope): string {
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
    // Heap-sized: a workspace slot of this Allocate, kept across calls (grown, never shrunk)
    // and thread-local, so concurrent calls and the pool's workers each have their own.
    const size = [String(a.dtype.lanes), ...a.extents.map((e) => `(size_t)(${this.expr(e)})`)].join(" * ");
    const slot = `weft_ws_${this.workspaces.length}`;
    this.workspaces.push(`static __thread weft_ws_slot ${slot};\n`);
    const fail = sc.inParallel ? `weft_set_error("weft: out of memory"); abort();` : `weft_set_error("weft: out of memory allocating ${n}"); return -1;`;
    return (
      `${ind}{\n${ind}  ${elem}* ${n} = (${elem}*)weft_ws_get(&${slot}, sizeof(${elem}) * ${size});\n${ind}  if (!${n}) { ${fail} }\n` +
      `${this.stmt(a.body, ind + "  ", sc)}${ind}}\n`
    );
  }


  protected store(s: BufferStore, ind: string): string {
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
}
