/**
 * The rewrite simplifier: walks an expression bottom-up, folds constants, and applies the
 * rule table (rewrite_rules.ts) at every node until no rule fires. A rule's result is itself
 * simplified again (to a bounded depth), and a step limit per call guards against rule sets
 * that would cycle. Results are memoized per analyzer, keyed by node object.
 */
import { bool, type DataType } from "../ir/dtype.js";
import {
  Call, FloatImm, IntImm, Not, type BinaryOp, type Broadcast, type Cast, type Let, type PrimExpr, type Ramp,
  type Select, type Var,
} from "../ir/expr.js";
import { ExprMutator, substitute } from "../ir/expr_functor.js";
import { cast as castConst, roundToFloat } from "../ir/expr_ops.js";
import type { ConstIntBound } from "./const_int_bound.js";
import { NoRewrite, fitsDType, floorDiv, floorMod, intImm, isIndexType, truncDiv, truncMod } from "./int_math.js";
import type { ModularSet } from "./modular_set.js";
import { Matcher, sameExpr, type Match, type POp, type Pattern } from "./pattern.js";
import type { CompareKind } from "./canonical_simplify.js";

/**
 * Which values a rule applies to, judged from the operands' dtype: "int" is the index types
 * (int32/int64, see isIndexType); "other" is wrapping integers (uint, int8/16) and handles.
 */
export type Domain = "int" | "bool" | "float" | "vec" | "other";

/** The analyses a rule's side condition and right-hand side may ask. */
export interface RuleContext {
  bound(e: PrimExpr): ConstIntBound;
  modular(e: PrimExpr): ModularSet;
  /** Possible orderings of a versus b (CMP_LT | CMP_EQ | CMP_GT). */
  compare(a: PrimExpr, b: PrimExpr): number;
  /** A comparison restated with common terms cancelled (canonical_simplify.ts). */
  linearCompare(kind: CompareKind, a: PrimExpr, b: PrimExpr): PrimExpr | undefined;
}

export type RuleFn<T> = (e: Match["e"], k: Match["k"], ctx: RuleContext, node: PrimExpr) => T;

export interface Rule {
  readonly name: string;
  readonly lhs: POp;
  /** Domains the rule applies to; integers only when omitted. */
  readonly on?: readonly Domain[];
  readonly when?: RuleFn<boolean>;
  /** The replacement; undefined (or throwing NO_REWRITE) means "does not apply after all". */
  readonly rhs: RuleFn<PrimExpr | undefined>;
}

export interface RewriteHost extends RuleContext {
  varValue(v: Var): PrimExpr | undefined;
  /** Runs `f` with the scalar condition `cond` assumed (Analyzer.withConstraint). */
  withFact<T>(cond: PrimExpr, f: () => T): T;
  /** Boolean facts known to hold (from withConstraint), with their negations. */
  readonly facts: readonly { fact: PrimExpr; negation: PrimExpr }[];
  readonly rewriteCache: Map<PrimExpr, PrimExpr>;
}

/** The operands' dtype decides the domain: `a < b` on floats must not use integer rules. */
export function domainOf(e: PrimExpr): Domain {
  let t: DataType;
  switch (e.kind) {
    case "EQ": case "NE": case "LT": case "LE": case "GT": case "GE":
      t = (e as BinaryOp).a.dtype;
      break;
    case "Select":
      t = (e as Select).trueValue.dtype;
      break;
    default:
      t = e.dtype;
  }
  if (t.lanes > 1) return "vec";
  if (isIndexType(t)) return "int";
  if (t.isBool()) return "bool";
  if (t.isFloat()) return "float";
  return "other";
}

/** Rules grouped by root kind and domain, plus candidate lists refined by child kinds. */
interface RuleIndex {
  readonly byKind: Map<string, Rule[]>;
  /** kind|domain -> first child kind -> second child kind -> rules (nested: no string building per node). */
  readonly candidates: Map<string, Map<string | undefined, Map<string | undefined, Rule[]>>>;
}

const domainKeys = new Map<string, Record<Domain, string>>();

/** The interned `kind|domain` key of a node. */
function domainKey(e: PrimExpr): string {
  let row = domainKeys.get(e.kind);
  if (!row) {
    const k = e.kind;
    row = { int: `${k}|int`, bool: `${k}|bool`, float: `${k}|float`, vec: `${k}|vec`, other: `${k}|other` };
    domainKeys.set(k, row);
  }
  return row[domainOf(e)];
}

const indexCache = new WeakMap<readonly Rule[], RuleIndex>();

/** Rules grouped by root kind and domain, so a node only tries the rules that could match it. */
function indexRules(rules: readonly Rule[]): RuleIndex {
  const hit = indexCache.get(rules);
  if (hit) return hit;
  const idx = new Map<string, Rule[]>();
  for (const r of rules) {
    for (const d of r.on ?? ["int"]) {
      const key = `${r.lhs.kind}|${d}`;
      let list = idx.get(key);
      if (!list) idx.set(key, (list = []));
      list.push(r);
    }
  }
  const out: RuleIndex = { byKind: idx, candidates: new Map() };
  indexCache.set(rules, out);
  return out;
}

/** Whether a pattern could match a node of the given kind (undefined = no such child). */
function admits(p: Pattern | undefined, kind: string | undefined): boolean {
  if (!p) return true;
  if (kind === undefined) return false;
  switch (p.tag) {
    case "var":
      return true;
    case "const":
    case "lit":
      return kind === "IntImm";
    case "op":
      return p.kind === kind;
  }
}

function childKind(e: PrimExpr, i: number): string | undefined {
  switch (e.kind) {
    case "Select":
      return i === 0 ? (e as Select).condition.kind : (e as Select).trueValue.kind;
    case "Not":
      return i === 0 ? (e as Not).a.kind : undefined;
    case "Cast":
      return i === 0 ? (e as Cast).value.kind : undefined;
    case "Ramp":
      return i === 0 ? (e as Ramp).base.kind : (e as Ramp).stride.kind;
    case "Broadcast":
      return i === 0 ? (e as Broadcast).value.kind : undefined;
    default:
      return (e as BinaryOp)[i === 0 ? "a" : "b"]?.kind;
  }
}

const MAX_DEPTH = 6;
const STEP_LIMIT = 20000;

export class RewriteSimplifier extends ExprMutator {
  private readonly index: RuleIndex;
  private readonly matcher = new Matcher();
  private depth = 0;
  private steps = 0;
  /** Optional trace of fired rules (for tests and debugging). */
  trace: string[] | undefined;

  constructor(
    private readonly host: RewriteHost,
    rules: readonly Rule[],
  ) {
    super();
    this.index = indexRules(rules);
  }

  simplify(e: PrimExpr): PrimExpr {
    return this.visitExpr(e);
  }

  /** Starts a fresh step budget (once per top-level query). */
  resetSteps(): void {
    this.steps = 0;
  }

  override visitExpr(e: PrimExpr): PrimExpr {
    const cache = this.host.rewriteCache;
    const hit = cache.get(e);
    if (hit) return hit;
    let r = this.visitBranches(e) ?? super.visitExpr(e);
    if (e.kind !== "Var" && e.kind !== "SizeVar") r = this.rewriteNode(r);
    else if (r.dtype === bool && this.host.facts.length > 0) r = this.applyFacts(r) ?? r;
    cache.set(e, r);
    if (r !== e) cache.set(r, r);
    return r;
  }

  override visitVar(v: Var): PrimExpr {
    return this.host.varValue(v) ?? v;
  }

  /**
   * if_then_else: each branch is simplified assuming the condition it is taken under
   * (`if_then_else(i < 4, min(i, 3), 0)` -> `if_then_else(i < 4, i, 0)`). Select is not: it
   * evaluates both branches, and an assumption could turn a division in the branch it does not
   * pick into a division by zero. Undefined for other nodes.
   */
  private visitBranches(e: PrimExpr): PrimExpr | undefined {
    if (e.kind !== "Call") return undefined;
    const call = e as Call;
    if (call.op.kind !== "Op" || call.op.name !== "tir.if_then_else") return undefined;
    const [cond, tv, fv] = call.args as [PrimExpr, PrimExpr, PrimExpr];
    const c = this.visitExpr(cond);
    let t: PrimExpr, f: PrimExpr;
    if (c.kind === "IntImm" || c.dtype.lanes !== 1) {
      t = this.visitExpr(tv);
      f = this.visitExpr(fv);
    } else {
      t = this.host.withFact(c, () => this.visitExpr(tv));
      f = this.host.withFact(new Not(c), () => this.visitExpr(fv));
    }
    return c === cond && t === tv && f === fv ? e : new Call(call.dtype, call.op, [c, t, f]);
  }

  /** Folds and rewrites one node whose children are already simplified. */
  rewriteNode(e: PrimExpr): PrimExpr {
    const folded = fold(e);
    if (folded !== undefined) return folded === e ? e : this.again(folded);
    if (this.host.facts.length > 0 && e.dtype === bool) {
      const known = this.applyFacts(e);
      if (known) return known;
    }
    if (this.steps > STEP_LIMIT) return e;
    const rules = this.candidatesFor(e);
    if (rules.length === 0) return e;
    for (const rule of rules) {
      const m = this.matcher.match(rule.lhs, e);
      if (!m) continue;
      let r: PrimExpr | undefined;
      try {
        if (rule.when && !rule.when(m.e, m.k, this.host, e)) continue;
        r = rule.rhs(m.e, m.k, this.host, e);
      } catch (err) {
        if (err instanceof NoRewrite) continue;
        throw err;
      }
      if (r === undefined || r === e) continue;
      this.steps++;
      this.trace?.push(rule.name);
      return this.again(r);
    }
    return e;
  }

  /** true/false when `e` is a known fact or the negation of one. */
  private applyFacts(e: PrimExpr): PrimExpr | undefined {
    for (const f of this.host.facts) {
      if (sameExpr(f.fact, e)) return boolImm(true);
      if (sameExpr(f.negation, e)) return boolImm(false);
    }
    return undefined;
  }

  private candidatesFor(e: PrimExpr): Rule[] {
    const base = domainKey(e);
    const k0 = childKind(e, 0), k1 = childKind(e, 1);
    let byK0 = this.index.candidates.get(base);
    if (!byK0) this.index.candidates.set(base, (byK0 = new Map()));
    let byK1 = byK0.get(k0);
    if (!byK1) byK0.set(k0, (byK1 = new Map()));
    let list = byK1.get(k1);
    if (!list) {
      list = (this.index.byKind.get(base) ?? []).filter((r) => admits(r.lhs.args[0], k0) && admits(r.lhs.args[1], k1));
      byK1.set(k1, list);
    }
    return list;
  }

  /** Simplifies a rule's result, whose new nodes have not been visited yet. */
  private again(r: PrimExpr): PrimExpr {
    if (this.depth >= MAX_DEPTH) return r;
    this.depth++;
    try {
      return this.visitExpr(r);
    } finally {
      this.depth--;
    }
  }
}

// ---------------------------------------------------------------- constant folding

function boolImm(v: boolean): IntImm {
  return intImm(bool, v ? 1 : 0);
}

function intFold(t: DataType, v: number): PrimExpr | undefined {
  return fitsDType(v, t) ? intImm(t, v) : undefined;
}

/** Float folding is exact only where JS rounding matches the type. */
function foldableFloat(t: DataType): boolean {
  return t.code === "float" && (t.bits === 32 || t.bits === 64);
}

function foldBinaryInt(kind: string, t: DataType, x: number, y: number): PrimExpr | undefined {
  switch (kind) {
    case "Add": return intFold(t, x + y);
    case "Sub": return intFold(t, x - y);
    case "Mul": return intFold(t, x * y);
    case "FloorDiv": return y === 0 ? undefined : intFold(t, floorDiv(x, y));
    case "FloorMod": return y === 0 ? undefined : intFold(t, floorMod(x, y));
    case "Div": return y === 0 ? undefined : intFold(t, truncDiv(x, y));
    case "Mod": return y === 0 ? undefined : intFold(t, truncMod(x, y));
    case "Min": return intFold(t, Math.min(x, y));
    case "Max": return intFold(t, Math.max(x, y));
    case "EQ": return boolImm(x === y);
    case "NE": return boolImm(x !== y);
    case "LT": return boolImm(x < y);
    case "LE": return boolImm(x <= y);
    case "GT": return boolImm(x > y);
    case "GE": return boolImm(x >= y);
    case "And": return boolImm(x !== 0 && y !== 0);
    case "Or": return boolImm(x !== 0 || y !== 0);
    default: return undefined;
  }
}

function foldBinaryFloat(kind: string, t: DataType, x: number, y: number): PrimExpr | undefined {
  const f = (v: number) => new FloatImm(t, roundToFloat(v, t));
  switch (kind) {
    case "Add": return f(x + y);
    case "Sub": return f(x - y);
    case "Mul": return f(x * y);
    case "Div": return f(x / y);
    case "Min": return Number.isNaN(x) || Number.isNaN(y) ? undefined : f(Math.min(x, y));
    case "Max": return Number.isNaN(x) || Number.isNaN(y) ? undefined : f(Math.max(x, y));
    case "EQ": return boolImm(x === y);
    case "NE": return boolImm(x !== y);
    case "LT": return boolImm(x < y);
    case "LE": return boolImm(x <= y);
    case "GT": return boolImm(x > y);
    case "GE": return boolImm(x >= y);
    default: return undefined;
  }
}

/** Folds a node whose operands are constants; undefined when it cannot. */
export function fold(e: PrimExpr): PrimExpr | undefined {
  switch (e.kind) {
    case "Add": case "Sub": case "Mul": case "Div": case "Mod": case "FloorDiv": case "FloorMod": case "Min": case "Max":
    case "EQ": case "NE": case "LT": case "LE": case "GT": case "GE": case "And": case "Or": {
      const { a, b } = e as BinaryOp;
      if (a instanceof IntImm && b instanceof IntImm) return foldBinaryInt(e.kind, e.dtype, a.value, b.value);
      if (a instanceof FloatImm && b instanceof FloatImm && foldableFloat(a.dtype)) return foldBinaryFloat(e.kind, e.dtype, a.value, b.value);
      return undefined;
    }
    case "Not": {
      const a = (e as Not).a;
      return a instanceof IntImm ? boolImm(a.value === 0) : undefined;
    }
    case "Select": {
      const s = e as Select;
      return s.condition instanceof IntImm ? (s.condition.value ? s.trueValue : s.falseValue) : undefined;
    }
    case "Cast": {
      const c = e as Cast;
      const v = c.value;
      if (v.dtype === c.dtype) return v;
      if (c.dtype.lanes !== 1) return undefined;
      if (c.dtype.isFloat() && !foldableFloat(c.dtype)) return undefined;
      if (v instanceof IntImm) return castConst(c.dtype, v);
      if (v instanceof FloatImm && Number.isFinite(v.value)) {
        if (c.dtype.isIntegral() && !fitsDType(Math.trunc(v.value), c.dtype)) return undefined;
        return castConst(c.dtype, v);
      }
      return undefined;
    }
    case "Call": {
      const call = e as Call;
      if (call.op.kind !== "Op") return undefined;
      const name = call.op.name;
      if (name === "tir.if_then_else" && call.args[0] instanceof IntImm) return call.args[0].value ? call.args[1] : call.args[2];
      if (name === "tir.likely" && call.args[0] instanceof IntImm) return call.args[0];
      return undefined;
    }
    case "Let": {
      const l = e as Let;
      // Constants and variables are cheaper inlined than bound.
      if (l.value.kind === "IntImm" || l.value.kind === "FloatImm" || l.value.kind === "Var" || l.value.kind === "SizeVar") {
        return substitute(l.body, new Map([[l.variable, l.value]]));
      }
      return undefined;
    }
    default:
      return undefined;
  }
}

