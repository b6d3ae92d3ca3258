/**
 * Helpers for the block-lowering pass tests (LowerInitBlock, PlanAndUpdateBufferAllocationLocation,
 * ConvertBlocksToOpaque, CompactBufferAllocation, LowerMatchBuffer) and the pipeline test:
 * before/after TVMScript comparison and "same outputs on the interpreter" checks, plus the
 * workloads every pass is run on (matmul, softmax, a conv2d and a scheduled matmul).
 */
import { expect } from "vitest";
import { IntImm, type Var } from "../../../src/ir/expr.js";
import { IRModule } from "../../../src/ir/module.js";
import { structuralEqual } from "../../../src/ir/structural.js";
import type { PrimFunc } from "../../../src/tir/function.js";
import { Rng, copyArray, randomArray, runPrimFunc, toArray, type HostArray } from "../../../src/tir/interp/index.js";
import { parsePrimFunc, printScript } from "../../../src/tir/script/index.js";
import type { Pass } from "../../../src/tir/transform/pass.js";
import { createPrimFunc, placeholder, topi } from "../../../src/te/index.js";
import { Schedule } from "../../../src/schedule/index.js";

/** Applies a pass (or a list of passes) to a single function. */
export function applyPass(pass: Pass | readonly Pass[], f: PrimFunc): PrimFunc {
  let mod = IRModule.fromFunction(f, "main");
  for (const p of Array.isArray(pass) ? pass : [pass as Pass]) mod = p(mod);
  return mod.get("main") as PrimFunc;
}

/** `got` equals the function parsed from `expected` (both printed on a mismatch). */
export function expectFuncEqual(got: PrimFunc, expected: string | PrimFunc): void {
  const want = typeof expected === "string" ? parsePrimFunc(expected) : expected;
  if (!structuralEqual(got, want)) {
    expect(printScript(got)).toBe(printScript(want));
    expect.fail("structurally different functions that print the same");
  }
}

/** Runs both functions on the same seeded random inputs; every buffer argument must end equal. */
export function expectSameOutputs(before: PrimFunc, after: PrimFunc, seed = 7, scalars: Record<string, number> = {}): void {
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
      const same = Number.isNaN(x[k]!) ? Number.isNaN(y[k]!) : Math.abs(x[k]! - y[k]!) <= 1e-5 * Math.max(1, Math.abs(x[k]!));
      if (!same) expect.fail(`output ${before.params[i]!.name}[${k}] differs: ${x[k]} before, ${y[k]} after`);
    }
  });
}

export const matmulText = (n: number) => `
@T.prim_func
def main(A: T.Buffer((${n}, ${n}), "float32"), B: T.Buffer((${n}, ${n}), "float32"), C: T.Buffer((${n}, ${n}), "float32")):
    T.func_attr({"tir.noalias": True})
    for i, j, k in T.grid(${n}, ${n}, ${n}):
        with T.block("C"):
            vi, vj, vk = T.axis.remap("SSR", [i, j, k])
            with T.init():
                C[vi, vj] = T.float32(0)
            C[vi, vj] = C[vi, vj] + A[vi, vk] * B[vk, vj]
`;

export const softmaxText = `
@T.prim_func
def main(A: T.Buffer((4, 8), "float32"), B: T.Buffer((4, 8), "float32")):
    T.func_attr({"tir.noalias": True})
    A_max = T.alloc_buffer((4,))
    A_exp = T.alloc_buffer((4, 8))
    A_sum = T.alloc_buffer((4,))
    for i, k in T.grid(4, 8):
        with T.block("A_max"):
            vi, vk = T.axis.remap("SR", [i, k])
            with T.init():
                A_max[vi] = T.min_value("float32")
            A_max[vi] = T.max(A_max[vi], A[vi, vk])
    for i, j in T.grid(4, 8):
        with T.block("A_exp"):
            vi, vj = T.axis.remap("SS", [i, j])
            A_exp[vi, vj] = T.exp(A[vi, vj] - A_max[vi])
    for i, k in T.grid(4, 8):
        with T.block("A_sum"):
            vi, vk = T.axis.remap("SR", [i, k])
            with T.init():
                A_sum[vi] = T.float32(0)
            A_sum[vi] = A_sum[vi] + A_exp[vi, vk]
    for i, j in T.grid(4, 8):
        with T.block("B"):
            vi, vj = T.axis.remap("SS", [i, j])
            B[vi, vj] = A_exp[vi, vj] / A_sum[vi]
`;

export const matmul = (n = 16): PrimFunc => parsePrimFunc(matmulText(n));
export const softmax = (): PrimFunc => parsePrimFunc(softmaxText);

/** A padded 3x3 conv2d from the operator library (a pad stage plus a 3-reduction-axis block). */
export function conv2d(): PrimFunc {
  const data = placeholder([1, 2, 6, 6], "float32", "data");
  const weight = placeholder([3, 2, 3, 3], "float32", "weight");
  const out = topi.conv2d(data, weight, { padding: 1 });
  return createPrimFunc([data, weight, out]);
}

/** The matmul tiled (one non-divisible split), cached (cache_write at a tile) and decomposed. */
export function scheduledMatmul(): PrimFunc {
  const sch = new Schedule(matmul(16));
  const c = sch.getBlock("C");
  const [i, j, k] = sch.getLoops(c);
  const [i0, i1] = sch.split(i!, [undefined, 4]);
  const [j0, j1] = sch.split(j!, [undefined, 8]);
  const [k0, k1] = sch.split(k!, [3, 6]);
  sch.reorder(i0!, j0!, k0!, i1!, k1!, j1!);
  const cw = sch.cacheWrite(c, 0, "global");
  sch.reverseComputeAt(cw, j0!);
  sch.vectorize(j1!);
  sch.decomposeReduction(c, k0!);
  return sch.mod.get("main") as PrimFunc;
}

/** The matmul tensorized with the 4x8 FMA micro-kernel (match_buffers with symbolic strides). */
export function tensorizedMatmul(): PrimFunc {
  const sch = new Schedule(matmul(16));
  const c = sch.getBlock("C");
  const [i, j, k] = sch.getLoops(c);
  const [i0, i1] = sch.split(i!, [undefined, 4]);
  const [j0, j1] = sch.split(j!, [undefined, 8]);
  const [k0, k1] = sch.split(k!, [undefined, 4]);
  sch.reorder(i0!, j0!, k0!, i1!, j1!, k1!);
  const cw = sch.cacheWrite(c, 0, "global");
  sch.reverseComputeAt(cw, j0!);
  sch.decomposeReduction(c, k0!);
  sch.tensorize(i1!, "weft_fma_f32_4x8");
  return sch.mod.get("main") as PrimFunc;
}

/** A scheduled softmax: the row max is computed at its consumer's row loop. */
export function scheduledSoftmax(): PrimFunc {
  const sch = new Schedule(softmax());
  const [bi] = sch.getLoops(sch.getBlock("B"));
  sch.computeAt(sch.getBlock("A_sum"), bi!);
  sch.computeAt(sch.getBlock("A_exp"), bi!);
  sch.computeAt(sch.getBlock("A_max"), bi!);
  return sch.mod.get("main") as PrimFunc;
}

export const WORKLOADS: readonly [string, () => PrimFunc][] = [
  ["matmul", () => matmul(16)],
  ["softmax", softmax],
  ["conv2d", conv2d],
  ["scheduled matmul", scheduledMatmul],
  ["scheduled softmax", scheduledSoftmax],
  ["tensorized matmul", tensorizedMatmul],
];
