/**
 * Traces end to end: TVM's own example trace (trace-json.md) read, replayed on weft's parse of
 * the 1024^3 matmul, written back byte for byte, printed as TypeScript -- and that TypeScript,
 * run, gives the same module.
 */
import { describe, expect, it } from "vitest";
import { parsePrimFunc } from "../../src/tir/script/index.js";
import { structuralEqual } from "../../src/ir/structural.js";
import { PrimFunc } from "../../src/tir/function.js";
import { For } from "../../src/tir/stmt.js";
import { Schedule, ScheduleError, Trace } from "../../src/schedule/index.js";
import { Rng, emptyArray, randomArray, runPrimFunc, toArray } from "../../src/tir/interp/index.js";
import { dumpsJSON, formatG20 } from "../../src/schedule/json_text.js";

/** Byte for byte what TVM's JSONDumps writes for the schedule in spec/trace-json.md. */
const TVM_EXAMPLE =
  '[[["GetBlock",[],["C","main"],["b0"]],["GetLoops",["b0"],[],["l1","l2","l3"]],["SamplePerfectTile",["l1"],[4,64],["v4","v5","v6","v7"]],["Split",["l1","v4","v5","v6","v7"],[1,0],["l8","l9","l10","l11"]],["Split",["l2","None",64],[1,0],["l12","l13"]],["Reorder",["l8","l12","l9","l10","l3","l11","l13"],[],[]],["Fuse",["l8","l12"],[1],["l14"]],["Parallel",["l14"],[],[]],["Vectorize",["l13"],[],[]],["Annotate",["l14",64],["pragma_auto_unroll_max_step"],[]],["CacheWrite",["b0",[]],[0,"global"],["b15"]],["ReverseComputeAt",["b15","l14"],[0,-1],[]],["DecomposeReduction",["b0","l3"],[],["b16"]]],[[2,[8,4,8,4]]]]';

const matmul = (n: number) => `
@T.prim_func
def main(A: T.Buffer((${n}, ${n}), "float32"), B: T.Buffer((${n}, ${n}), "float32"), C: T.Buffer((${n}, ${n}), "float32")):
    T.func_attr({"tir.noalias": True})
    for i, j, k in T.grid(${n}, ${n}, ${n}):
        with T.block("C"):
            vi, vj, vk = T.axis.remap("SSR", [i, j, k])
            with T.init():
                C[vi, vj] = T.float32(0)
            C[vi, vj] = C[vi, vj] + A[vi, vk] * B[vk, vj]
`;

const TS_EXAMPLE = [
  'const b0 = sch.getBlock("C", "main");',
  "const [l1, l2, l3] = sch.getLoops(b0);",
  "const [v4, v5, v6, v7] = sch.samplePerfectTile(l1, 4, 64, [8, 4, 8, 4]);",
  "const [l8, l9, l10, l11] = sch.split(l1, [v4, v5, v6, v7]);",
  "const [l12, l13] = sch.split(l2, [undefined, 64]);",
  "sch.reorder(l8, l12, l9, l10, l3, l11, l13);",
  "const l14 = sch.fuse(l8, l12);",
  "sch.parallel(l14);",
  "sch.vectorize(l13);",
  'sch.annotate(l14, "pragma_auto_unroll_max_step", 64);',
  'const b15 = sch.cacheWrite(b0, 0, "global");',
  "sch.reverseComputeAt(b15, l14);",
  "const b16 = sch.decomposeReduction(b0, l3);",
  "",
].join("\n");

function replay(json: string, n = 1024, opts: Parameters<Trace["applyTo"]>[1] = {}): Schedule {
  const sch = new Schedule(parsePrimFunc(matmul(n)));
  Trace.fromJSON(json).applyTo(sch, opts);
  return sch;
}

const fn = (sch: Schedule) => sch.mod.get("main") as PrimFunc;

/** Runs the TypeScript a trace prints (it is plain JavaScript too) on a fresh schedule. */
function runTS(ts: string, n: number): Schedule {
  const sch = new Schedule(parsePrimFunc(matmul(n)));
  new Function("sch", ts)(sch);
  return sch;
}

function loopExtents(sch: Schedule, block: string): number[] {
  return sch.getLoops(sch.getBlock(block)).map((l) => Number((sch.get(l) as For).extent.toString()));
}

describe("TVM's example trace", () => {
  it("reads and writes back byte for byte", () => {
    expect(Trace.fromJSON(TVM_EXAMPLE).toJSONString()).toBe(TVM_EXAMPLE);
    expect(Trace.fromJSON(JSON.parse(TVM_EXAMPLE)).toJSONString()).toBe(TVM_EXAMPLE);
  });

  it("replays on weft's parse of the 1024^3 matmul, and the replay records the same trace", () => {
    const sch = replay(TVM_EXAMPLE);
    expect(sch.trace.toJSONString()).toBe(TVM_EXAMPLE);
    expect(loopExtents(sch, "C_update")).toEqual([128, 4, 8, 1024, 4, 64]);
    expect(loopExtents(sch, "C_init")).toEqual([128, 4, 8, 4, 64]);
    expect(loopExtents(sch, "C_global")).toEqual([128, 128, 64]);
    const loops = sch.getLoops(sch.getBlock("C_update")).map((l) => sch.get(l) as For);
    expect(loops[0]!.forKind).toBe("parallel");
    expect(loops[0]!.annotations).toEqual({ pragma_auto_unroll_max_step: 64 });
    expect(loops[5]!.forKind).toBe("vectorized");
  });

  it("prints as TypeScript a user can paste, and that code builds the same module", () => {
    const t = Trace.fromJSON(TVM_EXAMPLE);
    expect(t.toTypeScript()).toBe(TS_EXAMPLE);
    const viaTS = runTS(TS_EXAMPLE, 1024);
    expect(structuralEqual(fn(viaTS), fn(replay(TVM_EXAMPLE)))).toBe(true);
    expect(viaTS.trace.toJSONString()).toBe(TVM_EXAMPLE);
  });

  it("accepts TVM >= 0.24's GetSBlock and true/false for boolean attrs", () => {
    const want = fn(replay(TVM_EXAMPLE));
    const sblock = TVM_EXAMPLE.replace('"GetBlock"', '"GetSBlock"');
    expect(structuralEqual(fn(replay(sblock)), want)).toBe(true);
    expect(Trace.fromJSON(sblock).toJSONString()).toBe(TVM_EXAMPLE);
    const bools = TVM_EXAMPLE.replaceAll("[1,0]", "[true,false]").replace('["l8","l12"],[1]', '["l8","l12"],[true]');
    expect(bools).not.toBe(TVM_EXAMPLE);
    const sch = replay(bools);
    expect(structuralEqual(fn(sch), want)).toBe(true);
    expect(sch.trace.toJSONString()).toBe(TVM_EXAMPLE); // written back the way TVM writes them
  });

  it("replays with an overridden decision", () => {
    const sch = replay(TVM_EXAMPLE, 1024, { decisionOverride: new Map([[2, [16, 2, 8, 4]]]) });
    expect(sch.trace.toJSON()[1]).toEqual([[2, [16, 2, 8, 4]]]);
    expect(loopExtents(sch, "C_update")).toEqual([256, 2, 8, 1024, 4, 64]);
    const same = replay(TVM_EXAMPLE.replace("[[2,[8,4,8,4]]]", "[[2,[16,2,8,4]]]"));
    expect(structuralEqual(fn(sch), fn(same))).toBe(true);
    // A function form sees each instruction and its recorded decision.
    const seen: [string, unknown][] = [];
    replay(TVM_EXAMPLE, 1024, {
      decisionOverride: (inst, _i, recorded) => {
        if (recorded !== undefined) seen.push([inst.kind.name, recorded]);
        return recorded;
      },
    });
    expect(seen).toEqual([["SamplePerfectTile", [8, 4, 8, 4]]]);
  });

  it("replays onto a smaller matmul (decisions re-validated) and keeps its results", () => {
    const sch = replay(TVM_EXAMPLE, 64);
    // [8,4,8,4] on extent 64, innermost first: 4 | 64, 8 | 16, 4 does not divide 2 -> 2, rest 1.
    expect(sch.trace.toJSON()[1]).toEqual([[2, [1, 2, 8, 4]]]);
    const rng = new Rng(3);
    const A = randomArray([64, 64], "float32", rng);
    const B = randomArray([64, 64], "float32", rng);
    const C0 = emptyArray([64, 64], "float32");
    const C1 = emptyArray([64, 64], "float32");
    runPrimFunc(parsePrimFunc(matmul(64)), [A, B, C0]);
    runPrimFunc(fn(sch), [A, B, C1]);
    const want = toArray(C0);
    const got = toArray(C1);
    for (let i = 0; i < want.length; i++) expect(Math.abs(got[i]! - want[i]!)).toBeLessThanOrEqual(1e-5 * (1 + Math.abs(want[i]!)));
  });

  it("stops at EnterPostproc with removePostproc", () => {
    const withPost = TVM_EXAMPLE.replace(
      ',["DecomposeReduction",["b0","l3"],[],["b16"]]]',
      ',["DecomposeReduction",["b0","l3"],[],["b16"]],["EnterPostproc",[],[],[]],["Unroll",["l11"],[],[]]]',
    );
    const t = Trace.fromJSON(withPost);
    expect(t.toJSONString()).toBe(withPost);
    expect(t.toJSONString({ removePostproc: true })).toBe(TVM_EXAMPLE);
    expect(t.toTypeScript({ removePostproc: true })).toBe(TS_EXAMPLE);
    const cut = replay(withPost, 1024, { removePostproc: true });
    expect(structuralEqual(fn(cut), fn(replay(TVM_EXAMPLE)))).toBe(true);
    const full = replay(withPost);
    expect(structuralEqual(fn(full), fn(replay(TVM_EXAMPLE)))).toBe(false);
    expect(full.trace.toJSONString()).toBe(withPost);
  });
});

describe("trace replay errors", () => {
  it("says which instruction a refusing primitive came from, and keeps the ScheduleError", () => {
    // Vectorizing the reduction loop k is refused.
    const bad = '[[["GetBlock",[],["C","main"],["b0"]],["GetLoops",["b0"],[],["l1","l2","l3"]],["Vectorize",["l3"],[],[]]],[]]';
    const sch = new Schedule(parsePrimFunc(matmul(16)));
    let err: unknown;
    try {
      Trace.fromJSON(bad).applyTo(sch);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ScheduleError);
    expect((err as Error).message).toMatch(/^while replaying trace instruction 2 \(Vectorize\): ScheduleError: vectorize: /);
  });

  it("rejects a trace whose instruction names more or fewer outputs than replay produces", () => {
    const two = '[[["GetBlock",[],["C","main"],["b0"]],["GetLoops",["b0"],[],["l1","l2"]]],[]]';
    expect(() => replay(two, 16)).toThrow(/trace instruction 1 names 2 outputs, but replaying it produced 3/);
  });

  it("rejects decisions of the wrong shape with ScheduleError", () => {
    const t = TVM_EXAMPLE.replace("[[2,[8,4,8,4]]]", "[[2,[8,4]]]");
    expect(() => replay(t, 1024)).toThrow(/instruction 2 \(SamplePerfectTile\).*the decision must be a list of 4 positive integers, got \[8,4\]/);
    const c = '[[["SampleCategorical",[],[[1,2],[0.5,0.5]],["v0"]]],[[0,"x"]]]';
    expect(() => replay(c, 16)).toThrow(/SampleCategorical: the decision must be an integer index, got "x"/);
  });

  it("rejects names defined twice and decisions given twice", () => {
    expect(() => Trace.fromJSON('[[["GetBlock",[],["C","main"],["b0"]],["GetBlock",[],["C","main"],["b0"]]],[]]')).toThrow(/defines "b0" a second time/);
    expect(() => Trace.fromJSON('[[["GetBlock",[],["C","main"],["b0"]]],[[0,1],[0,2]]]')).toThrow(/two decisions for instruction 0/);
  });
});

describe("Trace API", () => {
  it("withDecision changes one decision of a copy", () => {
    const t = Trace.fromJSON(TVM_EXAMPLE);
    const u = t.withDecision(t.insts[2]!, [4, 8, 4, 8]);
    expect(t.toJSONString()).toBe(TVM_EXAMPLE);
    expect(u.toJSON()[1]).toEqual([[2, [4, 8, 4, 8]]]);
    expect(() => t.withDecision(Trace.fromJSON(TVM_EXAMPLE).insts[2]!, [1])).toThrow(/not in this trace/);
  });

  it("drops a failed primitive's instruction and decision", () => {
    const sch = new Schedule(parsePrimFunc(matmul(16)));
    expect(() => sch.sampleCategorical([1, 2], [1, 1], 5)).toThrow(ScheduleError);
    expect(sch.trace.insts).toHaveLength(0);
    expect(sch.trace.decisions.size).toBe(0);
  });
});

describe("JSON text as TVM's JSONDumps writes it", () => {
  it("prints numbers like C's %.20g", () => {
    const cases: [number, string][] = [
      [0.1, "0.10000000000000000555"],
      [1e-5, "1.0000000000000000818e-05"],
      [1e21, "1e+21"],
      [123456789, "123456789"],
      [-0.5, "-0.5"],
      [0.00025, "0.0002500000000000000052"],
      [1e20, "1e+20"],
      [0.3, "0.2999999999999999889"],
      [1 / 3, "0.33333333333333331483"],
      [5e-324, "4.9406564584124654418e-324"],
      [1.7976931348623157e308, "1.7976931348623157081e+308"],
      [64, "64"],
      [-1, "-1"],
      [0, "0"],
    ];
    for (const [v, want] of cases) expect(formatG20(v), String(v)).toBe(want);
    expect(() => formatG20(Number.NaN)).toThrow(/NaN at the top level has no JSON form/);
  });

  it("writes compact text with sorted map keys and refuses what JSON cannot hold", () => {
    expect(dumpsJSON([1, "a\"b", true, null, { b: [0.5], a: {} }])).toBe('[1,"a\\"b",true,null,{"a":{},"b":[0.5]}]');
    expect(() => dumpsJSON([new Map()])).toThrow(/cannot write a Map at \[0\]/);
    expect(() => dumpsJSON({ x: [Infinity] })).toThrow(/Infinity at \.x\[0\] has no JSON form/);
  });
});
