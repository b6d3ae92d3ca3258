// The printed examples of the TVMScript printing conventions, shared by the parser,
// printer and round-trip tests.

export const SPEC_SOFTMAX = `# from tvm.script import tir as T

@T.prim_func
def softmax(A: T.Buffer((128, 256), "float32"), B: T.Buffer((128, 256), "float32")):
    T.func_attr({"tir.noalias": True})
    # with T.block("root"):
    A_max = T.alloc_buffer((128,))
    A_exp = T.alloc_buffer((128, 256))
    A_sum = T.alloc_buffer((128,))
    for i, k in T.grid(128, 256):
        with T.block("A_max"):
            vi, vk = T.axis.remap("SR", [i, k])
            T.reads(A[vi, vk])
            T.writes(A_max[vi])
            with T.init():
                A_max[vi] = T.float32(-340282346638528859811704183484516925440.0)
            A_max[vi] = T.max(A_max[vi], A[vi, vk])
    for i, j in T.grid(128, 256):
        with T.block("A_exp"):
            vi, vj = T.axis.remap("SS", [i, j])
            T.reads(A[vi, vj], A_max[vi])
            T.writes(A_exp[vi, vj])
            A_exp[vi, vj] = T.exp(A[vi, vj] - A_max[vi])
    for i, k in T.grid(128, 256):
        with T.block("A_sum"):
            vi, vk = T.axis.remap("SR", [i, k])
            T.reads(A_exp[vi, vk])
            T.writes(A_sum[vi])
            with T.init():
                A_sum[vi] = T.float32(0.0)
            A_sum[vi] = A_sum[vi] + A_exp[vi, vk]
    for i, j in T.grid(128, 256):
        with T.block("B"):
            vi, vj = T.axis.remap("SS", [i, j])
            T.reads(A_exp[vi, vj], A_sum[vi])
            T.writes(B[vi, vj])
            B[vi, vj] = A_exp[vi, vj] / A_sum[vi]
`;

export const SPEC_TILED_MATMUL = `# from tvm.script import tir as T

@T.prim_func
def main(A: T.Buffer((1024, 1024), "float32"), B: T.Buffer((1024, 1024), "float32"), C: T.Buffer((1024, 1024), "float32")):
    T.func_attr({"tir.noalias": True})
    # with T.block("root"):
    for i_0_j_0_fused in T.parallel(512, annotations={"pragma_auto_unroll_max_step": 64}):
        for k, i_1 in T.grid(1024, 32):
            for j_1 in T.vectorized(64):
                with T.block("C"):
                    vi = T.axis.spatial(1024, i_0_j_0_fused // 16 * 32 + i_1)
                    vj = T.axis.spatial(1024, i_0_j_0_fused % 16 * 64 + j_1)
                    vk = T.axis.reduce(1024, k)
                    T.reads(A[vi, vk], B[vk, vj])
                    T.writes(C[vi, vj])
                    with T.init():
                        C[vi, vj] = T.float32(0.0)
                    C[vi, vj] = C[vi, vj] + A[vi, vk] * B[vk, vj]
`;
