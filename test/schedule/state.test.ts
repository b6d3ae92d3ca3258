import { describe, expect, it } from "vitest";
import { parsePrimFunc } from "../../src/tir/script/index.js";
import { Schedule, ScheduleError, Trace } from "../../src/schedule/index.js";
import { For } from "../../src/tir/stmt.js";

const matmul = `
@T.prim_func
def main(A: T.Buffer((128, 128), "float32"), B: T.Buffer((128, 128), "float32"), C: T.Buffer((128, 128), "float32")):
    T.func_attr({"tir.noalias": True})
    for i, j, k in T.grid(128, 128, 128):
        with T.block("C"):
            vi, vj, vk = T.axis.remap("SSR", [i, j, k])
            with T.init():
                C[vi, vj] = T.float32(0)
            C[vi, vj] = C[vi, vj] + A[vi, vk] * B[vk, vj]
`;

describe("Schedule state and queries", () => {
  it("finds blocks and loops and records them", () => {
    const sch = new Schedule(parsePrimFunc(matmul));
    const b = sch.getBlock("C");
    const loops = sch.getLoops(b);
    expect(loops.map((l) => (sch.get(l) as For).loopVar.name)).toEqual(["i", "j", "k"]);
    expect(sch.get(b).nameHint).toBe("C");
    expect(sch.state.blockInfo(sch.getSRef(b)).affineBinding).toBe(true);
    expect(JSON.stringify(sch.trace.toJSON())).toBe('[[["GetBlock",[],["C","main"],["b0"]],["GetLoops",["b0"],[],["l1","l2","l3"]]],[]]');
  });
  it("names the blocks that exist when one is missing", () => {
    const sch = new Schedule(parsePrimFunc(matmul));
    expect(() => sch.getBlock("D")).toThrow(ScheduleError);
    expect(() => sch.getBlock("D")).toThrow(/get_block: no block named "D" in function "main" \(blocks: "root", "C"\)/);
    expect(sch.trace.insts.length).toBe(0);
  });
  it("replays a trace from JSON onto a fresh schedule", () => {
    const sch = new Schedule(parsePrimFunc(matmul));
    sch.getLoops(sch.getBlock("C"));
    const t = Trace.fromJSON(sch.trace.toJSONString());
    const sch2 = new Schedule(parsePrimFunc(matmul));
    t.applyTo(sch2);
    expect(sch2.trace.toJSONString()).toBe(sch.trace.toJSONString());
    expect(sch.trace.toTypeScript()).toBe('const b0 = sch.getBlock("C", "main");\nconst [l1, l2, l3] = sch.getLoops(b0);\n');
  });
});
