/**
 * Depthwise convolution gradients on wasm, which has neither (NHWC; filters [kernelHeight,
 * kernelWidth, inChannels, channelMultiplier], as in tfjs); dilation supported. Rows of the table in
 * lib/runtime/wasm/kernels/index.ts, checked against the cpu backend in tests/wasmKernels.test.ts.
 */
import * as tf from '@tensorflow/tfjs';
import { registerComposedKernel } from '../../composedKernel';
import { convInfoFor, padForTransposedCorrelation, zeroInsert } from './convolution';

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

/** dL/dW of a depthwise convolution: per tap, sum over batch and positions of x * dy per channel. */
export function depthwiseBackpropFilter(x: tf.Tensor4D, dy: tf.Tensor4D, info: tf.backend_util.Conv2DInfo): tf.Tensor4D {
  const cin = info.inChannels;
  const mult = info.outChannels / cin;
  const dy5 = dy.reshape([dy.shape[0], info.outHeight, info.outWidth, cin, mult]);
  const taps = tapSlices(x, info).map((s) => tf.sum(tf.mul(s.expandDims(4), dy5), [0, 1, 2]));
  return tf.stack(taps).reshape([info.filterHeight, info.filterWidth, cin, mult]);
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

/** DepthwiseConv2dNativeBackpropFilter (missing on wasm): `depthwiseBackpropFilter`. */
export function registerDepthwiseBackpropFilter(backendName: string): void {
  registerComposedKernel('DepthwiseConv2dNativeBackpropFilter', backendName, ({ x, dy }, attrs) => {
    const info = convInfoFor(x.shape, attrs.filterShape as number[], attrs, true);
    return depthwiseBackpropFilter(x as tf.Tensor4D, dy as tf.Tensor4D, info);
  });
}

/** DepthwiseConv2dNativeBackpropInput (missing on wasm): `depthwiseBackpropInput`. */
export function registerDepthwiseBackpropInput(backendName: string): void {
  registerComposedKernel('DepthwiseConv2dNativeBackpropInput', backendName, ({ dy, filter }, attrs) => {
    const info = convInfoFor(attrs.inputShape as number[], filter.shape, attrs, true);
    return depthwiseBackpropInput(dy as tf.Tensor4D, filter as tf.Tensor4D, info);
  });
}
