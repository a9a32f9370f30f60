/**
 * UnsortedSegmentSum on wasm, which lacks it (it is the gradient of gather). A row of the table in
 * lib/runtime/wasm/kernels/index.ts, checked against the cpu backend in tests/wasmKernels.test.ts.
 *
 * A scatter-add on the heap: out[ids[i]] += x[i], one pass over x. It was a one-hot matrix product,
 * whose [n, numSegments] one-hot matrix grows with both sides: the gradient of RoIAlign's gather
 * (lib/ops/roiAlign.ts: ~40,000 sampled rows of a 4,096-row feature map) needed 650 MB and 5-26 s,
 * and RoIPool's (800,000 x 262,000) ran the heap out of bounds (docs/design.md, "Segmentation").
 */
import * as tf from '@tensorflow/tfjs';
import { isWasmHeapBackend } from '../heap';
import { registerComposedKernel } from '../../composedKernel';

/** Segment sums as a one-hot matrix product: out[s] = sum over i with ids[i] = s of x[i] (any backend; the tests' reference). */
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
 * UnsortedSegmentSum (missing on wasm) as a scatter-add straight on the heap (float32 and int32;
 * ids outside [0, numSegments) are dropped, as TensorFlow does); `unsortedSegmentSum` elsewhere.
 */
export function registerUnsortedSegmentSum(backendName: string): void {
  registerComposedKernel('UnsortedSegmentSum', backendName, ({ x, segmentIds }, attrs) => {
    const numSegments = attrs.numSegments as number;
    const backend = tf.backend();
    if (!isWasmHeapBackend(backend) || (x.dtype !== 'float32' && x.dtype !== 'int32') || segmentIds.dtype !== 'int32') return unsortedSegmentSum(x, segmentIds, numSegments);
    const n = segmentIds.size;
    const rest = x.shape.slice(segmentIds.rank);
    const restSize = rest.reduce((a, b) => a * b, 1);
    const info = backend.makeOutput([numSegments, ...rest], x.dtype);
    const out = tf.engine().makeTensorFromTensorInfo(info, backend as unknown as tf.KernelBackend);
    // Views after the allocation (it may grow the heap and detach earlier views).
    const dst = backend.typedArrayFromHeap(info) as Float32Array | Int32Array;
    const src = backend.typedArrayFromHeap(x) as Float32Array | Int32Array;
    const ids = backend.typedArrayFromHeap(segmentIds) as Int32Array;
    dst.fill(0);
    for (let i = 0; i < n; i++) {
      const s = ids[i];
      if (s < 0 || s >= numSegments) continue;
      const to = s * restSize, from = i * restSize;
      for (let j = 0; j < restSize; j++) dst[to + j] += src[from + j];
    }
    return out;
  });
}
