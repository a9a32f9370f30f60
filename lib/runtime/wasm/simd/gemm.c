/*
 * cvkit's float32 matrix product for the SIMD module: C[m0:m1, :] (+)= A[m0:m1, :] x B, all
 * row-major, A [M, K], B [K, N], C [M, N] (rows lda, ldb, ldc floats apart). Linked into the same
 * module as kernels.c, under the same rules: no stack, no globals, no data; scratch comes from the
 * caller (lib/runtime/wasm/gemm.ts, which also splits rows between two threads).
 *
 * Structure (the classic blocked GEMM): K in blocks of kcBlock, N in blocks of ncBlock; each
 * kc x nc block of B is copied into panels of 8 columns (pack_b), so the innermost loop streams one
 * panel contiguously; a 4 x 8 block of C lives in 8 SIMD registers while k runs over the block
 * (microkernel). A is read in place: four rows, one float of each per k, broadcast to 4 lanes.
 *
 * Built in two flavours by scripts/build-simd.sh. Plain: a multiply then an add (wasm SIMD128 has no
 * fused multiply-add). Relaxed (-DCVKIT_RELAXED -mrelaxed-simd): f32x4.relaxed_madd, which V8 compiles
 * to an FMA instruction where the CPU has one; only this file uses relaxed instructions.
 * Measured: docs/design.md ("The kit's own GEMM").
 */
#include <wasm_simd128.h>

#define EXPORT(name) __attribute__((export_name(#name)))
#define INLINE static inline __attribute__((always_inline))

typedef float f32;

#ifdef CVKIT_RELAXED
/* a * b + c, fused or not as the engine chooses (clang 16 has the builtin, not yet the header's name) */
#define MADD(a, b, c) ((v128_t)__builtin_wasm_relaxed_madd_f32x4((__f32x4)(a), (__f32x4)(b), (__f32x4)(c)))
#else
#define MADD(a, b, c) wasm_f32x4_add(wasm_f32x4_mul((a), (b)), (c))
#endif

/* Writes (acc = 0) or adds to (acc = 1) the first nr <= 8 floats of a row of C, held in x0 | x1. */
INLINE void store_row(f32 *c, v128_t x0, v128_t x1, int nr, int acc) {
  if (nr == 8) {
    if (acc) {
      x0 = wasm_f32x4_add(x0, wasm_v128_load(c));
      x1 = wasm_f32x4_add(x1, wasm_v128_load(c + 4));
    }
    wasm_v128_store(c, x0);
    wasm_v128_store(c + 4, x1);
    return;
  }
  if (nr >= 4) {
    if (acc) x0 = wasm_f32x4_add(x0, wasm_v128_load(c));
    wasm_v128_store(c, x0);
    c += 4;
    nr -= 4;
    x0 = x1;
  }
  f32 t0 = wasm_f32x4_extract_lane(x0, 0), t1 = wasm_f32x4_extract_lane(x0, 1), t2 = wasm_f32x4_extract_lane(x0, 2);
  if (nr > 0) c[0] = acc ? c[0] + t0 : t0;
  if (nr > 1) c[1] = acc ? c[1] + t1 : t1;
  if (nr > 2) c[2] = acc ? c[2] + t2 : t2;
}

/*
 * Copies B[kc, nc] (rows ldb apart) into panels of 8 columns: panel p is kc rows of 8 floats,
 * columns 8p .. 8p+7, zero past nc (so the inner loop never depends on the width).
 */
static void pack_b(const f32 *restrict b, int ldb, int kc, int nc, f32 *restrict out) {
  for (int j = 0; j < nc; j += 8) {
    f32 *p = out + (long)j * kc;
    if (nc - j >= 8) {
      for (int k = 0; k < kc; k++) {
        const f32 *s = b + (long)k * ldb + j;
        wasm_v128_store(p + 8 * k, wasm_v128_load(s));
        wasm_v128_store(p + 8 * k + 4, wasm_v128_load(s + 4));
      }
    } else {
      int r = nc - j;
      for (int k = 0; k < kc; k++)
        for (int q = 0; q < 8; q++) p[8 * k + q] = q < r ? b[(long)k * ldb + j + q] : 0.0f;
    }
  }
}

/*
 * C[0:mr, 0:nr] (+)= A[0:mr, 0:kc] x panel (kc x 8), mr <= 4, nr <= 8. Rows past mr read the last
 * real row again (valid memory, results discarded), so the loop has no branches.
 */
INLINE void microkernel(int kc, int mr, int nr, const f32 *restrict a, long lda, const f32 *restrict panel,
                        f32 *restrict c, long ldc, int acc) {
  const f32 *a0 = a, *a1 = mr > 1 ? a0 + lda : a0, *a2 = mr > 2 ? a1 + lda : a1, *a3 = mr > 3 ? a2 + lda : a2;
  v128_t zero = wasm_f32x4_splat(0.0f);
  v128_t c00 = zero, c01 = zero, c10 = zero, c11 = zero, c20 = zero, c21 = zero, c30 = zero, c31 = zero;
  for (int k = 0; k < kc; k++) {
    v128_t b0 = wasm_v128_load(panel), b1 = wasm_v128_load(panel + 4);
    panel += 8;
    v128_t v = wasm_v128_load32_splat(a0 + k);
    c00 = MADD(v, b0, c00); c01 = MADD(v, b1, c01);
    v = wasm_v128_load32_splat(a1 + k);
    c10 = MADD(v, b0, c10); c11 = MADD(v, b1, c11);
    v = wasm_v128_load32_splat(a2 + k);
    c20 = MADD(v, b0, c20); c21 = MADD(v, b1, c21);
    v = wasm_v128_load32_splat(a3 + k);
    c30 = MADD(v, b0, c30); c31 = MADD(v, b1, c31);
  }
  store_row(c, c00, c01, nr, acc);
  if (mr > 1) store_row(c + ldc, c10, c11, nr, acc);
  if (mr > 2) store_row(c + 2 * ldc, c20, c21, nr, acc);
  if (mr > 3) store_row(c + 3 * ldc, c30, c31, nr, acc);
}

/*
 * C[m0:m1, 0:n] = A[m0:m1, 0:k] x B[0:k, 0:n] (accumulate = 0) or C += that (accumulate = 1).
 * packed: scratch for kcBlock * roundUp(min(n, ncBlock), 8) floats, one per thread. k = 0 writes
 * zeros (or leaves C) like the product of empty matrices.
 */
EXPORT(gemm)
void gemm(int m0, int m1, int n, int k, const f32 *a, int lda, const f32 *b, int ldb, f32 *c, int ldc,
          int accumulate, f32 *packed, int kcBlock, int ncBlock) {
  if (k == 0 && !accumulate) {
    for (int i = m0; i < m1; i++)
      for (int j = 0; j < n; j++) c[(long)i * ldc + j] = 0;
    return;
  }
  for (int k0 = 0; k0 < k; k0 += kcBlock) {
    int kc = k - k0 < kcBlock ? k - k0 : kcBlock;
    int acc = accumulate || k0 > 0; /* later K blocks add to the first one's result */
    for (int j0 = 0; j0 < n; j0 += ncBlock) {
      int nc = n - j0 < ncBlock ? n - j0 : ncBlock;
      pack_b(b + (long)k0 * ldb + j0, ldb, kc, nc, packed);
      for (int i = m0; i < m1; i += 4) {
        int mr = m1 - i < 4 ? m1 - i : 4;
        const f32 *ai = a + (long)i * lda + k0;
        for (int j = 0; j < nc; j += 8) {
          int nr = nc - j < 8 ? nc - j : 8;
          microkernel(kc, mr, nr, ai, lda, packed + (long)j * kc, c + (long)i * ldc + j0 + j, ldc, acc);
        }
      }
    }
  }
}

/*
 * The machine's peak for this flavour's multiply-add, for the bench (lib/bench/peak.ts): as
 * peak_mul_add in kernels.c but with MADD on 12 independent accumulators (96 FLOPs a round; an FMA's
 * latency of 4-5 cycles on two pipes needs about 10 in flight). In the plain flavour MADD is the
 * same multiply and add as peak_mul_add.
 */
EXPORT(peak_madd)
f32 peak_madd(int iterations) {
  v128_t m = wasm_f32x4_splat(0.999999f), b = wasm_f32x4_splat(1e-6f);
  v128_t a0 = wasm_f32x4_splat(1.0f), a1 = wasm_f32x4_splat(1.1f), a2 = wasm_f32x4_splat(1.2f), a3 = wasm_f32x4_splat(1.3f);
  v128_t a4 = wasm_f32x4_splat(1.4f), a5 = wasm_f32x4_splat(1.5f), a6 = wasm_f32x4_splat(1.6f), a7 = wasm_f32x4_splat(1.7f);
  v128_t a8 = wasm_f32x4_splat(1.8f), a9 = wasm_f32x4_splat(1.9f), a10 = wasm_f32x4_splat(2.0f), a11 = wasm_f32x4_splat(2.1f);
  for (int i = 0; i < iterations; i++) {
    a0 = MADD(a0, m, b); a1 = MADD(a1, m, b); a2 = MADD(a2, m, b); a3 = MADD(a3, m, b);
    a4 = MADD(a4, m, b); a5 = MADD(a5, m, b); a6 = MADD(a6, m, b); a7 = MADD(a7, m, b);
    a8 = MADD(a8, m, b); a9 = MADD(a9, m, b); a10 = MADD(a10, m, b); a11 = MADD(a11, m, b);
  }
  v128_t s = wasm_f32x4_add(wasm_f32x4_add(wasm_f32x4_add(a0, a1), wasm_f32x4_add(a2, a3)), wasm_f32x4_add(wasm_f32x4_add(a4, a5), wasm_f32x4_add(a6, a7)));
  s = wasm_f32x4_add(s, wasm_f32x4_add(wasm_f32x4_add(a8, a9), wasm_f32x4_add(a10, a11)));
  return wasm_f32x4_extract_lane(s, 0) + wasm_f32x4_extract_lane(s, 1) + wasm_f32x4_extract_lane(s, 2) + wasm_f32x4_extract_lane(s, 3);
}
