/** Landmark heatmaps and decoders against REFERENCE.md section 3; PCK and NME. */
import { encodeHeatmaps, decodeHeatmaps, Decoder, Point, pck, nme, heatmapTensor } from '../lib/landmarks';
import { Random } from '../lib/runtime/random';

test('a Gaussian heatmap peaks at 1 on the (float) centre, at the stride, with the given sigma; null gives zeros', () => {
  const hm = encodeHeatmaps([[20, 12], null], { size: [8, 10], stride: 4, sigma: 1 });
  const at = (x: number, y: number, k: number) => hm[(y * 10 + x) * 2 + k];
  expect(at(5, 3, 0)).toBe(1); // (20, 12) / 4
  expect(at(6, 3, 0)).toBeCloseTo(Math.exp(-0.5), 6);
  expect(at(6, 4, 0)).toBeCloseTo(Math.exp(-1), 6);
  expect(Array.from({ length: 80 }, (_, p) => hm[p * 2 + 1]).every((v) => v === 0)).toBe(true);
  const off = encodeHeatmaps([[2.5, 0]], { size: [1, 6], sigma: 2 });
  expect(off[2]).toBeCloseTo(off[3], 6); // centred between pixels 2 and 3
  const cauchy = encodeHeatmaps([[0, 0]], { size: [1, 2], sigma: 2, kind: 'cauchy' });
  expect(cauchy[0]).toBeCloseTo(2 / Math.pow(4, 1.5), 6);
  expect(cauchy[1]).toBeCloseTo(2 / Math.pow(1 + 4, 1.5), 6);
  expect(heatmapTensor([[[1, 1]], [[2, 2]]], { size: [4, 4] }).shape).toEqual([2, 4, 4, 1]);
});

function meanError(decoder: Decoder, beta: number, centres: Point[], encode = (c: Point) => c): number {
  let total = 0;
  for (const c of centres) {
    const [p] = decodeHeatmaps(encodeHeatmaps([encode(c)], { size: [64, 64], sigma: 2 }), [64, 64], 1, decoder, beta);
    total += Math.hypot(p[0] - c[0], p[1] - c[1]);
  }
  return total / centres.length;
}

test('decoder errors on 200 random sub-pixel centres (sigma 2) are within 10% of REFERENCE.md', () => {
  const rng = new Random(0);
  const centres = Array.from({ length: 200 }, () => [rng.uniform(8, 56), rng.uniform(8, 56)] as Point);
  const within = (value: number, reference: number) => expect(Math.abs(value - reference) / reference).toBeLessThanOrEqual(0.1);
  within(meanError('argmax', 0, centres), 0.37);
  within(meanError('quarter', 0, centres), 0.19);
  expect(meanError('dark', 0, centres)).toBeLessThan(0.01);
  within(meanError('softArgmax', 1, centres), 17);
  within(meanError('softArgmax', 100, centres), 0.28);
});

test('sum p*x is biased near a border; encoding with truncated integer centres loses the sub-pixel part', () => {
  const border: Point[] = [[0.6, 30.2], [1.3, 12.7], [62.8, 40.4]];
  expect(meanError('expectation', 0, border)).toBeGreaterThan(0.2);
  const nearBorder: Point[] = [[1.6, 30.2], [2.3, 12.7], [61.4, 40.4]];
  expect(meanError('expectation', 0, nearBorder)).toBeGreaterThan(0.1);
  expect(meanError('dark', 0, nearBorder)).toBeLessThan(0.01); // DARK only needs the 3x3 around the peak
  const rng = new Random(1);
  const centres = Array.from({ length: 100 }, () => [rng.uniform(8, 56), rng.uniform(8, 56)] as Point);
  const truncated = meanError('dark', 0, centres, ([x, y]) => [Math.floor(x), Math.floor(y)]);
  expect(truncated).toBeGreaterThan(0.3); // no decoder can recover what the encoding threw away
});

test('PCK@alpha counts landmarks within alpha x reference size; NME divides the mean error by the normaliser', () => {
  const truth: (Point | null)[][] = [[[0, 0], [10, 0], null], [[5, 5], [0, 0], [1, 1]]];
  const pred: Point[][] = [[[1, 0], [10, 3], [99, 99]], [[5, 5], [2, 0], [1, 1]]];
  expect(pck(pred, truth, [20, 20], 0.1)).toBeCloseTo(4 / 5, 10); // thresholds 2 px: misses only [10,3]
  expect(nme(pred, truth, [10, 2])).toBeCloseTo(((1 + 3) / 2 / 10 + (0 + 2 + 0) / 3 / 2) / 2, 10);
});
