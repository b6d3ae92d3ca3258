import { describe, expect, it } from "vitest";
import { Function, parseRelaxScript, transform } from "../../src/relax/index.js";
import { fromArray, toArray, type HostArray } from "../../src/tir/interp/index.js";
import { evalMain, evalRelax } from "./reference_eval.js";
import { arr } from "./reference_ops.js";

const HIGH = `
@R.function
def main(x: R.Tensor(("n", 3), dtype="float32"), w: R.Tensor((3, 2), dtype="float32")) -> R.Tensor(("n", 2), dtype="float32"):
    n = T.int64()
    with R.dataflow():
        a, b = R.split(x, [1], axis=1)
        y = R.matmul(x, w)
        z = R.add(y, R.sum(a, axis=[1], keepdims=True))
        gv = R.nn.relu(z)
        R.output(gv)
    return gv
`;

describe("the reference evaluator", () => {
  const x = arr([4, 3], (i) => (i % 5) - 2), w = arr([3, 2], (i) => 0.5 * i - 1);
  const want = (r: number, c: number) => {
    let s = x.data[r * 3]!;
    for (let k = 0; k < 3; k++) s += x.data[r * 3 + k]! * w.data[k * 2 + c]!;
    return Math.max(s, 0);
  };

  it("evaluates high-level operators in float64, with tuple unpacking and symbolic dims", () => {
    const y = evalMain(parseRelaxScript(HIGH).get("main") as Function, [x, w]);
    expect(y.shape).toEqual([4, 2]);
    expect([...y.data]).toEqual(Array.from({ length: 8 }, (_, i) => want(Math.floor(i / 2), i % 2)));
  });

  it("evaluates the legalized module through the TIR interpreter, and rejects what is not lowered", () => {
    const mod = parseRelaxScript(HIGH);
    const typed = [fromArray([...x.data], x.shape, "float32"), fromArray([...w.data], w.shape, "float32")];
    const stats = { calls: [] as string[] };
    const y = evalRelax(transform.LegalizeOps(mod), "main", typed, stats);
    expect(toArray(y as HostArray)).toEqual(Array.from({ length: 8 }, (_, i) => Math.fround(want(Math.floor(i / 2), i % 2))));
    expect(stats.calls.length).toBeGreaterThanOrEqual(5);
    expect(() => evalRelax(mod, "main", typed)).toThrow(/evalRelax: cannot run R\.split; a lowered module calls only R\.call_tir/);
  });

  it("checks the inputs against the parameters' shapes", () => {
    expect(() => evalMain(parseRelaxScript(HIGH).get("main") as Function, [x, arr([2, 2], () => 0)])).toThrow(/dim 0 of a/);
  });
});
