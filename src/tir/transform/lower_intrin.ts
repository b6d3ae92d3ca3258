/**
 * LowerIntrin: rewrites intrinsics that a C-like target lacks into plain arithmetic.
 *
 * The rules live in a table keyed by target kind (the first word of the function's `target`
 * attribute, e.g. "c" for "c -mcpu=native"); a target's table is the "default" table plus its
 * own entries, an entry of `null` removing a default rule. Later targets add their entries with
 * `registerIntrinLowering`. Default rules (as TVM lowers them for C / LLVM):
 * - `T.sigmoid(x)` -> `1 / (1 + exp(-x))`; `T.rsqrt(x)` -> `1 / sqrt(x)`;
 * - integer `//` and `%` (FloorDiv / FloorMod): when the Analyzer proves the dividend >= 0 and
 *   the divisor > 0 (loop variables are bound to their ranges), the C forms `T.truncdiv` /
 *   `T.truncmod`; otherwise the truncating result with a sign fix:
 *   `q = a / b, r = a % b`, floordiv = `Select(r != 0 && (r < 0) != (b < 0), q - 1, q)`,
 *   floormod = `Select(r != 0 && (r < 0) != (b < 0), r + b, r)` (with `r < 0` alone as the
 *   condition when b > 0 is proven); unsigned operands always use the C forms;
 * - float `//` and `%`: `floor(a / b)` and `a - floor(a / b) * b`.
 * Everything else (`T.erf`, `T.exp`, `T.if_then_else`, ...) is kept: code generators provide
 * it. Precondition: lowered code without blocks.
 */
import { Analyzer } from "../../arith/analyzer.js";
import {
  Add, And, Call, Div, FloorDiv, FloorMod, LT, Mod, Mul, NE, Range, Select, Sub, Var, type PrimExpr,
} from "../../ir/expr.js";
import { constant } from "../../ir/expr_ops.js";
import { Op } from "../../ir/op_registry.js";
import type { PrimFunc } from "../function.js";
import { type For, type LetStmt, type Stmt } from "../stmt.js";
import { StmtExprMutator } from "../stmt_functor.js";
import { primFuncPass, type Pass } from "./pass.js";

/** A lowering rule: the replacement, or undefined to keep the expression. */
export type IntrinRule = (e: PrimExpr, analyzer: Analyzer) => PrimExpr | undefined;

const tables = new Map<string, Map<string, IntrinRule | null>>();

/**
 * Adds (or, with `null`, removes) a rule for `target`. `key` is an op name ("tir.sigmoid") or
 * an expression kind ("FloorDiv", "FloorMod").
 */
export function registerIntrinLowering(target: string, key: string, rule: IntrinRule | null): void {
  let t = tables.get(target);
  if (!t) tables.set(target, (t = new Map()));
  t.set(key, rule);
}

/** The rules in force for a target kind. */
export function intrinLoweringRules(target: string): ReadonlyMap<string, IntrinRule> {
  const out = new Map<string, IntrinRule>();
  for (const [k, r] of tables.get("default") ?? []) if (r) out.set(k, r);
  if (target !== "default") {
    for (const [k, r] of tables.get(target) ?? []) {
      if (r) out.set(k, r);
      else out.delete(k);
    }
  }
  return out;
}

function one(t: PrimExpr["dtype"]): PrimExpr {
  return constant(1, t);
}

function call(name: string, x: PrimExpr): PrimExpr {
  return new Call(x.dtype, Op.get(name), [x]);
}

/** Whether lanes of `e` are provably >= lower (scalar expressions only). */
function provesGE(an: Analyzer, e: PrimExpr, lower: number): boolean {
  if (e.dtype.lanes !== 1) return false;
  return an.canProveGreaterEqual(e, lower);
}

function signFix(e: FloorDiv | FloorMod, an: Analyzer): PrimExpr {
  const { a, b } = e;
  const t = a.dtype;
  const isDiv = e instanceof FloorDiv;
  if (t.element().isFloat()) {
    const q = call("tir.floor", new Div(a, b));
    return isDiv ? q : new Sub(a, new Mul(q, b));
  }
  const bPos = provesGE(an, b, 1);
  if (t.element().isUInt() || (bPos && provesGE(an, a, 0))) return isDiv ? new Div(a, b) : new Mod(a, b);
  const q = new Div(a, b), r = new Mod(a, b);
  const zero = constant(0, t);
  const rNeg = new LT(r, zero);
  const cond = bPos ? rNeg : new And(new NE(r, zero), new NE(rNeg, new LT(b, zero)));
  return isDiv ? new Select(cond, new Sub(q, one(t)), q) : new Select(cond, new Add(r, b), r);
}

registerIntrinLowering("default", "FloorDiv", (e, an) => signFix(e as FloorDiv, an));
registerIntrinLowering("default", "FloorMod", (e, an) => signFix(e as FloorMod, an));
registerIntrinLowering("default", "tir.sigmoid", (e) => {
  const x = (e as Call).args[0]!;
  const t = x.dtype;
  return new Div(one(t), new Add(one(t), call("tir.exp", new Sub(constant(0, t), x))));
});
registerIntrinLowering("default", "tir.rsqrt", (e) => {
  const x = (e as Call).args[0]!;
  return new Div(one(x.dtype), call("tir.sqrt", x));
});

class IntrinLowerer extends StmtExprMutator {
  private readonly analyzer = new Analyzer();
  constructor(private readonly rules: ReadonlyMap<string, IntrinRule>) {
    super();
  }

  override visitExpr(e: PrimExpr): PrimExpr {
    const r = super.visitExpr(e);
    const key = r instanceof Call ? (r.op.kind === "Op" ? (r.op as Op).name : undefined) : r.kind;
    const rule = key !== undefined ? this.rules.get(key) : undefined;
    return (rule && rule(r, this.analyzer)) ?? r;
  }

  override visitFor(f: For): Stmt {
    if (f.loopVar.dtype.isIntegral() && !f.step) this.analyzer.bind(f.loopVar, new Range(f.min, f.extent), true);
    return super.visitFor(f);
  }

  override visitStmt(s: Stmt): Stmt {
    if (s.kind === "LetStmt") {
      const l = s as LetStmt;
      if (l.variable.dtype.isIntegral() && l.variable.dtype.lanes === 1 && l.variable instanceof Var) {
        this.analyzer.bind(l.variable, l.value, true);
      }
    }
    if (s.kind === "Block" || s.kind === "BlockRealize") {
      throw new Error("expected lowered code without blocks (run LowerOpaqueBlock first)");
    }
    return super.visitStmt(s);
  }
}

/** The target kind of a function: the first word of its `target` attribute, else "default". */
function targetKind(func: PrimFunc): string {
  const t = func.attrs["target"];
  if (typeof t === "string" && t.trim()) return t.trim().split(/\s+/)[0]!;
  if (t && typeof t === "object" && !Array.isArray(t) && typeof (t as Record<string, unknown>)["kind"] === "string") {
    return (t as Record<string, string>)["kind"]!;
  }
  return "default";
}

export function lowerIntrinFunc(func: PrimFunc, target?: string): PrimFunc {
  const rules = intrinLoweringRules(target ?? targetKind(func));
  return func.withBody(new IntrinLowerer(rules).visitStmt(func.body));
}

export const LowerIntrin: Pass = primFuncPass("LowerIntrin", (func) => lowerIntrinFunc(func));
