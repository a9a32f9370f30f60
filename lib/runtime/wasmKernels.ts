/**
 * Gradient kernels that @tensorflow/tfjs-backend-wasm 4.22 lacks (Conv2DBackpropFilter, the
 * depthwise backprops, UnsortedSegmentSum), composed from kernels it has, plus a faster
 * Conv2DBackpropInput than its stock scalar loop.
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
import { registerComposedKernel } from './composedKernel';

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

/**
 * The transposed im2col matrix of an NHWC input: row k = (i, j, c) of the filter, column m =
 * (n, outY, outX); entry = input[n, outY*strideH + i*dilationH - padTop, outX*strideW + j*dilationW - padLeft, c],
 * zero outside the input. Built in JavaScript: on wasm a plain loop over a typed array is several
 * times faster than tfjs's Slice/StridedSlice kernels for this gather.
 */
export function im2colTransposed(x: Float32Array, shape: number[], info: tf.backend_util.Conv2DInfo): Float32Array {
  const [n, h, w, c] = shape;
  const { outHeight: oh, outWidth: ow, strideHeight: sh, strideWidth: sw, dilationHeight: dh, dilationWidth: dw } = info;
  const { top, left } = info.padInfo;
  const m = n * oh * ow;
  const out = new Float32Array(info.filterHeight * info.filterWidth * c * m);
  let row = 0;
  for (let i = 0; i < info.filterHeight; i++) {
    for (let j = 0; j < info.filterWidth; j++) {
      for (let ch = 0; ch < c; ch++, row++) {
        let o = row * m;
        for (let b = 0; b < n; b++) {
          for (let y = 0; y < oh; y++) {
            const iy = y * sh + i * dh - top;
            if (iy < 0 || iy >= h) { o += ow; continue; }
            const base = ((b * h + iy) * w) * c + ch;
            for (let xo = 0; xo < ow; xo++, o++) {
              const ix = xo * sw + j * dw - left;
              if (ix >= 0 && ix < w) out[o] = x[base + ix * c];
            }
          }
        }
      }
    }
  }
  return out;
}

/**
 * dL/dW of a 2-D convolution as one im2col matrix product:
 * dW [kh*kw*Cin, Cout] = patches^T [kh*kw*Cin, N*outH*outW] x dy [N*outH*outW, Cout], untransposed MatMul.
 */
export function conv2dBackpropFilter(x: tf.Tensor4D, dy: tf.Tensor4D, info: tf.backend_util.Conv2DInfo): tf.Tensor4D {
  const [kh, kw, cin, cout] = [info.filterHeight, info.filterWidth, info.inChannels, info.outChannels];
  const rows = x.shape[0] * info.outHeight * info.outWidth;
  const patchesT = tf.tensor2d(im2colTransposed(x.dataSync() as Float32Array, x.shape, info), [kh * kw * cin, rows]);
  return tf.matMul(patchesT, dy.reshape([rows, cout])).reshape([kh, kw, cin, cout]) as tf.Tensor4D;
}

/**
 * dL/dx of a 2-D convolution as an ordinary (XNNPACK) convolution: the output gradient, spread
 * by the stride and padded, correlated with the filter flipped spatially and with its in/out
 * channels swapped. Replaces wasm's stock Conv2DBackpropInput, a scalar loop.
 */
export function conv2dBackpropInput(dy: tf.Tensor4D, filter: tf.Tensor4D, info: tf.backend_util.Conv2DInfo): tf.Tensor4D {
  const flipped = tf.reverse(filter, [0, 1]).transpose([0, 1, 3, 2]) as tf.Tensor4D;
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
 * window's maximum, as in tfjs's cpu kernel. A JavaScript loop: wasm's stock MaxPoolGrad is a
 * scalar loop several times slower for the kit's pooling layers.
 */
export function maxPoolBackprop(dy: tf.Tensor4D, x: tf.Tensor4D, info: tf.backend_util.Conv2DInfo): tf.Tensor4D {
  const [n, h, w, c] = x.shape;
  const xs = x.dataSync() as Float32Array;
  const gs = dy.dataSync() as Float32Array;
  const dx = new Float32Array(xs.length);
  const { outHeight: oh, outWidth: ow, strideHeight: sh, strideWidth: sw, filterHeight: fh, filterWidth: fw, dilationHeight: dh, dilationWidth: dw } = info;
  const { top, left } = info.padInfo;
  for (let b = 0; b < n; b++) {
    for (let y = 0; y < oh; y++) {
      for (let xo = 0; xo < ow; xo++) {
        const gBase = ((b * oh + y) * ow + xo) * c;
        for (let ch = 0; ch < c; ch++) {
          let best = -Infinity;
          let at = -1;
          for (let i = 0; i < fh; i++) {
            const iy = y * sh + i * dh - top;
            if (iy < 0 || iy >= h) continue;
            for (let j = 0; j < fw; j++) {
              const ix = xo * sw + j * dw - left;
              if (ix < 0 || ix >= w) continue;
              const p = ((b * h + iy) * w + ix) * c + ch;
              if (xs[p] > best) { best = xs[p]; at = p; }
            }
          }
          if (at >= 0) dx[at] += gs[gBase + ch];
        }
      }
    }
  }
  return tf.tensor4d(dx, [n, h, w, c]);
}

/** The kernels this module registers, by tfjs kernel name. */
export const WASM_TRAINING_KERNELS = [
  'Conv2DBackpropFilter',
  'Conv2DBackpropInput',
  'DepthwiseConv2dNativeBackpropFilter',
  'DepthwiseConv2dNativeBackpropInput',
  'UnsortedSegmentSum',
  'MaxPoolGrad',
] as const;

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
}
