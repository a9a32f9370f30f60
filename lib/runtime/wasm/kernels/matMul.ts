/**
 * BatchMatMul on wasm: transposed operands untransposed first, and the kit's GEMM for the products it
 * is faster on. A row of the table in lib/runtime/wasm/kernels/index.ts, checked against the cpu
 * backend in tests/wasmKernels.test.ts; measured: docs/design.md.
 */
import * as tf from '@tensorflow/tfjs';
import { isWasmHeapBackend } from '../heap';
import { transposeLastTwo } from '../simd';
import { gemmBatchInto, useKitGemm } from '../gemm';
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
    const [batchA, batchB] = [batchOf(a), batchOf(b)];
    // one matrix pair, or a batch of pairs (the same batch shape, or one side a single matrix)
    const sameBatch = batchA === batchB && a.shape.slice(0, -2).join() === b.shape.slice(0, -2).join();
    const paired = a.shape.length >= 2 && b.shape.length >= 2 && (sameBatch || batchA === 1 || batchB === 1);
    const m = a.shape[a.shape.length - (transposeA ? 1 : 2)];
    const k = a.shape[a.shape.length - (transposeA ? 2 : 1)];
    const n = b.shape[b.shape.length - (transposeB ? 2 : 1)];
    const kit = paired && b.shape[b.shape.length - (transposeB ? 1 : 2)] === k && useKitGemm(m, k, n, Math.max(batchA, batchB));
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
      // The output's shape is the stock kernel's: [...broadcast batch, M, N].
      const batchShape = tf.backend_util.assertAndGetBroadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2));
      const out = backend.makeOutput([...batchShape, m, n], 'float32');
      const batch = Math.max(batchA, batchB);
      try {
        gemmBatchInto(backend, ua, ub, out, batch, m, k, n);
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
