/**
 * The C helper source that starts every translation unit the C renderer emits: includes, the
 * error buffer, the `weft_parallel_for` thread pool, allocation, integer/float scalar helpers and
 * the vector helper macros (lane-wise min/max, the polynomial `expf`).
 */
export const PRELUDE = `#include <stdint.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <pthread.h>
#include <unistd.h>
#define WEFT_EXPORT __attribute__((visibility("default")))
static char weft_error_buf[512];
static void weft_set_error(const char* msg) { strncpy(weft_error_buf, msg, sizeof(weft_error_buf) - 1); }
WEFT_EXPORT const char* weft_last_error(void) { return weft_error_buf; }
WEFT_EXPORT void weft_clear_error(void) { weft_error_buf[0] = 0; }
/* Parallel loops: a small pthread pool (one per library). The calling thread claims chunks of
 * the range like the workers do, and at the end waits only for workers that joined the loop:
 * a worker that has not been scheduled yet (another process holds the core) is not waited
 * for, so a loaded machine costs at most the serial time instead of a scheduler time slice
 * per parallel loop (what an OpenMP fork/join barrier costs there). Idle workers spin briefly,
 * then sleep on a condition variable. Chunks are guided: each claim takes 1 / (2 nthreads) of
 * what is left (at least 1 / (32 nthreads) of the range), so the last claims are small and a
 * thread that joins late or is slowed down leaves a short tail. */
typedef void (*weft_par_fn)(int64_t lo, int64_t hi, void* ctx);
static struct {
  pthread_mutex_t mu;
  pthread_cond_t wake, done;
  unsigned gen;
  int nworkers, busy, closed, active, joined, limit;
  weft_par_fn fn;
  void* ctx;
  int64_t end, chunk, div, next;
} weft_pool = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, PTHREAD_COND_INITIALIZER };
static int32_t weft_num_threads_v = 0;
static inline void weft_pause(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}
static int32_t weft_default_threads(void) {
  if (weft_num_threads_v > 0) return weft_num_threads_v;
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n > 0 ? (int32_t)n : 1;
}
WEFT_EXPORT int32_t weft_set_num_threads(int32_t n) {
  if (n > 0) weft_num_threads_v = n;
  return weft_default_threads();
}
static void weft_run_chunks(weft_par_fn fn, void* ctx, int64_t end, int64_t chunk, int64_t div) {
  int64_t lo = __atomic_load_n(&weft_pool.next, __ATOMIC_RELAXED);
  while (lo < end) {
    int64_t c = (end - lo) / div;
    if (c < chunk) c = chunk;
    int64_t hi = lo + c < end ? lo + c : end;
    /* On failure lo becomes the current value and the claim is recomputed. */
    if (__atomic_compare_exchange_n(&weft_pool.next, &lo, hi, 0, __ATOMIC_RELAXED, __ATOMIC_RELAXED)) {
      fn(lo, hi, ctx);
      lo = __atomic_load_n(&weft_pool.next, __ATOMIC_RELAXED);
    }
  }
}
static void* weft_worker(void* arg) {
  unsigned seen = (unsigned)(uintptr_t)arg;
  for (;;) {
    for (int spin = 0; spin < 2000 && __atomic_load_n(&weft_pool.gen, __ATOMIC_ACQUIRE) == seen; spin++) weft_pause();
    pthread_mutex_lock(&weft_pool.mu);
    while (weft_pool.gen == seen) pthread_cond_wait(&weft_pool.wake, &weft_pool.mu);
    seen = weft_pool.gen;
    if (weft_pool.closed || weft_pool.joined >= weft_pool.limit) { pthread_mutex_unlock(&weft_pool.mu); continue; }
    weft_pool.joined++;
    weft_pool.active++;
    weft_par_fn fn = weft_pool.fn;
    void* ctx = weft_pool.ctx;
    int64_t end = weft_pool.end, chunk = weft_pool.chunk, div = weft_pool.div;
    pthread_mutex_unlock(&weft_pool.mu);
    weft_run_chunks(fn, ctx, end, chunk, div);
    pthread_mutex_lock(&weft_pool.mu);
    if (__atomic_sub_fetch(&weft_pool.active, 1, __ATOMIC_RELEASE) == 0 && weft_pool.closed) pthread_cond_signal(&weft_pool.done);
    pthread_mutex_unlock(&weft_pool.mu);
  }
  return NULL;
}
/* Runs fn over [begin, end) with up to nthreads threads (<= 0: weft_set_num_threads / all cores). */
static void weft_parallel_for(int64_t begin, int64_t end, int32_t nthreads, weft_par_fn fn, void* ctx) {
  int64_t n = end - begin;
  if (n <= 0) return;
  if (nthreads <= 0) nthreads = weft_default_threads();
  if (nthreads > n) nthreads = (int32_t)n;
  if (nthreads <= 1) { fn(begin, end, ctx); return; }
  pthread_mutex_lock(&weft_pool.mu);
  if (weft_pool.busy) { pthread_mutex_unlock(&weft_pool.mu); fn(begin, end, ctx); return; } /* nested or concurrent: serial */
  weft_pool.busy = 1;
  while (weft_pool.nworkers < nthreads - 1) {
    pthread_t t;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    int rc = pthread_create(&t, &attr, weft_worker, (void*)(uintptr_t)weft_pool.gen);
    pthread_attr_destroy(&attr);
    if (rc != 0) break;
    weft_pool.nworkers++;
  }
  int64_t pieces = (int64_t)nthreads * 32;
  weft_pool.fn = fn;
  weft_pool.ctx = ctx;
  weft_pool.end = end;
  weft_pool.chunk = (n + pieces - 1) / pieces;
  weft_pool.div = (int64_t)nthreads * 2;
  weft_pool.next = begin;
  weft_pool.closed = 0;
  weft_pool.active = 0;
  weft_pool.joined = 0;
  weft_pool.limit = nthreads - 1;
  __atomic_store_n(&weft_pool.gen, weft_pool.gen + 1, __ATOMIC_RELEASE);
  pthread_cond_broadcast(&weft_pool.wake);
  int64_t chunk = weft_pool.chunk, div = weft_pool.div;
  pthread_mutex_unlock(&weft_pool.mu);
  weft_run_chunks(fn, ctx, end, chunk, div);
  pthread_mutex_lock(&weft_pool.mu);
  weft_pool.closed = 1; /* workers that have not joined yet will not */
  pthread_mutex_unlock(&weft_pool.mu);
  for (int spin = 0; spin < 20000 && __atomic_load_n(&weft_pool.active, __ATOMIC_ACQUIRE) > 0; spin++) weft_pause();
  pthread_mutex_lock(&weft_pool.mu);
  while (weft_pool.active > 0) pthread_cond_wait(&weft_pool.done, &weft_pool.mu);
  weft_pool.busy = 0;
  pthread_mutex_unlock(&weft_pool.mu);
}
static inline void* weft_alloc(size_t bytes) { void* p = NULL; if (posix_memalign(&p, 64, bytes ? bytes : 64) != 0) return NULL; return p; }
/* Workspaces: every heap-sized Allocate has a thread-local slot that keeps its memory across
 * calls (grown when a call needs more, never shrunk), so the hot path of a call does not
 * allocate. Thread-local: concurrent calls from several threads, and parallel bodies running on
 * the pool's workers, each use their own memory. weft_workspace_allocs counts the (re)allocations. */
typedef struct { void* p; size_t cap; } weft_ws_slot;
static uint64_t weft_ws_allocs = 0;
WEFT_EXPORT uint64_t weft_workspace_allocs(void) { return __atomic_load_n(&weft_ws_allocs, __ATOMIC_RELAXED); }
static inline void* weft_ws_get(weft_ws_slot* s, size_t bytes) {
  if (__builtin_expect(s->p != NULL && bytes <= s->cap, 1)) return s->p;
  free(s->p);
  s->p = weft_alloc(bytes);
  s->cap = s->p ? bytes : 0;
  __atomic_fetch_add(&weft_ws_allocs, 1, __ATOMIC_RELAXED);
  return s->p;
}
#define WEFT_INT_HELPERS(T, S) \\
  static inline T weft_floordiv_##S(T a, T b) { T q = a / b, r = a % b; return (r != 0 && ((r < 0) != (b < 0))) ? q - 1 : q; } \\
  static inline T weft_floormod_##S(T a, T b) { T r = a % b; return (r != 0 && ((r < 0) != (b < 0))) ? r + b : r; } \\
  static inline T weft_min_##S(T a, T b) { return a < b ? a : b; } \\
  static inline T weft_max_##S(T a, T b) { return a > b ? a : b; }
WEFT_INT_HELPERS(int8_t, i8) WEFT_INT_HELPERS(int16_t, i16) WEFT_INT_HELPERS(int32_t, i32) WEFT_INT_HELPERS(int64_t, i64)
WEFT_INT_HELPERS(uint8_t, u8) WEFT_INT_HELPERS(uint16_t, u16) WEFT_INT_HELPERS(uint32_t, u32) WEFT_INT_HELPERS(uint64_t, u64)
static inline float weft_min_f32(float a, float b) { return a < b ? a : b; }
static inline float weft_max_f32(float a, float b) { return a > b ? a : b; }
static inline double weft_min_f64(double a, double b) { return a < b ? a : b; }
static inline double weft_max_f64(double a, double b) { return a > b ? a : b; }
/* Lane-wise a > b ? a : b (and a < b ? a : b), as the scalar helpers (NaN in a gives b). */
#define WEFT_VMINMAX(VT) \
  static inline VT VT##_max(VT a, VT b) { __typeof__(a > b) m = a > b; return (VT)((m & (__typeof__(m))a) | (~m & (__typeof__(m))b)); } \
  static inline VT VT##_min(VT a, VT b) { __typeof__(a < b) m = a < b; return (VT)((m & (__typeof__(m))a) | (~m & (__typeof__(m))b)); }
/* Vector expf without libm (C without fast-math calls expf lane by lane): x = n ln2 + r with
 * |r| <= ln2/2 (Cody-Waite), exp(r) by a degree-6 polynomial (Cephes' expf coefficients),
 * times 2^n built in the exponent bits as 2^(n/2) 2^(n - n/2) so that results down to the
 * subnormals are right. Relative error within ~2 ulp; +inf -> inf, -inf -> 0, NaN -> NaN. */
#define WEFT_VEXP_F32(VT, IT) \
  static inline VT VT##_exp(VT x) { \
    const VT z = {0}; \
    IT m = x > (z + 88.8f); x = (VT)((m & (IT)(z + 88.8f)) | (~m & (IT)x)); \
    m = x < (z - 104.0f); x = (VT)((m & (IT)(z - 104.0f)) | (~m & (IT)x)); \
    VT t = x * 1.44269504088896341f + 12582912.0f; \
    VT nf = t - 12582912.0f; \
    IT n = (IT)t - 0x4B400000; \
    VT r = x - nf * 0.693359375f; \
    r = r - nf * -2.12194440e-4f; \
    VT p = r * 1.9875691500e-4f + 1.3981999507e-3f; \
    p = p * r + 8.3334519073e-3f; \
    p = p * r + 4.1665795894e-2f; \
    p = p * r + 1.6666665459e-1f; \
    p = p * r + 5.0000001201e-1f; \
    VT y = p * (r * r) + r + 1.0f; \
    IT n1 = n >> 1, n2 = n - n1; \
    return y * (VT)((n1 + 127) << 23) * (VT)((n2 + 127) << 23); \
  }
/* Vector logf / tanhf / erff without libm (weft's own minimax fits, evaluated in float32;
 * relative error against the double-precision functions, measured over float inputs):
 * - log: x = 2^e m, m in [sqrt(1/2), sqrt(2)), log(1 + f) = f - f^2/2 + f^3 P(f) (P of degree 7),
 *   e ln2 added in two parts; within 2 ulp (2.4e-7). Subnormals are scaled by 2^23 first;
 *   0 and -0 -> -inf, x < 0 and NaN -> NaN, inf -> inf.
 * - tanh: |x| < 0.625: x + x^3 P(x^2) (P of degree 4); else 1 - 2 / (exp(2|x|) + 1); the sign
 *   put back last (so -0 -> -0, +-inf -> +-1); within 3 ulp (3.6e-7).
 * - erf: |x| < 0.875: x P(x^2) (P of degree 5); else 1 - exp(-x^2 + Q(x)) with Q of degree 7
 *   fitted to log(erfc(x)) + x^2 on [0.875, 4] (|x| > 4 -> 4: erf is 1 in float there); the
 *   sign put back last; within 3 ulp (3.6e-7). */
#define WEFT_VMATH_F32(VT, IT) \
  static inline VT VT##_sel(IT m, VT a, VT b) { return (VT)((m & (IT)a) | (~m & (IT)b)); } \
  static inline VT VT##_log(VT x) { \
    const VT z = {0}; \
    IT xi = (IT)x; \
    IT tiny = (xi > 0) & (xi < 0x00800000); \
    xi = (IT)(x * VT##_sel(tiny, z + 8388608.0f, z + 1.0f)); \
    IT e = ((xi >> 23) & 0xff) - 127 - (tiny & 23); \
    VT m = (VT)((xi & 0x007fffff) | 0x3f800000); \
    IT big = m > (z + 1.41421356f); \
    m = VT##_sel(big, m * 0.5f, m); \
    VT ef = __builtin_convertvector(e - big, VT); \
    VT f = m - 1.0f; \
    VT p = f * -0.07634429633617401f + 0.12761549651622772f; \
    p = p * f + -0.131601944565773f; \
    p = p * f + 0.14201761782169342f; \
    p = p * f + -0.16623356938362122f; \
    p = p * f + 0.20001226663589478f; \
    p = p * f + -0.250008225440979f; \
    p = p * f + 0.3333333134651184f; \
    VT ff = f * f; \
    VT r = ff * f * p + ef * -2.12194440e-4f - 0.5f * ff; \
    r = (f + r) + ef * 0.693359375f; \
    r = VT##_sel(x == z, z - INFINITY, r); \
    r = VT##_sel(x == z + INFINITY, x, r); \
    return VT##_sel(x >= z, r, z + NAN); \
  } \
  static inline VT VT##_tanh(VT x) { \
    const VT z = {0}; \
    IT sign = (IT)x & ~0x7fffffff; \
    VT a = (VT)((IT)x & 0x7fffffff); \
    VT aa = a * a; \
    VT p = aa * -0.005704990588128567f + 0.02063908986747265f; \
    p = p * aa + -0.05373971536755562f; \
    p = p * aa + 0.13331441581249237f; \
    p = p * aa + -0.3333328068256378f; \
    VT small = a + a * aa * p; \
    VT large = 1.0f - 2.0f / (VT##_exp(a + a) + 1.0f); \
    return (VT)((IT)VT##_sel(a < (z + 0.625f), small, large) | sign); \
  } \
  static inline VT VT##_erf(VT x) { \
    const VT z = {0}; \
    IT sign = (IT)x & ~0x7fffffff; \
    VT a = (VT)((IT)x & 0x7fffffff); \
    VT aa = a * a; \
    VT p = aa * -0.0005631577805615962f + 0.004917594604194164f; \
    p = p * aa + -0.02671135403215885f; \
    p = p * aa + 0.11280182003974915f; \
    p = p * aa + -0.3761232793331146f; \
    p = p * aa + 1.1283791065216064f; \
    VT small = a * p; \
    VT c = VT##_sel(a > (z + 4.0f), z + 4.0f, a); \
    VT q = c * -2.055429467873182e-05f + 0.0004282285808585584f; \
    q = q * c + -0.0041409689001739025f; \
    q = q * c + 0.02504054084420204f; \
    q = q * c + -0.10815875977277756f; \
    q = q * c + 0.3665435314178467f; \
    q = q * c + -1.1294611692428589f; \
    q = q * c + 0.00016358765424229205f; \
    VT large = 1.0f - VT##_exp(q - c * c); \
    return (VT)((IT)VT##_sel(a < (z + 0.875f), small, large) | sign); \
  }
`;
