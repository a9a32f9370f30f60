/**
 * The image-quality numbers of lessons 05 and 06: PSNR's known values, the high-frequency ratio (1 for
 * the truth itself, below 1 for a blurred copy), the Fréchet distance (0 for identical statistics, the
 * closed form for diagonal covariances, symmetric), and the x4 super-resolution pairs (low-res = block mean).
 */
import * as tf from '@tensorflow/tfjs';
import { psnr, highFrequencyRatio, frechetDistance, symmetricEigen, colourHistogram, colourHistogramIntersection } from '../lib/ops/imageQuality';
import { superResolutionPairs } from '../datasets/superResolution';

beforeAll(async () => { await tf.setBackend('cpu'); });

test('PSNR: MSE 0.01 is 20 dB, MSE 0.0001 is 40 dB', () => {
  const truth = tf.zeros([2, 4, 4, 3]) as tf.Tensor4D;
  expect(psnr(tf.fill([2, 4, 4, 3], 0.1) as tf.Tensor4D, truth)).toBeCloseTo(20, 4);
  expect(psnr(tf.fill([2, 4, 4, 3], 0.01) as tf.Tensor4D, truth)).toBeCloseTo(40, 4);
});

test('high-frequency ratio: 1 for the truth, well below 1 for a blurred copy', () => {
  const set = superResolutionPairs({ count: 4, seed: 3 });
  const hi = tf.tensor4d(set.highRes, [4, 64, 64, 3]);
  expect(highFrequencyRatio(hi, hi)).toBeCloseTo(1, 6);
  const blurred = tf.image.resizeBilinear(tf.tensor4d(set.lowRes, [4, 16, 16, 3]), [64, 64]) as tf.Tensor4D;
  expect(highFrequencyRatio(blurred, hi)).toBeLessThan(0.3);
});

test('x4 pairs: each low-resolution pixel is the mean of its 4x4 block, deterministic by seed', () => {
  const a = superResolutionPairs({ count: 2, seed: 5 });
  const b = superResolutionPairs({ count: 2, seed: 5 });
  expect(Array.from(a.lowRes)).toEqual(Array.from(b.lowRes));
  let s = 0;
  for (let dy = 0; dy < 4; dy++) for (let dx = 0; dx < 4; dx++) s += a.highRes[((1 * 64 + 8 + dy) * 64 + 12 + dx) * 3 + 2];
  expect(a.lowRes[((1 * 16 + 2) * 16 + 3) * 3 + 2]).toBeCloseTo(s / 16, 6);
});

test('Fréchet distance: 0 for the same set, the diagonal closed form, symmetric', () => {
  const rows = (n: number, f: (i: number, j: number) => number) => tf.tensor2d(Array.from({ length: n * 3 }, (_, k) => f(Math.floor(k / 3), k % 3)), [n, 3]);
  const a = rows(400, (i, j) => Math.sin(i * 1.3 + j * 0.7) * (j + 1));
  expect(frechetDistance(a, a)).toBeLessThan(1e-6);
  // independent columns with stds s and t, means m and n: sum (m - n)^2 + sum (s - t)^2
  const u = (i: number, j: number) => [-1, 1][(i >> j) & 1];   // +-1 patterns, exactly uncorrelated over 8 rows
  const x = rows(8, (i, j) => 2 * u(i, j) + 1), y = rows(8, (i, j) => 0.5 * u(i, j) - 1);
  const varScale = 8 / 7;   // unbiased covariance of +-1 columns over 8 rows
  expect(frechetDistance(x, y)).toBeCloseTo(3 * 4 + 3 * varScale * (2 - 0.5) ** 2, 6);
  const b = rows(300, (i, j) => Math.cos(i * 0.9 + j) + 0.3 * j);
  expect(frechetDistance(a, b)).toBeCloseTo(frechetDistance(b, a), 6);
  const { values } = symmetricEigen(Float64Array.from([2, 1, 1, 2]), 2);
  expect(Array.from(values).sort()).toEqual([1, 3].map((v) => expect.closeTo(v, 10)) as unknown as number[]);
});

describe('colour histogram intersection', () => {
  test('1 for the same colours in another layout, 0 for disjoint colours, symmetric, a fraction for a half overlap', () => {
    // left half red, right half blue; and the same pixels mirrored: the same histogram
    const img = tf.tidy(() => tf.concat([tf.tile(tf.tensor4d([0.9, 0.1, 0.1], [1, 1, 1, 3]), [1, 4, 2, 1]), tf.tile(tf.tensor4d([0.1, 0.1, 0.9], [1, 1, 1, 3]), [1, 4, 2, 1])], 2)) as tf.Tensor4D;
    const mirrored = tf.reverse(img, 2) as tf.Tensor4D;
    expect(colourHistogramIntersection(img, mirrored)).toBeCloseTo(1, 10);
    const green = tf.tidy(() => tf.tile(tf.tensor4d([0.1, 0.9, 0.1], [1, 1, 1, 3]), [1, 4, 4, 1])) as tf.Tensor4D;
    expect(colourHistogramIntersection(img, green)).toBe(0);
    const red = tf.tidy(() => tf.tile(tf.tensor4d([0.9, 0.1, 0.1], [1, 1, 1, 3]), [1, 4, 4, 1])) as tf.Tensor4D;
    expect(colourHistogramIntersection(img, red)).toBeCloseTo(0.5, 10);
    expect(colourHistogramIntersection(red, img)).toBeCloseTo(0.5, 10);
    const h = colourHistogram(img, 2);
    expect(h.length).toBe(8);
    expect(h.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    expect(() => colourHistogram(tf.zeros([1, 2, 2, 1]) as tf.Tensor4D)).toThrow(/RGB/);
    tf.dispose([img, mirrored, green, red]);
  });
});
