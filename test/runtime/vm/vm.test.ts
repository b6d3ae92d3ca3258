import { describe, expect, it } from "vitest";
import { NDArray } from "../../../src/runtime/ndarray.js";
import {
  Executable, MatchCode, ShapeTuple, VirtualMachine, cst, evalHeapProgram, imm, reg, VOID_REGISTER, type VMFunctionInfo,
} from "../../../src/runtime/vm/index.js";
import { build } from "../../../src/target/build.js";
import { parsePrimFunc } from "../../../src/tir/script/index.js";

const addOne = parsePrimFunc(`
@T.prim_func
def add_one(a: T.handle, b: T.handle):
    n = T.int64()
    A = T.match_buffer(a, (n,), "float32")
    B = T.match_buffer(b, (n,), "float32")
    for i in range(n):
        with T.block("B"):
            vi = T.axis.spatial(n, i)
            B[vi] = A[vi] + T.float32(1)
`);

const B = (name: string): VMFunctionInfo => ({ kind: "builtin", name });

/**
 * main(x, flag): checks x is a 1-d float32 tensor, records n, allocates out = empty((n,)),
 * runs add_one(x, out) and, when flag is true, add_one again (out2 = out + 1); returns
 * (result, shape(n)).
 */
function program(): Executable {
  const funcs: VMFunctionInfo[] = [
    {
      kind: "vm", name: "main", params: ["x", "flag"], numRegs: 8,
      code: [
        { op: "call", func: 1, args: [reg(0), imm(1), cst(0), cst(1)], dst: VOID_REGISTER }, // check_tensor_info
        { op: "call", func: 2, args: [imm(1)], dst: 2 }, // heap
        { op: "call", func: 3, args: [reg(0), reg(2), imm(1), imm(MatchCode.storeToHeap), imm(0), cst(1)], dst: VOID_REGISTER },
        { op: "call", func: 4, args: [reg(2), imm(1), imm(1), imm(0)], dst: 3 }, // make_shape (n,)
        { op: "call", func: 5, args: [reg(3), cst(0)], dst: 4 }, // empty
        { op: "call", func: 6, args: [reg(0), reg(4)], dst: VOID_REGISTER },
        { op: "if", cond: 1, falseOffset: 4 },
        { op: "call", func: 5, args: [reg(3), cst(0)], dst: 5 },
        { op: "call", func: 6, args: [reg(4), reg(5)], dst: VOID_REGISTER },
        { op: "goto", offset: 2 },
        { op: "call", func: 8, args: [reg(4)], dst: 5 }, // shape_of(out)
        { op: "call", func: 7, args: [reg(5), reg(3)], dst: 6 },
        { op: "ret", reg: 6 },
      ],
    },
    B("vm.builtin.check_tensor_info"), B("vm.builtin.alloc_shape_heap"), B("vm.builtin.match_shape"), B("vm.builtin.make_shape"),
    B("vm.builtin.empty"), { kind: "kernel", name: "add_one" }, B("vm.builtin.make_tuple"), B("vm.builtin.shape_of"),
  ];
  return new Executable(funcs, ["float32", 'main: parameter x: expected R.Tensor((n,), dtype="float32")']);
}

describe("VirtualMachine", () => {
  it("runs calls, If/Goto, kernels and builtins; one program serves every n", async () => {
    const mod = await build(addOne, "js");
    const vm = new VirtualMachine(program(), mod);
    for (const n of [1, 5, 9]) {
      const x = NDArray.fromArray(Array.from({ length: n }, (_, i) => i), [n]);
      const [y, s] = vm.invoke("main", x, true) as [NDArray, ShapeTuple];
      expect(y.toArray()).toEqual(Array.from({ length: n }, (_, i) => i + 2));
      expect(s).toEqual(new ShapeTuple([n]));
      const [z, shape] = vm.invoke("main", x, false) as [ShapeTuple, ShapeTuple];
      expect(z.values).toEqual([n]);
      expect(shape.values).toEqual([n]);
    }
  });

  it("reports wrong inputs with the parameter, the expected StructInfo and what was passed", async () => {
    const vm = new VirtualMachine(program(), await build(addOne, "js"));
    expect(() => vm.invoke("main", NDArray.empty([2, 3]), true)).toThrow(
      'main: parameter x: expected R.Tensor((n,), dtype="float32"), got a float32 tensor of shape (2, 3): 2 dimension(s), expected 1',
    );
    expect(() => vm.invoke("main", NDArray.empty([3], "int32"), true)).toThrow("got a int32 tensor of shape (3): dtype int32, expected float32");
    expect(() => vm.invoke("main", 3, true)).toThrow("got the number 3");
    expect(() => vm.invoke("main", NDArray.empty([3]))).toThrow("main: expected 2 argument(s) (x, flag), got 1");
    expect(() => vm.invoke("nope")).toThrow('executable has no function "nope" (it has: main)');
  });

  it("needs the kernels the bytecode calls", () => {
    expect(() => new VirtualMachine(program(), [])).toThrow('kernel "add_one" is in none of the device modules');
  });

  it("rejects bytecode that jumps out of the function", () => {
    const f: VMFunctionInfo = { kind: "vm", name: "bad", params: [], numRegs: 1, code: [{ op: "goto", offset: 5 }] };
    expect(() => new Executable([f], [])).toThrow("VM function bad: instruction 0: jump to 5 leaves the function");
  });

  it("serializes to one file and loads back (tensor constants, strings, shapes, artifacts)", async () => {
    const w = NDArray.fromArray([1.5, -2, 3.25], [3]);
    const funcs: VMFunctionInfo[] = [
      { kind: "vm", name: "main", params: [], numRegs: 1, code: [{ op: "call", func: 1, args: [cst(0), cst(1), cst(2), cst(3)], dst: 0 }, { op: "ret", reg: 0 }] },
      B("vm.builtin.make_tuple"),
    ];
    const exec = new Executable(funcs, [w, new ShapeTuple([3, 4]), "hello", 7], [
      { target: "js", format: "tir-script", data: "text", functions: ["k"] },
      { target: "wasm", format: "wasm-binary", data: new Uint8Array([0, 97, 115, 109, 1]), functions: ["k"] },
    ]);
    const bytes = exec.serialize();
    const back = Executable.load(bytes);
    expect(back.asText()).toBe(exec.asText());
    expect(back.kernels[1]!.data).toEqual(new Uint8Array([0, 97, 115, 109, 1]));
    expect(back.kernels[0]!.data).toBe("text");
    const [t, s, str, k] = new VirtualMachine(back).invoke("main") as [NDArray, ShapeTuple, string, number];
    expect(t.toArray()).toEqual([1.5, -2, 3.25]);
    expect(s.values).toEqual([3, 4]);
    expect([str, k]).toEqual(["hello", 7]);
    expect(() => Executable.load(new TextEncoder().encode("not an executable"))).toThrow("not a weft executable");
  });

  it("evaluates shape programs with floor division", () => {
    const h = new Float64Array([7, 2]);
    expect(evalHeapProgram("h0 h1 * 3 +", h)).toBe(17);
    expect(evalHeapProgram("-7 h1 /", h)).toBe(-4);
    expect(evalHeapProgram("-7 h1 %", h)).toBe(1);
    expect(evalHeapProgram("h0 h1 > h1 2 == &&", h)).toBe(1);
  });
});
