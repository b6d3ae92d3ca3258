/**
 * PrimExpr text in Relax positions (shape dims, prim values), as TVM prints them there: int64
 * literals bare (`(n * 2, 768)`), `+ - * // %` infix when parsing the text back rebuilds the
 * same node, anything else through the TIR printer (`T.max(n, T.int64(1))`).
 */
import { int32, int64 } from "../ir/dtype.js";
import { IntImm, type PrimExpr, type Var } from "../ir/expr.js";
import * as E from "../ir/expr_ops.js";
import { structuralEqual } from "../ir/structural.js";
import "../tir/script/printer/index.js";

type Builder = (a: PrimExpr, b: PrimExpr) => PrimExpr;

const INFIX: Readonly<Record<string, readonly [Builder, string, number]>> = {
  Add: [E.add, "+", 11],
  Sub: [E.sub, "-", 11],
  Mul: [E.mul, "*", 12],
  FloorDiv: [E.floordiv, "//", 12],
  FloorMod: [E.floormod, "%", 12],
};

export interface PrimTextHooks {
  /** The printed name of a variable. */
  name(v: Var): string;
  /** Text for any other expression (the TIR printer). */
  fallback(e: PrimExpr): string;
}

const defaultHooks: PrimTextHooks = { name: (v) => v.name, fallback: (e) => String(e) };

export function primText(e: PrimExpr, hooks: PrimTextHooks = defaultHooks): string {
  return doc(e, hooks).text;
}

function doc(e: PrimExpr, h: PrimTextHooks): { text: string; prec: number } {
  if (e instanceof IntImm) {
    if (e.dtype === int64) return { text: String(e.value), prec: e.value < 0 ? 10 : 15 };
    if (e.dtype === int32) return { text: `T.int32(${e.value})`, prec: 15 };
  }
  if (e.kind === "Var" || e.kind === "SizeVar") return { text: h.name(e as Var), prec: 15 };
  const spec = INFIX[e.kind];
  if (spec) {
    const { a, b } = e as unknown as { a: PrimExpr; b: PrimExpr };
    if (e.dtype === int64 && !(a instanceof IntImm && b instanceof IntImm) && refolds(e, a, b, spec[0])) {
      const l = doc(a, h), r = doc(b, h);
      const prec = spec[2];
      const lt = l.prec < prec ? `(${l.text})` : l.text;
      const rt = r.prec <= prec ? `(${r.text})` : r.text;
      return { text: `${lt} ${spec[1]} ${rt}`, prec };
    }
  }
  return { text: h.fallback(e), prec: 15 };
}

function refolds(e: PrimExpr, a: PrimExpr, b: PrimExpr, build: Builder): boolean {
  try {
    return structuralEqual(build(a, b), e);
  } catch {
    return false;
  }
}

export function dimText(d: PrimExpr): string {
  return primText(d);
}
