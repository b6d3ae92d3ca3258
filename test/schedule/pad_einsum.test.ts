import { describe, expect, it } from "vitest";
import { parsePrimFunc } from "../../src/tir/script/index.js";
import { Schedule } from "../../src/schedule/index.js";
import { allocNames, expectIR, expectRejected, expectReplay, expectSameResults, mainOf } from "./cache_layout_helpers.js";

const matmul = (m: number, n: number) => `
@T.prim_func
def main(A: T.Buffer((${m}, ${n}), "float32"), B: T.Buffer((${n}, ${n}), "float32"), C: T.Buffer((${m}, ${n}), "float32")):
    A_shared = T.alloc_buffer((${m}, ${n}), scope="shared")
    B_shared = T.alloc_buffer((${n}, ${n}), scope="shared")
    C_shared = T.alloc_buffer((${m}, ${n}), scope="shared")
    for i0, i1 in T.grid(${m}, ${n}):
        with T.block("A"):
            i, j = T.axis.remap("SS", [i0, i1])
            A_shared[i, j] = A[i, j]
    for i0, i1 in T.grid(${n}, ${n}):
        with T.block("B"):
            i, j = T.axis.remap("SS", [i0, i1])
            B_shared[i, j] = B[i, j]
    for i0, i1, i2 in T.grid(${m}, ${n}, ${n}):
        with T.block("C_shared"):
            i, j, k = T.axis.remap("SSR", [i0, i1, i2])
            with T.init():
                C_shared[i, j] = T.float32(0)
            C_shared[i, j] = C_shared[i, j] + A_shared[i, k] * B_shared[k, j]
    for i0, i1 in T.grid(${m}, ${n}):
        with T.block("C"):
            i, j = T.axis.remap("SS", [i0, i1])
            C[i, j] = C_shared[i, j]
`;

// TVM's test_tir_schedule_pad_einsum expected result for pad_einsum(C_shared, [32, 32, 32]).
const matmulPadded = `
@T.prim_func
def main(A: T.Buffer((128, 127), "float32"), B: T.Buffer((127, 127), "float32"), C: T.Buffer((128, 127), "float32")):
    A_shared = T.alloc_buffer((128, 127), scope="shared")
    B_shared = T.alloc_buffer((127, 127), scope="shared")
    C_shared = T.alloc_buffer((128, 127), scope="shared")
    A_shared_pad = T.alloc_buffer((128, 128), scope="shared")
    B_shared_pad = T.alloc_buffer((128, 128), scope="shared")
    C_shared_pad = T.alloc_buffer((128, 128), scope="shared")
    for i0, i1 in T.grid(128, 127):
        with T.block("A"):
            i, j = T.axis.remap("SS", [i0, i1])
            A_shared[i, j] = A[i, j]
    for i0, i1 in T.grid(127, 127):
        with T.block("B"):
            i, j = T.axis.remap("SS", [i0, i1])
            B_shared[i, j] = B[i, j]
    for i0, i1 in T.grid(128, 128):
        with T.block("A_shared_pad"):
            v0, v1 = T.axis.remap("SS", [i0, i1])
            A_shared_pad[v0, v1] = T.if_then_else(v1 < 127, A_shared[v0, v1], T.float32(0))
    for i0, i1 in T.grid(128, 128):
        with T.block("B_shared_pad"):
            v0, v1 = T.axis.remap("SS", [i0, i1])
            B_shared_pad[v0, v1] = T.if_then_else(v0 < 127 and v1 < 127, B_shared[v0, v1], T.float32(0))
    for i0, i1, i2 in T.grid(128, 128, 128):
        with T.block("C_shared"):
            i, j, k = T.axis.remap("SSR", [i0, i1, i2])
            T.reads(A_shared_pad[i, k], B_shared_pad[k, j])
            T.writes(C_shared_pad[i, j])
            with T.init():
                C_shared_pad[i, j] = T.float32(0)
            C_shared_pad[i, j] = C_shared_pad[i, j] + A_shared_pad[i, k] * B_shared_pad[k, j]
    for i0, i1 in T.grid(128, 127):
        with T.block("C_shared_pad"):
            v0, v1 = T.axis.remap("SS", [i0, i1])
            C_shared[v0, v1] = C_shared_pad[v0, v1]
    for i0, i1 in T.grid(128, 127):
        with T.block("C"):
            i, j = T.axis.remap("SS", [i0, i1])
            C[i, j] = C_shared[i, j]
`;

const notEinsum = `
@T.prim_func
def main(A: T.Buffer((20,), "float32"), B: T.Buffer((10,), "float32")):
    for i in range(10):
        with T.block("B"):
            vi = T.axis.spatial(10, i)
            B[vi] = A[vi * 2]
`;

describe("pad_einsum", () => {
  it("pads a matmul to multiples of 32 (TVM's test)", () => {
    const sch = new Schedule(parsePrimFunc(matmul(128, 127)));
    const c = sch.getBlock("C_shared");
    sch.padEinsum(c, [32, 32, 32]);
    expectIR(sch, matmulPadded);
    expect(allocNames(sch).slice(3)).toEqual(["A_shared_pad:shared", "B_shared_pad:shared", "C_shared_pad:shared"]);
    expect(sch.get(c).iterVars.map((iv) => String(iv.dom.extent))).toEqual(["128", "128", "128"]);
    expect(sch.trace.toJSONString()).toContain('["PadEinsum",["b0"],[[32,32,32]],[]]');
    expect(sch.trace.toTypeScript()).toContain("sch.padEinsum(b0, [32,32,32]);");
  });

  it("keeps the results of a small padded matmul, and replays", () => {
    const orig = parsePrimFunc(matmul(20, 13));
    const sch = new Schedule(orig);
    sch.padEinsum(sch.getBlock("C_shared"), [8, 16, 4]);
    expect(allocNames(sch).slice(3)).toEqual(["A_shared_pad:shared", "B_shared_pad:shared", "C_shared_pad:shared"]);
    expectSameResults(orig, mainOf(sch));
    expectReplay(sch, orig);
  });

  it("leaves iters that are already multiples alone", () => {
    const orig = parsePrimFunc(matmul(16, 13));
    const sch = new Schedule(orig);
    sch.padEinsum(sch.getBlock("C_shared"), [16, 1, 1]);
    expectIR(sch, orig);
    expect(allocNames(sch).length).toBe(3);
  });

  it("rejects a padding list of the wrong length or with non-positive entries", () => {
    const sch = new Schedule(parsePrimFunc(matmul(16, 13)));
    const c = sch.getBlock("C_shared");
    expectRejected(sch, () => sch.padEinsum(c, [8, 8]), 'pad_einsum: the padding of block "C_shared" must be a list of 3 positive integers (one per iter var), got [8,8]');
    expectRejected(sch, () => sch.padEinsum(c, [8, 0, 8]), "must be a list of 3 positive integers");
  });

  it("rejects a block whose accesses are not single points at iter vars", () => {
    const sch = new Schedule(parsePrimFunc(notEinsum));
    const b = sch.getBlock("B");
    expectRejected(sch, () => sch.padEinsum(b, [4]), 'pad_einsum: block "B" is not an Einsum computation: its access to A is not a single point at iter vars');
  });
});
