/**
 * Relax functions and mixed modules as TVMScript, the way TVM prints them:
 *
 *     @R.function
 *     def main(x: R.Tensor(("n", 768), dtype="float32")) -> R.Tensor(("n", 256), dtype="float32"):
 *         n = T.int64()
 *         with R.dataflow():
 *             lv: R.Tensor((n, 256), dtype="float32") = R.matmul(x, w)
 *             gv: R.Tensor((n, 256), dtype="float32") = R.nn.relu(lv)
 *             R.output(gv)
 *         return gv
 *
 * Symbolic vars print quoted in the signature (they are not defined yet in Python terms) and
 * are declared `n = T.int64()` at the top of the body. An If bound to `v` prints as Python
 * if/else whose branches end by assigning `v`. PrimFuncs of a module print with the TIR
 * printer, sharing its name table; Relax functions refer to module functions as `cls.f`. A
 * Function bound in a body prints as a nested `@R.function def`. `String(node)` of any Relax
 * node reads as TVMScript.
 */
import { setNodePrinter, type Var as TirVar } from "../../ir/expr.js";
import { IRModule, type BaseFunc } from "../../ir/module.js";
import type { Node } from "../../ir/node.js";
import { PrimFunc } from "../../tir/function.js";
import { PrinterContext, type PrintOptions } from "../../tir/script/printer/context.js";
import { line, renderDocs, type DefDoc, type StmtDoc } from "../../tir/script/printer/doc.js";
import { primFuncDoc } from "../../tir/script/printer/function.js";
import { callText } from "../../tir/script/printer/literal.js";
import { printScript } from "../../tir/script/printer/print.js";
import { setModulePrinter } from "../../tir/transform/pass.js";
import { BindingBlock, MatchCast, VarBinding, type Binding } from "../binding.js";
import { DataflowVar, Expr, Function, If, SeqExpr, Var } from "../expr.js";
import { structInfoVars } from "../struct_info_analysis.js";
import { StructInfo } from "../struct_info.js";
import { RelaxPrinter } from "./printer_expr.js";

/** Whether `n` is a Relax node (or a module holding a Relax function). */
export function isRelaxNode(n: Node): boolean {
  if (n instanceof IRModule) return n.functionList.some((f) => f.kind.startsWith("relax."));
  return n.kind.startsWith("relax.");
}

export function printRelax(node: Node, options: PrintOptions = {}): string {
  const p = new PrinterContext(options);
  const r = new RelaxPrinter(p);
  let docs: StmtDoc[];
  if (node instanceof IRModule) docs = [moduleDoc(r, node)];
  else if (node instanceof Function) {
    const sym = node.attrs["global_symbol"];
    docs = [functionDoc(r, node, options.name ?? (typeof sym === "string" ? sym : "main"))];
  } else docs = fragmentDocs(r, node);
  return renderDocs([...header(r), ...docs]);
}

function header(r: RelaxPrinter): StmtDoc[] {
  const out: StmtDoc[] = [];
  if (r.p.usesIr) out.push(line("# from tvm.script import ir as I"));
  if (r.p.usesTir) out.push(line("# from tvm.script import tir as T"));
  if (r.usesRelax) out.push(line("# from tvm.script import relax as R"));
  if (out.length > 0) out.push(line(""));
  return out;
}

/** Print order of module functions: `main` last, the rest by name (as the TIR printer). */
function moduleDoc(r: RelaxPrinter, mod: IRModule): DefDoc {
  const p = r.p;
  const f = p.enter(mod);
  try {
    p.names.reserve("Module");
    p.names.reserve("cls");
    const entries = [...mod.entries()].map(([g, fn]) => [g.name, fn] as [string, BaseFunc]);
    const rank = (n: string) => (n === "main" ? 1 : 0);
    entries.sort((a, b) => rank(a[0]) - rank(b[0]) || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    p.moduleGlobals = new Map(entries.map(([n]) => [n, `cls.${n}`]));
    const body: StmtDoc[] = [];
    if (Object.keys(mod.attrs).length > 0) body.push(line(callText(p.I("module_attrs"), [r.attr(mod.attrs as never)])));
    for (const [name, fn] of entries) {
      if (fn instanceof PrimFunc) body.push(primFuncDoc(p, fn, name));
      else if (fn instanceof Function) body.push(functionDoc(r, fn, name));
      else throw new Error(`printScript: function "${name}" is a ${fn.kind}, which cannot be printed`);
    }
    return { kind: "def", decorators: [p.I("ir_module")], header: "class Module:", body, blankAfter: false };
  } finally {
    p.moduleGlobals = undefined;
    p.exit(f);
  }
}

/**
 * A function as `@R.function def name(...)`. A local function (`nested`, bound in another
 * function's body) keeps every attribute and is never private; a module function that uses
 * another module function starts with `cls = Module`, as TVM prints it.
 */
function functionDoc(r: RelaxPrinter, fn: Function, name: string, nested = false): DefDoc {
  const p = r.p;
  const f = p.enter(fn);
  const usedBefore = r.usedModule;
  r.usedModule = false;
  try {
    // Symbolic vars first (so Relax names never take theirs), in order of appearance.
    const syms: TirVar[] = [];
    for (const v of fn.params) structInfoVars(v.structInfo, syms);
    collectBodySymbols(fn.body, syms);
    // A local function sees the symbolic vars of the function around it.
    const fresh = syms.filter((v) => !p.isDefined(v));
    for (const v of fresh) p.define(v, v.name, f);
    const quoted = new Set(fresh);
    const params = fn.params.map((v) => `${p.define(v, v.name, f)}: ${signatureSinfo(r, v.structInfo, quoted)}`);
    const ret = signatureSinfo(r, fn.retStructInfo, quoted);
    for (const v of fresh) f.stmts.push(line(`${p.lookup(v)} = ${p.T("int64")}()`));
    const clsAt = f.stmts.length;
    const attrs = Object.entries(fn.attrs).filter(([k, v]) => nested || !(k === "global_symbol" && v === name));
    if (attrs.length > 0) f.stmts.push(line(callText(r.R("func_attr"), [r.attr(Object.fromEntries(attrs))])));
    f.stmts.push(...bodyDocs(r, fn.body, f, (e) => [line(`return ${r.expr(e)}`)]));
    if (r.usedModule && !nested) f.stmts.splice(clsAt, 0, line("cls = Module"));
    const deco: [string, string][] = [];
    if (!nested && fn.attrs["global_symbol"] === undefined) deco.push(["private", "True"]);
    if (!fn.isPure) deco.push(["pure", "False"]);
    return {
      kind: "def",
      decorators: [deco.length ? callText(r.R("function"), [], deco) : r.R("function")],
      header: `def ${name}(${params.join(", ")}) -> ${ret}:`,
      body: f.stmts.splice(0),
      blankAfter: true,
    };
  } finally {
    r.usedModule ||= usedBefore;
    p.exit(f);
  }
}

function signatureSinfo(r: RelaxPrinter, s: StructInfo, quoted: ReadonlySet<TirVar>): string {
  r.quoteSymbols = quoted;
  try {
    return r.sinfo(s);
  } finally {
    r.quoteSymbols = undefined;
  }
}

function collectBodySymbols(e: Expr, out: TirVar[]): void {
  if (!(e instanceof SeqExpr)) return;
  for (const b of e.blocks) {
    for (const x of b.bindings) {
      if (x instanceof MatchCast) structInfoVars(x.structInfo, out);
      // A local function declares the symbolic vars of its own signature.
      if (x.value instanceof Function) continue;
      structInfoVars(x.variable.structInfo, out);
      if (x.value instanceof If) {
        collectBodySymbols(x.value.trueBranch, out);
        collectBodySymbols(x.value.falseBranch, out);
      }
    }
  }
}

/** The statements of a SeqExpr; `result` prints its final value (`return v` or `v = ...`). */
function bodyDocs(r: RelaxPrinter, body: Expr, frame: ReturnType<PrinterContext["enter"]>, result: (e: Expr) => StmtDoc[]): StmtDoc[] {
  if (!(body instanceof SeqExpr)) return result(body);
  const out: StmtDoc[] = [];
  for (const b of body.blocks) out.push(...blockDocs(r, b, frame));
  out.push(...result(body.body));
  return out;
}

function blockDocs(r: RelaxPrinter, b: BindingBlock, frame: ReturnType<PrinterContext["enter"]>): StmtDoc[] {
  if (!b.isDataflow) return b.bindings.flatMap((x) => bindingDocs(r, x, frame));
  const inner = b.bindings.flatMap((x) => bindingDocs(r, x, frame));
  const outputs = b.bindings.filter((x) => !(x.variable instanceof DataflowVar)).map((x) => r.varName(x.variable));
  if (outputs.length > 0) inner.push(line(callText(r.R("output"), outputs)));
  return [{ kind: "scope", header: `with ${r.R("dataflow")}():`, body: inner }];
}

function bindingDocs(r: RelaxPrinter, b: Binding, frame: ReturnType<PrinterContext["enter"]>): StmtDoc[] {
  const p = r.p;
  const v = b.variable;
  if (b instanceof VarBinding && b.value instanceof If) {
    const e = b.value;
    const cond = r.expr(e.cond);
    // The var is defined by both branches: name it first, print the branches, then keep it.
    const name = p.define(v, v.name, frame);
    const assign = (x: Expr) => [line(`${name}: ${r.sinfo(v.structInfo)} = ${r.expr(x)}`)];
    const branch = (x: Expr) => {
      const bf = p.enter(x);
      try {
        return bodyDocs(r, x, bf, assign);
      } finally {
        p.exit(bf);
      }
    };
    return [{ kind: "if", header: `if ${cond}:`, then: branch(e.trueBranch), orelse: branch(e.falseBranch) }];
  }
  if (b instanceof VarBinding && b.value instanceof Function) {
    // The def names the var; its StructInfo is the function's own.
    return [functionDoc(r, b.value, p.define(v, v.name, frame), true)];
  }
  const rhs = b instanceof MatchCast ? callText(r.R("match_cast"), [r.expr(b.value), r.sinfo(b.structInfo)]) : r.expr(b.value);
  const name = p.define(v, v.name, frame);
  return [line(`${name}: ${r.sinfo(v.structInfo)} = ${rhs}`)];
}

/** A node that is not a function or module: an expression, binding or struct info. */
function fragmentDocs(r: RelaxPrinter, node: Node): StmtDoc[] {
  const p = r.p;
  const f = p.enter(null);
  p.declFrame = f;
  const declare = (v: Var) => {
    if (!p.isDefined(v)) p.define(v, v.name, f);
  };
  let text: StmtDoc[];
  if (node instanceof StructInfo) text = [line(r.sinfo(node))];
  else if (node instanceof Expr) {
    freeRelaxVars(node).forEach(declare);
    text = node instanceof SeqExpr ? bodyDocs(r, node, f, (e) => [line(r.expr(e))]) : [line(r.expr(node))];
  } else if (node instanceof BindingBlock || node instanceof VarBinding || node instanceof MatchCast) {
    const bindings = node instanceof BindingBlock ? node.bindings : [node];
    const bound = new Set(bindings.map((b) => b.variable));
    for (const b of bindings) freeRelaxVars(b.value).filter((v) => !bound.has(v)).forEach(declare);
    text = node instanceof BindingBlock ? blockDocs(r, node, f) : bindingDocs(r, node, f);
  } else throw new Error(`printScript: cannot print a ${node.kind}`);
  return [...f.stmts, ...text];
}

/** Relax vars an expression uses (for fragments, where nothing defines them). */
function freeRelaxVars(e: Expr, out: Var[] = []): Var[] {
  const visit = (x: unknown): void => {
    if (x instanceof Var) {
      if (!out.includes(x)) out.push(x);
      return;
    }
    if (!(x instanceof Expr)) return;
    for (const k of ["fields", "args", "tuple", "cond", "trueBranch", "falseBranch", "body", "op"] as const) {
      const c = (x as unknown as Record<string, unknown>)[k];
      if (Array.isArray(c)) c.forEach(visit);
      else visit(c);
    }
    if (x instanceof SeqExpr) for (const b of x.blocks) for (const y of b.bindings) visit(y.value);
  };
  visit(e);
  return out;
}

setNodePrinter((n: Node): string => {
  try {
    return isRelaxNode(n) ? printRelax(n) : printScript(n);
  } catch (e) {
    return `<${n.kind}: ${e instanceof Error ? e.message : String(e)}>`;
  }
});

// Per-pass IR dumps (runPipeline with WEFT_DUMP_IR) print modules holding Relax functions here.
setModulePrinter((mod) => (isRelaxNode(mod) ? printRelax(mod) : undefined));
