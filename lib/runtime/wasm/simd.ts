/**
 * cvkit's own WebAssembly SIMD kernels (lib/runtime/wasm/simd/kernels.c and gemm.c), instantiated on
 * tfjs's wasm memory so that they read and write tensors where they live, and the tensor-level helpers
 * built on them (tiled transposes; the matrix product is lib/runtime/wasm/gemm.ts).
 *
 * The module imports the memory of the wasm backend (shared when tfjs runs its threaded build) and
 * keeps no state: every call gets byte offsets of tensors, from `offsetOf`, and of scratch space the
 * caller allocated (lib/runtime/wasm/heap.ts). Offsets are taken after every allocation a kernel
 * makes (the heap may move).
 *
 * The module comes in two flavours (scripts/build-simd.sh): 'plain' (wasm SIMD128) and 'relaxed',
 * whose GEMM uses relaxed SIMD's fused multiply-add; everything else is the same code. The flavour is
 * picked once per process (`simdFlavour`): relaxed where the engine validates it, else plain.
 */
import * as tf from '@tensorflow/tfjs';
import { PLAIN_WASM, RELAXED_SHARED_WASM, RELAXED_WASM, SHARED_WASM } from './simd/binary';
import { activeHeapBackend, offsetOf, WasmBackendLike } from './heap';

/** The parts of the WebAssembly API used here (the kit's TypeScript settings have no DOM types). */
export interface WasmMemory { buffer: ArrayBuffer | SharedArrayBuffer }
interface WasmApi {
  Memory: new (...args: never[]) => WasmMemory;
  Module: new (bytes: Uint8Array) => object;
  validate(bytes: Uint8Array): boolean;
  Instance: new (module: object, imports: Record<string, Record<string, unknown>>) => { exports: Record<string, unknown> };
}
const WebAssembly = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

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
  peak_mul_add(iterations: number): number;
  /** gemm.c: C[m0:m1] (+)= A[m0:m1] x B (row-major; offsets in bytes, strides in floats). */
  gemm(m0: number, m1: number, n: number, k: number, a: number, lda: number, b: number, ldb: number, c: number, ldc: number,
    accumulate: number, packed: number, kcBlock: number, ncBlock: number): void;
  /** gemm.c: the flavour's multiply-add on 12 accumulators (96 FLOPs a round). */
  peak_madd(iterations: number): number;
}

/** 'plain': wasm SIMD128 only; 'relaxed': the GEMM uses relaxed SIMD's fused multiply-add. */
export type SimdFlavour = 'plain' | 'relaxed';

/** The flavour this process uses and why. */
export interface SimdFlavourChoice { flavour: SimdFlavour; reason: string }

const BASE64: Record<SimdFlavour, [string, string]> = { plain: [PLAIN_WASM, SHARED_WASM], relaxed: [RELAXED_WASM, RELAXED_SHARED_WASM] };
const decoded = new Map<string, Uint8Array>();

/** The module's bytes for a flavour, importing an ordinary (shared = false) or a shared memory. */
export function simdModuleBytes(flavour: SimdFlavour, shared: boolean): Uint8Array {
  const key = `${flavour}:${shared}`;
  let bytes = decoded.get(key);
  if (bytes == null) {
    bytes = Buffer.from(BASE64[flavour][shared ? 1 : 0], 'base64');
    decoded.set(key, bytes);
  }
  return bytes;
}

/**
 * The flavour choice, given the environment, whether the engine validates the relaxed binary, and a
 * way to switch relaxed SIMD on (false when there is none): plain when CVKIT_RELAXED_SIMD=0, relaxed
 * when it validates, or validates once switched on, plain otherwise.
 */
export function chooseSimdFlavour(env: Record<string, string | undefined>, validates: () => boolean, enable: () => boolean): SimdFlavourChoice {
  if (env.CVKIT_RELAXED_SIMD === '0') return { flavour: 'plain', reason: 'CVKIT_RELAXED_SIMD=0' };
  if (validates()) return { flavour: 'relaxed', reason: 'the engine supports relaxed SIMD' };
  if (enable() && validates()) return { flavour: 'relaxed', reason: "enabled with v8.setFlagsFromString('--experimental-wasm-relaxed-simd')" };
  return { flavour: 'plain', reason: 'the engine does not support relaxed SIMD' };
}

let chosen: SimdFlavourChoice | null = null;

/**
 * The flavour of the SIMD module this process uses, chosen on the first call (`chooseSimdFlavour`).
 * Under Node 20, whose V8 has relaxed SIMD behind a flag, it is switched on with
 * v8.setFlagsFromString('--experimental-wasm-relaxed-simd'): modules compiled from then on may use it,
 * in this thread and in workers. Browsers (no `v8` module) keep what the engine has.
 */
export function simdFlavour(): SimdFlavourChoice {
  if (chosen != null) return chosen;
  const env = typeof process !== 'undefined' ? process.env : {};
  // Validates, and computes a 2x3 by 3x2 product right (an engine with relaxed SIMD's older
  // prototype opcodes could read the same bytes as other instructions).
  const validates = () => {
    try {
      const bytes = simdModuleBytes('relaxed', false);
      if (!WebAssembly.validate(bytes)) return false;
      const memory = new (WebAssembly.Memory as unknown as new (d: { initial: number }) => WasmMemory)({ initial: 2 }); // the module asks for 2 pages
      const kernels = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } }).exports as unknown as SimdKernels;
      const f = new Float32Array(memory.buffer);
      f.set([1, 2, 3, 4, 5, 6], 0); // A [2, 3] at byte 0
      f.set([7, 8, 9, 10, 11, 12], 16); // B [3, 2] at byte 64; C [2, 2] at byte 128; packing scratch at 256
      kernels.gemm(0, 2, 2, 3, 0, 3, 64, 2, 128, 2, 0, 256, 3, 8);
      return [58, 64, 139, 154].every((v, i) => f[32 + i] === v);
    } catch {
      return false;
    }
  };
  const enable = () => {
    if (typeof process === 'undefined' || process.versions?.node == null) return false;
    try {
      // eslint-disable-next-line @typescript-eslint/no-var-requires
      (require('v8') as typeof import('v8')).setFlagsFromString('--experimental-wasm-relaxed-simd');
      return true;
    } catch {
      return false;
    }
  };
  chosen = chooseSimdFlavour(env, validates, enable);
  return chosen;
}

interface EmscriptenModule {
  wasmMemory?: WasmMemory;
  asm?: { memory?: WasmMemory };
}

const instances = new WeakMap<WasmMemory, Map<SimdFlavour, SimdKernels>>();

/** The memory tfjs's wasm module allocates tensors in. */
export function memoryOf(backend: WasmBackendLike): WasmMemory {
  const module = (backend as unknown as { wasm?: EmscriptenModule }).wasm;
  const memory = module?.wasmMemory ?? module?.asm?.memory;
  if (!(memory instanceof WebAssembly.Memory)) throw new Error('cvkit SIMD kernels: the wasm backend does not expose its memory (tfjs-backend-wasm changed?)');
  return memory;
}

/** Whether a wasm memory is shared (tfjs's threaded build). */
export function isSharedMemory(memory: WasmMemory): boolean {
  return typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer;
}

/** The SIMD module of `flavour` (default: this process's) bound to `memory` (instantiated once per memory and flavour). */
export function simdKernelsOn(memory: WasmMemory, flavour: SimdFlavour = simdFlavour().flavour): SimdKernels {
  let byFlavour = instances.get(memory);
  if (byFlavour == null) {
    byFlavour = new Map();
    instances.set(memory, byFlavour);
  }
  let kernels = byFlavour.get(flavour);
  if (kernels == null) {
    const bytes = simdModuleBytes(flavour, isSharedMemory(memory));
    const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } });
    kernels = instance.exports as unknown as SimdKernels;
    byFlavour.set(flavour, kernels);
  }
  return kernels;
}

/** The SIMD kernels bound to `backend`'s memory, in `flavour` (default: this process's). */
export function simdKernels(backend: WasmBackendLike, flavour?: SimdFlavour): SimdKernels {
  return simdKernelsOn(memoryOf(backend), flavour);
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
