/**
 * Registering a kernel that is a composition of other tfjs ops.
 *
 * A tfjs kernel receives `TensorInfo`s and must return `TensorInfo`s whose data the backend owns.
 * `composedKernel` wraps the inputs as tensors, runs `compute` inside `tf.tidy`, and hands the
 * result's data over to the engine (one extra backend reference, then the temporary tensor is
 * disposed), so a composed kernel leaves no tensor behind. Used by the wasm training kernels
 * (see lib/runtime/wasmKernels.ts) and taught in the autograd lesson.
 */
import * as tf from '@tensorflow/tfjs';

export type ComposedCompute = (inputs: Record<string, tf.Tensor>, attrs: Record<string, unknown>) => tf.Tensor;

interface BackendWithRefs {
  incRef(dataId: object): void;
}

/** Registers `compute` as kernel `kernelName` on `backendName` (replacing any existing one). */
export function registerComposedKernel(kernelName: string, backendName: string, compute: ComposedCompute): void {
  if (tf.getKernel(kernelName, backendName) != null) {
    tf.unregisterKernel(kernelName, backendName);
  }
  tf.registerKernel({
    kernelName,
    backendName,
    kernelFunc: ({ inputs, attrs, backend }) => {
      const engine = tf.engine();
      const wrapped: Record<string, tf.Tensor> = {};
      for (const [name, info] of Object.entries(inputs)) {
        if (info == null) continue;
        // The wrapper is one more owner of the input's data: take a backend reference for it,
        // which its dispose() below gives back.
        (backend as unknown as BackendWithRefs).incRef(info.dataId);
        wrapped[name] = engine.makeTensorFromTensorInfo(info as tf.TensorInfo, backend as tf.KernelBackend);
      }
      try {
        const out = tf.tidy(() => compute(wrapped, attrs as Record<string, unknown>));
        (backend as unknown as BackendWithRefs).incRef(out.dataId);
        const info: tf.TensorInfo = { dataId: out.dataId, shape: out.shape, dtype: out.dtype };
        out.dispose();
        return info;
      } finally {
        for (const t of Object.values(wrapped)) t.dispose();
      }
    },
  });
}
