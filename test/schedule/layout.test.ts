import { describe, expect, it } from "vitest";
import { parsePrimFunc } from "../../src/tir/script/index.js";
import { structuralEqual } from "../../src/ir/structural.js";
import * as E from "../../src/ir/expr_ops.js";
import { IntImm } from "../../src/ir/expr.js";
import { int32 } from "../../src/ir/dtype.js";
import { IndexMap, Schedule, Trace } from "../../src/schedule/index.js";
import { expectIR, expectRejected, expectReplay, expectSameResults, mainOf } from "./cache_layout_helpers.js";

const elementwise = `
@T.prim_func
def main(A: T.Buffer((32, 16), "float32"), C: T.Buffer((32, 16), "float32")):
    B = T.alloc_buffer((32, 16))
    for i, j in T.grid(32, 16):
        with T.block("B"):
            vi, vj = T.axis.remap("SS", [i, j])
            B[vi, vj] = A[vi, vj] * T.float32(2)
    for i, j in T.grid(32, 16):
        with T.block("C"):
            vi, vj = T.axis.remap("SS", [i, j])
            C[vi, vj] = B[vi, vj] + T.float32(1)
`;

// A parameter transposed: its buffer_map entry and every access change.
const transposedA = `
@T.prim_func
def main(A: T.Buffer((16, 32), "float32"), C: T.Buffer((32, 16), "float32")):
    B = T.alloc_buffer((32, 16))
    for i, j in T.grid(32, 16):
        with T.block("B"):
            vi, vj = T.axis.remap("SS", [i, j])
            B[vi, vj] = A[vj, vi] * T.float32(2)
    for i, j in T.grid(32, 16):
        with T.block("C"):
            vi, vj = T.axis.remap("SS", [i, j])
            C[vi, vj] = B[vi, vj] + T.float32(1)
`;

// An intermediate buffer packed: 16-element rows of i become the innermost dimension.
const packedB = `
@T.prim_func
def main(A: T.Buffer((32, 16), "float32"), C: T.Buffer((32, 16), "float32")):
    B = T.alloc_buffer((2, 16, 16))
    for i, j in T.grid(32, 16):
        with T.block("B"):
            vi, vj = T.axis.remap("SS", [i, j])
            B[vi // 16, vj, vi % 16] = A[vi, vj] * T.float32(2)
    for i, j in T.grid(32, 16):
        with T.block("C"):
            vi, vj = T.axis.remap("SS", [i, j])
            C[vi, vj] = B[vi // 16, vj, vi % 16] + T.float32(1)
`;

const chain14 = `
@T.prim_func
def main(A: T.Buffer((14,), "float32"), C: T.Buffer((14,), "float32")):
    B = T.alloc_buffer((14,))
    for i in range(14):
        with T.block("B"):
            vi = T.axis.spatial(14, i)
            B[vi] = A[vi] * T.float32(2)
    for i in range(14):
        with T.block("C"):
            vi = T.axis.spatial(14, i)
            C[vi] = B[vi] + T.float32(1)
`;

// TVM's TestPaddedTransformIfThenElse: the row-major writer now walks the padded layout and
// stores the pad value into the padding (weft's padding predicate is written 14 <= ...).
const chain14Padded = `
@T.prim_func
def main(A: T.Buffer((14,), "float32"), C: T.Buffer((14,), "float32")):
    B = T.alloc_buffer((4, 4))
    for axis0, axis1 in T.grid(4, 4):
        with T.block("B"):
            v_axis0, v_axis1 = T.axis.remap("SS", [axis0, axis1])
            B[v_axis0, v_axis1] = T.if_then_else(14 <= v_axis0 * 4 + v_axis1, T.float32(0), A[v_axis0 * 4 + v_axis1] * T.float32(2))
    for i in range(14):
        with T.block("C"):
            vi = T.axis.spatial(14, i)
            C[vi] = B[vi // 4, vi % 4] + T.float32(1)
`;

// An input with padding: nothing writes it, so the padding is only assumed to hold the value.
const chain14PaddedInput = `
@T.prim_func
def main(A: T.Buffer((4, 4), "float32"), C: T.Buffer((14,), "float32")):
    B = T.alloc_buffer((14,))
    for axis0, axis1 in T.grid(4, 4):
        with T.block("buffer_A_assumptions"):
            v_axis0, v_axis1 = T.axis.remap("SS", [axis0, axis1])
            T.reads(A[v_axis0, v_axis1])
            T.writes()
            T.assume(not 14 <= v_axis0 * 4 + v_axis1 or A[v_axis0, v_axis1] == T.float32(0))
    for i in range(14):
        with T.block("B"):
            vi = T.axis.spatial(14, i)
            B[vi] = A[vi // 4, vi % 4] * T.float32(2)
    for i in range(14):
        with T.block("C"):
            vi = T.axis.spatial(14, i)
            C[vi] = B[vi] + T.float32(1)
`;

const columnMajorWriter = `
@T.prim_func
def main(A: T.Buffer((4, 14), "float32"), C: T.Buffer((4, 14), "float32")):
    B = T.alloc_buffer((4, 14))
    for j, i in T.grid(14, 4):
        with T.block("B"):
            vi, vj = T.axis.remap("SS", [i, j])
            B[vi, vj] = A[vi, vj] * T.float32(2)
    for i, j in T.grid(4, 14):
        with T.block("C"):
            vi, vj = T.axis.remap("SS", [i, j])
            C[vi, vj] = B[vi, vj] + T.float32(1)
`;

// The writer does not walk B row-major, so a separate block fills the padding afterwards.
const columnMajorPadded = `
@T.prim_func
def main(A: T.Buffer((4, 14), "float32"), C: T.Buffer((4, 14), "float32")):
    B = T.alloc_buffer((4, 4, 4))
    for j, i in T.grid(14, 4):
        with T.block("B"):
            vi, vj = T.axis.remap("SS", [i, j])
            B[vi, vj // 4, vj % 4] = A[vi, vj] * T.float32(2)
    for axis0, axis1, axis2 in T.grid(4, 4, 4):
        with T.block("buffer_B_padding"):
            v_axis0, v_axis1, v_axis2 = T.axis.remap("SSS", [axis0, axis1, axis2])
            T.where(14 <= axis1 * 4 + axis2)
            T.reads()
            B[v_axis0, v_axis1, v_axis2] = T.float32(-1)
    for i, j in T.grid(4, 14):
        with T.block("C"):
            vi, vj = T.axis.remap("SS", [i, j])
            C[vi, vj] = B[vi, vj // 4, vj % 4] + T.float32(1)
`;

const subregion = `
@T.prim_func
def main(A: T.Buffer((16, 16), "float32"), C: T.Buffer((16, 16), "float32")):
    B = T.alloc_buffer((16, 16))
    for i, j in T.grid(16, 16):
        with T.block("B"):
            vi, vj = T.axis.remap("SS", [i, j])
            B[vi, vj] = A[vi, vj] * T.float32(2)
    for i, j in T.grid(16, 16):
        with T.block("C"):
            vi, vj = T.axis.remap("SS", [i, j])
            B_sub = T.match_buffer(B[vi, vj], (1,), offset_factor=1)
            C[vi, vj] = B_sub[0] + T.float32(1)
`;

const transpose = (idx: number[]) => [idx[1]!, idx[0]!];

describe("transform_layout", () => {
  it("transposes a parameter given a TS function, and the lambda text gives the same module", () => {
    const orig = parsePrimFunc(elementwise);
    const sch = new Schedule(orig);
    const b = sch.getBlock("B");
    sch.transformLayout(b, ["read", 0], (i, j) => [j, i]);
    expectIR(sch, transposedA);
    expect(mainOf(sch).buffer("A")!.shape.map(String)).toEqual(["16", "32"]);
    expectSameResults(orig, mainOf(sch), { A: transpose });

    const viaText = new Schedule(orig);
    viaText.transformLayout(viaText.getBlock("B"), ["read", 0], "lambda i, j: (j, i)");
    expect(structuralEqual(viaText.mod, sch.mod)).toBe(true);
    expect(viaText.trace.toJSONString()).toBe(sch.trace.toJSONString());
    expect(sch.trace.toJSONString()).toBe('[[["GetBlock",[],["B","main"],["b0"]],["TransformLayout",["b0","lambda i, j: (j, i)"],[0,0,null,false],[]]],[]]');
    expect(sch.trace.toTypeScript()).toContain('sch.transformLayout(b0, ["read", 0], "lambda i, j: (j, i)");');
    expectReplay(sch, orig);
  });

  it("packs an intermediate buffer with lambda i, j: (i // 16, j, i % 16)", () => {
    const orig = parsePrimFunc(elementwise);
    const sch = new Schedule(orig);
    const b = sch.getBlock("B");
    sch.transformLayout(b, ["write", 0], "lambda i, j: (i // 16, j, i % 16)");
    expectIR(sch, packedB);
    expect(sch.get(b).writes[0]!.buffer.shape.map(String)).toEqual(["2", "16", "16"]);
    expectSameResults(orig, mainOf(sch));
    expectReplay(sch, orig);
  });

  it("accepts an IndexMap object and a buffer name, and the same map on the consumer side", () => {
    const orig = parsePrimFunc(elementwise);
    const sch = new Schedule(orig);
    sch.transformLayout(sch.getBlock("C"), "B", IndexMap.fromFunc((i, j) => [E.floordiv(i, 16), j, E.floormod(i, 16)]));
    expectIR(sch, packedB);
    // Named from the consumer, the buffer is read index 0 there.
    expect(sch.trace.toJSONString()).toContain('["TransformLayout",["b0","lambda i, j: (i // 16, j, i % 16)"],[0,0,null,false],[]]');
  });

  it("re-lays out an output parameter; results agree through the same map", () => {
    const orig = parsePrimFunc(elementwise);
    const sch = new Schedule(orig);
    sch.transformLayout(sch.getBlock("C"), ["write", 0], "lambda i, j: (j // 4, i, j % 4)");
    expect(mainOf(sch).buffer("C")!.shape.map(String)).toEqual(["4", "32", "4"]);
    expectSameResults(orig, mainOf(sch), { C: ([i, j]) => [Math.floor(j! / 4), i!, j! % 4] });
    expectReplay(sch, orig);
  });

  it("fills padding through the row-major writer (TVM's TestPaddedTransformIfThenElse)", () => {
    const orig = parsePrimFunc(chain14);
    const sch = new Schedule(orig);
    sch.transformLayout(sch.getBlock("B"), ["write", 0], "lambda i: (i // 4, i % 4)", { padValue: 0 });
    expectIR(sch, chain14Padded);
    expectSameResults(orig, mainOf(sch));
    expect(sch.trace.toJSONString()).toContain(
      '["TransformLayout",["b0","lambda i: (i // 4, i % 4)"],[0,1,"lambda i0, i1: (T.float32(0.0),)",false],[]]',
    );
    expectReplay(sch, orig);
  });

  it("adds a padding block after a writer that does not walk the buffer row-major", () => {
    const orig = parsePrimFunc(columnMajorWriter);
    const sch = new Schedule(orig);
    sch.transformLayout(sch.getBlock("B"), ["write", 0], "lambda i, j: (i, j // 4, j % 4)", { padValue: -1 });
    expectIR(sch, columnMajorPadded);
    expectSameResults(orig, mainOf(sch));
    expectReplay(sch, orig);
  });

  it("assumes the pad value in the padding of an input", () => {
    const orig = parsePrimFunc(chain14);
    const sch = new Schedule(orig);
    sch.transformLayout(sch.getBlock("B"), ["read", 0], "lambda i: (i // 4, i % 4)", { padValue: (_i, _j) => E.constant(0, "float32") });
    expectIR(sch, chain14PaddedInput);
    // The caller provides A in the new layout (zeros in its padding, which the assumption states).
    expectSameResults(orig, mainOf(sch), { A: ([i]) => [Math.floor(i! / 4), i! % 4] });
    expectReplay(sch, orig);
  });

  it("skips the analysis when told the map is injective", () => {
    const sch = new Schedule(parsePrimFunc(chain14));
    sch.transformLayout(sch.getBlock("B"), ["write", 0], "lambda i: (i * 2,)", { assumeInjectiveTransform: true });
    expect(sch.get(sch.getBlock("B")).writes[0]!.buffer.shape.map(String)).toEqual(["28"]);
    expect(sch.trace.toJSONString()).toContain('[0,1,null,true]');
  });

  it("replays a trace whose index map and pad value are lambda text", () => {
    const json =
      '[[["GetBlock",[],["B","main"],["b0"]],' +
      '["TransformLayout",["b0","lambda i: (i // 4, i % 4)"],[0,1,"lambda i0, i1: (T.float32(0),)",false],[]]],[]]';
    const sch = new Schedule(parsePrimFunc(chain14));
    Trace.fromJSON(json).applyTo(sch);
    expectIR(sch, chain14Padded);
  });

  it("rejects a map that is not bijective", () => {
    const sch = new Schedule(parsePrimFunc(elementwise));
    const b = sch.getBlock("B");
    expectRejected(sch, () => sch.transformLayout(b, ["write", 0], "lambda i, j: (i, i)"), "transform_layout: the index map lambda i, j: (i, i) is not bijective on buffer B of shape (32, 16)");
  });

  it("rejects padding without a pad value", () => {
    const sch = new Schedule(parsePrimFunc(chain14));
    const b = sch.getBlock("B");
    expectRejected(
      sch,
      () => sch.transformLayout(b, ["write", 0], "lambda i: (i // 4, i % 4)"),
      "transform_layout: the transformation lambda i: (i // 4, i % 4) of buffer B of shape (14) gives shape (4, 4), which introduces padding wherever 14 <= axis0 * 4 + axis1; pass padValue to fill it",
    );
  });

  it("rejects a map whose arity does not match the buffer", () => {
    const sch = new Schedule(parsePrimFunc(elementwise));
    const b = sch.getBlock("B");
    expectRejected(sch, () => sch.transformLayout(b, ["write", 0], "lambda i: (i,)"), "transform_layout: the index map lambda i: (i,) takes 1 indices but buffer B has 2 dimension(s)");
  });

  it("rejects a pad value of the wrong type", () => {
    const sch = new Schedule(parsePrimFunc(chain14));
    const b = sch.getBlock("B");
    expectRejected(
      sch,
      () => sch.transformLayout(b, ["write", 0], "lambda i: (i // 4, i % 4)", { padValue: new IntImm(int32, 0) }),
      "transform_layout: type mismatch: buffer B holds float32 but the pad value 0 is int32",
    );
  });

  it("rejects a buffer with match_buffer views", () => {
    const sch = new Schedule(parsePrimFunc(subregion));
    const b = sch.getBlock("B");
    expectRejected(sch, () => sch.transformLayout(b, ["write", 0], "lambda i, j: (j, i)"), 'transform_layout: block "C" views buffer B through match_buffer');
  });

  it("rejects unreadable lambda text", () => {
    const sch = new Schedule(parsePrimFunc(elementwise));
    const b = sch.getBlock("B");
    expectRejected(sch, () => sch.transformLayout(b, ["write", 0], "lambda i, j: (i // 16, k)"), 'transform_layout: IndexMap: cannot read output index "k"');
  });

  it("refuses TVM's JSON-graph form of an index map in a trace", () => {
    const json = '[[["GetBlock",[],["B","main"],["b0"]],["TransformLayout",["b0","{\\"root\\":1}"],[0,1,null,false],[]]],[]]';
    const sch = new Schedule(parsePrimFunc(chain14));
    expect(() => Trace.fromJSON(json).applyTo(sch)).toThrow(/JSON-graph form, which weft does not read/);
  });
});
