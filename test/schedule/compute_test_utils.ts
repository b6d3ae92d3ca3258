/**
 * Helpers for the compute-location tests (compute_at, compute_inline and their reverses):
 * apply a schedule to TVMScript input, compare with the expected TVMScript, check the results
 * on random inputs, replay the trace from its JSON text, and check rejections.
 */
import { expect } from "vitest";
import { IntImm, type Var } from "../../src/ir/expr.js";
import { structuralEqual } from "../../src/ir/structural.js";
import type { PrimFunc } from "../../src/tir/function.js";
import { Rng, copyArray, randomArray, runPrimFunc, toArray, type HostArray } from "../../src/tir/interp/index.js";
import { parsePrimFunc, printScript } from "../../src/tir/script/index.js";
import { Schedule, ScheduleError, Trace } from "../../src/schedule/index.js";

export const mainOf = (sch: Schedule): PrimFunc => sch.mod.get("main") as PrimFunc;

/** Runs both functions on the same random inputs (scalars and symbolic dims from `scalars`, else 3); every buffer must end up equal. */
export function expectSameResults(before: PrimFunc, after: PrimFunc, scalars: Record<string, number> = {}, seed = 3): void {
  const rng = new Rng(seed);
  const args = before.params.map((p): HostArray | number => {
    const buf = before.bufferMap.get(p);
    if (!buf) return scalars[p.name] ?? 3;
    const shape = buf.shape.map((d) => (d instanceof IntImm ? d.value : scalars[(d as Var).name] ?? 3));
    return randomArray(shape, buf.dtype, rng);
  });
  const copy = args.map((a) => (typeof a === "number" ? a : copyArray(a)));
  runPrimFunc(before, args);
  runPrimFunc(after, copy);
  args.forEach((a, i) => {
    if (typeof a === "number") return;
    const x = toArray(a), y = toArray(copy[i] as HostArray);
    expect(y.length).toBe(x.length);
    for (let k = 0; k < x.length; k++) {
      if (Math.abs(x[k]! - y[k]!) > 1e-5 * Math.max(1, Math.abs(x[k]!))) {
        expect.fail(`output ${before.params[i]!.name}[${k}] differs: ${x[k]} before, ${y[k]} after`);
      }
    }
  });
}

/** The scheduled function equals the expected TVMScript (printing both on a mismatch). */
export function expectIR(sch: Schedule, expected: string): void {
  const want = parsePrimFunc(expected);
  const got = mainOf(sch);
  if (!structuralEqual(got, want)) {
    expect(printScript(got)).toBe(printScript(want));
    expect.fail("structurally different functions that print the same");
  }
}

/** Replays the trace through its JSON text on a fresh schedule: same module, same trace. */
export function expectReplay(sch: Schedule, orig: PrimFunc): void {
  const json = sch.trace.toJSONString();
  const replayed = new Schedule(orig);
  Trace.fromJSON(json).applyTo(replayed);
  expect(structuralEqual(replayed.mod, sch.mod)).toBe(true);
  expect(replayed.trace.toJSONString()).toBe(json);
}

/**
 * Applies `f` to a schedule of `before`, then checks the IR against `after`, the results
 * against the original on random inputs, and the trace replay. Returns the schedule.
 */
export function checkSchedule(before: string, after: string, f: (sch: Schedule) => void, scalars?: Record<string, number>): Schedule {
  const orig = parsePrimFunc(before);
  const sch = new Schedule(orig);
  f(sch);
  expectIR(sch, after);
  expectSameResults(orig, mainOf(sch), scalars);
  expectReplay(sch, orig);
  return sch;
}

/** `f` throws a ScheduleError matching `message`, leaving module and trace as they were. */
export function expectRejected(sch: Schedule, f: () => unknown, message: RegExp): ScheduleError {
  const mod = sch.mod;
  const n = sch.trace.insts.length;
  let caught: unknown;
  try {
    f();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(ScheduleError);
  expect((caught as Error).message).toMatch(message);
  expect(sch.mod).toBe(mod);
  expect(sch.trace.insts.length).toBe(n);
  return caught as ScheduleError;
}

export { parsePrimFunc, printScript };
