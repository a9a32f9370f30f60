/**
 * FusedBatchNorm with per-channel statistics on wasm (inference and the training forward of
 * tfjs-layers' path). A row of the table in lib/runtime/wasm/kernels/index.ts; the one-op batch norm
 * of training is lib/runtime/wasm/batchNormTraining.ts. Measured: docs/design.md.
 */
import * as tf from '@tensorflow/tfjs';
import { isWasmHeapBackend, offsetOf, withScratch } from '../heap';
import { simdKernels } from '../simd';
import { overrideKernel } from '../override';

/**
 * FusedBatchNorm with per-channel statistics (every batch-norm layer of the kit, in training and
 * inference): out = (x - mean[c]) * (scale[c] / sqrt(variance[c] + eps)) + offset[c], one SIMD
 * pass (batch_norm_apply in lib/runtime/wasm/simd/kernels.c) with the C factors computed once. The
 * stock kernel took a third of the shapes classifier's inference (measured: docs/design.md).
 */
export function registerChannelBatchNorm(backendName: string): void {
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
