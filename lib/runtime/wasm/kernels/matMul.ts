/**
 * BatchMatMul with a transposed operand on wasm. A row of the table in lib/runtime/wasm/kernels/index.ts,
 * checked against the cpu backend in tests/wasmKernels.test.ts; measured: docs/design.md.
 */
import * as tf from '@tensorflow/tfjs';
import { isWasmHeapBackend } from '../heap';
import { transposeLastTwo } from '../simd';
import { overrideKernel } from '../override';

/**
 * BatchMatMul with transposed operands: wasm's kernel gives XNNPACK's fast GEMM only to
 * untransposed operands (measured: docs/design.md).
 * A transposed operand is transposed once into the heap (tiled), then the stock kernel runs untransposed.
 */
export function registerTransposedBatchMatMul(backendName: string): void {
  overrideKernel('BatchMatMul', backendName, (stock) => (args) => {
    const { inputs, attrs, backend } = args;
    const { transposeA, transposeB } = attrs as { transposeA?: boolean; transposeB?: boolean };
    const a = inputs.a as tf.TensorInfo;
    const b = inputs.b as tf.TensorInfo;
    if ((!transposeA && !transposeB) || a.dtype !== 'float32' || b.dtype !== 'float32' || !isWasmHeapBackend(backend)) return stock(args);
    const temps: tf.TensorInfo[] = [];
    const untransposed = (t: tf.TensorInfo, flag: boolean | undefined) => {
      if (!flag) return t;
      const out = transposeLastTwo(backend, t);
      temps.push(out);
      return out;
    };
    try {
      return stock({ ...args, inputs: { a: untransposed(a, transposeA), b: untransposed(b, transposeB) }, attrs: { ...attrs, transposeA: false, transposeB: false } });
    } finally {
      for (const t of temps) backend.disposeData(t.dataId);
    }
  });
}
