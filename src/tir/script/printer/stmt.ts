/**
 * TIR statements -> statement docs. Scoped statements (LetStmt, AttrStmt, AssertStmt,
 * Allocate, DeclBuffer) use TVM's concise form when they are the last statement of their
 * enclosing body: `x: T.int32 = v` followed by the body at the same indentation; otherwise
 * `with T.LetStmt(v) as x:` with an indented body.
 */
import type { Buffer } from "../../../ir/buffer.js";
import type { Call, Var } from "../../../ir/expr.js";
import type { Op } from "../../../ir/op_registry.js";
import type {
  Allocate, AssertStmt, AttrStmt, Block, BlockRealize, BufferStore, DeclBuffer, Evaluate, For, IfThenElse, IterVar,
  LetStmt, SeqStmt, Stmt, While,
} from "../../stmt.js";
import { countVarUses, exprDeepEqual, isIntConst } from "./analysis.js";
import { blockDoc } from "./block.js";
import { bufferDecl, bufferIndices, bufferRef } from "./buffer.js";
import type { Frame, PrinterContext } from "./context.js";
import { line, scope, type StmtDoc } from "./doc.js";
import { attrValueText, dictText, exprText, typeAnnotation, varRef } from "./expr.js";
import { callText, dtypeName, quote } from "./literal.js";
import { forDoc } from "./loop.js";

/** Prints a body into `f`, flattening a SeqStmt; only the last statement may be concise. */
export function asDocBody(p: PrinterContext, s: Stmt, f: Frame): void {
  if (s.kind === "SeqStmt") {
    const seq = (s as SeqStmt).seq;
    for (let i = 0; i < seq.length; i++) {
      f.allowConcise = i === seq.length - 1;
      pushDocs(f, stmtDocs(p, seq[i]!));
    }
  } else {
    f.allowConcise = true;
    pushDocs(f, stmtDocs(p, s));
  }
}

function pushDocs(f: Frame, d: StmtDoc | StmtDoc[]): void {
  if (Array.isArray(d)) {
    for (const x of d) f.stmts.push(x);
  } else {
    f.stmts.push(d);
  }
}

/** One statement; an array when a concise scope splices its body into the parent. */
export function stmtDocs(p: PrinterContext, s: Stmt): StmtDoc | StmtDoc[] {
  const d = stmtDocsInner(p, s);
  if (p.marking && (p.highlight.has(s) || (s.kind === "BlockRealize" && p.highlight.has((s as BlockRealize).block)))) {
    const first = Array.isArray(d) ? d[0] : d;
    if (first) first.mark = true;
  }
  return d;
}

function stmtDocsInner(p: PrinterContext, s: Stmt): StmtDoc | StmtDoc[] {
  switch (s.kind) {
    case "Evaluate":
      return evaluateDoc(p, s as Evaluate);
    case "BufferStore":
      return storeDoc(p, s as BufferStore);
    case "LetStmt":
      return letDoc(p, s as LetStmt);
    case "AttrStmt":
      return attrDoc(p, s as AttrStmt);
    case "AssertStmt":
      return assertDoc(p, s as AssertStmt);
    case "Allocate":
      return allocateDoc(p, s as Allocate);
    case "DeclBuffer":
      return declBufferDoc(p, s as DeclBuffer, "none");
    case "For":
      return forDoc(p, s as For);
    case "While":
      return whileDoc(p, s as While);
    case "SeqStmt": {
      const f = p.enter(s);
      asDocBody(p, s, f);
      p.exit(f);
      return f.stmts;
    }
    case "IfThenElse":
      return ifDoc(p, s as IfThenElse);
    case "BlockRealize":
      return blockDoc(p, (s as BlockRealize).block, s as BlockRealize);
    case "Block":
      return blockDoc(p, s as Block, undefined);
    default:
      throw new Error(`printScript: cannot print a statement of kind ${s.kind}`);
  }
}

/** Whether the statement about to be printed may use the concise form. */
function concise(p: PrinterContext): boolean {
  return p.top().allowConcise;
}

/** Concise: `lhs = rhs` (or bare `rhs`) followed by the body; else `with rhs as lhs:`. */
function scoped(lhs: string | undefined, rhs: string, body: StmtDoc[], isConcise: boolean): StmtDoc | StmtDoc[] {
  if (isConcise) return [line(lhs === undefined ? rhs : `${lhs} = ${rhs}`), ...body];
  return scope(`with ${rhs}${lhs === undefined ? "" : ` as ${lhs}`}:`, body);
}

function evaluateDoc(p: PrinterContext, s: Evaluate): StmtDoc {
  const v = s.value;
  if (v.kind === "Call") {
    const c = v as Call;
    if (c.op.kind === "Op" && (c.op as Op).name === "tir.ret" && c.args.length === 1) return line(`return ${exprText(p, c.args[0]!)}`);
    return line(exprText(p, v));
  }
  return line(callText(p.T("evaluate"), [exprText(p, v)]));
}

function storeDoc(p: PrinterContext, s: BufferStore): StmtDoc {
  const buf = bufferRef(p, s.buffer);
  const idx = bufferIndices(p, s.indices, !s.predicate);
  const value = exprText(p, s.value);
  if (s.predicate) {
    return line(callText(`${buf}.vstore`, [`[${idx.join(", ")}]`, value], [["predicate", exprText(p, s.predicate)]]));
  }
  return line(`${buf}[${idx.length === 0 ? "()" : idx.join(", ")}] = ${value}`);
}

function letDoc(p: PrinterContext, s: LetStmt): StmtDoc | StmtDoc[] {
  const isConcise = concise(p);
  const type = typeAnnotation(p, s.variable);
  const rhs = exprText(p, s.value);
  const f = p.enter(s);
  const alreadyDefined = p.isDefined(s.variable);
  if (!alreadyDefined) p.define(s.variable, s.variable.name, f);
  const lhs = varRef(p, s.variable);
  if (s.variable.dtype.isHandle()) withDataFrame(p, s.variable, f, () => asDocBody(p, s.body, f));
  else asDocBody(p, s.body, f);
  p.exit(f);
  if (alreadyDefined) return scope(`with ${callText(p.T("LetStmt"), [rhs], [["var", lhs]])}:`, f.stmts);
  if (isConcise) return [line(`${lhs}: ${type} = ${rhs}`), ...f.stmts];
  const args = s.variable.typeAnnotation ? [rhs, type] : [rhs];
  return scope(`with ${callText(p.T("LetStmt"), args)} as ${lhs}:`, f.stmts);
}

function attrDoc(p: PrinterContext, s: AttrStmt): StmtDoc | StmtDoc[] {
  const isConcise = concise(p);
  let rhs: string | undefined;
  let defineVar: Var | undefined;
  const node = s.node as { kind?: string };
  if ((s.attrKey === "thread_extent" || s.attrKey === "virtual_thread") && node.kind === "IterVar") {
    const iv = s.node as IterVar;
    const launch = p.T("launch_thread");
    if (p.isDefined(iv.variable)) {
      rhs = callText(launch, [varRef(p, iv.variable), exprText(p, s.value)]);
    } else if (usedOnlyInside(p, s, iv.variable)) {
      rhs = callText(launch, [quote(iv.threadTag), exprText(p, s.value)]);
      defineVar = iv.variable;
    } else {
      const f = p.declFrame ?? p.top();
      const name = p.define(iv.variable, iv.variable.name, f);
      f.stmts.push(line(`${name} = ${callText(p.T("env_thread"), [quote(iv.threadTag)])}`));
      rhs = callText(launch, [name, exprText(p, s.value)]);
    }
  }
  if (rhs === undefined) {
    const target = typeof s.node === "string" ? quote(s.node) : attrValueText(p, s.node);
    rhs = callText(p.T("attr"), [target, quote(s.attrKey), exprText(p, s.value)]);
  }
  const f = p.enter(s);
  const lhs = defineVar ? p.define(defineVar, defineVar.name, f) : undefined;
  asDocBody(p, s.body, f);
  p.exit(f);
  return scoped(lhs, rhs, f.stmts, isConcise);
}

/** Whether every use of `v` in the printed function lies in the body of `s`. */
function usedOnlyInside(p: PrinterContext, s: AttrStmt, v: Var): boolean {
  if (!p.useRoot) return true;
  p.useCounts ??= countVarUses(p.useRoot);
  return (countVarUses(s.body).get(v) ?? 0) === (p.useCounts.get(v) ?? 0);
}

function assertDoc(p: PrinterContext, s: AssertStmt): StmtDoc | StmtDoc[] {
  const isConcise = concise(p);
  const cond = exprText(p, s.condition);
  const msg = exprText(p, s.message);
  const f = p.enter(s);
  asDocBody(p, s.body, f);
  p.exit(f);
  if (isConcise) return [line(`assert ${cond}, ${msg}`), ...f.stmts];
  return scope(`with ${callText(p.T("Assert"), [cond, msg])}:`, f.stmts);
}

/** Runs `print` with `frame` as the place for undeclared buffers over the data variable `data`. */
function withDataFrame(p: PrinterContext, data: Var, frame: Frame, print: () => void): void {
  const prev = p.dataFrames.get(data);
  p.dataFrames.set(data, frame);
  try {
    print();
  } finally {
    if (prev) p.dataFrames.set(data, prev);
    else p.dataFrames.delete(data);
  }
}

/** An Allocate whose body declares exactly the allocated buffer prints as one `T.decl_buffer`. */
function isAllocateDeclBuffer(s: Allocate): boolean {
  if (s.body.kind !== "DeclBuffer") return false;
  const buf: Buffer = (s.body as DeclBuffer).buffer;
  if (buf.data !== s.bufferVar || buf.dtype !== s.dtype || !isIntConst(s.condition, 1)) return false;
  if (Object.keys(s.annotations).length > 0 || s.extents.length !== buf.shape.length) return false;
  return s.extents.every((e, i) => exprDeepEqual(e, buf.shape[i]!));
}

function allocateDoc(p: PrinterContext, s: Allocate): StmtDoc | StmtDoc[] {
  const isConcise = concise(p);
  if (isAllocateDeclBuffer(s)) return declBufferDoc(p, s.body as DeclBuffer, "data");
  const args = [
    `[${s.extents.map((e) => exprText(p, e)).join(", ")}]`,
    quote(dtypeName(s.dtype)),
    quote(s.bufferVar.typeAnnotation?.storageScope || "global"),
  ];
  if (!isIntConst(s.condition, 1)) args.push(exprText(p, s.condition));
  const kwargs: Array<[string, string]> = [];
  if (Object.keys(s.annotations).length > 0) kwargs.push(["annotations", dictText(p, Object.entries(s.annotations))]);
  const lhs = p.define(s.bufferVar, s.bufferVar.name, p.top());
  const f = p.enter(s);
  const rhs = callText(p.T("allocate"), args, kwargs);
  withDataFrame(p, s.bufferVar, f, () => asDocBody(p, s.body, f));
  p.exit(f);
  return scoped(lhs, rhs, f.stmts, isConcise);
}

function declBufferDoc(p: PrinterContext, s: DeclBuffer, defs: "none" | "data"): StmtDoc | StmtDoc[] {
  const isConcise = concise(p);
  const rhs = bufferDecl(p, s.buffer, p.T("decl_buffer"), [], p.top(), defs);
  const f = p.enter(s);
  const lhs = p.define(s.buffer, s.buffer.name, f, "buffer");
  asDocBody(p, s.body, f);
  p.exit(f);
  return scoped(lhs, rhs, f.stmts, isConcise);
}

function whileDoc(p: PrinterContext, s: While): StmtDoc {
  const cond = exprText(p, s.condition);
  const f = p.enter(s);
  asDocBody(p, s.body, f);
  p.exit(f);
  return scope(`while ${cond}:`, f.stmts);
}

function ifDoc(p: PrinterContext, s: IfThenElse): StmtDoc {
  const cond = exprText(p, s.condition);
  const then = p.enter(s.thenCase);
  asDocBody(p, s.thenCase, then);
  p.exit(then);
  let orelse: StmtDoc[] = [];
  if (s.elseCase) {
    const f = p.enter(s.elseCase);
    asDocBody(p, s.elseCase, f);
    p.exit(f);
    orelse = f.stmts;
  }
  return { kind: "if", header: `if ${cond}:`, then: then.stmts, orelse };
}
