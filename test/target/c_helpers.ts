/** Shared helpers of the c target tests: compile, run on C and in the interpreter, compare. */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "vitest";
import { IRModule } from "../../src/ir/module.js";
import type { PrimFunc } from "../../src/tir/function.js";
import { Rng, copyArray, randomArray, runPrimFunc, type HostArray } from "../../src/tir/interp/index.js";
import { parsePrimFunc } from "../../src/tir/script/index.js";
import { buildC, findCompiler, type CModule } from "../../src/target/c/index.js";

export const hasCompiler = (() => {
  try {
    findCompiler();
    return true;
  } catch {
    return false;
  }
})();

/** One cache folder per test process, so tests never read the user's cache. */
export const testCacheDir = mkdtempSync(join(tmpdir(), "weft-c-test-"));

export function buildScript(src: string, name = "main"): { f: PrimFunc; m: CModule } {
  const f = parsePrimFunc(src);
  const m = buildC(IRModule.fromFunction(f, name), { cacheDir: testCacheDir });
  return { f, m };
}

export type Arg = HostArray | number;

/** Random arguments for a function's buffer parameters (scalars given explicitly). */
export function randomArgs(f: PrimFunc, seed: number, scalars: Record<string, number> = {}, shapes: Record<string, number[]> = {}): Arg[] {
  const rng = new Rng(seed);
  return f.params.map((p) => {
    const b = f.bufferMap.get(p);
    if (!b) return scalars[p.name]!;
    const shape = shapes[b.name] ?? b.shape.map((s) => (s.kind === "IntImm" ? (s as unknown as { value: number }).value : NaN));
    return randomArray(shape, b.dtype, rng);
  });
}

function clone(args: Arg[]): Arg[] {
  return args.map((a) => (typeof a === "number" ? a : copyArray(a)));
}

/**
 * Runs `f` in the interpreter and the compiled `m` on copies of `args`; compares every array
 * argument afterwards: exactly, or within `rtol` relative (+ `rtol` absolute) for floats.
 */
export function expectSameAsInterp(f: PrimFunc, m: CModule, args: Arg[], rtol = 0, name = "main"): { c: Arg[]; ref: Arg[] } {
  const ref = clone(args);
  const c = clone(args);
  runPrimFunc(f, ref);
  m.call(name, c);
  compareArgs(c, ref, rtol);
  return { c, ref };
}

export function compareArgs(c: Arg[], ref: Arg[], rtol = 0): void {
  for (let i = 0; i < ref.length; i++) {
    const r = ref[i]!, x = c[i]!;
    if (typeof r === "number") continue;
    const xd = (x as HostArray).data, rd = r.data;
    if (rtol === 0) {
      expect(Array.from(xd as ArrayLike<number>), `argument ${i}`).toEqual(Array.from(rd as ArrayLike<number>));
      continue;
    }
    for (let k = 0; k < rd.length; k++) {
      const a = Number(xd[k]), b = Number(rd[k]);
      if (Number.isNaN(b)) {
        expect(Number.isNaN(a), `argument ${i}[${k}]: ${a} vs NaN`).toBe(true);
        continue;
      }
      const tol = rtol * (1 + Math.abs(b));
      if (!(Math.abs(a - b) <= tol)) expect(a, `argument ${i}[${k}] (tolerance ${tol})`).toBe(b);
    }
  }
}
