/**
 * Blocks: `with T.block("name"):` followed, in this order, by the iter vars (consecutive
 * spatial/reduce vars bound to an enclosing loop var with the same domain grouped into
 * `T.axis.remap`), `T.where`, `T.reads`, `T.writes` (always), `T.block_attr`,
 * block-local `T.alloc_buffer` / `T.match_buffer`, `with T.init():` and the body.
 */
import type { PrimExpr, Var } from "../../../ir/expr.js";
import * as E from "../../../ir/expr_ops.js";
import type { Block, BlockRealize, IterVar, MatchBufferRegion } from "../../stmt.js";
import { exprDeepEqual, isIntConst } from "./analysis.js";
import { bufferDecl, regionText } from "./buffer.js";
import { inContext, type Frame, type PrinterContext } from "./context.js";
import { line, scope, type StmtDoc } from "./doc.js";
import { dictText, exprText } from "./expr.js";
import { callText, quote, tupleText } from "./literal.js";
import { asDocBody } from "./stmt.js";

const AXIS_KIND: Readonly<Record<string, string>> = {
  DataPar: "spatial",
  CommReduce: "reduce",
  Ordered: "scan",
  Opaque: "opaque",
};

export function blockDoc(p: PrinterContext, block: Block, realize: BlockRealize | undefined): StmtDoc {
  return inContext(`block ${quote(block.nameHint)}`, () => blockDocInner(p, block, realize));
}

function blockDocInner(p: PrinterContext, block: Block, realize: BlockRealize | undefined): StmtDoc {
  const f = p.enter(block);
  try {
    iterVarDocs(p, block, realize, f);
    if (realize && !isIntConst(realize.predicate, 1)) {
      f.stmts.push(line(callText(p.T("where"), [exprText(p, realize.predicate)])));
    }
    f.stmts.push(line(callText(p.T("reads"), block.reads.map((r) => regionText(p, r)))));
    f.stmts.push(line(callText(p.T("writes"), block.writes.map((r) => regionText(p, r)))));
    if (Object.keys(block.annotations).length > 0) {
      f.stmts.push(line(callText(p.blockWord("block_attr"), [dictText(p, Object.entries(block.annotations))])));
    }
    for (const b of block.allocBuffers) {
      const lhs = p.define(b, b.name, f, "buffer");
      f.stmts.push(line(`${lhs} = ${bufferDecl(p, b, p.blockWord("alloc_buffer"), [], f, "data")}`));
    }
    for (const m of block.matchBuffers) f.stmts.push(matchBufferDoc(p, m, f));
    if (block.init) {
      const init = p.enter(block.init);
      asDocBody(p, block.init, init);
      p.exit(init);
      f.stmts.push(scope(`with ${p.T("init")}():`, init.stmts));
    }
    asDocBody(p, block.body, f);
  } finally {
    p.exit(f);
  }
  const kwargs: Array<[string, string]> = realize ? [] : [["no_realize", "True"]];
  return scope(`with ${callText(p.blockWord("block"), [quote(block.nameHint)], kwargs)}:`, f.stmts);
}

function iterVarDocs(p: PrinterContext, block: Block, realize: BlockRealize | undefined, f: Frame): void {
  let group: number[] = [];
  const flush = () => {
    if (group.length === 1) {
      singleIterVar(p, block, realize, group[0]!, f);
    } else if (group.length > 1) {
      const names: string[] = [];
      const loopVars: string[] = [];
      let kinds = "";
      for (const i of group) {
        const iv = block.iterVars[i]!;
        names.push(p.define(iv.variable, iv.variable.name, f));
        loopVars.push(exprText(p, realize!.iterValues[i]!));
        kinds += iv.iterType === "DataPar" ? "S" : "R";
      }
      const rhs = callText(p.T("axis.remap"), [quote(kinds), `[${loopVars.join(", ")}]`]);
      f.stmts.push(line(`${names.join(", ")} = ${rhs}`));
    }
    group = [];
  };
  for (let i = 0; i < block.iterVars.length; i++) {
    if (remappable(p, block.iterVars[i]!, realize?.iterValues[i])) {
      group.push(i);
    } else {
      flush();
      singleIterVar(p, block, realize, i, f);
    }
  }
  flush();
}

/** Bound to exactly an enclosing loop's variable, over the same domain as that loop. */
function remappable(p: PrinterContext, iv: IterVar, binding: PrimExpr | undefined): boolean {
  if (binding === undefined || (iv.iterType !== "DataPar" && iv.iterType !== "CommReduce")) return false;
  if (binding.kind !== "Var" && binding.kind !== "SizeVar") return false;
  const loop = p.loops.get(binding as Var);
  return loop !== undefined && exprDeepEqual(loop.min, iv.dom.min) && exprDeepEqual(loop.extent, iv.dom.extent);
}

function singleIterVar(p: PrinterContext, block: Block, realize: BlockRealize | undefined, i: number, f: Frame): void {
  const iv = block.iterVars[i]!;
  const kind = AXIS_KIND[iv.iterType];
  if (kind === undefined) {
    throw new Error(
      `printScript: iter var ${iv.variable.name} has type ${iv.iterType}, which a block cannot declare (expected DataPar, CommReduce, Ordered or Opaque)`,
    );
  }
  const dom = isIntConst(iv.dom.min, 0)
    ? exprText(p, iv.dom.extent)
    : tupleText([exprText(p, iv.dom.min), exprText(p, E.add(iv.dom.min, iv.dom.extent))]);
  const args = realize ? [dom, exprText(p, realize.iterValues[i]!)] : [dom];
  const rhs = callText(p.T(`axis.${kind}`), args);
  f.stmts.push(line(`${p.define(iv.variable, iv.variable.name, f)} = ${rhs}`));
}

function matchBufferDoc(p: PrinterContext, m: MatchBufferRegion, f: Frame): StmtDoc {
  const lhs = p.define(m.buffer, m.buffer.name, f, "buffer");
  const src = regionText(p, m.source);
  return line(`${lhs} = ${bufferDecl(p, m.buffer, p.T("match_buffer"), [src], f, "match")}`);
}
