/** Kernels and a chain of four elementwise calls on static shapes, shared by the pass tests. */
export const KERNELS = `
    @T.prim_func
    def add_one(A: T.Buffer((T.int64(4),), "float32"), B: T.Buffer((T.int64(4),), "float32")):
        for i in range(T.int64(4)):
            with T.block("B"):
                vi = T.axis.spatial(T.int64(4), i)
                B[vi] = A[vi] + T.float32(1)

    @T.prim_func
    def double(A: T.Buffer((T.int64(4),), "float32"), B: T.Buffer((T.int64(4),), "float32")):
        for i in range(T.int64(4)):
            with T.block("B"):
                vi = T.axis.spatial(T.int64(4), i)
                B[vi] = A[vi] * T.float32(2)

    @T.prim_func
    def two_out(a: T.handle, b: T.handle, c: T.handle, m: T.int64):
        n = T.int64()
        A = T.match_buffer(a, (n,), "float32")
        B = T.match_buffer(b, (n,), "float32")
        C = T.match_buffer(c, (n,), "float32")
        for i in range(n):
            with T.block("B"):
                vi = T.axis.spatial(n, i)
                B[vi] = A[vi] + T.Cast("float32", m)
                C[vi] = A[vi] * T.float32(2)
`;

export const HEADER = `
# from tvm.script import ir as I
# from tvm.script import tir as T
# from tvm.script import relax as R

@I.ir_module
class Module:`;

export const CHAIN = `${HEADER}
${KERNELS}
    @R.function
    def main(x: R.Tensor((4,), dtype="float32")) -> R.Tensor((4,), dtype="float32"):
        cls = Module
        with R.dataflow():
            a = R.call_tir(cls.add_one, (x,), out_sinfo=R.Tensor((4,), dtype="float32"))
            b = R.call_tir(cls.double, (a,), out_sinfo=R.Tensor((4,), dtype="float32"))
            c = R.call_tir(cls.add_one, (b,), out_sinfo=R.Tensor((4,), dtype="float32"))
            d = R.call_tir(cls.double, (c,), out_sinfo=R.Tensor((4,), dtype="float32"))
            R.output(d)
        return d
`;
