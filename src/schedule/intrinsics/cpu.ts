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

/** Index type of a loop nest the intrinsic matches: Relax's functions index with int64. */
export type IndexType = "int32" | "int64";

/** An integer constant of the index type, as TVMScript writes it. */
function ix(v: number, t: IndexType): string {
  return t === "int32" ? String(v) : `T.int64(${v})`;
}

function fmaDesc(M: number, N: number, K: number, t: IndexType): string {
  const [m, n, k] = [ix(M, t), ix(N, t), ix(K, t)];
  return `
@T.prim_func
def desc(a: T.handle, b: T.handle, c: T.handle):
    A = T.match_buffer(a, (${m}, ${k}), "float32", offset_factor=1)
    B = T.match_buffer(b, (${k}, ${n}), "float32", offset_factor=1)
    C = T.match_buffer(c, (${m}, ${n}), "float32", offset_factor=1)
    with T.block("root"):
        T.reads(C[0:${m}, 0:${n}], A[0:${m}, 0:${k}], B[0:${k}, 0:${n}])
        T.writes(C[0:${m}, 0:${n}])
        for i, j, k in T.grid(${m}, ${n}, ${k}):
            with T.block("update"):
                vi, vj, vk = T.axis.remap("SSR", [i, j, k])
                C[vi, vj] = C[vi, vj] + A[vi, vk] * B[vk, vj]
`;
}

/** Header of an implementation: row-major tiles with symbolic row strides and offsets. */
function fmaImplHead(M: number, N: number, K: number, t: IndexType): string {
  const [m, n, k, one] = [ix(M, t), ix(N, t), ix(K, t), ix(1, t)];
  return `
@T.prim_func
def impl(a: T.handle, b: T.handle, c: T.handle):
    lda = T.${t}()
    ldb = T.${t}()
    ldc = T.${t}()
    A = T.match_buffer(a, (${m}, ${k}), "float32", strides=[lda, ${one}], offset_factor=1)
    B = T.match_buffer(b, (${k}, ${n}), "float32", strides=[ldb, ${one}], offset_factor=1)
    C = T.match_buffer(c, (${m}, ${n}), "float32", strides=[ldc, ${one}], offset_factor=1)
    with T.block("root"):
        T.reads(C[0:${m}, 0:${n}], A[0:${m}, 0:${k}], B[0:${k}, 0:${n}])
        T.writes(C[0:${m}, 0:${n}])`;
}

/** Outer-product order: for each k, a rank-1 update of the whole C tile, N lanes at a time. */
function fmaImplTIR(M: number, N: number, K: number, t: IndexType): string {
  return `${fmaImplHead(M, N, K, t)}
        for k, i in T.grid(${ix(K, t)}, ${ix(M, t)}):
            for j in T.vectorized(${ix(N, t)}):
                C[i, j] = C[i, j] + A[i, k] * B[k, j]
`;
}

function fmaImplExtern(M: number, N: number, K: number, t: IndexType): string {
  return `${fmaImplHead(M, N, K, t)}
        T.evaluate(T.call_extern("int32", "weft_ukernel_fma_f32_${M}x${N}", C.data, C.elem_offset, ldc, A.data, A.elem_offset, lda, B.data, B.elem_offset, ldb, ${ix(K, t)}))
`;
}

/**
 * Registers the fp32 FMA micro-kernel for an M x N tile over K (both flavours). The default
 * K = 4 registers `weft_fma_f32_<M>x<N>`; another K registers `weft_fma_f32_<M>x<N>_k<K>`; int64
 * loops and indices (`index: "int64"`) add the suffix `_i64`. Returns the names of the TIR and
 * extern flavours.
 */
export function registerFmaF32(M: number, N: number, K = 4, opts: { override?: boolean; index?: IndexType } = {}): [string, string] {
  const t = opts.index ?? "int32";
  const [name] = fmaF32Names(M, N, K, t);
  const desc = once(() => parsePrimFunc(fmaDesc(M, N, K, t)));
  const reg = { override: opts.override ?? false };
  TensorIntrin.registerLazy(name, () => ({ desc: desc(), impl: parsePrimFunc(fmaImplTIR(M, N, K, t)) }), reg);
  TensorIntrin.registerLazy(`${name}_extern`, () => ({ desc: desc(), impl: parsePrimFunc(fmaImplExtern(M, N, K, t)) }), reg);
  return [name, `${name}_extern`];
}

/** The names (TIR and extern flavour) of the fp32 FMA intrinsic for an M x N tile over K. */
export function fmaF32Names(M: number, N: number, K = 4, index: IndexType = "int32"): [string, string] {
  for (const [what, v] of [["M", M], ["N", N], ["K", K]] as const) {
    if (!Number.isInteger(v) || v < 1) throw new Error(`registerFmaF32: ${what} must be a positive integer, got ${v}`);
  }
  const name = `weft_fma_f32_${M}x${N}${K === 4 ? "" : `_k${K}`}${index === "int64" ? "_i64" : ""}`;
  return [name, `${name}_extern`];
}

// Any fp32 FMA shape can be asked for by name (`weft_fma_f32_<M>x<N>[_k<K>][_i64][_extern]`).
TensorIntrin.addResolver((name) => {
  const m = /^weft_fma_f32_(\d+)x(\d+)(?:_k(\d+))?(_i64)?(?:_extern)?$/.exec(name);
  if (m) ensureFmaF32(Number(m[1]), Number(m[2]), m[3] ? Number(m[3]) : 4, m[4] ? "int64" : "int32");
});

/** registerFmaF32 unless that shape is registered already (schedules call it for every matmul they tile). */
export function ensureFmaF32(M: number, N: number, K = 4, index: IndexType = "int32"): [string, string] {
  const names = fmaF32Names(M, N, K, index);
  const known = new Set(TensorIntrin.names());
  if (known.has(names[0]) && known.has(names[1])) return names;
  return registerFmaF32(M, N, K, { override: true, index });
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
