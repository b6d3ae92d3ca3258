/**
 * PrimFunc and IRModule. A function prints as `@T.prim_func` (`(private=True)` without a
 * `global_symbol`), its parameters on one line (simple buffers inlined as
 * `A: T.Buffer((m, n), "dtype")`, others as `a: T.handle` plus a `T.match_buffer` line),
 * then `T.func_attr`, variable declarations and match_buffer lines, and the body, where the
 * implicit root block shrinks to a `# with T.block("root"):` comment plus its allocations.
 * A module prints as `@I.ir_module class Module:` with `main` last and the rest by name.
 */
import type { Buffer } from "../../../ir/buffer.js";
import type { Var } from "../../../ir/expr.js";
import type { BaseFunc, IRModule } from "../../../ir/module.js";
import type { PrimFunc } from "../../function.js";
import type { Block, BlockRealize, Stmt } from "../../stmt.js";
import { containsBlockRealize, countVarOccurrences, isIntConst, isSimpleBuffer } from "./analysis.js";
import { bufferAnnotation, bufferDecl } from "./buffer.js";
import { inContext, type PrinterContext } from "./context.js";
import { line, type DefDoc, type StmtDoc } from "./doc.js";
import { dictText, typeAnnotation } from "./expr.js";
import { callText, dtypeName, quote } from "./literal.js";
import { asDocBody } from "./stmt.js";

/** The `# from tvm.script import ...` lines and the blank line after them. */
export function headerDocs(p: PrinterContext): StmtDoc[] {
  const out: StmtDoc[] = [];
  if (p.usesIr) out.push(line("# from tvm.script import ir as I"));
  if (p.usesTir) out.push(line("# from tvm.script import tir as T"));
  if (out.length > 0) out.push(line(""));
  return out;
}

/** The root block that prints as a comment: no bindings, annotations, regions or init. */
function implicitRootBlock(body: Stmt): Block | undefined {
  if (body.kind !== "BlockRealize") return undefined;
  const realize = body as BlockRealize;
  if (realize.iterValues.length !== 0 || !isIntConst(realize.predicate, 1)) return undefined;
  const b = realize.block;
  if (b.nameHint !== "root" || b.iterVars.length !== 0 || Object.keys(b.annotations).length !== 0) return undefined;
  if (b.matchBuffers.length !== 0 || b.reads.length !== 0 || b.writes.length !== 0 || b.init !== undefined) return undefined;
  if (b.allocBuffers.length > 0) return b;
  // A lone iter-var-free block inside would become the root itself when parsed back.
  if (b.body.kind === "BlockRealize") return (b.body as BlockRealize).block.iterVars.length > 0 ? b : undefined;
  return containsBlockRealize(b.body) ? b : undefined;
}

export function primFuncDoc(p: PrinterContext, func: PrimFunc, bindingName: string | undefined): DefDoc {
  const sym = func.attrs["global_symbol"];
  const name = bindingName ?? p.funcName ?? (typeof sym === "string" ? sym : "main");
  return inContext(`function ${quote(name)}`, () => primFuncDocInner(p, func, name, sym));
}

function primFuncDocInner(p: PrinterContext, func: PrimFunc, name: string, sym: unknown): DefDoc {
  const f = p.enter(func);
  const savedDecl = p.declFrame;
  const savedRoot = p.useRoot;
  const savedCounts = p.useCounts;
  p.declFrame = f;
  p.useRoot = func.body;
  p.useCounts = undefined;
  try {
    const dataUses = new Map<Var, number>();
    for (const b of func.bufferMap.values()) dataUses.set(b.data, (dataUses.get(b.data) ?? 0) + 1);
    let occurrences: Map<Var, number> | undefined;

    // Parameters: inline a buffer whose handle is used for nothing else.
    const params: string[] = [];
    const paramNames: string[] = [];
    const inlined = new Set<Buffer>();
    for (const v of func.params) {
      const buf = func.bufferMap.get(v);
      if (buf && isSimpleBuffer(buf) && dataUses.get(buf.data) === 1) {
        occurrences ??= countVarOccurrences(func);
        if (occurrences.get(v) === 2) {
          const bname = p.define(buf, buf.name, f, "buffer");
          params.push(`${bname}: ${bufferAnnotation(p, buf, f)}`);
          paramNames.push(bname);
          inlined.add(buf);
          continue;
        }
      }
      const vname = p.define(v, v.name, f);
      params.push(`${vname}: ${typeAnnotation(p, v)}`);
      paramNames.push(vname);
    }

    const attrs = Object.entries(func.attrs).filter(([k, v]) => !(k === "global_symbol" && v === name));
    if (attrs.length > 0) f.stmts.push(line(callText(p.T("func_attr"), [dictText(p, attrs)])));

    func.params.forEach((v, i) => {
      const buf = func.bufferMap.get(v);
      if (!buf || inlined.has(buf)) return;
      const lhs = p.define(buf, buf.name, f, "buffer");
      f.stmts.push(line(`${lhs} = ${bufferDecl(p, buf, p.T("match_buffer"), [paramNames[i]!], f, "match")}`));
    });

    const root = implicitRootBlock(func.body);
    if (root) {
      const comment = line(`# with ${callText(p.blockWord("block"), ['"root"'])}:`);
      if (p.isMarked(root) || p.isMarked(func.body)) comment.mark = true;
      f.stmts.push(comment);
      for (const b of root.allocBuffers) {
        const lhs = p.define(b, b.name, f, "buffer");
        f.stmts.push(line(`${lhs} = ${bufferDecl(p, b, p.blockWord("alloc_buffer"), [], f, "data")}`));
      }
      asDocBody(p, root.body, f);
    } else {
      asDocBody(p, func.body, f);
    }

    const ret = func.retType && !func.retType.isVoid() ? ` -> ${p.T(dtypeName(func.retType))}` : "";
    const decorator = sym !== undefined ? p.T("prim_func") : `${p.T("prim_func")}(private=True)`;
    return {
      kind: "def",
      decorators: [decorator],
      header: `def ${name}(${params.join(", ")})${ret}:`,
      body: f.stmts,
      blankAfter: true,
      mark: p.isMarked(func) || undefined,
    };
  } finally {
    p.declFrame = savedDecl;
    p.useRoot = savedRoot;
    p.useCounts = savedCounts;
    p.exit(f);
  }
}

/** Print order of module functions: `main` last, the rest by name. */
function moduleOrder(mod: IRModule): Array<[string, BaseFunc]> {
  const entries = [...mod.entries()].map(([g, fn]) => [g.name, fn] as [string, BaseFunc]);
  const rank = (n: string) => (n === "main" ? 1 : 0);
  return entries.sort((a, b) => rank(a[0]) - rank(b[0]) || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

export function moduleDoc(p: PrinterContext, mod: IRModule): DefDoc {
  const f = p.enter(mod);
  try {
    const cls = "Module";
    p.names.reserve(cls);
    const body: StmtDoc[] = [];
    if (Object.keys(mod.attrs).length > 0) body.push(line(callText(p.I("module_attrs"), [dictText(p, Object.entries(mod.attrs))])));
    const order = moduleOrder(mod);
    p.moduleGlobals = new Map(order.map(([n]) => [n, `cls.${n}`]));
    for (const [gname, fn] of order) {
      if (fn.kind !== "PrimFunc") {
        throw new Error(`printScript: function "${gname}" is a ${fn.kind}; only PrimFuncs can be printed as TVMScript here`);
      }
      body.push(primFuncDoc(p, fn as PrimFunc, gname));
    }
    return { kind: "def", decorators: [p.I("ir_module")], header: `class ${cls}:`, body, blankAfter: false };
  } finally {
    p.moduleGlobals = undefined;
    p.exit(f);
  }
}
