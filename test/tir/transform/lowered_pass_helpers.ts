/**
 * Helpers for the tests of passes that run on lowered code (VectorizeLoop, UnrollLoop,
 * StorageRewrite, LowerIntrin, MakePackedAPI): parse TVMScript, apply a pass, compare with
 * the expected TVMScript, and run both versions on the interpreter with the same inputs.
 */
import { expect } from "vitest";
import { IRModule } from "../../../src/ir/module.js";
import { structuralEqual } from "../../../src/ir/structural.js";
import { IntImm } from "../../../src/ir/expr.js";
import type { PrimFunc } from "../../../src/tir/function.js";
import { parsePrimFunc, printScript } from "../../../src/tir/script/index.js";
import { Rng, copyArray, randomArray, runPrimFunc, toArray, type ArgValue } from "../../../src/tir/interp/index.js";
import type { Pass } from "../../../src/tir/transform/pass.js";

export function applyPass(pass: Pass, f: PrimFunc): PrimFunc {
  const out = pass(IRModule.fromFunction(f, "main"));
  return out.functionList[0] as PrimFunc;
}

/** Applies `pass` to `before` and checks the result equals `after` (both TVMScript). */
export function checkPass(pass: Pass, before: string, after: string): { before: PrimFunc; after: PrimFunc } {
  const f = parsePrimFunc(before);
  const got = applyPass(pass, f);
  const want = parsePrimFunc(after);
  if (!structuralEqual(got, want)) {
    expect(printScript(got)).toBe(printScript(want));
    expect.fail("structurally different although printed alike");
  }
  return { before: f, after: got };
}

/** Runs both functions on the same random inputs (scalar params from `scalars`); outputs must agree (exactly, or within relative `tol`). */
export function expectSameResults(a: PrimFunc, b: PrimFunc, scalars: Record<string, number> = {}, seeds = 3, tol = 0): void {
  for (let seed = 0; seed < seeds; seed++) {
    const rng = new Rng(seed);
    const argsA: ArgValue[] = [];
    const argsB: ArgValue[] = [];
    for (const p of a.params) {
      const buf = a.bufferMap.get(p);
      if (buf) {
        const shape = buf.shape.map((s) => {
          if (s instanceof IntImm) return s.value;
          const v = scalars[s.toString()];
          if (v === undefined) throw new Error(`no value for symbolic dim ${s.toString()}`);
          return v;
        });
        const arr = randomArray(shape, buf.dtype, rng);
        argsA.push(arr);
        argsB.push(copyArray(arr));
      } else {
        const v = scalars[p.name];
        if (v === undefined) throw new Error(`no value for scalar parameter ${p.name}`);
        argsA.push(v);
        argsB.push(v);
      }
    }
    runPrimFunc(a, argsA);
    runPrimFunc(b, argsB);
    for (let i = 0; i < argsA.length; i++) {
      const x = argsA[i]!, y = argsB[i]!;
      if (typeof x !== "object" || typeof y !== "object") continue;
      const xs = toArray(x), ys = toArray(y);
      if (tol === 0) expect(ys).toEqual(xs);
      else xs.forEach((v, k) => expect(Math.abs(ys[k]! - v)).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(v))));
    }
  }
}
