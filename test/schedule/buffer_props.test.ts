import { describe, expect, it } from "vitest";
import { parsePrimFunc } from "../../src/tir/script/index.js";
import { Schedule } from "../../src/schedule/index.js";
import { allocNames, expectIR, expectRejected, expectReplay, expectSameResults, mainOf } from "./cache_layout_helpers.js";

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

// TVM's element_wise_set_scope: the buffer moves to shared memory and is renamed B_shared.
const elementwiseShared = `
@T.prim_func
def main(A: T.Buffer((32, 32), "float32"), C: T.Buffer((32, 32), "float32")):
    B_shared = T.alloc_buffer((32, 32), scope="shared")
    for i, j in T.grid(32, 32):
        with T.block("B"):
            vi, vj = T.axis.remap("SS", [i, j])
            B_shared[vi, vj] = A[vi, vj] * T.float32(2)
    for i, j in T.grid(32, 32):
        with T.block("C"):
            vi, vj = T.axis.remap("SS", [i, j])
            C[vi, vj] = B_shared[vi, vj] + T.float32(1)
`;

// match_buffer views of B follow it into the new scope (TVM's element_wise_subregion_match_set_scope).
const subregion = `
@T.prim_func
def main(A: T.Buffer((16, 16), "float32"), C: T.Buffer((16, 16), "float32")):
    B = T.alloc_buffer((16, 16))
    for i, j in T.grid(16, 16):
        with T.block("B"):
            vi, vj = T.axis.remap("SS", [i, j])
            B_sub0 = T.match_buffer(B[vi, vj], (1,), offset_factor=1)
            B_sub0[0] = A[vi, vj] * T.float32(2)
    for i, j in T.grid(16, 16):
        with T.block("C"):
            vi, vj = T.axis.remap("SS", [i, j])
            B_sub1 = T.match_buffer(B[vi, vj], (1,), offset_factor=1)
            C[vi, vj] = B_sub1[0] + T.float32(1)
`;

const subregionShared = `
@T.prim_func
def main(A: T.Buffer((16, 16), "float32"), C: T.Buffer((16, 16), "float32")):
    B_shared = T.alloc_buffer((16, 16), scope="shared")
    for i, j in T.grid(16, 16):
        with T.block("B"):
            vi, vj = T.axis.remap("SS", [i, j])
            B_sub0 = T.match_buffer(B_shared[vi, vj], (1,), scope="shared", offset_factor=1)
            B_sub0[0] = A[vi, vj] * T.float32(2)
    for i, j in T.grid(16, 16):
        with T.block("C"):
            vi, vj = T.axis.remap("SS", [i, j])
            B_sub1 = T.match_buffer(B_shared[vi, vj], (1,), scope="shared", offset_factor=1)
            C[vi, vj] = B_sub1[0] + T.float32(1)
`;

const elementwiseAligned = `
@T.prim_func
def main(A: T.Buffer((32, 32), "float32"), C: T.Buffer((32, 32), "float32")):
    B = T.alloc_buffer((32, 32))
    for i, j in T.grid(32, 32):
        with T.block("B"):
            vi, vj = T.axis.remap("SS", [i, j])
            T.block_attr({"buffer_dim_align": [[0, 0, 16, 15]]})
            B[vi, vj] = A[vi, vj] * T.float32(2)
    for i, j in T.grid(32, 32):
        with T.block("C"):
            vi, vj = T.axis.remap("SS", [i, j])
            C[vi, vj] = B[vi, vj] + T.float32(1)
`;

describe("set_scope", () => {
  it("moves an intermediate buffer into shared memory (TVM's element_wise_set_scope)", () => {
    const orig = parsePrimFunc(elementwise);
    const sch = new Schedule(orig);
    const b = sch.getBlock("B");
    sch.setScope(b, 0, "shared");
    expectIR(sch, elementwiseShared);
    expect(allocNames(sch)).toEqual(["B_shared:shared"]);
    expect(sch.get(sch.getBlock("C")).reads[0]!.buffer.name).toBe("B_shared");
    expectSameResults(orig, mainOf(sch));
    expect(sch.trace.toJSONString()).toContain('["SetScope",["b0"],[0,"shared"],[]]');
    expect(sch.trace.toTypeScript()).toContain('sch.setScope(b0, 0, "shared");');
    expectReplay(sch, orig);
  });

  it("takes match_buffer views of the buffer along", () => {
    const orig = parsePrimFunc(subregion);
    const sch = new Schedule(orig);
    sch.setScope(sch.getBlock("B"), 0, "shared");
    expectIR(sch, subregionShared);
    expectSameResults(orig, mainOf(sch));
  });

  it("changes nothing for the scope the buffer already has, but records the call", () => {
    const sch = new Schedule(parsePrimFunc(elementwise));
    const before = sch.mod;
    sch.setScope(sch.getBlock("B"), 0, "global");
    expect(sch.mod).toBe(before);
    expect(sch.trace.toJSONString()).toContain('["SetScope",["b0"],[0,"global"],[]]');
  });

  it("rejects a function parameter", () => {
    const sch = new Schedule(parsePrimFunc(elementwise));
    const c = sch.getBlock("C");
    expectRejected(sch, () => sch.setScope(c, 0, "shared"), "set_scope: the buffer C is not allocated by a block: it is a parameter of the function");
  });

  it("rejects an unknown scope", () => {
    const sch = new Schedule(parsePrimFunc(elementwise));
    const b = sch.getBlock("B");
    expectRejected(sch, () => sch.setScope(b, 0, "register"), "set_scope: the storage scope \"register\" is invalid");
  });
});

describe("storage_align", () => {
  it("records the buffer_dim_align annotation on the writing block", () => {
    const orig = parsePrimFunc(elementwise);
    const sch = new Schedule(orig);
    const b = sch.getBlock("B");
    sch.storageAlign(b, 0, 0, 16, 15);
    expectIR(sch, elementwiseAligned);
    expect(sch.trace.toJSONString()).toContain('["StorageAlign",["b0"],[0,0,16,15],[]]');
    expect(sch.trace.toTypeScript()).toContain("sch.storageAlign(b0, 0, 0, 16, 15);");
    expectReplay(sch, orig);
  });

  it("replaces the entry of the same buffer and axis, appends others, and normalises negative axes", () => {
    const sch = new Schedule(parsePrimFunc(elementwise));
    const b = sch.getBlock("B");
    sch.storageAlign(b, 0, 0, 32, 1);
    sch.storageAlign(b, 0, -1, 8, 2);
    sch.storageAlign(b, 0, 0, 16, 15);
    expect(sch.get(b).annotations["buffer_dim_align"]).toEqual([[0, 0, 16, 15], [0, 1, 8, 2]]);
    // The trace keeps the axis as given.
    expect(sch.trace.toJSONString()).toContain('["StorageAlign",["b0"],[0,-1,8,2],[]]');
  });

  it("rejects a factor that is not positive", () => {
    const sch = new Schedule(parsePrimFunc(elementwise));
    const b = sch.getBlock("B");
    expectRejected(sch, () => sch.storageAlign(b, 0, 0, 0, 1), "storage_align: the factor must be a positive integer, got 0");
  });

  it("rejects an axis out of range", () => {
    const sch = new Schedule(parsePrimFunc(elementwise));
    const b = sch.getBlock("B");
    expectRejected(sch, () => sch.storageAlign(b, 0, 2, 16, 1), "storage_align: buffer B has 2 dimension(s), so the axis must be in [-2, 2), got 2");
  });

  it("rejects a buffer the block writes but does not allocate", () => {
    const sch = new Schedule(parsePrimFunc(elementwise));
    const c = sch.getBlock("C");
    expectRejected(sch, () => sch.storageAlign(c, 0, 0, 16, 1), "storage_align: the buffer C is not allocated by a block");
  });

  it("rejects a malformed existing annotation", () => {
    const sch = new Schedule(parsePrimFunc(elementwise));
    const b = sch.getBlock("B");
    sch.annotate(b, "buffer_dim_align", [1, 2]);
    expectRejected(sch, () => sch.storageAlign(b, 0, 0, 16, 1), 'storage_align: the block annotation "buffer_dim_align" of block "B" is [1,2]');
  });
});
