/**
 * Argument checks of the TE ops behind attention, resize2d, cumsum, topk and
 * conv2d_transpose (their values are checked through LegalizeOps against references in
 * test/relax/transform/legalize_numeric.test.ts).
 */
import { describe, expect, it } from "vitest";
import { placeholder, topi } from "../../src/te/index.js";

const f = (shape: number[], dtype = "float32", name = "x") => placeholder(shape, dtype, name);

describe("TE attention, resize2d, cumsum, topk and conv2d_transpose checks", () => {
  it("attention", () => {
    const q = f([1, 3, 4, 8]), k = f([1, 5, 2, 8]), v = f([1, 5, 2, 6]);
    expect(topi.attention(q, k, v).shape.map((d) => topi.constDim(d))).toEqual([1, 3, 4, 6]);
    expect(() => topi.attention(q, f([1, 5, 3, 8]), f([1, 5, 3, 6]))).toThrow(/4 query heads do not divide into 3 key\/value heads/);
    expect(() => topi.attention(q, f([1, 5, 2, 7]), v)).toThrow(/q and k head sizes differ/);
    expect(() => topi.attention(q, k, v, { bias: f([2, 4, 3, 5]) })).toThrow(/bias \[2, 4, 3, 5\] must broadcast to the scores/);
    expect(() => topi.attention(q, k, v, { causal: "Diagonal" as "TopLeft" })).toThrow(/causal must be "TopLeft" or "BottomRight"/);
    expect(() => topi.attention(f([1, 3, 32]), k, v)).toThrow(/q must be 4-D \[batch, seq, heads, head_dim\]/);
  });

  it("resize2d", () => {
    const x = f([1, 2, 4, 4]);
    expect(topi.resize2d(x, [8, 6]).shape.map((d) => topi.constDim(d))).toEqual([1, 2, 8, 6]);
    expect(() => topi.resize2d(x, [8, 8], { method: "area" as "linear" })).toThrow(/method must be one of "nearest_neighbor", "linear", "cubic"/);
    expect(() => topi.resize2d(x, [8, 8], { roundingMethod: "nearest" as "round" })).toThrow(/roundingMethod must be one of/);
    expect(() => topi.resize2d(f([1, 2, 4, 4], "int32"), [8, 8])).toThrow(/linear interpolation needs a float tensor, got int32/);
    expect(() => topi.resize2d(x, [8, 8], { scales: [2, 0] })).toThrow(/scale factors must be positive/);
    expect(() => topi.resize2d(f([2, 4, 4]), [8, 8])).toThrow(/data must be 4-D \(NCHW\)/);
  });

  it("cumsum, topk and conv2d_transpose", () => {
    expect(() => topi.cumsum(f([3], "bool"), 0)).toThrow(/cannot sum bool values/);
    expect(() => topi.cumsum(f([3, 4]), 2)).toThrow(/axis/);
    expect(() => topi.topk(f([3, 4]), 5)).toThrow(/k=5 must be between 1 and the axis extent 4/);
    expect(() => topi.topk(f([3, 4]), 2, -1, { indexDtype: "float32" })).toThrow(/indexDtype must be a signed integer type/);
    const d = f([1, 4, 3, 3]), w = f([4, 2, 3, 3], "float32", "w");
    expect(topi.conv2dTranspose(d, w, { strides: 2, groups: 2 }).shape.map((d) => topi.constDim(d))).toEqual([1, 4, 7, 7]);
    expect(() => topi.conv2dTranspose(d, w, { strides: 2, outputPadding: 2 })).toThrow(/output padding 2 must be smaller than the stride \(2\) or the dilation \(1\)/);
    expect(() => topi.conv2dTranspose(d, f([3, 2, 3, 3], "float32", "w"))).toThrow(/weight has 3 input channels but data has 4/);
    expect(() => topi.conv2dTranspose(d, w, { groups: 3 })).toThrow(/4 input channels are not divisible by groups=3/);
  });
});
