/**
 * Sum and Mean over a block of axes that is not the innermost, on wasm. Rows of the table in
 * lib/runtime/wasm/kernels/index.ts, checked against the cpu backend in tests/wasmKernels.test.ts;
 * measured: docs/design.md.
 */
import * as tf from '@tensorflow/tfjs';
import { isWasmHeapBackend, offsetOf, withAccumulators } from '../heap';
import { simdKernels } from '../simd';
import { overrideKernel } from '../override';

/**
 * Sum and Mean over a block of consecutive axes that is not the innermost (batch-norm gradients
 * reduce [N, H, W, C] over N, H, W): wasm's kernels reduce innermost axes only and transpose
 * first, with a slow generic transpose. Here out[o, i] = sum over m of x[o, m, i] is one SIMD pass
 * (reduce_middle in lib/runtime/wasm/simd/kernels.c: float32 over blocks of 64 rows, float64 across
 * blocks), faster than the stock kernel, a JavaScript loop, or a product with a vector of ones
 * (XNNPACK packs the input as weights every call) (measured: docs/design.md).
 */
export function registerContiguousReduction(kernelName: 'Sum' | 'Mean', backendName: string): void {
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
