/**
 * Direct access to tensors' memory on the wasm backend, for the data-movement parts of the
 * training kernels (im2col, transposes, filter flips, pooling gradients).
 *
 * tfjs's wasm tensors live in the module's heap. Reading them with `dataSync()` copies them out
 * and `tf.tensor(values)` copies them back in; for a kernel that only moves data, those two copies
 * cost as much as the work. Here a kernel gets a Float32Array *view* of an input's memory and
 * writes its result straight into a freshly allocated output. A view is only valid until the next
 * allocation (the heap may grow and detach it), so allocate every output first, then take views.
 */
import * as tf from '@tensorflow/tfjs';
import { offsetOf, simdKernels } from './simd';

export interface WasmBackendLike {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(info: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
  disposeData(dataId: object, force?: boolean): boolean;
}

/** True when `backend` exposes the heap (tfjs-backend-wasm 4.x). */
export function isWasmHeapBackend(backend: unknown): backend is WasmBackendLike {
  const b = backend as Partial<WasmBackendLike> | null;
  return b != null && typeof b.makeOutput === 'function' && typeof b.typedArrayFromHeap === 'function';
}

/** The float32 view of a tensor (or TensorInfo) on the wasm heap. Re-take it after any allocation. */
export function heapF32(backend: WasmBackendLike, info: tf.TensorInfo): Float32Array {
  if (info.dtype !== 'float32') throw new Error(`wasm heap view: expected float32, got ${info.dtype}`);
  return backend.typedArrayFromHeap(info) as Float32Array;
}

/**
 * Transposes the last two axes of a [..., rows, cols] float32 tensor into a new backend allocation
 * (transpose_last_two in lib/runtime/simd/kernels.c: 4x4 SIMD blocks within 32x32 tiles).
 */
export function transposeLastTwo(backend: WasmBackendLike, info: tf.TensorInfo): tf.TensorInfo {
  const shape = info.shape;
  const rows = shape[shape.length - 2];
  const cols = shape[shape.length - 1];
  const batch = shape.slice(0, -2).reduce((a, b) => a * b, 1);
  const out = backend.makeOutput([...shape.slice(0, -2), cols, rows], 'float32');
  simdKernels(backend).transpose_last_two(offsetOf(backend, info), offsetOf(backend, out), batch, rows, cols);
  return out;
}

/** The active backend, which must expose the wasm heap. */
export function activeHeapBackend(): WasmBackendLike {
  const backend = tf.backend();
  if (!isWasmHeapBackend(backend)) throw new Error(`expected the wasm backend, got ${tf.getBackend()}`);
  return backend;
}

/**
 * A new float32 tensor on the active (wasm) backend whose memory is uninitialised: the caller
 * writes every element through `heapF32`. The engine owns it like any other tensor.
 */
export function uninitialisedTensor(shape: number[]): tf.Tensor {
  const backend = activeHeapBackend();
  const info = backend.makeOutput(shape, 'float32');
  return tf.engine().makeTensorFromTensorInfo(info, backend as unknown as tf.KernelBackend);
}

/** The float32 heap view of a tensor on the active (wasm) backend. */
export function viewOf(t: tf.Tensor): Float32Array {
  return heapF32(activeHeapBackend(), t);
}

/** A [..., rows, cols] float32 tensor on the active (wasm) backend, transposed in tiles to [..., cols, rows]. */
export function transposedMatrix(t: tf.Tensor): tf.Tensor {
  const backend = activeHeapBackend();
  return tf.engine().makeTensorFromTensorInfo(transposeLastTwo(backend, t), backend as unknown as tf.KernelBackend);
}
