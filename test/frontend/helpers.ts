
import { assertStructuralEqual } from "../../src/ir/structural.js";
import type { IRModule } from "../../src/ir/module.js";
import { OnnxGraphBuilder, importOnnx, type ImportOptions, type OnnxAttrValue, type OnnxDim } from "../../src/frontend/index.js";
import {
  Call, Constant, Function, RelaxOp, SeqExpr, VarBinding, op, parseRelaxScript, printRelax, type Expr,
} from "../../src/relax/index.js";

export const sinfoText = op.sinfoText;

export function mainOf(mod: IRModule, name = "main"): Function {
  const f = mod.get(name);
  if (!(f instanceof Function)) throw new Error(`${name} is not a Relax function`);
  return f;
}

/** The bindings of a function's body (all blocks). */
export function bindingsOf(fn: Function): VarBinding[] {
  return (fn.body as SeqExpr).blocks.flatMap((b) => b.bindings.filter((x): x is VarBinding => x instanceof VarBinding));
}

/** The Relax operators called, in binding order (`nn.conv2d`, `add`, ...). */
export function opsOf(fn: Function): string[] {
  return bindingsOf(fn).flatMap((b) => (b.value instanceof Call && b.value.op instanceof RelaxOp ? [b.value.op.scriptName] : []));
}

/** The first call of `scriptName` in the function. */
export function callOf(fn: Function, scriptName: string): Call {
  const c = bindingsOf(fn).map((b) => b.value).find((v): v is Call => v instanceof Call && v.op instanceof RelaxOp && v.op.scriptName === scriptName);
  if (!c) throw new Error(`no call of R.${scriptName} in\n${printRelax(fn)}`);
  return c;
}

export const retText = (fn: Function) => sinfoText(fn.retStructInfo);

/** The Constant argument `i` of a call. */
export function constArg(c: Call, i: number): Constant {
  const a = c.args[i];
  if (!(a instanceof Constant)) throw new Error(`argument ${i} of ${String(c.op)} is ${(a as Expr)?.kind}, not a Constant`);
  return a;
}

export interface In {
  name: string;
  dims: readonly OnnxDim[];
  dtype?: string;
}

/**
 * A model of one node: `inputs` are graph inputs unless given `init` data (initializers) or
 * `ints` (int64 vectors); returns the imported main function.
 */
export function single(
  opType: string,
  inputs: readonly (In | { init: { dtype?: string; shape: number[]; data: number[] } } | { ints: number[] } | "")[],
  attrs: Readonly<Record<string, OnnxAttrValue>> = {},
  opts: { opset?: number; outputs?: number; import?: ImportOptions } = {},
): Function {
  const g = new OnnxGraphBuilder();
  const names = inputs.map((x, i) => {
    if (x === "") return "";
    if ("ints" in x) return g.ints(x.ints, `c${i}`);
    if ("init" in x) return g.initializer(`w${i}`, x.init.dtype ?? "float32", x.init.shape, x.init.data);
    return g.input(x.name, x.dtype ?? "float32", x.dims);
  });
  const outs = g.node(opType, names, attrs, opts.outputs ?? 1, `${opType.toLowerCase()}_node`);
  for (const o of outs) g.output(o);
  return mainOf(importOnnx(g.toBytes(opts.opset ?? 17), { allowAnyOpset: (opts.opset ?? 17) < 13, ...opts.import }));
}

/** The imported module equals the one the TVMScript text describes (structurally). */
export function expectScript(mod: IRModule, text: string): void {
  const want = parseRelaxScript(text);
  assertStructuralEqual(mainOf(mod), mainOf(want));
}

export const HEADER = `
from tvm.script import ir as I
from tvm.script import tir as T
from tvm.script import relax as R
`;
