/**
 * Helpers for the blockize / tensorize tests: compare a scheduled function with TVMScript,
 * run two functions on the same random inputs, replay a trace through its JSON text, and
 * check that a rejected primitive left the schedule as it was.
 */
import { expect } from "vitest";
import { structuralEqual } from "../../src/ir/structural.js";
import type { PrimFunc } from "../../src/tir/function.js";
import { Rng, copyArray, randomArray, runPrimFunc, toArray, type HostArray } from "../../src/tir/interp/index.js";
import { parsePrimFunc, printScript } from "../../src/tir/script/index.js";
import { IntImm } from "../../src/ir/expr.js";
import { Schedule, ScheduleError, Trace } from "../../src/schedule/index.js";

export function mainOf(sch: Schedule): PrimFunc {
  return sch.mod.get("main") as PrimFunc;
}

/**
 * Structural equality with the expected TVMScript (a match_buffer's stride and elem_offset
 * variables are bound by the buffer, as TVM's DefEqual binds them).
 */
export function expectIR(got: PrimFunc, expected: string): void {
  const want = parsePrimFunc(expected);
  if (!structuralEqual(got, want)) {
    expect(printScript(got)).toBe(printScript(want));
    expect.fail("structurally different functions that print the same");
  }
}

/** Runs both functions on the same random inputs; outputs must be identical (same summation order). */
export function expectSameResults(before: PrimFunc, after: PrimFunc, seed = 11): void {
  const rng = new Rng(seed);
  const args = before.params.map((p) => {
    const buf = before.bufferMap.get(p)!;
    return randomArray(buf.shape.map((d) => (d as IntImm).value), buf.dtype, rng);
  });
  const copy = args.map(copyArray);
  runPrimFunc(before, args);
  runPrimFunc(after, copy);
  args.forEach((a, i) => {
    expect(toArray(copy[i] as HostArray)).toEqual(toArray(a));
  });
}

/** Replays the trace from its JSON text on the original function: same module, same trace. */
export function expectReplay(sch: Schedule, orig: PrimFunc): void {
  const json = sch.trace.toJSONString();
  const again = new Schedule(orig);
  Trace.fromJSON(json).applyTo(again);
  expect(structuralEqual(mainOf(again), mainOf(sch))).toBe(true);
  expect(again.trace.toJSONString()).toBe(json);
}

/** The primitive throws a ScheduleError matching `message` and leaves module and trace untouched. */
export function expectRejected(sch: Schedule, f: () => unknown, message: RegExp | string): ScheduleError {
  const mod = sch.mod, n = sch.trace.insts.length;
  let err: unknown;
  try {
    f();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(ScheduleError);
  expect((err as ScheduleError).message).toMatch(message);
  expect(sch.mod).toBe(mod);
  expect(sch.trace.insts.length).toBe(n);
  return err as ScheduleError;
}
