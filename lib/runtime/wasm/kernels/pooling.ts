/**
 * MaxPoolGrad on wasm (NHWC), in place of the stock kernel (tfjs-backend-wasm 4.22 has one since
 * tfjs PR #7672, but its gradients differ from the cpu backend's: docs/design.md). A row of the
 * table in lib/runtime/wasm/kernels/index.ts, checked against the cpu backend in
 * tests/wasmKernels.test.ts.
 */
import * as tf from '@tensorflow/tfjs';
import { registerComposedKernel } from '../../composedKernel';
import { activeHeapBackend, offsetOf, uninitialisedTensor } from '../heap';
import { simdKernels } from '../simd';
import { pair } from './convolution';

/**
 * dL/dx of max pooling: each output's gradient goes to the first position (row-major) holding the
 * window's maximum, as in tfjs's cpu kernel (max_pool_grad in lib/runtime/wasm/simd/kernels.c, with a
 * branch-light path for 2x2 stride-2 pooling).
 */
export function maxPoolBackprop(dy: tf.Tensor4D, x: tf.Tensor4D, info: tf.backend_util.Conv2DInfo): tf.Tensor4D {
  const [n, h, w, c] = x.shape;
  const out = uninitialisedTensor(x.shape) as tf.Tensor4D;
  const { outHeight: oh, outWidth: ow, strideHeight: sh, strideWidth: sw, filterHeight: fh, filterWidth: fw, dilationHeight: dh, dilationWidth: dw } = info;
  const backend = activeHeapBackend();
  simdKernels(backend).max_pool_grad(offsetOf(backend, x), offsetOf(backend, dy), offsetOf(backend, out), n, h, w, c, oh, ow, sh, sw, fh, fw, dh, dw, info.padInfo.top, info.padInfo.left);
  return out;
}

/** MaxPoolGrad (the stock kernel's gradients are wrong): `maxPoolBackprop`. */
export function registerMaxPoolGrad(backendName: string): void {
  registerComposedKernel('MaxPoolGrad', backendName, ({ dy, input }, attrs) => {
    const size = pair(attrs.filterSize, 1);
    const info = tf.backend_util.computePool2DInfo(input.shape as [number, number, number, number], size, pair(attrs.strides, 1), 1,
      attrs.pad as 'valid' | 'same' | number, attrs.dimRoundingMode as 'floor' | 'round' | 'ceil' | undefined);
    return maxPoolBackprop(dy as tf.Tensor4D, input as tf.Tensor4D, info);
  });
}
