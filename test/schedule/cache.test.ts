import { describe, expect, it } from "vitest";
import { parsePrimFunc } from "../../src/tir/script/index.js";
import { Schedule } from "../../src/schedule/index.js";
import { allocNames, expectIR, expectRejected, expectReplay, expectSameResults, mainOf } from "./cache_layout_helpers.js";

const matmul = `
@T.prim_func
def main(A: T.Buffer((64, 64), "float32"), B: T.Buffer((64, 64), "float32"), C: T.Buffer((64, 64), "float32")):
    T.func_attr({"tir.noalias": True})
    for i, j, k in T.grid(64, 64, 64):
        with T.block("C"):
            vi, vj, vk = T.axis.remap("SSR", [i, j, k])
            with T.init():
                C[vi, vj] = T.float32(0)
            C[vi, vj] = C[vi, vj] + A[vi, vk] * B[vk, vj]
`;

const matmulCacheReadA = `
@T.prim_func
def main(A: T.Buffer((64, 64), "float32"), B: T.Buffer((64, 64), "float32"), C: T.Buffer((64, 64), "float32")):
    T.func_attr({"tir.noalias": True})
    A_shared = T.alloc_buffer((64, 64), scope="shared")
    for ax0, ax1 in T.grid(64, 64):
        with T.block("A_shared"):
            v0, v1 = T.axis.remap("SS", [ax0, ax1])
            A_shared[v0, v1] = A[v0, v1]
    for i, j, k in T.grid(64, 64, 64):
        with T.block("C"):
            vi, vj, vk = T.axis.remap("SSR", [i, j, k])
            with T.init():
                C[vi, vj] = T.float32(0)
            C[vi, vj] = C[vi, vj] + A_shared[vi, vk] * B[vk, vj]
`;

const matmulCacheWriteC = `
@T.prim_func
def main(A: T.Buffer((64, 64), "float32"), B: T.Buffer((64, 64), "float32"), C: T.Buffer((64, 64), "float32")):
    T.func_attr({"tir.noalias": True})
    C_global = T.alloc_buffer((64, 64))
    for i, j, k in T.grid(64, 64, 64):
        with T.block("C"):
            vi, vj, vk = T.axis.remap("SSR", [i, j, k])
            with T.init():
                C_global[vi, vj] = T.float32(0)
            C_global[vi, vj] = C_global[vi, vj] + A[vi, vk] * B[vk, vj]
    for ax0, ax1 in T.grid(64, 64):
        with T.block("C_global"):
            v0, v1 = T.axis.remap("SS", [ax0, ax1])
            C[v0, v1] = C_global[v0, v1]
`;

// TVM's func_multi_consumer: A is produced under loop i, consumed by B under the same loop and by C later.
const multiConsumer = `
@T.prim_func
def main(X: T.Buffer((128,), "float32"), Y: T.Buffer((128,), "float32"), Z: T.Buffer((128,), "float32")):
    A = T.alloc_buffer((128,))
    for i in range(8):
        for j in range(16):
            with T.block("A"):
                vi = T.axis.spatial(128, i * 16 + j)
                A[vi] = X[vi] + T.float32(1)
        for j in range(16):
            with T.block("B"):
                vi = T.axis.spatial(128, i * 16 + j)
                Y[vi] = A[vi] + T.float32(1)
    for i in range(128):
        with T.block("C"):
            vi = T.axis.spatial(128, i)
            Z[vi] = A[vi] * T.float32(2)
`;

const multiConsumerCacheRead = `
@T.prim_func
def main(X: T.Buffer((128,), "float32"), Y: T.Buffer((128,), "float32"), Z: T.Buffer((128,), "float32")):
    A = T.alloc_buffer((128,))
    A_global = T.alloc_buffer((128,))
    for i in range(8):
        for j in range(16):
            with T.block("A"):
                vi = T.axis.spatial(128, i * 16 + j)
                A[vi] = X[vi] + T.float32(1)
        for ax0 in range(16):
            with T.block("A_global"):
                v0 = T.axis.spatial(128, i * 16 + ax0)
                A_global[v0] = A[v0]
        for j in range(16):
            with T.block("B"):
                vi = T.axis.spatial(128, i * 16 + j)
                Y[vi] = A_global[vi] + T.float32(1)
    for i in range(128):
        with T.block("C"):
            vi = T.axis.spatial(128, i)
            Z[vi] = A_global[vi] * T.float32(2)
`;

const multiConsumerCacheReadForC = `
@T.prim_func
def main(X: T.Buffer((128,), "float32"), Y: T.Buffer((128,), "float32"), Z: T.Buffer((128,), "float32")):
    A = T.alloc_buffer((128,))
    A_global = T.alloc_buffer((128,))
    for i in range(8):
        for j in range(16):
            with T.block("A"):
                vi = T.axis.spatial(128, i * 16 + j)
                A[vi] = X[vi] + T.float32(1)
        for j in range(16):
            with T.block("B"):
                vi = T.axis.spatial(128, i * 16 + j)
                Y[vi] = A[vi] + T.float32(1)
    for ax0 in range(128):
        with T.block("A_global"):
            v0 = T.axis.spatial(128, ax0)
            A_global[v0] = A[v0]
    for i in range(128):
        with T.block("C"):
            vi = T.axis.spatial(128, i)
            Z[vi] = A_global[vi] * T.float32(2)
`;

const multiConsumerCacheWrite = `
@T.prim_func
def main(X: T.Buffer((128,), "float32"), Y: T.Buffer((128,), "float32"), Z: T.Buffer((128,), "float32")):
    A = T.alloc_buffer((128,))
    A_global = T.alloc_buffer((128,))
    for i in range(8):
        for j in range(16):
            with T.block("A"):
                vi = T.axis.spatial(128, i * 16 + j)
                A_global[vi] = X[vi] + T.float32(1)
        for ax0 in range(16):
            with T.block("A_global"):
                v0 = T.axis.spatial(128, i * 16 + ax0)
                A[v0] = A_global[v0]
        for j in range(16):
            with T.block("B"):
                vi = T.axis.spatial(128, i * 16 + j)
                Y[vi] = A[vi] + T.float32(1)
    for i in range(128):
        with T.block("C"):
            vi = T.axis.spatial(128, i)
            Z[vi] = A[vi] * T.float32(2)
`;

// cache_write(A, consumers=[B]): B reads the cache, the copy back goes before C.
const multiConsumerCacheWriteForB = `
@T.prim_func
def main(X: T.Buffer((128,), "float32"), Y: T.Buffer((128,), "float32"), Z: T.Buffer((128,), "float32")):
    A = T.alloc_buffer((128,))
    A_global = T.alloc_buffer((128,))
    for i in range(8):
        for j in range(16):
            with T.block("A"):
                vi = T.axis.spatial(128, i * 16 + j)
                A_global[vi] = X[vi] + T.float32(1)
        for j in range(16):
            with T.block("B"):
                vi = T.axis.spatial(128, i * 16 + j)
                Y[vi] = A_global[vi] + T.float32(1)
    for ax0 in range(128):
        with T.block("A_global"):
            v0 = T.axis.spatial(128, ax0)
            A[v0] = A_global[v0]
    for i in range(128):
        with T.block("C"):
            vi = T.axis.spatial(128, i)
            Z[vi] = A[vi] * T.float32(2)
`;

const elementwise = `
@T.prim_func
def main(A: T.Buffer((32, 32), "float32"), C: T.Buffer((32, 32), "float32")):
    B = T.alloc_buffer((32, 32))
    for i, j in T.grid(32, 32):
        with T.block("B"):
            vi, vj = T.axis.remap("SS", [i, j])
            B[vi, vj] = A[vi, vj] * T.float32(2)
    for i, j in T.grid(32, 32):
        with T.block("C"):
            vi, vj = T.axis.remap("SS", [i, j])
            C[vi, vj] = B[vi, vj] + T.float32(1)
`;

// TVM's cache_read_elementwise: the input copy goes first, the intermediate copy right after its producer.
const elementwiseCacheRead = `
@T.prim_func
def main(A: T.Buffer((32, 32), "float32"), C: T.Buffer((32, 32), "float32")):
    B = T.alloc_buffer((32, 32))
    A_global = T.alloc_buffer((32, 32))
    B_local = T.alloc_buffer((32, 32), scope="local")
    for ax0, ax1 in T.grid(32, 32):
        with T.block("A_global"):
            v0, v1 = T.axis.remap("SS", [ax0, ax1])
            A_global[v0, v1] = A[v0, v1]
    for i, j in T.grid(32, 32):
        with T.block("B"):
            vi, vj = T.axis.remap("SS", [i, j])
            B[vi, vj] = A_global[vi, vj] * T.float32(2)
    for ax0, ax1 in T.grid(32, 32):
        with T.block("B_local"):
            v0, v1 = T.axis.remap("SS", [ax0, ax1])
            B_local[v0, v1] = B[v0, v1]
    for i, j in T.grid(32, 32):
        with T.block("C"):
            vi, vj = T.axis.remap("SS", [i, j])
            C[vi, vj] = B_local[vi, vj] + T.float32(1)
`;

// Producer and consumer under a loop split non-divisibly (10 = 4 x 3 with a predicate).
const splitPair = `
@T.prim_func
def main(X: T.Buffer((10,), "float32"), Y: T.Buffer((10,), "float32")):
    A = T.alloc_buffer((10,))
    for i0, i1 in T.grid(4, 3):
        with T.block("A"):
            vi = T.axis.spatial(10, i0 * 3 + i1)
            T.where(i0 * 3 + i1 < 10)
            A[vi] = X[vi] * T.float32(2)
        with T.block("B"):
            vi = T.axis.spatial(10, i0 * 3 + i1)
            T.where(i0 * 3 + i1 < 10)
            Y[vi] = A[vi] + T.float32(1)
`;

// The copy takes a guard, or it would read A[10] and A[11] in the last iterations.
const splitPairCacheRead = `
@T.prim_func
def main(X: T.Buffer((10,), "float32"), Y: T.Buffer((10,), "float32")):
    A = T.alloc_buffer((10,))
    A_local = T.alloc_buffer((10,), scope="local")
    for i0, i1 in T.grid(4, 3):
        with T.block("A"):
            vi = T.axis.spatial(10, i0 * 3 + i1)
            T.where(i0 * 3 + i1 < 10)
            A[vi] = X[vi] * T.float32(2)
        for ax0 in range(1):
            with T.block("A_local"):
                v0 = T.axis.spatial(10, i0 * 3 + i1 + ax0)
                T.where(i0 * 3 + i1 + ax0 < 10)
                A_local[v0] = A[v0]
        with T.block("B"):
            vi = T.axis.spatial(10, i0 * 3 + i1)
            T.where(i0 * 3 + i1 < 10)
            Y[vi] = A_local[vi] + T.float32(1)
`;

const twoWriters = `
@T.prim_func
def main(X: T.Buffer((16,), "float32"), Y: T.Buffer((16,), "float32")):
    A = T.alloc_buffer((16,))
    for i in range(16):
        with T.block("A0"):
            vi = T.axis.spatial(16, i)
            A[vi] = X[vi]
    for i in range(16):
        with T.block("A1"):
            vi = T.axis.spatial(16, i)
            A[vi] = X[vi] + T.float32(1)
    for i in range(16):
        with T.block("Y"):
            vi = T.axis.spatial(16, i)
            Y[vi] = A[vi]
`;

describe("cache_read", () => {
  it("copies a matmul input into shared memory at the start of the scope", () => {
    const orig = parsePrimFunc(matmul);
    const sch = new Schedule(orig);
    const c = sch.getBlock("C");
    const cr = sch.cacheRead(c, 0, "shared");
    expectIR(sch, matmulCacheReadA);
    expect(sch.get(cr).nameHint).toBe("A_shared");
    expect(allocNames(sch)).toEqual(["A_shared:shared"]);
    expect(sch.get(c).reads.map((r) => r.buffer.name)).toEqual(["A_shared", "B"]);
    expectSameResults(orig, mainOf(sch));
    expect(sch.trace.toJSONString()).toBe('[[["GetBlock",[],["C","main"],["b0"]],["CacheRead",["b0",[]],[0,"shared"],["b1"]]],[]]');
    expect(sch.trace.toTypeScript()).toBe('const b0 = sch.getBlock("C", "main");\nconst b1 = sch.cacheRead(b0, 0, "shared");\n');
    expectReplay(sch, orig);
  });

  it("accepts the buffer's name and records its index", () => {
    const sch = new Schedule(parsePrimFunc(matmul));
    sch.cacheRead(sch.getBlock("C"), "A", "shared");
    expectIR(sch, matmulCacheReadA);
    expect(sch.trace.toJSONString()).toContain('["CacheRead",["b0",[]],[0,"shared"],["b1"]]');
  });

  it("puts the copy right after the producer, inside the loop both share", () => {
    const orig = parsePrimFunc(multiConsumer);
    const sch = new Schedule(orig);
    sch.cacheRead(sch.getBlock("B"), 0, "global");
    expectIR(sch, multiConsumerCacheRead);
    expectSameResults(orig, mainOf(sch));
    expectReplay(sch, orig);
  });

  it("rewrites only the listed consumer blocks", () => {
    const orig = parsePrimFunc(multiConsumer);
    const sch = new Schedule(orig);
    const b = sch.getBlock("B");
    const c = sch.getBlock("C");
    sch.cacheRead(b, 0, "global", [c]);
    expectIR(sch, multiConsumerCacheReadForC);
    expect(sch.get(b).reads.map((r) => r.buffer.name)).toEqual(["A"]);
    expectSameResults(orig, mainOf(sch));
    expect(sch.trace.toJSONString()).toContain('["CacheRead",["b0",["b1"]],[0,"global"],["b2"]]');
    expect(sch.trace.toTypeScript()).toContain('const b2 = sch.cacheRead(b0, 0, "global", [b1]);');
    expectReplay(sch, orig);
  });

  it("listing every consumer is the same as listing none", () => {
    const sch = new Schedule(parsePrimFunc(multiConsumer));
    const b = sch.getBlock("B");
    sch.cacheRead(b, 0, "global", [b, sch.getBlock("C")]);
    expectIR(sch, multiConsumerCacheRead);
  });

  it("caches an input and an intermediate buffer (TVM's cache_read_elementwise)", () => {
    const orig = parsePrimFunc(elementwise);
    const sch = new Schedule(orig);
    const b = sch.getBlock("B");
    const c = sch.getBlock("C");
    sch.cacheRead(b, 0, "global");
    sch.cacheRead(c, 0, "local");
    expectIR(sch, elementwiseCacheRead);
    expect(allocNames(sch)).toEqual(["B:global", "A_global:global", "B_local:local"]);
    expectSameResults(orig, mainOf(sch));
    expectReplay(sch, orig);
  });

  it("guards a copy placed under a non-divisibly split loop", () => {
    const orig = parsePrimFunc(splitPair);
    const sch = new Schedule(orig);
    sch.cacheRead(sch.getBlock("B"), 0, "local");
    expectIR(sch, splitPairCacheRead);
    expectSameResults(orig, mainOf(sch));
    expectReplay(sch, orig);
  });

  it("rejects a buffer index out of range, naming the block's read buffers", () => {
    const sch = new Schedule(parsePrimFunc(matmul));
    const c = sch.getBlock("C");
    expectRejected(
      sch,
      () => sch.cacheRead(c, 2, "shared"),
      'cache_read: block "C" has 2 read region(s), so the buffer index must be in [0, 2), got 2 (its read buffers: 0: A, 1: B)',
    );
  });

  it("rejects caching a buffer the block does not read", () => {
    const sch = new Schedule(parsePrimFunc(matmul));
    const c = sch.getBlock("C");
    expectRejected(sch, () => sch.cacheRead(c, "C", "shared"), 'cache_read: block "C" does not read a buffer named "C" (its read buffers: 0: A, 1: B)');
  });

  it("rejects an unknown storage scope", () => {
    const sch = new Schedule(parsePrimFunc(matmul));
    const c = sch.getBlock("C");
    expectRejected(sch, () => sch.cacheRead(c, 0, "sharde"), 'cache_read: the storage scope "sharde" is invalid');
  });

  it("rejects a buffer written by several blocks of the scope", () => {
    const sch = new Schedule(parsePrimFunc(twoWriters));
    const y = sch.getBlock("Y");
    expectRejected(sch, () => sch.cacheRead(y, 0, "local"), 'the buffer A is expected to be written by a single block, but 2 blocks write it ("A0", "A1")');
  });

  it("rejects the root block", () => {
    const sch = new Schedule(parsePrimFunc(matmul));
    const root = sch.getBlock("root");
    expectRejected(sch, () => sch.cacheRead(root, 0, "shared"), "cache_read: block \"root\" has 0 read region(s)");
  });
});

describe("cache_write", () => {
  it("gives the matmul a C_global accumulator and a copy-back block (the classic CPU schedule's first step)", () => {
    const orig = parsePrimFunc(matmul);
    const sch = new Schedule(orig);
    const c = sch.getBlock("C");
    const cw = sch.cacheWrite(c, 0, "global");
    expectIR(sch, matmulCacheWriteC);
    expect(sch.get(cw).nameHint).toBe("C_global");
    expect(sch.get(c).nameHint).toBe("C");
    expect(sch.get(c).writes.map((w) => w.buffer.name)).toEqual(["C_global"]);
    expect(allocNames(sch)).toEqual(["C_global:global"]);
    expectSameResults(orig, mainOf(sch));
    expect(sch.trace.toJSONString()).toBe('[[["GetBlock",[],["C","main"],["b0"]],["CacheWrite",["b0",[]],[0,"global"],["b1"]]],[]]');
    expectReplay(sch, orig);
  });

  it("places the copy back before the first consumer inside the shared loop", () => {
    const orig = parsePrimFunc(multiConsumer);
    const sch = new Schedule(orig);
    sch.cacheWrite(sch.getBlock("A"), 0, "global");
    expectIR(sch, multiConsumerCacheWrite);
    expectSameResults(orig, mainOf(sch));
    expectReplay(sch, orig);
  });

  it("lets listed consumers read the cache directly", () => {
    const orig = parsePrimFunc(multiConsumer);
    const sch = new Schedule(orig);
    sch.cacheWrite(sch.getBlock("A"), 0, "global", [sch.getBlock("B")]);
    expectIR(sch, multiConsumerCacheWriteForB);
    expectSameResults(orig, mainOf(sch));
    expectReplay(sch, orig);
  });

  it("caches a read buffer and a written buffer of the same block (read then write)", () => {
    const orig = parsePrimFunc(matmul);
    const sch = new Schedule(orig);
    const c = sch.getBlock("C");
    sch.cacheRead(c, 1, "local");
    sch.cacheWrite(c, 0, "local");
    expect(allocNames(sch)).toEqual(["B_local:local", "C_local:local"]);
    expectSameResults(orig, mainOf(sch));
    expectReplay(sch, orig);
  });

  it("rejects a write index out of range, naming the written buffers", () => {
    const sch = new Schedule(parsePrimFunc(matmul));
    const c = sch.getBlock("C");
    expectRejected(
      sch,
      () => sch.cacheWrite(c, 1, "global"),
      'cache_write: block "C" has 1 write region(s), so the buffer index must be in [0, 1), got 1 (its write buffers: 0: C)',
    );
  });

  it("rejects a buffer that another block of the scope also writes", () => {
    const sch = new Schedule(parsePrimFunc(twoWriters));
    const a0 = sch.getBlock("A0");
    expectRejected(sch, () => sch.cacheWrite(a0, 0, "global"), "cache_write: the buffer A is expected to be written by a single block");
  });
});
