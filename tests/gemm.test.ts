/**
 * The kit's GEMM (lib/runtime/wasm/gemm.ts, lib/runtime/wasm/simd/gemm.c): C (+)= A x B equals a
 * float64 reference on awkward shapes (M, K, N not multiples of the 4 x 8 tile, K = 1, N = 1, K and N
 * blocking) in both flavours (plain always; relaxed where the engine has it, as in this Node) and on 1
 * and 2 threads; the 2-thread helper survives memory growth and turns its errors into thrown Errors,
 * never a hang; on wasm tensors it leaves nothing behind.
 */
import * as tf from '@tensorflow/tfjs';
import { useBackend, relativeError, expectNoLeak } from './helpers';
import { gemmBlocking, gemmOnMemory, gemmScratchFloats, kitMatMul, useKitGemm } from '../lib/runtime/wasm/gemm';
import { SimdFlavour, simdFlavour } from '../lib/runtime/wasm/simd';
import { Random } from '../lib/runtime/random';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const WA = (globalThis as any).WebAssembly;
const PAGE = 65536;

const flavours: SimdFlavour[] = simdFlavour().flavour === 'relaxed' ? ['plain', 'relaxed'] : ['plain'];
if (flavours.length === 1) console.warn(`gemm.test.ts: relaxed SIMD unavailable here (${simdFlavour().reason}): only the plain flavour is tested`);

const align = (x: number) => Math.ceil(x / 64) * 64;

/** A, B, C and two packing scratches laid out from `base` (bytes). */
function layout(m: number, k: number, n: number, base = 64) {
  const a = base;
  const b = align(a + 4 * m * k);
  const c = align(b + 4 * k * n);
  const packed = align(c + 4 * m * n);
  const end = packed + 2 * 4 * gemmScratchFloats(k, n);
  return { a, b, c, packed, end };
}

function newMemory(bytes: number, shared: boolean) {
  const pages = Math.ceil(bytes / PAGE) + 1;
  return shared ? new WA.Memory({ initial: pages, maximum: pages + 64, shared: true }) : new WA.Memory({ initial: pages });
}

/** Runs one product on `memory` with random operands and returns the worst error relative to sum |a b| + |c0|. */
function check(memory: { buffer: ArrayBuffer }, m: number, k: number, n: number, flavour: SimdFlavour, threads: number, accumulate: boolean, base = 64): number {
  const L = layout(m, k, n, base);
  const rng = new Random(m * 1000 + k * 10 + n);
  const f = new Float32Array(memory.buffer);
  const A = f.subarray(L.a / 4, L.a / 4 + m * k);
  const B = f.subarray(L.b / 4, L.b / 4 + k * n);
  const C = f.subarray(L.c / 4, L.c / 4 + m * n);
  for (let i = 0; i < A.length; i++) A[i] = rng.uniform(-1, 1);
  for (let i = 0; i < B.length; i++) B[i] = rng.uniform(-1, 1);
  for (let i = 0; i < C.length; i++) C[i] = rng.uniform(-1, 1);
  const C0 = Float64Array.from(C);
  gemmOnMemory(memory, m, n, k, L.a, k, L.b, n, L.c, n, accumulate, L.packed, { flavour, threads });
  let worst = 0;
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let ref = accumulate ? C0[i * n + j] : 0;
      let bound = accumulate ? Math.abs(ref) : 0;
      for (let q = 0; q < k; q++) {
        const p = A[i * k + q] * B[q * n + j];
        ref += p;
        bound += Math.abs(p);
      }
      worst = Math.max(worst, Math.abs(C[i * n + j] - ref) / Math.max(bound, 1e-30));
    }
  }
  return worst;
}

// [M, K, N]: odd sizes, K = 1, N = 1, M < 4, K over one K block (384), N over one N block.
const shapes: [number, number, number][] = [[37, 53, 29], [1, 7, 3], [5, 1, 13], [6, 800, 1], [9, 1, 1], [3, 5, 8], [13, 770, 17], [11, 384, 200], [64, 96, 72]];

test('the blocking keeps the packed block of B under 256 KB and K blocks near-equal', () => {
  expect(gemmBlocking(770, 17)).toEqual({ kc: 257, nc: 24 });
  expect(gemmBlocking(384, 200)).toEqual({ kc: 384, nc: 168 });
  expect(gemmBlocking(1, 1)).toEqual({ kc: 1, nc: 8 });
  expect(useKitGemm(576, 16384, 64)).toBe(true);
  expect(useKitGemm(4096, 4, 256)).toBe(false); // short reduction: XNNPACK
  expect(useKitGemm(4096, 256, 1)).toBe(false); // matrix-vector: XNNPACK
});

describe.each(flavours)('%s flavour equals a float64 reference', (flavour) => {
  test.each([1, 2])('on %i thread(s), writing and accumulating', (threads) => {
    const memory = newMemory(Math.max(...shapes.map(([m, k, n]) => layout(m, k, n).end)), threads > 1);
    for (const [m, k, n] of shapes) {
      for (const accumulate of [false, true]) {
        const err = check(memory, m, k, n, flavour, threads, accumulate);
        if (!(err < 2e-6)) throw new Error(`M=${m} K=${k} N=${n} accumulate=${accumulate}: error ${err}`);
      }
    }
  });
});

describe('the 2-thread helper', () => {
  test('keeps working when the shared memory grows (operands past the old end)', () => {
    const memory = newMemory(layout(40, 50, 30).end, true);
    expect(check(memory, 40, 50, 30, 'plain', 2, false)).toBeLessThan(2e-6);
    const oldEnd = memory.buffer.byteLength;
    memory.grow(8);
    expect(check(memory, 40, 50, 30, flavours[flavours.length - 1], 2, true, oldEnd)).toBeLessThan(2e-6);
  });

  test('an error in the helper thread is thrown on the main thread, and the next product works', () => {
    const memory = newMemory(PAGE, true);
    const size = memory.buffer.byteLength;
    // M = 8, K = 1: rows 4 apart by lda; the helper's rows 4-7 of A start past the end of memory.
    const lda = size / 16;
    expect(() => gemmOnMemory(memory, 8, 8, 1, 0, lda, 64, 8, 128, 8, false, 1024, { threads: 2, flavour: 'plain' }))
      .toThrow(/helper thread failed: .*out of bounds/);
    expect(check(memory, 9, 10, 11, 'plain', 2, false)).toBeLessThan(2e-6);
  });

  test('a helper that does not answer in time is a thrown Error, not a hang', () => {
    // A fresh memory starts a fresh helper: it cannot start and answer within 1 ms.
    const memory = newMemory(layout(16, 8, 8).end, true);
    const L = layout(16, 8, 8);
    expect(() => gemmOnMemory(memory, 16, 8, 8, L.a, 8, L.b, 8, L.c, 8, false, L.packed, { threads: 2, timeoutMs: 1 }))
      .toThrow(/did not finish its rows within 0.001 s/);
  });
});

describe('on wasm tensors', () => {
  test.each(flavours)('%s: kitMatMul equals tf.matMul on the cpu backend and leaves no tensors behind', async (flavour) => {
    await useBackend('cpu');
    const rng = new Random(7);
    const av = Float32Array.from({ length: 45 * 70 }, () => rng.uniform(-1, 1));
    const bv = Float32Array.from({ length: 70 * 21 }, () => rng.uniform(-1, 1));
    const ref = tf.tidy(() => tf.matMul(tf.tensor2d(av, [45, 70]), tf.tensor2d(bv, [70, 21])).dataSync());
    await useBackend('wasm');
    const a = tf.tensor2d(av, [45, 70]);
    const b = tf.tensor2d(bv, [70, 21]);
    let got: Float32Array | null = null;
    await expectNoLeak(() => {
      const c = kitMatMul(a, b, { flavour });
      got = c.dataSync() as Float32Array;
      c.dispose();
    });
    expect(relativeError(got!, ref)).toBeLessThan(1e-5);
    expect(() => kitMatMul(a, a)).toThrow(/expected \[M, K\] x \[K, N\]/);
    tf.dispose([a, b]);
  });
});
