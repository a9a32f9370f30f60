/**
 * The kit's own float32 matrix product on wasm tensors (`gemm` in lib/runtime/wasm/simd/gemm.c):
 * C [M, N] = A [M, K] x B [K, N], row-major, on 1 or 2 threads, in the flavour of the SIMD module
 * this process uses (relaxed SIMD's fused multiply-add where the engine has it; lib/runtime/wasm/simd.ts).
 * Where it is used instead of XNNPACK, and why: `useKitGemm` and docs/design.md ("The kit's own GEMM").
 *
 * Two threads: the second is a Node worker_thread, started on the first 2-thread product, that
 * instantiates the same module on tfjs's shared memory (tfjs's threaded build; otherwise there is one
 * thread). The main thread takes the first half of C's rows, the helper the second; the handshake is
 * a few Int32s of a separate SharedArrayBuffer (Atomics.wait / notify). The helper is unref()'d, so it
 * never keeps a process alive; shared memory grows in place, so its instance stays valid when tfjs's
 * heap grows (it holds no views). An error in the helper comes back as a thrown Error, and a helper
 * that does not answer within `timeoutMs` throws too (it is then stopped and the process stays on
 * one thread): never a hang.
 */
import * as tf from '@tensorflow/tfjs';
import { MessageChannel, MessagePort, receiveMessageOnPort, Worker } from 'worker_threads';
import { activeHeapBackend, offsetOf, WasmBackendLike, withScratch } from './heap';
import { isSharedMemory, memoryOf, SimdFlavour, simdFlavour, simdKernelsOn, simdModuleBytes, WasmMemory } from './simd';
import { wasmThreadCount } from './threads';

export interface GemmOptions {
  /** The module flavour (default: this process's, `simdFlavour()`). */
  flavour?: SimdFlavour;
  /** 1 or 2 (default: `gemmThreads` for the memory). More than 1 needs a shared memory. */
  threads?: number;
  /** How long the main thread waits for the helper thread's rows (default 30 s). */
  timeoutMs?: number;
}

/**
 * Whether the kit's GEMM computes an [M, K] x [K, N] product instead of XNNPACK (Conv2DBackpropFilter's
 * products, BatchMatMul). Measured on the 2-core EPYC over the 30 dW, Gram and dense-gradient products
 * of the bench's conv-heavy rows (docs/design.md, "The kit's own GEMM"; a shared, noisy machine): where
 * this rule picks the kit (27), the relaxed GEMM beat XNNPACK thread for thread (1.5-6x on 1 thread,
 * 1.3x or more on 2) and the plain one matched or beat it (0.94-5x on 1 thread, 0.99x or more on 2). XNNPACK stays faster on short
 * reductions (K < 32: pix2pix's 2x2 dW [4096, 4] x [4, 256], 0.34 ms on 2 threads against 0.38
 * relaxed, 0.47 plain) and on matrix-vector products (N = 1: PatchGAN's last dW, 0.53 ms against 0.54
 * relaxed, 0.75 plain). A BATCH of products (`batch` > 1: lesson 06's Gram matrices of a batch of
 * images and their gradients) is the kit's whenever it has 4096 or more multiply-adds per product:
 * tfjs's wasm BatchMatMul does not hand a batch to XNNPACK as one call, and took 5.5-11 ms for each of
 * the transform net's batch-4 Gram products ([4, 4096, 16] x [4, 16, 16], [4, 64, 128] x [4, 128, 128],
 * ...) against 0.36-1.4 ms for the kit's GEMM looping over the batch (relaxed SIMD, 2 threads; 2.8x on
 * [4, 4096, 8] x [4, 8, 8]; equal on [4, 64, 32] x [4, 32, 1]). CVKIT_KIT_GEMM=0 sends every product
 * to XNNPACK (to compare).
 */
export function useKitGemm(m: number, k: number, n: number, batch = 1): boolean {
  if (process.env.CVKIT_KIT_GEMM === '0') return false;
  if (batch > 1) return m * k * n >= 4096;
  return m >= 1 && k >= 32 && n >= 2;
}

/**
 * Products below this many FLOPs (2MNK) stay on 1 thread: waking the helper costs 20-130 us
 * (measured: a 1.3 MFLOP product took 0.035 ms on 1 thread, 0.061 on 2; from ~20 MFLOP the second
 * thread paid off, e.g. 25 MFLOP 0.96 -> 0.71 ms).
 */
export const GEMM_TWO_THREAD_FLOPS = 2e7;

/** Most rows of B packed at once (K block): near-equal blocks of at most this many. */
const MAX_KC = 384;
/** The packed block of B is kept under this many bytes (it is re-read for every 4 rows of A). */
const PACKED_BYTES = 256 * 1024;

/** K and N blocking for a product: kc rows of B by nc columns packed at a time. */
export function gemmBlocking(k: number, n: number): { kc: number; nc: number } {
  const blocks = Math.max(1, Math.ceil(k / MAX_KC));
  const kc = Math.max(1, Math.ceil(k / blocks));
  const n8 = Math.max(8, Math.ceil(n / 8) * 8);
  const nc = kc * n8 * 4 <= PACKED_BYTES ? n8 : Math.max(8, Math.floor(PACKED_BYTES / 4 / kc / 8) * 8);
  return { kc, nc };
}

/** Floats of packing scratch one thread needs for a K x N right operand. */
export function gemmScratchFloats(k: number, n: number): number {
  const { kc, nc } = gemmBlocking(k, n);
  return kc * nc;
}

/**
 * Threads the kit's GEMM uses on `memory`: 2 when the memory is shared (tfjs's threaded build) and the
 * backend's XNNPACK pool has 2 or more threads now (CVKIT_THREADS=1, or a pool shrunk for
 * data-parallel training, gives 1), else 1; 1 after a helper thread failed.
 */
export function gemmThreads(memory: WasmMemory): number {
  if (!isSharedMemory(memory) || helperBroken != null) return 1;
  return Math.min(2, wasmThreadCount());
}

// The handshake block (Int32 indices).
const GEN = 0; // job number: the main thread increments it to hand over a job
const DONE = 1; // the job number the helper finished last
const STATUS = 2; // 0 ok, 1 the helper threw (its message is on the port)
const FLAVOUR = 3; // 0 plain, 1 relaxed, -1 quit
const ARGS = 4; // gemm's 14 arguments
const CTL_INTS = ARGS + 14;

/** The helper thread's whole program (eval'd: no file to find, under ts-jest or from dist/). */
const HELPER_SOURCE = `
const { workerData } = require('worker_threads');
const { memory, binaries, ctlBuffer, port, relaxedFlag } = workerData;
if (relaxedFlag) require('v8').setFlagsFromString('--experimental-wasm-relaxed-simd');
const ctl = new Int32Array(ctlBuffer);
const instances = [null, null];
let seen = 0; // jobs handed over so far (the first may already be waiting)
for (;;) {
  Atomics.wait(ctl, ${GEN}, seen);
  seen = Atomics.load(ctl, ${GEN});
  const flavour = ctl[${FLAVOUR}];
  if (flavour < 0) break;
  try {
    if (instances[flavour] == null) instances[flavour] = new WebAssembly.Instance(new WebAssembly.Module(binaries[flavour]), { env: { memory } }).exports;
    instances[flavour].gemm(...Array.from(ctl.subarray(${ARGS}, ${ARGS + 14})));
    ctl[${STATUS}] = 0;
  } catch (err) {
    ctl[${STATUS}] = 1;
    port.postMessage(String((err && err.message) || err));
  }
  Atomics.store(ctl, ${DONE}, seen);
  Atomics.notify(ctl, ${DONE});
}
`;

interface Helper { worker: Worker; ctl: Int32Array; port: MessagePort }

const helpers = new WeakMap<WasmMemory, Helper>();
/** Why the 2-thread path is off for this process (a helper failed), or null. */
let helperBroken: string | null = null;

/** The helper thread for `memory` (a shared memory), started on first use. */
function helperFor(memory: WasmMemory): Helper {
  let helper = helpers.get(memory);
  if (helper != null) return helper;
  const ctl = new Int32Array(new SharedArrayBuffer(4 * CTL_INTS));
  const { port1, port2 } = new MessageChannel();
  const flavour = simdFlavour();
  const worker = new Worker(HELPER_SOURCE, {
    eval: true,
    workerData: {
      memory, ctlBuffer: ctl.buffer, port: port2,
      binaries: [simdModuleBytes('plain', true), simdModuleBytes('relaxed', true)],
      relaxedFlag: flavour.reason.includes('setFlagsFromString'),
    },
    transferList: [port2],
  });
  worker.unref();
  port1.unref();
  // Seen only when the main thread is not blocked; a crash during a product shows as the timeout.
  worker.on('error', (err) => { helperBroken = `the GEMM helper thread failed: ${err.message}`; });
  worker.on('exit', () => { helpers.delete(memory); });
  helper = { worker, ctl, port: port1 };
  helpers.set(memory, helper);
  return helper;
}

/**
 * Low level: C[0:m] (+)= A x B on `memory` (byte offsets; lda, ldb, ldc in floats), with `packed`
 * pointing at `threads` x packing scratch of `gemmScratchFloats(k, n)` floats each.
 */
export function gemmOnMemory(memory: WasmMemory, m: number, n: number, k: number, a: number, lda: number, b: number, ldb: number,
  c: number, ldc: number, accumulate: boolean, packed: number, options: GemmOptions & { threads: number }): void {
  const flavour = options.flavour ?? simdFlavour().flavour;
  const kernels = simdKernelsOn(memory, flavour);
  const { kc, nc } = gemmBlocking(k, n);
  const acc = accumulate ? 1 : 0;
  if (options.threads < 2 || m < 8) {
    kernels.gemm(0, m, n, k, a, lda, b, ldb, c, ldc, acc, packed, kc, nc);
    return;
  }
  if (!isSharedMemory(memory)) throw new Error('cvkit GEMM: 2 threads need a shared WebAssembly.Memory (tfjs\'s threaded build)');
  const helper = helperFor(memory);
  const { ctl } = helper;
  const half = Math.ceil(Math.ceil(m / 4) / 2) * 4; // whole 4-row blocks to the main thread
  ctl.set([half, m, n, k, a, lda, b, ldb, c, ldc, acc, packed + 4 * gemmScratchFloats(k, n), kc, nc], ARGS);
  ctl[FLAVOUR] = flavour === 'relaxed' ? 1 : 0;
  const job = Atomics.add(ctl, GEN, 1) + 1;
  Atomics.notify(ctl, GEN);
  let mine: unknown = null;
  try {
    kernels.gemm(0, half, n, k, a, lda, b, ldb, c, ldc, acc, packed, kc, nc);
  } catch (err) {
    mine = err; // still wait: the helper is writing into the same memory
  }
  const timeoutMs = options.timeoutMs ?? 30000;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const done = Atomics.load(ctl, DONE);
    if (done === job) break;
    const left = deadline - Date.now();
    if (left <= 0) {
      helperBroken = `the GEMM helper thread did not finish its rows within ${timeoutMs / 1000} s`;
      helpers.delete(memory);
      void helper.worker.terminate();
      throw new Error(`cvkit GEMM: ${helperBroken}; it was stopped and the kit's GEMM runs on 1 thread from now on`);
    }
    Atomics.wait(ctl, DONE, done, left);
  }
  if (mine != null) throw mine;
  if (ctl[STATUS] !== 0) {
    const message = receiveMessageOnPort(helper.port)?.message as string | undefined;
    throw new Error(`cvkit GEMM: the helper thread failed: ${message ?? 'no message'}`);
  }
}

/** Checks two matrices can be multiplied: [M, K] x [K, N] (their dtype: `gemmBatchInto`). */
function dims(a: tf.TensorInfo, b: tf.TensorInfo): [number, number, number] {
  if (a.shape.length !== 2 || b.shape.length !== 2 || a.shape[1] !== b.shape[0]) {
    throw new Error(`cvkit GEMM: expected [M, K] x [K, N], got [${a.shape}] x [${b.shape}]`);
  }
  return [a.shape[0], a.shape[1], b.shape[1]];
}

/**
 * out = a x b (accumulate: out += a x b) for wasm TensorInfos a [M, K], b [K, N], out [M, N], all
 * float32 on `backend`: one product of `gemmBatchInto`.
 */
export function gemmInto(backend: WasmBackendLike, a: tf.TensorInfo, b: tf.TensorInfo, out: tf.TensorInfo, accumulate = false, options: GemmOptions = {}): void {
  const [m, k, n] = dims(a, b);
  if (out.shape.length !== 2 || out.shape[0] !== m || out.shape[1] !== n) throw new Error(`cvkit GEMM: output [${out.shape}] is not [${m}, ${n}]`);
  gemmBatchInto(backend, a, b, out, 1, m, k, n, options, accumulate);
}

/**
 * out[i] = a[i] x b[i] (accumulate: out[i] += ...) for i < batch, for wasm TensorInfos holding `batch`
 * row-major [M, K], [K, N] and [M, N] matrices back to back; an operand with one matrix (`a` or `b` of
 * batch 1) is used for every i. Packing scratch comes from the heap, once for all products (offsets are
 * taken after it is allocated); each product runs on 1 or 2 threads (`gemmThreads`, 2 only from
 * GEMM_TWO_THREAD_FLOPS).
 */
export function gemmBatchInto(backend: WasmBackendLike, a: tf.TensorInfo, b: tf.TensorInfo, out: tf.TensorInfo, batch: number, m: number, k: number, n: number,
  options: GemmOptions = {}, accumulate = false): void {
  const count = (t: tf.TensorInfo) => t.shape.reduce((x, y) => x * y, 1);
  const strideA = count(a) === m * k ? 0 : m * k, strideB = count(b) === k * n ? 0 : k * n;
  if (count(a) !== (strideA === 0 ? 1 : batch) * m * k || count(b) !== (strideB === 0 ? 1 : batch) * k * n || count(out) !== batch * m * n) {
    throw new Error(`cvkit GEMM: [${a.shape}] x [${b.shape}] -> [${out.shape}] is not ${batch} products of [${m}, ${k}] x [${k}, ${n}]`);
  }
  if (a.dtype !== 'float32' || b.dtype !== 'float32') throw new Error(`cvkit GEMM: float32 only, got ${a.dtype} x ${b.dtype}`);
  const memory = memoryOf(backend);
  const threads = Math.max(1, Math.min(2, options.threads ?? (2 * m * n * k < GEMM_TWO_THREAD_FLOPS ? 1 : gemmThreads(memory))));
  withScratch(backend, threads * gemmScratchFloats(k, n), (packed) => {
    const [oa, ob, oc] = [offsetOf(backend, a), offsetOf(backend, b), offsetOf(backend, out)];
    for (let i = 0; i < batch; i++) {
      gemmOnMemory(memory, m, n, k, oa + 4 * i * strideA, k, ob + 4 * i * strideB, n, oc + 4 * i * m * n, n, accumulate, packed, { ...options, threads });
    }
  });
}

/** a [M, K] x b [K, N] as a new wasm TensorInfo (the caller owns it). */
export function gemmMatMul(backend: WasmBackendLike, a: tf.TensorInfo, b: tf.TensorInfo, options: GemmOptions = {}): tf.TensorInfo {
  const [m, , n] = dims(a, b);
  const out = backend.makeOutput([m, n], 'float32');
  try {
    gemmInto(backend, a, b, out, false, options);
  } catch (err) {
    backend.disposeData(out.dataId);
    throw err;
  }
  return out;
}

/** a [M, K] x b [K, N] on the active (wasm) backend through the kit's GEMM, as a new tensor. */
export function kitMatMul(a: tf.Tensor, b: tf.Tensor, options: GemmOptions = {}): tf.Tensor2D {
  const backend = activeHeapBackend();
  return tf.engine().makeTensorFromTensorInfo(gemmMatMul(backend, a, b, options), backend as unknown as tf.KernelBackend) as tf.Tensor2D;
}

/** The kit's GEMM as the bench labels it: flavour and threads on `memory`, e.g. "kit GEMM (relaxed SIMD, 2 threads)". */
export function gemmDescription(memory?: WasmMemory): string {
  const threads = memory != null ? gemmThreads(memory) : 1;
  return `kit GEMM (${simdFlavour().flavour} SIMD, ${threads} thread${threads === 1 ? '' : 's'})`;
}
