/**
 * The C definitions of the micro-kernels that tensorized functions call through
 * `T.call_extern` (see src/schedule/intrinsics/cpu.ts for their contracts):
 *
 * - `weft_ukernel_fma_f32_<M>x<N>(C, c_off, ldc, A, a_off, lda, B, b_off, ldb, K)`:
 *   C[M, N] += A[M, K] * B[K, N], row-major tiles with row strides; the C tile lives in
 *   vector registers (GCC/Clang vector extensions) for the K rank-1 updates.
 * - `weft_ukernel_dot_i8_16x4(C, c_off, A, a_off, B, b_off)`: C[16] (int32) += sum over
 *   k < 4 of A[k] (uint8) * B[i, k] (int8), B packed as 64 contiguous bytes.
 *
 * Each kernel is emitted only when the generated source calls it (`ukernelSource`).
 */

/** Vector width (in floats) used for an N-wide row: the largest of 16, 8, 4 dividing N. */
function rowVector(N: number): number {
  for (const v of [16, 8, 4]) if (N % v === 0) return v;
  return 1;
}

function fmaKernel(M: number, N: number): string {
  const V = rowVector(N);
  const name = `weft_ukernel_fma_f32_${M}x${N}`;
  const sig = `static inline int32_t ${name}(void* C_, int64_t c_off, int64_t ldc, void* A_, int64_t a_off, int64_t lda, void* B_, int64_t b_off, int64_t ldb, int64_t K)`;
  if (V === 1) {
    return `${sig} {
  float* restrict C = (float*)C_ + c_off; const float* restrict A = (const float*)A_ + a_off; const float* restrict B = (const float*)B_ + b_off;
  for (int64_t k = 0; k < K; ++k)
    for (int32_t i = 0; i < ${M}; ++i)
      for (int32_t j = 0; j < ${N}; ++j) C[i * ldc + j] += A[i * lda + k] * B[k * ldb + j];
  return 0;
}
`;
  }
  const T = `weft_uk_f32x${V}`;
  const J = N / V;
  return `${sig} {
  float* restrict C = (float*)C_ + c_off; const float* restrict A = (const float*)A_ + a_off; const float* restrict B = (const float*)B_ + b_off;
  ${T} acc[${M}][${J}];
  for (int i = 0; i < ${M}; ++i)
    for (int j = 0; j < ${J}; ++j) memcpy(&acc[i][j], C + i * ldc + j * ${V}, sizeof(${T}));
  for (int64_t k = 0; k < K; ++k) {
    ${T} b[${J}];
    for (int j = 0; j < ${J}; ++j) memcpy(&b[j], B + k * ldb + j * ${V}, sizeof(${T}));
    for (int i = 0; i < ${M}; ++i) {
      const float a = A[i * lda + k];
      for (int j = 0; j < ${J}; ++j) acc[i][j] += a * b[j];
    }
  }
  for (int i = 0; i < ${M}; ++i)
    for (int j = 0; j < ${J}; ++j) memcpy(C + i * ldc + j * ${V}, &acc[i][j], sizeof(${T}));
  return 0;
}
`;
}

const DOT_I8 = `static inline int32_t weft_ukernel_dot_i8_16x4(void* C_, int32_t c_off, void* A_, int32_t a_off, void* B_, int32_t b_off) {
  int32_t* restrict C = (int32_t*)C_ + c_off; const uint8_t* restrict A = (const uint8_t*)A_ + a_off; const int8_t* restrict B = (const int8_t*)B_ + b_off;
  for (int i = 0; i < 16; ++i) {
    int32_t s = 0;
    for (int k = 0; k < 4; ++k) s += (int32_t)A[k] * (int32_t)B[i * 4 + k];
    C[i] += s;
  }
  return 0;
}
`;

const FMA_RE = /^weft_ukernel_fma_f32_(\d+)x(\d+)$/;

/** Whether `name` is a micro-kernel this module can define. */
export function isUkernel(name: string): boolean {
  return FMA_RE.test(name) || name === "weft_ukernel_dot_i8_16x4";
}

/** C definitions (with the vector typedefs they need) of the named micro-kernels. */
export function ukernelSource(names: Iterable<string>): string {
  const parts: string[] = [];
  const widths = new Set<number>();
  for (const n of [...new Set(names)].sort()) {
    const m = FMA_RE.exec(n);
    if (m) {
      const M = Number(m[1]), N = Number(m[2]);
      const V = rowVector(N);
      if (V > 1) widths.add(V);
      parts.push(fmaKernel(M, N));
    } else if (n === "weft_ukernel_dot_i8_16x4") parts.push(DOT_I8);
  }
  const typedefs = [...widths].sort().map((v) => `typedef float weft_uk_f32x${v} __attribute__((vector_size(${v * 4})));\n`);
  return typedefs.join("") + parts.join("\n");
}
