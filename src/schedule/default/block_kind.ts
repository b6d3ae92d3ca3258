/**
 * Structural classification of blocks for the default CPU schedules: what a block computes is
 * read from its iter vars and its body, never from its name.
 *
 * - "matmul": a reduction `C[..] = C[..] + x * y` with one reduction iter var that both
 *   operands read, and at least one spatial iter var read only by x and one read only by y
 *   (matmul, dense, batch_matmul; casts around the operands are allowed).
 * - "conv": a multiply-add reduction with two or more reduction iter vars (conv, depthwise).
 * - "reduction": any other block with an init and reduction iter vars (sum, max, pooling,
 *   softmax's max / sum, layer_norm's moments, argmax).
 * - "injective": every iter var is data-parallel and there is no init (elementwise,
 *   broadcast, transpose, reshape, concat, padding).
 * - "other": anything else (opaque iter vars, match_buffers): left alone.
 */
import type { PrimExpr, Var } from "../../ir/expr.js";
import { BufferLoad } from "../../ir/expr.js";
import { postOrderVisit } from "../../ir/expr_functor.js";
import type { Buffer } from "../../ir/buffer.js";
import { Block, BufferStore, type BlockRealize, type IterVar } from "../../tir/stmt.js";
import { postOrderVisitStmt } from "../../tir/stmt_functor.js";

export type BlockKind = "matmul" | "conv" | "reduction" | "injective" | "other";

export interface BlockAnalysis {
  kind: BlockKind;
  spatial: IterVar[];
  reduce: IterVar[];
  /** For matmul / conv: the iter vars read by the first operand and by the second. */
  lhsVars?: Set<Var>;
  rhsVars?: Set<Var>;
  /** Whether the body calls an intrinsic or selects (exp, if_then_else, ...). */
  hasCall: boolean;
}

function varsOf(e: PrimExpr, into = new Set<Var>()): Set<Var> {
  postOrderVisit(e, (x) => {
    if (x.kind === "Var" || x.kind === "SizeVar") into.add(x as Var);
  });
  return into;
}

/** Strips casts. */
function uncast(e: PrimExpr): PrimExpr {
  while (e.kind === "Cast") e = (e as unknown as { value: PrimExpr }).value;
  return e;
}

function loadsIn(e: PrimExpr): BufferLoad[] {
  const out: BufferLoad[] = [];
  postOrderVisit(e, (x) => {
    if (x instanceof BufferLoad) out.push(x);
  });
  return out;
}

/** The iter vars the loads inside `e` use in their indices. */
function loadVars(e: PrimExpr): Set<Var> {
  const s = new Set<Var>();
  for (const l of loadsIn(e)) for (const i of l.indices) varsOf(i, s);
  return s;
}

function sameLoad(e: PrimExpr, buf: Buffer, idx: readonly PrimExpr[]): boolean {
  const u = uncast(e);
  if (!(u instanceof BufferLoad) || u.buffer !== buf || u.indices.length !== idx.length) return false;
  return u.indices.every((x, i) => x === idx[i] || (x.kind === "Var" && x === idx[i]));
}

/** For `C[idx] = C[idx] + x * y` returns [x, y]; undefined otherwise. */
export function multiplyAddOperands(block: Block): [PrimExpr, PrimExpr] | undefined {
  const body = block.body;
  if (!(body instanceof BufferStore)) return undefined;
  const v = body.value;
  if (v.kind !== "Add") return undefined;
  const { a, b } = v as unknown as { a: PrimExpr; b: PrimExpr };
  const term = sameLoad(a, body.buffer, body.indices) ? b : sameLoad(b, body.buffer, body.indices) ? a : undefined;
  if (!term) return undefined;
  const t = uncast(term);
  if (t.kind !== "Mul") return undefined;
  const m = t as unknown as { a: PrimExpr; b: PrimExpr };
  if (loadsIn(m.a).length === 0 || loadsIn(m.b).length === 0) return undefined;
  return [m.a, m.b];
}

function hasCallOrSelect(block: Block): boolean {
  let found = false;
  const visit = (e: PrimExpr) =>
    postOrderVisit(e, (x) => {
      if (x.kind === "Call" || x.kind === "Select") found = true;
    });
  postOrderVisitStmt(block.body, (s) => {
    if (s instanceof BufferStore) visit(s.value);
    const let_ = s as unknown as { kind: string; value?: PrimExpr };
    if (let_.kind === "LetStmt" && let_.value) visit(let_.value);
  });
  return found;
}

export function analyzeBlock(block: Block, realize?: BlockRealize): BlockAnalysis {
  const spatial = block.iterVars.filter((iv) => iv.iterType === "DataPar");
  const reduce = block.iterVars.filter((iv) => iv.iterType === "CommReduce");
  const hasCall = hasCallOrSelect(block);
  const base = { spatial, reduce, hasCall };
  if (block.matchBuffers.length > 0 || spatial.length + reduce.length !== block.iterVars.length) return { kind: "other", ...base };
  if (realize && realize.iterValues.some((v) => v.kind !== "Var" && v.kind !== "IntImm")) {
    // Already scheduled (split / fused bindings): the rules expect one loop per iter var.
    return { kind: "other", ...base };
  }
  if (reduce.length === 0) return { kind: block.init ? "other" : "injective", ...base };
  if (!block.init) return { kind: "other", ...base };
  const ops = multiplyAddOperands(block);
  if (ops) {
    const lhsVars = loadVars(ops[0]);
    const rhsVars = loadVars(ops[1]);
    if (reduce.length === 1) {
      const k = reduce[0]!.variable;
      const sv = spatial.map((iv) => iv.variable);
      const lhsOnly = sv.some((x) => lhsVars.has(x) && !rhsVars.has(x));
      const rhsOnly = sv.some((x) => rhsVars.has(x) && !lhsVars.has(x));
      if (lhsVars.has(k) && rhsVars.has(k) && lhsOnly && rhsOnly && spatial.length >= 2) {
        return { kind: "matmul", ...base, lhsVars, rhsVars };
      }
    } else {
      return { kind: "conv", ...base, lhsVars, rhsVars };
    }
  }
  return { kind: "reduction", ...base };
}

/** Buffers a block reads (from its read regions). */
export function readBuffers(block: Block): Buffer[] {
  return block.reads.map((r) => r.buffer);
}

/** The BufferLoads of `buf` anywhere in the block's body. */
export function loadsOf(block: Block, buf: Buffer): BufferLoad[] {
  const out: BufferLoad[] = [];
  postOrderVisitStmt(block.body, (s) => {
    const v = (s as unknown as { value?: PrimExpr }).value;
    if (s instanceof BufferStore || (s.kind === "LetStmt" && v)) {
      for (const l of loadsIn(v!)) if (l.buffer === buf) out.push(l);
    }
  });
  return out;
}
