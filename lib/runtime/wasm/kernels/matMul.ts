/**
 * BatchMatMul on wasm: transposed operands untransposed first, and the kit's GEMM for the products it
 * is faster on. A row of the table in lib/runtime/wasm/kernels/index.ts, checked against the cpu
 * backend in tests/wasmKernels.test.ts; measured: docs/design.md.
 */
import * as tf from '@tensorflow/tfjs';
import { isWasmHeapBackend } from '../heap';
import { transposeLastTwo } from '../simd';
import { gemmInto, useKitGemm } from '../gemm';
import { overrideKernel } from '../override';

/**
 * BatchMatMul: wasm's kernel gives XNNPACK's fast GEMM only to untransposed operands (measured:
 * docs/design.md), so a transposed operand is transposed once into the heap (tiled). Then a float32
 * product of one [M, K] x [K, N] matrix pair (2-D, or a batch of 1) goes to the kit's GEMM where
 * `useKitGemm` says it is faster (lib/runtime/wasm/gemm.ts: Gram matrices F^T F, dense layers'
 * x^T dy), everything else to the stock untransposed kernel.
 */
export function registerTransposedBatchMatMul(backendName: string): void {
  overrideKernel('BatchMatMul', backendName, (stock) => (args) => {
    const { inputs, attrs, backend } = args;
    const { transposeA, transposeB } = attrs as { transposeA?: boolean; transposeB?: boolean };
    const a = inputs.a as tf.TensorInfo;
    const b = inputs.b as tf.TensorInfo;
    if (a.dtype !== 'float32' || b.dtype !== 'float32' || !isWasmHeapBackend(backend)) return stock(args);
    const batchOf = (t: tf.TensorInfo) => t.shape.slice(0, -2).reduce((x, y) => x * y, 1);
    const single = a.shape.length >= 2 && b.shape.length >= 2 && batchOf(a) === 1 && batchOf(b) === 1;
    const m = a.shape[a.shape.length - (transposeA ? 1 : 2)];
    const k = a.shape[a.shape.length - (transposeA ? 2 : 1)];
    const n = b.shape[b.shape.length - (transposeB ? 2 : 1)];
    const kit = single && b.shape[b.shape.length - (transposeB ? 1 : 2)] === k && useKitGemm(m, k, n);
    if (!kit && !transposeA && !transposeB) return stock(args);
    const temps: tf.TensorInfo[] = [];
    const untransposed = (t: tf.TensorInfo, flag: boolean | undefined) => {
      if (!flag) return t;
      const out = transposeLastTwo(backend, t);
      temps.push(out);
      return out;
    };
    try {
      const ua = untransposed(a, transposeA);
      const ub = untransposed(b, transposeB);
      if (!kit) return stock({ ...args, inputs: { a: ua, b: ub }, attrs: { ...attrs, transposeA: false, transposeB: false } });
      // The output's shape is the stock kernel's: [...broadcast batch (all 1), M, N].
      const rank = Math.max(a.shape.length, b.shape.length);
      const out = backend.makeOutput([...Array(rank - 2).fill(1), m, n], 'float32');
      const matrix = (t: tf.TensorInfo, rows: number, cols: number): tf.TensorInfo => ({ dataId: t.dataId, shape: [rows, cols], dtype: 'float32' });
      try {
        gemmInto(backend, matrix(ua, m, k), matrix(ub, k, n), matrix(out, m, n));
      } catch (err) {
        backend.disposeData(out.dataId);
        throw err;
      }
      return out;
    } finally {
      for (const t of temps) backend.disposeData(t.dataId);
    }
  });
}
