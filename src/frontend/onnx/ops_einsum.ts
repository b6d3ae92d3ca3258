/**
 * Einsum with one or two operands, composed from permute_dims, sum, reshape and matmul: the
 * letters of two operands are grouped into batch (in both and the output), kept-left,
 * kept-right and contracted (in both, not in the output); letters only one operand has and
 * the output lacks are summed first. Each operand is permuted to [batch, kept, contracted]
 * order, flattened to a (batched) matrix, multiplied, and the result unflattened and permuted
 * to the output order. `...` stands for the same leading dims in every operand. Repeated
 * letters within one operand (diagonals) are not supported.
 */
import type { PrimExpr } from "../../ir/expr.js";
import { op, type Expr } from "../../relax/index.js";
import { dimsOf, product, staticDim } from "../shape_util.js";
import type { NodeView } from "./context.js";
import { registerConverter } from "./registry.js";

interface Term {
  /** One character per axis; an ellipsis becomes digits '0', '1', ... */
  readonly axes: string[];
}

function parseTerm(node: NodeView, text: string, rank: number | undefined, ellipsisRank: { n?: number }): Term {
  const t = text.trim();
  const parts = t.split("...");
  if (parts.length > 2) throw node.error(`'${text}' has more than one ellipsis`);
  for (const ch of parts.join("")) if (!/[A-Za-z]/.test(ch)) throw node.error(`'${ch}' in '${text}' is not a subscript letter`);
  if (parts.length === 1) {
    if (rank !== undefined && t.length !== rank) throw node.error(`the term '${text}' names ${t.length} axes but its operand has rank ${rank}`);
    return { axes: [...t] };
  }
  const explicit = parts[0]!.length + parts[1]!.length;
  let n: number;
  if (rank !== undefined) {
    n = rank - explicit;
    if (n < 0) throw node.error(`the term '${text}' names ${explicit} axes but its operand has rank ${rank}`);
    if (ellipsisRank.n !== undefined && ellipsisRank.n !== n) throw node.error(`the ellipsis stands for ${ellipsisRank.n} dims in one operand and ${n} in another (broadcast ellipses are not supported)`);
    ellipsisRank.n = n;
  } else n = ellipsisRank.n ?? 0;
  return { axes: [...parts[0]!, ...Array.from({ length: n }, (_, i) => String(i)), ...parts[1]!] };
}

function checkNoRepeats(node: NodeView, t: Term, text: string): void {
  if (new Set(t.axes).size !== t.axes.length) throw node.error(`the term '${text}' repeats a letter (diagonals are not supported)`);
}

const isIdentity = (perm: readonly number[]) => perm.every((p, i) => p === i);

registerConverter("Einsum", (node) => {
  const eq = node.string("equation", "");
  if (!eq) throw node.error("attribute 'equation' is required");
  const xs = node.inputs.map((_, i) => node.input(i));
  if (xs.length < 1 || xs.length > 2) throw node.error(`${xs.length} operands are not supported (weft's Einsum takes one or two)`);
  const [lhs, rhs] = eq.includes("->") ? (eq.split("->") as [string, string]) : [eq, undefined];
  const texts = lhs.split(",");
  if (texts.length !== xs.length) throw node.error(`the equation '${eq}' has ${texts.length} input terms for ${xs.length} inputs`);
  const ell: { n?: number } = {};
  const dims = xs.map((x) => dimsOf(x, node.label));
  const ins = texts.map((t, i) => parseTerm(node, t, dims[i]!.length, ell));
  ins.forEach((t, i) => checkNoRepeats(node, t, texts[i]!));
  let out: Term;
  if (rhs !== undefined) out = parseTerm(node, rhs, undefined, ell);
  else {
    // Implicit output: the ellipsis dims, then the letters used once, in alphabetical order.
    const count = new Map<string, number>();
    for (const t of ins) for (const a of t.axes) count.set(a, (count.get(a) ?? 0) + 1);
    const digits = [...count.keys()].filter((a) => /\d/.test(a)).sort();
    out = { axes: [...digits, ...[...count.keys()].filter((a) => /[A-Za-z]/.test(a) && count.get(a) === 1).sort()] };
  }
  checkNoRepeats(node, out, rhs ?? "");
  const size = new Map<string, PrimExpr>();
  ins.forEach((t, i) => t.axes.forEach((a, k) => {
    const d = dims[i]![k]!;
    const prev = size.get(a);
    if (prev && !node.bb.analyzer.canProveEqual(prev, d)) {
      const txt = (e: PrimExpr) => String(staticDim(e) ?? e);
      throw node.error(`subscript '${a}' has extent ${txt(prev)} in one place and ${txt(d)} in another (broadcasting is not supported)`);
    }
    size.set(a, prev ?? d);
  }));
  for (const a of out.axes) if (!size.has(a)) throw node.error(`the output subscript '${a}' does not appear in any input`);

  // Sum away letters that only one operand has and the output lacks.
  const reduced = ins.map((t, i) => {
    const other = ins[1 - i];
    const drop = t.axes.flatMap((a, k) => (!out.axes.includes(a) && !(other?.axes.includes(a) ?? false) ? [k] : []));
    if (drop.length === 0) return { x: xs[i]!, axes: t.axes };
    return { x: node.bb.emit(op.sum(xs[i]!, drop)) as Expr, axes: t.axes.filter((_, k) => !drop.includes(k)) };
  });
  const permute = (x: Expr, from: readonly string[], to: readonly string[]): Expr => {
    const perm = to.map((a) => from.indexOf(a));
    return isIdentity(perm) ? x : node.bb.emit(op.permuteDims(x, perm));
  };
  const dimsFor = (axes: readonly string[]) => axes.map((a) => size.get(a)!);
  if (reduced.length === 1) return permute(reduced[0]!.x, reduced[0]!.axes, out.axes);

  const [A, B] = reduced as [{ x: Expr; axes: string[] }, { x: Expr; axes: string[] }];
  const batch = out.axes.filter((a) => A.axes.includes(a) && B.axes.includes(a));
  const left = A.axes.filter((a) => out.axes.includes(a) && !B.axes.includes(a));
  const right = B.axes.filter((a) => out.axes.includes(a) && !A.axes.includes(a));
  const contracted = A.axes.filter((a) => B.axes.includes(a) && !out.axes.includes(a));
  const an = node.bb.analyzer;
  const matrix = (x: Expr, from: readonly string[], rows: readonly string[], cols: readonly string[]) => {
    const p = permute(x, from, [...batch, ...rows, ...cols]);
    if (rows.length === 1 && cols.length === 1) return p;
    return node.bb.emit(op.reshape(p, [...dimsFor(batch), product(dimsFor(rows), an), product(dimsFor(cols), an)]));
  };
  const m = node.bb.emit(op.matmul(matrix(A.x, A.axes, left, contracted), matrix(B.x, B.axes, contracted, right)));
  const produced = [...batch, ...left, ...right];
  const un = left.length === 1 && right.length === 1 ? m : node.bb.emit(op.reshape(m, dimsFor(produced)));
  return permute(un, produced, out.axes);
});
