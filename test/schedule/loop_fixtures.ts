/** Functions shared by the split and fuse tests (TVM's test_tir_schedule_split_fuse.py and smaller ones the interpreter runs fast). */
import { parsePrimFunc } from "./loop_test_utils.js";

export const elementwise = parsePrimFunc(`
@T.prim_func
def main(A: T.Buffer((128, 128, 128), "float32"), B: T.Buffer((128, 128, 128), "float32")):
    for i, j, k in T.grid(128, 128, 128):
        with T.block("B"):
            vi, vj, vk = T.axis.remap("SSS", [i, j, k])
            B[vi, vj, vk] = A[vi, vj, vk] * T.float32(2.0)
`);

export const small = parsePrimFunc(`
@T.prim_func
def main(A: T.Buffer((10, 12), "float32"), B: T.Buffer((10, 12), "float32")):
    for i, j in T.grid(10, 12):
        with T.block("B"):
            vi, vj = T.axis.remap("SS", [i, j])
            B[vi, vj] = A[vi, vj] * T.float32(2.0) + T.float32(1.0)
`);

export const symbolic = parsePrimFunc(`
@T.prim_func
def main(a: T.handle, b: T.handle, n: T.int32):
    A = T.match_buffer(a, (128, 128, n))
    B = T.match_buffer(b, (128, 128, n))
    for i, j, k in T.grid(128, 128, n):
        with T.block("B"):
            vi, vj, vk = T.axis.remap("SSS", [i, j, k])
            B[vi, vj, vk] = A[vi, vj, vk] * T.float32(2.0)
`);

export const symbolicSmall = parsePrimFunc(`
@T.prim_func
def main(a: T.handle, b: T.handle, n: T.int32):
    A = T.match_buffer(a, (3, n))
    B = T.match_buffer(b, (3, n))
    for i, k in T.grid(3, n):
        with T.block("B"):
            vi, vk = T.axis.remap("SS", [i, k])
            B[vi, vk] = A[vi, vk] + T.float32(1.0)
`);

export const withSeq = parsePrimFunc(`
@T.prim_func
def main(A: T.Buffer((8, 8, 8), "float32"), B: T.Buffer((8, 8, 8), "float32")):
    C = T.alloc_buffer((8, 8, 8))
    for i, j in T.grid(8, 8):
        for k in range(8):
            with T.block("C"):
                vi, vj, vk = T.axis.remap("SSS", [i, j, k])
                C[vi, vj, vk] = A[vi, vj, vk] * T.float32(2.0)
        for k in range(8):
            with T.block("B"):
                vi, vj, vk = T.axis.remap("SSS", [i, j, k])
                B[vi, vj, vk] = C[vi, vj, vk] * T.float32(2.0)
`);

export const withOpaqueBlock = parsePrimFunc(`
@T.prim_func
def main(A: T.Buffer((16, 8, 8), "float32"), B: T.Buffer((16, 8, 8), "float32")):
    for i, j, k in T.grid(16, 8, 8):
        with T.block("opaque"):
            T.reads(A[i, j, k])
            T.writes(B[i, j, k])
            with T.block("B"):
                vi, vj, vk = T.axis.remap("SSS", [i, j, k])
                T.reads(A[vi, vj, vk])
                T.writes(B[vi, vj, vk])
                B[vi, vj, vk] = A[vi, vj, vk] * T.float32(2.0)
`);
