import { describe, expect, it } from "vitest";
import { parseRelaxScript } from "../../../src/relax/index.js";
import { runRelaxPipeline, VM_LOWERING_PASSES } from "../../../src/relax/pipeline.js";
import { vmCodegen } from "../../../src/relax/transform/index.js";
import { CHAIN } from "./chain.js";
import { moduleText } from "./helpers.js";

describe("VM codegen", () => {
  it("emits one instruction per binding: builtins, kernels (results discarded), kills into the killed register, ret", () => {
    const lowered = runRelaxPipeline(parseRelaxScript(CHAIN), VM_LOWERING_PASSES);
    const exec = vmCodegen(lowered);
    expect(exec.asText()).toBe(
      [
        "vm.function main(x) regs=19",
        "    0: %1 = call vm.builtin.alloc_shape_heap(i0)",
        "    1: _ = call vm.builtin.check_tensor_info(%0, i1, c[0], c[1])",
        "    2: _ = call vm.builtin.match_shape(%0, %1, i1, i1, i4, c[1])",
        "    3: %4 = call vm.builtin.alloc_storage(c[2])",
        "    4: %5 = call vm.builtin.alloc_tensor(%4, i0, c[3], c[0])",
        "    5: _ = call add_one(%0, %5)",
        "    6: %7 = call vm.builtin.alloc_storage(c[2])",
        "    7: %8 = call vm.builtin.alloc_tensor(%7, i0, c[3], c[0])",
        "    8: %7 = call vm.builtin.null_value()",
        "    9: _ = call double(%5, %8)",
        "   10: %5 = call vm.builtin.null_value()",
        "   11: %12 = call vm.builtin.alloc_tensor(%4, i0, c[3], c[0])",
        "   12: %4 = call vm.builtin.null_value()",
        "   13: _ = call add_one(%8, %12)",
        "   14: %8 = call vm.builtin.null_value()",
        "   15: %16 = call vm.builtin.empty(c[3], c[0])",
        "   16: _ = call double(%12, %16)",
        "   17: %12 = call vm.builtin.null_value()",
        "   18: ret %16",
      ].join("\n"),
    );
    expect(exec.kernelNames().sort()).toEqual(["add_one", "double"]);
    // Two storages for three planned tensors; the returned one is allocated per call.
    expect(exec.constants[2]).toEqual(expect.objectContaining({ values: [16] }));
  });

  it("compiles an If into If/Goto with one result register", () => {
    const mod = parseRelaxScript(moduleText(`
    @R.function
    def main(c: R.Prim("bool"), x: R.Tensor((4,), dtype="float32"), y: R.Tensor((4,), dtype="float32")) -> R.Tensor((4,), dtype="float32"):
        if c:
            z = x
        else:
            z = y
        return z
`));
    const text = vmCodegen(mod).asText();
    expect(text).toContain("    0: %3 = call vm.builtin.read_if_cond(%0)");
    expect(text).toContain("    1: if %3 else goto 4");
    expect(text).toContain("    2: %4 = call vm.builtin.identity(%1)");
    expect(text).toContain("    3: goto 5");
    expect(text).toContain("    4: %4 = call vm.builtin.identity(%2)");
    expect(text).toContain("    5: ret %4");
  });

  it("names the missing pass for what it cannot compile", () => {
    const src = (body: string) =>
      parseRelaxScript(moduleText(`
    @R.function
    def main(x: R.Tensor((4,), dtype="float32")) -> R.Tensor((4,), dtype="float32"):
        cls = Module
${body}
        return y
`));
    expect(() => vmCodegen(src("        y = R.exp(x)"))).toThrow('VM codegen: function "main", binding y: R.exp has no VM lowering; legalize it to R.call_tir first (LegalizeOps)');
    expect(() => vmCodegen(src('        y = R.call_tir(cls.add_one, (x,), out_sinfo=R.Tensor((4,), dtype="float32"))'))).toThrow(
      "R.call_tir must be rewritten to an explicit call first (run CallTIRRewrite)",
    );
  });
});
