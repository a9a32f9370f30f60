/**
 * The machine's peaks, measured when the bench starts, so every row's GFLOP/s can be read against
 * what this machine can do at all:
 *  - wasm SIMD: the kit's `peak_mul_add` loop (lib/runtime/wasm/simd/kernels.c: multiplies and adds on
 *    independent accumulators in registers; wasm SIMD128 has no fused multiply-add) on 1 thread and on
 *    every core at once (one worker thread per core);
 *  - relaxed SIMD: the same with relaxed SIMD's fused multiply-add (`peak_madd` of the relaxed flavour,
 *    lib/runtime/wasm/simd/gemm.c), when this engine has relaxed SIMD (lib/runtime/wasm/simd.ts);
 *  - wasm GEMM: tfjs's MatMul (XNNPACK) of 1024 x 1024 matrices, with the backend's threads;
 *  - native GEMM: PyTorch's matrix product of 2048 x 2048 (the BLAS it loads), 1 and 2 threads, when
 *    PyTorch is here.
 */
import { spawnSync } from 'child_process';
import * as os from 'os';
import { Worker } from 'worker_threads';
import * as tf from '@tensorflow/tfjs';
import { PLAIN_WASM, RELAXED_WASM } from '../runtime/wasm/simd/binary';
import { simdFlavour } from '../runtime/wasm/simd';

export interface Peaks {
  wasmSimd1: number;
  wasmSimdAll: number;
  /** The relaxed-SIMD fused multiply-add loop, 1 thread and every core (absent without relaxed SIMD). */
  wasmFma1?: number;
  wasmFmaAll?: number;
  cores: number;
  wasmGemm: number;
  nativeGemm1?: number;
  nativeGemm2?: number;
}

/** A peak loop: the binary (base64), its export, FLOPs per round. */
interface Loop { bytes: string; name: 'peak_mul_add' | 'peak_madd'; flops: number; relaxed: boolean }
const MUL_ADD: Loop = { bytes: PLAIN_WASM, name: 'peak_mul_add', flops: 64, relaxed: false };
const FMA: Loop = { bytes: RELAXED_WASM, name: 'peak_madd', flops: 96, relaxed: true };

/** The loop's GFLOP/s in this thread: best of 3 runs of `iterations` rounds. Self-contained: it also runs in workers. */
function loopGflops(loop: Loop, iterations: number): number {
  // Relaxed SIMD is behind a flag in Node 20 (lib/runtime/wasm/simd.ts switches it on the same way).
  if (loop.relaxed) require('v8').setFlagsFromString('--experimental-wasm-relaxed-simd');
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const W = (globalThis as any).WebAssembly;
  const memory = new W.Memory({ initial: 16 });
  const peak = new W.Instance(new W.Module(Buffer.from(loop.bytes, 'base64')), { env: { memory } }).exports[loop.name] as (n: number) => number;
  peak(1000);
  let best = 0;
  for (let r = 0; r < 3; r++) {
    const t = process.hrtime.bigint();
    peak(iterations);
    const s = Number(process.hrtime.bigint() - t) / 1e9;
    best = Math.max(best, (loop.flops * iterations) / s / 1e9);
  }
  return best;
}

async function loopOnEveryCore(loop: Loop, iterations: number, cores: number): Promise<number> {
  const src = `${loopGflops.toString()}\nconst { parentPort, workerData } = require('worker_threads');\nparentPort.postMessage(loopGflops(workerData.loop, workerData.iterations));`;
  const results = await Promise.all(Array.from({ length: cores }, () => new Promise<number>((resolve, reject) => {
    const w = new Worker(src, { eval: true, workerData: { loop, iterations } });
    w.once('message', (v: number) => { resolve(v); void w.terminate(); });
    w.once('error', reject);
  })));
  return results.reduce((a, b) => a + b, 0);
}

/** GFLOP/s of tf.matMul on the current backend (n x n times n x n, median of a few). */
function gemm(n: number): number {
  const a = tf.randomUniform([n, n]);
  const b = tf.randomUniform([n, n]);
  const run = () => { const c = tf.matMul(a, b); c.dataSync(); c.dispose(); };
  for (let i = 0; i < 3; i++) run();
  const times: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t = process.hrtime.bigint();
    run();
    times.push(Number(process.hrtime.bigint() - t) / 1e9);
  }
  tf.dispose([a, b]);
  times.sort((x, y) => x - y);
  return (2 * n * n * n) / times[2] / 1e9;
}

/** PyTorch's 2048 x 2048 matrix product GFLOP/s with `threads` threads, or undefined. */
function torchGemm(threads: number): number | undefined {
  const script = 'import torch, time\ntorch.set_num_threads(int(__import__("sys").argv[1]))\na = torch.rand(2048, 2048); b = torch.rand(2048, 2048)\nfor _ in range(3): a @ b\nts = []\nfor _ in range(5):\n    t = time.perf_counter(); a @ b; ts.append(time.perf_counter() - t)\nprint(2 * 2048 ** 3 / sorted(ts)[2] / 1e9)';
  const r = spawnSync('/usr/bin/python3', ['-c', script, String(threads)], { encoding: 'utf8', env: { ...process.env, OMP_NUM_THREADS: String(threads), OPENBLAS_NUM_THREADS: String(threads) } });
  return r.status === 0 ? Number(r.stdout.trim()) : undefined;
}

/** Measures the peaks (about 10 s; `quick` shortens the SIMD loop). Run on the wasm backend. */
export async function measurePeaks(options: { quick?: boolean; torch?: boolean } = {}): Promise<Peaks> {
  const iterations = options.quick ? 2e7 : 6e7;
  const cores = os.cpus().length;
  const wasmSimd1 = loopGflops(MUL_ADD, iterations);
  const wasmSimdAll = await loopOnEveryCore(MUL_ADD, iterations, cores);
  const wasmGemm = gemm(1024);
  const peaks: Peaks = { wasmSimd1, wasmSimdAll, cores, wasmGemm };
  if (simdFlavour().flavour === 'relaxed') {
    peaks.wasmFma1 = loopGflops(FMA, iterations);
    peaks.wasmFmaAll = await loopOnEveryCore(FMA, iterations, cores);
  }
  if (options.torch) {
    peaks.nativeGemm1 = torchGemm(1);
    peaks.nativeGemm2 = torchGemm(2);
  }
  return peaks;
}
