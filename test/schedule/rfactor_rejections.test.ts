import { describe, expect, it } from "vitest";
import { parsePrimFunc } from "../../src/tir/script/index.js";
import { Schedule, ScheduleError, type LoopRV } from "../../src/schedule/index.js";
import { splitMatmul, rowsumPredicate, multipleReductionBlocks, argmaxSplit } from "./rfactor_fixtures.js";

function expectRejected(sch: Schedule, loop: LoopRV, axis: number, message: RegExp): ScheduleError {
  const before = sch.mod;
  const n = sch.trace.insts.length;
  let err: unknown;
  try {
    sch.rfactor(loop, axis);
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(ScheduleError);
  expect((err as Error).message).toMatch(message);
  expect(sch.mod).toBe(before);
  expect(sch.trace.insts.length).toBe(n);
  return err as ScheduleError;
}

function rejects(text: string, block: string, loopIndex: number, axis: number, message: RegExp): ScheduleError {
  const sch = new Schedule(parsePrimFunc(text));
  return expectRejected(sch, sch.getLoops(sch.getBlock(block))[loopIndex]!, axis, message);
}

const rowsum = (init: string, update: string, opts: { loops?: string; binding?: string; out?: string } = {}) => `
@T.prim_func
def main(A: T.Buffer((128, 128), "float32"), B: T.Buffer(${opts.out ?? "(128,)"}, "float32")):
    ${opts.loops ?? "for i, k in T.grid(128, 128):"}
        with T.block("B"):
            ${opts.binding ?? 'vi, vk = T.axis.remap("SR", [i, k])'}
            with T.init():
                ${init}
            ${update}
`;

describe("rfactor rejections", () => {
  it("rejects a loop with several child blocks", () => {
    const text = `
@T.prim_func
def main(A: T.Buffer((128, 128), "float32"), B: T.Buffer((128, 128), "float32"), C: T.Buffer((128, 128), "float32"), D: T.Buffer((128, 128), "float32")):
    for k, i, j in T.grid(128, 128, 128):
        with T.block("C"):
            ck, ci, cj = T.axis.remap("RSS", [k, i, j])
            with T.init():
                C[ci, cj] = 0.0
            C[ci, cj] = C[ci, cj] + A[ci, ck] * B[ck, cj]
        with T.block("D"):
            dk, di, dj = T.axis.remap("RSS", [k, i, j])
            with T.init():
                D[di, dj] = 0.0
            D[di, dj] = D[di, dj] + B[di, dk] * A[dk, dj]
`;
    const err = rejects(text, "C", 0, 0, /rfactor: the loop k is required to have exactly one child block, but it has 2/);
    expect(err.message).toContain("^");
  });

  it("rejects a scope that is not a stage pipeline", () => {
    const text = `
@T.prim_func
def main(A: T.Buffer((256, 256), "float32"), B: T.Buffer((256, 256), "float32"), D: T.Buffer((256, 256), "float32")):
    C = T.alloc_buffer([256, 256])
    for i, j, k in T.grid(128, 128, 128):
        with T.block("C"):
            vi, vj, vk = T.axis.remap("SSR", [i, j, k])
            with T.init():
                C[vi, vj] = 0.0
            C[vi, vj] = C[vi, vj] + A[vi, vk] * B[vk, vj]
    for i, j in T.grid(256, 256):
        with T.block("D"):
            vi, vj = T.axis.remap("SS", [i, j])
            D[vi, vj] = C[vi, vj]
`;
    rejects(text, "C", 2, 0, /rfactor: the scope block "root" is not a stage pipeline/);
  });

  it("rejects a block that is not a reduction block", () => {
    const elementwise = `
@T.prim_func
def main(A: T.Buffer((128, 128), "float32"), B: T.Buffer((128, 128), "float32")):
    for i, j in T.grid(128, 128):
        with T.block("B"):
            vi, vj = T.axis.remap("SS", [i, j])
            B[vi, vj] = A[vi, vj] * 2.0
`;
    rejects(elementwise, "B", 0, 0, /rfactor: block "B" is not a reduction block: condition 1 fails: it has no init statement/);
    rejects(
      rowsum("B[vi] = 0.0", "B[vi] = B[vi] + A[vi, vk]", { loops: "for i, k in T.grid(128, 16):", binding: "vi = T.axis.S(128, i)\n            vk = T.axis.R(128, T.floordiv(k * k, 2))" }),
      "B",
      1,
      0,
      /condition 2 fails: its iter var bindings are not quasi-affine/,
    );
    rejects(
      rowsum("B[vi, vk] = 0.0", "B[vi, vk] = B[vi, vk] + A[vi, vk]", { out: "(128, 128)" }),
      "B",
      1,
      0,
      /condition 5 fails: a reduction iter var indexes the output buffer B/,
    );
  });

  it("rejects a loop that is not serial", () => {
    rejects(
      rowsum("B[vi] = 0.0", "B[vi] = B[vi] + A[vi, vk]", { loops: "for i in T.serial(0, 128):\n      for k in T.parallel(0, 128):" }),
      "B",
      1,
      0,
      /rfactor: the loop k is required to be serial, but it is parallel/,
    );
  });

  it("rejects init and update that index the buffer differently", () => {
    rejects(
      rowsum("B[vi, vk] = 0.0", "B[vk, vi] = B[vk, vi] + A[vi, vk]", { out: "(128, 128)", binding: 'vi, vk = T.axis.remap("SS", [i, k])' }).replace(
        'vi, vk = T.axis.remap("SS", [i, k])',
        'vi, vj, vk = T.axis.remap("SSR", [i, j, k])',
      ).replace("for i, k in T.grid(128, 128):", "for i, j, k in T.grid(128, 128, 128):").replace("B[vi, vk] = 0.0", "B[vi, vj] = 0.0").replace(
        "B[vk, vi] = B[vk, vi] + A[vi, vk]",
        "B[vj, vi] = B[vj, vi] + A[vi, vk]",
      ),
      "B",
      2,
      0,
      /rfactor: block "B" does not have the form of a reduction rfactor can factor \(condition 12\): every store of the reduction \(init and update\) must use the same indices/,
    );
  });

  it("rejects factor_axis out of range", () => {
    rejects(splitMatmul, "update", 4, 3, /rfactor: factor_axis 3 is out of range: the write buffer C has 2 dimension\(s\), so factor_axis must be in \[-3, 2\]/);
    rejects(splitMatmul, "update", 4, -4, /factor_axis -4 is out of range/);
    rejects(splitMatmul, "update", 4, 0.5, /rfactor: factor_axis must be an integer, got 0.5/);
  });

  it("rejects an unrecognised reducer, naming the update", () => {
    rejects(
      rowsum("B[vi] = 1.0", "B[vi] = B[vi] + A[vi, vk]"),
      "B",
      1,
      0,
      /rfactor: no commutative reducer matches the update `B\[vi\] = B\[vi\] \+ A\[vi, vk\]` with init `T.float32\(1(\.0)?\)` of block "B"/,
    );
    rejects(rowsum("B[vi] = 0.0", "B[vi] = B[vi] - A[vi, vk]"), "B", 1, 0, /no commutative reducer matches the update `B\[vi\] = B\[vi\] - A\[vi, vk\]`/);
    // The combined value reads the reduced buffer again: not a reduction of the other operand.
    rejects(rowsum("B[vi] = 0.0", "B[vi] = B[vi] + B[vi] * A[vi, vk]"), "B", 1, 0, /no commutative reducer matches the update `B\[vi\] = B\[vi\] \+ B\[vi\] \* A\[vi, vk\]`/);
  });

  it("rejects an init that is not a plain store", () => {
    rejects(
      rowsum("v_init: T.float32 = T.float32(0)\n                B[vi] = v_init", "B[vi] = B[vi] + A[vi, vk]"),
      "B",
      1,
      0,
      /condition 1\): the init must be a single BufferStore or a sequence of BufferStores/,
    );
  });

  it("rejects a block declaring writes its update does not store", () => {
    rejects(
      rowsum("B[vi] = 0.0", "B[vi] = B[vi] + A[vi, vk]").replace("            with T.init():", "            T.writes(B[vi], A[vi, 0])\n            with T.init():"),
      "B",
      1,
      0,
      /rfactor: block "B" declares a write to A, which its reduction update does not store/,
    );
  });

  it("rejects a loop bound to a data-parallel iter var", () => {
    rejects(rowsum("B[vi] = 0.0", "B[vi] = B[vi] + A[vi, vk]"), "B", 0, 0, /rfactor: the loop i must be bound to reduction iter vars only, but it feeds a data-parallel iter var of block "B"/);
  });

  it("rejects a loop touched by both kinds of iter vars", () => {
    rejects(
      rowsum("B[vi] = 0.0", "B[vi] = B[vi] + A[vi, vk]", {
        loops: "for io, ii_ko_fused, ki in T.grid(32, 128, 4):",
        binding: "vi = T.axis.S(128, io * 4 + T.floordiv(ii_ko_fused, 32))\n            vk = T.axis.R(128, T.floormod(ii_ko_fused, 32) * 4 + ki)",
      }),
      "B",
      2,
      0,
      /rfactor: the loop ii_ko_fused is touched by both data-parallel and reduction iter vars of block "B"/,
    );
  });

  it("rejects a block that is not the first child of its outermost loop", () => {
    for (const [block, index] of [["D", 2], ["D", 3], ["E", 2], ["F", 3]] as const) {
      rejects(multipleReductionBlocks, block, index, 0, new RegExp(`rfactor: block "${block}" must be the first child block of its outermost loop i`));
    }
  });

  it("rejects a loop the reduction does not iterate over", () => {
    rejects(
      rowsum("B[vi] = 0.0", "B[vi] = B[vi] + A[vi, vk]", { loops: "for t, i, k in T.grid(4, 128, 128):" }),
      "B",
      0,
      0,
      /rfactor: the loop t is not bound to any reduction iter var of block "B"/,
    );
  });

  it("rejects a predicate that could leave an rfactor slice unwritten", () => {
    rejects(
      // Only 64 of the 128 columns: the slices k_0 = 7 .. 12 would never be written.
      rowsumPredicate.replace("T.where(k_0 * 10 + k_1 < 128)", "T.where(k_0 * 10 + k_1 < 64)"),
      "B",
      1,
      1,
      /rfactor: the predicate `.*` of block "B" may skip every iteration of some rfactor slice/,
    );
  });

  it("rejects malformed multi-buffer reductions", () => {
    const variant = (from: string, to: string) => argmaxSplit.replace(from, to);
    rejects(
      variant("            argmax_v1[i] = v_argmax_v1\n", "            argmax_v1[i] = T.Select(argmax_v1[i] >= val[i, k], argmax_v1[i], val[i, k])\n").replace(
        "            v_argmax_v1: T.float32 = T.Select(argmax_v1[i] >= val[i, k], argmax_v1[i], val[i, k])\n",
        "",
      ),
      "argmax",
      2,
      1,
      /condition 3\): the body has 1 LetStmt\(s\) but the init stores 2 buffer\(s\)/,
    );
    const ints = argmaxSplit.replaceAll("float32", "int32");
    rejects(ints.replace("argmax_v1[i] = v_argmax_v1", "argmax_v0[i] = v_argmax_v1"), "argmax", 2, 1, /condition 9\): buffer argmax_v0 is stored twice/);
    rejects(ints.replace("argmax_v1[i] = v_argmax_v1", "argmax_v1[i] = v_argmax_v0"), "argmax", 2, 1, /condition 8\): the let variable v_argmax_v0 is stored twice/);
    rejects(variant("argmax_v1[i] = T.min_value(\"float32\")", "argmax_v0[i] = -1"), "argmax", 2, 1, /condition 2\): the init stores into buffer argmax_v0 twice/);
    rejects(variant("argmax_v0[i] = -1", "argmax_v0[i] = -2"), "argmax", 2, 1, /no commutative reducer matches the update/);
  });
});
