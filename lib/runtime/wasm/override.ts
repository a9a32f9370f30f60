/**
 * Registering the kit's wasm kernels: a composed kernel where wasm has none (lib/runtime/
 * composedKernel.ts), or a replacement of the backend's own kernel that may hand the cases it does
 * not improve back to it (`overrideKernel`).
 */
import * as tf from '@tensorflow/tfjs';

export type KernelFunc = tf.KernelConfig['kernelFunc'];

const OURS = Symbol('cvkit kernel');

/** The backend's own kernel, even after ours replaced it (so re-registering never wraps a wrapper). */
const stockKernels = new Map<string, tf.KernelConfig>();
function stockKernel(kernelName: string, backendName: string): tf.KernelConfig | undefined {
  const key = `${backendName}/${kernelName}`;
  const current = tf.getKernel(kernelName, backendName);
  if (current != null && !(current.kernelFunc as unknown as Record<symbol, boolean>)[OURS]) stockKernels.set(key, current);
  return stockKernels.get(key);
}

/**
 * Replaces `kernelName` on `backendName` by `make(stock)`, where `stock` is the backend's own kernel
 * (kept across re-registration) and its setup runs as before when the backend initialises. Does
 * nothing when the backend has no such kernel (there is nothing to improve on).
 */
export function overrideKernel(kernelName: string, backendName: string, make: (stock: KernelFunc) => KernelFunc): void {
  const config = stockKernel(kernelName, backendName);
  if (config == null) return;
  const kernelFunc = make(config.kernelFunc);
  (kernelFunc as unknown as Record<symbol, boolean>)[OURS] = true;
  tf.unregisterKernel(kernelName, backendName);
  tf.registerKernel({ ...config, kernelFunc });
}
