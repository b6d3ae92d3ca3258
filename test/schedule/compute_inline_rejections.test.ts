import { describe, it } from "vitest";
import { Schedule } from "../../src/schedule/index.js";
import { matmulBias, twoElementwiseSmall as twoElementwise } from "./compute_fixtures.js";
import { expectRejected, parsePrimFunc } from "./compute_test_utils.js";

/** The block `name` of a fresh schedule of `text`, with the schedule. */
function blockOf(text: string, name: string) {
  const sch = new Schedule(parsePrimFunc(text));
  return { sch, block: sch.getBlock(name) };
}

describe("computeInline rejections", () => {
  it("rejects a reduction block", () => {
    const { sch, block } = blockOf(matmulBias, "C");
    expectRejected(
      sch,
      () => sch.computeInline(block),
      /compute_inline: block "C" is a reduction block \(it has reduction iter var vk and an init statement\); only complete blocks can be inlined/,
    );
  });

  it("rejects the root block", () => {
    const { sch, block } = blockOf(twoElementwise, "root");
    expectRejected(sch, () => sch.computeInline(block), /compute_inline: block "root" is the root block of its function; it has no enclosing scope/);
    expectRejected(sch, () => sch.reverseComputeInline(block), /reverse_compute_inline: block "root" is the root block of its function/);
  });

  it("rejects a block writing a function output", () => {
    const { sch, block } = blockOf(twoElementwise, "C");
    expectRejected(sch, () => sch.computeInline(block), /compute_inline: block "C" is an output block: it writes buffer C, which its scope block "root" does not allocate/);
  });

  it("rejects non-variable store indices", () => {
    const { sch, block } = blockOf(
      `
@T.prim_func
def main(A: T.Buffer((16,), "float32"), C: T.Buffer((16,), "float32")):
    B = T.alloc_buffer((32,))
    for i in range(16):
        with T.block("B"):
            vi = T.axis.spatial(16, i)
            B[vi * 2] = A[vi]
    for i in range(16):
        with T.block("C"):
            vi = T.axis.spatial(16, i)
            C[vi] = B[vi * 2]
`,
      "B",
    );
    expectRejected(sch, () => sch.computeInline(block), /compute_inline: the body of block "B" must be a single store B\[v0, v1, \.\.\.\] = f\(v0, v1, \.\.\.\) indexed by distinct variables, with no other variables in f: store index vi \* 2 is not a variable/);
  });

  it("rejects a repeated store index", () => {
    const { sch, block } = blockOf(
      `
@T.prim_func
def main(A: T.Buffer((16,), "float32"), C: T.Buffer((16,), "float32")):
    B = T.alloc_buffer((16, 16))
    for i in range(16):
        with T.block("B"):
            vi = T.axis.spatial(16, i)
            B[vi, vi] = A[vi]
    for i in range(16):
        with T.block("C"):
            vi = T.axis.spatial(16, i)
            C[vi] = B[vi, vi]
`,
      "B",
    );
    expectRejected(sch, () => sch.computeInline(block), /compute_inline: the body of block "B" must be .*: store index vi appears twice/);
  });

  it("rejects a stored value using variables other than the indices", () => {
    const { sch, block } = blockOf(
      `
@T.prim_func
def main(A: T.Buffer((16, 4), "float32"), C: T.Buffer((16,), "float32"), n: T.int32):
    B = T.alloc_buffer((16, 4))
    for i, j in T.grid(16, 4):
        with T.block("B"):
            vi, vj = T.axis.remap("SS", [i, j])
            B[vi, vj] = A[vi, vj] + T.Cast("float32", n)
    for i in range(16):
        with T.block("C"):
            vi = T.axis.spatial(16, i)
            C[vi] = B[vi, 0]
`,
      "B",
    );
    expectRejected(sch, () => sch.computeInline(block), /compute_inline: the body of block "B" must be .*: the stored value uses n, which is not among the store indices/);
  });

  it("rejects a block writing two buffers", () => {
    const { sch, block } = blockOf(
      `
@T.prim_func
def main(A: T.Buffer((16,), "float32"), C: T.Buffer((16,), "float32")):
    B = T.alloc_buffer((16,))
    E = T.alloc_buffer((16,))
    for i in range(16):
        with T.block("B"):
            vi = T.axis.spatial(16, i)
            B[vi] = A[vi]
            E[vi] = A[vi]
    for i in range(16):
        with T.block("C"):
            vi = T.axis.spatial(16, i)
            C[vi] = B[vi] + E[vi]
`,
      "B",
    );
    expectRejected(sch, () => sch.computeInline(block), /compute_inline: block "B" writes 2 buffer regions; only a block writing a single one can be inlined/);
  });

  it("rejects a block that is not the only writer of its buffer", () => {
    const { sch, block } = blockOf(
      `
@T.prim_func
def main(A: T.Buffer((16,), "float32"), C: T.Buffer((16,), "float32")):
    B = T.alloc_buffer((16,))
    for i in range(16):
        with T.block("B1"):
            vi = T.axis.spatial(16, i)
            B[vi] = A[vi]
    for i in range(16):
        with T.block("B2"):
            vi = T.axis.spatial(16, i)
            B[vi] = A[vi] * T.float32(2)
    for i in range(16):
        with T.block("C"):
            vi = T.axis.spatial(16, i)
            C[vi] = B[vi]
`,
      "B1",
    );
    expectRejected(sch, () => sch.computeInline(block), /compute_inline: block "B1" is not a complete block: it is not the only writer of buffer B in its scope \(block "B2" writes it too\)/);
  });

  it("rejects a buffer whose region another block matches", () => {
    const { sch, block } = blockOf(
      `
@T.prim_func
def main(A: T.Buffer((16, 4), "float32"), C: T.Buffer((16,), "float32")):
    B = T.alloc_buffer((16, 4))
    for i, j in T.grid(16, 4):
        with T.block("B"):
            vi, vj = T.axis.remap("SS", [i, j])
            B[vi, vj] = A[vi, vj] + T.float32(1)
    for i in range(16):
        with T.block("C"):
            vi = T.axis.spatial(16, i)
            Bs = T.match_buffer(B[vi, 0:4], (4,))
            C[vi] = Bs[0] + Bs[3]
`,
      "B",
    );
    expectRejected(sch, () => sch.computeInline(block), /compute_inline: buffer B is accessed opaquely in scope block "root" \(its data pointer is used, or a block matches a region of it\)/);
  });

  it("rejects a scope that is not a stage pipeline", () => {
    const { sch, block } = blockOf(
      `
@T.prim_func
def main(A: T.Buffer((16,), "float32"), C: T.Buffer((16,), "float32")):
    B = T.alloc_buffer((16,))
    for i in range(16):
        with T.block("B"):
            vi = T.axis.spatial(16, i)
            B[vi] = A[vi]
    for i in range(16):
        with T.block("C"):
            vi = T.axis.spatial(16, i)
            C[vi] = B[vi]
    for i in range(16):
        with T.block("B2"):
            vi = T.axis.spatial(16, i)
            B[vi] = A[vi] * T.float32(2)
`,
      "B",
    );
    expectRejected(sch, () => sch.computeInline(block), /compute_inline: the scope block "root" is not a stage pipeline/);
  });
});

describe("reverseComputeInline rejections", () => {
  it("rejects inlining an epilogue into a reduction (matmul + bias)", () => {
    const { sch, block } = blockOf(matmulBias, "D");
    expectRejected(
      sch,
      () => sch.reverseComputeInline(block),
      /reverse_compute_inline: block "D" needs a single complete producer that it alone consumes: its producer "C" is not a complete block \(iter var vk is not data parallel \(it is CommReduce\)\)/,
    );
  });

  it("rejects a reduction consumer", () => {
    const { sch, block } = blockOf(
      `
@T.prim_func
def main(A: T.Buffer((16, 16), "float32"), C: T.Buffer((16,), "float32")):
    B = T.alloc_buffer((16, 16))
    for i, j in T.grid(16, 16):
        with T.block("B"):
            vi, vj = T.axis.remap("SS", [i, j])
            B[vi, vj] = A[vi, vj] * T.float32(2)
    for i, k in T.grid(16, 16):
        with T.block("C"):
            vi, vk = T.axis.remap("SR", [i, k])
            with T.init():
                C[vi] = T.float32(0)
            C[vi] = C[vi] + B[vi, vk]
`,
      "C",
    );
    expectRejected(sch, () => sch.reverseComputeInline(block), /reverse_compute_inline: block "C" is a reduction block \(it has reduction iter var vk and an init statement\)/);
  });

  it("rejects a consumer reading two produced buffers", () => {
    const { sch, block } = blockOf(
      `
@T.prim_func
def main(A: T.Buffer((16,), "float32"), D: T.Buffer((16,), "float32")):
    B = T.alloc_buffer((16,))
    C = T.alloc_buffer((16,))
    for i in range(16):
        with T.block("B"):
            vi = T.axis.spatial(16, i)
            B[vi] = A[vi] + T.float32(1)
    for i in range(16):
        with T.block("C"):
            vi = T.axis.spatial(16, i)
            C[vi] = A[vi] * T.float32(2)
    for i in range(16):
        with T.block("D"):
            vi = T.axis.spatial(16, i)
            D[vi] = B[vi] + C[vi]
`,
      "D",
    );
    expectRejected(sch, () => sch.reverseComputeInline(block), /reverse_compute_inline: block "D" must read exactly one buffer produced in its scope, but reads B, C/);
  });

  it("rejects a producer with another consumer", () => {
    const { sch, block } = blockOf(
      `
@T.prim_func
def main(A: T.Buffer((16,), "float32"), C: T.Buffer((16,), "float32"), D: T.Buffer((16,), "float32")):
    B = T.alloc_buffer((16,))
    for i in range(16):
        with T.block("B"):
            vi = T.axis.spatial(16, i)
            B[vi] = A[vi] + T.float32(1)
    for i in range(16):
        with T.block("C"):
            vi = T.axis.spatial(16, i)
            C[vi] = B[vi] * T.float32(2)
    for i in range(16):
        with T.block("D"):
            vi = T.axis.spatial(16, i)
            D[vi] = B[vi] * T.float32(3)
`,
      "C",
    );
    expectRejected(sch, () => sch.reverseComputeInline(block), /reverse_compute_inline: block "C" needs a single complete producer that it alone consumes: its producer "B" has 2 consumers/);
  });

  it("rejects inlining away the write of a function output", () => {
    const { sch, block } = blockOf(
      `
@T.prim_func
def main(A: T.Buffer((16,), "float32"), B: T.Buffer((16,), "float32"), C: T.Buffer((16,), "float32")):
    for i in range(16):
        with T.block("B"):
            vi = T.axis.spatial(16, i)
            B[vi] = A[vi] + T.float32(1)
    for i in range(16):
        with T.block("C"):
            vi = T.axis.spatial(16, i)
            C[vi] = B[vi] * T.float32(2)
`,
      "C",
    );
    expectRejected(sch, () => sch.reverseComputeInline(block), /reverse_compute_inline: buffer B is not allocated by the scope block "root" \(it is a function parameter or belongs to an outer scope\); inlining block "C" would leave it unwritten/);
  });

  it("rejects a predicated consumer", () => {
    const { sch, block } = blockOf(
      `
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
`,
      "C",
    );
    expectRejected(sch, () => sch.reverseComputeInline(block), /reverse_compute_inline: block "C" must be a single unpredicated store .*: it has the predicate i_0 \* 32 \+ i_1 < 100/);
  });

  it("rejects a consumer whose loops cover only part of its domain", () => {
    const { sch, block } = blockOf(
      `
@T.prim_func
def main(A: T.Buffer((16,), "float32"), C: T.Buffer((16,), "float32")):
    B = T.alloc_buffer((16,))
    for i in range(16):
        with T.block("B"):
            vi = T.axis.spatial(16, i)
            B[vi] = A[vi] * T.float32(2)
    for i in range(8):
        with T.block("C"):
            vi = T.axis.spatial(16, i)
            C[vi] = B[vi] + T.float32(1)
`,
      "C",
    );
    expectRejected(sch, () => sch.reverseComputeInline(block), /reverse_compute_inline: block "C" must be .*: its loops do not run over the whole domain of vi/);
  });

  it("rejects a read at an index that is not an iter var", () => {
    const { sch, block } = blockOf(
      `
@T.prim_func
def main(A: T.Buffer((17,), "float32"), C: T.Buffer((16,), "float32")):
    B = T.alloc_buffer((17,))
    for i in range(17):
        with T.block("B"):
            vi = T.axis.spatial(17, i)
            B[vi] = A[vi] * T.float32(2)
    for i in range(16):
        with T.block("C"):
            vi = T.axis.spatial(16, i)
            C[vi] = B[vi + 1]
`,
      "C",
    );
    expectRejected(sch, () => sch.reverseComputeInline(block), /reverse_compute_inline: block "C" must be .*: index vi \+ 1 of its load of B is not an iter var/);
  });

  it("rejects a consumer store using a variable that is not an iter var", () => {
    const { sch, block } = blockOf(
      `
@T.prim_func
def main(A: T.Buffer((16,), "float32"), C: T.Buffer((16,), "float32"), n: T.int32):
    B = T.alloc_buffer((16,))
    for i in range(16):
        with T.block("B"):
            vi = T.axis.spatial(16, i)
            B[vi] = A[vi] * T.float32(2)
    for i in range(16):
        with T.block("C"):
            vi = T.axis.spatial(16, i)
            C[vi] = B[vi] + T.Cast("float32", n)
`,
      "C",
    );
    expectRejected(sch, () => sch.reverseComputeInline(block), /reverse_compute_inline: block "C" must be .*: its store uses n, which is not an iter var/);
  });

  it("rejects a producer whose predicate the inlined block would drop", () => {
    const { sch, block } = blockOf(
      `
@T.prim_func
def main(A: T.Buffer((100,), "float32"), C: T.Buffer((100,), "float32")):
    B = T.alloc_buffer((100,))
    for i_0, i_1 in T.grid(4, 32):
        with T.block("B"):
            vi = T.axis.spatial(100, i_0 * 32 + i_1)
            T.where(i_0 * 32 + i_1 < 100)
            B[vi] = A[vi] * T.float32(2)
    for i in range(100):
        with T.block("C"):
            vi = T.axis.spatial(100, i)
            C[vi] = B[vi] + T.float32(1)
`,
      "C",
    );
    expectRejected(sch, () => sch.reverseComputeInline(block), /reverse_compute_inline: the producer "B" has the predicate i_0 \* 32 \+ i_1 < 100, which the predicate .* of the inlined block does not imply/);
  });
});
