/**
 * UnsortedSegmentSum on wasm, which lacks it (it is the gradient of gather). A row of the table in
 * lib/runtime/wasm/kernels/index.ts, checked against the cpu backend in tests/wasmKernels.test.ts.
 */
import * as tf from '@tensorflow/tfjs';
import { registerComposedKernel } from '../../composedKernel';

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

/** UnsortedSegmentSum (missing on wasm): `unsortedSegmentSum`. */
export function registerUnsortedSegmentSum(backendName: string): void {
  registerComposedKernel('UnsortedSegmentSum', backendName, ({ x, segmentIds }, attrs) =>
    unsortedSegmentSum(x, segmentIds, attrs.numSegments as number));
}
