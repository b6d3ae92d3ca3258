/**
 * `printScript`: any printable IR node -> TVMScript text, and the hook that makes
 * `String(node)` read as TVMScript.
 *
 * - PrimFunc / IRModule: a complete script with the `# from tvm.script import ...` header.
 * - Stmt: a body fragment; variables and buffers it uses without defining are declared first.
 * - PrimExpr, BufferRegion: the expression text alone.
 * - Buffer: its declaration, `A = T.Buffer((128, 128))`.
 * - Range: `I.Range(min, min + extent)`; IterVar: `T.iter_var(...)`.
 */
import { Buffer, BufferRegion } from "../../../ir/buffer.js";
import { GlobalVar, PrimExpr, Range, setNodePrinter } from "../../../ir/expr.js";
import { IRModule } from "../../../ir/module.js";
import type { Node } from "../../../ir/node.js";
import { PrimFunc } from "../../function.js";
import { IterVar, MatchBufferRegion, Stmt } from "../../stmt.js";
import { bufferDecl, regionText } from "./buffer.js";
import { PrinterContext, type PrintOptions } from "./context.js";
import { line, renderDocs, type StmtDoc } from "./doc.js";
import { exprText, globalVarText, iterVarText, rangeText } from "./expr.js";
import { headerDocs, moduleDoc, primFuncDoc } from "./function.js";
import { callText, quote } from "./literal.js";
import { stmtDocs } from "./stmt.js";

export type { Dialect, PrintOptions } from "./context.js";

export function printScript(node: Node, options: PrintOptions = {}): string {
  const p = new PrinterContext(options);
  const docs = toDocs(p, node);
  return renderDocs(docs, { marks: p.marking });
}

function toDocs(p: PrinterContext, node: Node): StmtDoc[] {
  if (node instanceof IRModule) {
    const d = moduleDoc(p, node);
    return [...headerDocs(p), d];
  }
  if (node instanceof PrimFunc) {
    const d = primFuncDoc(p, node, undefined);
    return [...headerDocs(p), d];
  }
  // Fragments: one frame collects the declarations of whatever the node uses but does not define.
  const f = p.enter(null);
  p.declFrame = f;
  if (node instanceof Stmt) {
    p.useRoot = node;
    const d = stmtDocs(p, node);
    return f.stmts.concat(d);
  }
  if (node instanceof PrimExpr) return [line(exprText(p, node))];
  if (node instanceof BufferRegion) return [line(regionText(p, node))];
  if (node instanceof Buffer) {
    const name = p.define(node, node.name, f, "buffer");
    const rhs = bufferDecl(p, node, p.T("Buffer"), [], f, "data");
    return [...f.stmts, line(`${name} = ${rhs}`)];
  }
  if (node instanceof MatchBufferRegion) {
    const name = p.define(node.buffer, node.buffer.name, f, "buffer");
    const src = regionText(p, node.source);
    const rhs = bufferDecl(p, node.buffer, p.T("match_buffer"), [src], f, "match");
    return [...f.stmts, line(`${name} = ${rhs}`)];
  }
  if (node instanceof Range) return [line(rangeText(p, node, "I"))];
  if (node instanceof IterVar) return [line(iterVarText(p, node))];
  if (node instanceof GlobalVar) return [line(callText(p.I("GlobalVar"), [quote(globalVarText(p, node))]))];
  throw new Error(
    `printScript: cannot print a node of kind ${node.kind}; expected a PrimFunc, IRModule, Stmt, PrimExpr, Buffer, BufferRegion, Range or IterVar`,
  );
}

setNodePrinter((n: Node): string => {
  try {
    return printScript(n);
  } catch (e) {
    return `<${n.kind}: ${e instanceof Error ? e.message : String(e)}>`;
  }
});
