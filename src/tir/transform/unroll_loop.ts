/**
 * UnrollLoop: fully unrolls `T.unroll` loops and, under `pragma_auto_unroll_max_step`, small
 * serial loop nests (TVM's UnrollLoop with its default configuration: auto_max_step 0 outside a
 * pragma, auto_max_depth 8, auto_max_extent 0, explicit unrolling).
 *
 * Rules, following TVM:
 * - Each leaf statement (store, evaluate) counts as one step; a sequence sums the steps of its
 *   parts; a loop multiplies the steps of its body by its trip count.
 * - A serial loop with a constant trip count is unrolled when it is inside a
 *   `pragma_auto_unroll_max_step` region, no loop below it was kept as a loop, at most
 *   `auto_max_depth` unrolled loops are below it, and trip count * steps of its body <= the
 *   pragma's value. Larger nests are unrolled from the inside out as far as the budget goes.
 * - `T.unroll` loops are always unrolled; their extent must be constant (else PassError).
 * - Unrolling copies the body once per iteration with the loop variable substituted by the
 *   constant `min + k * step` (no simplification: Simplify runs later). Variables defined in
 *   the body (inner loops, lets, allocations) are shared by the copies, as in TVM.
 * - The pragma is taken from an `AttrStmt` (what LowerOpaqueBlock emits) or from a loop's
 *   annotation (either form is removed from the output). `pragma_unroll_explicit = 0` keeps
 *   chosen loops as `T.unroll` loops instead of copying their bodies.
 * Other loops are left alone; a function with nothing to unroll is returned unchanged.
 */
import { IntImm, type PrimExpr } from "../../ir/expr.js";
import { add } from "../../ir/expr_ops.js";
import type { PrimFunc } from "../function.js";
import { AttrStmt, For, SeqStmt, noOp, type Annotations, type Stmt } from "../stmt.js";
import { StmtExprMutator, substituteStmt } from "../stmt_functor.js";
import { primFuncPass, type Pass } from "./pass.js";

const MAX_STEP = "pragma_auto_unroll_max_step";
const EXPLICIT = "pragma_unroll_explicit";
const AUTO_MAX_DEPTH = 8;

function pragmaInt(value: unknown, key: string): number {
  if (value instanceof IntImm) return value.value;
  if (typeof value === "number" && Number.isInteger(value)) return value;
  if (typeof value === "boolean") return value ? 1 : 0;
  throw new Error(`${key} must be a constant integer, got ${String(value)}`);
}

/** The constant trip count of a loop, or -1 when it is not constant. */
function tripCount(f: For): number {
  if (!(f.extent instanceof IntImm)) return -1;
  let step = 1;
  if (f.step) {
    if (!(f.step instanceof IntImm) || f.step.value <= 0) return -1;
    step = f.step.value;
  }
  return Math.max(0, Math.ceil(f.extent.value / step));
}

class Unroller extends StmtExprMutator {
  private autoMaxStep = 0;
  private explicit = true;
  private stepCount = 0;
  private unrollDepth = 0;
  private normalLoopDepth = 0;

  override visitExpr(e: PrimExpr): PrimExpr {
    return e;
  }

  override visitStmt(s: Stmt): Stmt {
    switch (s.kind) {
      case "AttrStmt": {
        const a = s as AttrStmt;
        if (a.attrKey === MAX_STEP || a.attrKey === EXPLICIT) {
          return this.withPragma(a.attrKey, pragmaInt(a.value, a.attrKey), () => this.visitStmt(a.body));
        }
        return super.visitStmt(s);
      }
      case "BufferStore":
      case "Evaluate":
        this.stepCount++;
        return s;
      case "SeqStmt":
        return this.visitSeq(s as SeqStmt);
      case "Block":
      case "BlockRealize":
        throw new Error("expected lowered code without blocks (run LowerOpaqueBlock first)");
      default:
        return super.visitStmt(s);
    }
  }

  private withPragma(key: string, value: number, f: () => Stmt): Stmt {
    if (key === MAX_STEP) {
      const old = this.autoMaxStep;
      this.autoMaxStep = value;
      try {
        return f();
      } finally {
        this.autoMaxStep = old;
      }
    }
    const old = this.explicit;
    this.explicit = value !== 0;
    try {
      return f();
    } finally {
      this.explicit = old;
    }
  }

  private visitSeq(q: SeqStmt): Stmt {
    let changed = false;
    let steps = 0, unroll = 0, normal = 0;
    const out = q.seq.map((s) => {
      const [sc, ud, nd] = [this.stepCount, this.unrollDepth, this.normalLoopDepth];
      this.stepCount = 0;
      this.unrollDepth = 0;
      this.normalLoopDepth = 0;
      const r = this.visitStmt(s);
      steps += this.stepCount;
      unroll = Math.max(unroll, this.unrollDepth);
      normal = Math.max(normal, this.normalLoopDepth);
      [this.stepCount, this.unrollDepth, this.normalLoopDepth] = [sc, ud, nd];
      if (r !== s) changed = true;
      return r;
    });
    this.stepCount += steps;
    this.unrollDepth = Math.max(this.unrollDepth, unroll);
    this.normalLoopDepth = Math.max(this.normalLoopDepth, normal);
    return changed ? SeqStmt.flatten(out) : q;
  }

  override visitFor(f: For): Stmt {
    const pragmas = [MAX_STEP, EXPLICIT].filter((k) => k in f.annotations);
    if (pragmas.length > 0) {
      const rest: Record<string, Annotations[string]> = {};
      for (const [k, v] of Object.entries(f.annotations)) if (!pragmas.includes(k)) rest[k] = v;
      const bare = f.with({ annotations: rest });
      let run = () => this.visitLoop(bare);
      for (const k of pragmas) {
        const inner = run;
        run = () => this.withPragma(k, pragmaInt(f.annotations[k], k), inner);
      }
      return run();
    }
    return this.visitLoop(f);
  }

  private visitLoop(f: For): Stmt {
    const body = this.visitStmt(f.body);
    const loop = body === f.body ? f : f.with({ body });
    const n = tripCount(loop);
    let auto =
      loop.forKind === "serial" && n >= 0 && this.normalLoopDepth === 0 && this.unrollDepth <= AUTO_MAX_DEPTH &&
      n * this.stepCount <= this.autoMaxStep;
    if (loop.forKind === "unrolled") {
      if (n < 0) {
        throw new Error(`loop ${loop.loopVar.name} is T.unroll but its trip count is not a constant (extent ${String(loop.extent)})`);
      }
      auto = true;
    }
    if (auto) {
      this.stepCount *= n;
      this.unrollDepth++;
    } else {
      this.normalLoopDepth++;
    }
    if (auto && this.explicit) return unroll(loop, n);
    if (auto && loop.forKind !== "unrolled") return loop.with({ forKind: "unrolled" });
    return loop;
  }
}

function unroll(f: For, n: number): Stmt {
  if (n === 0) return noOp();
  const step = f.step ? (f.step as IntImm).value : 1;
  const copies: Stmt[] = [];
  for (let k = 0; k < n; k++) {
    const v = f.min instanceof IntImm ? new IntImm(f.min.dtype, f.min.value + k * step) : add(f.min, new IntImm(f.min.dtype, k * step));
    copies.push(substituteStmt(f.body, new Map([[f.loopVar, v]])));
  }
  return SeqStmt.flatten(copies);
}

export function unrollLoopFunc(func: PrimFunc): PrimFunc {
  return func.withBody(new Unroller().visitStmt(func.body));
}

export const UnrollLoop: Pass = primFuncPass("UnrollLoop", (func) => unrollLoopFunc(func));
