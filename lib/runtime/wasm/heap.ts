/**
 * Direct access to tensors' memory on the wasm backend, for the kit's wasm kernels (im2col,
 * transposes, filter flips, pooling gradients, reductions).
 *
 * tfjs's wasm tensors live in the module's heap. Reading them with `dataSync()` copies them out
 * and `tf.tensor(values)` copies them back in; for a kernel that only moves data, those two copies
 * cost as much as the work. Here a kernel gets a Float32Array *view* of an input's memory, or its
 * byte offset for the SIMD module (lib/runtime/wasm/simd.ts), and writes its result straight into a
 * freshly allocated output. A view is only valid until the next allocation (the heap may grow and
 * detach it), so allocate every output first, then take views; byte offsets stay valid.
 */
import * as tf from '@tensorflow/tfjs';

/** The parts of tfjs-backend-wasm's backend object the kit uses. */
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

/** The byte offset of a tensor's data in the wasm memory. */
export function offsetOf(backend: WasmBackendLike, info: tf.TensorInfo): number {
  return backend.typedArrayFromHeap(info).byteOffset;
}

/**
 * Runs `use` with `floats` 4-byte words of scratch memory on the wasm heap (8-byte aligned, as
 * tfjs's allocator aligns), given as a byte offset, and frees them after.
 */
export function withScratch<T>(backend: WasmBackendLike, floats: number, use: (offset: number) => T): T {
  const scratch = backend.makeOutput([Math.max(1, floats)], 'float32');
  try {
    return use(offsetOf(backend, scratch));
  } finally {
    backend.disposeData(scratch.dataId);
  }
}

/**
 * Scratch for the blocked reductions (reduce_middle, channel_variance, batch_norm_grad_sums):
 * `width` doubles of block sums (acc) and `width` floats for the running block (tmp), as byte offsets.
 */
export function withAccumulators<T>(backend: WasmBackendLike, width: number, use: (tmp: number, acc: number) => T): T {
  return withScratch(backend, 3 * width, (acc) => use(acc + 8 * width, acc));
}
