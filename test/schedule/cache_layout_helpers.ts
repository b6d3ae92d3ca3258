/**
 * Helpers for the caching and layout primitive tests: compare the scheduled function with
 * expected TVMScript, run before/after on the same random inputs (buffers whose layout changed
 * are converted through a JS index function), replay the trace from its JSON text, and check
 * that a rejected primitive leaves the schedule untouched.
 */
import { expect } from "vitest";
import { structuralEqual } from "../../src/ir/structural.js";
import { IntImm } from "../../src/ir/expr.js";
import type { IRModule } from "../../src/ir/module.js";
import type { PrimFunc } from "../../src/tir/function.js";
import { Rng, copyArray, emptyArray, randomArray, readLane, runPrimFunc, toArray, type HostArray } from "../../src/tir/interp/index.js";
import { parsePrimFunc, printScript } from "../../src/tir/script/index.js";
import { Schedule, ScheduleError, Trace } from "../../src/schedule/index.js";

export function mainOf(x: Schedule | IRModule): PrimFunc {
  const mod = x instanceof Schedule ? x.mod : x;
  return mod.get("main") as PrimFunc;
}

/** The scheduled `main` is structurally equal to `expected` (printed side by side when not). */
export function expectIR(sch: Schedule, expected: string | PrimFunc): void {
  const want = typeof expected === "string" ? parsePrimFunc(expected) : expected;
  const got = mainOf(sch);
  if (!structuralEqual(got, want)) {
    expect(printScript(got)).toBe(printScript(want));
    expect.fail("structurally different functions that print the same");
  }
}

/** The names of the blocks of `main`, in order (structural equality ignores buffer names, so tests check them apart). */
export function allocNames(sch: Schedule): string[] {
  const body = mainOf(sch).body as unknown as { block: { allocBuffers: { name: string; scope: string }[] } };
  return body.block.allocBuffers.map((b) => `${b.name}:${b.scope}`);
}

/** Index conversion of a parameter whose layout changed: old index tuple -> new index tuple. */
export type Relayout = (idx: number[]) => number[];

function shapeOf(func: PrimFunc, name: string): number[] {
  const buf = func.buffer(name)!;
  return buf.shape.map((d) => {
    if (!(d instanceof IntImm)) throw new Error(`test: buffer ${name} has a symbolic shape`);
    return d.value;
  });
}

function* indices(shape: readonly number[]): Generator<number[]> {
  const n = shape.reduce((a, b) => a * b, 1);
  for (let flat = 0; flat < n; flat++) {
    const idx: number[] = [];
    let r = flat;
    for (let d = shape.length - 1; d >= 0; d--) {
      idx.unshift(r % shape[d]!);
      r = Math.floor(r / shape[d]!);
    }
    yield idx;
  }
}

function offset(shape: readonly number[], idx: readonly number[]): number {
  return idx.reduce((acc, x, d) => acc * shape[d]! + x, 0);
}

/**
 * Runs `before` and `after` on the same random inputs and expects equal outputs. Parameters in
 * `relayout` have a new layout in `after`: their data is moved through the index function on
 * the way in and compared through it on the way out (padding is not compared).
 */
export function expectSameResults(before: PrimFunc, after: PrimFunc, relayout: Record<string, Relayout> = {}, seed = 11): void {
  const rng = new Rng(seed);
  const names = before.params.map((p) => before.bufferMap.get(p)!.name);
  const a = names.map((n) => randomArray(shapeOf(before, n), before.buffer(n)!.dtype, rng));
  const b = names.map((n, i) => {
    const f = relayout[n];
    if (!f) return copyArray(a[i]!);
    const shape = shapeOf(after, n);
    const out = emptyArray(shape, after.buffer(n)!.dtype);
    const oldShape = shapeOf(before, n);
    for (const idx of indices(oldShape)) (out.data as Float32Array)[offset(shape, f(idx))] = readLane(a[i]!, offset(oldShape, idx));
    return out;
  });
  runPrimFunc(before, a);
  runPrimFunc(after, b);
  names.forEach((n, i) => {
    const f = relayout[n];
    const oldShape = shapeOf(before, n);
    const want = toArray(a[i]!);
    const got = f ? [...indices(oldShape)].map((idx) => readLane(b[i]!, offset(shapeOf(after, n), f(idx)))) : toArray(b[i]! as HostArray);
    expect(got.length).toBe(want.length);
    for (let k = 0; k < want.length; k++) {
      if (Object.is(got[k], want[k])) continue;
      expect(Math.abs(got[k]! - want[k]!), `buffer ${n}, element ${k}`).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(want[k]!)));
    }
  });
}

/** Replays the trace through its JSON text on a fresh schedule of `orig`; expects the same module and trace. */
export function expectReplay(sch: Schedule, orig: PrimFunc): Schedule {
  const json = sch.trace.toJSONString();
  const replayed = new Schedule(orig);
  Trace.fromJSON(json).applyTo(replayed);
  expect(structuralEqual(replayed.mod, sch.mod)).toBe(true);
  expect(replayed.trace.toJSONString()).toBe(json);
  return replayed;
}

/** Expects a ScheduleError matching `message`, with module and trace left as they were. */
export function expectRejected(sch: Schedule, f: () => unknown, message: RegExp | string): ScheduleError {
  const mod = sch.mod;
  const n = sch.trace.insts.length;
  let err: unknown;
  try {
    f();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(ScheduleError);
  const e = err as ScheduleError;
  if (typeof message === "string") expect(e.message).toContain(message);
  else expect(e.message).toMatch(message);
  expect(sch.mod).toBe(mod);
  expect(sch.trace.insts.length).toBe(n);
  return e;
}
