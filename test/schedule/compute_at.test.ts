import { describe, expect, it } from "vitest";
import { Schedule, Trace } from "../../src/schedule/index.js";
import { IntImm } from "../../src/ir/expr.js";
import type { PrimFunc } from "../../src/tir/function.js";
import { twoElementwise, withUnrelated } from "./compute_fixtures.js";
import { checkSchedule, expectIR, expectSameResults, parsePrimFunc } from "./compute_test_utils.js";

// Expected results are written as TVM prints them after the same schedule.

const computeAtConsumerI = (preserve: boolean) => `
@T.prim_func
def main(A: T.Buffer((128, 128), "float32"), C: T.Buffer((128, 128), "float32")):
    B = T.alloc_buffer((128, 128))
    for i in range(128):
        ${
          preserve
            ? `for ax0, ax1 in T.grid(1, 128):
            with T.block("B"):
                vi = T.axis.spatial(128, i + ax0)
                vj = T.axis.spatial(128, ax1)`
            : `for ax0 in range(128):
            with T.block("B"):
                vi, vj = T.axis.remap("SS", [i, ax0])`
        }
                B[vi, vj] = A[vi, vj] * T.float32(2)
        for j in range(128):
            with T.block("C"):
                vi, vj = T.axis.remap("SS", [i, j])
                C[vi, vj] = B[vi, vj] + T.float32(1)
`;

// A padding producer and a 3-wide window consumer, tiled by 8: each tile needs a halo of 2.
const pad1d = `
@T.prim_func
def main(A: T.Buffer((64,), "float32"), C: T.Buffer((64,), "float32")):
    P = T.alloc_buffer((66,))
    for i in range(66):
        with T.block("P"):
            vi = T.axis.spatial(66, i)
            P[vi] = T.if_then_else(1 <= vi and vi < 65, A[vi - 1], T.float32(0))
    for i_0, i_1 in T.grid(8, 8):
        with T.block("C"):
            vi = T.axis.spatial(64, i_0 * 8 + i_1)
            C[vi] = P[vi] + P[vi + 1] + P[vi + 2]
`;

// A padded 3x3 convolution (a reduction consumer) with its rows split by 4.
const conv2d = `
@T.prim_func
def main(A: T.Buffer((8, 8), "float32"), W: T.Buffer((3, 3), "float32"), C: T.Buffer((8, 8), "float32")):
    P = T.alloc_buffer((10, 10))
    for i, j in T.grid(10, 10):
        with T.block("P"):
            vi, vj = T.axis.remap("SS", [i, j])
            P[vi, vj] = T.if_then_else(1 <= vi and vi < 9 and 1 <= vj and vj < 9, A[vi - 1, vj - 1], T.float32(0))
    for i_0, i_1, j, rx, ry in T.grid(2, 4, 8, 3, 3):
        with T.block("C"):
            vi = T.axis.spatial(8, i_0 * 4 + i_1)
            vj, vrx, vry = T.axis.remap("SRR", [j, rx, ry])
            with T.init():
                C[vi, vj] = T.float32(0)
            C[vi, vj] = C[vi, vj] + P[vi + vrx, vj + vry] * W[vrx, vry]
`;

// A consumer split by a non-dividing factor (what split(i, [None, 32]) on 100 gives).
const nonDivisible = `
@T.prim_func
def main(A: T.Buffer((100,), "float32"), C: T.Buffer((100,), "float32")):
    B = T.alloc_buffer((100,))
    for i in range(100):
        with T.block("B"):
            vi = T.axis.spatial(100, i)
            B[vi] = A[vi] * T.float32(2)
    for i_0, i_1 in T.grid(4, 32):
        with T.block("C"):
            vi = T.axis.spatial(100, i_0 * 32 + i_1)
            T.where(i_0 * 32 + i_1 < 100)
            C[vi] = B[vi] + T.float32(1)
`;

// A tiled matmul into a cache buffer plus its write-back block, as cache_write(C, 0, "global") leaves them.
const cachedMatmul = `
@T.prim_func
def main(A: T.Buffer((64, 64), "float32"), B: T.Buffer((64, 64), "float32"), C: T.Buffer((64, 64), "float32")):
    C_global = T.alloc_buffer((64, 64))
    for i_0, j_0, i_1, j_1, k in T.grid(8, 8, 8, 8, 64):
        with T.block("C"):
            vi = T.axis.spatial(64, i_0 * 8 + i_1)
            vj = T.axis.spatial(64, j_0 * 8 + j_1)
            vk = T.axis.reduce(64, k)
            with T.init():
                C_global[vi, vj] = T.float32(0)
            C_global[vi, vj] = C_global[vi, vj] + A[vi, vk] * B[vk, vj]
    for ax0, ax1 in T.grid(64, 64):
        with T.block("C_global"):
            v0, v1 = T.axis.remap("SS", [ax0, ax1])
            C[v0, v1] = C_global[v0, v1]
`;

// A matmul whose result feeds a relu.
const matmulRelu = `
@T.prim_func
def main(A: T.Buffer((16, 16), "float32"), B: T.Buffer((16, 16), "float32"), D: T.Buffer((16, 16), "float32")):
    C = T.alloc_buffer((16, 16))
    for i, j, k in T.grid(16, 16, 16):
        with T.block("C"):
            vi, vj, vk = T.axis.remap("SSR", [i, j, k])
            with T.init():
                C[vi, vj] = T.float32(0)
            C[vi, vj] = C[vi, vj] + A[vi, vk] * B[vk, vj]
    for i, j in T.grid(16, 16):
        with T.block("D"):
            vi, vj = T.axis.remap("SS", [i, j])
            D[vi, vj] = T.max(C[vi, vj], T.float32(0))
`;

describe("computeAt", () => {
  it("moves an elementwise producer under its consumer's outer loop", () => {
    const sch = checkSchedule(twoElementwise, computeAtConsumerI(false), (s) => {
      s.computeAt(s.getBlock("B"), s.getLoops(s.getBlock("C"))[0]!);
    });
    expect(sch.trace.toJSON()[0][3]).toEqual(["ComputeAt", ["b0", "l2"], [0, -1], []]);
    expect(sch.trace.toTypeScript()).toContain("sch.computeAt(b0, l2);");
  });

  it("keeps the unit loop with preserveUnitLoops (and accepts the flag positionally)", () => {
    const sch = checkSchedule(twoElementwise, computeAtConsumerI(true), (s) => {
      s.computeAt(s.getBlock("B"), s.getLoops(s.getBlock("C"))[0]!, true);
    });
    expect(sch.trace.toJSON()[0][3]).toEqual(["ComputeAt", ["b0", "l2"], [1, -1], []]);
    expect(sch.trace.toTypeScript()).toContain("sch.computeAt(b0, l2, { preserveUnitLoops: true });");
  });

  it("replays a trace as TVM writes it", () => {
    const tvm =
      '[[["GetBlock",[],["B","main"],["b0"]],["GetBlock",[],["C","main"],["b1"]],["GetLoops",["b1"],[],["l2","l3"]],' +
      '["ComputeAt",["b0","l2"],[1,-1],[]]],[]]';
    const sch = new Schedule(parsePrimFunc(twoElementwise));
    Trace.fromJSON(tvm).applyTo(sch);
    expectIR(sch, computeAtConsumerI(true));
    expect(sch.trace.toJSONString()).toBe(tvm);
  });

  it("computes a padding producer per tile of a windowed consumer, with the halo", () => {
    checkSchedule(
      pad1d,
      `
@T.prim_func
def main(A: T.Buffer((64,), "float32"), C: T.Buffer((64,), "float32")):
    P = T.alloc_buffer((66,))
    for i_0 in range(8):
        for ax0 in range(10):
            with T.block("P"):
                vi = T.axis.spatial(66, i_0 * 8 + ax0)
                P[vi] = T.if_then_else(1 <= vi and vi < 65, A[vi - 1], T.float32(0))
        for i_1 in range(8):
            with T.block("C"):
                vi = T.axis.spatial(64, i_0 * 8 + i_1)
                C[vi] = P[vi] + P[vi + 1] + P[vi + 2]
`,
      (s) => s.computeAt(s.getBlock("P"), s.getLoops(s.getBlock("C"))[0]!),
    );
  });

  it("computes a padded conv input per row tile (2-D halo, reduction consumer)", () => {
    checkSchedule(
      conv2d,
      `
@T.prim_func
def main(A: T.Buffer((8, 8), "float32"), W: T.Buffer((3, 3), "float32"), C: T.Buffer((8, 8), "float32")):
    P = T.alloc_buffer((10, 10))
    for i_0 in range(2):
        for ax0, ax1 in T.grid(6, 10):
            with T.block("P"):
                vi = T.axis.spatial(10, i_0 * 4 + ax0)
                vj = T.axis.spatial(10, ax1)
                P[vi, vj] = T.if_then_else(1 <= vi and vi < 9 and 1 <= vj and vj < 9, A[vi - 1, vj - 1], T.float32(0))
        for i_1, j, rx, ry in T.grid(4, 8, 3, 3):
            with T.block("C"):
                vi = T.axis.spatial(8, i_0 * 4 + i_1)
                vj, vrx, vry = T.axis.remap("SRR", [j, rx, ry])
                with T.init():
                    C[vi, vj] = T.float32(0)
                C[vi, vj] = C[vi, vj] + P[vi + vrx, vj + vry] * W[vrx, vry]
`,
      (s) => s.computeAt(s.getBlock("P"), s.getLoops(s.getBlock("C"))[0]!),
    );
  });

  it("computes a 3x3 window per output pixel when moved under the innermost spatial loop", () => {
    checkSchedule(
      conv2d,
      `
@T.prim_func
def main(A: T.Buffer((8, 8), "float32"), W: T.Buffer((3, 3), "float32"), C: T.Buffer((8, 8), "float32")):
    P = T.alloc_buffer((10, 10))
    for i_0, i_1, j in T.grid(2, 4, 8):
        for ax0, ax1 in T.grid(3, 3):
            with T.block("P"):
                vi = T.axis.spatial(10, i_0 * 4 + i_1 + ax0)
                vj = T.axis.spatial(10, j + ax1)
                P[vi, vj] = T.if_then_else(1 <= vi and vi < 9 and 1 <= vj and vj < 9, A[vi - 1, vj - 1], T.float32(0))
        for rx, ry in T.grid(3, 3):
            with T.block("C"):
                vi = T.axis.spatial(8, i_0 * 4 + i_1)
                vj, vrx, vry = T.axis.remap("SRR", [j, rx, ry])
                with T.init():
                    C[vi, vj] = T.float32(0)
                C[vi, vj] = C[vi, vj] + P[vi + vrx, vj + vry] * W[vrx, vry]
`,
      (s) => s.computeAt(s.getBlock("P"), s.getLoops(s.getBlock("C"))[2]!),
    );
  });

  it("guards the last tile of a non-divisible consumer with a predicate", () => {
    checkSchedule(
      nonDivisible,
      `
@T.prim_func
def main(A: T.Buffer((100,), "float32"), C: T.Buffer((100,), "float32")):
    B = T.alloc_buffer((100,))
    for i_0 in range(4):
        for ax0 in range(32):
            with T.block("B"):
                vi = T.axis.spatial(100, i_0 * 32 + ax0)
                T.where(i_0 * 32 + ax0 < 100)
                B[vi] = A[vi] * T.float32(2)
        for i_1 in range(32):
            with T.block("C"):
                vi = T.axis.spatial(100, i_0 * 32 + i_1)
                T.where(i_0 * 32 + i_1 < 100)
                C[vi] = B[vi] + T.float32(1)
`,
      (s) => s.computeAt(s.getBlock("B"), s.getLoops(s.getBlock("C"))[0]!),
    );
  });

  it("moves a reduction block, iterating its reduction var over the whole domain", () => {
    checkSchedule(
      matmulRelu,
      `
@T.prim_func
def main(A: T.Buffer((16, 16), "float32"), B: T.Buffer((16, 16), "float32"), D: T.Buffer((16, 16), "float32")):
    C = T.alloc_buffer((16, 16))
    for i in range(16):
        for ax0, ax1 in T.grid(16, 16):
            with T.block("C"):
                vi, vj, vk = T.axis.remap("SSR", [i, ax0, ax1])
                with T.init():
                    C[vi, vj] = T.float32(0)
                C[vi, vj] = C[vi, vj] + A[vi, vk] * B[vk, vj]
        for j in range(16):
            with T.block("D"):
                vi, vj = T.axis.remap("SS", [i, j])
                D[vi, vj] = T.max(C[vi, vj], T.float32(0))
`,
      (s) => s.computeAt(s.getBlock("C"), s.getLoops(s.getBlock("D"))[0]!),
    );
  });

  it("moves a block again, deeper, from under a loop it shares with its consumer", () => {
    checkSchedule(
      twoElementwise,
      `
@T.prim_func
def main(A: T.Buffer((128, 128), "float32"), C: T.Buffer((128, 128), "float32")):
    B = T.alloc_buffer((128, 128))
    for i, j in T.grid(128, 128):
        with T.block("B"):
            vi, vj = T.axis.remap("SS", [i, j])
            B[vi, vj] = A[vi, vj] * T.float32(2)
        with T.block("C"):
            vi, vj = T.axis.remap("SS", [i, j])
            C[vi, vj] = B[vi, vj] + T.float32(1)
`,
      (s) => {
        const b = s.getBlock("B");
        const c = s.getBlock("C");
        s.computeAt(b, s.getLoops(c)[0]!);
        s.computeAt(b, s.getLoops(c)[1]!);
      },
    );
  });

  it("covers the union of what several consumers under the loop read", () => {
    checkSchedule(
      `
@T.prim_func
def main(A: T.Buffer((16, 16), "float32"), C: T.Buffer((16, 8), "float32"), D: T.Buffer((16, 8), "float32")):
    B = T.alloc_buffer((16, 16))
    for i, j in T.grid(16, 16):
        with T.block("B"):
            vi, vj = T.axis.remap("SS", [i, j])
            B[vi, vj] = A[vi, vj] + T.float32(1)
    for i in range(16):
        for j in range(8):
            with T.block("C"):
                vi, vj = T.axis.remap("SS", [i, j])
                C[vi, vj] = B[vi, vj] * T.float32(2)
        for j in range(8):
            with T.block("D"):
                vi, vj = T.axis.remap("SS", [i, j])
                D[vi, vj] = B[vi, vj + 8] * T.float32(3)
`,
      `
@T.prim_func
def main(A: T.Buffer((16, 16), "float32"), C: T.Buffer((16, 8), "float32"), D: T.Buffer((16, 8), "float32")):
    B = T.alloc_buffer((16, 16))
    for i in range(16):
        for ax0 in range(16):
            with T.block("B"):
                vi, vj = T.axis.remap("SS", [i, ax0])
                B[vi, vj] = A[vi, vj] + T.float32(1)
        for j in range(8):
            with T.block("C"):
                vi, vj = T.axis.remap("SS", [i, j])
                C[vi, vj] = B[vi, vj] * T.float32(2)
        for j in range(8):
            with T.block("D"):
                vi, vj = T.axis.remap("SS", [i, j])
                D[vi, vj] = B[vi, vj + 8] * T.float32(3)
`,
      (s) => s.computeAt(s.getBlock("B"), s.getLoops(s.getBlock("C"))[0]!),
    );
  });

  it("relaxes the thread loops above the target for a shared-memory producer", () => {
    checkSchedule(
      `
@T.prim_func
def main(A: T.Buffer((128,), "float32"), C: T.Buffer((128,), "float32")):
    A_shared = T.alloc_buffer((128,), scope="shared")
    for i in range(128):
        with T.block("A_shared"):
            v0 = T.axis.spatial(128, i)
            A_shared[v0] = A[v0]
    for bx in T.thread_binding(4, thread="blockIdx.x"):
        for tx in T.thread_binding(8, thread="threadIdx.x"):
            for k in range(4):
                with T.block("C"):
                    vi = T.axis.spatial(128, bx * 32 + tx * 4 + k)
                    C[vi] = A_shared[vi] * T.float32(2)
`,
      `
@T.prim_func
def main(A: T.Buffer((128,), "float32"), C: T.Buffer((128,), "float32")):
    A_shared = T.alloc_buffer((128,), scope="shared")
    for bx in T.thread_binding(4, thread="blockIdx.x"):
        for tx in T.thread_binding(8, thread="threadIdx.x"):
            for ax0 in range(32):
                with T.block("A_shared"):
                    v0 = T.axis.spatial(128, bx * 32 + ax0)
                    A_shared[v0] = A[v0]
            for k in range(4):
                with T.block("C"):
                    vi = T.axis.spatial(128, bx * 32 + tx * 4 + k)
                    C[vi] = A_shared[vi] * T.float32(2)
`,
      (s) => s.computeAt(s.getBlock("A_shared"), s.getLoops(s.getBlock("C"))[1]!),
    );
  });

  it("handles a symbolic extent", () => {
    checkSchedule(
      `
@T.prim_func
def main(a: T.handle, c: T.handle, n: T.int32):
    A = T.match_buffer(a, (n, 16))
    C = T.match_buffer(c, (n, 16))
    B = T.alloc_buffer((n, 16))
    for i, j in T.grid(n, 16):
        with T.block("B"):
            vi, vj = T.axis.remap("SS", [i, j])
            B[vi, vj] = A[vi, vj] * T.float32(2)
    for i, j in T.grid(n, 16):
        with T.block("C"):
            vi, vj = T.axis.remap("SS", [i, j])
            C[vi, vj] = B[vi, vj] + T.float32(1)
`,
      `
@T.prim_func
def main(a: T.handle, c: T.handle, n: T.int32):
    A = T.match_buffer(a, (n, 16))
    C = T.match_buffer(c, (n, 16))
    B = T.alloc_buffer((n, 16))
    for i in range(n):
        for ax0 in range(16):
            with T.block("B"):
                vi, vj = T.axis.remap("SS", [i, ax0])
                B[vi, vj] = A[vi, vj] * T.float32(2)
        for j in range(16):
            with T.block("C"):
                vi, vj = T.axis.remap("SS", [i, j])
                C[vi, vj] = B[vi, vj] + T.float32(1)
`,
      (s) => s.computeAt(s.getBlock("B"), s.getLoops(s.getBlock("C"))[0]!),
      { n: 5 },
    );
  });

  it("places the block by index between the last producer and the first consumer", () => {
    const nestB = `for ax0 in range(16):
            with T.block("B"):
                vi, vj = T.axis.remap("SS", [i, ax0])
                B[vi, vj] = A[vi, vj] * T.float32(2)
        `;
    const expected = (first: boolean) => `
@T.prim_func
def main(A: T.Buffer((16, 16), "float32"), C: T.Buffer((16, 16), "float32"), U: T.Buffer((16, 16), "float32")):
    B = T.alloc_buffer((16, 16))
    for i in range(16):
        ${first ? nestB : ""}for j in range(16):
            with T.block("U"):
                vi, vj = T.axis.remap("SS", [i, j])
                U[vi, vj] = A[vi, vj] * T.float32(5)
        ${first ? "" : nestB}for j in range(16):
            with T.block("C"):
                vi, vj = T.axis.remap("SS", [i, j])
                C[vi, vj] = B[vi, vj] - T.float32(1)
`;
    const at = (s: Schedule, index: number) => s.computeAt(s.getBlock("B"), s.getLoops(s.getBlock("C"))[0]!, { index });
    checkSchedule(withUnrelated, expected(false), (s) => at(s, -1));
    checkSchedule(withUnrelated, expected(true), (s) => at(s, -2));
    checkSchedule(withUnrelated, expected(true), (s) => at(s, 0));
    const sch = checkSchedule(withUnrelated, expected(false), (s) => at(s, 1));
    expect(sch.trace.toJSON()[0][3]).toEqual(["ComputeAt", ["b0", "l2"], [0, 1], []]);
    expect(sch.trace.toTypeScript()).toContain("sch.computeAt(b0, l2, { index: 1 });");
  });

  it("leaves the block alone for a sampled root location and inlines it for an inline location", () => {
    const orig = parsePrimFunc(twoElementwise);
    const atRoot = new Schedule(orig);
    const b = atRoot.getBlock("B");
    atRoot.computeAt(b, atRoot.sampleComputeLocation(b, -1));
    expect(atRoot.mod.get("main")).toBe(orig);
    expect(atRoot.trace.toJSON()[0].map((x) => x[0])).toEqual(["GetBlock", "SampleComputeLocation", "ComputeAt"]);
    checkSchedule(
      twoElementwise,
      `
@T.prim_func
def main(A: T.Buffer((128, 128), "float32"), C: T.Buffer((128, 128), "float32")):
    for i, j in T.grid(128, 128):
        with T.block("C"):
            vi, vj = T.axis.remap("SS", [i, j])
            C[vi, vj] = A[vi, vj] * T.float32(2) + T.float32(1)
`,
      (s) => {
        const blk = s.getBlock("B");
        s.computeAt(blk, s.sampleComputeLocation(blk, -2));
      },
    );
  });
});

describe("reverseComputeAt", () => {
  it("moves a cache write-back under the tile loop of the matmul (cache_write + reverse_compute_at)", () => {
    const sch = checkSchedule(
      cachedMatmul,
      `
@T.prim_func
def main(A: T.Buffer((64, 64), "float32"), B: T.Buffer((64, 64), "float32"), C: T.Buffer((64, 64), "float32")):
    C_global = T.alloc_buffer((64, 64))
    for i_0, j_0 in T.grid(8, 8):
        for i_1, j_1, k in T.grid(8, 8, 64):
            with T.block("C"):
                vi = T.axis.spatial(64, i_0 * 8 + i_1)
                vj = T.axis.spatial(64, j_0 * 8 + j_1)
                vk = T.axis.reduce(64, k)
                with T.init():
                    C_global[vi, vj] = T.float32(0)
                C_global[vi, vj] = C_global[vi, vj] + A[vi, vk] * B[vk, vj]
        for ax0, ax1 in T.grid(8, 8):
            with T.block("C_global"):
                v0 = T.axis.spatial(64, i_0 * 8 + ax0)
                v1 = T.axis.spatial(64, j_0 * 8 + ax1)
                C[v0, v1] = C_global[v0, v1]
`,
      (s) => s.reverseComputeAt(s.getBlock("C_global"), s.getLoops(s.getBlock("C"))[1]!),
    );
    expect(sch.trace.toJSON()[0][3]).toEqual(["ReverseComputeAt", ["b0", "l3"], [0, -1], []]);
    expect(sch.trace.toTypeScript()).toContain("sch.reverseComputeAt(b0, l3);");
  });

  it("moves a consumer under its producer's outer loop", () => {
    checkSchedule(
      twoElementwise,
      `
@T.prim_func
def main(A: T.Buffer((128, 128), "float32"), C: T.Buffer((128, 128), "float32")):
    B = T.alloc_buffer((128, 128))
    for i in range(128):
        for j in range(128):
            with T.block("B"):
                vi, vj = T.axis.remap("SS", [i, j])
                B[vi, vj] = A[vi, vj] * T.float32(2)
        for ax0 in range(128):
            with T.block("C"):
                vi, vj = T.axis.remap("SS", [i, ax0])
                C[vi, vj] = B[vi, vj] + T.float32(1)
`,
      (s) => s.reverseComputeAt(s.getBlock("C"), s.getLoops(s.getBlock("B"))[0]!),
    );
  });

  it("keeps the unit loop of a reverse-computed consumer with preserveUnitLoops", () => {
    const sch = checkSchedule(
      twoElementwise,
      `
@T.prim_func
def main(A: T.Buffer((128, 128), "float32"), C: T.Buffer((128, 128), "float32")):
    B = T.alloc_buffer((128, 128))
    for i in range(128):
        for j in range(128):
            with T.block("B"):
                vi, vj = T.axis.remap("SS", [i, j])
                B[vi, vj] = A[vi, vj] * T.float32(2)
        for ax0, ax1 in T.grid(1, 128):
            with T.block("C"):
                vi = T.axis.spatial(128, i + ax0)
                vj = T.axis.spatial(128, ax1)
                C[vi, vj] = B[vi, vj] + T.float32(1)
`,
      (s) => s.reverseComputeAt(s.getBlock("C"), s.getLoops(s.getBlock("B"))[0]!, { preserveUnitLoops: true }),
    );
    expect(sch.trace.toJSON()[0][3]).toEqual(["ReverseComputeAt", ["b0", "l2"], [1, -1], []]);
  });

  it("works after split and cacheWrite on a real matmul schedule", () => {
    const orig = parsePrimFunc(`
@T.prim_func
def main(A: T.Buffer((32, 32), "float32"), B: T.Buffer((32, 32), "float32"), C: T.Buffer((32, 32), "float32")):
    for i, j, k in T.grid(32, 32, 32):
        with T.block("C"):
            vi, vj, vk = T.axis.remap("SSR", [i, j, k])
            with T.init():
                C[vi, vj] = T.float32(0)
            C[vi, vj] = C[vi, vj] + A[vi, vk] * B[vk, vj]
`);
    const sch = new Schedule(orig);
    const c = sch.getBlock("C");
    const [i, j, k] = sch.getLoops(c);
    const [i0, i1] = sch.split(i!, [undefined, 8]);
    const [j0, j1] = sch.split(j!, [undefined, 8]);
    sch.reorder(i0!, j0!, i1!, j1!, k!);
    const wb = sch.cacheWrite(c, 0, "global");
    sch.reverseComputeAt(wb, j0!);
    const wbLoops = sch.getLoops(wb);
    expect(wbLoops.map((l) => (sch.get(l).extent as IntImm).value)).toEqual([4, 4, 8, 8]);
    expectSameResults(orig, sch.mod.get("main") as PrimFunc);
    const rca = sch.trace.toJSON()[0].find((x) => x[0] === "ReverseComputeAt");
    expect(JSON.stringify(rca)).toMatch(/^\["ReverseComputeAt",\["b\d+","l\d+"\],\[0,-1\],\[\]\]$/);
  });
});
