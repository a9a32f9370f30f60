/**
 * Gradient kernels that @tensorflow/tfjs-backend-wasm 4.22 lacks (Conv2DBackpropFilter, the
 * depthwise backprops, UnsortedSegmentSum, MaxPoolGrad), composed from kernels it has and the kit's
 * SIMD module (lib/runtime/simd.ts), plus faster versions of stock kernels that training leans on:
 * Conv2DBackpropInput (a scalar loop), transposed BatchMatMul, Sum/Mean over the batch-norm axes,
 * small-output Conv2D, FusedBatchNorm, Tile, and Identity/Cast/Slice without copies.
 *
 * Without them the wasm backend can run models but not train them: `tf.grad` of a convolution
 * throws "Kernel 'Conv2DBackpropFilter' not registered for backend 'wasm'". Each kernel here is
 * checked against the pure-JS cpu backend in tests/wasmKernels.test.ts (strides 1 and 2, same and
 * valid padding, non-square kernels, dilation where the kernel takes one, batch 1 and > 1).
 *
 * Layout is NHWC throughout; filters are [kernelHeight, kernelWidth, inChannels, outChannels]
 * (depthwise: [kernelHeight, kernelWidth, inChannels, channelMultiplier]), as in tfjs.
 */
import * as tf from '@tensorflow/tfjs';
import { registerComposedKernel, runComposed } from './composedKernel';
import { activeHeapBackend, isWasmHeapBackend, transposeLastTwo, transposedMatrix, uninitialisedTensor, viewOf } from './wasmHeap';
import { offsetOf, simdKernels, withAccumulators, withScratch } from './simd';
import { registerFastBatchNorm } from './batchNorm';

type Pad = 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
type Pair = [number, number];

function pair(v: unknown, fallback: number): Pair {
  if (v == null) return [fallback, fallback];
  if (typeof v === 'number') return [v, v];
  const a = v as number[];
  return [a[0], a[1]];
}

function convInfoFor(xShape: number[], filterShape: number[], attrs: Record<string, unknown>, depthwise: boolean) {
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

function assertNHWC(attrs: Record<string, unknown>, kernel: string): void {
  if (attrs.dataFormat != null && attrs.dataFormat !== 'NHWC') {
    throw new Error(`${kernel} on wasm: only NHWC is supported, got ${String(attrs.dataFormat)}`);
  }
}

/**
 * The input windows one filter tap (i, j) sees, for every output position:
 * returns [N, outHeight, outWidth, C] sliced from the padded input with the forward stride.
 */
function tapSlices(x: tf.Tensor4D, info: tf.backend_util.Conv2DInfo): tf.Tensor4D[] {
  const { top, left, bottom, right } = info.padInfo;
  const [n, h, w, c] = x.shape;
  const needH = (info.filterHeight - 1) * info.dilationHeight + (info.outHeight - 1) * info.strideHeight + 1;
  const needW = (info.filterWidth - 1) * info.dilationWidth + (info.outWidth - 1) * info.strideWidth + 1;
  const padBottom = Math.max(bottom, needH - h - top);
  const padRight = Math.max(right, needW - w - left);
  const xp = top || padBottom || left || padRight
    ? tf.pad(x, [[0, 0], [top, padBottom], [left, padRight], [0, 0]])
    : x;
  const slices: tf.Tensor4D[] = [];
  const spanH = (info.outHeight - 1) * info.strideHeight + 1;
  const spanW = (info.outWidth - 1) * info.strideWidth + 1;
  const strided = info.strideHeight > 1 || info.strideWidth > 1;
  for (let i = 0; i < info.filterHeight; i++) {
    for (let j = 0; j < info.filterWidth; j++) {
      const y0 = i * info.dilationHeight;
      const x0 = j * info.dilationWidth;
      // A plain slice is a row copy on wasm; stridedSlice is a per-element loop: use it only when needed.
      slices.push(strided
        ? tf.stridedSlice(xp, [0, y0, x0, 0], [n, y0 + spanH, x0 + spanW, c], [1, info.strideHeight, info.strideWidth, 1]) as tf.Tensor4D
        : tf.slice(xp, [0, y0, x0, 0], [n, spanH, spanW, c]));
    }
  }
  return slices;
}

/** Chunks of the batch so that one chunk's im2col matrix stays under this many floats (128 MB). */
const IM2COL_MAX_FLOATS = 32 * 1024 * 1024;

/**
 * The transposed im2col matrix of images [b0, b1) of an NHWC input, as a new wasm tensor:
 * row k = (i, j, c) of the filter, column m = (n, outY, outX); entry =
 * input[n, outY*strideH + i*dilationH - padTop, outX*strideW + j*dilationW - padLeft, c], zero outside
 * the input. Built by the SIMD module (im2col_t in lib/runtime/simd/kernels.c) in two passes: the
 * images are copied channel-major and zero-padded ([C, n, H + pads, W + pads]), after which every
 * (filter tap, channel, output row) is a run of outWidth consecutive floats. Measured on the shapes
 * classifier's filter gradients: ~14 ms of a ~100 ms step as a JavaScript loop over the heap.
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
 * dW [kh*kw*Cin, Cout] = sum over chunks of patches^T [kh*kw*Cin, rows] x dy [rows, Cout], MatMuls
 * without transposed operands (XNNPACK's fast path on wasm).
 */
export function conv2dBackpropFilter(x: tf.Tensor4D, dy: tf.Tensor4D, info: tf.backend_util.Conv2DInfo, maxFloats = IM2COL_MAX_FLOATS): tf.Tensor4D {
  const [kh, kw, cin, cout] = [info.filterHeight, info.filterWidth, info.inChannels, info.outChannels];
  const n = x.shape[0];
  if (kh === 1 && kw === 1 && info.strideHeight === 1 && info.strideWidth === 1 && info.outHeight === x.shape[1] && info.outWidth === x.shape[2]) {
    // A 1x1 convolution's patches are the input itself: dW = x^T dy (the transpose is tiled, see BatchMatMul).
    const rows = n * info.outHeight * info.outWidth;
    return tf.matMul(x.reshape([rows, cin]), dy.reshape([rows, cout]), true, false).reshape([1, 1, cin, cout]) as tf.Tensor4D;
  }
  const perImage = kh * kw * cin * info.outHeight * info.outWidth;
  const chunk = Math.max(1, Math.min(n, Math.floor(maxFloats / perImage)));
  let sum: tf.Tensor | null = null;
  for (let b0 = 0; b0 < n; b0 += chunk) {
    const b1 = Math.min(n, b0 + chunk);
    const rows = (b1 - b0) * info.outHeight * info.outWidth;
    const patchesT = im2colTransposed(x, info, b0, b1);
    const dyChunk = (b0 === 0 && b1 === n ? dy : dy.slice([b0, 0, 0, 0], [b1 - b0, -1, -1, -1])).reshape([rows, cout]);
    const part = tf.matMul(patchesT, dyChunk) as tf.Tensor2D;
    sum = sum == null ? part : tf.add(sum, part);
  }
  return sum!.reshape([kh, kw, cin, cout]) as tf.Tensor4D;
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
  // Interleave the phases into dx (interleave_phases in lib/runtime/simd/kernels.c).
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

/** dL/dW of a depthwise convolution: per tap, sum over batch and positions of x * dy per channel. */
export function depthwiseBackpropFilter(x: tf.Tensor4D, dy: tf.Tensor4D, info: tf.backend_util.Conv2DInfo): tf.Tensor4D {
  const cin = info.inChannels;
  const mult = info.outChannels / cin;
  const dy5 = dy.reshape([dy.shape[0], info.outHeight, info.outWidth, cin, mult]);
  const taps = tapSlices(x, info).map((s) => tf.sum(tf.mul(s.expandDims(4), dy5), [0, 1, 2]));
  return tf.stack(taps).reshape([info.filterHeight, info.filterWidth, cin, mult]);
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

/** dL/dx of a depthwise convolution: a depthwise correlation of the spread dy with the flipped filter. */
export function depthwiseBackpropInput(dy: tf.Tensor4D, filter: tf.Tensor4D, info: tf.backend_util.Conv2DInfo): tf.Tensor4D {
  const cin = info.inChannels;
  const mult = info.outChannels / cin;
  const [kh, kw] = [info.filterHeight, info.filterWidth];
  const flipped = tf.reverse(filter, [0, 1]).reshape([kh, kw, cin * mult, 1]) as tf.Tensor4D;
  const padded = padForTransposedCorrelation(zeroInsert(dy, info.strideHeight, info.strideWidth), info);
  const full = tf.depthwiseConv2d(padded, flipped, 1, 'valid', 'NHWC', [info.dilationHeight, info.dilationWidth]);
  return full.reshape([full.shape[0], info.inHeight, info.inWidth, cin, mult]).sum(4) as tf.Tensor4D;
}

/** Segment sums as a one-hot matrix product: out[s] = sum over i with ids[i] = s of x[i]. */
export function unsortedSegmentSum(x: tf.Tensor, segmentIds: tf.Tensor, numSegments: number): tf.Tensor {
  const n = segmentIds.size;
  const rest = x.shape.slice(segmentIds.rank);
  const restSize = rest.reduce((a, b) => a * b, 1);
  const values = x.reshape([n, restSize]).toFloat();
  const oneHot = tf.oneHot(segmentIds.reshape([n]).toInt(), numSegments).toFloat();
  const sums = tf.matMul(oneHot.transpose(), values).reshape([numSegments, ...rest]);
  return x.dtype === 'int32' ? sums.round().toInt() : sums;
}

/**
 * dL/dx of max pooling: each output's gradient goes to the first position (row-major) holding the
 * window's maximum, as in tfjs's cpu kernel (max_pool_grad in lib/runtime/simd/kernels.c, with a
 * branch-light path for 2x2 stride-2 pooling; wasm has no MaxPoolGrad of its own).
 */
export function maxPoolBackprop(dy: tf.Tensor4D, x: tf.Tensor4D, info: tf.backend_util.Conv2DInfo): tf.Tensor4D {
  const [n, h, w, c] = x.shape;
  const out = uninitialisedTensor(x.shape) as tf.Tensor4D;
  const { outHeight: oh, outWidth: ow, strideHeight: sh, strideWidth: sw, filterHeight: fh, filterWidth: fw, dilationHeight: dh, dilationWidth: dw } = info;
  const backend = activeHeapBackend();
  simdKernels(backend).max_pool_grad(offsetOf(backend, x), offsetOf(backend, dy), offsetOf(backend, out), n, h, w, c, oh, ow, sh, sw, fh, fw, dh, dw, info.padInfo.top, info.padInfo.left);
  return out;
}

/** The kernels this module registers, by tfjs kernel name. */
export const WASM_TRAINING_KERNELS = [
  'Conv2DBackpropFilter',
  'Conv2DBackpropInput',
  'DepthwiseConv2dNativeBackpropFilter',
  'DepthwiseConv2dNativeBackpropInput',
  'UnsortedSegmentSum',
  'MaxPoolGrad',
  'BatchMatMul',
  'Sum',
  'Mean',
  'Conv2D',
  'Identity',
  'Cast',
  'Slice',
  'Tile',
  'FusedBatchNorm',
] as const;

const OURS = Symbol('cvkit kernel');
type KernelFunc = tf.KernelConfig['kernelFunc'];

/** The backend's own kernel, even after ours replaced it (so re-registering never wraps a wrapper). */
const stockKernels = new Map<string, tf.KernelConfig>();
function stockKernel(kernelName: string, backendName: string): tf.KernelConfig {
  const key = `${backendName}/${kernelName}`;
  const current = tf.getKernel(kernelName, backendName);
  if (current != null && !(current.kernelFunc as unknown as Record<symbol, boolean>)[OURS]) stockKernels.set(key, current);
  const stock = stockKernels.get(key);
  if (stock == null) throw new Error(`${kernelName} is not registered on ${backendName}`);
  return stock;
}

/**
 * Replaces `kernelName` on `backendName` by `make(stock)`, where `stock` is the backend's own kernel
 * (kept across re-registration) and its setup runs as before when the backend initialises.
 */
function overrideKernel(kernelName: string, backendName: string, make: (stock: KernelFunc) => KernelFunc): void {
  const config = stockKernel(kernelName, backendName);
  const kernelFunc = make(config.kernelFunc);
  (kernelFunc as unknown as Record<symbol, boolean>)[OURS] = true;
  tf.unregisterKernel(kernelName, backendName);
  tf.registerKernel({ ...config, kernelFunc });
}

/**
 * BatchMatMul with transposed operands: wasm's kernel gives XNNPACK's fast GEMM only to
 * untransposed operands (measured here: A^T B of [16384, 64] 47 ms, A B of the same sizes 4 ms).
 * A transposed operand is transposed once into the heap (tiled), then the stock kernel runs untransposed.
 */
function registerBatchMatMul(backendName: string): void {
  overrideKernel('BatchMatMul', backendName, (stock) => (args) => {
    const { inputs, attrs, backend } = args;
    const { transposeA, transposeB } = attrs as { transposeA?: boolean; transposeB?: boolean };
    const a = inputs.a as tf.TensorInfo;
    const b = inputs.b as tf.TensorInfo;
    if ((!transposeA && !transposeB) || a.dtype !== 'float32' || b.dtype !== 'float32' || !isWasmHeapBackend(backend)) return stock(args);
    const temps: tf.TensorInfo[] = [];
    const untransposed = (t: tf.TensorInfo, flag: boolean | undefined) => {
      if (!flag) return t;
      const out = transposeLastTwo(backend, t);
      temps.push(out);
      return out;
    };
    try {
      return stock({ ...args, inputs: { a: untransposed(a, transposeA), b: untransposed(b, transposeB) }, attrs: { ...attrs, transposeA: false, transposeB: false } });
    } finally {
      for (const t of temps) backend.disposeData(t.dataId);
    }
  });
}

/**
 * Sum and Mean over a block of consecutive axes that is not the innermost (batch-norm gradients
 * reduce [N, H, W, C] over N, H, W): wasm's kernels reduce innermost axes only and transpose
 * first, with a slow generic transpose. Here out[o, i] = sum over m of x[o, m, i] is one SIMD pass
 * (reduce_middle in lib/runtime/simd/kernels.c: float32 over blocks of 64 rows, float64 across
 * blocks). Measured for [64, 32, 32, 32] over N, H, W: the stock kernel 15.9 ms, a JavaScript loop
 * 4.3 ms, a product with a vector of ones 37 ms (XNNPACK packs the input as weights every call).
 */
function registerContiguousReduction(kernelName: 'Sum' | 'Mean', backendName: string): void {
  overrideKernel(kernelName, backendName, (stock) => (args) => {
    const { inputs, attrs, backend } = args;
    const x = inputs.x as tf.TensorInfo;
    if (x.dtype !== 'float32' || !isWasmHeapBackend(backend)) return stock(args);
    const shape = x.shape;
    const axes = tf.util.parseAxisParam((attrs as { axis: number | number[] }).axis, shape).sort((a, b) => a - b);
    const first = axes[0];
    const last = axes[axes.length - 1];
    const contiguous = axes.length > 0 && axes.every((a, i) => a === first + i);
    const size = (from: number, to: number) => shape.slice(from, to).reduce((a, b) => a * b, 1);
    const inner = size(last + 1, shape.length);
    if (!contiguous || inner === 1) return stock(args);
    const outer = size(0, first);
    const mid = size(first, last + 1);
    const kept = shape.map((d, i) => (i >= first && i <= last ? 1 : d));
    const outShape = (attrs as { keepDims?: boolean }).keepDims ? kept : shape.filter((_, i) => i < first || i > last);
    const out = backend.makeOutput(outShape, 'float32');
    const scale = kernelName === 'Mean' ? 1 / mid : 1;
    withAccumulators(backend, inner, (tmp, acc) => {
      simdKernels(backend).reduce_middle(offsetOf(backend, x), offsetOf(backend, out), outer, mid, inner, scale, tmp, acc);
    });
    return out;
  });
}

/**
 * Conv2D when the output has fewer positions than channels (gradients of transposed convolutions,
 * the small deep layers, the small stride phases of Conv2DBackpropInput):
 * out^T [Cout, M] = filter^T [Cout, K] x im2col^T [K, M], so XNNPACK packs the few patches rather
 * than the large filter it repacks for every new filter (measured: a 2x2-output 512->256
 * convolution, 18 ms with a new filter, 0.4 ms with a cached one). Everything else goes to the
 * stock kernel.
 */
function registerSmallOutputConv2D(backendName: string): void {
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

/**
 * Identity, Cast to the tensor's own dtype and a Slice of the whole tensor, as a second reference to the same memory (what the
 * cpu backend does, and wasm's own Reshape). The stock wasm kernels copy: the engine clones every
 * tensor it saves for the backward pass, so a training step copied each activation once more
 * (185 copies per VGG-small step, 44 ms). Sharing is safe because tfjs never writes into a
 * tensor's memory after creating it (a Variable's assign takes the new tensor's memory).
 */
function registerSharingIdentity(backendName: string): void {
  const share = (x: tf.TensorInfo, backend: unknown): tf.TensorInfo => {
    (backend as { incRef(dataId: object): void }).incRef(x.dataId);
    return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
  };
  // A slice that is the whole tensor (model.predict slices its batch even when it is one batch).
  overrideKernel('Slice', backendName, (stock) => (args) => {
    const x = args.inputs.x as tf.TensorInfo;
    const { begin, size } = args.attrs as { begin: number | number[]; size?: number | number[] };
    if (x.dtype === 'string' || !isWasmHeapBackend(args.backend)) return stock(args);
    const [b, sz] = tf.slice_util.parseSliceParams(x as unknown as tf.Tensor, begin, size);
    return b.every((v) => v === 0) && sz.every((v, i) => v === x.shape[i]) ? share(x, args.backend) : stock(args);
  });
  overrideKernel('Identity', backendName, (stock) => (args) => {
    const x = args.inputs.x as tf.TensorInfo;
    return x.dtype === 'string' || !isWasmHeapBackend(args.backend) ? stock(args) : share(x, args.backend);
  });
  overrideKernel('Cast', backendName, (stock) => (args) => {
    const x = args.inputs.x as tf.TensorInfo;
    const same = x.dtype === (args.attrs as { dtype: tf.DataType }).dtype && x.dtype !== 'string';
    return same && isWasmHeapBackend(args.backend) ? share(x, args.backend) : stock(args);
  });
}

/**
 * Tile (and so tf.broadcastTo) as block copies on the heap: each input row is copied once, then
 * every tiled block is doubled with copyWithin (a memmove) until it fills its repeats. The stock
 * kernel computes each output element's source index: broadcasting a [1, 1, 1, 32] gradient to
 * [64, 32, 32, 32] took 254 ms, as block copies it is a few ms (the Sum and Mean gradients use it).
 */
function registerBlockTile(backendName: string): void {
  overrideKernel('Tile', backendName, (stock) => (args) => {
    const { inputs, attrs, backend } = args;
    const x = inputs.x as tf.TensorInfo;
    const reps = (attrs as { reps: number[] }).reps;
    if (!isWasmHeapBackend(backend) || x.dtype === 'string' || x.shape.length === 0 || reps.length !== x.shape.length) return stock(args);
    const shape = x.shape;
    const outShape = shape.map((d, i) => d * reps[i]);
    const out = backend.makeOutput(outShape, x.dtype);
    if (outShape.some((d) => d === 0)) return out;
    const src = backend.typedArrayFromHeap(x);
    const dst = backend.typedArrayFromHeap(out);
    const rank = shape.length;
    // outBlock[d]: elements of out under one index of axis d-1 (so outBlock[0] = the whole output).
    const outBlock = new Array<number>(rank + 1).fill(1);
    const inBlock = new Array<number>(rank + 1).fill(1);
    for (let d = rank - 1; d >= 0; d--) {
      outBlock[d] = outBlock[d + 1] * outShape[d];
      inBlock[d] = inBlock[d + 1] * shape[d];
    }
    const fill = (d: number, from: number, to: number): void => {
      const span = shape[d] * outBlock[d + 1];
      if (d === rank - 1) {
        dst.set(src.subarray(from, from + shape[d]), to);
      } else {
        for (let j = 0; j < shape[d]; j++) fill(d + 1, from + j * inBlock[d + 1], to + j * outBlock[d + 1]);
      }
      // Repeat the first `span` elements reps[d] times by doubling.
      for (let done = span, total = span * reps[d]; done < total; done *= 2) dst.copyWithin(to + done, to, to + Math.min(done, total - done));
    };
    fill(0, 0, 0);
    return out;
  });
}

/**
 * FusedBatchNorm with per-channel statistics (every batch-norm layer of the kit, in training and
 * inference): out = (x - mean[c]) * (scale[c] / sqrt(variance[c] + eps)) + offset[c], one SIMD
 * pass (batch_norm_apply in lib/runtime/simd/kernels.c) with the C factors computed once. The
 * stock kernel takes 4.2 ms of the shapes classifier's 12 ms inference of 64 images.
 */
function registerChannelBatchNorm(backendName: string): void {
  overrideKernel('FusedBatchNorm', backendName, (stock) => (args) => {
    const { inputs, attrs, backend } = args;
    const { x, mean, variance, offset, scale } = inputs as Record<string, tf.TensorInfo | undefined>;
    const c = x!.shape[x!.shape.length - 1];
    const perChannel = (t: tf.TensorInfo | undefined) => t == null || (t.dtype === 'float32' && tf.util.sizeFromShape(t.shape) === c);
    if (!isWasmHeapBackend(backend) || x!.dtype !== 'float32' || x!.shape.length === 0 || ![mean, variance, offset, scale].every(perChannel) || mean == null || variance == null) return stock(args);
    const eps = (attrs as { varianceEpsilon: number }).varianceEpsilon;
    const out = backend.makeOutput(x!.shape, 'float32');
    const rows = tf.util.sizeFromShape(x!.shape) / c;
    if (rows === 0) return out;
    return withScratch(backend, 2 * c, (factors) => {
      const heap = new Float32Array((backend.typedArrayFromHeap(out) as Float32Array).buffer);
      const v = backend.typedArrayFromHeap(variance) as Float32Array;
      const g = scale == null ? null : backend.typedArrayFromHeap(scale) as Float32Array;
      const at = factors >> 2;
      for (let i = 0; i < c; i++) {
        heap[at + i] = (g == null ? 1 : g[i]) / Math.sqrt(v[i] + eps);
        heap[at + c + i] = 0; // the offset when there is none
      }
      const offsetAt = offset == null ? factors + 4 * c : offsetOf(backend, offset);
      simdKernels(backend).batch_norm_apply(offsetOf(backend, x!), offsetOf(backend, out), offsetOf(backend, mean), factors, offsetAt, rows, c);
      return out;
    });
  });
}

/** Registers the training kernels on `backendName` (default 'wasm'). Idempotent. */
export function registerWasmTrainingKernels(backendName = 'wasm'): void {
  registerComposedKernel('Conv2DBackpropFilter', backendName, ({ x, dy }, attrs) => {
    assertNHWC(attrs, 'Conv2DBackpropFilter');
    const info = convInfoFor(x.shape, attrs.filterShape as number[], attrs, false);
    return conv2dBackpropFilter(x as tf.Tensor4D, dy as tf.Tensor4D, info);
  });
  registerComposedKernel('Conv2DBackpropInput', backendName, ({ dy, filter }, attrs) => {
    assertNHWC(attrs, 'Conv2DBackpropInput');
    const info = convInfoFor(attrs.inputShape as number[], filter.shape, attrs, false);
    return conv2dBackpropInput(dy as tf.Tensor4D, filter as tf.Tensor4D, info);
  });
  registerComposedKernel('DepthwiseConv2dNativeBackpropFilter', backendName, ({ x, dy }, attrs) => {
    const info = convInfoFor(x.shape, attrs.filterShape as number[], attrs, true);
    return depthwiseBackpropFilter(x as tf.Tensor4D, dy as tf.Tensor4D, info);
  });
  registerComposedKernel('DepthwiseConv2dNativeBackpropInput', backendName, ({ dy, filter }, attrs) => {
    const info = convInfoFor(attrs.inputShape as number[], filter.shape, attrs, true);
    return depthwiseBackpropInput(dy as tf.Tensor4D, filter as tf.Tensor4D, info);
  });
  registerComposedKernel('MaxPoolGrad', backendName, ({ dy, input }, attrs) => {
    const size = pair(attrs.filterSize, 1);
    const info = tf.backend_util.computePool2DInfo(input.shape as [number, number, number, number], size, pair(attrs.strides, 1), 1,
      attrs.pad as 'valid' | 'same' | number, attrs.dimRoundingMode as 'floor' | 'round' | 'ceil' | undefined);
    return maxPoolBackprop(dy as tf.Tensor4D, input as tf.Tensor4D, info);
  });
  registerComposedKernel('UnsortedSegmentSum', backendName, ({ x, segmentIds }, attrs) =>
    unsortedSegmentSum(x, segmentIds, attrs.numSegments as number));
  if (tf.getKernel('BatchMatMul', backendName) != null) registerBatchMatMul(backendName);
  if (tf.getKernel('Conv2D', backendName) != null) registerSmallOutputConv2D(backendName);
  for (const name of ['Sum', 'Mean'] as const) {
    if (tf.getKernel(name, backendName) != null) registerContiguousReduction(name, backendName);
  }
  if (['Identity', 'Cast', 'Slice'].every((k) => tf.getKernel(k, backendName) != null)) registerSharingIdentity(backendName);
  if (tf.getKernel('Tile', backendName) != null) registerBlockTile(backendName);
  if (tf.getKernel('FusedBatchNorm', backendName) != null) registerChannelBatchNorm(backendName);
  registerFastBatchNorm();
}
