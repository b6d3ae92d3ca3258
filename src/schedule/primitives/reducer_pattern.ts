/**
 * Recognising the commutative reducer of a reduction block (TVM's ReducerRegistry and
 * reducer.cc), for rfactor and, later, cross-thread reduction.
 *
 * A reduction block stores `init` values (the identities) and, in its body, `update` values
 * `combine(lhs, rhs)` where lhs is the load of the very element being updated. A registered
 * reducer is a pattern `combine(x, y)` over hole variables plus its identities; matching fills
 * the holes, so x gives the combiner's lhs and y the rhs that rfactor moves into the rfactor
 * block. Several buffers reduced together (argmax: index and value) are written as LetStmts
 * computing every new value before any store.
 */
import type { DataType } from "../../ir/dtype.js";
import type { Buffer } from "../../ir/buffer.js";
import {
  Add, And, BufferLoad, EQ, GE, GT, IntImm, FloatImm, LE, LT, Max, Min, Mul, Or, PrimExpr, Select, Var,
} from "../../ir/expr.js";
import * as E from "../../ir/expr_ops.js";
import { ExprVisitor } from "../../ir/expr_functor.js";
import { structuralEqual } from "../../ir/structural.js";
import { Analyzer } from "../../arith/analyzer.js";
import { CommReducer } from "../../te/reduce.js";
import { Block, BufferStore, LetStmt, SeqStmt, type Stmt } from "../../tir/stmt.js";

/** A reducer pattern: builds the combiner over hole variables and the identities for given dtypes. */
export interface ReducerPattern {
  readonly name: string;
  readonly numValues: number;
  /** Single-value reducers whose combiner is symmetric also match `combine(y, x)`. */
  readonly symmetric: boolean;
  combine(x: Var[], y: Var[]): PrimExpr[];
  identity(dtypes: DataType[]): PrimExpr[];
}

const patterns: ReducerPattern[] = [];

/** Adds a reducer that rfactor recognises (TVM's `tir.schedule.RegisterReducer`). */
export function registerReducer(p: ReducerPattern): void {
  patterns.push(p);
}

/** Names of the recognised reducers, for error messages. */
export function reducerNames(): string[] {
  return patterns.map((p) => p.name);
}

const one = (name: string, combine: (x: Var, y: Var) => PrimExpr, identity: (t: DataType) => PrimExpr): ReducerPattern => ({
  name,
  numValues: 1,
  symmetric: true,
  combine: (x, y) => [combine(x[0]!, y[0]!)],
  identity: (ts) => [identity(ts[0]!)],
});

// TVM's default registry, in its order.
registerReducer(one("sum", (x, y) => new Add(x, y), (t) => E.constant(0, t)));
registerReducer(one("prod", (x, y) => new Mul(x, y), (t) => E.constant(1, t)));
registerReducer(one("min", (x, y) => new Min(x, y), (t) => E.maxValue(t)));
registerReducer(one("max", (x, y) => new Max(x, y), (t) => E.minValue(t)));
registerReducer({
  name: "sum of two values",
  numValues: 2,
  symmetric: false,
  combine: (x, y) => [new Add(x[0]!, y[0]!), new Add(x[1]!, y[1]!)],
  identity: (ts) => [E.constant(0, ts[0]!), E.constant(0, ts[1]!)],
});
for (const [name, keep, init] of [
  ["argmax", (a: PrimExpr, b: PrimExpr) => new GE(a, b), E.minValue],
  ["argmin", (a: PrimExpr, b: PrimExpr) => new LE(a, b), E.maxValue],
] as const) {
  registerReducer({
    name,
    numValues: 2,
    symmetric: false,
    combine: (x, y) => {
      const c = keep(x[1]!, y[1]!);
      return [new Select(c, x[0]!, y[0]!), new Select(c, x[1]!, y[1]!)];
    },
    identity: (ts) => [E.constant(-1, ts[0]!), init(ts[1]!)],
  });
}
for (const [name, better, init] of [
  ["argmax (first index on ties)", (a: PrimExpr, b: PrimExpr) => new GT(a, b), E.minValue],
  ["argmin (first index on ties)", (a: PrimExpr, b: PrimExpr) => new LT(a, b), E.maxValue],
] as const) {
  registerReducer({
    name,
    numValues: 2,
    symmetric: false,
    combine: (x, y) => {
      const idx = new Select(new Or(better(x[1]!, y[1]!), new And(new EQ(x[1]!, y[1]!), new LT(x[0]!, y[0]!))), x[0]!, y[0]!);
      return [idx, new Select(better(x[1]!, y[1]!), x[1]!, y[1]!)];
    },
    identity: (ts) => [E.constant(-1, ts[0]!), init(ts[1]!)],
  });
}
// weft's own te argmax / argmin (src/te/ops/reduction.ts): the -1 identity index never wins,
// ties go to the smaller (or, with selectLastIndex, larger) index. Built with the same
// builders te uses, so the shapes line up node for node.
for (const kind of ["argmax", "argmin"] as const) {
  for (const last of [false, true]) {
    registerReducer({
      name: `te ${kind}${last ? " (last index on ties)" : ""}`,
      numValues: 2,
      symmetric: false,
      combine: ([li, lv], [ri, rv]) => {
        const better = kind === "argmax" ? E.gt(lv!, rv!) : E.lt(lv!, rv!);
        const tie = E.and(E.eq(lv!, rv!), last ? E.gt(li!, ri!) : E.lt(li!, ri!));
        const pickLeft = E.and(E.ge(li!, 0), E.or(E.lt(ri!, 0), E.or(better, tie)));
        return [E.select(pickLeft, li!, ri!), E.select(pickLeft, lv!, rv!)];
      },
      identity: ([ti, tv]) => [E.constant(-1, ti!), kind === "argmax" ? E.minValue(tv!) : E.maxValue(tv!)],
    });
  }
}

// ---------------------------------------------------------------- pattern matching

/**
 * Matches `pattern` (whose variables in `holes` match any expression, consistently) against
 * `expr`; other nodes must agree in kind, dtype and operands.
 */
function matchInto(pattern: PrimExpr, expr: PrimExpr, holes: ReadonlySet<Var>, filled: Map<Var, PrimExpr>): boolean {
  if (pattern instanceof Var && holes.has(pattern)) {
    const prev = filled.get(pattern);
    if (prev) return prev === expr || structuralEqual(prev, expr);
    if (pattern.dtype !== expr.dtype) return false;
    filled.set(pattern, expr);
    return true;
  }
  if (pattern.kind !== expr.kind || pattern.dtype !== expr.dtype) return false;
  if (pattern instanceof IntImm || pattern instanceof FloatImm) return pattern.value === (expr as IntImm | FloatImm).value;
  if (pattern instanceof Var) return pattern === expr;
  if (pattern instanceof Select) {
    const s = expr as Select;
    return (
      matchInto(pattern.condition, s.condition, holes, filled) &&
      matchInto(pattern.trueValue, s.trueValue, holes, filled) &&
      matchInto(pattern.falseValue, s.falseValue, holes, filled)
    );
  }
  if (pattern instanceof BufferLoad) {
    const l = expr as BufferLoad;
    return (
      pattern.buffer === l.buffer &&
      pattern.indices.length === l.indices.length &&
      pattern.indices.every((p, i) => matchInto(p, l.indices[i]!, holes, filled))
    );
  }
  const p = pattern as unknown as { a?: PrimExpr; b?: PrimExpr };
  const q = expr as unknown as { a?: PrimExpr; b?: PrimExpr };
  if (p.a && q.a) {
    if (!matchInto(p.a, q.a, holes, filled)) return false;
    return p.b && q.b ? matchInto(p.b, q.b, holes, filled) : p.b === q.b;
  }
  // Casts, calls and vector nodes never appear in the registered patterns: compare exactly.
  return structuralEqual(pattern, expr);
}

class BufferReads extends ExprVisitor {
  found = false;
  constructor(private readonly bufs: ReadonlySet<Buffer>) {
    super();
  }
  override visitExpr(e: PrimExpr): void {
    if (!this.found) super.visitExpr(e);
  }
  override visitBufferLoad(e: BufferLoad): void {
    if (this.bufs.has(e.buffer)) this.found = true;
    else super.visitBufferLoad(e);
  }
}

function readsAny(e: PrimExpr, bufs: ReadonlySet<Buffer>): boolean {
  const v = new BufferReads(bufs);
  v.visitExpr(e);
  return v.found;
}

interface Instance {
  readonly x: Var[];
  readonly y: Var[];
  readonly identity: PrimExpr[];
  readonly result: PrimExpr[];
}

// Patterns instantiated per dtype list, so matching does not rebuild them on every call.
const instances = new WeakMap<ReducerPattern, Map<string, Instance>>();

function instantiate(p: ReducerPattern, dtypes: readonly DataType[]): Instance {
  let byKey = instances.get(p);
  if (!byKey) instances.set(p, (byKey = new Map()));
  const key = dtypes.join(",");
  let inst = byKey.get(key);
  if (!inst) {
    const n = dtypes.length;
    const x = dtypes.map((t, i) => new Var(n > 1 ? `x${i}` : "x", t));
    const y = dtypes.map((t, i) => new Var(n > 1 ? `y${i}` : "y", t));
    inst = { x, y, identity: p.identity([...dtypes]), result: p.combine(x, y) };
    byKey.set(key, inst);
  }
  return inst;
}

export interface MatchedReducer {
  readonly reducer: CommReducer;
  /** Per value: the combiner's lhs (the load of the updated element) and rhs. */
  readonly lhs: PrimExpr[];
  readonly rhs: PrimExpr[];
}

/**
 * Finds the registered reducer whose identities equal `inits` and whose combiner, applied to
 * the loads of the updated elements, gives the stored values of `updates`.
 */
export function matchReducer(inits: readonly PrimExpr[], updates: readonly BufferStore[]): MatchedReducer | undefined {
  const n = inits.length;
  const dtypes = updates.map((u) => u.value.dtype);
  const loads = updates.map((u) => new BufferLoad(u.buffer, u.indices));
  const reduced = new Set(updates.map((u) => u.buffer));
  for (const p of patterns) {
    if (p.numValues !== n) continue;
    const { x, y, identity, result } = instantiate(p, dtypes);
    if (!identity.every((id, i) => structuralEqual(id, inits[i]))) continue;
    const orders = p.symmetric ? [[x, y], [y, x]] : [[x, y]];
    for (const [l, r] of orders) {
      const holes = new Set<Var>([...x, ...y]);
      const filled = new Map<Var, PrimExpr>();
      if (!result.every((pat, i) => matchInto(pat, updates[i]!.value, holes, filled))) continue;
      const lhs = l!.map((v) => filled.get(v)!);
      const rhs = r!.map((v) => filled.get(v)!);
      if (lhs.some((e) => e === undefined) || rhs.some((e) => e === undefined)) continue;
      if (!lhs.every((e, i) => structuralEqual(e, loads[i]))) continue;
      // The combined value must not read the reduced buffers again (`B[i] = B[i] + B[i]`).
      if (rhs.some((e) => readsAny(e, reduced))) continue;
      return { reducer: new CommReducer(p.name, x, y, result, identity), lhs, rhs };
    }
  }
  return undefined;
}

// ---------------------------------------------------------------- init / update extraction

/** Why a reduction block's init / body cannot be read as a reducer (TVM's 12 conditions). */
export class ReductionFormError extends Error {
  constructor(
    readonly condition: number,
    detail: string,
  ) {
    super(detail);
  }
}

export interface InitsAndUpdates {
  /** The identities, in the order of `updates`. */
  readonly inits: PrimExpr[];
  /** One `buffer[indices] = combine(...)` per reduced buffer (Let-bound values inlined). */
  readonly updates: BufferStore[];
}

function storesOf(s: Stmt): Stmt[] {
  return s instanceof SeqStmt ? [...s.seq] : [s];
}

/**
 * Reads the init stores and the update stores of a reduction block: the init is one store or a
 * sequence of stores; the body is one store, or (several buffers) as many LetStmts as stores,
 * each store writing one let variable.
 */
export function initsAndUpdates(block: Block): InitsAndUpdates {
  const fail = (c: number, d: string): never => {
    throw new ReductionFormError(c, d);
  };
  // Conditions 1-2: the init.
  const initStores: BufferStore[] = [];
  for (const s of block.init ? storesOf(block.init) : []) {
    if (!(s instanceof BufferStore)) fail(1, "the init must be a single BufferStore or a sequence of BufferStores");
    const st = s as BufferStore;
    if (initStores.some((o) => o.buffer === st.buffer)) fail(2, `the init stores into buffer ${st.buffer.name} twice`);
    initStores.push(st);
  }
  const n = initStores.length;
  if (n === 0) fail(1, "the block has no init statement");
  // Conditions 3-9: the body.
  let updates: BufferStore[];
  if (block.body instanceof BufferStore) {
    updates = [block.body];
  } else {
    const lets: LetStmt[] = [];
    let s: Stmt = block.body;
    while (s instanceof LetStmt) {
      if (lets.some((l) => l.variable === (s as LetStmt).variable)) fail(4, `the let variable ${s.variable.name} is bound twice`);
      lets.push(s);
      s = s.body;
    }
    if (lets.length === 0) fail(5, "the body must be a BufferStore, or LetStmts over BufferStores");
    if (lets.length !== n) fail(3, `the body has ${lets.length} LetStmt(s) but the init stores ${n} buffer(s)`);
    const stores = storesOf(s);
    if (stores.length !== n) fail(6, `the body stores ${stores.length} value(s) but the init stores ${n}`);
    updates = new Array<BufferStore>(n);
    const seen = new Set<Buffer>();
    for (const st of stores) {
      if (!(st instanceof BufferStore)) fail(5, "the innermost LetStmt's body must be BufferStores only");
      const store = st as BufferStore;
      const idx = lets.findIndex((l) => l.variable === store.value);
      if (idx < 0) fail(7, `the store into ${store.buffer.name} must store one of the let variables`);
      if (updates[idx]) fail(8, `the let variable ${lets[idx]!.variable.name} is stored twice`);
      if (seen.has(store.buffer)) fail(9, `buffer ${store.buffer.name} is stored twice`);
      seen.add(store.buffer);
      updates[idx] = new BufferStore(store.buffer, lets[idx]!.value, store.indices);
    }
  }
  if (updates.length !== n) fail(6, `the body stores ${updates.length} value(s) but the init stores ${n}`);
  // Conditions 10-12: the buffers match, have one shape, and are indexed alike.
  let analyzer: Analyzer | undefined;
  const shape = updates[0]!.buffer.shape;
  const indices = updates[0]!.indices;
  const inits = new Array<PrimExpr>(n);
  const sameExpr = (a: PrimExpr, b: PrimExpr) => a === b || (analyzer ??= new Analyzer()).canProve(E.eq(a, b));
  for (let i = 0; i < n; i++) {
    const u = updates[i]!;
    if (u.buffer.shape.length !== shape.length || !u.buffer.shape.every((d, k) => sameExpr(d, shape[k]!))) {
      fail(11, `the reduced buffers ${updates[0]!.buffer.name} and ${u.buffer.name} differ in shape`);
    }
    const init = initStores[i]!;
    for (const idx of [init.indices, u.indices]) {
      if (idx.length !== indices.length || !idx.every((x, k) => sameExpr(x, indices[k]!))) {
        fail(12, "every store of the reduction (init and update) must use the same indices");
      }
    }
    const j = updates.findIndex((x) => x.buffer === init.buffer);
    if (j < 0) fail(10, `the init stores into ${init.buffer.name}, which the body does not update`);
    inits[j] = init.value;
  }
  return { inits, updates };
}

/** The readable form of the update values, for error messages. */
export function describeUpdates(updates: readonly BufferStore[]): string {
  return updates.map((u) => `${u.buffer.name}[${u.indices.map(String).join(", ")}] = ${String(u.value)}`).join("; ");
}
