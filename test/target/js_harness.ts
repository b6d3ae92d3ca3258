/**
 * Test helpers for the js target: run a PrimFunc compiled for `js` and in the reference
 * interpreter on the same inputs, and compare every array argument afterwards.
 */
import { expect } from "vitest";
import type { IntImm } from "../../src/ir/expr.js";
import { NDArray } from "../../src/runtime/ndarray.js";
import type { Module } from "../../src/runtime/module.js";
import { build } from "../../src/target/build.js";
import type { PrimFunc } from "../../src/tir/function.js";
import { Rng, randomArray, runPrimFunc, toArray, type HostArray } from "../../src/tir/interp/index.js";
import { parsePrimFunc } from "../../src/tir/script/index.js";

export type Arg = HostArray | number;

/** Random inputs for every parameter: arrays for buffers with constant shapes, `scalars` by name. */
export function randomArgs(f: PrimFunc, seed = 1, scalars: Record<string, number> = {}, shapes: Record<string, number[]> = {}): Arg[] {
  const rng = new Rng(seed);
  return f.params.map((p) => {
    const b = f.bufferMap.get(p);
    if (!b) {
      const v = scalars[p.name];
      if (v === undefined) throw new Error(`randomArgs: give a value for scalar ${p.name}`);
      return v;
    }
    const shape = shapes[b.name] ?? b.shape.map((s) => {
      if (s.kind !== "IntImm") throw new Error(`randomArgs: give a shape for ${b.name}`);
      return (s as IntImm).value;
    });
    return randomArray(shape, b.dtype, rng);
  });
}

/** Bit-level equality of two value lists (NaN equals NaN; -0 differs from 0). */
export function expectSameBits(got: number[], want: number[], what: string): void {
  expect(got.length, what).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    if (!Object.is(got[i], want[i])) {
      expect.fail(`${what}: element ${i} is ${got[i]}, the interpreter gives ${want[i]}`);
    }
  }
}

export function expectClose(got: number[], want: number[], tol: number, what: string): void {
  expect(got.length, what).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    const g = got[i]!, w = want[i]!;
    if (Object.is(g, w) || (g !== g && w !== w)) continue;
    if (!(Math.abs(g - w) <= tol * Math.max(1, Math.abs(w)))) {
      expect.fail(`${what}: element ${i} is ${g}, the interpreter gives ${w} (tolerance ${tol})`);
    }
  }
}

/**
 * Runs `func` with the interpreter and with the js module on copies of `args`; compares every
 * array argument (bit for bit when tol is 0) and the return value. Returns the module.
 */
export async function compareWithInterpreter(
  func: PrimFunc,
  args: Arg[],
  opts: { tol?: number; lower?: null; mod?: Module; name?: string } = {},
): Promise<Module> {
  const mod = opts.mod ?? (await build(func, "js", opts.lower === null ? { lower: null } : {}));
  const name = opts.name ?? mod.functionNames()[0]!;
  const interpArgs = args.map((a) => (typeof a === "number" ? a : { dtype: a.dtype, shape: [...a.shape], data: a.data.slice() }));
  const jsArgs = args.map((a) => (typeof a === "number" ? a : NDArray.empty(a.shape, a.dtype).copyFrom(a)));
  const want = runPrimFunc(func, interpArgs as Arg[]);
  const got = mod.get(name)(...jsArgs);
  expect(got ?? undefined).toBe(want);
  args.forEach((a, i) => {
    if (typeof a === "number") return;
    const w = toArray(interpArgs[i] as HostArray);
    const g = (jsArgs[i] as NDArray).toArray();
    const what = `argument ${i} (${func.params[i]!.name})`;
    if (opts.tol) expectClose(g, w, opts.tol, what);
    else expectSameBits(g, w, what);
  });
  return mod;
}

/** Parses a lowered function and compares js with the interpreter on random inputs. */
export async function checkScript(src: string, opts: { seed?: number; scalars?: Record<string, number>; shapes?: Record<string, number[]>; tol?: number } = {}): Promise<Module> {
  const f = parsePrimFunc(src);
  return compareWithInterpreter(f, randomArgs(f, opts.seed ?? 1, opts.scalars, opts.shapes), { tol: opts.tol, lower: null });
}
