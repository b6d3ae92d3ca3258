import { describe, expect, it } from "vitest";
import { parseRelaxScript } from "../../../src/relax/index.js";
import {
  callTIRRewrite, killAfterLastUse, staticPlanBlockMemory, toNonDataflow,
} from "../../../src/relax/transform/index.js";
import { expectPass, moduleText } from "./helpers.js";

const T4 = 'R.Tensor((4,), dtype="float32")';

describe("ToNonDataflow", () => {
  it("turns dataflow blocks and vars into ordinary ones", () => {
    expectPass(
      toNonDataflow,
      `
    @R.function
    def main(x: ${T4}) -> ${T4}:
        cls = Module
        with R.dataflow():
            a = R.call_tir(cls.add_one, (x,), out_sinfo=${T4})
            b = R.call_tir(cls.double, (a,), out_sinfo=${T4})
            R.output(b)
        return b
`,
      `
    @R.function
    def main(x: ${T4}) -> ${T4}:
        cls = Module
        a: ${T4} = R.call_tir(cls.add_one, (x,), out_sinfo=${T4})
        b: ${T4} = R.call_tir(cls.double, (a,), out_sinfo=${T4})
        return b
`,
    );
  });
});

describe("CallTIRRewrite", () => {
  it("allocates outputs and calls the PrimFunc in destination-passing style", () => {
    expectPass(
      [toNonDataflow, callTIRRewrite],
      `
    @R.function
    def main(x: R.Tensor(("n",), dtype="float32")) -> R.Tensor(("n",), dtype="float32"):
        n = T.int64()
        cls = Module
        a = R.call_tir(cls.add_one, (x,), out_sinfo=R.Tensor((n,), dtype="float32"))
        t = R.call_tir(cls.two_out, (a,), out_sinfo=[R.Tensor((n,), dtype="float32"), R.Tensor((n,), dtype="float32")], tir_vars=R.shape([n]))
        b = t[1]
        return b
`,
      `
    @R.function
    def main(x: R.Tensor(("n",), dtype="float32")) -> R.Tensor(("n",), dtype="float32"):
        n = T.int64()
        cls = Module
        alloc: R.Tensor((n,), dtype="float32") = R.builtin.alloc_tensor(R.shape([n]), R.dtype("float32"), R.prim_value(0))
        _: R.Object = cls.add_one(x, alloc)
        a: R.Tensor((n,), dtype="float32") = alloc
        alloc1: R.Tensor((n,), dtype="float32") = R.builtin.alloc_tensor(R.shape([n]), R.dtype("float32"), R.prim_value(0))
        alloc2: R.Tensor((n,), dtype="float32") = R.builtin.alloc_tensor(R.shape([n]), R.dtype("float32"), R.prim_value(0))
        _1: R.Object = cls.two_out(a, alloc1, alloc2, R.shape([n]))
        t: R.Tuple(R.Tensor((n,), dtype="float32"), R.Tensor((n,), dtype="float32")) = (alloc1, alloc2)
        b: R.Tensor((n,), dtype="float32") = t[1]
        return b
`,
    );
  });
});

const CHAIN_MAIN = `
    @R.function
    def main(x: ${T4}) -> ${T4}:
        cls = Module
        with R.dataflow():
            a = R.call_tir(cls.add_one, (x,), out_sinfo=${T4})
            b = R.call_tir(cls.double, (a,), out_sinfo=${T4})
            c = R.call_tir(cls.add_one, (b,), out_sinfo=${T4})
            d = R.call_tir(cls.double, (c,), out_sinfo=${T4})
            R.output(d)
        return d
`;

const PLANNED = `
    @R.function
    def main(x: ${T4}) -> ${T4}:
        cls = Module
        storage: R.Object = R.memory.alloc_storage(R.shape([16]), R.prim_value(0), R.str("global"), R.dtype("float32"))
        alloc: ${T4} = R.memory.alloc_tensor(storage, R.prim_value(0), R.shape([4]), R.dtype("float32"))
        _: R.Object = cls.add_one(x, alloc)
        a: ${T4} = alloc
        storage1: R.Object = R.memory.alloc_storage(R.shape([16]), R.prim_value(0), R.str("global"), R.dtype("float32"))
        alloc1: ${T4} = R.memory.alloc_tensor(storage1, R.prim_value(0), R.shape([4]), R.dtype("float32"))
        _1: R.Object = cls.double(a, alloc1)
        b: ${T4} = alloc1
        alloc2: ${T4} = R.memory.alloc_tensor(storage, R.prim_value(0), R.shape([4]), R.dtype("float32"))
        _2: R.Object = cls.add_one(b, alloc2)
        c: ${T4} = alloc2
        alloc3: ${T4} = R.builtin.alloc_tensor(R.shape([4]), R.dtype("float32"), R.prim_value(0))
        _3: R.Object = cls.double(c, alloc3)
        d: ${T4} = alloc3
        return d
`;

describe("StaticPlanBlockMemory", () => {
  it("reuses a storage once a tensor's last use has passed; the returned tensor is not planned", () => {
    // a and c share `storage` (a is dead after b's call); b has its own; d is returned.
    expectPass([toNonDataflow, callTIRRewrite, staticPlanBlockMemory], CHAIN_MAIN, PLANNED);
  });

  it("sizes symbolic tensors by tir_var_upper_bound; without a bound they stay per call", () => {
    const fn = (attr: string) => `
    @R.function
    def main(x: R.Tensor(("n",), dtype="float32")) -> R.Tensor(("n",), dtype="float32"):
        n = T.int64()
        ${attr}
        cls = Module
        a = R.call_tir(cls.add_one, (x,), out_sinfo=R.Tensor((n,), dtype="float32"))
        b = R.call_tir(cls.double, (a,), out_sinfo=R.Tensor((n,), dtype="float32"))
        return b
`;
    expectPass(
      [toNonDataflow, callTIRRewrite, staticPlanBlockMemory],
      fn('R.func_attr({"tir_var_upper_bound": {"n": 32}})'),
      `
    @R.function
    def main(x: R.Tensor(("n",), dtype="float32")) -> R.Tensor(("n",), dtype="float32"):
        n = T.int64()
        R.func_attr({"tir_var_upper_bound": {"n": 32}})
        cls = Module
        storage: R.Object = R.memory.alloc_storage(R.shape([128]), R.prim_value(0), R.str("global"), R.dtype("float32"))
        alloc: R.Tensor((n,), dtype="float32") = R.memory.alloc_tensor(storage, R.prim_value(0), R.shape([n]), R.dtype("float32"))
        _: R.Object = cls.add_one(x, alloc)
        a: R.Tensor((n,), dtype="float32") = alloc
        alloc1: R.Tensor((n,), dtype="float32") = R.builtin.alloc_tensor(R.shape([n]), R.dtype("float32"), R.prim_value(0))
        _1: R.Object = cls.double(a, alloc1)
        b: R.Tensor((n,), dtype="float32") = alloc1
        return b
`,
    );
    const unbounded = parseRelaxScript(moduleText(fn("")));
    const rewritten = callTIRRewrite(toNonDataflow(unbounded));
    // Nothing can be sized statically: the function comes back unchanged.
    expect(staticPlanBlockMemory(rewritten).get("main")).toBe(rewritten.get("main"));
  });

  it("rejects a malformed upper-bound attribute", () => {
    const m = parseRelaxScript(moduleText(`
    @R.function
    def main(x: R.Tensor(("n",), dtype="float32")) -> R.Tensor(("n",), dtype="float32"):
        n = T.int64()
        R.func_attr({"tir_var_upper_bound": {"n": -1}})
        cls = Module
        a = R.call_tir(cls.add_one, (x,), out_sinfo=R.Tensor((n,), dtype="float32"))
        return a
`));
    expect(() => staticPlanBlockMemory(callTIRRewrite(m))).toThrow('StaticPlanBlockMemory: function "main": tir_var_upper_bound: bound of "n" must be a non-negative integer, got -1');
  });
});

describe("KillAfterLastUse", () => {
  it("kills tensors and storages after their last use, never the result", () => {
    expectPass(
      killAfterLastUse,
      PLANNED,
      `
    @R.function
    def main(x: ${T4}) -> ${T4}:
        cls = Module
        storage: R.Object = R.memory.alloc_storage(R.shape([16]), R.prim_value(0), R.str("global"), R.dtype("float32"))
        alloc: ${T4} = R.memory.alloc_tensor(storage, R.prim_value(0), R.shape([4]), R.dtype("float32"))
        _: R.Object = cls.add_one(x, alloc)
        a: ${T4} = alloc
        storage1: R.Object = R.memory.alloc_storage(R.shape([16]), R.prim_value(0), R.str("global"), R.dtype("float32"))
        alloc1: ${T4} = R.memory.alloc_tensor(storage1, R.prim_value(0), R.shape([4]), R.dtype("float32"))
        _4: R.Tuple = R.memory.kill_storage(storage1)
        _1: R.Object = cls.double(a, alloc1)
        _5: R.Tuple = R.memory.kill_tensor(alloc)
        b: ${T4} = alloc1
        alloc2: ${T4} = R.memory.alloc_tensor(storage, R.prim_value(0), R.shape([4]), R.dtype("float32"))
        _6: R.Tuple = R.memory.kill_storage(storage)
        _2: R.Object = cls.add_one(b, alloc2)
        _7: R.Tuple = R.memory.kill_tensor(alloc1)
        c: ${T4} = alloc2
        alloc3: ${T4} = R.builtin.alloc_tensor(R.shape([4]), R.dtype("float32"), R.prim_value(0))
        _3: R.Object = cls.double(c, alloc3)
        _8: R.Tuple = R.memory.kill_tensor(alloc2)
        d: ${T4} = alloc3
        return d
`,
    );
  });
});
