import { describe, expect, it } from "vitest";
import { parsePrimFunc } from "../../src/tir/script/index.js";
import { structuralEqual } from "../../src/ir/structural.js";
import { Schedule, ScheduleError, Trace } from "../../src/schedule/index.js";

const before = `
@T.prim_func
def main(A: T.Buffer((16, 16), "float32"), B: T.Buffer((16, 16), "float32")):
    for i, j in T.grid(16, 16):
        with T.block("B"):
            vi, vj = T.axis.remap("SS", [i, j])
            B[vi, vj] = A[vi, vj] * T.float32(2)
`;

const annotated = `
@T.prim_func
def main(A: T.Buffer((16, 16), "float32"), B: T.Buffer((16, 16), "float32")):
    for i in T.serial(16, annotations={"pragma_auto_unroll_max_step": 64, "pragma_unroll_explicit": 1}):
        for j in range(16):
            with T.block("B"):
                vi, vj = T.axis.remap("SS", [i, j])
                T.block_attr({"meta_schedule.tiling_structure": "SSRSRS", "weft.list": [1, 2.5, "x"]})
                B[vi, vj] = A[vi, vj] * T.float32(2)
`;

describe("annotate / unannotate", () => {
  it("annotates loops and blocks (ints, strings, lists, sampled values) and serialises like TVM", () => {
    const sch = new Schedule(parsePrimFunc(before));
    const b = sch.getBlock("B");
    const [i] = sch.getLoops(b);
    const v = sch.sampleCategorical([0, 1], [0.5, 0.5], 1);
    sch.annotate(i!, "pragma_auto_unroll_max_step", 64);
    sch.annotate(i!, "pragma_unroll_explicit", v);
    sch.annotate(b, "meta_schedule.tiling_structure", "SSRSRS");
    sch.annotate(b, "weft.list", [1, 2.5, "x"]);
    expect(structuralEqual(sch.mod.get("main"), parsePrimFunc(annotated))).toBe(true);
    const text = sch.trace.toJSONString();
    expect(text).toBe(
      '[[["GetBlock",[],["B","main"],["b0"]],["GetLoops",["b0"],[],["l1","l2"]],' +
        '["SampleCategorical",[],[[0,1],[0.5,0.5]],["v3"]],' +
        '["Annotate",["l1",64],["pragma_auto_unroll_max_step"],[]],' +
        '["Annotate",["l1","v3"],["pragma_unroll_explicit"],[]],' +
        '["Annotate",["b0","\\"SSRSRS\\""],["meta_schedule.tiling_structure"],[]],' +
        '["Annotate",["b0",[1,2.5,"\\"x\\""]],["weft.list"],[]]],[[2,1]]]',
    );
    expect(sch.trace.toTypeScript().split("\n").slice(3, 7)).toEqual([
      'sch.annotate(l1, "pragma_auto_unroll_max_step", 64);',
      'sch.annotate(l1, "pragma_unroll_explicit", v3);',
      'sch.annotate(b0, "meta_schedule.tiling_structure", "SSRSRS");',
      'sch.annotate(b0, "weft.list", [1, 2.5, "x"]);',
    ]);
    // The JSON replays to the same function and the same text.
    const again = new Schedule(parsePrimFunc(before));
    Trace.fromJSON(text).applyTo(again);
    expect(structuralEqual(again.mod.get("main"), sch.mod.get("main"))).toBe(true);
    expect(again.trace.toJSONString()).toBe(text);
  });

  it("keeps block and loop handles valid and overwrites an existing key", () => {
    const sch = new Schedule(parsePrimFunc(before));
    const b = sch.getBlock("B");
    const [i, j] = sch.getLoops(b);
    sch.annotate(b, "k", 1);
    sch.annotate(b, "k", 2);
    sch.annotate(j!, "k", { b: 1, a: "s" });
    expect(sch.get(b).annotations).toEqual({ k: 2 });
    expect(sch.get(j!).annotations).toEqual({ k: { b: 1, a: "s" } });
    expect(sch.get(i!).annotations).toEqual({});
    // maps keep their keys as they are in the inputs, sorted in the text (JSONDumps sorts keys)
    expect(sch.trace.toJSONString()).toContain('["Annotate",["l2",{"a":"s","b":1}],["k"],[]]');
  });

  it("unannotates, silently when the key is absent (as TVM does)", () => {
    const sch = new Schedule(parsePrimFunc(annotated));
    const b = sch.getBlock("B");
    const [i] = sch.getLoops(b);
    sch.unannotate(i!, "pragma_auto_unroll_max_step");
    sch.unannotate(i!, "pragma_unroll_explicit");
    sch.unannotate(b, "meta_schedule.tiling_structure");
    sch.unannotate(b, "weft.list");
    sch.unannotate(b, "not_there");
    expect(structuralEqual(sch.mod.get("main"), parsePrimFunc(before))).toBe(true);
    expect(sch.trace.toJSON()[0][2]).toEqual(["Unannotate", ["l1"], ["pragma_auto_unroll_max_step"], []]);
    expect(sch.trace.toTypeScript()).toContain('sch.unannotate(b0, "weft.list");');
  });

  it("rejects bad keys, values and targets with ScheduleError", () => {
    const sch = new Schedule(parsePrimFunc(before));
    const b = sch.getBlock("B");
    expect(() => sch.annotate(b, "", 1)).toThrow(/annotate: the annotation key must be a non-empty string/);
    expect(() => sch.annotate(b, "k", Number.NaN)).toThrow(/annotation value must be finite, got NaN/);
    expect(() => sch.annotate(b, "k", [1, null as unknown as number])).toThrow(/annotation value\[1\] must be a number, string, boolean, ExprRV, list or map, got null/);
    expect(() => sch.annotate(7 as never, "k", 1)).toThrow(ScheduleError);
    expect(() => sch.unannotate(b, 3 as unknown as string)).toThrow(/unannotate: the annotation key must be a non-empty string, got 3/);
    expect(sch.get(b).annotations).toEqual({});
    expect(sch.trace.insts).toHaveLength(1);
  });
});

describe("enterPostproc", () => {
  it("marks where post-processing starts; removePostproc cuts serialisation and replay there", () => {
    const sch = new Schedule(parsePrimFunc(before));
    const b = sch.getBlock("B");
    sch.annotate(b, "a", 1);
    sch.enterPostproc();
    sch.annotate(b, "b", 2);
    expect(sch.trace.toJSONString()).toBe(
      '[[["GetBlock",[],["B","main"],["b0"]],["Annotate",["b0",1],["a"],[]],["EnterPostproc",[],[],[]],["Annotate",["b0",2],["b"],[]]],[]]',
    );
    expect(sch.trace.toJSONString({ removePostproc: true })).toBe('[[["GetBlock",[],["B","main"],["b0"]],["Annotate",["b0",1],["a"],[]]],[]]');
    expect(sch.trace.toTypeScript()).toContain("sch.enterPostproc();");
    const t = Trace.fromJSON(sch.trace.toJSONString());
    const full = new Schedule(parsePrimFunc(before));
    t.applyTo(full);
    expect(full.get(full.getBlock("B")).annotations).toEqual({ a: 1, b: 2 });
    const cut = new Schedule(parsePrimFunc(before));
    t.applyTo(cut, { removePostproc: true });
    expect(cut.get(cut.getBlock("B")).annotations).toEqual({ a: 1 });
    expect(cut.trace.insts.map((x) => x.kind.name)).toEqual(["GetBlock", "Annotate", "GetBlock"]);
  });
});
