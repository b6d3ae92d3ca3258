import { describe, expect, it } from "vitest";
import { build, loadExecutable } from "../../../src/relax/pipeline.js";
import { parseRelaxScript } from "../../../src/relax/index.js";
import { NDArray } from "../../../src/runtime/ndarray.js";
import { MLP, mlpRef, values } from "./modules.js";

describe("relax.build + VM: MLP with a symbolic batch", () => {
  it("one js build serves several n", async () => {
    const { vm, exec } = await build(parseRelaxScript(MLP), "js");
    const w0 = values(30, 1), b0 = values(5, 2), w1 = values(15, 3);
    for (const n of [1, 4, 7]) {
      const x = values(n * 6, 10 + n);
      const y = vm.invoke("main", NDArray.fromArray(x, [n, 6]), NDArray.fromArray(w0, [6, 5]), NDArray.fromArray(b0, [5]), NDArray.fromArray(w1, [5, 3])) as NDArray;
      expect(y.shape).toEqual([n, 3]);
      const ref = mlpRef(x, w0, b0, w1, n);
      y.toArray().forEach((v, i) => expect(v).toBeCloseTo(ref[i]!, 4));
    }
  });
});
