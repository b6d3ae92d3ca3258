/**
 * AnnotateTIROpPattern: classifies each PrimFunc by how its blocks access memory and records
 * the class as the `op_pattern` function attribute (TVM's OpPatternKind numbers), which
 * FuseOps reads. Per block (the store it makes against each load):
 *
 * - elementwise: every load uses exactly the store's indices (`C[i, j] = A[i, j] + B[i, j]`;
 *   a block mixing elementwise and broadcast loads still counts as elementwise);
 * - broadcast: loads use a subsequence of the store's indices (`B[j]`, unit dims at 0);
 * - injective: store indices are plain vars and loads only use those vars (reshape, slicing);
 * - comm-reduce: a reduction whose loads index with the reduce vars directly (sum, max);
 * - out-elemwise-fusable: a multiply-accumulate reduction (matmul, conv), a reduction with
 *   computed window indices (pooling), or an injective output block after a reduction
 *   (softmax's normalization);
 * - opaque: anything else (several stores in one block, no stores, ...).
 * The function's pattern is the most general of its blocks'. Functions that already carry an
 * `op_pattern` keep it.
 */
import type { Buffer } from "../../ir/buffer.js";
import { Add, BufferLoad, Mul, Var, type PrimExpr } from "../../ir/expr.js";
import { ExprVisitor } from "../../ir/expr_functor.js";
import { PrimFunc } from "../../tir/function.js";
import { StmtExprVisitor } from "../../tir/stmt_functor.js";
import { BufferStore, type Block, type Stmt } from "../../tir/stmt.js";
import { modulePass, type Pass } from "./pass.js";

/** TVM's OpPatternKind (relay/op_attr_types.h), the values of the `op_pattern` attribute. */
export const OpPatternKind = {
  ElemWise: 0,
  Broadcast: 1,
  Injective: 2,
  CommReduce: 3,
  OutEWiseFusable: 4,
  Tuple: 7,
  Opaque: 8,
} as const;
export type OpPatternKind = (typeof OpPatternKind)[keyof typeof OpPatternKind];

export const OP_PATTERN_ATTR = "op_pattern";

const PATTERN_NAMES: Record<number, string> = {
  0: "elementwise", 1: "broadcast", 2: "injective", 3: "comm-reduce", 4: "out-elemwise-fusable", 7: "tuple", 8: "opaque",
};

export function opPatternName(k: number): string {
  return PATTERN_NAMES[k] ?? `unknown(${k})`;
}

const isOne = (e: PrimExpr, v: number) => e.kind === "IntImm" && (e as unknown as { value: number }).value === v;
const sameArray = (a: readonly PrimExpr[], b: readonly PrimExpr[]) => a.length === b.length && a.every((x, i) => x === b[i]);

function usesVar(e: PrimExpr, pred: (v: Var) => boolean): boolean {
  let found = false;
  class V extends ExprVisitor {
    override visitVar(v: Var): void {
      if (pred(v)) found = true;
    }
  }
  new V().visitExpr(e);
  return found;
}

function isElemwise(store: BufferStore, load: BufferLoad): boolean {
  return sameArray(store.indices, load.indices);
}

function isBroadcast(store: BufferStore, load: BufferLoad): boolean {
  let j = 0;
  for (let i = 0; i < load.indices.length; i++) {
    if (isOne(load.buffer.shape[i]!, 1) && isOne(load.indices[i]!, 0)) continue;
    while (j < store.indices.length && store.indices[j] !== load.indices[i]) j++;
    if (j === store.indices.length) return false;
  }
  return true;
}

function isInjective(store: BufferStore, load: BufferLoad): boolean {
  const vars = new Set<Var>();
  for (const x of store.indices) {
    if (!(x instanceof Var)) return false;
    vars.add(x);
  }
  return load.indices.every((x) => !usesVar(x, (v) => !vars.has(v)));
}

/** Loads of both factors together cover fewer store vars than the store: data is reused (matmul, conv). */
function allowsReuse(store: BufferStore, load: BufferLoad): boolean {
  const vars = new Set<Var>();
  for (const x of store.indices) {
    if (!(x instanceof Var)) return false;
    vars.add(x);
  }
  for (const x of load.indices) usesVar(x, (v) => vars.delete(v));
  return vars.size > 0;
}

function isFMA(body: Stmt): boolean {
  if (!(body instanceof BufferStore) || !(body.value instanceof Add)) return false;
  const { a, b } = body.value;
  if (!(a instanceof BufferLoad) || !(b instanceof Mul)) return false;
  const incremental = a.buffer === body.buffer && sameArray(body.indices, a.indices);
  if (!incremental || !(b.a instanceof BufferLoad) || !(b.b instanceof BufferLoad)) return false;
  return allowsReuse(body, b.a) && allowsReuse(body, b.b);
}

function isPureReduce(reduceVars: readonly Var[], indices: readonly PrimExpr[]): boolean {
  return indices.every((e) => {
    const hit = reduceVars.find((r) => usesVar(e, (v) => v === r));
    return hit === undefined || hit === e;
  });
}

class PatternAnalyzer extends StmtExprVisitor {
  kind: number = OpPatternKind.ElemWise;
  private stores: BufferStore[] = [];
  private loads: BufferLoad[] = [];

  constructor(private readonly params: ReadonlySet<Buffer>) {
    super();
  }

  override visitBufferStore(s: BufferStore): void {
    this.stores.push(s);
    super.visitBufferStore(s);
  }

  override visitBufferLoad(e: BufferLoad): void {
    this.loads.push(e);
    super.visitBufferLoad(e);
  }

  override visitBlock(b: Block): void {
    if (b.nameHint === "root") {
      this.visitStmt(b.body);
      return;
    }
    const saved = [this.stores, this.loads] as const;
    this.stores = [];
    this.loads = [];
    this.visitStmt(b.body);
    this.classify(b, this.stores, this.loads);
    [this.stores, this.loads] = saved;
  }

  private classify(b: Block, stores: readonly BufferStore[], loads: readonly BufferLoad[]): void {
    if (stores.length !== 1) {
      this.kind = OpPatternKind.Opaque;
      return;
    }
    const store = stores[0]!;
    let pair: number = OpPatternKind.ElemWise;
    let hasElemwise = false;
    for (const l of loads) {
      if (isElemwise(store, l)) hasElemwise = true;
      else if (isBroadcast(store, l)) pair = Math.max(pair, OpPatternKind.Broadcast);
      else if (isInjective(store, l)) pair = Math.max(pair, OpPatternKind.Injective);
      else {
        pair = OpPatternKind.Opaque;
        break;
      }
    }
    if (pair === OpPatternKind.Broadcast && hasElemwise) pair = OpPatternKind.ElemWise;
    if (pair !== OpPatternKind.Opaque) {
      const isOutput = b.writes.some((w) => this.params.has(w.buffer)) || this.params.has(store.buffer);
      if (isOutput && this.kind === OpPatternKind.CommReduce) this.kind = OpPatternKind.OutEWiseFusable;
      else this.kind = Math.max(this.kind, pair);
      return;
    }
    const reduceVars = b.iterVars.filter((iv) => iv.iterType === "CommReduce").map((iv) => iv.variable);
    if (reduceVars.length === 0) {
      this.kind = OpPatternKind.Opaque;
      return;
    }
    if (isFMA(b.body) || loads.some((l) => !isPureReduce(reduceVars, l.indices))) {
      this.kind = Math.max(this.kind, OpPatternKind.OutEWiseFusable);
      return;
    }
    this.kind = Math.max(this.kind, OpPatternKind.CommReduce);
  }
}

/** The op pattern of a PrimFunc, computed from its blocks. */
export function analyzeOpPattern(func: PrimFunc): number {
  const a = new PatternAnalyzer(new Set(func.bufferMap.values()));
  a.visitStmt(func.body);
  return a.kind;
}

export const AnnotateTIROpPattern: Pass = modulePass("AnnotateTIROpPattern", (mod) =>
  mod.map((f) => {
    if (!(f instanceof PrimFunc) || OP_PATTERN_ATTR in f.attrs) return f;
    return f.with({ attrs: { ...f.attrs, [OP_PATTERN_ATTR]: analyzeOpPattern(f) } });
  }),
);
