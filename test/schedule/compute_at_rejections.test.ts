import { describe, it } from "vitest";
import { Schedule } from "../../src/schedule/index.js";
import { twoConsumers, twoElementwise, withUnrelated } from "./compute_fixtures.js";
import { expectRejected, parsePrimFunc } from "./compute_test_utils.js";

describe("computeAt / reverseComputeAt rejections", () => {
  it("rejects a loop that is not above every consumer", () => {
    const sch = new Schedule(parsePrimFunc(twoConsumers));
    const loop = sch.getLoops(sch.getBlock("C"))[0]!;
    const blk = sch.getBlock("B");
    expectRejected(
      sch,
      () => sch.computeAt(blk, loop),
      /compute_at: loop i is not an ancestor of every consumer of block "B": 1 of its consumers \("C", "D"\) lie outside it/,
    );
  });

  it("rejects a loop of the block itself", () => {
    const sch = new Schedule(parsePrimFunc(twoElementwise));
    const b = sch.getBlock("B");
    const loop = sch.getLoops(b)[0]!;
    expectRejected(sch, () => sch.computeAt(b, loop), /compute_at: loop i is an ancestor of block "B"; the target loop must be a loop of its consumers/);
  });

  it("rejects an output block", () => {
    const sch = new Schedule(parsePrimFunc(twoElementwise));
    const loop = sch.getLoops(sch.getBlock("B"))[0]!;
    const blk = sch.getBlock("C");
    expectRejected(
      sch,
      () => sch.computeAt(blk, loop),
      /compute_at: block "C" is an output block: it writes buffer C, which its scope block "root" does not allocate/,
    );
  });

  it("rejects a loop in another block scope", () => {
    const sch = new Schedule(
      parsePrimFunc(`
@T.prim_func
def main(A: T.Buffer((4, 8), "float32"), C: T.Buffer((4, 8), "float32")):
    B = T.alloc_buffer((4, 8))
    for i, j in T.grid(4, 8):
        with T.block("B"):
            vi, vj = T.axis.remap("SS", [i, j])
            B[vi, vj] = A[vi, vj] + T.float32(1)
    for i in range(4):
        with T.block("outer"):
            vi = T.axis.spatial(4, i)
            for j in range(8):
                with T.block("C"):
                    vj = T.axis.spatial(8, j)
                    C[vi, vj] = B[vi, vj] * T.float32(2)
`),
    );
    const inner = sch.getLoops(sch.getBlock("C"))[0]!;
    const blk = sch.getBlock("B");
    expectRejected(sch, () => sch.computeAt(blk, inner), /compute_at: block "B" and loop j are not in the same block scope/);
  });

  it("rejects a block that is neither complete nor a reduction", () => {
    const sch = new Schedule(
      parsePrimFunc(`
@T.prim_func
def main(A: T.Buffer((16, 4), "float32"), C: T.Buffer((16,), "float32")):
    B = T.alloc_buffer((16,))
    for i, k in T.grid(16, 4):
        with T.block("B"):
            vi, vk = T.axis.remap("SR", [i, k])
            B[vi] = A[vi, vk]
    for i in range(16):
        with T.block("C"):
            vi = T.axis.spatial(16, i)
            C[vi] = B[vi]
`),
    );
    const loop = sch.getLoops(sch.getBlock("C"))[0]!;
    const blk = sch.getBlock("B");
    expectRejected(
      sch,
      () => sch.computeAt(blk, loop),
      /compute_at: block "B" is neither a complete block \(iter var vk is not data parallel \(it is CommReduce\)\) nor a reduction block \(it has no init statement\)/,
    );
  });

  it("rejects a scope with a write-after-read dependency", () => {
    const sch = new Schedule(
      parsePrimFunc(`
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
`),
    );
    const loop = sch.getLoops(sch.getBlock("C"))[0]!;
    const blk = sch.getBlock("B");
    expectRejected(
      sch,
      () => sch.computeAt(blk, loop),
      /compute_at: the scope block "root" is not a stage pipeline: block "B2" writes buffer B after block "C" read it/,
    );
  });

  it("rejects a scope where a consumer reads more than is produced (region cover)", () => {
    const sch = new Schedule(
      parsePrimFunc(`
@T.prim_func
def main(A: T.Buffer((32,), "float32"), C: T.Buffer((32,), "float32")):
    B = T.alloc_buffer((32,))
    for i in range(16):
        with T.block("B"):
            vi = T.axis.spatial(16, i)
            B[vi] = A[vi]
    for i in range(32):
        with T.block("C"):
            vi = T.axis.spatial(32, i)
            C[vi] = B[vi]
`),
    );
    const loop = sch.getLoops(sch.getBlock("C"))[0]!;
    const blk = sch.getBlock("B");
    expectRejected(
      sch,
      () => sch.computeAt(blk, loop),
      /compute_at: the scope block "root" is not a stage pipeline: block "C" reads a region its producers do not fully write/,
    );
  });

  it("rejects an index outside the valid positions", () => {
    const sch = new Schedule(parsePrimFunc(withUnrelated));
    const loop = sch.getLoops(sch.getBlock("C"))[0]!;
    const b = sch.getBlock("B");
    expectRejected(sch, () => sch.computeAt(b, loop, { index: 2 }), /compute_at: index 2 is not a valid position under loop i: use -1 \(last valid\), -2 \(first valid\) or a position in \[0, 1\]/);
    expectRejected(sch, () => sch.computeAt(b, loop, { index: -3 }), /index -3 is not a valid position/);
    expectRejected(sch, () => sch.computeAt(b, loop, { index: 1.5 }), /ScheduleError: compute_at: index must be an integer, got 1.5$/);
  });

  it("rejects a producer whose write index has no solvable form", () => {
    const sch = new Schedule(
      parsePrimFunc(`
@T.prim_func
def main(A: T.Buffer((64,), "float32"), C: T.Buffer((32,), "float32")):
    B = T.alloc_buffer((64,))
    for i in range(32):
        with T.block("B"):
            vi = T.axis.spatial(32, i)
            B[vi * 2 + 1] = A[vi]
    for i in range(32):
        with T.block("C"):
            vi = T.axis.spatial(32, i)
            C[vi] = B[vi * 2 + 1]
`),
    );
    const loop = sch.getLoops(sch.getBlock("C"))[0]!;
    const blk = sch.getBlock("B");
    expectRejected(
      sch,
      () => sch.computeAt(blk, loop),
      /compute_at: cannot work out the loops block "B" needs under loop i: dimension 0 of buffer B is accessed at vi \* 2 \+ 1, which is not of a form/,
    );
  });

  it("reverse_compute_at rejects a loop that is not above every producer", () => {
    const sch = new Schedule(
      parsePrimFunc(`
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
`),
    );
    const loop = sch.getLoops(sch.getBlock("B"))[0]!;
    const blk = sch.getBlock("D");
    expectRejected(
      sch,
      () => sch.reverseComputeAt(blk, loop),
      /reverse_compute_at: loop i is not an ancestor of every producer of block "D": 1 of its producers \("B", "C"\) lie outside it/,
    );
  });

  it("rejects the root block", () => {
    const sch = new Schedule(parsePrimFunc(twoElementwise));
    const root = sch.getBlock("root");
    const loop = sch.getLoops(sch.getBlock("C"))[0]!;
    expectRejected(sch, () => sch.computeAt(root, loop), /compute_at: block "root" is the root block of its function; it has no enclosing scope/);
    expectRejected(sch, () => sch.reverseComputeAt(root, loop), /reverse_compute_at: block "root" is the root block/);
  });

  it("rejects a removed loop and a wrong RV kind", () => {
    const sch = new Schedule(parsePrimFunc(twoElementwise));
    const b = sch.getBlock("B");
    const c = sch.getBlock("C");
    expectRejected(sch, () => sch.computeAt(b, c as never), /compute_at: expected a loop \(LoopRV\), got BlockRV/);
  });
});
