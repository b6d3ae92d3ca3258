import { describe, expect, it } from "vitest";
import { parsePrimFunc } from "../../src/tir/script/index.js";
import { Schedule } from "../../src/schedule/index.js";
import { expectIR, expectRejected, expectReplay, expectSameResults, mainOf } from "./cache_layout_helpers.js";

// TVM's test_1d_decompose_padding.
const pad1d = `
@T.prim_func
def main(x: T.Buffer((128,), "int32"), y: T.Buffer((140,), "int32")):
    for i in range(140):
        with T.block("block"):
            vi = T.axis.spatial(140, i)
            y[vi] = T.if_then_else(vi >= 6 and vi < 134, x[vi - 6], 0)
`;

const pad1dDecomposed = `
@T.prim_func
def main(x: T.Buffer((128,), "int32"), y: T.Buffer((140,), "int32")):
    for i in range(140):
        with T.block("block_pad_const"):
            vi = T.axis.spatial(140, i)
            T.reads()
            y[vi] = 0
    for i in range(128):
        with T.block("block"):
            vi = T.axis.spatial(128, i)
            y[vi + 6] = x[vi]
`;

// TVM's test_2d_pad.
const pad2d = `
@T.prim_func
def main(x: T.Buffer((56, 56), "float32"), y: T.Buffer((64, 64), "float32")):
    for i, j in T.grid(64, 64):
        with T.block("block"):
            vi, vj = T.axis.remap("SS", [i, j])
            y[vi, vj] = T.if_then_else(4 <= vi and vi < 60 and 4 <= vj and vj < 60, x[vi - 4, vj - 4], T.float32(0))
`;

const pad2dOuter = `
@T.prim_func
def main(x: T.Buffer((56, 56), "float32"), y: T.Buffer((64, 64), "float32")):
    for i, j in T.grid(64, 64):
        with T.block("block_pad_const"):
            vi, vj = T.axis.remap("SS", [i, j])
            T.reads()
            y[vi, vj] = T.float32(0)
    for i, j in T.grid(56, 56):
        with T.block("block"):
            vi, vj = T.axis.remap("SS", [i, j])
            y[vi + 4, vj + 4] = x[vi, vj]
`;

// Decomposed at the inner loop: the row loop stays whole and the in-bound part keeps its row predicate.
const pad2dInner = `
@T.prim_func
def main(x: T.Buffer((56, 56), "float32"), y: T.Buffer((64, 64), "float32")):
    for i in range(64):
        for j in range(64):
            with T.block("block_pad_const"):
                vi, vj = T.axis.remap("SS", [i, j])
                T.reads()
                y[vi, vj] = T.float32(0)
        for j in range(56):
            with T.block("block"):
                vi = T.axis.spatial(56, i - 4)
                vj = T.axis.spatial(56, j)
                T.where(4 <= i and i < 60)
                y[vi + 4, vj + 4] = x[vi, vj]
`;

const plainCopy = `
@T.prim_func
def main(x: T.Buffer((16,), "float32"), y: T.Buffer((16,), "float32")):
    for i in range(16):
        with T.block("block"):
            vi = T.axis.spatial(16, i)
            y[vi] = x[vi]
`;

const twoNests = `
@T.prim_func
def main(x: T.Buffer((8,), "float32"), y: T.Buffer((10,), "float32"), z: T.Buffer((4,), "float32")):
    for k in range(4):
        with T.block("other"):
            vk = T.axis.spatial(4, k)
            z[vk] = T.float32(1)
    for i in range(10):
        with T.block("block"):
            vi = T.axis.spatial(10, i)
            y[vi] = T.if_then_else(1 <= vi and vi < 9, x[vi - 1], T.float32(0))
`;

const reduction = `
@T.prim_func
def main(x: T.Buffer((8,), "float32"), y: T.Buffer((10,), "float32")):
    for i, k in T.grid(10, 2):
        with T.block("block"):
            vi, vk = T.axis.remap("SR", [i, k])
            y[vi] = T.if_then_else(1 <= vi and vi < 9, x[vi - 1], T.float32(0))
`;

const noPadding = `
@T.prim_func
def main(x: T.Buffer((16,), "float32"), y: T.Buffer((16,), "float32")):
    for i in range(16):
        with T.block("block"):
            vi = T.axis.spatial(16, i)
            y[vi] = T.if_then_else(vi < 20, x[vi], T.float32(0))
`;

describe("decompose_padding", () => {
  it("splits a 1-D padding block into a constant fill and the in-bound copy (TVM's test)", () => {
    const orig = parsePrimFunc(pad1d);
    const sch = new Schedule(orig);
    const b = sch.getBlock("block");
    const [i] = sch.getLoops(b);
    const c = sch.decomposePadding(b, i!);
    expectIR(sch, pad1dDecomposed);
    expect(sch.get(c).nameHint).toBe("block_pad_const");
    expect(sch.get(b).nameHint).toBe("block");
    expectSameResults(orig, mainOf(sch));
    expect(sch.trace.toJSONString()).toContain('["DecomposePadding",["b0","l1"],[],["b2"]]');
    expect(sch.trace.toTypeScript()).toContain("const b2 = sch.decomposePadding(b0, l1);");
    expectReplay(sch, orig);
  });

  it("decomposes a 2-D pad at the outer loop", () => {
    const orig = parsePrimFunc(pad2d);
    const sch = new Schedule(orig);
    const b = sch.getBlock("block");
    sch.decomposePadding(b, sch.getLoops(b)[0]!);
    expectIR(sch, pad2dOuter);
    expectSameResults(orig, mainOf(sch));
    expectReplay(sch, orig);
  });

  it("decomposes a 2-D pad at the inner loop, keeping the row condition", () => {
    const orig = parsePrimFunc(pad2d);
    const sch = new Schedule(orig);
    const b = sch.getBlock("block");
    sch.decomposePadding(b, sch.getLoops(b)[1]!);
    expectIR(sch, pad2dInner);
    expectSameResults(orig, mainOf(sch));
    expectReplay(sch, orig);
  });

  it("rejects a block that does not pad", () => {
    const sch = new Schedule(parsePrimFunc(plainCopy));
    const b = sch.getBlock("block");
    const [i] = sch.getLoops(b);
    expectRejected(
      sch,
      () => sch.decomposePadding(b, i!),
      'decompose_padding: block "block" does not match the padding pattern: the stored value must be T.if_then_else(<in-bound predicate>, <value>, <pad value>)',
    );
  });

  it("rejects a block that is not complete (it has a reduction iter)", () => {
    const sch = new Schedule(parsePrimFunc(reduction));
    const b = sch.getBlock("block");
    const [i] = sch.getLoops(b);
    expectRejected(sch, () => sch.decomposePadding(b, i!), 'decompose_padding: block "block" is not a complete block: it has non-spatial iter vars');
  });

  it("rejects a predicate that is always true", () => {
    const sch = new Schedule(parsePrimFunc(noPadding));
    const b = sch.getBlock("block");
    const [i] = sch.getLoops(b);
    expectRejected(sch, () => sch.decomposePadding(b, i!), "the in-bound predicate is always true, so there is no padding");
  });

  it("rejects a loop that is not above the block", () => {
    const sch = new Schedule(parsePrimFunc(twoNests));
    const b = sch.getBlock("block");
    const [k] = sch.getLoops(sch.getBlock("other"));
    expectRejected(sch, () => sch.decomposePadding(b, k!), 'decompose_padding: loop k is not an ancestor of block "block"');
  });
});
