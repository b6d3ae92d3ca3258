import { afterEach, describe, expect, it } from "vitest";
import fc from "fast-check";
import { mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { IRModule } from "../../src/ir/module.js";
import type { PrimFunc } from "../../src/tir/function.js";
import { parseScript } from "../../src/tir/script/index.js";
import { Block, BlockRealize, type Stmt } from "../../src/tir/stmt.js";
import { postOrderVisitStmt } from "../../src/tir/stmt_functor.js";
import { defaultLoweringPasses, lower } from "../../src/tir/pipeline.js";
import { Schedule } from "../../src/schedule/index.js";
import {
  WORKLOADS, expectSameOutputs, matmul, scheduledMatmul, scheduledSoftmax,
} from "./transform/block_lowering_helpers.js";

const mainOf = (m: IRModule) => m.get("main") as PrimFunc;

function countBlocks(s: Stmt): number {
  let n = 0;
  postOrderVisitStmt(s, (x) => {
    if (x instanceof Block || x instanceof BlockRealize) n++;
  });
  return n;
}

const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), "weft-lower-"));
  dirs.push(d);
  return d;
}
afterEach(() => {
  while (dirs.length) rmSync(dirs.pop()!, { recursive: true, force: true });
  delete process.env["WEFT_DUMP_IR"];
});

describe("the default lowering pipeline", () => {
  it("is an ordered list of named passes starting with the block lowering", () => {
    const names = defaultLoweringPasses().map((p) => p.name);
    expect(names.slice(0, 8)).toEqual([
      "LowerInitBlock", "PlanAndUpdateBufferAllocationLocation", "ConvertBlocksToOpaque", "CompactBufferAllocation",
      "LowerMatchBuffer", "Simplify", "LowerOpaqueBlock", "FlattenBuffer",
    ]);
  });

  it("lowers the scheduled matmul to flat loops (no blocks left) with the same outputs", () => {
    const f = scheduledMatmul();
    const lowered = mainOf(lower(f));
    expect(countBlocks(lowered.body)).toBe(0);
    expectSameOutputs(f, lowered, 11);
  });

  it("lowers the scheduled softmax with the same outputs", () => {
    const f = scheduledSoftmax();
    const lowered = mainOf(lower(f));
    expect(countBlocks(lowered.body)).toBe(0);
    expectSameOutputs(f, lowered, 12);
  });

  it.each(WORKLOADS)("%s: every workload keeps its outputs through the whole pipeline", (_n, make) => {
    const f = make();
    expectSameOutputs(f, mainOf(lower(IRModule.fromFunction(f, "main"))), 13);
  });

  it("dumpDir: writes the input and the module after every pass, numbered, as parseable TVMScript", () => {
    const dir = tempDir();
    lower(scheduledMatmul(), { dumpDir: dir });
    const files = readdirSync(dir).sort();
    const passes = defaultLoweringPasses();
    expect(files).toHaveLength(passes.length + 1);
    expect(files[0]).toBe("00_input.py");
    expect(files[1]).toBe("01_LowerInitBlock.py");
    expect(files[2]).toBe("02_PlanAndUpdateBufferAllocationLocation.py");
    expect(files[files.length - 1]).toBe(`${String(passes.length).padStart(2, "0")}_${passes[passes.length - 1]!.name}.py`);
    // Dumps before flattening are block-level TVMScript that parses back.
    const afterCompact = readFileSync(join(dir, "04_CompactBufferAllocation.py"), "utf8");
    expect(afterCompact).toContain("C_global = T.alloc_buffer((4, 8))");
    expect(() => parseScript(afterCompact)).not.toThrow();
  });

  it("WEFT_DUMP_IR: the environment variable turns the dump on", () => {
    const dir = tempDir();
    process.env["WEFT_DUMP_IR"] = dir;
    lower(scheduledSoftmax());
    const files = readdirSync(dir);
    expect(files).toContain("00_input.py");
    expect(files).toContain("03_ConvertBlocksToOpaque.py");
    expect(files).toHaveLength(defaultLoweringPasses().length + 1);
  });
});

describe("lowering random schedules of a matmul (property)", () => {
  it("any tiling + cache_write + decompose_reduction lowers to a function with the same outputs", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(2, 3, 4, 5, 8),
        fc.constantFrom(2, 4, 6, 8),
        fc.constantFrom(3, 4, 16),
        fc.boolean(),
        (fi, fj, fk, vectorize) => {
          const original = matmul(16);
          const sch = new Schedule(original);
          const c = sch.getBlock("C");
          const [i, j, k] = sch.getLoops(c);
          const [i0, i1] = sch.split(i!, [undefined, fi]);
          const [j0, j1] = sch.split(j!, [undefined, fj]);
          const [k0, k1] = sch.split(k!, [undefined, fk]);
          sch.reorder(i0!, j0!, k0!, i1!, k1!, j1!);
          const cw = sch.cacheWrite(c, 0, "global");
          sch.reverseComputeAt(cw, j0!);
          if (vectorize && 16 % fj === 0) sch.vectorize(j1!);
          sch.decomposeReduction(c, k0!);
          const scheduled = sch.mod.get("main") as PrimFunc;
          const lowered = mainOf(lower(scheduled));
          expect(countBlocks(lowered.body)).toBe(0);
          expectSameOutputs(original, lowered, fi * 100 + fj * 10 + fk);
        },
      ),
      { numRuns: 15 },
    );
  });
});
