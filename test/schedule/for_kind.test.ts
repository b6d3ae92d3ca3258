import { describe, expect, it } from "vitest";
import { Schedule } from "../../src/schedule/index.js";
import { expectIR, expectRejected, expectReplay, expectSameResults, mainOf, parsePrimFunc } from "./loop_test_utils.js";

const matmul = parsePrimFunc(`
@T.prim_func
def main(A: T.Buffer((16, 16), "float32"), B: T.Buffer((16, 16), "float32"), C: T.Buffer((16, 16), "float32")):
    for i, j, k in T.grid(16, 16, 16):
        with T.block("C"):
            vi, vj, vk = T.axis.remap("SSR", [i, j, k])
            T.reads(C[vi, vj], A[vi, vk], B[vk, vj])
            T.writes(C[vi, vj])
            with T.init():
                C[vi, vj] = T.float32(0)
            C[vi, vj] = C[vi, vj] + A[vi, vk] * B[vk, vj]
`);

const matmulWith = (loops: string) => `
@T.prim_func
def main(A: T.Buffer((16, 16), "float32"), B: T.Buffer((16, 16), "float32"), C: T.Buffer((16, 16), "float32")):
${loops}
            with T.block("C"):
                vi, vj, vk = T.axis.remap("SSR", [i, j, k])
                T.reads(C[vi, vj], A[vi, vk], B[vk, vj])
                T.writes(C[vi, vj])
                with T.init():
                    C[vi, vj] = T.float32(0)
                C[vi, vj] = C[vi, vj] + A[vi, vk] * B[vk, vj]
`;

const elementwise = parsePrimFunc(`
@T.prim_func
def main(A: T.Buffer((8, 32), "float32"), B: T.Buffer((8, 32), "float32")):
    for i, j in T.grid(8, 32):
        with T.block("B"):
            vi, vj = T.axis.remap("SS", [i, j])
            B[vi, vj] = A[vi, vj] * T.float32(2.0)
`);

const loopsOf = (sch: Schedule, block = "C") => sch.getLoops(sch.getBlock(block));

describe("parallel", () => {
  it("parallelizes the outer spatial loop of a matmul", () => {
    const sch = new Schedule(matmul);
    const [i] = loopsOf(sch);
    sch.parallel(i!);
    expectIR(sch, matmulWith(`    for i in T.parallel(16):
        for j, k in T.grid(16, 16):`));
    expect(sch.trace.toJSONString()).toContain('["Parallel",["l1"],[],[]]');
    expect(sch.trace.toTypeScript()).toContain("sch.parallel(l1);");
    expectSameResults(matmul, mainOf(sch));
    expectReplay(sch, matmul);
  });

  it("parallelizes a fused spatial loop of a tiled matmul", () => {
    const sch = new Schedule(matmul);
    const [i, j] = loopsOf(sch);
    const f = sch.fuse(i!, j!);
    sch.parallel(f);
    expect(sch.get(f).forKind).toBe("parallel");
    expectSameResults(matmul, mainOf(sch));
    expectReplay(sch, matmul);
  });

  it("rejects a loop bound to a reduction iter, naming the block and the iter", () => {
    const sch = new Schedule(matmul);
    const [, , k] = loopsOf(sch);
    const err = expectRejected(
      sch,
      () => sch.parallel(k!),
      /parallel: loop k cannot be parallelized: in block "C", block iter vk is a reduction block iter and its binding k uses k; only data parallel block iters may depend on the loop/,
    );
    expect(err.message).toContain("^");
  });

  it("rejects a fused loop that reaches a reduction iter", () => {
    const sch = new Schedule(matmul);
    const [i, j, k] = loopsOf(sch);
    const f = sch.fuse(i!, j!, k!);
    expectRejected(sch, () => sch.parallel(f), /parallel: loop i_j_k_fused cannot be parallelized: in block "C", block iter vk is a reduction block iter and its binding i_j_k_fused % 16 uses i_j_k_fused/);
  });

  it("rejects a loop over a block that reads and writes the same buffer without being a reduction", () => {
    const f = parsePrimFunc(`
@T.prim_func
def main(A: T.Buffer((8,), "float32"), B: T.Buffer((8,), "float32")):
    for i in range(8):
        with T.block("acc"):
            vi = T.axis.spatial(8, i)
            B[vi] = B[vi] + A[vi]
`);
    const sch = new Schedule(f);
    const [i] = loopsOf(sch, "acc");
    expectRejected(
      sch,
      () => sch.parallel(i!),
      /parallel: The queried subtree root loop i in SRef tree does not have compact dataflow, because its child block "acc" is neither a local complete block nor a local reduction block: as a complete block it violates condition #3 \(no overlap between the buffers the block reads and writes\), as a reduction block condition #1/,
    );
  });

  it("rejects a loop over two blocks that write the same buffer", () => {
    const f = parsePrimFunc(`
@T.prim_func
def main(A: T.Buffer((8, 2), "float32"), B: T.Buffer((8, 2), "float32")):
    for i in range(8):
        with T.block("lo"):
            vi = T.axis.spatial(8, i)
            B[vi, 0] = A[vi, 0]
        with T.block("hi"):
            vi = T.axis.spatial(8, i)
            B[vi, 1] = A[vi, 1]
`);
    const sch = new Schedule(f);
    const [i] = loopsOf(sch, "lo");
    expectRejected(sch, () => sch.parallel(i!), /child block "lo" is neither a local complete block nor a local reduction block: as a complete block it violates condition #2 \(local dominant/);
  });

  it("rejects a block whose binding is not affine", () => {
    const f = parsePrimFunc(`
@T.prim_func
def main(A: T.Buffer((16,), "float32"), B: T.Buffer((16,), "float32")):
    for i in range(4):
        with T.block("B"):
            vi = T.axis.spatial(16, i * i)
            B[vi] = A[vi]
`);
    const sch = new Schedule(f);
    const [i] = loopsOf(sch, "B");
    expectRejected(sch, () => sch.parallel(i!), /parallel: The block "B" is required to have an affine binding, but its bindings \(i \* i\) are not an affine map of the loops above it/);
  });
});

describe("vectorize", () => {
  it("vectorizes an inner spatial loop", () => {
    const sch = new Schedule(elementwise);
    const [, j] = loopsOf(sch, "B");
    const [, j1] = sch.split(j!, [undefined, 8]);
    sch.vectorize(j1!);
    expectIR(sch, `
@T.prim_func
def main(A: T.Buffer((8, 32), "float32"), B: T.Buffer((8, 32), "float32")):
    for i, j_0 in T.grid(8, 4):
        for j_1 in T.vectorized(8):
            with T.block("B"):
                vi = T.axis.spatial(8, i)
                vj = T.axis.spatial(32, j_0 * 8 + j_1)
                T.reads(A[vi, vj])
                T.writes(B[vi, vj])
                B[vi, vj] = A[vi, vj] * T.float32(2.0)
`);
    expect(sch.trace.toJSONString()).toContain('["Vectorize",["l4"],[],[]]');
    expectSameResults(elementwise, mainOf(sch));
    expectReplay(sch, elementwise);
  });

  it("vectorizes the inner spatial loop of a reordered matmul tile", () => {
    const sch = new Schedule(matmul);
    const [i, j, k] = loopsOf(sch);
    const [j0, j1] = sch.split(j!, [undefined, 4]);
    sch.reorder(i!, j0!, k!, j1!);
    sch.vectorize(j1!);
    expect(sch.get(j1!).forKind).toBe("vectorized");
    expectSameResults(matmul, mainOf(sch));
    expectReplay(sch, matmul);
  });

  it("rejects a reduction loop", () => {
    const sch = new Schedule(matmul);
    const [, , k] = loopsOf(sch);
    expectRejected(sch, () => sch.vectorize(k!), /vectorize: loop k cannot be vectorized: in block "C", block iter vk is a reduction block iter/);
  });
});

describe("unroll", () => {
  it("unrolls any loop, reduction loops included", () => {
    const sch = new Schedule(matmul);
    const [, , k] = loopsOf(sch);
    sch.unroll(k!);
    expectIR(sch, matmulWith(`    for i, j in T.grid(16, 16):
        for k in T.unroll(16):`));
    expect(sch.trace.toJSONString()).toContain('["Unroll",["l3"],[],[]]');
    expectSameResults(matmul, mainOf(sch));
    expectReplay(sch, matmul);
  });

  it("turns a thread-bound loop back into a plain unrolled loop", () => {
    const sch = new Schedule(matmul);
    const [i] = loopsOf(sch);
    sch.bind(i!, "threadIdx.y");
    sch.unroll(i!);
    expect(sch.get(i!).forKind).toBe("unrolled");
    expect(sch.get(i!).threadTag).toBeUndefined();
  });
});

describe("bind", () => {
  it("binds spatial loops to block and thread axes", () => {
    const sch = new Schedule(matmul);
    const [i, j] = loopsOf(sch);
    sch.bind(i!, "blockIdx.x");
    sch.bind(j!, "threadIdx.x");
    expectIR(sch, `
@T.prim_func
def main(A: T.Buffer((16, 16), "float32"), B: T.Buffer((16, 16), "float32"), C: T.Buffer((16, 16), "float32")):
    for i in T.thread_binding(16, thread="blockIdx.x"):
        for j in T.thread_binding(16, thread="threadIdx.x"):
            for k in range(16):
                with T.block("C"):
                    vi, vj, vk = T.axis.remap("SSR", [i, j, k])
                    T.reads(C[vi, vj], A[vi, vk], B[vk, vj])
                    T.writes(C[vi, vj])
                    with T.init():
                        C[vi, vj] = T.float32(0)
                    C[vi, vj] = C[vi, vj] + A[vi, vk] * B[vk, vj]
`);
    expect(sch.trace.toJSONString()).toContain('["Bind",["l1"],["blockIdx.x"],[]],["Bind",["l2"],["threadIdx.x"],[]]');
    expect(sch.trace.toTypeScript()).toContain('sch.bind(l2, "threadIdx.x");');
    expectSameResults(matmul, mainOf(sch));
    expectReplay(sch, matmul);
  });

  it("binds a reduction loop to threadIdx (cross-thread reduction) but not to blockIdx", () => {
    const sch = new Schedule(matmul);
    const [, , k] = loopsOf(sch);
    expectRejected(
      sch,
      () => sch.bind(k!, "blockIdx.x"),
      /bind: loop k cannot be bound to a thread axis: in block "C", block iter vk is a reduction block iter and its binding k uses k; only data parallel block iters \(or reduction iters when binding threadIdx.x\/y\/z\) may depend on the loop/,
    );
    expectRejected(sch, () => sch.bind(k!, "vthread.x"), /bind: loop k cannot be bound to a thread axis/);
    sch.bind(k!, "threadIdx.x");
    expect(sch.get(k!).threadTag).toBe("threadIdx.x");
    expectReplay(sch, matmul);
  });

  it("accepts vthread axes", () => {
    const sch = new Schedule(matmul);
    const [i, j] = loopsOf(sch);
    sch.bind(i!, "vthread.x");
    sch.bind(j!, "vthread");
    expect([sch.get(i!).threadTag, sch.get(j!).threadTag]).toEqual(["vthread.x", "vthread"]);
  });

  it("rejects unknown thread axes", () => {
    const sch = new Schedule(matmul);
    const [i] = loopsOf(sch);
    expectRejected(sch, () => sch.bind(i!, "threadIdx.w"), /bind: unknown thread axis "threadIdx.w"; expected one of blockIdx.x\/y\/z, threadIdx.x\/y\/z, vthread.x\/y\/z/);
    expectRejected(sch, () => sch.bind(i!, "warp"), /bind: unknown thread axis "warp"/);
  });
});
