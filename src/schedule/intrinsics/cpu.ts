/**
 * The CPU tensor intrinsics weft ships, registered on import (parsed on first use). Each comes in two flavours with
 * the same description:
 *
 * - `<name>`: a pure-TIR implementation (loops with a vectorized inner axis) that the
 *   interpreter runs, so tensorized functions can be checked against untensorized ones, and
 *   that any codegen can lower;
 * - `<name>_extern`: one `T.call_extern` of a hand-written micro-kernel, which the C / wasm
 *   codegen (issue #4) provides. Its arguments, in order, are for each buffer the data pointer,
 *   the element offset of the tile and (for strided tiles) the row stride in elements.
 *
 * fp32 register-tiled FMA (`weft_fma_f32_<M>x<N>`): C[M, N] += A[M, K] * B[K, N] with K = 4,
 *   loops i, j, k in that order (the order `reorder(i0, j0, k0, i1, j1, k1)` leaves). The
 *   extern kernel `weft_ukernel_fma_f32_<M>x<N>(C, c_off, ldc, A, a_off, lda, B, b_off, ldb, K)`
 *   keeps the C tile in registers and does K rank-1 updates. Other shapes and K: `registerFmaF32`.
 *
 * int8 dot product (`weft_dot_i8_16x4`, the AVX-512 VNNI shape, TVM's `dot_16x4_vnni`):
 *   C[16] int32 += sum over k < 4 of A[k] (uint8) * B[i, k] (int8). The extern kernel
 *   `weft_ukernel_dot_i8_16x4(C, c_off, A, a_off, B, b_off)` is one vpdpbusd: it needs the B
 *   tile as 64 contiguous bytes (a packed layout W[n / 16, k / 4, 16, 4]); the TIR flavour
 *   also accepts a strided B. `dot_16x4_vnni` (TVM's name) is registered as the extern flavour.
 */
import { parsePrimFunc } from "../../tir/script/index.js";
import { TensorIntrin } from "../tensor_intrin.js";

function fmaDesc(M: number, N: number, K: number): string {
  return `
@T.prim_func
def desc(a: T.handle, b: T.handle, c: T.handle):
    A = T.match_buffer(a, (${M}, ${K}), "float32", offset_factor=1)
    B = T.match_buffer(b, (${K}, ${N}), "float32", offset_factor=1)
    C = T.match_buffer(c, (${M}, ${N}), "float32", offset_factor=1)
    with T.block("root"):
        T.reads(C[0:${M}, 0:${N}], A[0:${M}, 0:${K}], B[0:${K}, 0:${N}])
        T.writes(C[0:${M}, 0:${N}])
        for i, j, k in T.grid(${M}, ${N}, ${K}):
            with T.block("update"):
                vi, vj, vk = T.axis.remap("SSR", [i, j, k])
                C[vi, vj] = C[vi, vj] + A[vi, vk] * B[vk, vj]
`;
}

/** Header of an implementation: row-major tiles with symbolic row strides and offsets. */
function fmaImplHead(M: number, N: number, K: number): string {
  return `
@T.prim_func
def impl(a: T.handle, b: T.handle, c: T.handle):
    lda = T.int32()
    ldb = T.int32()
    ldc = T.int32()
    A = T.match_buffer(a, (${M}, ${K}), "float32", strides=[lda, 1], offset_factor=1)
    B = T.match_buffer(b, (${K}, ${N}), "float32", strides=[ldb, 1], offset_factor=1)
    C = T.match_buffer(c, (${M}, ${N}), "float32", strides=[ldc, 1], offset_factor=1)
    with T.block("root"):
        T.reads(C[0:${M}, 0:${N}], A[0:${M}, 0:${K}], B[0:${K}, 0:${N}])
        T.writes(C[0:${M}, 0:${N}])`;
}

/** Outer-product order: for each k, a rank-1 update of the whole C tile, N lanes at a time. */
function fmaImplTIR(M: number, N: number, K: number): string {
  return `${fmaImplHead(M, N, K)}
        for k, i in T.grid(${K}, ${M}):
            for j in T.vectorized(${N}):
                C[i, j] = C[i, j] + A[i, k] * B[k, j]
`;
}

function fmaImplExtern(M: number, N: number, K: number): string {
  return `${fmaImplHead(M, N, K)}
        T.evaluate(T.call_extern("int32", "weft_ukernel_fma_f32_${M}x${N}", C.data, C.elem_offset, ldc, A.data, A.elem_offset, lda, B.data, B.elem_offset, ldb, ${K}))
`;
}

/**
 * Registers the fp32 FMA micro-kernel for an M x N tile over K (both flavours). The default
 * K = 4 registers `weft_fma_f32_<M>x<N>`; another K registers `weft_fma_f32_<M>x<N>_k<K>`.
 * Returns the names of the TIR and extern flavours.
 */
export function registerFmaF32(M: number, N: number, K = 4, opts: { override?: boolean } = {}): [string, string] {
  const [name] = fmaF32Names(M, N, K);
  const desc = once(() => parsePrimFunc(fmaDesc(M, N, K)));
  TensorIntrin.registerLazy(name, () => ({ desc: desc(), impl: parsePrimFunc(fmaImplTIR(M, N, K)) }), opts);
  TensorIntrin.registerLazy(`${name}_extern`, () => ({ desc: desc(), impl: parsePrimFunc(fmaImplExtern(M, N, K)) }), opts);
  return [name, `${name}_extern`];
}

/** The names (TIR and extern flavour) of the fp32 FMA intrinsic for an M x N tile over K. */
export function fmaF32Names(M: number, N: number, K = 4): [string, string] {
  for (const [what, v] of [["M", M], ["N", N], ["K", K]] as const) {
    if (!Number.isInteger(v) || v < 1) throw new Error(`registerFmaF32: ${what} must be a positive integer, got ${v}`);
  }
  const name = K === 4 ? `weft_fma_f32_${M}x${N}` : `weft_fma_f32_${M}x${N}_k${K}`;
  return [name, `${name}_extern`];
}

// Any fp32 FMA shape can be asked for by name (`weft_fma_f32_<M>x<N>[_k<K>][_extern]`).
TensorIntrin.addResolver((name) => {
  const m = /^weft_fma_f32_(\d+)x(\d+)(?:_k(\d+))?(?:_extern)?$/.exec(name);
  if (m) ensureFmaF32(Number(m[1]), Number(m[2]), m[3] ? Number(m[3]) : 4);
});

/** registerFmaF32 unless that shape is registered already (schedules call it for every matmul they tile). */
export function ensureFmaF32(M: number, N: number, K = 4): [string, string] {
  const names = fmaF32Names(M, N, K);
  const known = new Set(TensorIntrin.names());
  if (known.has(names[0]) && known.has(names[1])) return names;
  return registerFmaF32(M, N, K, { override: true });
}

const DOT_DESC = `
@T.prim_func
def desc(a: T.handle, b: T.handle, c: T.handle):
    A = T.match_buffer(a, (4,), "uint8", offset_factor=1)
    B = T.match_buffer(b, (16, 4), "int8", offset_factor=1)
    C = T.match_buffer(c, (16,), "int32", offset_factor=1)
    with T.block("root"):
        T.reads(C[0:16], A[0:4], B[0:16, 0:4])
        T.writes(C[0:16])
        for i, k in T.grid(16, 4):
            with T.block("update"):
                vi, vk = T.axis.remap("SR", [i, k])
                C[vi] = C[vi] + T.Cast("int32", A[vk]) * T.Cast("int32", B[vi, vk])
`;

const DOT_IMPL_TIR = `
@T.prim_func
def impl(a: T.handle, b: T.handle, c: T.handle):
    ldb = T.int32()
    A = T.match_buffer(a, (4,), "uint8", offset_factor=1)
    B = T.match_buffer(b, (16, 4), "int8", strides=[ldb, 1], offset_factor=1)
    C = T.match_buffer(c, (16,), "int32", offset_factor=1)
    with T.block("root"):
        T.reads(C[0:16], A[0:4], B[0:16, 0:4])
        T.writes(C[0:16])
        for k in range(4):
            for i in T.vectorized(16):
                C[i] = C[i] + T.Cast("int32", A[k]) * T.Cast("int32", B[i, k])
`;

const DOT_IMPL_EXTERN = `
@T.prim_func
def impl(a: T.handle, b: T.handle, c: T.handle):
    A = T.match_buffer(a, (4,), "uint8", offset_factor=1)
    B = T.match_buffer(b, (16, 4), "int8", offset_factor=1)
    C = T.match_buffer(c, (16,), "int32", offset_factor=1)
    with T.block("root"):
        T.reads(C[0:16], A[0:4], B[0:16, 0:4])
        T.writes(C[0:16])
        T.evaluate(T.call_extern("int32", "weft_ukernel_dot_i8_16x4", C.data, C.elem_offset, A.data, A.elem_offset, B.data, B.elem_offset))
`;

/** The description is shared by both flavours: parse it once, when the first is used. */
function once<T>(f: () => T): () => T {
  let v: T | undefined;
  return () => (v ??= f());
}

/** Names of the intrinsics this module registers (lazily: each is parsed on first use). */
export const CPU_INTRINSICS: readonly string[] = (() => {
  const names: string[] = [];
  for (const [m, n] of [[6, 16], [4, 16], [4, 8]] as const) names.push(...registerFmaF32(m, n));
  const desc = once(() => parsePrimFunc(DOT_DESC));
  TensorIntrin.registerLazy("weft_dot_i8_16x4", () => ({ desc: desc(), impl: parsePrimFunc(DOT_IMPL_TIR) }));
  TensorIntrin.registerLazy("weft_dot_i8_16x4_extern", () => ({ desc: desc(), impl: parsePrimFunc(DOT_IMPL_EXTERN) }));
  // TVM's name for the same instruction, so TVM traces that tensorize with it replay.
  TensorIntrin.registerLazy("dot_16x4_vnni", () => ({ desc: desc(), impl: parsePrimFunc(DOT_IMPL_EXTERN) }));
  names.push("weft_dot_i8_16x4", "weft_dot_i8_16x4_extern", "dot_16x4_vnni");
  return names;
})();
