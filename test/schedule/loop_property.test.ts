/**
 * Property: any sequence of split / fuse / reorder / parallel / vectorize / unroll on a
 * matmul or a softmax either applies or fails with a ScheduleError that leaves the schedule
 * untouched; the final function computes the same results as the original on the
 * interpreter, and its trace replays (through JSON) to a structurally equal module.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Schedule, ScheduleError } from "../../src/schedule/index.js";
import { createPrimFunc, placeholder, topi } from "../../src/te/index.js";
import type { PrimFunc } from "../../src/tir/function.js";
import { expectReplay, expectSameResults, mainOf } from "./loop_test_utils.js";

interface Op {
  kind: "split" | "fuse" | "reorder" | "parallel" | "vectorize" | "unroll";
  block: number;
  loop: number;
  factors: number[];
  inferAt: number;
  perm: number[];
  preserve: boolean;
}

const opArb: fc.Arbitrary<Op> = fc.record({
  kind: fc.constantFrom<Op["kind"]>("split", "split", "fuse", "reorder", "reorder", "parallel", "vectorize", "unroll"),
  block: fc.nat(7),
  loop: fc.nat(7),
  factors: fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 3 }),
  inferAt: fc.nat(3),
  perm: fc.array(fc.nat(7), { minLength: 2, maxLength: 4 }),
  preserve: fc.boolean(),
});

function applyOp(sch: Schedule, op: Op): void {
  const names = blockNames(sch);
  const block = sch.getBlock(names[op.block % names.length]!);
  const loops = sch.getLoops(block);
  if (loops.length === 0) return;
  const at = op.loop % loops.length;
  const loop = loops[at]!;
  switch (op.kind) {
    case "split": {
      const factors: (number | undefined)[] = [...op.factors];
      factors.splice(op.inferAt % (factors.length + 1), 0, undefined);
      sch.split(loop, factors, { preserveUnitIters: op.preserve });
      return;
    }
    case "fuse":
      sch.fuse(...loops.slice(at, at + 1 + (op.factors.length % 3)), { preserveUnitIters: op.preserve });
      return;
    case "reorder": {
      const picked = [...new Set(op.perm.map((p) => p % loops.length))].map((p) => loops[p]!);
      sch.reorder(...picked);
      return;
    }
    case "parallel":
      sch.parallel(loop);
      return;
    case "vectorize":
      sch.vectorize(loops[loops.length - 1]!);
      return;
    case "unroll":
      sch.unroll(loop);
      return;
  }
}

function blockNames(sch: Schedule): string[] {
  const out: string[] = [];
  const visit = (s: { body?: unknown; seq?: unknown[]; block?: unknown; nameHint?: string; init?: unknown }): void => {
    if (!s || typeof s !== "object") return;
    if (s.nameHint !== undefined && s.nameHint !== "root") out.push(s.nameHint);
    if (s.block) visit(s.block as never);
    if (s.seq) s.seq.forEach((x) => visit(x as never));
    if (s.body) visit(s.body as never);
  };
  visit(mainOf(sch).body as never);
  return out;
}

/** Applies the ops; a rejected op must leave the module and the trace exactly as they were. */
function run(orig: PrimFunc, ops: Op[], applied: Map<string, number>): Schedule {
  const sch = new Schedule(orig);
  for (const op of ops) {
    const before = sch.mod;
    const n = sch.trace.insts.length;
    try {
      applyOp(sch, op);
      applied.set(op.kind, (applied.get(op.kind) ?? 0) + 1);
    } catch (e) {
      if (!(e instanceof ScheduleError)) throw e;
      expect(sch.mod).toBe(before);
      expect(sch.trace.insts.length).toBeGreaterThanOrEqual(n); // only the queries were recorded
      for (const inst of sch.trace.insts.slice(n)) expect(inst.kind.pure).toBe(true);
    }
  }
  return sch;
}

const A = placeholder([6, 10], "float32", "A");
const B = placeholder([10, 4], "float32", "B");
const matmul = createPrimFunc([A, B, topi.matmul(A, B)]);
const X = placeholder([3, 10], "float32", "X");
const softmax = createPrimFunc([X, topi.softmax(X)]);

describe("random loop transformations keep results and replay", () => {
  for (const [name, func] of [["matmul", matmul], ["softmax", softmax]] as const) {
    it(name, () => {
      const applied = new Map<string, number>();
      fc.assert(
        fc.property(fc.array(opArb, { minLength: 1, maxLength: 8 }), (ops) => {
          const sch = run(func, ops, applied);
          expectSameResults(func, mainOf(sch));
          expectReplay(sch, func);
        }),
        { numRuns: 80, seed: 20240611 },
      );
      // Every kind of transformation was exercised, not only rejected.
      for (const kind of ["split", "fuse", "reorder", "parallel", "vectorize", "unroll"]) expect(applied.get(kind) ?? 0).toBeGreaterThan(5);
    });
  }
});
