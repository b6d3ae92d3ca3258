/**
 * Visitors and copy-on-write mutators over PrimExprs. A mutator returns the very same node
 * when nothing below it changed, so untouched subtrees (and their cached hashes) are shared.
 */
import {
  Add, And, Broadcast, BufferLoad, Call, Cast, Div, EQ, FloorDiv, FloorMod, GE, GT, LE, LT, Let, Max, Min, Mod,
  Mul, NE, Not, Or, PrimExpr, Ramp, Select, Shuffle, Sub, type BinaryOp, type CmpOp, type Var,
} from "./expr.js";

export type BinaryCtor = new (a: PrimExpr, b: PrimExpr) => PrimExpr;
export const binaryCtors: Record<string, BinaryCtor> = {
  Add, Sub, Mul, Div, Mod, FloorDiv, FloorMod, Min, Max, EQ, NE, LT, LE, GT, GE, And, Or,
};

export class ExprVisitor {
  visitExpr(e: PrimExpr): void {
    switch (e.kind) {
      case "IntImm":
      case "FloatImm":
      case "StringImm":
        return;
      case "Var":
      case "SizeVar":
        return this.visitVar(e as Var);
      case "Cast":
        return this.visitExpr((e as Cast).value);
      case "Not":
        return this.visitExpr((e as Not).a);
      case "Select": {
        const s = e as Select;
        this.visitExpr(s.condition);
        this.visitExpr(s.trueValue);
        return this.visitExpr(s.falseValue);
      }
      case "Ramp":
        this.visitExpr((e as Ramp).base);
        return this.visitExpr((e as Ramp).stride);
      case "Broadcast":
        return this.visitExpr((e as Broadcast).value);
      case "Shuffle":
        for (const v of (e as Shuffle).vectors) this.visitExpr(v);
        return;
      case "Let": {
        const l = e as Let;
        this.visitExpr(l.value);
        return this.visitExpr(l.body);
      }
      case "Call":
        for (const a of (e as Call).args) this.visitExpr(a);
        return;
      case "BufferLoad":
        return this.visitBufferLoad(e as BufferLoad);
      default: {
        const b = e as BinaryOp | CmpOp | And | Or;
        this.visitExpr(b.a);
        return this.visitExpr(b.b);
      }
    }
  }
  visitVar(_v: Var): void {}
  visitBufferLoad(e: BufferLoad): void {
    for (const i of e.indices) this.visitExpr(i);
    if (e.predicate) this.visitExpr(e.predicate);
  }
}

/** Rebuilds only what changed. Override `visitVar`, `visitBufferLoad` or `visitExpr`. */
export class ExprMutator {
  visitExpr(e: PrimExpr): PrimExpr {
    switch (e.kind) {
      case "IntImm":
      case "FloatImm":
      case "StringImm":
        return e;
      case "Var":
      case "SizeVar":
        return this.visitVar(e as Var);
      case "Cast": {
        const c = e as Cast;
        const v = this.visitExpr(c.value);
        return v === c.value ? c : new Cast(c.dtype, v);
      }
      case "Not": {
        const n = e as Not;
        const a = this.visitExpr(n.a);
        return a === n.a ? n : new Not(a);
      }
      case "Select": {
        const s = e as Select;
        const c = this.visitExpr(s.condition), t = this.visitExpr(s.trueValue), f = this.visitExpr(s.falseValue);
        return c === s.condition && t === s.trueValue && f === s.falseValue ? s : new Select(c, t, f);
      }
      case "Ramp": {
        const r = e as Ramp;
        const b = this.visitExpr(r.base), s = this.visitExpr(r.stride);
        return b === r.base && s === r.stride ? r : new Ramp(b, s, r.lanes);
      }
      case "Broadcast": {
        const b = e as Broadcast;
        const v = this.visitExpr(b.value);
        return v === b.value ? b : new Broadcast(v, b.lanes);
      }
      case "Shuffle": {
        const s = e as Shuffle;
        const vs = this.visitArray(s.vectors);
        return vs === s.vectors ? s : new Shuffle(vs, s.indices);
      }
      case "Let": {
        const l = e as Let;
        const v = this.visitExpr(l.value), b = this.visitExpr(l.body);
        return v === l.value && b === l.body ? l : new Let(l.variable, v, b);
      }
      case "Call": {
        const c = e as Call;
        const args = this.visitArray(c.args);
        return args === c.args ? c : new Call(c.dtype, c.op, args);
      }
      case "BufferLoad":
        return this.visitBufferLoad(e as BufferLoad);
      default: {
        const b = e as BinaryOp;
        const x = this.visitExpr(b.a), y = this.visitExpr(b.b);
        if (x === b.a && y === b.b) return b;
        return new binaryCtors[b.kind]!(x, y);
      }
    }
  }
  visitVar(v: Var): PrimExpr {
    return v;
  }
  visitBufferLoad(e: BufferLoad): PrimExpr {
    const idx = this.visitArray(e.indices);
    const p = e.predicate ? this.visitExpr(e.predicate) : undefined;
    return idx === e.indices && p === e.predicate ? e : new BufferLoad(e.buffer, idx, p);
  }
  /** Maps an array; returns the same array when no element changed. */
  visitArray(xs: readonly PrimExpr[]): readonly PrimExpr[] {
    let out: PrimExpr[] | undefined;
    for (let i = 0; i < xs.length; i++) {
      const y = this.visitExpr(xs[i]!);
      if (out) out.push(y);
      else if (y !== xs[i]) {
        out = xs.slice(0, i);
        out.push(y);
      }
    }
    return out ?? xs;
  }
}

// The helpers below reuse module-level visitor classes: defining a class per call costs
// more than the walk itself on small expressions.

class PostOrder extends ExprVisitor {
  constructor(private readonly f: (e: PrimExpr) => void) {
    super();
  }
  override visitExpr(x: PrimExpr): void {
    super.visitExpr(x);
    this.f(x);
  }
  override visitVar(): void {}
}

/** Calls `f` on every sub-expression, children first. */
export function postOrderVisit(e: PrimExpr, f: (e: PrimExpr) => void): void {
  new PostOrder(f).visitExpr(e);
}

class Substituter extends ExprMutator {
  constructor(private readonly f: (v: Var) => PrimExpr | undefined) {
    super();
  }
  override visitVar(v: Var): PrimExpr {
    return this.f(v) ?? v;
  }
}

/** Replaces variables by expressions (`vmap` may be a Map or a function returning undefined to keep). */
export function substitute(e: PrimExpr, vmap: ReadonlyMap<Var, PrimExpr> | ((v: Var) => PrimExpr | undefined)): PrimExpr {
  if (typeof vmap !== "function" && vmap.size === 0) return e;
  return new Substituter(typeof vmap === "function" ? vmap : (v: Var) => vmap.get(v)).visitExpr(e);
}

class VarFinder extends ExprVisitor {
  found = false;
  constructor(private readonly pred: (v: Var) => boolean) {
    super();
  }
  override visitExpr(x: PrimExpr): void {
    if (!this.found) super.visitExpr(x);
  }
  override visitVar(v: Var): void {
    if (this.pred(v)) this.found = true;
  }
}

/** Whether any variable satisfying `pred` occurs in `e`. */
export function usesVar(e: PrimExpr, pred: (v: Var) => boolean): boolean {
  const u = new VarFinder(pred);
  u.visitExpr(e);
  return u.found;
}

class VarCollector extends ExprVisitor {
  readonly seen = new Set<Var>();
  override visitVar(v: Var): void {
    this.seen.add(v);
  }
}

/** The free variables of `e`, in first-use order. */
export function collectVars(e: PrimExpr): Var[] {
  const c = new VarCollector();
  c.visitExpr(e);
  return [...c.seen];
}
