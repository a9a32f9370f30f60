/**
 * MaxPoolGrad on wasm (NHWC), in place of the stock kernel (tfjs-backend-wasm 4.22 has one since
 * tfjs PR #7672, but its gradients differ from the cpu backend's: docs/design.md), and AvgPoolGrad for
 * windows that tile the input (the stock kernel took 7.4 ms of a 66 ms Gatys iteration for lesson 06's
 * three 2x2 poolings). Rows of the table in lib/runtime/wasm/kernels/index.ts, checked against the cpu
 * backend in tests/wasmKernels.test.ts.
 */
import * as tf from '@tensorflow/tfjs';
import { registerComposedKernel, runComposed } from '../../composedKernel';
import { activeHeapBackend, isWasmHeapBackend, offsetOf, uninitialisedTensor, viewOf } from '../heap';
import { overrideKernel } from '../override';
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

/**
 * dL/dx of average pooling with non-overlapping windows that tile the input (filter = stride, no
 * padding, H and W multiples of it: the loss networks' 2x2 average pooling): every input position
 * gets its window's dy / (fh * fw). A loop over the heap, one row of dy per row of dx.
 */
export function avgPoolTiledBackprop(dy: tf.Tensor4D, inputShape: [number, number, number, number], fh: number, fw: number): tf.Tensor4D {
  const [n, h, w, c] = inputShape;
  const oh = h / fh, ow = w / fw;
  const out = uninitialisedTensor(inputShape) as tf.Tensor4D;
  const g = viewOf(dy), dx = viewOf(out); // views after the allocation
  const scale = 1 / (fh * fw);
  for (let b = 0; b < n; b++) {
    for (let y = 0; y < h; y++) {
      const src = ((b * oh + Math.floor(y / fh)) * ow) * c;
      const dst = ((b * h + y) * w) * c;
      for (let x = 0; x < w; x++) {
        const s = src + Math.floor(x / fw) * c, d = dst + x * c;
        for (let k = 0; k < c; k++) dx[d + k] = g[s + k] * scale;
      }
    }
  }
  return out;
}

/** AvgPoolGrad: `avgPoolTiledBackprop` where the windows tile the input, the stock kernel otherwise. */
export function registerAvgPoolGrad(backendName: string): void {
  overrideKernel('AvgPoolGrad', backendName, (stock) => (args) => {
    const { dy, input } = args.inputs as { dy: tf.TensorInfo; input: tf.TensorInfo };
    const size = pair(args.attrs!.filterSize as number | [number, number], 1);
    const strides = pair(args.attrs!.strides as number | [number, number], 1);
    const [, h, w] = input.shape;
    const tiled = input.shape.length === 4 && dy.dtype === 'float32' && isWasmHeapBackend(args.backend)
      && size[0] === strides[0] && size[1] === strides[1] && h % size[0] === 0 && w % size[1] === 0
      && (args.attrs!.pad === 'valid' || args.attrs!.pad === 'same' || args.attrs!.pad === 0);
    if (!tiled) return stock(args);
    return runComposed({ dy }, {}, args.backend as tf.KernelBackend, (t) => avgPoolTiledBackprop(t.dy as tf.Tensor4D, input.shape as [number, number, number, number], size[0], size[1]));
  });
}
