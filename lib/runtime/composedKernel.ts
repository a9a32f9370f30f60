/**
 * Registering a kernel that is a composition of other tfjs ops.
 *
 * A tfjs kernel receives `TensorInfo`s and must return `TensorInfo`s whose data the backend owns.
 * `composedKernel` wraps the inputs as tensors, runs `compute` inside `tf.tidy`, and hands the
 * result's data over to the engine (one extra backend reference, then the temporary tensor is
 * disposed), so a composed kernel leaves no tensor behind. Used by the wasm training kernels
 * (see lib/runtime/wasm/kernels) and taught in the autograd lesson.
 */
import * as tf from '@tensorflow/tfjs';

export type ComposedCompute = (inputs: Record<string, tf.Tensor>, attrs: Record<string, unknown>) => tf.Tensor;

interface BackendWithRefs {
  incRef(dataId: object): void;
}

/**
 * Runs `compute` on a kernel's inputs as tensors and returns its result as a TensorInfo the caller's
 * engine owns: each wrapped input holds one more backend reference (given back after), the result
 * gets one before its temporary tensor is disposed, so nothing leaks.
 */
export function runComposed(inputs: Record<string, tf.TensorInfo | undefined>, attrs: Record<string, unknown>, backend: tf.KernelBackend, compute: ComposedCompute): tf.TensorInfo {
  const engine = tf.engine();
  const refs = backend as unknown as BackendWithRefs;
  const wrapped: Record<string, tf.Tensor> = {};
  for (const [name, info] of Object.entries(inputs)) {
    if (info == null) continue;
    refs.incRef(info.dataId);
    wrapped[name] = engine.makeTensorFromTensorInfo(info, backend);
  }
  try {
    const out = tf.tidy(() => compute(wrapped, attrs));
    refs.incRef(out.dataId);
    const info: tf.TensorInfo = { dataId: out.dataId, shape: out.shape, dtype: out.dtype };
    out.dispose();
    return info;
  } finally {
    for (const t of Object.values(wrapped)) t.dispose();
  }
}

/** Registers `compute` as kernel `kernelName` on `backendName` (replacing any existing one). */
export function registerComposedKernel(kernelName: string, backendName: string, compute: ComposedCompute): void {
  if (tf.getKernel(kernelName, backendName) != null) {
    tf.unregisterKernel(kernelName, backendName);
  }
  tf.registerKernel({
    kernelName,
    backendName,
    kernelFunc: ({ inputs, attrs, backend }) =>
      runComposed(inputs as Record<string, tf.TensorInfo | undefined>, attrs as Record<string, unknown>, backend as tf.KernelBackend, compute),
  });
}
