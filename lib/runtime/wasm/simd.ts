/**
 * cvkit's own WebAssembly SIMD kernels (lib/runtime/wasm/simd/kernels.c), instantiated on tfjs's wasm
 * memory so that they read and write tensors where they live, and the tensor-level helpers built on
 * them (tiled transposes).
 *
 * The module imports the memory of the wasm backend (shared when tfjs runs its threaded build) and
 * keeps no state: every call gets byte offsets of tensors, from `offsetOf`, and of scratch space the
 * caller allocated (lib/runtime/wasm/heap.ts). Offsets are taken after every allocation a kernel
 * makes (the heap may move).
 */
import * as tf from '@tensorflow/tfjs';
import { PLAIN_WASM, SHARED_WASM } from './simd/binary';
import { activeHeapBackend, offsetOf, WasmBackendLike } from './heap';

export interface SimdKernels {
  reduce_middle(x: number, out: number, outer: number, mid: number, inner: number, scale: number, tmp: number, acc: number): void;
  im2col_t(x: number, planar: number, out: number, b0: number, nb: number, h: number, w: number, c: number, oh: number, ow: number,
    sh: number, sw: number, dh: number, dw: number, fh: number, fw: number, top: number, left: number, hp: number, wp: number): void;
  max_pool_grad(xs: number, gs: number, dx: number, n: number, h: number, w: number, c: number, oh: number, ow: number,
    sh: number, sw: number, fh: number, fw: number, dh: number, dw: number, top: number, left: number): void;
  transpose_last_two(x: number, out: number, batch: number, rows: number, cols: number): void;
  interleave_phases(phases: number, out: number, n: number, qh: number, qw: number, c: number, sh: number, sw: number, oh: number, ow: number): void;
  batch_norm_apply(x: number, out: number, mean: number, mul: number, offset: number, rows: number, c: number): void;
  channel_variance(x: number, mean: number, out: number, rows: number, c: number, tmp: number, acc: number): void;
  batch_norm_grad_sums(x: number, dy: number, mean: number, invStd: number, out: number, rows: number, c: number, tmp: number, acc: number): void;
  batch_norm_grad_x(x: number, dy: number, mean: number, a: number, b: number, k: number, dx: number, rows: number, c: number): void;
}

/** The parts of the WebAssembly API used here (the kit's TypeScript settings have no DOM types). */
interface WasmMemory { buffer: ArrayBuffer | SharedArrayBuffer }
interface WasmApi {
  Memory: new (...args: never[]) => WasmMemory;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: Record<string, Record<string, unknown>>) => { exports: Record<string, unknown> };
}
const WebAssembly = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

interface EmscriptenModule {
  wasmMemory?: WasmMemory;
  asm?: { memory?: WasmMemory };
}

const instances = new WeakMap<WasmMemory, SimdKernels>();

/** The memory tfjs's wasm module allocates tensors in. */
function memoryOf(backend: WasmBackendLike): WasmMemory {
  const module = (backend as unknown as { wasm?: EmscriptenModule }).wasm;
  const memory = module?.wasmMemory ?? module?.asm?.memory;
  if (!(memory instanceof WebAssembly.Memory)) throw new Error('cvkit SIMD kernels: the wasm backend does not expose its memory (tfjs-backend-wasm changed?)');
  return memory;
}

/** The SIMD kernels bound to `backend`'s memory (instantiated once per memory). */
export function simdKernels(backend: WasmBackendLike): SimdKernels {
  const memory = memoryOf(backend);
  let kernels = instances.get(memory);
  if (kernels == null) {
    const shared = typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer;
    const bytes = Buffer.from(shared ? SHARED_WASM : PLAIN_WASM, 'base64');
    const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } });
    kernels = instance.exports as unknown as SimdKernels;
    instances.set(memory, kernels);
  }
  return kernels;
}

/**
 * Transposes the last two axes of a [..., rows, cols] float32 tensor into a new backend allocation
 * (transpose_last_two in lib/runtime/wasm/simd/kernels.c: 4x4 SIMD blocks within 32x32 tiles).
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

/** A [..., rows, cols] float32 tensor on the active (wasm) backend, transposed in tiles to [..., cols, rows]. */
export function transposedMatrix(t: tf.Tensor): tf.Tensor {
  const backend = activeHeapBackend();
  return tf.engine().makeTensorFromTensorInfo(transposeLastTwo(backend, t), backend as unknown as tf.KernelBackend);
}
