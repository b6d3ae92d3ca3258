/**
 * Helpers for the loop-transformation tests: compare a scheduled function with the expected
 * TVMScript, run the function before and after on the same random inputs, and replay the
 * recorded trace through its JSON text.
 */
import { expect } from "vitest";
import { structuralEqual } from "../../src/ir/structural.js";
import type { IRModule } from "../../src/ir/module.js";
import type { PrimFunc } from "../../src/tir/function.js";
import { Rng, copyArray, randomArray, runPrimFunc, toArray, type HostArray } from "../../src/tir/interp/index.js";
import { parsePrimFunc, printScript } from "../../src/tir/script/index.js";
import { Schedule, ScheduleError, Trace } from "../../src/schedule/index.js";
import { IntImm, Var } from "../../src/ir/expr.js";

export function mainOf(x: Schedule | IRModule): PrimFunc {
  const mod = x instanceof Schedule ? x.mod : x;
  return mod.get("main") as PrimFunc;
}

/** The scheduled `main` is structurally equal to the TVMScript `expected`. */
export function expectIR(sch: Schedule, expected: string): void {
  const want = parsePrimFunc(expected);
  const got = mainOf(sch);
  if (!structuralEqual(got, want)) {
    expect(printScript(got)).toBe(printScript(want));
    expect.fail("structurally different functions that print the same");
  }
}

/**
 * Runs `before` and `after` on the same random inputs (every buffer parameter gets random data;
 * scalar parameters take `scalars`) and expects equal outputs. Symbolic buffer dimensions take
 * their value from `scalars` too.
 */
export function expectSameResults(before: PrimFunc, after: PrimFunc, scalars: Record<string, number> = {}, seed = 7): void {
  const rng = new Rng(seed);
  const args: (HostArray | number)[] = before.params.map((p) => {
    const buf = before.bufferMap.get(p);
    if (!buf) {
      const v = scalars[p.name];
      if (v === undefined) throw new Error(`test: give a value for scalar parameter ${p.name}`);
      return v;
    }
    const shape = buf.shape.map((d) => {
      if (d instanceof IntImm) return d.value;
      if (d instanceof Var && scalars[d.name] !== undefined) return scalars[d.name]!;
      throw new Error(`test: give a value for dimension ${String(d)} of ${buf.name}`);
    });
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
      if (Object.is(x[k], y[k])) continue;
      expect(Math.abs(x[k]! - y[k]!)).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(x[k]!)));
    }
  });
}

/** Replays the trace (through its JSON text) on a fresh schedule of `orig`; expects the same module. */
export function expectReplay(sch: Schedule, orig: PrimFunc): Schedule {
  const json = sch.trace.toJSONString();
  const replayed = new Schedule(orig);
  Trace.fromJSON(json).applyTo(replayed);
  expect(structuralEqual(replayed.mod, sch.mod)).toBe(true);
  expect(replayed.trace.toJSONString()).toBe(json);
  return replayed;
}

/**
 * Expects `f` to throw a ScheduleError whose message matches `message`, and the schedule to be
 * left exactly as it was (module and trace).
 */
export function expectRejected(sch: Schedule, f: () => unknown, message: RegExp | string): ScheduleError {
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
