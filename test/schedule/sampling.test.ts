import { describe, expect, it } from "vitest";
import { parsePrimFunc } from "../../src/tir/script/index.js";
import { Schedule, ScheduleError, Trace } from "../../src/schedule/index.js";
import { ScheduleRandom } from "../../src/schedule/random.js";
import { drawPerfectTile, revalidateTile } from "../../src/schedule/primitives/sampling.js";

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

const dynamic = `
@T.prim_func
def main(a: T.handle, b: T.handle):
    n = T.int32()
    A = T.match_buffer(a, (n, 64))
    B = T.match_buffer(b, (n, 64))
    for i, j in T.grid(n, 64):
        with T.block("B"):
            vi, vj = T.axis.remap("SS", [i, j])
            B[vi, vj] = A[vi, vj] * T.float32(2)
`;

// B = A * 2 (stage "B"), C = B + 1 (stage "C"), 16 x 32.
const twoStage = `
@T.prim_func
def main(A: T.Buffer((16, 32), "float32"), C: T.Buffer((16, 32), "float32")):
    B = T.alloc_buffer((16, 32))
    for i, j in T.grid(16, 32):
        with T.block("B"):
            vi, vj = T.axis.remap("SS", [i, j])
            B[vi, vj] = A[vi, vj] * T.float32(2)
    for i, j in T.grid(16, 32):
        with T.block("C"):
            vi, vj = T.axis.remap("SS", [i, j])
            C[vi, vj] = B[vi, vj] + T.float32(1)
`;

const product = (xs: readonly number[]) => xs.reduce((a, b) => a * b, 1);

describe("samplePerfectTile", () => {
  it("draws n factors whose product is the extent, innermost within the limit, and records them", () => {
    for (let seed = 1; seed <= 20; seed++) {
      const sch = new Schedule(parsePrimFunc(matmul(1024)), { seed });
      const [i] = sch.getLoops(sch.getBlock("C"));
      const vs = sch.samplePerfectTile(i!, 4, 64);
      const fs = vs.map((v) => sch.get(v!));
      expect(fs).toHaveLength(4);
      expect(product(fs)).toBe(1024);
      expect(fs[3]).toBeLessThanOrEqual(64);
      const [insts, decisions] = sch.trace.toJSON();
      expect(insts[2]).toEqual(["SamplePerfectTile", ["l1"], [4, 64], ["v4", "v5", "v6", "v7"]]);
      expect(decisions).toEqual([[2, fs]]);
    }
  });

  it("is deterministic for a seed and varies across seeds", () => {
    const draw = (seed: number) => {
      const sch = new Schedule(parsePrimFunc(matmul(1024)), { seed });
      const [i] = sch.getLoops(sch.getBlock("C"));
      return sch.samplePerfectTile(i!, 4, 64).map((v) => sch.get(v!));
    };
    expect(draw(5)).toEqual(draw(5));
    const distinct = new Set(Array.from({ length: 10 }, (_, s) => draw(s + 1).join(",")));
    expect(distinct.size).toBeGreaterThan(3);
  });

  it("is uniform over the allowed factorizations", () => {
    // 8 into 3 factors with innermost <= 2: 4 tilings end in 1, 3 end in 2; 7 outcomes, 1/7 each.
    const rng = new ScheduleRandom(7);
    const counts = new Map<string, number>();
    const N = 7000;
    for (let t = 0; t < N; t++) {
      const f = drawPerfectTile(rng, 8, 3, 2);
      expect(product(f)).toBe(8);
      expect(f[2]).toBeLessThanOrEqual(2);
      counts.set(f.join(","), (counts.get(f.join(",")) ?? 0) + 1);
    }
    expect([...counts.keys()].sort()).toEqual(["1,4,2", "1,8,1", "2,2,2", "2,4,1", "4,1,2", "4,2,1", "8,1,1"]);
    for (const c of counts.values()) expect(Math.abs(c - N / 7)).toBeLessThan(0.15 * (N / 7));
  });

  it("handles primes, extent 1 and n = 1", () => {
    const rng = new ScheduleRandom(3);
    expect(drawPerfectTile(rng, 1, 4, 16)).toEqual([1, 1, 1, 1]);
    const f = drawPerfectTile(rng, 97, 2, 16);
    expect(f).toEqual([97, 1]); // 97 is prime and > 16, so the innermost factor must be 1
    expect(drawPerfectTile(rng, 12, 1, 16)).toEqual([12]);
    expect(product(drawPerfectTile(rng, 1000, 3, -1))).toBe(1000);
  });

  it("keeps a valid decision and repairs one that no longer divides, innermost first", () => {
    expect(revalidateTile([8, 4, 8, 4], 1024)).toEqual([8, 4, 8, 4]);
    expect(revalidateTile([8, 4, 8, 4], 96)).toEqual([1, 3, 8, 4]);
    expect(revalidateTile([1, 1, 7], 12)).toEqual([1, 1, 12]);
    const sch = new Schedule(parsePrimFunc(matmul(96)));
    const [i] = sch.getLoops(sch.getBlock("C"));
    const vs = sch.samplePerfectTile(i!, 4, 64, [8, 4, 8, 4]);
    expect(vs.map((v) => sch.get(v!))).toEqual([1, 3, 8, 4]);
    expect(sch.trace.toJSON()[1]).toEqual([[2, [1, 3, 8, 4]]]);
  });

  it("rejects bad arguments and decisions with ScheduleError, leaving the trace as it was", () => {
    const sch = new Schedule(parsePrimFunc(matmul(64)));
    const [i] = sch.getLoops(sch.getBlock("C"));
    expect(() => sch.samplePerfectTile(i!, 3, 16, [4, 16])).toThrow(/sample_perfect_tile: the decision must be a list of 3 positive integers, got \[4,16\]/);
    expect(() => sch.samplePerfectTile(i!, 2, 16, [0, 64])).toThrow(ScheduleError);
    expect(() => sch.samplePerfectTile(i!, 0)).toThrow(/number of tiles must be a positive integer, got 0/);
    expect(() => sch.samplePerfectTile(i!, 2, 0)).toThrow(/max_innermost_factor must be a positive integer or -1/);
    expect(() => sch.samplePerfectTile(i!, 1, 16)).toThrow(/a single tile of extent 64 exceeds max_innermost_factor 16/);
    expect(sch.trace.insts).toHaveLength(2);
    expect(sch.trace.decisions.size).toBe(0);
  });

  it("gives [-1, 1, ...] and a null first output on a symbolic extent", () => {
    const sch = new Schedule(parsePrimFunc(dynamic));
    const [i] = sch.getLoops(sch.getBlock("B"));
    const vs = sch.samplePerfectTile(i!, 3, 16);
    expect(vs[0]).toBeUndefined();
    expect(sch.get(vs[1]!)).toBe(1);
    const text = sch.trace.toJSONString();
    expect(text).toBe('[[["GetBlock",[],["B","main"],["b0"]],["GetLoops",["b0"],[],["l1","l2"]],["SamplePerfectTile",["l1"],[3,16],["_","v3","v4"]]],[[2,[-1,1,1]]]]');
    expect(sch.trace.toTypeScript()).toContain("const [, v3, v4] = sch.samplePerfectTile(l1, 3, 16, [-1, 1, 1]);");
    // Reading it back and replaying gives the same trace.
    const again = new Schedule(parsePrimFunc(dynamic));
    Trace.fromJSON(text).applyTo(again);
    expect(again.trace.toJSONString()).toBe(text);
  });

  it("replays with the recorded decision or an overridden one", () => {
    const sch = new Schedule(parsePrimFunc(matmul(64)), { seed: 11 });
    const [i] = sch.getLoops(sch.getBlock("C"));
    const drawn = sch.samplePerfectTile(i!, 2, 8).map((v) => sch.get(v!));
    const t = Trace.fromJSON(sch.trace.toJSONString());
    const s2 = new Schedule(parsePrimFunc(matmul(64)), { seed: 999 });
    t.applyTo(s2);
    expect(s2.trace.toJSON()[1]).toEqual([[2, drawn]]);
    const s3 = new Schedule(parsePrimFunc(matmul(64)));
    t.applyTo(s3, { decisionOverride: new Map([[2, [16, 4]]]) });
    expect(s3.trace.toJSON()[1]).toEqual([[2, [16, 4]]]);
    // Without a decision the replay draws afresh from the schedule's own random state.
    const s4 = new Schedule(parsePrimFunc(matmul(64)), { seed: 3 });
    t.applyTo(s4, { decisionOverride: () => undefined });
    const d4 = s4.trace.toJSON()[1][0]![1] as number[];
    expect(product(d4)).toBe(64);
    expect(d4[1]).toBeLessThanOrEqual(8);
  });
});

describe("sampleCategorical", () => {
  it("returns candidates[decision] and records the index", () => {
    const sch = new Schedule(parsePrimFunc(matmul(16)));
    const v = sch.sampleCategorical([0, 16, 64, 512], [0.25, 0.25, 0.25, 0.25], 2);
    expect(sch.get(v)).toBe(64);
    expect(sch.trace.toJSONString()).toBe('[[["SampleCategorical",[],[[0,16,64,512],[0.25,0.25,0.25,0.25]],["v0"]]],[[0,2]]]');
    expect(sch.trace.toTypeScript()).toBe("const v0 = sch.sampleCategorical([0, 16, 64, 512], [0.25, 0.25, 0.25, 0.25], 2);\n");
  });

  it("draws following the probabilities", () => {
    const sch = new Schedule(parsePrimFunc(matmul(16)), { seed: 5 });
    const counts = [0, 0, 0];
    for (let t = 0; t < 3000; t++) counts[[1, 2, 3].indexOf(sch.get(sch.sampleCategorical([1, 2, 3], [1, 0, 3])))]!++;
    expect(counts[1]).toBe(0);
    expect(counts[0]! / 3000).toBeGreaterThan(0.2);
    expect(counts[0]! / 3000).toBeLessThan(0.3);
  });

  it("validates candidates, probabilities and decisions", () => {
    const sch = new Schedule(parsePrimFunc(matmul(16)));
    expect(() => sch.sampleCategorical([1, 2], [1])).toThrow(/there are 2 candidates but 1 probabilities/);
    expect(() => sch.sampleCategorical([1, 2], [1, -1])).toThrow(/must be finite and non-negative/);
    expect(() => sch.sampleCategorical([1, 2], [0, 0])).toThrow(/sum to 0/);
    expect(() => sch.sampleCategorical([], [])).toThrow(/non-empty list of integers/);
    expect(() => sch.sampleCategorical([1, 2], [1, 1], 2)).toThrow(/decision must be an index in \[0, 2\), got 2/);
    expect(sch.trace.insts).toHaveLength(0);
  });

  it("writes probabilities the way TVM's JSONDumps does (%.20g) and reads them back byte for byte", () => {
    const json = '[[["SampleCategorical",[],[[1,2,3],[0.10000000000000000555,0.2999999999999999889,1]],["v0"]]],[[0,1]]]';
    const t = Trace.fromJSON(json);
    expect(t.toJSONString()).toBe(json);
    const sch = new Schedule(parsePrimFunc(matmul(16)));
    t.applyTo(sch);
    expect(sch.trace.toJSONString()).toBe(json);
  });
});

describe("sampleComputeLocation", () => {
  it("picks a loop above the consumer, the root (-1) or inline (-2), and records the decision", () => {
    const seen = new Set<number>();
    for (let seed = 1; seed <= 30; seed++) {
      const sch = new Schedule(parsePrimFunc(twoStage), { seed });
      const l = sch.sampleComputeLocation(sch.getBlock("B"));
      const d = sch.trace.toJSON()[1][0]![1] as number;
      seen.add(d);
      if (d === -1) expect(sch.locationMark(l)).toBe("root");
      else if (d === -2) expect(sch.locationMark(l)).toBe("inline");
      else expect(sch.get(l).loopVar.name).toBe(["i", "j"][d]);
    }
    expect(seen.has(-1)).toBe(true);
    expect(seen.has(0)).toBe(true);
    expect(seen.has(1)).toBe(true);
    expect([...seen].every((d) => d >= -2 && d <= 1)).toBe(true);
  });

  it("keeps a recorded decision and falls back to the nearest candidate above it", () => {
    const sch = new Schedule(parsePrimFunc(twoStage));
    const b = sch.getBlock("B");
    expect(sch.get(sch.sampleComputeLocation(b, 1)).loopVar.name).toBe("j");
    const r = sch.sampleComputeLocation(b, -1);
    expect(sch.locationMark(r)).toBe("root");
    // Index 5 is not a loop above "C": the deepest candidate below it (j, index 1) is taken.
    sch.sampleComputeLocation(b, 5);
    expect(sch.trace.toJSON()[1].map(([, d]) => d)).toEqual([1, -1, 1]);
    expect(() => sch.get(r)).toThrow(/compute-root mark from sampleComputeLocation, not a loop/);
  });

  it("has only the root for a block without consumers", () => {
    const sch = new Schedule(parsePrimFunc(twoStage), { seed: 4 });
    const l = sch.sampleComputeLocation(sch.getBlock("C"));
    expect(sch.locationMark(l)).toBe("root");
    expect(sch.trace.toJSONString()).toBe('[[["GetBlock",[],["C","main"],["b0"]],["SampleComputeLocation",["b0"],[],["l1"]]],[[1,-1]]]');
  });

  it("keeps the marks in copies of the schedule, and computeAt honours them", () => {
    const sch = new Schedule(parsePrimFunc(twoStage));
    const b = sch.getBlock("B");
    const root = sch.sampleComputeLocation(b, -1);
    const inline = sch.sampleComputeLocation(b, -2);
    const c = sch.copy();
    expect(c.locationMark(root)).toBe("root");
    expect(c.locationMark(inline)).toBe("inline");
    const before = c.mod;
    c.computeAt(b, root);
    expect(c.mod).toBe(before);
    c.computeAt(b, inline);
    expect(c.getChildBlocks(c.getBlock("root")).map((x) => c.get(x).nameHint)).toEqual(["C"]);
  });

  it("hands the root mark to loop primitives only with a clear error", () => {
    const sch = new Schedule(parsePrimFunc(twoStage));
    const l = sch.sampleComputeLocation(sch.getBlock("C"));
    expect(() => sch.samplePerfectTile(l, 2)).toThrow(/the loop RV is the compute-root mark that sampleComputeLocation returned/);
  });
});

describe("drawPerfectTile on large extents", () => {
  it("needs no scan up to the extent", () => {
    const rng = new ScheduleRandom(1);
    const big = 2 ** 20 * 3 ** 5 * 7; // ~1.8e9
    const f = drawPerfectTile(rng, big, 4, -1);
    expect(product(f)).toBe(big);
    const g = drawPerfectTile(rng, 999_999_937, 3, -1); // prime
    expect(product(g)).toBe(999_999_937);
  });
});
