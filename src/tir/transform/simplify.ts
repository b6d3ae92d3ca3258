/**
 * Simplify (TVM's `tir.transform.Simplify`): simplifies every expression of a PrimFunc with one
 * Analyzer that knows what holds where the expression sits:
 *
 * - loop variables range over their loop (an extent-1 loop binds its variable to its min, so
 *   uses of the variable fold to the min; the loop itself stays, as in TVM);
 * - thread_extent / virtual_thread attributes bind their thread variable to [0, extent);
 * - if-branches, asserts' bodies and Select / if_then_else arms see their condition (negated
 *   in the else arm); `T.likely(c)` counts as `c`;
 * - LetStmts whose value is a constant, a variable or a pure integer expression are inlined
 *   and removed (kept when a buffer definition uses the variable); other pure lets still help
 *   prove conditions.
 *
 * An `if` whose condition is provable (either way) is replaced by the branch taken (or a
 * no-op), and a store of a value loaded from the very same location becomes a no-op, as in
 * TVM. Loops are never removed here (extent-0 loops are RemoveNoOp's business).
 *
 * Linear in the size of the function: each expression is simplified once, under the analyzer's
 * memo tables. Copy-on-write: a function with nothing to simplify comes back as the same object.
 */
import type { Buffer } from "../../ir/buffer.js";
import { Call, IntImm, Not, Range, Select, Var, type PrimExpr, BufferLoad } from "../../ir/expr.js";
import { and, ge, lt, add } from "../../ir/expr_ops.js";
import { ExprVisitor, substitute } from "../../ir/expr_functor.js";
import { Op } from "../../ir/op_registry.js";
import { Analyzer } from "../../arith/analyzer.js";
import type { PrimFunc } from "../function.js";
import {
  AssertStmt, AttrStmt, Block, BufferStore, DeclBuffer, IfThenElse, IterVar, LetStmt, noOp, type For, type Stmt,
} from "../stmt.js";
import { StmtExprMutator, StmtExprVisitor } from "../stmt_functor.js";
import { primFuncPass, type Pass } from "./pass.js";

export const Simplify: Pass = primFuncPass("Simplify", (func) => simplifyPrimFunc(func));

/** Simplifies one PrimFunc (the function behind the `Simplify` pass). */
export function simplifyPrimFunc(func: PrimFunc, analyzer: Analyzer = new Analyzer()): PrimFunc {
  const simplifier = new StmtSimplifier(analyzer, varsInBufferDefs(func));
  // Shape variables of the parameters' buffers are non-negative (TVM's MarkBufferMapShapes).
  const facts: PrimExpr[] = [];
  for (const [, b] of func.bufferMap) {
    for (const d of b.shape) if (d instanceof Var && d.dtype.isIntegral() && d.kind === "Var") facts.push(ge(d, 0));
  }
  const body = facts.length === 0
    ? simplifier.visitStmt(func.body)
    : analyzer.withConstraint(facts.reduce((x, y) => and(x, y)), () => simplifier.visitStmt(func.body));
  return func.withBody(body);
}

function isBindable(v: Var): boolean {
  return v.dtype.isIntegral() && v.dtype.lanes === 1;
}

function isConstNumber(e: PrimExpr): boolean {
  return e.kind === "IntImm" || e.kind === "FloatImm";
}

/** Whether an expression only reads (no impure calls). */
export function isPure(e: PrimExpr): boolean {
  let pure = true;
  const v = new (class extends ExprVisitor {
    override visitExpr(x: PrimExpr): void {
      if (!pure) return;
      if (x instanceof Call && (!(x.op instanceof Op) || !x.op.pure)) {
        pure = false;
        return;
      }
      super.visitExpr(x);
    }
  })();
  v.visitExpr(e);
  return pure;
}

/** Vars that a buffer definition (shape, strides, elem_offset) refers to: their lets must stay. */
function varsInBufferDefs(func: PrimFunc): Set<Var> {
  const out = new Set<Var>();
  const seen = new Set<Buffer>();
  const collect = new (class extends ExprVisitor {
    override visitVar(v: Var): void {
      out.add(v);
    }
  })();
  const addBuffer = (b: Buffer) => {
    if (seen.has(b)) return;
    seen.add(b);
    for (const e of b.shape) collect.visitExpr(e);
    for (const e of b.strides) collect.visitExpr(e);
    collect.visitExpr(b.elemOffset);
  };
  for (const [, b] of func.bufferMap) addBuffer(b);
  new (class extends StmtExprVisitor {
    override visitStmt(s: Stmt): void {
      if (s instanceof DeclBuffer) addBuffer(s.buffer);
      else if (s instanceof BufferStore) addBuffer(s.buffer);
      else if (s instanceof Block) {
        s.allocBuffers.forEach(addBuffer);
        s.matchBuffers.forEach((m) => addBuffer(m.buffer));
      }
      super.visitStmt(s);
    }
    override visitBufferLoad(e: BufferLoad): void {
      addBuffer(e.buffer);
      super.visitBufferLoad(e);
    }
  })().visitStmt(func.body);
  return out;
}

const likelyOp = (): Op | undefined => {
  try {
    return Op.get("tir.likely");
  } catch {
    return undefined;
  }
};

class StmtSimplifier extends StmtExprMutator {
  /** Pure lets that were not inlined: substituted only when proving a condition. */
  private readonly nonInlined = new Map<Var, PrimExpr>();
  /** Non-integer lets that were inlined (the analyzer only binds integer variables). */
  private readonly inlined = new Map<Var, PrimExpr>();
  private readonly likely = likelyOp();

  constructor(
    private readonly ana: Analyzer,
    private readonly bufferDefVars: ReadonlySet<Var>,
  ) {
    super();
  }

  override visitExpr(e: PrimExpr): PrimExpr {
    const x = this.inlined.size > 0 ? substitute(e, this.inlined) : e;
    return this.ana.simplify(x);
  }

  /** The condition as a constant when the analyzer can decide it. */
  private prove(cond: PrimExpr): boolean | undefined {
    const c = this.nonInlined.size > 0 ? substitute(cond, this.nonInlined) : cond;
    const s = this.ana.simplify(c);
    return s instanceof IntImm ? s.value !== 0 : undefined;
  }

  private stripLikely(c: PrimExpr): PrimExpr {
    return c instanceof Call && c.op === this.likely && c.args.length === 1 ? c.args[0]! : c;
  }

  /** Runs `f` under `cond` when the analyzer can take it as a fact (scalar bool). */
  private under<T>(cond: PrimExpr, f: () => T): T {
    if (!cond.dtype.isBool() || cond.dtype.lanes !== 1) return f();
    return this.ana.withConstraint(cond, f);
  }

  override visitFor(f: For): Stmt {
    const min = this.visitExpr(f.min), extent = this.visitExpr(f.extent);
    const step = f.step ? this.visitExpr(f.step) : undefined;
    const empty = extent instanceof IntImm && extent.value <= 0;
    let body: Stmt;
    if (empty || !isBindable(f.loopVar)) {
      body = this.visitStmt(f.body);
    } else {
      this.ana.bind(f.loopVar, new Range(min, extent), true);
      const symbolic = !(min instanceof IntImm && extent instanceof IntImm);
      body = symbolic
        ? this.under(and(ge(f.loopVar, min), lt(f.loopVar, add(min, extent))), () => this.visitStmt(f.body))
        : this.visitStmt(f.body);
    }
    if (min === f.min && extent === f.extent && step === f.step && body === f.body) return f;
    return f.with({ min, extent, step, body });
  }

  override visitStmt(s: Stmt): Stmt {
    switch (s.kind) {
      case "IfThenElse":
        return this.visitIf(s as IfThenElse);
      case "LetStmt":
        return this.visitLet(s as LetStmt);
      case "AttrStmt":
        return this.visitAttr(s as AttrStmt);
      case "AssertStmt": {
        const a = s as AssertStmt;
        const c = this.visitExpr(a.condition);
        const b = this.under(c, () => this.visitStmt(a.body));
        return c === a.condition && b === a.body ? a : new AssertStmt(c, a.message, b);
      }
      default:
        return super.visitStmt(s);
    }
  }

  private visitIf(s: IfThenElse): Stmt {
    const known = this.prove(s.condition);
    if (known === true) return this.visitStmt(s.thenCase);
    if (known === false) return s.elseCase ? this.visitStmt(s.elseCase) : noOp();
    const cond = this.visitExpr(s.condition);
    if (cond instanceof IntImm) {
      if (cond.value !== 0) return this.visitStmt(s.thenCase);
      return s.elseCase ? this.visitStmt(s.elseCase) : noOp();
    }
    const real = this.stripLikely(cond);
    const thenCase = this.under(real, () => this.visitStmt(s.thenCase));
    const elseCase = s.elseCase ? this.under(this.ana.rewriteSimplify(new Not(real)), () => this.visitStmt(s.elseCase!)) : undefined;
    if (cond === s.condition && thenCase === s.thenCase && elseCase === s.elseCase) return s;
    return new IfThenElse(cond, thenCase, elseCase);
  }

  private visitLet(s: LetStmt): Stmt {
    const value = this.visitExpr(s.value);
    const v = s.variable;
    const pure = isPure(s.value);
    const canInline = isConstNumber(s.value) || s.value instanceof Var || (v.dtype.isIntegral() && pure);
    if (canInline) {
      if (isBindable(v)) this.ana.bind(v, value, true);
      else this.inlined.set(v, value);
    } else if (pure) {
      this.nonInlined.set(v, value);
    }
    const body = this.visitStmt(s.body);
    if (canInline && !this.bufferDefVars.has(v)) return body;
    return value === s.value && body === s.body ? s : new LetStmt(v, value, body);
  }

  private visitAttr(s: AttrStmt): Stmt {
    const value = this.visitExpr(s.value);
    if ((s.attrKey === "thread_extent" || s.attrKey === "virtual_thread") && s.node instanceof IterVar) {
      const tv = s.node.variable;
      if (isBindable(tv) && !(value instanceof IntImm && value.value <= 0)) {
        this.ana.bind(tv, new Range(new IntImm(value.dtype, 0), value), true);
      }
    }
    const body = this.visitStmt(s.body);
    return value === s.value && body === s.body ? s : new AttrStmt(s.node, s.attrKey, value, body);
  }

  override visitBufferStore(s: BufferStore): Stmt {
    const r = super.visitBufferStore(s);
    if (r instanceof BufferStore && storesItsOwnValue(r)) return noOp();
    return r;
  }

  override visitBlock(b: Block): Stmt {
    for (const iv of b.iterVars) {
      if (isBindable(iv.variable)) this.ana.bind(iv.variable, iv.dom, true);
    }
    return super.visitBlock(b);
  }
}

/** `B[i] = B[i]` (same data, layout and indices): TVM's Simplify drops it. */
export function storesItsOwnValue(s: BufferStore): boolean {
  const l = s.value;
  if (!(l instanceof BufferLoad) || s.predicate || l.predicate) return false;
  const a = l.buffer, b = s.buffer;
  if (a.data !== b.data || l.indices.length !== s.indices.length) return false;
  const eq = (x: readonly PrimExpr[], y: readonly PrimExpr[]) => x.length === y.length && x.every((e, i) => sameValue(e, y[i]!));
  return eq(l.indices, s.indices) && sameValue(a.elemOffset, b.elemOffset) && eq(a.shape, b.shape) && eq(a.strides, b.strides);
}

/** Deep equality of expressions whose free variables are compared by identity. */
function sameValue(a: PrimExpr, b: PrimExpr): boolean {
  if (a === b) return true;
  if (a.kind !== b.kind || a.dtype !== b.dtype) return false;
  if (a instanceof IntImm) return a.value === (b as IntImm).value;
  if (a instanceof Var) return false;
  if (a instanceof Select) {
    const c = b as Select;
    return sameValue(a.condition, c.condition) && sameValue(a.trueValue, c.trueValue) && sameValue(a.falseValue, c.falseValue);
  }
  const x = a as unknown as { a?: PrimExpr; b?: PrimExpr };
  const y = b as unknown as { a?: PrimExpr; b?: PrimExpr };
  if (x.a && x.b && y.a && y.b) return sameValue(x.a, y.a) && sameValue(x.b, y.b);
  return false;
}
