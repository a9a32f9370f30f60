/**
 * Convolution kernels on wasm (NHWC; filters [kernelHeight, kernelWidth, inChannels, outChannels],
 * as in tfjs): the filter gradient wasm lacks, a faster input gradient, and Conv2D for outputs with
 * fewer positions than channels. Each is a row of the table in lib/runtime/wasm/kernels/index.ts,
 * checked against the cpu backend in tests/wasmKernels.test.ts; measured: docs/design.md.
 */
import * as tf from '@tensorflow/tfjs';
import { registerComposedKernel, runComposed } from '../../composedKernel';
import { activeHeapBackend, isWasmHeapBackend, offsetOf, uninitialisedTensor, viewOf, withScratch } from '../heap';
import { simdKernels, transposedMatrix } from '../simd';
import { gemmInto, useKitGemm } from '../gemm';
import { overrideKernel } from '../override';

type Pad = 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
export type Pair = [number, number];

export function pair(v: unknown, fallback: number): Pair {
  if (v == null) return [fallback, fallback];
  if (typeof v === 'number') return [v, v];
  const a = v as number[];
  return [a[0], a[1]];
}

export function convInfoFor(xShape: number[], filterShape: number[], attrs: Record<string, unknown>, depthwise: boolean) {
  return tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    pair(attrs.strides, 1),
    pair(attrs.dilations, 1),
    attrs.pad as Pad as 'valid' | 'same' | number,
    attrs.dimRoundingMode as 'floor' | 'round' | 'ceil' | undefined,
    depthwise,
    (attrs.dataFormat as 'NHWC' | 'NCHW' | undefined) === 'NCHW' ? 'channelsFirst' : 'channelsLast',
  );
}

export function assertNHWC(attrs: Record<string, unknown>, kernel: string): void {
  if (attrs.dataFormat != null && attrs.dataFormat !== 'NHWC') {
    throw new Error(`${kernel} on wasm: only NHWC is supported, got ${String(attrs.dataFormat)}`);
  }
}

/** Chunks of the batch so that one chunk's im2col matrix stays under this many floats (128 MB). */
const IM2COL_MAX_FLOATS = 32 * 1024 * 1024;

/**
 * The transposed im2col matrix of images [b0, b1) of an NHWC input, as a new wasm tensor:
 * row k = (i, j, c) of the filter, column m = (n, outY, outX); entry =
 * input[n, outY*strideH + i*dilationH - padTop, outX*strideW + j*dilationW - padLeft, c], zero outside
 * the input. Built by the SIMD module (im2col_t in lib/runtime/wasm/simd/kernels.c) in two passes: the
 * images are copied channel-major and zero-padded ([C, n, H + pads, W + pads]), after which every
 * (filter tap, channel, output row) is a run of outWidth consecutive floats: a JavaScript loop over
 * the heap was a large part of the shapes classifier's step (measured: docs/design.md).
 */
export function im2colTransposed(x: tf.Tensor4D, info: tf.backend_util.Conv2DInfo, b0 = 0, b1 = x.shape[0]): tf.Tensor2D {
  const [, h, w, c] = x.shape;
  const { outHeight: oh, outWidth: ow, strideHeight: sh, strideWidth: sw, dilationHeight: dh, dilationWidth: dw, filterHeight: fh, filterWidth: fw } = info;
  const { top, left } = info.padInfo;
  const nb = b1 - b0;
  // The padded extent every tap of every output reads.
  const hp = Math.max(top + h, (oh - 1) * sh + (fh - 1) * dh + 1);
  const wp = Math.max(left + w, (ow - 1) * sw + (fw - 1) * dw + 1);
  const backend = activeHeapBackend();
  const out = uninitialisedTensor([fh * fw * c, nb * oh * ow]) as tf.Tensor2D;
  withScratch(backend, c * nb * hp * wp, (planar) => {
    simdKernels(backend).im2col_t(offsetOf(backend, x), planar, offsetOf(backend, out), b0, nb, h, w, c, oh, ow, sh, sw, dh, dw, fh, fw, top, left, hp, wp);
  });
  return out;
}

/**
 * dL/dW of a 2-D convolution as im2col matrix products, in batch chunks:
 * dW [kh*kw*Cin, Cout] = sum over chunks of patches^T [kh*kw*Cin, rows] x dy [rows, Cout], by the kit's
 * GEMM (lib/runtime/wasm/gemm.ts; each chunk accumulates into dW) where `useKitGemm` says it wins, else
 * by untransposed XNNPACK MatMuls (XNNPACK's fast path on wasm) summed.
 */
export function conv2dBackpropFilter(x: tf.Tensor4D, dy: tf.Tensor4D, info: tf.backend_util.Conv2DInfo, maxFloats = IM2COL_MAX_FLOATS): tf.Tensor4D {
  const [kh, kw, cin, cout] = [info.filterHeight, info.filterWidth, info.inChannels, info.outChannels];
  const n = x.shape[0];
  const kit = useKitGemm(kh * kw * cin, n * info.outHeight * info.outWidth, cout);
  if (kh === 1 && kw === 1 && info.strideHeight === 1 && info.strideWidth === 1 && info.outHeight === x.shape[1] && info.outWidth === x.shape[2]) {
    // A 1x1 convolution's patches are the input itself: dW = x^T dy (BatchMatMul: the tiled transpose,
    // then the kit's GEMM or XNNPACK by the same rule, `useKitGemm`).
    const rows = n * info.outHeight * info.outWidth;
    return tf.tidy(() => tf.matMul(x.reshape([rows, cin]), dy.reshape([rows, cout]), true, false).reshape([1, 1, cin, cout]) as tf.Tensor4D);
  }
  const perImage = kh * kw * cin * info.outHeight * info.outWidth;
  const chunk = Math.max(1, Math.min(n, Math.floor(maxFloats / perImage)));
  const backend = kit ? activeHeapBackend() : null;
  const dw = kit ? uninitialisedTensor([kh * kw * cin, cout]) : null;
  let sum: tf.Tensor | null = null;
  for (let b0 = 0; b0 < n; b0 += chunk) {
    const b1 = Math.min(n, b0 + chunk);
    const rows = (b1 - b0) * info.outHeight * info.outWidth;
    tf.tidy(() => {
      const patchesT = im2colTransposed(x, info, b0, b1);
      const dyChunk = (b0 === 0 && b1 === n ? dy : dy.slice([b0, 0, 0, 0], [b1 - b0, -1, -1, -1])).reshape([rows, cout]);
      if (dw != null) {
        gemmInto(backend!, patchesT, dyChunk, dw, b0 > 0); // the later chunks add to dW
      } else {
        const part = tf.matMul(patchesT, dyChunk);
        const next = sum == null ? part : tf.add(sum, part);
        if (sum != null) sum.dispose();
        sum = tf.keep(next);
      }
    });
  }
  const result: tf.Tensor = dw ?? sum!;
  const out = result.reshape([kh, kw, cin, cout]) as tf.Tensor4D;
  result.dispose(); // the reshape shares its memory
  return out;
}

/**
 * The filter taps rowsTaps x colTaps of an HWIO filter, in reverse order and with the in/out channels
 * swapped: out[u, v, co, ci] = filter[rowTaps[last - u], colTaps[last - v], ci, co]. One pass over
 * the wasm heap instead of the Reverse and Transpose kernels (wasm's Reverse is a scalar loop).
 */
export function flippedSwappedTaps(filter: tf.Tensor4D, rowTaps: number[], colTaps: number[]): tf.Tensor4D {
  const [, kw, ci, co] = filter.shape;
  const out = uninitialisedTensor([rowTaps.length, colTaps.length, co, ci]) as tf.Tensor4D;
  const src = viewOf(filter);
  const dst = viewOf(out);
  const block = ci * co;
  let d = 0;
  for (let u = rowTaps.length - 1; u >= 0; u--) {
    for (let v = colTaps.length - 1; v >= 0; v--, d += block) {
      const s = (rowTaps[u] * kw + colTaps[v]) * block;
      for (let o = 0; o < co; o++) {
        let from = s + o;
        const to = d + o * ci;
        for (let i = 0; i < ci; i++, from += co) dst[to + i] = src[from];
      }
    }
  }
  return out;
}

/** Crops (negative amounts) or zero-pads (positive amounts) the rows and columns of an NHWC tensor. */
function padOrCrop(t: tf.Tensor4D, top: number, bottom: number, left: number, right: number): tf.Tensor4D {
  const [n, h, w, c] = t.shape;
  let out = t;
  if (top < 0 || bottom < 0 || left < 0 || right < 0) {
    const ct = Math.max(0, -top);
    const cl = Math.max(0, -left);
    out = out.slice([0, ct, cl, 0], [n, h - ct - Math.max(0, -bottom), w - cl - Math.max(0, -right), c]);
  }
  if (top > 0 || bottom > 0 || left > 0 || right > 0) {
    out = out.pad([[0, 0], [Math.max(0, top), Math.max(0, bottom)], [Math.max(0, left), Math.max(0, right)], [0, 0]]);
  }
  return out;
}

/**
 * dL/dx of a 2-D convolution by stride phases (no zero-insertion, no wasted multiply-adds).
 *
 * Write an input row as p = s*q + a with phase a in [0, s). The filter rows that reach it are
 * i = r + s*u with r = (a + padTop) mod s, from output rows y = q + c - u, c = (a + padTop - r) / s.
 * So each phase (a, b) of dx is an ordinary stride-1 correlation of dy (shifted and padded) with
 * the sub-filter of those taps, flipped and with its channels swapped: s*s small XNNPACK
 * convolutions, whose outputs interleave into dx. Stride 1 is the single-phase case.
 */
export function conv2dBackpropInput(dy: tf.Tensor4D, filter: tf.Tensor4D, info: tf.backend_util.Conv2DInfo): tf.Tensor4D {
  if (info.dilationHeight > 1 || info.dilationWidth > 1) return conv2dBackpropInputDilated(dy, filter, info);
  const [n] = dy.shape;
  const { strideHeight: sh, strideWidth: sw, inHeight, inWidth, inChannels, filterHeight: kh, filterWidth: kw } = info;
  const { top, left } = info.padInfo;
  const qh = Math.ceil(inHeight / sh);
  const qw = Math.ceil(inWidth / sw);
  const phase = (a: number, s: number, pad: number, k: number, q: number, outLen: number) => {
    const r = (a + pad) % s;
    const c = (a + pad - r) / s;
    const taps: number[] = [];
    for (let i = r; i < k; i += s) taps.push(i);
    const u = taps.length;
    // dyPad[j] = dy[j + c - (u - 1)]; the correlation needs q + u - 1 rows of it.
    const before = u - 1 - c;
    const after = q + u - 1 - (outLen + before);
    return { taps, before, after };
  };
  const phases: (tf.Tensor4D | null)[] = [];
  for (let a = 0; a < sh; a++) {
    const ph = phase(a, sh, top, kh, qh, info.outHeight);
    for (let b = 0; b < sw; b++) {
      const pw = phase(b, sw, left, kw, qw, info.outWidth);
      if (ph.taps.length === 0 || pw.taps.length === 0) {
        phases.push(null); // no filter tap reaches this phase: its gradient is zero
        continue;
      }
      // Small phases (fewer positions than channels) take the patches route of the Conv2D kernel below.
      // Zero padding goes to the convolution itself (no padded copy of dy); only crops need a slice.
      const taps = flippedSwappedTaps(filter, ph.taps, pw.taps);
      if (ph.before >= 0 && ph.after >= 0 && pw.before >= 0 && pw.after >= 0) {
        phases.push(tf.conv2d(dy, taps, 1, [[0, 0], [ph.before, ph.after], [pw.before, pw.after], [0, 0]]));
      } else {
        phases.push(tf.conv2d(padOrCrop(dy, ph.before, ph.after, pw.before, pw.after), taps, 1, 'valid'));
      }
    }
  }
  if (phases.length === 1 && phases[0] != null && qh === inHeight && qw === inWidth) return phases[0];
  // Interleave the phases into dx (interleave_phases in lib/runtime/wasm/simd/kernels.c).
  const out = uninitialisedTensor([n, inHeight, inWidth, inChannels]) as tf.Tensor4D;
  const backend = activeHeapBackend();
  withScratch(backend, phases.length, (table) => {
    const heap = new Int32Array(viewOf(out).buffer);
    phases.forEach((p, i) => { heap[(table >> 2) + i] = p == null ? 0 : offsetOf(backend, p); });
    simdKernels(backend).interleave_phases(table, offsetOf(backend, out), n, qh, qw, inChannels, sh, sw, inHeight, inWidth);
  });
  return out;
}

/**
 * dL/dx of a dilated convolution (stride 1 in practice: tfjs refuses dilation with stride > 1): the
 * output gradient, spread by the stride and padded, correlated with the flipped, channel-swapped filter.
 */
function conv2dBackpropInputDilated(dy: tf.Tensor4D, filter: tf.Tensor4D, info: tf.backend_util.Conv2DInfo): tf.Tensor4D {
  const all = (k: number) => Array.from({ length: k }, (_, i) => i);
  const flipped = flippedSwappedTaps(filter, all(info.filterHeight), all(info.filterWidth));
  const padded = padForTransposedCorrelation(zeroInsert(dy, info.strideHeight, info.strideWidth), info);
  return tf.conv2d(padded, flipped, 1, 'valid', 'NHWC', [info.dilationHeight, info.dilationWidth]);
}


/** Inserts (stride - 1) zeros between the rows and the columns of an NHWC tensor. */
export function zeroInsert(t: tf.Tensor4D, strideH: number, strideW: number): tf.Tensor4D {
  if (strideH === 1 && strideW === 1) return t;
  const [n, h, w, c] = t.shape;
  const spread = t.reshape([n, h, 1, w, 1, c]).pad([[0, 0], [0, 0], [0, strideH - 1], [0, 0], [0, strideW - 1], [0, 0]]);
  return spread.reshape([n, h * strideH, w * strideW, c])
    .slice([0, 0, 0, 0], [n, (h - 1) * strideH + 1, (w - 1) * strideW + 1, c]) as tf.Tensor4D;
}

/**
 * Pads an output gradient (already zero-inserted by the stride) so that a stride-1 correlation with
 * the spatially flipped filter gives the input gradient of exactly the input's size.
 */
export function padForTransposedCorrelation(dyUp: tf.Tensor4D, info: tf.backend_util.Conv2DInfo): tf.Tensor4D {
  const effH = (info.filterHeight - 1) * info.dilationHeight + 1;
  const effW = (info.filterWidth - 1) * info.dilationWidth + 1;
  const beforeH = effH - 1 - info.padInfo.top;
  const beforeW = effW - 1 - info.padInfo.left;
  const afterH = info.inHeight + effH - 1 - dyUp.shape[1] - beforeH;
  const afterW = info.inWidth + effW - 1 - dyUp.shape[2] - beforeW;
  let t: tf.Tensor4D = dyUp.pad([[0, 0], [beforeH, Math.max(afterH, 0)], [beforeW, Math.max(afterW, 0)], [0, 0]]);
  if (afterH < 0 || afterW < 0) {
    t = t.slice([0, 0, 0, 0], [t.shape[0], info.inHeight + effH - 1, info.inWidth + effW - 1, t.shape[3]]) as tf.Tensor4D;
  }
  return t;
}

/**
 * Conv2D when the output has fewer positions than channels (gradients of transposed convolutions,
 * the small deep layers, the small stride phases of Conv2DBackpropInput):
 * out^T [Cout, M] = filter^T [Cout, K] x im2col^T [K, M], so XNNPACK packs the few patches rather
 * than the large filter it repacks for every new filter (measured: docs/design.md). Everything else goes to the
 * stock kernel.
 */
export function registerSmallOutputConv2D(backendName: string): void {
  overrideKernel('Conv2D', backendName, (stock) => (args) => {
    const { inputs, attrs, backend } = args;
    const x = inputs.x as tf.TensorInfo;
    const filter = inputs.filter as tf.TensorInfo;
    const a = attrs as Record<string, unknown>;
    if (x.dtype !== 'float32' || !isWasmHeapBackend(backend) || (a.dataFormat != null && a.dataFormat !== 'NHWC')) return stock(args);
    const info = convInfoFor(x.shape, filter.shape, a, false);
    if (x.shape[0] * info.outHeight * info.outWidth >= info.outChannels) return stock(args);
    return runComposed({ x, filter }, a, backend as unknown as tf.KernelBackend, ({ x: xt, filter: ft }) => {
      const k = info.filterHeight * info.filterWidth * info.inChannels;
      const rows = transposedMatrix(ft.reshape([k, info.outChannels]));
      const outT = tf.matMul(rows, im2colTransposed(xt as tf.Tensor4D, info));
      return transposedMatrix(outT).reshape([x.shape[0], info.outHeight, info.outWidth, info.outChannels]);
    });
  });
}

/** Conv2DBackpropFilter (missing on wasm): `conv2dBackpropFilter`. */
export function registerConv2DBackpropFilter(backendName: string): void {
  registerComposedKernel('Conv2DBackpropFilter', backendName, ({ x, dy }, attrs) => {
    assertNHWC(attrs, 'Conv2DBackpropFilter');
    const info = convInfoFor(x.shape, attrs.filterShape as number[], attrs, false);
    return conv2dBackpropFilter(x as tf.Tensor4D, dy as tf.Tensor4D, info);
  });
}

/** Conv2DBackpropInput (the stock kernel is a scalar loop): `conv2dBackpropInput`. */
export function registerConv2DBackpropInput(backendName: string): void {
  registerComposedKernel('Conv2DBackpropInput', backendName, ({ dy, filter }, attrs) => {
    assertNHWC(attrs, 'Conv2DBackpropInput');
    const info = convInfoFor(attrs.inputShape as number[], filter.shape, attrs, false);
    return conv2dBackpropInput(dy as tf.Tensor4D, filter as tf.Tensor4D, info);
  });
}
