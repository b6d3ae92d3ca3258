/**
 * Compiles TIR statements into closures over the frame. Every loop kind runs sequentially
 * (parallel, vectorized, unrolled and thread_binding loops included), which is what the
 * program means as long as it has no data races.
 */
import type { Node } from "../../ir/node.js";
import type { Var } from "../../ir/expr.js";
import type {
  Allocate, AssertStmt, AttrStmt, Block, BlockRealize, BufferStore, DeclBuffer, Evaluate, For, IfThenElse, IterVar, LetStmt,
  SeqStmt, Stmt, While,
} from "../stmt.js";
import { BlockRealize as BlockRealizeNode } from "../stmt.js";
import { allocStorage, bindImplicitBuffers, compileBindingFromExprs } from "./binding.js";
import { compileStore } from "./buffer_access.js";
import { compileBlockRealize } from "./compile_block.js";
import { compileExpr, compileScalar } from "./compile_expr.js";
import { CompileContext, InterpreterError, describeExpr, type Frame, type StmtFn } from "./context.js";

const noop: StmtFn = () => {};

export function compileStmt(ctx: CompileContext, s: Stmt): StmtFn {
  switch (s.kind) {
    case "SeqStmt":
      return compileSeq(ctx, s as SeqStmt);
    case "Evaluate": {
      const v = (s as Evaluate).value;
      if (v.kind === "IntImm" || v.kind === "FloatImm" || v.kind === "StringImm") return noop;
      const fn = compileExpr(ctx, v);
      return (f) => {
        fn(f);
      };
    }
    case "BufferStore":
      return compileStore(ctx, s as BufferStore, (x) => compileExpr(ctx, x));
    case "For":
      return compileFor(ctx, s as For);
    case "While": {
      const w = s as While;
      const cond = compileScalar(ctx, w.condition, "condition of a while loop");
      const body = compileStmt(ctx, w.body);
      return (f) => {
        while (cond(f)) body(f);
      };
    }
    case "IfThenElse": {
      const i = s as IfThenElse;
      const cond = compileScalar(ctx, i.condition, "condition of an if statement");
      const then = compileStmt(ctx, i.thenCase);
      const other = i.elseCase ? compileStmt(ctx, i.elseCase) : undefined;
      if (!other) {
        return (f) => {
          if (cond(f)) then(f);
        };
      }
      return (f) => {
        if (cond(f)) then(f);
        else other(f);
      };
    }
    case "LetStmt":
      return compileLetStmt(ctx, s as LetStmt);
    case "AttrStmt":
      return compileAttr(ctx, s as AttrStmt);
    case "AssertStmt": {
      const a = s as AssertStmt;
      const cond = compileScalar(ctx, a.condition, "condition of an assert");
      const body = compileStmt(ctx, a.body);
      const msg = a.message.value;
      const where = ctx.where();
      return (f) => {
        if (!cond(f)) throw new InterpreterError(`${msg} (assertion ${describeExpr(a.condition)} failed${where})`);
        body(f);
      };
    }
    case "Allocate":
      return compileAllocate(ctx, s as Allocate);
    case "DeclBuffer":
      return compileDeclBuffer(ctx, s as DeclBuffer);
    case "BlockRealize":
      return compileBlockRealize(ctx, s as BlockRealize, (x) => compileStmt(ctx, x));
    case "Block": {
      const b = s as Block;
      if (b.iterVars.length) throw ctx.error(`block "${b.nameHint}" has iter vars but no BlockRealize binding them`);
      return compileBlockRealize(ctx, BlockRealizeNode.of(b), (x) => compileStmt(ctx, x));
    }
    default:
      throw ctx.error(`the interpreter cannot run statements of kind ${s.kind}`);
  }
}

function compileSeq(ctx: CompileContext, s: SeqStmt): StmtFn {
  const fns = s.seq.map((x) => compileStmt(ctx, x)).filter((x) => x !== noop);
  if (fns.length === 0) return noop;
  if (fns.length === 1) return fns[0]!;
  if (fns.length === 2) {
    const [a, b] = fns as [StmtFn, StmtFn];
    return (f) => {
      a(f);
      b(f);
    };
  }
  return (f) => {
    for (let i = 0; i < fns.length; i++) fns[i]!(f);
  };
}

function compileFor(ctx: CompileContext, l: For): StmtFn {
  const name = l.loopVar.name;
  const min = compileScalar(ctx, l.min, `min of loop ${name}`);
  const ext = compileScalar(ctx, l.extent, `extent of loop ${name}`);
  const step = l.step ? compileScalar(ctx, l.step, `step of loop ${name}`) : undefined;
  const { slot } = ctx.defineVar(l.loopVar);
  const body = compileStmt(ctx, l.body);
  ctx.undefineVar(l.loopVar);
  const where = ctx.where();
  if (step) {
    return (f) => {
      const lo = min(f), end = lo + ext(f), st = step(f);
      if (!(st > 0)) throw new InterpreterError(`loop ${name} has step ${st}; it must be positive${where}`);
      for (let v = lo; v < end; v += st) {
        f.n[slot] = v;
        body(f);
      }
    };
  }
  return (f) => {
    const lo = min(f), end = lo + ext(f);
    for (let v = lo; v < end; v++) {
      f.n[slot] = v;
      body(f);
    }
  };
}

/** Defines a handle variable and binds the undeclared buffers that live on it. */
function withHandleScope(ctx: CompileContext, v: Var, inner: () => StmtFn): { body: StmtFn; bind: StmtFn | undefined } {
  const implicit = bindImplicitBuffers(ctx, v);
  const body = inner();
  for (const b of implicit.buffers) ctx.undefineBuffer(b);
  return { body, bind: implicit.run };
}

function compileLetStmt(ctx: CompileContext, l: LetStmt): StmtFn {
  const value = compileExpr(ctx, l.value);
  const { slot, obj } = ctx.defineVar(l.variable);
  const { body, bind } = withHandleScope(ctx, l.variable, () => compileStmt(ctx, l.body));
  ctx.undefineVar(l.variable);
  if (obj) {
    return (f) => {
      f.o[slot] = value(f);
      bind?.(f);
      body(f);
    };
  }
  return (f) => {
    f.n[slot] = value(f);
    body(f);
  };
}

function compileAttr(ctx: CompileContext, a: AttrStmt): StmtFn {
  const node = a.node as Node | string;
  // Lowered GPU code binds thread indices with `thread_extent` attributes instead of loops;
  // run them as loops over the extent, like thread_binding loops.
  if ((a.attrKey === "thread_extent" || a.attrKey === "virtual_thread") && typeof node === "object" && node.kind === "IterVar") {
    const iv = node as IterVar;
    const v = iv.variable;
    const ext = compileScalar(ctx, a.value, `${a.attrKey} of ${v.name}`);
    if (ctx.isLive(v)) {
      // The same thread var bound again further in (nested launch attributes): it is a loop already.
      const body = compileStmt(ctx, a.body);
      return body;
    }
    const { slot } = ctx.defineVar(v);
    const body = compileStmt(ctx, a.body);
    ctx.undefineVar(v);
    return (f: Frame) => {
      const n = ext(f);
      for (let i = 0; i < n; i++) {
        f.n[slot] = i;
        body(f);
      }
    };
  }
  return compileStmt(ctx, a.body);
}

function compileAllocate(ctx: CompileContext, a: Allocate): StmtFn {
  const exts = a.extents.map((e, i) => compileScalar(ctx, e, `extent ${i} of allocation ${a.bufferVar.name}`));
  const { slot } = ctx.defineVar(a.bufferVar);
  const { body, bind } = withHandleScope(ctx, a.bufferVar, () => compileStmt(ctx, a.body));
  ctx.undefineVar(a.bufferVar);
  const name = a.bufferVar.name;
  const dtype = a.dtype;
  return (f) => {
    let n = dtype.lanes;
    for (const e of exts) n *= e(f);
    f.o[slot] = allocStorage(name, dtype, n);
    bind?.(f);
    body(f);
  };
}

function compileDeclBuffer(ctx: CompileContext, d: DeclBuffer): StmtFn {
  const b = d.buffer;
  if (!ctx.isLive(b.data)) {
    throw ctx.error(`DeclBuffer ${b.name}: its data var ${b.data.name} is not defined here (no enclosing Allocate, parameter or let)`);
  }
  const { slot: dataSlot } = ctx.useVar(b.data);
  const make = compileBindingFromExprs(ctx, b, (f) => f.o[dataSlot]);
  const bufSlot = ctx.defineBuffer(b);
  const body = compileStmt(ctx, d.body);
  ctx.undefineBuffer(b);
  return (f) => {
    f.o[bufSlot] = make(f);
    body(f);
  };
}
