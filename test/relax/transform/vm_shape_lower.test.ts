import { describe, expect, it } from "vitest";
import { parseRelaxScript } from "../../../src/relax/index.js";
import { vmShapeLower } from "../../../src/relax/transform/index.js";
import { expectPass, moduleText } from "./helpers.js";

const SIG = `def main(x: R.Tensor(("n", 4), dtype="float32"), s: R.Shape(["m"]), t: R.Tuple(R.Tensor(("m",), dtype="float32"), R.Prim("int64"))) -> R.Tensor(ndim=2, dtype="float32"):
        n = T.int64()
        m = T.int64()
        k = T.int64()`;

const ERR_X = 'R.str("main: parameter x: expected R.Tensor((n, 4), dtype=\\"float32\\")")';
const ERR_T0 = 'R.str("main: parameter t[0]: expected R.Tensor((m,), dtype=\\"float32\\")")';
const ERR_A = 'R.str("main: match_cast of a: expected R.Tensor((k, 4), dtype=\\"float32\\")")';
const PP = "R.call_pure_packed";
const V = "sinfo_args=(R.Tuple,)";

describe("VMShapeLower", () => {
  it("checks parameters, match_casts and recorded runtime checks on the shape heap; builds symbolic shapes from it", () => {
    expectPass(
      vmShapeLower,
      `
    @R.function
    ${SIG}
        c = R.reshape(x, R.shape([m, 4]))
        a = R.match_cast(c, R.Tensor((k, 4), dtype="float32"))
        y = R.builtin.alloc_tensor(R.shape([n * 4 + m, k]), R.dtype("float32"), R.prim_value(0))
        return y
`,
      // Slots: n -> 0, m -> 1, k -> 2, scratch for n * 4 + m -> 3. match_shape codes: 1 assert
      // a constant, 2 store into a slot, 3 assert equal to a slot.
      `
    @R.function
    ${SIG}
        shape_heap: R.Object = ${PP}("vm.builtin.alloc_shape_heap", R.prim_value(4), sinfo_args=(R.Object,))
        _: R.Tuple = ${PP}("vm.builtin.check_tensor_info", x, R.prim_value(2), R.dtype("float32"), ${ERR_X}, ${V})
        _1: R.Tuple = ${PP}("vm.builtin.match_shape", x, shape_heap, R.prim_value(2), R.prim_value(2), R.prim_value(0), R.prim_value(1), R.prim_value(4), ${ERR_X}, ${V})
        _2: R.Tuple = ${PP}("vm.builtin.check_shape_info", s, R.prim_value(1), R.str("main: parameter s: expected R.Shape([m])"), ${V})
        _3: R.Tuple = ${PP}("vm.builtin.match_shape", s, shape_heap, R.prim_value(1), R.prim_value(2), R.prim_value(1), R.str("main: parameter s: expected R.Shape([m])"), ${V})
        _4: R.Tuple = ${PP}("vm.builtin.check_tuple_info", t, R.prim_value(2), R.str("main: parameter t: expected R.Tuple(R.Tensor((m,), dtype=\\"float32\\"), R.Prim(\\"int64\\"))"), ${V})
        item: R.Tensor((m,), dtype="float32") = t[0]
        _5: R.Tuple = ${PP}("vm.builtin.check_tensor_info", item, R.prim_value(1), R.dtype("float32"), ${ERR_T0}, ${V})
        _6: R.Tuple = ${PP}("vm.builtin.match_shape", item, shape_heap, R.prim_value(1), R.prim_value(3), R.prim_value(1), ${ERR_T0}, ${V})
        item1: R.Prim("int64") = t[1]
        _7: R.Tuple = ${PP}("vm.builtin.check_prim_value_info", item1, R.dtype("int64"), R.str("main: parameter t[1]: expected R.Prim(\\"int64\\")"), ${V})
        _8: R.Tuple = ${PP}("vm.builtin.check_heap", shape_heap, R.str("h0 4 * h1 4 * =="), R.str("main: R.reshape: cannot reshape 'x' of shape (n, 4) (n * 4 elements) to (m, 4) (m * 4 elements): the element counts must be equal"), ${V})
        shape: R.Shape([m, 4]) = ${PP}("vm.builtin.make_shape", shape_heap, R.prim_value(2), R.prim_value(1), R.prim_value(1), R.prim_value(0), R.prim_value(4), sinfo_args=(R.Shape([m, 4]),))
        c: R.Tensor((m, 4), dtype="float32") = R.reshape(x, shape)
        _9: R.Tuple = ${PP}("vm.builtin.check_tensor_info", c, R.prim_value(2), R.dtype("float32"), ${ERR_A}, ${V})
        _10: R.Tuple = ${PP}("vm.builtin.match_shape", c, shape_heap, R.prim_value(2), R.prim_value(2), R.prim_value(2), R.prim_value(1), R.prim_value(4), ${ERR_A}, ${V})
        a: R.Tensor((k, 4), dtype="float32") = R.match_cast(c, R.Tensor((k, 4), dtype="float32"))
        _11: R.Tuple = ${PP}("vm.builtin.compute_heap", shape_heap, R.prim_value(3), R.str("h0 4 * h1 +"), ${V})
        shape1: R.Shape([n * 4 + m, k]) = ${PP}("vm.builtin.make_shape", shape_heap, R.prim_value(2), R.prim_value(1), R.prim_value(3), R.prim_value(1), R.prim_value(2), sinfo_args=(R.Shape([n * 4 + m, k]),))
        y: R.Tensor((n * 4 + m, k), dtype="float32") = R.builtin.alloc_tensor(shape1, R.dtype("float32"), R.prim_value(0))
        return y
`,
    );
  });

  it("says which variable is used before anything defines it", () => {
    const m = parseRelaxScript(moduleText(`
    @R.function
    def main(x: R.Tensor(("n",), dtype="float32")) -> R.Tensor(ndim=1, dtype="float32"):
        n = T.int64()
        k = T.int64()
        y = R.builtin.alloc_tensor(R.shape([k]), R.dtype("float32"), R.prim_value(0))
        return y
`));
    expect(() => vmShapeLower(m)).toThrow('VMShapeLower: function "main": symbolic variable k is used before any parameter or match_cast defines it');
  });
});
