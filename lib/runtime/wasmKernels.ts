/**
 * Gradient kernels that @tensorflow/tfjs-backend-wasm 4.22 lacks, composed from kernels it has.
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
  for (let i = 0; i < info.filterHeight; i++) {
    for (let j = 0; j < info.filterWidth; j++) {
      const y0 = i * info.dilationHeight;
      const x0 = j * info.dilationWidth;
      slices.push(tf.stridedSlice(
        xp,
        [0, y0, x0, 0],
        [n, y0 + (info.outHeight - 1) * info.strideHeight + 1, x0 + (info.outWidth - 1) * info.strideWidth + 1, c],
        [1, info.strideHeight, info.strideWidth, 1],
      ) as tf.Tensor4D);
    }
  }
  return slices;
}

/**
 * dL/dW of a 2-D convolution as an im2col matrix product:
 * patches [N*outH*outW, kh*kw*Cin] transposed times dy [N*outH*outW, Cout].
 */
export function conv2dBackpropFilter(x: tf.Tensor4D, dy: tf.Tensor4D, info: tf.backend_util.Conv2DInfo): tf.Tensor4D {
  const [kh, kw, cin, cout] = [info.filterHeight, info.filterWidth, info.inChannels, info.outChannels];
  const rows = x.shape[0] * info.outHeight * info.outWidth;
  const patches = tf.concat(tapSlices(x, info), 3).reshape([rows, kh * kw * cin]);
  const grad = tf.matMul(patches.transpose(), dy.reshape([rows, cout]));
  return grad.reshape([kh, kw, cin, cout]);
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
    .slice([0, 0, 0, 0], [n, (h - 1) * strideH + 1, (w - 1) * strideW + 1, c]);
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
  let t = dyUp.pad([[0, 0], [beforeH, Math.max(afterH, 0)], [beforeW, Math.max(afterW, 0)], [0, 0]]);
  if (afterH < 0 || afterW < 0) {
    t = t.slice([0, 0, 0, 0], [t.shape[0], info.inHeight + effH - 1, info.inWidth + effW - 1, t.shape[3]]);
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

/** The kernels this module registers, by tfjs kernel name. */
export const WASM_TRAINING_KERNELS = [
  'Conv2DBackpropFilter',
  'DepthwiseConv2dNativeBackpropFilter',
  'DepthwiseConv2dNativeBackpropInput',
  'UnsortedSegmentSum',
] as const;

/** Registers the training kernels on `backendName` (default 'wasm'). Idempotent. */
export function registerWasmTrainingKernels(backendName = 'wasm'): void {
  registerComposedKernel('Conv2DBackpropFilter', backendName, ({ x, dy }, attrs) => {
    assertNHWC(attrs, 'Conv2DBackpropFilter');
    const info = convInfoFor(x.shape, attrs.filterShape as number[], attrs, false);
    return conv2dBackpropFilter(x as tf.Tensor4D, dy as tf.Tensor4D, info);
  });
  registerComposedKernel('DepthwiseConv2dNativeBackpropFilter', backendName, ({ x, dy }, attrs) => {
    const info = convInfoFor(x.shape, attrs.filterShape as number[], attrs, true);
    return depthwiseBackpropFilter(x as tf.Tensor4D, dy as tf.Tensor4D, info);
  });
  registerComposedKernel('DepthwiseConv2dNativeBackpropInput', backendName, ({ dy, filter }, attrs) => {
    const info = convInfoFor(attrs.inputShape as number[], filter.shape, attrs, true);
    return depthwiseBackpropInput(dy as tf.Tensor4D, filter as tf.Tensor4D, info);
  });
  registerComposedKernel('UnsortedSegmentSum', backendName, ({ x, segmentIds }, attrs) =>
    unsortedSegmentSum(x, segmentIds, attrs.numSegments as number));
}
