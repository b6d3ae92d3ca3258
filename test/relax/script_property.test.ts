import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { float32 } from "../../src/ir/dtype.js";
import type { PrimExpr } from "../../src/ir/expr.js";
import { IRModule } from "../../src/ir/module.js";
import { structuralEqual } from "../../src/ir/structural.js";
import {
  BlockBuilder, Call, Function, TensorStructInfo, TupleGetItem, TupleStructInfo, Var, op, parseRelaxScript, printRelax, type Expr,
} from "../../src/relax/index.js";
import { sym, tensor } from "./helpers.js";

interface Step {
  kind: number;
  a: number;
  b: number;
  axis: number;
  flag: boolean;
}

const step = fc.record({ kind: fc.nat(18), a: fc.nat(20), b: fc.nat(20), axis: fc.integer({ min: -3, max: 3 }), flag: fc.boolean() });
const dim = fc.oneof(fc.constantFrom("n", "m"), fc.integer({ min: 1, max: 4 }));
const shape = fc.array(dim, { minLength: 1, maxLength: 3 });

const UNARY = [op.exp, op.tanh, op.sigmoid, op.negative, op.abs, op.nn.relu, op.nn.gelu, op.nn.silu];
const BINARY = [op.add, op.subtract, op.multiply, op.divide, op.maximum, op.minimum, op.power];

/** Module functions `helper<nd>` (one per rank, shapes symbolic) that main may call through cls. */
function helpers(bb: BlockBuilder, privateHelpers: boolean): void {
  for (let nd = 0; nd <= 4; nd++) {
    const p = new Var("x", tensor(Array.from({ length: nd }, (_, i) => sym(`h${i}`))));
    bb.function(`helper${nd}`, [p], () => bb.emit(op.nn.relu(op.add(p, p))), { private: privateHelpers });
  }
}

/** Binds a local function that captures `captured` and applies it to `x` (same StructInfo as its parameter). */
function closure(bb: BlockBuilder, x: Var, captured: Var, unary: number): Expr {
  const lb = bb.local();
  const y = new Var("y", x.structInfo);
  lb.beginFunction("inner", [y]);
  let r = lb.emit(UNARY[unary % UNARY.length]!(y));
  try {
    r = lb.emit(op.add(r, captured));
  } catch {
    // Shapes that do not broadcast: the capture only feeds a reduction that is added back.
    r = lb.emit(op.add(r, op.sum(captured, null)));
  }
  const fn = lb.endFunction(r, { private: true });
  return new Call(bb.emit(fn, "inner"), [x]);
}

/** Splits `x` (at index 1 of `axis`) and binds both parts as `a, b = R.split(...)` would. */
function unpackSplit(bb: BlockBuilder, x: Var, axis: number): Var[] {
  const t = bb.emit(op.split(x, [1], axis));
  return (t.structInfo as TupleStructInfo).fields.map((_, i) => bb.emit(new TupleGetItem(t, i)));
}

/** Builds a well-typed function from random steps: each step picks an op valid for its operands. */
function build(shapes: (string | number)[][], steps: Step[], useDataflow: boolean, matchCast: boolean, privateHelpers = false): IRModule {
  const syms = { n: sym("n"), m: sym("m") };
  const dims = (s: (string | number)[]): (PrimExpr | number)[] => s.map((d) => (typeof d === "string" ? syms[d as "n" | "m"] : d));
  const params = shapes.map((s, i) => new Var(`p${i}`, tensor(dims(s))));
  const bb = new BlockBuilder();
  helpers(bb, privateHelpers);
  const body = (): Expr => {
    const pool: Var[] = [...params];
    if (matchCast) pool.push(bb.matchCast(params[0]!, tensor([sym("k"), ...dims(shapes[0]!).slice(1)]), "cast"));
    const pick = (i: number) => pool[i % pool.length]!;
    const info = (v: Var) => v.structInfo as TensorStructInfo;
    for (const s of steps) {
      const x = pick(s.a);
      const nd = info(x).ndim;
      const ax = ((s.axis % nd) + nd) % nd;
      let e: Expr;
      // Scalars (full reductions) only take elementwise ops.
      switch (nd === 0 ? 0 : s.kind) {
        case 0: case 1: case 2:
          e = UNARY[(s.a + s.b) % UNARY.length]!(x);
          break;
        case 3: case 4: case 5: {
          const y = pick(s.b);
          const ok = (() => {
            try {
              bb.normalize(op.add(x, y));
              return true;
            } catch {
              return false;
            }
          })();
          e = BINARY[s.b % BINARY.length]!(x, ok ? y : x);
          break;
        }
        case 6:
          e = op.sum(x, [ax], s.flag);
          break;
        case 7:
          e = op.mean(x, null, s.flag);
          break;
        case 8:
          e = op.permuteDims(x);
          break;
        case 9:
          e = op.expandDims(x, s.flag ? 0 : -1);
          break;
        case 10:
          e = op.reshape(x, [-1]);
          break;
        case 11:
          e = nd === 2 ? op.matmul(x, op.permuteDims(x)) : op.nn.softmax(x, ax);
          break;
        case 12:
          e = op.concat([x, x], ax);
          break;
        case 13:
          e = op.where(op.less(x, x), x, op.nn.relu(x));
          break;
        case 14:
          e = op.astype(op.astype(x, "float16"), "float32");
          break;
        case 15:
          e = new Call(bb.getGlobalVar(`helper${nd}`), [x]);
          break;
        case 16:
          e = closure(bb, x, params[s.b % params.length]!, s.a);
          break;
        case 17: {
          const parts = unpackSplit(bb, x, ax);
          pool.push(...parts.slice(0, -1));
          e = parts[parts.length - 1]!;
          break;
        }
        default:
          e = op.nn.logSoftmax(x, ax);
      }
      pool.push(bb.emit(e));
    }
    return pool[pool.length - 1]!;
  };
  bb.function("main", params, () => {
    if (!useDataflow) return body();
    return bb.dataflow(() => bb.emitOutput(body()));
  });
  return bb.getModule();
}

describe("random Relax functions round-trip through TVMScript", () => {
  it("print -> parse -> structurally equal -> same text", () => {
    fc.assert(
      fc.property(fc.array(shape, { minLength: 1, maxLength: 3 }), fc.array(step, { minLength: 1, maxLength: 12 }), fc.boolean(), fc.boolean(), fc.boolean(), (shapes, steps, df, mc, ph) => {
        const mod = build(shapes, steps, df, mc, ph);
        const text = printRelax(mod);
        const back = parseRelaxScript(text);
        if (!structuralEqual(back, mod)) throw new Error(`round trip changed the module:\n${text}\n---\n${printRelax(back)}`);
        expect(printRelax(back)).toBe(text);
        // The same module written with tuple unpacking (a, b = R.split(...)) parses equal.
        const unpacked = text.replace(/^( +)(\w+): R\.Tuple\(.*\) = (R\.split\(.*\))\n\1(\w+): .* = \2\[0\]\n\1(\w+): .* = \2\[1\]$/gm, "$1$4, $5 = $3");
        if (!structuralEqual(parseRelaxScript(unpacked), mod)) throw new Error(`unpacking changed the module:\n${unpacked}`);
        expect((mod.get("main") as Function).retStructInfo).toBeDefined();
      }),
      { numRuns: 60 },
    );
  });

  it("a float32 result keeps its dtype through the random ops", () => {
    const mod = build([["n", 2]], [{ kind: 14, a: 0, b: 0, axis: 0, flag: false }], false, false);
    expect(((mod.get("main") as Function).retStructInfo as TensorStructInfo).dtype).toBe(float32);
  });
});
