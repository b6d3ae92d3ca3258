/**
 * For loops. A maximal chain (two or more) of directly nested serial loops starting at 0,
 * without annotations or step, whose extents do not use earlier chain variables, prints as
 * one `for i, j in T.grid(n, m):`. Any other loop prints alone: `range(...)` when serial
 * without annotations, else `T.serial / T.parallel / T.vectorized / T.unroll /
 * T.thread_binding` with keyword arguments `thread=`, `annotations=`, `step=` in that order.
 */
import type { Var } from "../../../ir/expr.js";
import * as E from "../../../ir/expr_ops.js";
import type { For } from "../../stmt.js";
import { isIntConst, mentionsVar } from "./analysis.js";
import type { Frame, PrinterContext } from "./context.js";
import { scope, type StmtDoc } from "./doc.js";
import { dictText, exprText } from "./expr.js";
import { callText, quote } from "./literal.js";
import { asDocBody } from "./stmt.js";

const KIND_FN: Readonly<Record<string, string>> = {
  parallel: "parallel",
  vectorized: "vectorized",
  unrolled: "unroll",
  thread_binding: "thread_binding",
};

function trivialStep(l: For): boolean {
  return l.step === undefined || isIntConst(l.step, 1);
}

function hasAnnotations(l: For): boolean {
  for (const _ in l.annotations) return true;
  return false;
}

/** The loops that fold into one `T.grid`, outermost first (a single loop when none fold). */
function gridChain(loop: For): For[] {
  const chain: For[] = [];
  const vars = new Set<Var>();
  for (let l: For | undefined = loop; l; l = l.body.kind === "For" ? (l.body as For) : undefined) {
    if (l.forKind !== "serial" || !isIntConst(l.min, 0) || hasAnnotations(l) || !trivialStep(l)) break;
    if (vars.size > 0 && mentionsVar(l.extent, vars)) break;
    chain.push(l);
    vars.add(l.loopVar);
  }
  return chain;
}

export function forDoc(p: PrinterContext, loop: For): StmtDoc {
  const grid = gridChain(loop);
  const f = p.enter(loop);
  const saved: Array<[Var, For | undefined]> = [];
  const register = (l: For) => {
    saved.push([l.loopVar, p.loops.get(l.loopVar)]);
    p.loops.set(l.loopVar, l);
  };
  let doc: StmtDoc;
  try {
    doc = grid.length > 1 ? gridDoc(p, grid, f, register) : singleDoc(p, loop, f, register);
  } finally {
    for (let i = saved.length - 1; i >= 0; i--) {
      const [v, prev] = saved[i]!;
      if (prev) p.loops.set(v, prev);
      else p.loops.delete(v);
    }
    p.exit(f);
  }
  if (p.marking && (grid.length > 1 ? grid : [loop]).some((l) => p.highlight.has(l))) doc.mark = true;
  return doc;
}

function gridDoc(p: PrinterContext, grid: readonly For[], f: Frame, register: (l: For) => void): StmtDoc {
  const names: string[] = [];
  const extents: string[] = [];
  for (const l of grid) {
    names.push(p.define(l.loopVar, l.loopVar.name, f));
    extents.push(exprText(p, l.extent));
    register(l);
  }
  asDocBody(p, grid[grid.length - 1]!.body, f);
  return scope(`for ${names.join(", ")} in ${callText(p.T("grid"), extents)}:`, f.stmts);
}

function singleDoc(p: PrinterContext, loop: For, f: Frame, register: (l: For) => void): StmtDoc {
  const name = p.define(loop.loopVar, loop.loopVar.name, f);
  const step = trivialStep(loop) ? undefined : loop.step;
  const args: string[] = [];
  if (isIntConst(loop.min, 0) && step === undefined) {
    args.push(exprText(p, loop.extent));
  } else {
    args.push(exprText(p, loop.min));
    args.push(exprText(p, E.add(loop.min, loop.extent)));
  }
  const annotated = hasAnnotations(loop);
  const isRange = loop.forKind === "serial" && !annotated;
  let callee: string;
  if (isRange) callee = "range";
  else if (loop.forKind === "serial") callee = p.T("serial");
  else {
    const fn = KIND_FN[loop.forKind];
    if (!fn) throw new Error(`printScript: loop ${loop.loopVar.name} has unknown kind "${loop.forKind}"`);
    callee = p.T(fn);
  }
  const kwargs: Array<[string, string]> = [];
  if (loop.forKind === "thread_binding") kwargs.push(["thread", quote(loop.threadTag ?? "")]);
  if (annotated) kwargs.push(["annotations", dictText(p, Object.entries(loop.annotations))]);
  if (step !== undefined) {
    if (isRange) args.push(exprText(p, step));
    else kwargs.push(["step", exprText(p, step)]);
  }
  register(loop);
  asDocBody(p, loop.body, f);
  return scope(`for ${name} in ${callText(callee, args, kwargs)}:`, f.stmts);
}
