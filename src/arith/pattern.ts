/**
 * A small pattern language for the rewrite-rule table. A pattern is a tree of
 *   - pattern variables (`v("x")`): match any expression; a name used twice must match
 *     structurally equal expressions,
 *   - constant variables (`c("c1")`): match an integer constant and expose its value,
 *   - literals (`lit(0)`): match one integer (or bool) constant,
 *   - operator nodes (`P.add(a, b)`): match a node of that kind whose children match.
 * A successful match yields the bound expressions (`e.x`) and constant values (`k.c1`).
 */
import { IntImm, type BinaryOp, type Broadcast, type Cast, type Not, type PrimExpr, type Ramp, type Select } from "../ir/expr.js";
import { structuralEqual, structuralHash } from "../ir/structural.js";

export class PVar {
  readonly tag = "var";
  constructor(readonly name: string) {}
}
export class PConst {
  readonly tag = "const";
  constructor(readonly name: string) {}
}
export class PLit {
  readonly tag = "lit";
  constructor(readonly value: number) {}
}
export class POp {
  readonly tag = "op";
  constructor(
    readonly kind: string,
    readonly args: readonly Pattern[],
  ) {}
}
export type Pattern = PVar | PConst | PLit | POp;

export const v = (name: string): PVar => new PVar(name);
export const c = (name: string): PConst => new PConst(name);
export const lit = (value: number): PLit => new PLit(value);

const op = (kind: string) => (...args: Pattern[]): POp => new POp(kind, args);
/** Operator patterns, named like the expr_ops builders. */
export const P = {
  add: op("Add"), sub: op("Sub"), mul: op("Mul"),
  floordiv: op("FloorDiv"), floormod: op("FloorMod"), truncdiv: op("Div"), truncmod: op("Mod"),
  min: op("Min"), max: op("Max"),
  eq: op("EQ"), ne: op("NE"), lt: op("LT"), le: op("LE"), gt: op("GT"), ge: op("GE"),
  and: op("And"), or: op("Or"), not: op("Not"),
  select: op("Select"), ramp: op("Ramp"), broadcast: op("Broadcast"), cast: op("Cast"),
};

/** The matched node and what the pattern variables bound. */
export interface Match {
  readonly node: PrimExpr;
  /** Expressions bound by pattern and constant variables. */
  readonly e: Readonly<Record<string, PrimExpr>>;
  /** Values of constant variables. */
  readonly k: Readonly<Record<string, number>>;
}

/**
 * Structural equality of expressions (free variables by identity). Binder-free kinds are
 * compared directly, which on freshly built trees is much cheaper than hashing them; nodes
 * that bind variables or reference buffers go through the general structural equality.
 */
export function sameExpr(a: PrimExpr, b: PrimExpr): boolean {
  if (a === b) return true;
  if (a.kind !== b.kind || a.dtype !== b.dtype) return false;
  switch (a.kind) {
    case "IntImm":
    case "FloatImm":
      return Object.is((a as IntImm).value, (b as IntImm).value);
    case "Var":
    case "SizeVar":
      return false;
    case "Add": case "Sub": case "Mul": case "Div": case "Mod": case "FloorDiv": case "FloorMod": case "Min": case "Max":
    case "EQ": case "NE": case "LT": case "LE": case "GT": case "GE": case "And": case "Or":
      return sameExpr((a as BinaryOp).a, (b as BinaryOp).a) && sameExpr((a as BinaryOp).b, (b as BinaryOp).b);
    case "Not":
      return sameExpr((a as Not).a, (b as Not).a);
    case "Cast":
      return sameExpr((a as Cast).value, (b as Cast).value);
    case "Select": {
      const x = a as Select, y = b as Select;
      return sameExpr(x.condition, y.condition) && sameExpr(x.trueValue, y.trueValue) && sameExpr(x.falseValue, y.falseValue);
    }
    case "Ramp": {
      const x = a as Ramp, y = b as Ramp;
      return x.lanes === y.lanes && sameExpr(x.base, y.base) && sameExpr(x.stride, y.stride);
    }
    case "Broadcast":
      return (a as Broadcast).lanes === (b as Broadcast).lanes && sameExpr((a as Broadcast).value, (b as Broadcast).value);
    default:
      return structuralHash(a) === structuralHash(b) && structuralEqual(a, b);
  }
}

/** Children of a node in pattern order, or undefined for kinds patterns cannot look into. */
function child(e: PrimExpr, i: number): PrimExpr | undefined {
  switch (e.kind) {
    case "Not":
      return i === 0 ? (e as Not).a : undefined;
    case "Select": {
      const s = e as Select;
      return i === 0 ? s.condition : i === 1 ? s.trueValue : i === 2 ? s.falseValue : undefined;
    }
    case "Ramp":
      return i === 0 ? (e as Ramp).base : i === 1 ? (e as Ramp).stride : undefined;
    case "Broadcast":
      return i === 0 ? (e as Broadcast).value : undefined;
    case "Cast":
      return i === 0 ? (e as Cast).value : undefined;
    default:
      return i === 0 ? (e as BinaryOp).a : i === 1 ? (e as BinaryOp).b : undefined;
  }
}

/**
 * Matches patterns against expressions. One instance is reused for every attempt; bindings
 * live in flat arrays and become records only when a whole pattern matched.
 */
export class Matcher {
  private readonly names: string[] = [];
  private readonly vals: PrimExpr[] = [];
  private n = 0;

  match(p: POp, e: PrimExpr): Match | undefined {
    this.n = 0;
    if (!this.go(p, e)) return undefined;
    const ex: Record<string, PrimExpr> = {};
    const k: Record<string, number> = {};
    for (let i = 0; i < this.n; i++) {
      const name = this.names[i]!;
      const val = this.vals[i]!;
      ex[name] = val;
      if (val instanceof IntImm) k[name] = val.value;
    }
    return { node: e, e: ex, k };
  }

  private lookup(name: string): PrimExpr | undefined {
    for (let i = 0; i < this.n; i++) if (this.names[i] === name) return this.vals[i];
    return undefined;
  }

  private bind(name: string, e: PrimExpr): boolean {
    const prev = this.lookup(name);
    if (prev) return sameExpr(prev, e);
    this.names[this.n] = name;
    this.vals[this.n] = e;
    this.n++;
    return true;
  }

  private go(p: Pattern, e: PrimExpr): boolean {
    switch (p.tag) {
      case "var":
        return this.bind(p.name, e);
      case "const":
        return e.kind === "IntImm" && this.bind(p.name, e);
      case "lit":
        return e.kind === "IntImm" && (e as IntImm).value === p.value;
      case "op": {
        if (e.kind !== p.kind) return false;
        const args = p.args;
        for (let i = 0; i < args.length; i++) {
          const ch = child(e, i);
          if (!ch || !this.go(args[i]!, ch)) return false;
        }
        return true;
      }
    }
  }
}
