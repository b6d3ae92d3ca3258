/** Hand-written mixed Relax + TensorIR modules the VM tests build and run. */

/** y = relu(x @ w0 + b0) @ w1 with a symbolic batch n. */
export const MLP = `
# from tvm.script import ir as I
# from tvm.script import tir as T
# from tvm.script import relax as R

@I.ir_module
class Module:
    @T.prim_func
    def dense(x: T.handle, w: T.handle, y: T.handle):
        n = T.int64()
        k = T.int64()
        m = T.int64()
        X = T.match_buffer(x, (n, k), "float32")
        W = T.match_buffer(w, (k, m), "float32")
        Y = T.match_buffer(y, (n, m), "float32")
        for i, j, r in T.grid(n, m, k):
            with T.block("Y"):
                vi, vj, vr = T.axis.remap("SSR", [i, j, r])
                with T.init():
                    Y[vi, vj] = T.float32(0)
                Y[vi, vj] = Y[vi, vj] + X[vi, vr] * W[vr, vj]

    @T.prim_func
    def bias_relu(x: T.handle, b: T.handle, y: T.handle):
        n = T.int64()
        m = T.int64()
        X = T.match_buffer(x, (n, m), "float32")
        B = T.match_buffer(b, (m,), "float32")
        Y = T.match_buffer(y, (n, m), "float32")
        for i, j in T.grid(n, m):
            with T.block("Y"):
                vi, vj = T.axis.remap("SS", [i, j])
                Y[vi, vj] = T.max(X[vi, vj] + B[vj], T.float32(0))

    @R.function
    def main(x: R.Tensor(("n", 6), dtype="float32"), w0: R.Tensor((6, 5), dtype="float32"), b0: R.Tensor((5,), dtype="float32"), w1: R.Tensor((5, 3), dtype="float32")) -> R.Tensor(("n", 3), dtype="float32"):
        n = T.int64()
        cls = Module
        with R.dataflow():
            lv0 = R.call_tir(cls.dense, (x, w0), out_sinfo=R.Tensor((n, 5), dtype="float32"))
            lv1 = R.call_tir(cls.bias_relu, (lv0, b0), out_sinfo=R.Tensor((n, 5), dtype="float32"))
            gv = R.call_tir(cls.dense, (lv1, w1), out_sinfo=R.Tensor((n, 3), dtype="float32"))
            R.output(gv)
        return gv
`;

export function denseRef(x: number[], w: number[], n: number, k: number, m: number): number[] {
  const y = new Array<number>(n * m).fill(0);
  for (let i = 0; i < n; i++) for (let j = 0; j < m; j++) for (let r = 0; r < k; r++) y[i * m + j]! += x[i * k + r]! * w[r * m + j]!;
  return y;
}

export function mlpRef(x: number[], w0: number[], b0: number[], w1: number[], n: number): number[] {
  const h = denseRef(x, w0, n, 6, 5).map((v, i) => Math.max(v + b0[i % 5]!, 0));
  return denseRef(h, w1, n, 5, 3);
}

/** Deterministic pseudo-random values in [-1, 1). */
export function values(count: number, seed: number): number[] {
  let s = seed >>> 0 || 1;
  return Array.from({ length: count }, () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 31 - 1;
  });
}

const KERNELS_1D = `
    @T.prim_func
    def add_one(a: T.handle, b: T.handle):
        n = T.int64()
        A = T.match_buffer(a, (n,), "float32")
        B = T.match_buffer(b, (n,), "float32")
        for i in range(n):
            with T.block("B"):
                vi = T.axis.spatial(n, i)
                B[vi] = A[vi] + T.float32(1)

    @T.prim_func
    def double(a: T.handle, b: T.handle):
        n = T.int64()
        A = T.match_buffer(a, (n,), "float32")
        B = T.match_buffer(b, (n,), "float32")
        for i in range(n):
            with T.block("B"):
                vi = T.axis.spatial(n, i)
                B[vi] = A[vi] * T.float32(2)
`;

const HEADER = `
# from tvm.script import ir as I
# from tvm.script import tir as T
# from tvm.script import relax as R

@I.ir_module
class Module:`;

/** match_cast of an ndim-only tensor, a 2-d kernel, a reshape view, a 1-d kernel. */
export const MATCH_RESHAPE = `${HEADER}
${KERNELS_1D}
    @T.prim_func
    def add_one_2d(a: T.handle, b: T.handle):
        k = T.int64()
        j = T.int64()
        A = T.match_buffer(a, (k, j), "float32")
        B = T.match_buffer(b, (k, j), "float32")
        for i0, i1 in T.grid(k, j):
            with T.block("B"):
                v0, v1 = T.axis.remap("SS", [i0, i1])
                B[v0, v1] = A[v0, v1] + T.float32(1)

    @R.function
    def main(x: R.Tensor(dtype="float32", ndim=2)) -> R.Tensor(dtype="float32", ndim=1):
        k = T.int64()
        j = T.int64()
        cls = Module
        with R.dataflow():
            a = R.match_cast(x, R.Tensor((k, j), dtype="float32"))
            b = R.call_tir(cls.add_one_2d, (a,), out_sinfo=R.Tensor((k, j), dtype="float32"))
            c = R.reshape(b, R.shape([k * j]))
            d = R.call_tir(cls.double, (c,), out_sinfo=R.Tensor((k * j,), dtype="float32"))
            R.output(d)
        return d
`;

/** Two results of one computation, returned as a tuple. */
export const TUPLE_OUT = `${HEADER}
${KERNELS_1D}
    @T.prim_func
    def both(a: T.handle, b: T.handle, c: T.handle):
        n = T.int64()
        A = T.match_buffer(a, (n,), "float32")
        B = T.match_buffer(b, (n,), "float32")
        C = T.match_buffer(c, (n,), "float32")
        for i in range(n):
            with T.block("B"):
                vi = T.axis.spatial(n, i)
                B[vi] = A[vi] + T.float32(1)
                C[vi] = A[vi] * T.float32(2)

    @R.function
    def main(x: R.Tensor(("n",), dtype="float32")) -> R.Tuple(R.Tensor(("n",), dtype="float32"), R.Tensor(("n",), dtype="float32")):
        n = T.int64()
        cls = Module
        with R.dataflow():
            t = R.call_tir(cls.both, (x,), out_sinfo=[R.Tensor((n,), dtype="float32"), R.Tensor((n,), dtype="float32")])
            a = t[0]
            b = R.call_tir(cls.double, (t[1],), out_sinfo=R.Tensor((n,), dtype="float32"))
            gv = (a, b)
            R.output(gv)
        return gv
`;

/** An If on a PrimValue and one on a 0-d tensor. */
export const IF_COND = `${HEADER}
${KERNELS_1D}
    @R.function
    def main(c: R.Prim("bool"), x: R.Tensor((4,), dtype="float32")) -> R.Tensor((4,), dtype="float32"):
        cls = Module
        if c:
            y = R.call_tir(cls.add_one, (x,), out_sinfo=R.Tensor((4,), dtype="float32"))
            z = y
        else:
            z = R.call_tir(cls.double, (x,), out_sinfo=R.Tensor((4,), dtype="float32"))
        return z

    @R.function
    def by_tensor(c: R.Tensor((), dtype="bool"), x: R.Tensor((4,), dtype="float32")) -> R.Tensor((4,), dtype="float32"):
        cls = Module
        if c:
            z = R.call_tir(cls.add_one, (x,), out_sinfo=R.Tensor((4,), dtype="float32"))
        else:
            z = R.call_tir(cls.double, (x,), out_sinfo=R.Tensor((4,), dtype="float32"))
        return z
`;

/** A static 64x32 @ 32x16 matmul (the default schedules act on static shapes). */
export const STATIC_DENSE = `${HEADER}
    @T.prim_func
    def dense(X: T.Buffer((T.int64(64), T.int64(32)), "float32"), W: T.Buffer((T.int64(32), T.int64(16)), "float32"), Y: T.Buffer((T.int64(64), T.int64(16)), "float32")):
        for i, j, r in T.grid(T.int64(64), T.int64(16), T.int64(32)):
            with T.block("Y"):
                vi, vj, vr = T.axis.remap("SSR", [i, j, r])
                with T.init():
                    Y[vi, vj] = T.float32(0)
                Y[vi, vj] = Y[vi, vj] + X[vi, vr] * W[vr, vj]

    @R.function
    def main(x: R.Tensor((64, 32), dtype="float32"), w: R.Tensor((32, 16), dtype="float32")) -> R.Tensor((64, 16), dtype="float32"):
        cls = Module
        y = R.call_tir(cls.dense, (x, w), out_sinfo=R.Tensor((64, 16), dtype="float32"))
        return y
`;
