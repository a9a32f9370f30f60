/**
 * Instance normalisation (lib/nn/instanceNorm.ts) as one operation on the wasm backend, on the SIMD
 * kernels of the one-op batch norm (lib/runtime/wasm/batchNormTraining.ts): an image's instance
 * norm IS the batch norm of that image alone over its H x W rows, so each kernel runs once per image
 * at that image's byte offset — no new SIMD code.
 *
 * Forward: the means of every image and channel in one reduce_middle pass, then per image the biased
 * variance and (x - mean) * invStd. Backward (no gamma: the layer applies its own affine part):
 * dx = invStd * (dy - mean(dy) - xhat * mean(dy * xhat)) per image and channel, in two passes
 * (batch_norm_grad_sums, batch_norm_grad_x). tfjs's op-by-op graph of the same formula spent most of a
 * CycleGAN step in broadcasting Sub, Mul and Square kernels (docs/design.md, "Conditional GANs");
 * tests/gan.test.ts checks this path against the cpu backend's.
 */
import * as tf from '@tensorflow/tfjs';
import { activeHeapBackend, offsetOf, uninitialisedTensor, viewOf, withAccumulators } from './heap';
import { simdKernels } from './simd';

/** Instance normalisation of x [N, H, W, C] (float32, on the wasm backend), differentiable. */
export function wasmInstanceNorm(x: tf.Tensor4D, epsilon: number): tf.Tensor4D {
  const [n, h, w, c] = x.shape;
  const rows = h * w;
  const image = rows * c * 4;   // bytes per image
  const forward = (input: tf.Tensor4D, save: tf.GradSaveFunc) => {
    const backend = activeHeapBackend();
    const simd = simdKernels(backend);
    const mean = uninitialisedTensor([n, c]);
    const invStd = uninitialisedTensor([n, c]);
    const zero = tf.zeros([c]);
    const y = uninitialisedTensor(input.shape);
    withAccumulators(backend, c, (tmp, acc) => {
      simd.reduce_middle(offsetOf(backend, input), offsetOf(backend, mean), n, rows, c, 1 / rows, tmp, acc);
      for (let i = 0; i < n; i++) simd.channel_variance(offsetOf(backend, input) + i * image, offsetOf(backend, mean) + i * c * 4, offsetOf(backend, invStd) + i * c * 4, rows, c, tmp, acc);
    });
    const v = viewOf(invStd);
    for (let i = 0; i < v.length; i++) v[i] = 1 / Math.sqrt(v[i] + epsilon);
    for (let i = 0; i < n; i++) {
      simd.batch_norm_apply(offsetOf(backend, input) + i * image, offsetOf(backend, y) + i * image, offsetOf(backend, mean) + i * c * 4,
        offsetOf(backend, invStd) + i * c * 4, offsetOf(backend, zero), rows, c);
    }
    zero.dispose();
    save([input, mean, invStd]);
    return {
      value: y as tf.Tensor4D,
      gradFunc: (dy: tf.Tensor4D, saved: tf.Tensor[]) => {
        const [xs, mu, is] = saved;
        const sums = uninitialisedTensor([n, 2 * c]);
        withAccumulators(backend, 2 * c, (tmp, acc) => {
          for (let i = 0; i < n; i++) {
            simd.batch_norm_grad_sums(offsetOf(backend, xs) + i * image, offsetOf(backend, dy) + i * image, offsetOf(backend, mu) + i * c * 4,
              offsetOf(backend, is) + i * c * 4, offsetOf(backend, sums) + i * 2 * c * 4, rows, c, tmp, acc);
          }
        });
        const b = uninitialisedTensor([n, c]);
        const k = uninitialisedTensor([n, c]);
        const dx = uninitialisedTensor(xs.shape);
        const [sv, iv, bv, kv] = [viewOf(sums), viewOf(is), viewOf(b), viewOf(k)];
        for (let i = 0; i < n; i++) for (let ch = 0; ch < c; ch++) {
          bv[i * c + ch] = sv[i * 2 * c + ch] / rows;
          kv[i * c + ch] = (iv[i * c + ch] * sv[i * 2 * c + c + ch]) / rows;
        }
        for (let i = 0; i < n; i++) {
          simd.batch_norm_grad_x(offsetOf(backend, xs) + i * image, offsetOf(backend, dy) + i * image, offsetOf(backend, mu) + i * c * 4,
            offsetOf(backend, is) + i * c * 4, offsetOf(backend, b) + i * c * 4, offsetOf(backend, k) + i * c * 4, offsetOf(backend, dx) + i * image, rows, c);
        }
        tf.dispose([sums, b, k]);
        return dx;
      },
    };
  };
  return tf.customGrad(forward as unknown as Parameters<typeof tf.customGrad>[0])(x) as tf.Tensor4D;
}
