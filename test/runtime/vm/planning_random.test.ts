/**
 * Memory planning against a reference on random programs: chains and DAGs of elementwise
 * kernels where values are reused at random distances, tuples hold some of them and a reshape
 * view aliases others. A wrong lifetime lets a later tensor overwrite a live one, which shows
 * up as a wrong result.
 */
import { describe, expect, it } from "vitest";
import { build } from "../../../src/relax/pipeline.js";
import { parseRelaxScript } from "../../../src/relax/index.js";
import { NDArray } from "../../../src/runtime/ndarray.js";
import { getBuiltin, registerBuiltin } from "../../../src/runtime/vm/builtins.js";
import { HEADER, KERNELS } from "../../relax/transform/chain.js";

const ADD2 = `
    @T.prim_func
    def add2(A: T.Buffer((T.int64(4),), "float32"), B: T.Buffer((T.int64(4),), "float32"), C: T.Buffer((T.int64(4),), "float32")):
        for i in range(T.int64(4)):
            with T.block("C"):
                vi = T.axis.spatial(T.int64(4), i)
                C[vi] = A[vi] + B[vi]
`;

/** mulberry32: small, deterministic, and its low bits are as random as its high ones. */
function rng(seed: number): (n: number) => number {
  let s = seed >>> 0;
  return (n) => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) / 2 ** 32) * n | 0;
  };
}

const T4 = 'R.Tensor((4,), dtype="float32")';

/** A random program and its reference evaluation on x = [1, 2, 3, 4]. */
function randomProgram(seed: number): { text: string; expected: number[] } {
  const r = rng(seed);
  const lines: string[] = [];
  const vals: number[][] = [[1, 2, 3, 4]];
  const names = ["x"];
  const steps = 6 + r(8);
  for (let i = 0; i < steps; i++) {
    const k = r(4);
    const a = r(names.length);
    const name = `v${i}`;
    if (k === 0) {
      lines.push(`${name} = R.call_tir(cls.add_one, (${names[a]},), out_sinfo=${T4})`);
      vals.push(vals[a]!.map((v) => v + 1));
    } else if (k === 1) {
      lines.push(`${name} = R.call_tir(cls.double, (${names[a]},), out_sinfo=${T4})`);
      vals.push(vals[a]!.map((v) => v * 2));
    } else if (k === 2) {
      const b = r(names.length);
      lines.push(`${name} = R.call_tir(cls.add2, (${names[a]}, ${names[b]}), out_sinfo=${T4})`);
      vals.push(vals[a]!.map((v, j) => v + vals[b]![j]!));
    } else {
      // A view through a 2x2 reshape and back, or a tuple round trip: both alias `a`.
      if (r(2)) {
        lines.push(`${name}_2d = R.reshape(${names[a]}, R.shape([2, 2]))`, `${name} = R.reshape(${name}_2d, R.shape([4]))`);
      } else lines.push(`${name}_t = (${names[a]}, x)`, `${name} = ${name}_t[0]`);
      vals.push([...vals[a]!]);
    }
    names.push(name);
  }
  // Sum two random values so that more than the last one stays live to the end.
  const p = r(names.length), q = r(names.length);
  lines.push(`out = R.call_tir(cls.add2, (${names[p]}, ${names[q]}), out_sinfo=${T4})`);
  const expected = vals[p]!.map((v, j) => v + vals[q]![j]!);
  const body = lines.map((l) => `        ${l}`).join("\n");
  const text = `${HEADER}\n${KERNELS}\n${ADD2}
    @R.function
    def main(x: ${T4}) -> ${T4}:
        cls = Module
${body}
        return out
`;
  return { text, expected };
}

describe("memory planning on random programs", () => {
  it("planned programs compute what the reference computes, and storages are reused", async () => {
    const orig = getBuiltin("vm.builtin.alloc_storage")!;
    const placed = getBuiltin("vm.builtin.alloc_tensor")!;
    let storages = 0, tensors = 0;
    registerBuiltin("vm.builtin.alloc_storage", (...a) => (storages++, orig(...a)));
    registerBuiltin("vm.builtin.alloc_tensor", (...a) => (tensors++, placed(...a)));
    try {
      for (let seed = 1; seed <= 60; seed++) {
        const { text, expected } = randomProgram(seed);
        const { vm } = await build(parseRelaxScript(text), "js");
        const y = vm.invoke("main", NDArray.fromArray([1, 2, 3, 4], [4])) as NDArray;
        expect(y.toArray(), `seed ${seed}:\n${text}`).toEqual(expected);
      }
    } finally {
      registerBuiltin("vm.builtin.alloc_storage", orig);
      registerBuiltin("vm.builtin.alloc_tensor", placed);
    }
    expect(tensors).toBeGreaterThan(storages);
  });
});
