/** Shared test helpers: backend switching and tensor comparison. */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { registerWasmTrainingKernels } from '../lib/runtime/wasm/kernels';

let wasmReady = false;

/** Makes `name` the current backend ('wasm' gets the kit's training kernels). */
export async function useBackend(name: 'wasm' | 'cpu'): Promise<void> {
  if (name === 'wasm' && !wasmReady) {
    registerWasmTrainingKernels('wasm');
    wasmReady = true;
  }
  await tf.setBackend(name);
  await tf.ready();
}

/** Runs `fn` on a backend and returns its result as plain numbers (no tensors escape). */
export async function onBackend(name: 'wasm' | 'cpu', fn: () => tf.Tensor | tf.Tensor[]): Promise<number[][]> {
  await useBackend(name);
  const out = tf.tidy(fn);
  const list = Array.isArray(out) ? out : [out];
  const values = list.map((t) => Array.from(t.dataSync()));
  list.forEach((t) => t.dispose());
  return values;
}

/** Largest absolute difference relative to the largest magnitude (1e-12 floor). */
export function relativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let diff = 0;
  let scale = 1e-12;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(a[i]), Math.abs(b[i]));
  }
  return diff / scale;
}

/** Asserts `fn` leaves the number of live tensors unchanged. */
export async function expectNoLeak(fn: () => unknown | Promise<unknown>): Promise<void> {
  const before = tf.memory().numTensors;
  await fn();
  expect(tf.memory().numTensors).toBe(before);
}
