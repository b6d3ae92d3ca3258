/**
 * VectorizeLoop: turns `T.vectorized(n)` loops (constant n) into vector code.
 *
 * The loop variable becomes `T.Ramp(min, 1, n)` and every expression that depends on it is
 * widened lane-wise: scalar operands are broadcast, Ramp arithmetic is folded
 * (`Ramp(b, s, n) + Broadcast(x, n)` = `Ramp(b + x, s, n)`, likewise for `-` and integer `*`),
 * loads and stores get Ramp (vector) indices, pure elementwise intrinsics get vector types, and
 * let-bound values that become vectors get fresh vector variables.
 *
 * An `if` whose condition depends on the lane becomes predicated stores when both branches are
 * only buffer stores (`B.vstore([...], v, predicate=c)`; vector loads in the stored values are
 * predicated too, so lanes that the `if` guarded stay guarded); `T.if_then_else` with a lane
 * dependent condition predicates the loads of each side in the same way.
 *
 * When the body cannot be vectorized the loop is kept as a serial loop (the scalar fallback):
 * - a store of a lane-dependent value into one location (a reduction into a scalar, e.g. an
 *   accumulator `acc[0] = acc[0] + A[i * 8 + k]`), or a store into one location whose value
 *   reads a buffer written in the loop (running it once instead of n times would differ);
 * - an `if` with a lane-dependent condition whose branches are not plain stores;
 * - lane-dependent loop bounds, allocation sizes, attributes, asserts, while conditions;
 * - calls that are not pure elementwise intrinsics (extern calls, builtins) on lane-dependent
 *   arguments, and any impure call (it would run once instead of n times);
 * - vector expressions already in the body that depend on the loop variable (nested lanes);
 * - a non-constant extent or a step other than 1.
 * As in TVM, marking a loop vectorized asserts that its iterations are independent through
 * memory indexed by the loop variable; the pass does not check that part.
 *
 * Precondition: lowered code (no blocks). Vectorized loops nested in vectorized loops are
 * processed inner first; the outer one then usually falls back to serial.
 */
import { And, Broadcast, BufferLoad, Call, Cast, IntImm, Let, Not, Ramp, Select, Shuffle, Var, type PrimExpr } from "../../ir/expr.js";
import { binaryCtors, postOrderVisit } from "../../ir/expr_functor.js";
import { add, mul, neg, sub } from "../../ir/expr_ops.js";
import type { Op } from "../../ir/op_registry.js";
import type { PrimFunc } from "../function.js";
import {
  Allocate, AssertStmt, AttrStmt, Block, BlockRealize, BufferStore, Evaluate, For, IfThenElse, LetStmt, SeqStmt, While, type Stmt,
} from "../stmt.js";
import { StmtExprMutator, StmtExprVisitor, substituteStmt } from "../stmt_functor.js";
import { primFuncPass, type Pass } from "./pass.js";

/** Thrown inside the vectorizer when the body must stay scalar; never escapes the pass. */
class Fallback extends Error {}

function fallback(why: string): never {
  throw new Fallback(why);
}

const ARITH = new Set(["Add", "Sub", "Mul", "Div", "Mod", "FloorDiv", "FloorMod", "Min", "Max", "EQ", "NE", "LT", "LE", "GT", "GE", "And", "Or"]);

/** Data vars of buffers stored to anywhere in `s`. */
function writtenBuffers(s: Stmt): Set<Var> {
  const out = new Set<Var>();
  class W extends StmtExprVisitor {
    override visitBufferStore(st: BufferStore): void {
      out.add(st.buffer.data);
      super.visitBufferStore(st);
    }
  }
  new W().visitStmt(s);
  return out;
}

function readsAny(e: PrimExpr, bufs: ReadonlySet<Var>): boolean {
  let hit = false;
  postOrderVisit(e, (x) => {
    if (x instanceof BufferLoad && bufs.has(x.buffer.data)) hit = true;
  });
  return hit;
}

function hasImpureCall(e: PrimExpr): boolean {
  let hit = false;
  postOrderVisit(e, (x) => {
    if (x instanceof Call && (x.op.kind !== "Op" || !(x.op as Op).pure)) hit = true;
  });
  return hit;
}

function widen(e: PrimExpr, lanes: number): PrimExpr {
  if (e.dtype.lanes === lanes) return e;
  if (e.dtype.lanes === 1) return new Broadcast(e, lanes);
  return fallback(`cannot combine ${e.dtype.lanes} lanes with ${lanes}`);
}

/** Adds `pred` to the vector loads of `lanes` lanes in an expression. */
class LoadPredicator extends StmtExprMutator {
  constructor(
    private readonly pred: PrimExpr,
    private readonly lanes: number,
  ) {
    super();
  }
  override visitBufferLoad(e: BufferLoad): PrimExpr {
    const base = super.visitBufferLoad(e) as BufferLoad;
    if (base.dtype.lanes !== this.lanes || base.buffer.dtype.lanes !== 1) return base;
    const p = base.predicate ? new And(base.predicate, this.pred) : this.pred;
    return new BufferLoad(base.buffer, base.indices, p);
  }
}

/** Rewrites the body of one vectorized loop; throws Fallback when it must stay scalar. */
class Vectorizer extends StmtExprMutator {
  private readonly vars = new Map<Var, PrimExpr>();

  constructor(
    loopVar: Var,
    ramp: Ramp,
    private readonly lanes: number,
    private readonly written: ReadonlySet<Var>,
  ) {
    super();
    this.vars.set(loopVar, ramp);
  }

  override visitVar(v: Var): PrimExpr {
    return this.vars.get(v) ?? v;
  }

  override visitExpr(e: PrimExpr): PrimExpr {
    switch (e.kind) {
      case "Cast": {
        const c = e as Cast;
        const v = this.visitExpr(c.value);
        return v === c.value ? c : new Cast(c.dtype.withLanes(v.dtype.lanes), v);
      }
      case "Not": {
        const n = e as Not;
        const a = this.visitExpr(n.a);
        return a === n.a ? n : new Not(a);
      }
      case "Select": {
        const s = e as Select;
        const c = this.visitExpr(s.condition), t = this.visitExpr(s.trueValue), f = this.visitExpr(s.falseValue);
        if (c === s.condition && t === s.trueValue && f === s.falseValue) return s;
        const n = Math.max(c.dtype.lanes, t.dtype.lanes, f.dtype.lanes);
        return new Select(widen(c, n), widen(t, n), widen(f, n));
      }
      case "Ramp":
      case "Broadcast":
      case "Shuffle": {
        const parts = e instanceof Ramp ? [e.base, e.stride] : e instanceof Broadcast ? [e.value] : (e as Shuffle).vectors;
        if (this.visitArray(parts) !== parts) fallback("a vector expression depends on the vectorized loop variable");
        return e;
      }
      case "Let": {
        const l = e as Let;
        const v = this.visitExpr(l.value);
        if (v.dtype.lanes !== l.variable.dtype.lanes) {
          const nv = new Var(l.variable.name, v.dtype);
          this.vars.set(l.variable, nv);
          return new Let(nv, v, this.visitExpr(l.body));
        }
        const b = this.visitExpr(l.body);
        return v === l.value && b === l.body ? l : new Let(l.variable, v, b);
      }
      case "Call":
        return this.visitCall(e as Call);
      default:
        if (ARITH.has(e.kind)) return this.visitBinary(e as PrimExpr & { a: PrimExpr; b: PrimExpr });
        return super.visitExpr(e);
    }
  }

  private visitBinary(e: PrimExpr & { a: PrimExpr; b: PrimExpr }): PrimExpr {
    const a = this.visitExpr(e.a), b = this.visitExpr(e.b);
    if (a === e.a && b === e.b) return e;
    const n = Math.max(a.dtype.lanes, b.dtype.lanes);
    const x = widen(a, n), y = widen(b, n);
    if (x.dtype.element().isIntegral()) {
      const folded = foldRamp(e.kind, x, y);
      if (folded) return folded;
    }
    if (x instanceof Broadcast && y instanceof Broadcast) {
      return new Broadcast(new binaryCtors[e.kind]!(x.value, y.value), n);
    }
    return new binaryCtors[e.kind]!(x, y);
  }

  private visitCall(c: Call): PrimExpr {
    const args = this.visitArray(c.args);
    if (c.op.kind !== "Op" || !(c.op as Op).pure) {
      if (args !== c.args) fallback(`call to ${String(c.op)} has lane-dependent arguments`);
      return c;
    }
    if (args === c.args) return c;
    const op = c.op as Op;
    const n = Math.max(...args.map((x) => x.dtype.lanes));
    if (op.name === "tir.if_then_else") {
      const cond = widen(args[0]!, n);
      let t = args[1]!, f = args[2]!;
      if (args[0]!.dtype.lanes > 1) {
        t = new LoadPredicator(cond, n).visitExpr(t);
        f = new LoadPredicator(new Not(cond), n).visitExpr(f);
      }
      return new Call(c.dtype.withLanes(n), op, [cond, widen(t, n), widen(f, n)]);
    }
    if (op.category !== "math" && op.category !== "bits" && op.name !== "tir.likely") {
      fallback(`intrinsic ${op.name} cannot be vectorized`);
    }
    return new Call(c.dtype.withLanes(n), op, args.map((x) => widen(x, n)));
  }

  override visitBufferLoad(e: BufferLoad): PrimExpr {
    const idx = this.visitArray(e.indices);
    const p = e.predicate ? this.visitExpr(e.predicate) : undefined;
    if (idx === e.indices && p === e.predicate) return e;
    if (e.predicate || e.buffer.dtype.lanes !== 1) fallback(`load from ${e.buffer.name} is already a vector access`);
    const n = Math.max(...idx.map((i) => i.dtype.lanes));
    return new BufferLoad(e.buffer, idx.map((i) => widen(i, n)));
  }

  override visitBufferStore(s: BufferStore): Stmt {
    const v = this.visitExpr(s.value), idx = this.visitArray(s.indices);
    if (idx === s.indices) {
      if (v !== s.value) fallback(`store of a lane-dependent value into one location of ${s.buffer.name}`);
      if (s.predicate && this.visitExpr(s.predicate) !== s.predicate) fallback("lane-dependent store predicate");
      if (readsAny(s.value, this.written) || hasImpureCall(s.value)) {
        fallback(`store into one location of ${s.buffer.name} is not idempotent`);
      }
      return s;
    }
    if (s.predicate || s.buffer.dtype.lanes !== 1) fallback(`store to ${s.buffer.name} is already a vector access`);
    const n = Math.max(...idx.map((i) => i.dtype.lanes));
    return new BufferStore(s.buffer, widen(v, n), idx.map((i) => widen(i, n)));
  }

  override visitStmt(s: Stmt): Stmt {
    switch (s.kind) {
      case "IfThenElse":
        return this.visitIf(s as IfThenElse);
      case "LetStmt": {
        const l = s as LetStmt;
        const v = this.visitExpr(l.value);
        if (v.dtype.lanes !== l.variable.dtype.lanes) {
          const nv = new Var(l.variable.name, v.dtype);
          this.vars.set(l.variable, nv);
          return new LetStmt(nv, v, this.visitStmt(l.body));
        }
        const b = this.visitStmt(l.body);
        return v === l.value && b === l.body ? l : new LetStmt(l.variable, v, b);
      }
      case "AttrStmt": {
        const a = s as AttrStmt;
        if (this.visitExpr(a.value) !== a.value) fallback(`attribute ${a.attrKey} depends on the lane`);
        const b = this.visitStmt(a.body);
        return b === a.body ? a : new AttrStmt(a.node, a.attrKey, a.value, b);
      }
      case "AssertStmt": {
        const a = s as AssertStmt;
        if (this.visitExpr(a.condition) !== a.condition) fallback("assert condition depends on the lane");
        const b = this.visitStmt(a.body);
        return b === a.body ? a : new AssertStmt(a.condition, a.message, b);
      }
      case "Allocate": {
        const a = s as Allocate;
        if (this.visitArray(a.extents) !== a.extents || this.visitExpr(a.condition) !== a.condition) {
          fallback("allocation size depends on the lane");
        }
        const b = this.visitStmt(a.body);
        return b === a.body ? a : new Allocate(a.bufferVar, a.dtype, a.extents, a.condition, b, a.annotations);
      }
      case "While": {
        const w = s as While;
        if (this.visitExpr(w.condition) !== w.condition) fallback("while condition depends on the lane");
        const b = this.visitStmt(w.body);
        return b === w.body ? w : new While(w.condition, b);
      }
      case "Evaluate": {
        const ev = s as Evaluate;
        if (hasImpureCall(ev.value)) fallback("an impure call would run once instead of once per lane");
        return super.visitStmt(s);
      }
      default:
        return super.visitStmt(s);
    }
  }

  override visitFor(f: For): Stmt {
    if (this.visitExpr(f.min) !== f.min || this.visitExpr(f.extent) !== f.extent || (f.step && this.visitExpr(f.step) !== f.step)) {
      fallback(`bounds of loop ${f.loopVar.name} depend on the lane`);
    }
    const b = this.visitStmt(f.body);
    return b === f.body ? f : f.with({ body: b });
  }

  private visitIf(s: IfThenElse): Stmt {
    const c = this.visitExpr(s.condition);
    if (c.dtype.lanes === 1) {
      const t = this.visitStmt(s.thenCase);
      const e = s.elseCase ? this.visitStmt(s.elseCase) : undefined;
      return c === s.condition && t === s.thenCase && e === s.elseCase ? s : new IfThenElse(c, t, e);
    }
    const out = this.predicated(s.thenCase, c);
    if (s.elseCase) out.push(...this.predicated(s.elseCase, new Not(c)));
    return SeqStmt.flatten(out);
  }

  /** A branch of plain stores as predicated vector stores. */
  private predicated(branch: Stmt, cond: PrimExpr): Stmt[] {
    const stores = branch instanceof SeqStmt ? branch.seq : [branch];
    return stores.map((st) => {
      if (!(st instanceof BufferStore)) fallback("an if with a lane-dependent condition guards more than stores");
      const v = this.visitBufferStore(st);
      if (!(v instanceof BufferStore) || v.indices.every((i) => i.dtype.lanes === 1)) {
        fallback("a lane-dependent if guards a store into one location");
      }
      const pred = new LoadPredicator(cond, this.lanes);
      return new BufferStore(v.buffer, pred.visitExpr(v.value), v.indices, cond);
    });
  }
}

/** Folds Ramp arithmetic with a broadcast or another ramp (integer lanes). */
function foldRamp(kind: string, x: PrimExpr, y: PrimExpr): PrimExpr | undefined {
  const n = x.dtype.lanes;
  if (x instanceof Ramp && y instanceof Broadcast) {
    if (kind === "Add") return new Ramp(add(x.base, y.value), x.stride, n);
    if (kind === "Sub") return new Ramp(sub(x.base, y.value), x.stride, n);
    if (kind === "Mul") return new Ramp(mul(x.base, y.value), mul(x.stride, y.value), n);
  }
  if (x instanceof Broadcast && y instanceof Ramp) {
    if (kind === "Add") return new Ramp(add(x.value, y.base), y.stride, n);
    if (kind === "Sub") return new Ramp(sub(x.value, y.base), neg(y.stride), n);
    if (kind === "Mul") return new Ramp(mul(x.value, y.base), mul(x.value, y.stride), n);
  }
  if (x instanceof Ramp && y instanceof Ramp) {
    if (kind === "Add") return new Ramp(add(x.base, y.base), add(x.stride, y.stride), n);
    if (kind === "Sub") return new Ramp(sub(x.base, y.base), sub(x.stride, y.stride), n);
  }
  return undefined;
}

/** Vectorizes one loop whose body was already processed; returns a serial loop on fallback. */
function vectorizeFor(f: For): Stmt {
  const serial = () => f.with({ forKind: "serial" });
  if (!(f.extent instanceof IntImm) || (f.step && !(f.step instanceof IntImm && f.step.value === 1))) return serial();
  const n = f.extent.value;
  if (n < 1) return serial();
  if (n === 1) return substituteStmt(f.body, new Map([[f.loopVar, f.min]]));
  const ramp = new Ramp(f.min, new IntImm(f.loopVar.dtype, 1), n);
  try {
    return new Vectorizer(f.loopVar, ramp, n, writtenBuffers(f.body)).visitStmt(f.body);
  } catch (e) {
    if (e instanceof Fallback) return serial();
    throw e;
  }
}

class LoopVectorizer extends StmtExprMutator {
  override visitExpr(e: PrimExpr): PrimExpr {
    return e;
  }
  override visitFor(f: For): Stmt {
    const inner = super.visitFor(f);
    if (!(inner instanceof For) || inner.forKind !== "vectorized") return inner;
    return vectorizeFor(inner);
  }
  override visitStmt(s: Stmt): Stmt {
    if (s.kind === "Block" || s.kind === "BlockRealize") {
      const b = s instanceof BlockRealize ? s.block : (s as Block);
      throw new Error(`expected lowered code without blocks (run LowerOpaqueBlock first), found block "${b.nameHint}"`);
    }
    return super.visitStmt(s);
  }
}

export function vectorizeLoopFunc(func: PrimFunc): PrimFunc {
  return func.withBody(new LoopVectorizer().visitStmt(func.body));
}

export const VectorizeLoop: Pass = primFuncPass("VectorizeLoop", (func) => vectorizeLoopFunc(func));
