/** Shared helpers of the Simplify / LowerOpaqueBlock / FlattenBuffer / RemoveNoOp tests. */
import { expect } from "vitest";
import { IRModule } from "../../../src/ir/module.js";
import { structuralEqual } from "../../../src/ir/structural.js";
import { PrimFunc } from "../../../src/tir/function.js";
import { parsePrimFunc, printScript } from "../../../src/tir/script/index.js";
import type { Pass } from "../../../src/tir/transform/pass.js";
export { expectSameResults } from "../../schedule/loop_test_utils.js";

/** Applies a pass to a module holding only `func` (as "main") and returns the new "main". */
export function applyPass(pass: Pass, func: PrimFunc): PrimFunc {
  const mod = new IRModule([["main", func]]);
  const out = pass(mod);
  return out.get("main") as PrimFunc;
}

/**
 * `got` is structurally equal to the TVMScript `expected` (prints both when not). After
 * FlattenBuffer the body uses flat buffers that nothing declares (aliases of the parameters'
 * data, as in TVM); `freeBuffers` lets such undeclared buffers match by position.
 */
export function expectFunc(got: PrimFunc, expected: string | PrimFunc, freeBuffers = false): void {
  const want = typeof expected === "string" ? parsePrimFunc(expected) : expected;
  if (!structuralEqual(got, want, { mapFreeVars: freeBuffers })) {
    expect(printScript(got)).toBe(printScript(want));
    expect.fail("structurally different functions that print the same");
  }
}

export { parsePrimFunc, printScript };
