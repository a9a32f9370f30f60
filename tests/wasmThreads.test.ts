/**
 * Both cores for the wasm backend (lib/runtime/wasm/threads.ts): tfjs's threaded wasm build starts
 * under Node, gives the same gradients as the single-threaded build, runs the kit's GEMM on 2 threads
 * on its shared memory (lib/runtime/wasm/gemm.ts), and lets the process exit.
 * Run in child processes on the built kit (dist/), as a user's script would: if a tfjs upgrade
 * changes what the loader relies on, these fail.
 */
import { spawnSync } from 'child_process';
import * as path from 'path';
import { requestedThreads, threadedBuildProblem } from '../lib/runtime/wasm/threads';

const root = path.join(__dirname, '..');

const script = `
const { initRuntime, tf } = require('./dist/lib/runtime');
const { setWasmThreads, wasmThreadCount } = require('./dist/lib/runtime/wasm/threads');
const { gemmThreads, kitMatMul } = require('./dist/lib/runtime/wasm/gemm');
const { memoryOf } = require('./dist/lib/runtime/wasm/simd');
(async () => {
  const info = await initRuntime({ quiet: true });
  const started = wasmThreadCount();
  // A convolution + batch norm (training) + max pool + dense training gradient, big enough that
  // XNNPACK splits it over threads; the kit's SIMD kernels run on the build's shared memory.
  const x = tf.randomUniform([8, 24, 24, 16], -1, 1, 'float32', 1);
  const w = tf.randomUniform([3, 3, 16, 32], -1, 1, 'float32', 2);
  const d = tf.randomUniform([32, 5], -1, 1, 'float32', 3);
  const bn = tf.layers.batchNormalization({ gammaInitializer: 'ones' });
  bn.build([8, 12, 12, 32]);
  const net = (a, b, c) => tf.matMul(tf.maxPool(tf.relu(bn.apply(tf.conv2d(a, b, 2, 'same'), { training: true })), 2, 2, 'valid').mean([1, 2]), c).square().sum();
  const grads = tf.grads(net)([x, w, d]);
  const sums = grads.map((g) => Array.from(g.dataSync()).reduce((s, v) => s + Math.abs(v), 0));
  const shared = tf.backend().wasm.HEAPF32.buffer instanceof SharedArrayBuffer;
  // The kit's GEMM with the threads it picks here (2: a helper worker on tfjs's shared memory), against XNNPACK.
  const gemm = gemmThreads(memoryOf(tf.backend()));
  const ga = tf.randomUniform([301, 200], -1, 1, 'float32', 4), gb = tf.randomUniform([200, 70], -1, 1, 'float32', 5);
  const gemmErr = tf.tidy(() => { const ref = tf.matMul(ga, gb); return tf.max(tf.abs(tf.sub(kitMatMul(ga, gb, { threads: gemm }), ref))).dataSync()[0] / tf.max(tf.abs(ref)).dataSync()[0]; });
  // Ten shrink/regrow cycles, as the data-parallel rows of a bench run do (replicas train between them);
  // the build pre-starts 2 x 4 workers, each regrowth uses one: without new ones the 8th cycle stayed on 1 thread.
  const shrunk = [], restored = [];
  for (let i = 0; i < 10; i++) {
    const previous = setWasmThreads(1);
    shrunk.push(wasmThreadCount());
    await new Promise((r) => setTimeout(r, 300));
    setWasmThreads(previous);
    restored.push(wasmThreadCount());
  }
  console.log(JSON.stringify({ detail: info.detail, started, shrunk, restored, sums, shared, gemm, gemmErr }));
})();
`;

function run(threads: string): { detail: string; started: number; shrunk: number[]; restored: number[]; sums: number[]; shared: boolean; gemm: number; gemmErr: number } {
  const r = spawnSync(process.execPath, ['-e', script], {
    cwd: root, encoding: 'utf8', timeout: 90_000,
    env: { ...process.env, CVKIT_THREADS: threads, CVKIT_BACKEND: 'wasm' },
  });
  // A hung process (pthread workers keeping it alive) ends here as a timeout: status null.
  expect(r.error).toBeUndefined();
  expect(r.status).toBe(0);
  return JSON.parse(r.stdout.trim().split('\n').pop()!);
}

test('the threaded build is there to load (fails when a tfjs upgrade moves its worker or main script)', () => {
  expect(threadedBuildProblem()).toBeNull();
});

test('CVKIT_THREADS=2 starts a 2-thread pool; its gradients equal the 1-thread build; the kit GEMM runs on 2 threads; the pool shrinks and regrows, ten times over; the process exits', () => {
  const two = run('2');
  const one = run('1');
  expect(two.started).toBe(2);
  expect(two.detail).toMatch(/2 threads/);
  expect(one.started).toBe(1);
  expect(one.detail).toMatch(/1 thread\b/);
  expect(two.shared).toBe(true); // the SIMD module was instantiated on shared memory
  expect(one.shared).toBe(false);
  expect(two.gemm).toBe(2); // the kit's GEMM split over the main thread and its helper
  expect(one.gemm).toBe(1);
  expect(two.gemmErr).toBeLessThan(1e-5);
  expect(one.gemmErr).toBeLessThan(1e-5);
  expect(two.sums.length).toBe(3);
  // Every cycle shrinks to 1 and regrows to 2 (the pre-started workers once ran out after seven).
  expect(two.shrunk).toEqual(Array(10).fill(1));
  expect(two.restored).toEqual(Array(10).fill(2));
  expect(one.restored).toEqual(Array(10).fill(1));
  two.sums.forEach((s, i) => {
    expect(s).toBeGreaterThan(0);
    expect(Math.abs(s - one.sums[i]) / one.sums[i]).toBeLessThan(1e-4);
  });
}, 200_000);

test('CVKIT_THREADS must be a positive integer; unset means every core, at most 8', () => {
  expect(requestedThreads({ CVKIT_THREADS: '3' })).toBe(3);
  expect(() => requestedThreads({ CVKIT_THREADS: '0' })).toThrow(/positive integer/);
  expect(() => requestedThreads({ CVKIT_THREADS: 'two' })).toThrow(/positive integer/);
  const all = requestedThreads({});
  expect(all).toBeGreaterThanOrEqual(1);
  expect(all).toBeLessThanOrEqual(8);
});
