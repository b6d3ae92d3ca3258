import { describe, expect, it } from "vitest";
import { twoElementwiseSmall as twoElementwise } from "./compute_fixtures.js";
import { checkSchedule } from "./compute_test_utils.js";

// Expected results are written as TVM prints them after the same schedule.

const chain = `
@T.prim_func
def main(A: T.Buffer((16, 16), "float32"), D: T.Buffer((16, 16), "float32")):
    B = T.alloc_buffer((16, 16))
    C = T.alloc_buffer((16, 16))
    for i, j in T.grid(16, 16):
        with T.block("B"):
            vi, vj = T.axis.remap("SS", [i, j])
            B[vi, vj] = A[vi, vj] * T.float32(2)
    for i, j in T.grid(16, 16):
        with T.block("C"):
            vi, vj = T.axis.remap("SS", [i, j])
            C[vi, vj] = B[vi, vj] + T.float32(1)
    for i, j in T.grid(16, 16):
        with T.block("D"):
            vi, vj = T.axis.remap("SS", [i, j])
            D[vi, vj] = T.max(C[vi, vj], T.float32(0))
`;

// A matmul into a local buffer, its write-back block "C", and a bias epilogue "D".
const matmulWriteBackBias = `
@T.prim_func
def main(A: T.Buffer((16, 16), "float32"), B: T.Buffer((16, 16), "float32"), bias: T.Buffer((16,), "float32"), D: T.Buffer((16, 16), "float32")):
    C_local = T.alloc_buffer((16, 16), scope="local")
    C = T.alloc_buffer((16, 16))
    for i, j, k in T.grid(16, 16, 16):
        with T.block("C_local"):
            vi, vj, vk = T.axis.remap("SSR", [i, j, k])
            with T.init():
                C_local[vi, vj] = T.float32(0)
            C_local[vi, vj] = C_local[vi, vj] + A[vi, vk] * B[vk, vj]
    for i, j in T.grid(16, 16):
        with T.block("C"):
            vi, vj = T.axis.remap("SS", [i, j])
            C[vi, vj] = C_local[vi, vj]
    for i, j in T.grid(16, 16):
        with T.block("D"):
            vi, vj = T.axis.remap("SS", [i, j])
            D[vi, vj] = C[vi, vj] + bias[vj]
`;

describe("computeInline", () => {
  it("inlines an elementwise chain (relu(add(mul)))", () => {
    const sch = checkSchedule(
      chain,
      `
@T.prim_func
def main(A: T.Buffer((16, 16), "float32"), D: T.Buffer((16, 16), "float32")):
    for i, j in T.grid(16, 16):
        with T.block("D"):
            vi, vj = T.axis.remap("SS", [i, j])
            D[vi, vj] = T.max(A[vi, vj] * T.float32(2) + T.float32(1), T.float32(0))
`,
      (s) => {
        s.computeInline(s.getBlock("B"));
        s.computeInline(s.getBlock("C"));
      },
    );
    expect(sch.trace.toJSON()[0][1]).toEqual(["ComputeInline", ["b0"], [], []]);
    expect(sch.trace.toTypeScript()).toContain("sch.computeInline(b0);");
  });

  it("inlines into several consumers reading at other indices", () => {
    checkSchedule(
      `
@T.prim_func
def main(A: T.Buffer((16, 16), "float32"), C: T.Buffer((16, 16), "float32"), D: T.Buffer((16,), "float32")):
    B = T.alloc_buffer((16, 16))
    for i, j in T.grid(16, 16):
        with T.block("B"):
            vi, vj = T.axis.remap("SS", [i, j])
            B[vi, vj] = A[vi, vj] + T.float32(1)
    for i, j in T.grid(16, 16):
        with T.block("C"):
            vi, vj = T.axis.remap("SS", [i, j])
            C[vi, vj] = B[vj, vi] * T.float32(2)
    for i in range(16):
        with T.block("D"):
            vi = T.axis.spatial(16, i)
            D[vi] = B[vi, 0] + B[vi, 15]
`,
      `
@T.prim_func
def main(A: T.Buffer((16, 16), "float32"), C: T.Buffer((16, 16), "float32"), D: T.Buffer((16,), "float32")):
    for i, j in T.grid(16, 16):
        with T.block("C"):
            vi, vj = T.axis.remap("SS", [i, j])
            C[vi, vj] = (A[vj, vi] + T.float32(1)) * T.float32(2)
    for i in range(16):
        with T.block("D"):
            vi = T.axis.spatial(16, i)
            D[vi] = A[vi, 0] + T.float32(1) + (A[vi, 15] + T.float32(1))
`,
      (s) => s.computeInline(s.getBlock("B")),
    );
  });

  it("inlines a producer that stores transposed (distinct index variables in any order)", () => {
    checkSchedule(
      `
@T.prim_func
def main(A: T.Buffer((8, 16), "float32"), C: T.Buffer((16, 8), "float32")):
    B = T.alloc_buffer((16, 8))
    for i, j in T.grid(8, 16):
        with T.block("B"):
            vi, vj = T.axis.remap("SS", [i, j])
            B[vj, vi] = A[vi, vj]
    for i, j in T.grid(16, 8):
        with T.block("C"):
            vi, vj = T.axis.remap("SS", [i, j])
            C[vi, vj] = B[vi, vj] + T.float32(1)
`,
      `
@T.prim_func
def main(A: T.Buffer((8, 16), "float32"), C: T.Buffer((16, 8), "float32")):
    for i, j in T.grid(16, 8):
        with T.block("C"):
            vi, vj = T.axis.remap("SS", [i, j])
            C[vi, vj] = A[vj, vi] + T.float32(1)
`,
      (s) => s.computeInline(s.getBlock("B")),
    );
  });

  it("inlines a padding block into a convolution (a reduction consumer)", () => {
    checkSchedule(
      `
@T.prim_func
def main(A: T.Buffer((8, 8), "float32"), W: T.Buffer((3, 3), "float32"), C: T.Buffer((8, 8), "float32")):
    P = T.alloc_buffer((10, 10))
    for i, j in T.grid(10, 10):
        with T.block("P"):
            vi, vj = T.axis.remap("SS", [i, j])
            P[vi, vj] = T.if_then_else(1 <= vi and vi < 9 and 1 <= vj and vj < 9, A[vi - 1, vj - 1], T.float32(0))
    for i, j, rx, ry in T.grid(8, 8, 3, 3):
        with T.block("C"):
            vi, vj, vrx, vry = T.axis.remap("SSRR", [i, j, rx, ry])
            with T.init():
                C[vi, vj] = T.float32(0)
            C[vi, vj] = C[vi, vj] + P[vi + vrx, vj + vry] * W[vrx, vry]
`,
      `
@T.prim_func
def main(A: T.Buffer((8, 8), "float32"), W: T.Buffer((3, 3), "float32"), C: T.Buffer((8, 8), "float32")):
    for i, j, rx, ry in T.grid(8, 8, 3, 3):
        with T.block("C"):
            vi, vj, vrx, vry = T.axis.remap("SSRR", [i, j, rx, ry])
            with T.init():
                C[vi, vj] = T.float32(0)
            C[vi, vj] = C[vi, vj] + T.if_then_else(1 <= vi + vrx and vi + vrx < 9 and 1 <= vj + vry and vj + vry < 9, A[vi + vrx - 1, vj + vry - 1], T.float32(0)) * W[vrx, vry]
`,
      (s) => s.computeInline(s.getBlock("P")),
    );
  });

  it("inlines a block computed at its consumer's loop, removing the loops it leaves empty", () => {
    checkSchedule(
      `
@T.prim_func
def main(A: T.Buffer((16, 16), "float32"), C: T.Buffer((16, 16), "float32")):
    B = T.alloc_buffer((16, 16))
    for i in range(16):
        for ax0 in range(16):
            with T.block("B"):
                vi, vj = T.axis.remap("SS", [i, ax0])
                B[vi, vj] = A[vi, vj] * T.float32(2)
        for j in range(16):
            with T.block("C"):
                vi, vj = T.axis.remap("SS", [i, j])
                C[vi, vj] = B[vi, vj] + T.float32(1)
`,
      `
@T.prim_func
def main(A: T.Buffer((16, 16), "float32"), C: T.Buffer((16, 16), "float32")):
    for i in range(16):
        for j in range(16):
            with T.block("C"):
                vi, vj = T.axis.remap("SS", [i, j])
                C[vi, vj] = A[vi, vj] * T.float32(2) + T.float32(1)
`,
      (s) => s.computeInline(s.getBlock("B")),
    );
  });
});

describe("reverseComputeInline", () => {
  it("inlines an elementwise consumer into its producer", () => {
    const sch = checkSchedule(
      twoElementwise,
      `
@T.prim_func
def main(A: T.Buffer((16, 16), "float32"), C: T.Buffer((16, 16), "float32")):
    for i, j in T.grid(16, 16):
        with T.block("B"):
            vi, vj = T.axis.remap("SS", [i, j])
            C[vi, vj] = A[vi, vj] * T.float32(2) + T.float32(1)
`,
      (s) => s.reverseComputeInline(s.getBlock("C")),
    );
    expect(sch.trace.toJSON()[0][1]).toEqual(["ReverseComputeInline", ["b0"], [], []]);
    expect(sch.trace.toTypeScript()).toContain("sch.reverseComputeInline(b0);");
  });

  it("fuses a bias epilogue into the write-back of a matmul", () => {
    checkSchedule(
      matmulWriteBackBias,
      `
@T.prim_func
def main(A: T.Buffer((16, 16), "float32"), B: T.Buffer((16, 16), "float32"), bias: T.Buffer((16,), "float32"), D: T.Buffer((16, 16), "float32")):
    C_local = T.alloc_buffer((16, 16), scope="local")
    for i, j, k in T.grid(16, 16, 16):
        with T.block("C_local"):
            vi, vj, vk = T.axis.remap("SSR", [i, j, k])
            with T.init():
                C_local[vi, vj] = T.float32(0)
            C_local[vi, vj] = C_local[vi, vj] + A[vi, vk] * B[vk, vj]
    for i, j in T.grid(16, 16):
        with T.block("C"):
            vi, vj = T.axis.remap("SS", [i, j])
            D[vi, vj] = C_local[vi, vj] + bias[vj]
`,
      (s) => s.reverseComputeInline(s.getBlock("D")),
    );
  });

  it("maps a transposed read back onto the producer's indices", () => {
    checkSchedule(
      `
@T.prim_func
def main(A: T.Buffer((16, 32), "float32"), C: T.Buffer((32, 16), "float32")):
    B = T.alloc_buffer((16, 32))
    for i, j in T.grid(16, 32):
        with T.block("B"):
            vi, vj = T.axis.remap("SS", [i, j])
            B[vi, vj] = A[vi, vj] * T.float32(2)
    for i, j in T.grid(32, 16):
        with T.block("C"):
            vi, vj = T.axis.remap("SS", [i, j])
            C[vi, vj] = B[vj, vi] + T.float32(1)
`,
      `
@T.prim_func
def main(A: T.Buffer((16, 32), "float32"), C: T.Buffer((32, 16), "float32")):
    for i, j in T.grid(16, 32):
        with T.block("B"):
            vi, vj = T.axis.remap("SS", [i, j])
            C[vj, vi] = A[vi, vj] * T.float32(2) + T.float32(1)
`,
      (s) => s.reverseComputeInline(s.getBlock("C")),
    );
  });

  it("predicates the producer when it computes more than the consumer reads", () => {
    checkSchedule(
      `
@T.prim_func
def main(A: T.Buffer((128,), "float32"), C: T.Buffer((100,), "float32")):
    B = T.alloc_buffer((128,))
    for i in range(128):
        with T.block("B"):
            vi = T.axis.spatial(128, i)
            B[vi] = A[vi] * T.float32(2)
    for i in range(100):
        with T.block("C"):
            vi = T.axis.spatial(100, i)
            C[vi] = B[vi] + T.float32(1)
`,
      `
@T.prim_func
def main(A: T.Buffer((128,), "float32"), C: T.Buffer((100,), "float32")):
    for i in range(128):
        with T.block("B"):
            vi = T.axis.spatial(128, i)
            T.where(i < 100)
            C[vi] = A[vi] * T.float32(2) + T.float32(1)
`,
      (s) => s.reverseComputeInline(s.getBlock("C")),
    );
  });
});
