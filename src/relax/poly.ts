/**
 * Symbolic dims as polynomials: sums of integer multiples of products of atoms (variables, or
 * any other subterm such as `m // 2`, compared structurally). The arithmetic simplifier keeps
 * non-linear products as written, so `n * m` and `m * n` need this normal form to compare.
 */
import { IntImm, type PrimExpr } from "../ir/expr.js";
import { structuralEqual } from "../ir/structural.js";

type Poly = Map<string, number>;

class Atoms {
  private readonly atoms: PrimExpr[] = [];
  id(e: PrimExpr): number {
    const i = this.atoms.findIndex((a) => a === e || structuralEqual(a, e));
    if (i >= 0) return i;
    this.atoms.push(e);
    return this.atoms.length - 1;
  }
}

function addInto(out: Poly, p: Poly, scale: number): void {
  for (const [k, c] of p) {
    const v = (out.get(k) ?? 0) + c * scale;
    if (v === 0) out.delete(k);
    else out.set(k, v);
  }
}

function mulPoly(a: Poly, b: Poly): Poly {
  const out: Poly = new Map();
  for (const [ka, ca] of a) {
    for (const [kb, cb] of b) {
      const key = [...(ka ? ka.split(",") : []), ...(kb ? kb.split(",") : [])].map(Number).sort((x, y) => x - y).join(",");
      addInto(out, new Map([[key, ca * cb]]), 1);
    }
  }
  return out;
}

function toPoly(e: PrimExpr, atoms: Atoms): Poly {
  switch (e.kind) {
    case "IntImm":
      return (e as IntImm).value === 0 ? new Map() : new Map([["", (e as IntImm).value]]);
    case "Add":
    case "Sub": {
      const { a, b } = e as unknown as { a: PrimExpr; b: PrimExpr };
      const out: Poly = new Map();
      addInto(out, toPoly(a, atoms), 1);
      addInto(out, toPoly(b, atoms), e.kind === "Add" ? 1 : -1);
      return out;
    }
    case "Mul": {
      const { a, b } = e as unknown as { a: PrimExpr; b: PrimExpr };
      return mulPoly(toPoly(a, atoms), toPoly(b, atoms));
    }
    default:
      return new Map([[String(atoms.id(e)), 1]]);
  }
}

/** `a - b` as a polynomial: undefined when it is not a constant, else that constant. */
export function constantDifference(a: PrimExpr, b: PrimExpr): number | undefined {
  const atoms = new Atoms();
  const d: Poly = new Map();
  addInto(d, toPoly(a, atoms), 1);
  addInto(d, toPoly(b, atoms), -1);
  if (d.size === 0) return 0;
  if (d.size === 1 && d.has("")) return d.get("")!;
  return undefined;
}
