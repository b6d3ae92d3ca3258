import { describe, expect, it } from "vitest";
import { NDArray } from "../../src/runtime/ndarray.js";
import { NpyError, fromNpy, toNpy } from "../../src/runtime/npy.js";

// A .npy file numpy wrote: np.save(f, np.arange(6, dtype="<f4").reshape(2, 3)).
const NUMPY_F32 = (() => {
  const header = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";
  const padded = header + " ".repeat(128 - 10 - header.length - 1) + "\n";
  const out = new Uint8Array(128 + 24);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, padded.length & 0xff, padded.length >> 8]);
  for (let i = 0; i < padded.length; i++) out[10 + i] = padded.charCodeAt(i);
  const dv = new DataView(out.buffer, 128);
  for (let i = 0; i < 6; i++) dv.setFloat32(4 * i, i, true);
  return out;
})();

describe(".npy files", () => {
  it("reads numpy's layout (header padded to 64 bytes, little-endian data)", () => {
    const a = fromNpy(NUMPY_F32);
    expect(a.shape).toEqual([2, 3]);
    expect(a.dtype.toString()).toBe("float32");
    expect(a.toArray()).toEqual([0, 1, 2, 3, 4, 5]);
  });

  for (const [dtype, values] of [
    ["float32", [1.5, -2.25, 0, 3e-8]],
    ["float64", [Math.PI, -1e300, 5e-324, 0]],
    ["float16", [1.5, -0.0009765625, 65504, 6.103515625e-5]],
    ["int8", [-128, 127, 0, 5]],
    ["int32", [-2147483648, 2147483647, 7, -7]],
    ["int64", [-(2 ** 53), 2 ** 53, 12, -3]],
    ["uint16", [0, 65535, 1, 2]],
    ["bool", [1, 0, 1, 1]],
  ] as const) {
    it(`round-trips ${dtype} exactly, header aligned to 64 bytes`, () => {
      const a = NDArray.fromArray([...values], [2, 2], dtype);
      const bytes = toNpy(a);
      const headerLen = new DataView(bytes.buffer).getUint16(8, true);
      expect((10 + headerLen) % 64).toBe(0);
      const b = fromNpy(bytes);
      expect(b.dtype.toString()).toBe(dtype);
      expect(b.shape).toEqual([2, 2]);
      expect(b.toArray()).toEqual(a.toArray());
    });
  }

  it("1-d and 0-d shapes print numpy's tuple syntax", () => {
    const h = (a: NDArray) => new TextDecoder().decode(toNpy(a).subarray(10, 70));
    expect(h(NDArray.fromArray([1, 2, 3], [3], "float32"))).toContain("'shape': (3,)");
    expect(fromNpy(toNpy(NDArray.fromArray([7], [], "float32"))).shape).toEqual([]);
  });

  it("bad files are refused with the reason", () => {
    expect(() => fromNpy(new Uint8Array([1, 2, 3]), "x.npy")).toThrow(/x.npy: not a .npy file/);
    expect(() => fromNpy(NUMPY_F32.slice(0, 140), "t.npy")).toThrow(/truncated/);
    const fortran = NUMPY_F32.slice();
    const at = String.fromCharCode(...fortran.subarray(0, 128)).indexOf("False");
    fortran.set([..."True "].map((c) => c.charCodeAt(0)), at);
    expect(() => fromNpy(fortran)).toThrow(/Fortran/);
    const bigEndian = NUMPY_F32.slice();
    bigEndian[String.fromCharCode(...bigEndian.subarray(0, 128)).indexOf("<f4")] = ">".charCodeAt(0);
    expect(() => fromNpy(bigEndian)).toThrow(/dtype '>f4' is not supported/);
    expect(() => toNpy(NDArray.fromArray([1, 2], [2], "bfloat16"))).toThrow(NpyError);
  });
});
