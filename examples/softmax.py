# from tvm.script import tir as T

@T.prim_func
def softmax(A: T.Buffer((128, 256), "float32"), B: T.Buffer((128, 256), "float32")):
    T.func_attr({"tir.noalias": True})
    A_max = T.alloc_buffer((128,))
    A_exp = T.alloc_buffer((128, 256))
    A_sum = T.alloc_buffer((128,))
    for i, k in T.grid(128, 256):
        with T.block("A_max"):
            vi, vk = T.axis.remap("SR", [i, k])
            with T.init():
                A_max[vi] = T.min_value("float32")
            A_max[vi] = T.max(A_max[vi], A[vi, vk])
    for i, j in T.grid(128, 256):
        with T.block("A_exp"):
            vi, vj = T.axis.remap("SS", [i, j])
            A_exp[vi, vj] = T.exp(A[vi, vj] - A_max[vi])
    for i, k in T.grid(128, 256):
        with T.block("A_sum"):
            vi, vk = T.axis.remap("SR", [i, k])
            with T.init():
                A_sum[vi] = T.float32(0)
            A_sum[vi] = A_sum[vi] + A_exp[vi, vk]
    for i, j in T.grid(128, 256):
        with T.block("B"):
            vi, vj = T.axis.remap("SS", [i, j])
            B[vi, vj] = A_exp[vi, vj] / A_sum[vi]
