import fc from "fast-check";
import { describe, it } from "vitest";
import { Schedule } from "../../src/schedule/index.js";
import { expectReplay, expectSameResults, mainOf, parsePrimFunc } from "./compute_test_utils.js";

// A padded 2-D stencil: P pads A by one on each side, C reads a 3-point window of P, R
// scales C. Splitting C's loops by arbitrary (often non-dividing) factors and moving P (or
// R) to any of the resulting loops must keep the results and replay from the trace.
const stencil = parsePrimFunc(`
@T.prim_func
def main(A: T.Buffer((12, 10), "float32"), R: T.Buffer((12, 10), "float32")):
    P = T.alloc_buffer((14, 12))
    C = T.alloc_buffer((12, 10))
    for i, j in T.grid(14, 12):
        with T.block("P"):
            vi, vj = T.axis.remap("SS", [i, j])
            P[vi, vj] = T.if_then_else(1 <= vi and vi < 13 and 1 <= vj and vj < 11, A[vi - 1, vj - 1], T.float32(0))
    for i, j in T.grid(12, 10):
        with T.block("C"):
            vi, vj = T.axis.remap("SS", [i, j])
            C[vi, vj] = P[vi, vj] + P[vi + 1, vj + 1] * T.float32(2) + P[vi + 2, vj]
    for i, j in T.grid(12, 10):
        with T.block("R"):
            vi, vj = T.axis.remap("SS", [i, j])
            R[vi, vj] = C[vi, vj] * T.float32(3)
`);

const factor = fc.constantFrom(1, 2, 3, 4, 5, 7, 12);

describe("compute_at / reverse_compute_at on randomly tiled loops", () => {
  it("keep results and replay", () => {
    fc.assert(
      fc.property(
        fc.record({ fi: factor, fj: factor, target: fc.nat(3), preserve: fc.boolean(), reverse: fc.boolean() }),
        ({ fi, fj, target, preserve, reverse }) => {
          const sch = new Schedule(stencil);
          const c = sch.getBlock("C");
          const [i, j] = sch.getLoops(c);
          const [i0, i1] = sch.split(i!, [undefined, fi]);
          const [j0, j1] = sch.split(j!, [undefined, fj]);
          sch.reorder(i0!, j0!, i1!, j1!);
          const loop = sch.getLoops(c)[target]!;
          if (reverse) sch.reverseComputeAt(sch.getBlock("R"), loop, { preserveUnitLoops: preserve });
          else sch.computeAt(sch.getBlock("P"), loop, { preserveUnitLoops: preserve });
          expectSameResults(stencil, mainOf(sch));
          expectReplay(sch, stencil);
        },
      ),
      { numRuns: 40, seed: 20240611 },
    );
  });
});
