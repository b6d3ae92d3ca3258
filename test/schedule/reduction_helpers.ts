/**
 * Helpers for the reduction-primitive tests: IR comparison with both sides printed on failure,
 * result comparison on the interpreter, trace replay, and applying rfactor to a parsed function.
 */
import { expect } from "vitest";
import { IntImm } from "../../src/ir/expr.js";
import { structuralEqual } from "../../src/ir/structural.js";
import type { PrimFunc } from "../../src/tir/function.js";
import { Rng, copyArray, randomArray, runPrimFunc, toArray, type HostArray } from "../../src/tir/interp/index.js";
import { parsePrimFunc, printScript } from "../../src/tir/script/index.js";
import { Schedule, Trace } from "../../src/schedule/index.js";

export function mainOf(sch: Schedule): PrimFunc {
  return sch.mod.get("main") as PrimFunc;
}

/** The scheduled function equals the TVMScript `expected` (printed side by side when not). */
export function expectIR(sch: Schedule, expected: string): void {
  const got = mainOf(sch);
  const want = parsePrimFunc(expected);
  if (!structuralEqual(got, want)) {
    expect(printScript(got)).toBe(printScript(want));
    expect.fail("structurally different, though both print the same");
  }
}

function inputs(func: PrimFunc, seed: number): HostArray[] {
  const rng = new Rng(seed);
  return func.params.map((p) => {
    const b = func.bufferMap.get(p);
    if (!b) throw new Error(`parameter ${p.name} is not a buffer`);
    const shape = b.shape.map((d) => {
      if (!(d instanceof IntImm)) throw new Error(`buffer ${b.name} has a symbolic shape`);
      return d.value;
    });
    return randomArray(shape, b.dtype, rng);
  });
}

/**
 * Runs both functions on the same random inputs; every buffer must agree afterwards (floats
 * within `tol` relative: rfactor reorders sums).
 */
export function expectSameResults(before: PrimFunc, after: PrimFunc, seed = 7, tol = 1e-5): void {
  const a = inputs(before, seed);
  const b = a.map(copyArray);
  runPrimFunc(before, a);
  runPrimFunc(after, b);
  a.forEach((x, i) => {
    const want = toArray(x), got = toArray(b[i]!);
    expect(got.length).toBe(want.length);
    for (let k = 0; k < want.length; k++) {
      const w = want[k]!, g = got[k]!;
      if (Number.isNaN(g) || Math.abs(g - w) > tol * Math.max(1, Math.abs(w))) {
        expect.fail(`parameter ${before.params[i]!.name}, element ${k}: expected ${w}, got ${g}`);
      }
    }
  });
}

/** Replaying the recorded trace (through its JSON text) on the original gives the same module. */
export function expectReplay(sch: Schedule, original: PrimFunc): void {
  const fresh = new Schedule(original);
  Trace.fromJSON(sch.trace.toJSONString()).applyTo(fresh);
  expect(structuralEqual(fresh.mod, sch.mod)).toBe(true);
  expect(fresh.trace.toJSONString()).toBe(sch.trace.toJSONString());
}

/** Parses, finds the block's loops, rfactors the `loopIndex`-th. */
export function rfactorAt(text: string, block: string, loopIndex: number, axis: number) {
  const orig = parsePrimFunc(text);
  const sch = new Schedule(orig);
  const b = sch.getBlock(block);
  const loops = sch.getLoops(b);
  const rf = sch.rfactor(loops[loopIndex]!, axis);
  return { orig, sch, b, loops, rf };
}
