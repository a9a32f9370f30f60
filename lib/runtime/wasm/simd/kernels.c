/*
 * cvkit's own WebAssembly SIMD kernels: the data-movement and reduction parts of training that
 * tfjs-backend-wasm leaves to scalar loops (im2col for filter gradients, reductions over the
 * batch-norm axes, pooling gradients, transposes, stride-phase interleaving, batch-norm apply).
 *
 * The module has no memory of its own: it imports tfjs's wasm memory and works on tensors in
 * place, given their byte offsets (see lib/runtime/wasm/simd.ts). It keeps no state, allocates nothing
 * and uses no stack; scratch space is passed in by the caller. Built by scripts/build-simd.sh
 * (clang --target=wasm32 -msimd128); the binary is embedded in lib/runtime/wasm/simd/binary.ts and
 * tests/simd.test.ts checks that it is what this source compiles to.
 */
#include <wasm_simd128.h>

#define EXPORT(name) __attribute__((export_name(#name)))

typedef float f32;

/*
 * Transposes the 4x4 block at src (rows srcStride floats apart) into dst (rows dstStride floats
 * apart): dst[j][i] = src[i][j]. Inlined (the module must not use a stack).
 */
static inline __attribute__((always_inline)) void transpose4x4(const f32 *src, long srcStride, f32 *dst, long dstStride) {
  v128_t r0 = wasm_v128_load(src);
  v128_t r1 = wasm_v128_load(src + srcStride);
  v128_t r2 = wasm_v128_load(src + 2 * srcStride);
  v128_t r3 = wasm_v128_load(src + 3 * srcStride);
  v128_t t0 = wasm_i32x4_shuffle(r0, r1, 0, 4, 1, 5);
  v128_t t1 = wasm_i32x4_shuffle(r0, r1, 2, 6, 3, 7);
  v128_t t2 = wasm_i32x4_shuffle(r2, r3, 0, 4, 1, 5);
  v128_t t3 = wasm_i32x4_shuffle(r2, r3, 2, 6, 3, 7);
  wasm_v128_store(dst, wasm_i32x4_shuffle(t0, t2, 0, 1, 4, 5));
  wasm_v128_store(dst + dstStride, wasm_i32x4_shuffle(t0, t2, 2, 3, 6, 7));
  wasm_v128_store(dst + 2 * dstStride, wasm_i32x4_shuffle(t1, t3, 0, 1, 4, 5));
  wasm_v128_store(dst + 3 * dstStride, wasm_i32x4_shuffle(t1, t3, 2, 3, 6, 7));
}

/*
 * out[o, i] = scale * sum over m of x[o, m, i], for x [outer, mid, inner]. Rows are summed in
 * float32 over blocks of 64, the block sums in float64 (acc), so long reductions stay accurate.
 * tmp: inner floats, acc: inner doubles of scratch.
 */
EXPORT(reduce_middle)
void reduce_middle(const f32 *restrict x, f32 *restrict out, int outer, int mid, int inner, f32 scale,
                   f32 *restrict tmp, double *restrict acc) {
  for (int o = 0; o < outer; o++) {
    const f32 *base = x + (long)o * mid * inner;
    for (int i = 0; i < inner; i++) acc[i] = 0;
    for (int m0 = 0; m0 < mid; m0 += 64) {
      int m1 = m0 + 64 < mid ? m0 + 64 : mid;
      for (int i = 0; i < inner; i++) tmp[i] = 0;
      for (int m = m0; m < m1; m++) {
        const f32 *row = base + (long)m * inner;
        for (int i = 0; i < inner; i++) tmp[i] += row[i];
      }
      for (int i = 0; i < inner; i++) acc[i] += tmp[i];
    }
    f32 *dst = out + (long)o * inner;
    for (int i = 0; i < inner; i++) dst[i] = (f32)(acc[i] * scale);
  }
}

/*
 * The transposed im2col matrix of images [b0, b0 + nb) of an NHWC input x [N, h, w, c]:
 * out[(i*fw + j)*c + ch, (b*oh + y)*ow + xx] = x[b0 + b, y*sh + i*dh - top, xx*sw + j*dw - left, ch],
 * zero outside the input. First the images are copied channel-major and zero-padded into
 * planar [c, nb, hp, wp]; then each (tap, channel, output row) is a run of ow floats.
 */
EXPORT(im2col_t)
void im2col_t(const f32 *restrict x, f32 *restrict planar, f32 *restrict out, int b0, int nb, int h, int w, int c,
              int oh, int ow, int sh, int sw, int dh, int dw, int fh, int fw, int top, int left, int hp, int wp) {
  long plane = (long)hp * wp; /* one (channel, image) plane */
  long chStride = (long)nb * plane;
  int w4 = w & ~3, c4 = c & ~3;
  for (int ch = 0; ch < c; ch++) {
    for (int b = 0; b < nb; b++) {
      /* zero the padding only: the rows above and below, the columns left and right */
      f32 *p = planar + ch * chStride + b * plane;
      for (long k = 0; k < (long)top * wp; k++) p[k] = 0;
      for (long k = (long)(top + h) * wp; k < plane; k++) p[k] = 0;
      for (int y = top; y < top + h; y++) {
        f32 *r = p + (long)y * wp;
        for (int k = 0; k < left; k++) r[k] = 0;
        for (int k = left + w; k < wp; k++) r[k] = 0;
      }
    }
  }
  for (int b = 0; b < nb; b++) {
    for (int y = 0; y < h; y++) {
      const f32 *src = x + ((long)(b0 + b) * h + y) * w * c;
      f32 *dst = planar + (long)b * plane + (long)(y + top) * wp + left; /* channel 0's row */
      /* [w, c] -> c rows of w, in 4x4 SIMD transposes */
      for (int xx = 0; xx < w4; xx += 4) {
        for (int ch = 0; ch < c4; ch += 4) {
          transpose4x4(src + (long)xx * c + ch, c, dst + ch * chStride + xx, chStride);
        }
        for (int ch = c4; ch < c; ch++)
          for (int k = 0; k < 4; k++) dst[ch * chStride + xx + k] = src[(long)(xx + k) * c + ch];
      }
      for (int xx = w4; xx < w; xx++)
        for (int ch = 0; ch < c; ch++) dst[ch * chStride + xx] = src[(long)xx * c + ch];
    }
  }
  long m = (long)nb * oh * ow;
  for (int i = 0; i < fh; i++) {
    for (int j = 0; j < fw; j++) {
      for (int ch = 0; ch < c; ch++) {
        f32 *d = out + ((long)(i * fw + j) * c + ch) * m;
        for (int b = 0; b < nb; b++) {
          for (int y = 0; y < oh; y++, d += ow) {
            const f32 *s = planar + (((long)ch * nb + b) * hp + (long)y * sh + i * dh) * wp + (long)j * dw;
            if (sw == 1) {
              for (int xx = 0; xx < ow; xx++) d[xx] = s[xx];
            } else {
              for (int xx = 0; xx < ow; xx++) d[xx] = s[(long)xx * sw];
            }
          }
        }
      }
    }
  }
}

/*
 * dL/dx of max pooling (NHWC): each output gradient goes to the first maximum of its window in
 * row-major order (as tfjs's cpu kernel). dx is zeroed here.
 */
EXPORT(max_pool_grad)
void max_pool_grad(const f32 *restrict xs, const f32 *restrict gs, f32 *restrict dx, int n, int h, int w, int c,
                   int oh, int ow, int sh, int sw, int fh, int fw, int dh, int dw, int top, int left) {
  if (fh == 2 && fw == 2 && sh == 2 && sw == 2 && dh == 1 && dw == 1 && top == 0 && left == 0 && 2 * oh <= h && 2 * ow <= w) {
    /* The windows tile the input without overlap: every covered dx element is written once, in
       SIMD over channels (first maximum wins: a later candidate must be strictly greater). */
    long row = (long)w * c;
    int c4 = c & ~3;
    for (int b = 0; b < n; b++) {
      for (int y = 0; y < h; y++) {
        if (y < 2 * oh) {
          /* only the columns past the last window need zeros */
          f32 *tail = dx + (((long)b * h + y) * w + 2 * ow) * c;
          for (long k = 0; k < (long)(w - 2 * ow) * c; k++) tail[k] = 0;
        } else {
          f32 *whole = dx + ((long)b * h + y) * row;
          for (long k = 0; k < row; k++) whole[k] = 0;
        }
      }
      for (int y = 0; y < oh; y++) {
        for (int xo = 0; xo < ow; xo++) {
          long p0 = (((long)b * h + 2 * y) * w + 2 * xo) * c;
          const f32 *g = gs + (((long)b * oh + y) * ow + xo) * c;
          const f32 *a0 = xs + p0, *a1 = a0 + c, *a2 = a0 + row, *a3 = a2 + c;
          f32 *d0 = dx + p0, *d1 = d0 + c, *d2 = d0 + row, *d3 = d2 + c;
          int ch = 0;
          for (; ch < c4; ch += 4) {
            v128_t v0 = wasm_v128_load(a0 + ch), v1 = wasm_v128_load(a1 + ch);
            v128_t v2 = wasm_v128_load(a2 + ch), v3 = wasm_v128_load(a3 + ch);
            v128_t gv = wasm_v128_load(g + ch);
            v128_t c1 = wasm_f32x4_gt(v1, v0);
            v128_t best = wasm_v128_bitselect(v1, v0, c1);
            v128_t c2 = wasm_f32x4_gt(v2, best);
            best = wasm_v128_bitselect(v2, best, c2);
            v128_t c3 = wasm_f32x4_gt(v3, best);
            v128_t not23 = wasm_v128_not(wasm_v128_or(c2, c3));
            wasm_v128_store(d3 + ch, wasm_v128_and(gv, c3));
            wasm_v128_store(d2 + ch, wasm_v128_and(gv, wasm_v128_andnot(c2, c3)));
            wasm_v128_store(d1 + ch, wasm_v128_and(gv, wasm_v128_and(c1, not23)));
            wasm_v128_store(d0 + ch, wasm_v128_andnot(wasm_v128_and(gv, not23), c1));
          }
          for (; ch < c; ch++) {
            f32 best = a0[ch];
            int at = 0;
            if (a1[ch] > best) { best = a1[ch]; at = 1; }
            if (a2[ch] > best) { best = a2[ch]; at = 2; }
            if (a3[ch] > best) { at = 3; }
            f32 v = g[ch];
            d0[ch] = at == 0 ? v : 0;
            d1[ch] = at == 1 ? v : 0;
            d2[ch] = at == 2 ? v : 0;
            d3[ch] = at == 3 ? v : 0;
          }
        }
      }
    }
    return;
  }
  long total = (long)n * h * w * c;
  for (long k = 0; k < total; k++) dx[k] = 0;
  for (int b = 0; b < n; b++) {
    for (int y = 0; y < oh; y++) {
      for (int xo = 0; xo < ow; xo++) {
        const f32 *g = gs + (((long)b * oh + y) * ow + xo) * c;
        for (int ch = 0; ch < c; ch++) {
          f32 best = 0;
          long at = -1;
          for (int i = 0; i < fh; i++) {
            int iy = y * sh + i * dh - top;
            if (iy < 0 || iy >= h) continue;
            for (int j = 0; j < fw; j++) {
              int ix = xo * sw + j * dw - left;
              if (ix < 0 || ix >= w) continue;
              long p = (((long)b * h + iy) * w + ix) * c + ch;
              if (at < 0 || xs[p] > best) { best = xs[p]; at = p; }
            }
          }
          if (at >= 0) dx[at] += g[ch];
        }
      }
    }
  }
}

/* out [batch, cols, rows] = the transpose of the last two axes of x [batch, rows, cols], in 4x4 SIMD blocks. */
EXPORT(transpose_last_two)
void transpose_last_two(const f32 *restrict x, f32 *restrict out, int batch, int rows, int cols) {
  for (int bt = 0; bt < batch; bt++) {
    const f32 *src = x + (long)bt * rows * cols;
    f32 *dst = out + (long)bt * rows * cols;
    int r4 = rows & ~3, c4 = cols & ~3;
    for (int r0 = 0; r0 < r4; r0 += 32) {
      int r1 = r0 + 32 < r4 ? r0 + 32 : r4;
      for (int c0 = 0; c0 < c4; c0 += 32) {
        int c1 = c0 + 32 < c4 ? c0 + 32 : c4;
        for (int r = r0; r < r1; r += 4) {
          for (int cc = c0; cc < c1; cc += 4) {
            transpose4x4(src + (long)r * cols + cc, cols, dst + (long)cc * rows + r, rows);
          }
        }
      }
    }
    /* The edges: the last rows % 4 rows, and the last cols % 4 columns of the other rows. */
    for (int r = r4; r < rows; r++)
      for (int cc = 0; cc < cols; cc++) dst[(long)cc * rows + r] = src[(long)r * cols + cc];
    for (int r = 0; r < r4; r++)
      for (int cc = c4; cc < cols; cc++) dst[(long)cc * rows + r] = src[(long)r * cols + cc];
  }
}

/*
 * Interleaves the sh*sw stride phases of an input gradient: phases[a*sw + b] points to a
 * [n, qh, qw, c] tensor (0 for an all-zero phase); out [n, oh, ow, c] gets
 * out[bt, q*sh + a, p*sw + b, :] = phase(a, b)[bt, q, p, :] for the rows and columns inside out.
 */
EXPORT(interleave_phases)
void interleave_phases(const int *restrict phases, f32 *restrict out, int n, int qh, int qw, int c, int sh, int sw, int oh, int ow) {
  for (int a = 0; a < sh; a++) {
    for (int b = 0; b < sw; b++) {
      const f32 *ph = (const f32 *)phases[a * sw + b];
      for (int bt = 0; bt < n; bt++) {
        for (int q = 0; q < qh; q++) {
          int y = q * sh + a;
          if (y >= oh) break;
          f32 *drow = out + (((long)bt * oh + y) * ow) * c;
          const f32 *srow = ph ? ph + (((long)bt * qh + q) * qw) * c : 0;
          for (int p = 0; p < qw; p++) {
            int xx = p * sw + b;
            if (xx >= ow) break;
            f32 *d = drow + (long)xx * c;
            if (srow) {
              const f32 *s = srow + (long)p * c;
              for (int ch = 0; ch < c; ch++) d[ch] = s[ch];
            } else {
              for (int ch = 0; ch < c; ch++) d[ch] = 0;
            }
          }
        }
      }
    }
  }
}

/* Batch normalisation with per-channel vectors: out[r, ch] = (x[r, ch] - mean[ch]) * mul[ch] + offset[ch]. */
EXPORT(batch_norm_apply)
void batch_norm_apply(const f32 *restrict x, f32 *restrict out, const f32 *restrict mean, const f32 *restrict mul,
                      const f32 *restrict offset, int rows, int c) {
  for (int r = 0; r < rows; r++) {
    const f32 *s = x + (long)r * c;
    f32 *d = out + (long)r * c;
    for (int ch = 0; ch < c; ch++) d[ch] = (s[ch] - mean[ch]) * mul[ch] + offset[ch];
  }
}

/*
 * Batch normalisation in training, over the rows of x [rows, c] (every axis but the channels).
 * Forward: mean (reduce_middle), then the biased variance = mean of (x - mean)^2 (this function),
 * then batch_norm_apply. Accumulation as in reduce_middle (float32 blocks of 64 rows, float64 sums).
 * tmp: c floats, acc: c doubles of scratch.
 */
EXPORT(channel_variance)
void channel_variance(const f32 *restrict x, const f32 *restrict mean, f32 *restrict out, int rows, int c,
                      f32 *restrict tmp, double *restrict acc) {
  for (int i = 0; i < c; i++) acc[i] = 0;
  for (int r0 = 0; r0 < rows; r0 += 64) {
    int r1 = r0 + 64 < rows ? r0 + 64 : rows;
    for (int i = 0; i < c; i++) tmp[i] = 0;
    for (int r = r0; r < r1; r++) {
      const f32 *row = x + (long)r * c;
      for (int i = 0; i < c; i++) {
        f32 d = row[i] - mean[i];
        tmp[i] += d * d;
      }
    }
    for (int i = 0; i < c; i++) acc[i] += tmp[i];
  }
  for (int i = 0; i < c; i++) out[i] = (f32)(acc[i] / rows);
}

/*
 * Backward, pass 1: per channel, sumDy = sum of dy and sumDyXhat = sum of dy * (x - mean) * invStd.
 * out: 2c floats (sumDy, then sumDyXhat); tmp: 2c floats, acc: 2c doubles of scratch.
 */
EXPORT(batch_norm_grad_sums)
void batch_norm_grad_sums(const f32 *restrict x, const f32 *restrict dy, const f32 *restrict mean, const f32 *restrict invStd,
                          f32 *restrict out, int rows, int c, f32 *restrict tmp, double *restrict acc) {
  for (int i = 0; i < 2 * c; i++) acc[i] = 0;
  for (int r0 = 0; r0 < rows; r0 += 64) {
    int r1 = r0 + 64 < rows ? r0 + 64 : rows;
    for (int i = 0; i < 2 * c; i++) tmp[i] = 0;
    for (int r = r0; r < r1; r++) {
      const f32 *xr = x + (long)r * c, *gr = dy + (long)r * c;
      for (int i = 0; i < c; i++) {
        tmp[i] += gr[i];
        tmp[c + i] += gr[i] * (xr[i] - mean[i]);
      }
    }
    for (int i = 0; i < 2 * c; i++) acc[i] += tmp[i];
  }
  for (int i = 0; i < c; i++) {
    out[i] = (f32)acc[i];
    out[c + i] = (f32)(acc[c + i] * invStd[i]);
  }
}

/*
 * Backward, pass 2: dx = a[ch] * (dy - b[ch] - (x - mean[ch]) * k[ch]) with, per channel,
 * a = gamma * invStd, b = sumDy / rows, k = invStd * sumDyXhat / rows (the caller computes them).
 */
EXPORT(batch_norm_grad_x)
void batch_norm_grad_x(const f32 *restrict x, const f32 *restrict dy, const f32 *restrict mean, const f32 *restrict a,
                       const f32 *restrict b, const f32 *restrict k, f32 *restrict dx, int rows, int c) {
  for (int r = 0; r < rows; r++) {
    const f32 *xr = x + (long)r * c, *gr = dy + (long)r * c;
    f32 *d = dx + (long)r * c;
    for (int i = 0; i < c; i++) d[i] = a[i] * (gr[i] - b[i] - (xr[i] - mean[i]) * k[i]);
  }
}

/*
 * The machine's wasm SIMD peak, for the bench (lib/bench/peak.ts): `iterations` rounds of a multiply
 * and an add on 8 independent 4-lane accumulators held in registers (64 FLOPs a round, no memory
 * traffic). wasm SIMD128 has no fused multiply-add, so this is the most a wasm kernel can do here.
 */
EXPORT(peak_mul_add)
f32 peak_mul_add(int iterations) {
  v128_t m = wasm_f32x4_splat(0.999999f), b = wasm_f32x4_splat(1e-6f);
  v128_t a0 = wasm_f32x4_splat(1.0f), a1 = wasm_f32x4_splat(1.1f), a2 = wasm_f32x4_splat(1.2f), a3 = wasm_f32x4_splat(1.3f);
  v128_t a4 = wasm_f32x4_splat(1.4f), a5 = wasm_f32x4_splat(1.5f), a6 = wasm_f32x4_splat(1.6f), a7 = wasm_f32x4_splat(1.7f);
  for (int i = 0; i < iterations; i++) {
    a0 = wasm_f32x4_add(wasm_f32x4_mul(a0, m), b); a1 = wasm_f32x4_add(wasm_f32x4_mul(a1, m), b);
    a2 = wasm_f32x4_add(wasm_f32x4_mul(a2, m), b); a3 = wasm_f32x4_add(wasm_f32x4_mul(a3, m), b);
    a4 = wasm_f32x4_add(wasm_f32x4_mul(a4, m), b); a5 = wasm_f32x4_add(wasm_f32x4_mul(a5, m), b);
    a6 = wasm_f32x4_add(wasm_f32x4_mul(a6, m), b); a7 = wasm_f32x4_add(wasm_f32x4_mul(a7, m), b);
  }
  v128_t s = wasm_f32x4_add(wasm_f32x4_add(wasm_f32x4_add(a0, a1), wasm_f32x4_add(a2, a3)), wasm_f32x4_add(wasm_f32x4_add(a4, a5), wasm_f32x4_add(a6, a7)));
  return wasm_f32x4_extract_lane(s, 0) + wasm_f32x4_extract_lane(s, 1) + wasm_f32x4_extract_lane(s, 2) + wasm_f32x4_extract_lane(s, 3);
}
