// The wasm target's extra lowering (src/target/wasm/wasm_loops.ts): small loops over
// register-sized temporaries are unrolled, loop-invariant broadcasts hoisted; the results stay
// equal to the interpreter bit for bit, and what must not move does not.
import { describe, expect, it } from "vitest";
import { build } from "../../src/target/build.js";
import "../../src/target/wasm/index.js";
import { hoistInvariantBroadcasts, unrollSmallLoops } from "../../src/target/wasm/wasm_loops.js";
import type { PrimFunc } from "../../src/tir/function.js";
import { parsePrimFunc, printScript } from "../../src/tir/script/index.js";
import { compareWithInterpreter, randomArgs } from "./js_harness.js";

async function sameAsInterpreter(f: PrimFunc, seed = 1): Promise<void> {
  const mod = await build(f, "wasm", { lower: null });
  await compareWithInterpreter(f, randomArgs(f, seed), { mod });
}

describe("wasm loop rewrites", () => {
  it("a write-back loop over a 4-element accumulator is unrolled; a 16-trip loop is not", async () => {
    const f = parsePrimFunc(`
@T.prim_func
def main(A: T.Buffer((64,), "float32"), B: T.Buffer((2,), "float32")):
    acc = T.allocate([4], "float32", "global")
    Acc = T.Buffer((4,), "float32", data=acc)
    Acc[0:4] = T.Broadcast(T.float32(0), 4)
    for k in range(16):
        Acc[0:4] = Acc[0:4] + A[k * 4:k * 4 + 4]
    B[0] = T.float32(0)
    for j in range(4):
        B[0] = B[0] + Acc[j]
    for j in range(16):
        B[1] = B[1] + A[j]
`);
    const u = printScript(unrollSmallLoops(f));
    expect(u).not.toMatch(/for j in range\(4\)/);
    expect(u).toMatch(/Acc\[3\]/);
    expect(u).toMatch(/for j in range\(16\)/);
    await sameAsInterpreter(f);
  });

  it("an invariant broadcast leaves the loop; one reading what the loop writes stays", async () => {
    const src = (noalias: boolean) => `
@T.prim_func
def main(A: T.Buffer((32,), "float32"), S: T.Buffer((2,), "float32"), B: T.Buffer((32,), "float32")):
    T.func_attr({"tir.noalias": ${noalias ? "True" : "False"}})
    for i in range(8):
        B[i * 4:i * 4 + 4] = A[i * 4:i * 4 + 4] * T.Broadcast(T.float32(1) / T.sqrt(S[0] + T.float32(1)), 4)
    for i in range(8):
        S[1] = S[1] + A[i]
        B[i * 4:i * 4 + 4] = B[i * 4:i * 4 + 4] + T.Broadcast(S[1], 4)
`;
    // Without noalias, B may be S: a load of any parameter stays in a loop storing to one.
    expect(printScript(hoistInvariantBroadcasts(parsePrimFunc(src(false))))).not.toContain("inv0");
    const f = parsePrimFunc(src(true));
    const h = printScript(hoistInvariantBroadcasts(f));
    const firstLoop = h.indexOf("for i in range(8)");
    const inv = h.indexOf("inv0");
    expect(inv).toBeGreaterThan(-1);
    expect(inv).toBeLessThan(firstLoop); // bound before the loop
    expect(h).toContain("T.Broadcast(S[1], 4)"); // S[1] is written in its loop: not hoisted
    const args = randomArgs(f, 4);
    (args[1] as { data: Float32Array }).data.set([3, 0.5]);
    const mod = await build(f, "wasm", { lower: null });
    await compareWithInterpreter(f, args, { mod });
  });
});
