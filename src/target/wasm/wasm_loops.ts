/**
 * Loop rewrites the wasm target runs after the default lowering (its extra passes), for what
 * neither binaryen nor V8 does on their own:
 *
 * - Small serial loops over the elements of a register-sized temporary (the write-back of a
 *   multi-accumulator reduction: `for k in range(4): acc[0] = acc[0] + acc_rf[k]`) are
 *   unrolled, then simplified: every access becomes a constant index, and the code generator
 *   keeps the temporary in locals instead of memory (a reduction accumulating in memory is
 *   bound by store-to-load forwarding; one in a register is not).
 * - Broadcasts of loop-invariant scalars are hoisted out of serial loops into a LetStmt (V8
 *   moves no loop-invariant code; without this, layer_norm recomputes 1 / sqrt(var + eps) and
 *   splats it for every vector of the row).
 *
 * Both rewrites keep the interpreter's results bit for bit: unrolling keeps the order of the
 * operations, and a hoisted value is pure, reads nothing the loop writes, and is computed
 * before a loop that runs at least once.
 */
import { Broadcast, IntImm, Var, type BufferLoad, type Call, type Let, type PrimExpr } from "../../ir/expr.js";
import { ExprVisitor } from "../../ir/expr_functor.js";
import type { IRModule } from "../../ir/module.js";
import { structuralEqual } from "../../ir/structural.js";
import type { PrimFunc } from "../../tir/function.js";
import { Allocate, BufferStore, For, LetStmt, SeqStmt, type Stmt } from "../../tir/stmt.js";
import { StmtExprMutator, StmtExprVisitor, substituteStmt } from "../../tir/stmt_functor.js";
import { isPure, primFuncPass, Simplify, modulePass, type Pass } from "../../tir/transform/index.js";
import { WasmHoistIndexArithmetic } from "./wasm_index_hoist.js";

/** Loops of at most this many iterations over a register-sized temporary are unrolled. */
const UNROLL_MAX_TRIPS = 8;
/** ... when their body has at most this many statements. */
const UNROLL_MAX_STMTS = 8;
/** Temporaries of at most this many elements count as register-sized (the codegen's limit too). */
export const REG_MAX_ELEMS = 64;

// ---------------------------------------------------------------- unrolling

function constTrips(f: For): number | undefined {
  if (!(f.min instanceof IntImm) || !(f.extent instanceof IntImm) || f.step) return undefined;
  return f.extent.value;
}

/** Statements of a loop body (a body with inner loops or allocations gives Infinity). */
function leafCount(s: Stmt): number {
  let n = 0;
  let nested = false;
  new (class extends StmtExprVisitor {
    override visitStmt(x: Stmt): void {
      if (x.kind === "For" || x.kind === "While" || x.kind === "Allocate") nested = true;
      if (x.kind === "BufferStore" || x.kind === "Evaluate") n++;
      super.visitStmt(x);
    }
    override visitExpr(): void {}
  })().visitStmt(s);
  return nested ? Infinity : n;
}

/** Whether `s` indexes one of `small` (temporaries' data vars) with an index that uses `v`. */
function indexesSmallBy(s: Stmt, small: ReadonlySet<Var>, v: Var): boolean {
  let found = false;
  const usesV = (e: PrimExpr): boolean => {
    let u = false;
    new (class extends ExprVisitor {
      override visitVar(x: Var): void {
        if (x === v) u = true;
      }
    })().visitExpr(e);
    return u;
  };
  new (class extends StmtExprVisitor {
    override visitBufferLoad(e: BufferLoad): void {
      if (small.has(e.buffer.data) && e.indices.some(usesV)) found = true;
      super.visitBufferLoad(e);
    }
    override visitBufferStore(s: BufferStore): void {
      if (small.has(s.buffer.data) && s.indices.some(usesV)) found = true;
      super.visitBufferStore(s);
    }
  })().visitStmt(s);
  return found;
}

class SmallLoopUnroller extends StmtExprMutator {
  private readonly small = new Set<Var>();
  changed = false;

  override visitStmt(s: Stmt): Stmt {
    if (s instanceof Allocate) {
      const n = s.extents.reduce((acc, e) => (e instanceof IntImm ? acc * e.value : Infinity), 1);
      if (n <= REG_MAX_ELEMS && s.dtype.lanes === 1) this.small.add(s.bufferVar);
    }
    return super.visitStmt(s);
  }

  override visitExpr(e: PrimExpr): PrimExpr {
    return e;
  }

  override visitFor(f: For): Stmt {
    const loop = super.visitFor(f) as For;
    const n = constTrips(loop);
    if (n === undefined || n < 1 || n > UNROLL_MAX_TRIPS) return loop;
    if (loop.forKind !== "serial" && loop.forKind !== "unrolled") return loop;
    if (Object.keys(loop.annotations).length > 0 || leafCount(loop.body) > UNROLL_MAX_STMTS) return loop;
    if (!indexesSmallBy(loop.body, this.small, loop.loopVar)) return loop;
    this.changed = true;
    const min = (loop.min as IntImm).value;
    const copies: Stmt[] = [];
    for (let k = 0; k < n; k++) copies.push(substituteStmt(loop.body, new Map([[loop.loopVar, new IntImm(loop.loopVar.dtype, min + k)]])));
    return SeqStmt.flatten(copies);
  }
}

// ---------------------------------------------------------------- hoisting

/** Scalar ops whose value depends on their arguments only (safe to compute ahead of time). */
const PURE_CALL = new Set([
  "exp", "exp2", "exp10", "log", "log2", "log10", "log1p", "expm1", "sqrt", "rsqrt", "fabs", "floor", "ceil", "trunc",
  "round", "nearbyint", "tanh", "sigmoid", "erf", "pow", "copysign", "fmod", "sin", "cos", "tan", "atan", "atan2",
  "isnan", "isinf", "isfinite", "if_then_else", "likely",
]);

function callName(c: Call): string | undefined {
  if (c.op.kind !== "Op") return undefined;
  const n = c.op.name;
  return n.startsWith("tir.") ? n.slice(4) : n;
}

/** What a loop body defines and writes. */
interface LoopFacts {
  /** Variables defined inside (loop vars, lets, allocations). */
  readonly defined: Set<Var>;
  /** Data vars stored to. */
  readonly stored: Set<Var>;
  /** Whether a parallel loop is inside (nothing is moved across one). */
  parallel: boolean;
}

function loopFacts(f: For): LoopFacts {
  const facts: LoopFacts = { defined: new Set([f.loopVar]), stored: new Set(), parallel: false };
  new (class extends StmtExprVisitor {
    override visitStmt(s: Stmt): void {
      if (s instanceof For) {
        facts.defined.add(s.loopVar);
        if (s.forKind === "parallel" || s.forKind === "thread_binding") facts.parallel = true;
      } else if (s instanceof LetStmt) facts.defined.add(s.variable);
      else if (s instanceof Allocate) facts.defined.add(s.bufferVar);
      else if (s.kind === "AttrStmt") facts.parallel = true; // thread extents, pragmas: leave alone
      super.visitStmt(s);
    }
    override visitBufferStore(s: BufferStore): void {
      facts.stored.add(s.buffer.data);
      super.visitBufferStore(s);
    }
    override visitExpr(e: PrimExpr): void {
      if (e.kind === "Let") facts.defined.add((e as Let).variable);
      super.visitExpr(e);
    }
  })().visitStmt(f.body);
  return facts;
}

class BroadcastHoister extends StmtExprMutator {
  private readonly params: Set<Var>;
  private readonly noalias: boolean;
  private counter = 0;
  /** Candidates of the loop being processed: (value, var) pairs, structurally distinct values. */
  private found: { value: Broadcast; v: Var }[] | undefined;
  private facts: LoopFacts | undefined;
  /** Depth of conditional code (if bodies) below the loop being processed. */
  private conditional = 0;

  constructor(func: PrimFunc) {
    super();
    this.params = new Set([...func.bufferMap.values()].map((b) => b.data));
    this.noalias = func.attrs["tir.noalias"] === true;
  }

  private invariant(e: PrimExpr): boolean {
    const facts = this.facts!;
    const paramsWritten = !this.noalias && [...facts.stored].some((v) => this.params.has(v));
    let ok = isPure(e);
    const self = this;
    new (class extends ExprVisitor {
      override visitExpr(x: PrimExpr): void {
        if (!ok) return;
        if (x.kind === "Call") {
          const n = callName(x as Call);
          if (n === undefined || !PURE_CALL.has(n)) ok = false;
        }
        if (x.kind === "BufferLoad") {
          const d = (x as BufferLoad).buffer.data;
          // A load is speculated only outside conditional code (it could be out of range there).
          if (self.conditional > 0 || facts.stored.has(d) || facts.defined.has(d) || (paramsWritten && self.params.has(d))) ok = false;
        }
        super.visitExpr(x);
      }
      override visitVar(v: Var): void {
        if (facts.defined.has(v)) ok = false;
      }
    })().visitExpr(e);
    return ok;
  }

  override visitExpr(e: PrimExpr): PrimExpr {
    if (this.found && e instanceof Broadcast && !(e.value instanceof IntImm) && e.value.kind !== "FloatImm" && this.invariant(e.value)) {
      const hit = this.found.find((c) => structuralEqual(c.value, e, { mapFreeVars: false }));
      if (hit) return hit.v;
      const v = new Var(`inv${this.counter++}`, e.dtype);
      this.found.push({ value: e, v });
      return v;
    }
    // Speculating the arms of a conditional expression is not safe for loads: treat them as conditional.
    if (this.found && e.kind === "Call" && callName(e as Call) === "if_then_else") {
      this.conditional++;
      try {
        return super.visitExpr(e);
      } finally {
        this.conditional--;
      }
    }
    return super.visitExpr(e);
  }

  override visitStmt(s: Stmt): Stmt {
    if ((s.kind === "IfThenElse" || s.kind === "While") && this.found) {
      this.conditional++;
      try {
        return super.visitStmt(s);
      } finally {
        this.conditional--;
      }
    }
    return super.visitStmt(s);
  }

  override visitFor(f: For): Stmt {
    // While collecting for an outer loop, inner loops are just statements of its body.
    if (this.found) return super.visitFor(f);
    const n = constTrips(f);
    if (f.forKind !== "serial" || n === undefined || n < 1) return super.visitFor(f);
    const facts = loopFacts(f);
    if (facts.parallel) return super.visitFor(f);
    const outer = { found: this.found, facts: this.facts, conditional: this.conditional };
    this.found = [];
    this.facts = facts;
    this.conditional = 0;
    let body: Stmt;
    let hoisted: { value: Broadcast; v: Var }[];
    try {
      body = this.visitStmt(f.body);
      hoisted = this.found;
    } finally {
      this.found = outer.found;
      this.facts = outer.facts;
      this.conditional = outer.conditional;
    }
    let out: Stmt = body === f.body ? f : f.with({ body });
    // Inner loops next: with this loop's invariants gone, theirs are what is left.
    out = this.visitInner(out as For);
    for (let i = hoisted.length - 1; i >= 0; i--) out = new LetStmt(hoisted[i]!.v, hoisted[i]!.value, out);
    return out;
  }

  /** Processes the loops inside `f`'s body (outside any candidate collection of `f`). */
  private visitInner(f: For): Stmt {
    const outer = this.found;
    this.found = undefined;
    try {
      const body = this.visitStmt(f.body);
      return body === f.body ? f : f.with({ body });
    } finally {
      this.found = outer;
    }
  }
}

/** Unrolls the small loops over register-sized temporaries of one PrimFunc (not simplified). */
export function unrollSmallLoops(f: PrimFunc): PrimFunc {
  const u = new SmallLoopUnroller();
  const body = u.visitStmt(f.body);
  return u.changed ? f.withBody(body) : f;
}

/** Hoists the broadcasts of loop-invariant scalars out of the serial loops of one PrimFunc. */
export function hoistInvariantBroadcasts(f: PrimFunc): PrimFunc {
  return f.withBody(new BroadcastHoister(f).visitStmt(f.body));
}

const unrollPass = primFuncPass("WasmUnrollSmallLoops", unrollSmallLoops);
const hoistPass = primFuncPass("WasmHoistInvariants", hoistInvariantBroadcasts);

/**
 * The wasm target's extra lowering: unroll (then simplify the constant conditions it leaves),
 * hoist invariant broadcasts, then invariant index arithmetic (wasm_index_hoist.ts).
 */
export const WasmLoopRewrites: Pass = modulePass("WasmLoopRewrites", (mod: IRModule) => WasmHoistIndexArithmetic(hoistPass(Simplify(unrollPass(mod)))));
