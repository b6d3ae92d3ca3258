import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { PRE_VM_PASSES, VM_LOWERING_PASSES, build, loadExecutable, schedulePasses, type Built } from "../../../src/relax/pipeline.js";
import { parseRelaxScript, build as relaxBuild } from "../../../src/relax/index.js";
import { NDArray } from "../../../src/runtime/ndarray.js";
import { findCompiler } from "../../../src/target/c/index.js";
import { IF_COND, MATCH_RESHAPE, MLP, STATIC_DENSE, TUPLE_OUT, denseRef, mlpRef, values } from "./modules.js";

const hasC = (() => {
  try {
    findCompiler();
    return true;
  } catch {
    return false;
  }
})();

// c needs a system C compiler; without one its cases are skipped (the js and wasm ones still run).
const TARGETS = [
  { target: "js", skip: false },
  { target: "wasm", skip: false },
  { target: "c", skip: !hasC },
];

const close = (got: number[], want: number[]) => {
  expect(got.length).toBe(want.length);
  got.forEach((v, i) => expect(v).toBeCloseTo(want[i]!, 4));
};

function runMlp(b: Built) {
  const w0 = values(30, 1), b0 = values(5, 2), w1 = values(15, 3);
  for (const n of [1, 4, 7]) {
    const x = values(n * 6, 10 + n);
    const y = b.vm.invoke("main", NDArray.fromArray(x, [n, 6]), NDArray.fromArray(w0, [6, 5]), NDArray.fromArray(b0, [5]), NDArray.fromArray(w1, [5, 3])) as NDArray;
    expect(y.shape).toEqual([n, 3]);
    close(y.toArray(), mlpRef(x, w0, b0, w1, n));
  }
}

describe.each(TARGETS)("relax.build + VM on $target", ({ target, skip }) => {
  it.skipIf(skip)("an MLP with a symbolic batch: one build serves every n", async () => {
    runMlp(await relaxBuild(parseRelaxScript(MLP), target));
  });

  it.skipIf(skip)("match_cast and a reshape view", async () => {
    const { vm } = await build(parseRelaxScript(MATCH_RESHAPE), target);
    for (const [k, j] of [[2, 3], [4, 1]] as const) {
      const x = values(k * j, k * 7 + j);
      const d = vm.invoke("main", NDArray.fromArray(x, [k, j])) as NDArray;
      expect(d.shape).toEqual([k * j]);
      close(d.toArray(), x.map((v) => (v + 1) * 2));
    }
  });

  it.skipIf(skip)("a tuple output", async () => {
    const { vm } = await build(parseRelaxScript(TUPLE_OUT), target);
    const x = values(5, 9);
    const [a, b] = vm.invoke("main", NDArray.fromArray(x, [5])) as NDArray[];
    close(a!.toArray(), x.map((v) => v + 1));
    close(b!.toArray(), x.map((v) => v * 4));
  });

  it.skipIf(skip)("If on a PrimValue and on a tensor condition", async () => {
    const { vm } = await build(parseRelaxScript(IF_COND), target);
    const x = NDArray.fromArray([1, 2, 3, 4], [4]);
    expect((vm.invoke("main", true, x) as NDArray).toArray()).toEqual([2, 3, 4, 5]);
    expect((vm.invoke("main", false, x) as NDArray).toArray()).toEqual([2, 4, 6, 8]);
    const t = NDArray.fromArray([1], [], "bool"), f = NDArray.fromArray([0], [], "bool");
    expect((vm.invoke("by_tensor", t, x) as NDArray).toArray()).toEqual([2, 3, 4, 5]);
    expect((vm.invoke("by_tensor", f, x) as NDArray).toArray()).toEqual([2, 4, 6, 8]);
  });

  it.skipIf(skip)("default-scheduled kernels (static matmul) give the reference results", async () => {
    const b = await build(parseRelaxScript(STATIC_DENSE), target);
    const plain = await build(parseRelaxScript(STATIC_DENSE), target, { defaultSchedule: false });
    // The artifact holds the kernels (TensorIR for c, sources for js, binaries for wasm): scheduling changed it.
    expect(b.exec.kernels[0]!.data).not.toEqual(plain.exec.kernels[0]!.data);
    const x = values(64 * 32, 5), w = values(32 * 16, 6);
    const y = b.vm.invoke("main", NDArray.fromArray(x, [64, 32]), NDArray.fromArray(w, [32, 16])) as NDArray;
    close(y.toArray(), denseRef(x, w, 64, 32, 16));
  });

  it.skipIf(skip)("serialize -> load -> run gives the same outputs", async () => {
    const built = await build(parseRelaxScript(MLP), target);
    const file = join(mkdtempSync(join(tmpdir(), "weft-vm-")), "mlp.weftvm");
    writeFileSync(file, built.exec.serialize());
    const loaded = await loadExecutable(new Uint8Array(readFileSync(file)));
    expect(loaded.exec.asText()).toBe(built.exec.asText());
    const n = 3;
    const args = [NDArray.fromArray(values(18, 4), [n, 6]), NDArray.fromArray(values(30, 1), [6, 5]), NDArray.fromArray(values(5, 2), [5]), NDArray.fromArray(values(15, 3), [5, 3])];
    expect((loaded.vm.invoke("main", ...args) as NDArray).toArray()).toEqual((built.vm.invoke("main", ...args) as NDArray).toArray());
  });
});

describe("wrong inputs at run time", () => {
  it("name the parameter, the expected StructInfo and what was passed", async () => {
    const { vm } = await build(parseRelaxScript(MLP), "js");
    const w0 = NDArray.empty([6, 5]), b0 = NDArray.empty([5]), w1 = NDArray.empty([5, 3]);
    expect(() => vm.invoke("main", NDArray.empty([2, 7]), w0, b0, w1)).toThrow(
      'main: parameter x: expected R.Tensor((n, 6), dtype="float32"), got a float32 tensor of shape (2, 7): dimension 1 is 7, expected 6',
    );
    expect(() => vm.invoke("main", NDArray.empty([2, 6], "int32"), w0, b0, w1)).toThrow(
      'main: parameter x: expected R.Tensor((n, 6), dtype="float32"), got a int32 tensor of shape (2, 6): dtype int32, expected float32',
    );
    expect(() => vm.invoke("main", NDArray.empty([2, 6]), w0, NDArray.empty([5, 1]), w1)).toThrow(
      'main: parameter b0: expected R.Tensor((5,), dtype="float32"), got a float32 tensor of shape (5, 1): 2 dimension(s), expected 1',
    );
    expect(() => vm.invoke("main", 3, w0, b0, w1)).toThrow('main: parameter x: expected R.Tensor((n, 6), dtype="float32"), got the number 3');
  });

  it("a symbolic dim bound by one parameter is checked in the next", async () => {
    const { vm } = await build(parseRelaxScript(TUPLE_OUT.replace('x: R.Tensor(("n",), dtype="float32")', 'x: R.Tensor(("n",), dtype="float32"), y: R.Tensor(("n",), dtype="float32")')), "js");
    expect(() => vm.invoke("main", NDArray.empty([3]), NDArray.empty([4]))).toThrow(
      'main: parameter y: expected R.Tensor((n,), dtype="float32"), got a float32 tensor of shape (4): dimension 0 is 4, expected 3 (bound earlier)',
    );
  });

  it("match_cast failures name the cast", async () => {
    const { vm } = await build(parseRelaxScript(MATCH_RESHAPE), "js");
    expect(() => vm.invoke("main", NDArray.empty([2, 3], "float64"))).toThrow("main: parameter x: expected R.Tensor(ndim=2, dtype=\"float32\")");
  });
});

describe("relax.build options", () => {
  it("passes call_tir's tir_vars to the kernel as integers", async () => {
    const { HEADER, KERNELS } = await import("../../relax/transform/chain.js");
    const mod = parseRelaxScript(`${HEADER}
${KERNELS}
    @R.function
    def main(x: R.Tensor(("n",), dtype="float32")) -> R.Tensor(("n",), dtype="float32"):
        n = T.int64()
        cls = Module
        t = R.call_tir(cls.two_out, (x,), out_sinfo=[R.Tensor((n,), dtype="float32"), R.Tensor((n,), dtype="float32")], tir_vars=R.shape([n * 10]))
        y = t[0]
        return y
`);
    const { vm } = await build(mod, "js");
    expect((vm.invoke("main", NDArray.fromArray([1, 2], [2])) as NDArray).toArray()).toEqual([21, 22]);
    expect((vm.invoke("main", NDArray.fromArray([1, 2, 3], [3])) as NDArray).toArray()).toEqual([31, 32, 33]);
  });

  it("dumps the module after every pass and the bytecode", async () => {
    const { mkdtempSync, readdirSync, readFileSync } = await import("node:fs");
    const { join } = await import("node:path");
    const { tmpdir } = await import("node:os");
    const dir = mkdtempSync(join(tmpdir(), "weft-relax-dump-"));
    await build(parseRelaxScript(MLP), "js", { dumpDir: dir });
    const names = [...PRE_VM_PASSES, ...schedulePasses("js"), ...VM_LOWERING_PASSES].map((p) => p.name);
    expect(names).toContain("LiftTransformParams");
    expect(readdirSync(dir).filter((f) => f.startsWith("relax_")).sort()).toEqual([
      "relax_00_input.py",
      ...names.map((n, i) => `relax_${String(i + 1).padStart(2, "0")}_${n}.py`),
      `relax_${String(names.length + 1).padStart(2, "0")}_bytecode.txt`,
    ]);
    const at = (n: string) => `relax_${String(names.indexOf(n) + 1).padStart(2, "0")}_${n}.py`;
    expect(readFileSync(join(dir, at("FuseOps")), "utf8")).toContain("fused_dense_bias_relu");
    expect(readFileSync(join(dir, at("CallTIRRewrite")), "utf8")).toContain("R.builtin.alloc_tensor(");
    expect(readFileSync(join(dir, `relax_${String(names.length + 1).padStart(2, "0")}_bytecode.txt`), "utf8")).toContain("call fused_dense_bias_relu(");
  });

  it("WEFT_DUMP_IR=<dir> turns the dumps on", async () => {
    const { mkdtempSync, readdirSync } = await import("node:fs");
    const dir = join(mkdtempSync(join(tmpdir(), "weft-relax-env-")), "dump");
    const before = process.env["WEFT_DUMP_IR"];
    process.env["WEFT_DUMP_IR"] = dir;
    try {
      await build(parseRelaxScript(MLP), "js");
    } finally {
      if (before === undefined) delete process.env["WEFT_DUMP_IR"];
      else process.env["WEFT_DUMP_IR"] = before;
    }
    expect(readdirSync(dir).some((f) => /^relax_\d+_VMShapeLower\.py$/.test(f))).toBe(true);
  });

  it("runs the passes given before the lowering", async () => {
    const seen: string[] = [];
    const spy = Object.assign((m: import("../../../src/ir/module.js").IRModule) => {
      seen.push([...m.entries()].map(([g]) => g.name).join(","));
      return m;
    }, {});
    Object.defineProperty(spy, "name", { value: "Spy" });
    runMlp(await build(parseRelaxScript(MLP), "js", { passes: [spy as never] }));
    expect(seen).toEqual(["bias_relu,dense,main"]);
  });
});

describe("symbolic scalars", () => {
  it("an R.Prim(value=m) parameter defines m; a symbolic R.prim_value drives an If", async () => {
    const { HEADER, KERNELS } = await import("../../relax/transform/chain.js");
    const mod = parseRelaxScript(`${HEADER}
${KERNELS}
    @R.function
    def main(x: R.Tensor(("n",), dtype="float32"), k: R.Prim(value="m")) -> R.Tensor(("n",), dtype="float32"):
        n = T.int64()
        m = T.int64()
        cls = Module
        big = R.prim_value(n > 2)
        if big:
            t = R.call_tir(cls.two_out, (x,), out_sinfo=[R.Tensor((n,), dtype="float32"), R.Tensor((n,), dtype="float32")], tir_vars=R.shape([m + n]))
            y = t[0]
        else:
            y = x
        return y
`);
    const { vm } = await build(mod, "js");
    expect((vm.invoke("main", NDArray.fromArray([1, 2, 3], [3]), 10) as NDArray).toArray()).toEqual([14, 15, 16]);
    expect((vm.invoke("main", NDArray.fromArray([1, 2], [2]), 10) as NDArray).toArray()).toEqual([1, 2]);
    expect(() => vm.invoke("main", NDArray.fromArray([1, 2], [2]), 1.5)).toThrow('main: parameter k: expected R.Prim(value=m), got the number 1.5');
  });
});

describe("calls between Relax functions", () => {
  it("main calls a helper with its own shape checks and memory", async () => {
    const { HEADER, KERNELS } = await import("../../relax/transform/chain.js");
    const mod = parseRelaxScript(`${HEADER}
${KERNELS}
    @R.function
    def helper(a: R.Tensor((4,), dtype="float32")) -> R.Tensor((4,), dtype="float32"):
        cls = Module
        b = R.call_tir(cls.add_one, (a,), out_sinfo=R.Tensor((4,), dtype="float32"))
        c = R.call_tir(cls.double, (b,), out_sinfo=R.Tensor((4,), dtype="float32"))
        return c

    @R.function
    def main(x: R.Tensor((4,), dtype="float32")) -> R.Tuple(R.Tensor((4,), dtype="float32"), R.Tensor((4,), dtype="float32")):
        cls = Module
        y = cls.helper(x)
        z = cls.helper(y)
        return (y, z)
`);
    const { vm } = await build(mod, "js");
    const [y, z] = vm.invoke("main", NDArray.fromArray([0, 1, 2, 3], [4])) as NDArray[];
    expect(y!.toArray()).toEqual([2, 4, 6, 8]);
    expect(z!.toArray()).toEqual([6, 10, 14, 18]);
    expect((vm.invoke("helper", NDArray.fromArray([1, 1, 1, 1], [4])) as NDArray).toArray()).toEqual([4, 4, 4, 4]);
  });
});

describe("packed functions", () => {
  it("R.call_dps_packed calls a registered packed function with its outputs allocated", async () => {
    const { registerBuiltin } = await import("../../../src/runtime/vm/builtins.js");
    registerBuiltin("test.add_ten", (x, out) => {
      const a = x as NDArray, o = out as NDArray;
      for (let i = 0; i < a.numel; i++) o.data[i] = a.data[i]! + 10;
    });
    const mod = parseRelaxScript(`
# from tvm.script import ir as I
# from tvm.script import relax as R

@I.ir_module
class Module:
    @R.function
    def main(x: R.Tensor(("n",), dtype="float32")) -> R.Tensor(("n",), dtype="float32"):
        n = T.int64()
        y = R.call_dps_packed("test.add_ten", (x,), out_sinfo=R.Tensor((n,), dtype="float32"))
        return y
`);
    const { vm } = await build(mod, "js");
    expect((vm.invoke("main", NDArray.fromArray([1, 2, 3], [3])) as NDArray).toArray()).toEqual([11, 12, 13]);
  });

  it("a packed function nobody registered is named when the VM is made", async () => {
    const mod = parseRelaxScript(`
# from tvm.script import ir as I
# from tvm.script import relax as R

@I.ir_module
class Module:
    @R.function
    def main(x: R.Tensor((3,), dtype="float32")) -> R.Tensor((3,), dtype="float32"):
        y = R.call_dps_packed("test.nobody", (x,), out_sinfo=R.Tensor((3,), dtype="float32"))
        return y
`);
    await expect(build(mod, "js")).rejects.toThrow('VM: builtin "test.nobody" is not registered');
  });
});
