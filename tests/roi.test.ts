/**
 * RoIAlign and RoIPool: detectron2's published 5x5 case, torchvision's values and gradients on boxes
 * inside, across and outside the map, from several images, with every sampling ratio and `aligned`
 * (tests/fixtures/roi-torchvision.json, made by scripts/roi_reference.py), gradients against finite
 * differences, RoIPool's empty bins and first-maximum gradient, and no leaked tensors.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { roiAlign, roiAlignPlan } from '../lib/ops/roiAlign';
import { roiPool, roundHalfAwayFromZero } from '../lib/ops/roiPool';

const close = (a: ArrayLike<number>, b: ArrayLike<number>, tol = 1e-4) => {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  expect(worst).toBeLessThan(tol);
};

beforeAll(async () => { await tf.setBackend('cpu'); });

test('RoIAlign matches detectron2\'s 5x5 reference (aligned and not)', () => {
  const x = tf.range(0, 25).reshape([1, 5, 5, 1]) as tf.Tensor4D;
  const run = (aligned: boolean) => Array.from(roiAlign(x, [[1, 1, 3, 3]], [0], { outputSize: 4, spatialScale: 1, samplingRatio: 0, aligned }).dataSync());
  const a = run(true);
  expect(a.slice(0, 4)).toEqual([4.5, 5, 5.5, 6]);
  expect(a.slice(12)).toEqual([12, 12.5, 13, 13.5]);
  const b = run(false);
  expect(b.slice(0, 4)).toEqual([7.5, 8, 8.5, 9]);
  expect(b.slice(12)).toEqual([15, 15.5, 16, 16.5]);
});

const reference = JSON.parse(fs.readFileSync(path.join(__dirname, 'fixtures', 'roi-torchvision.json'), 'utf8'));

test.each(reference.cases.map((c: Record<string, unknown>) => [`${c.kind} scale ${c.spatialScale} ratio ${c.samplingRatio} aligned ${c.aligned}`, c]))(
  'torchvision %s: values and gradients, boxes partly and wholly outside, two images', (_name, c: any) => {
    const features = tf.tensor4d(reference.features, reference.shape);
    const upstream = tf.tensor(c.upstream);
    const op = (f: tf.Tensor) => (c.kind === 'align'
      ? roiAlign(f as tf.Tensor4D, reference.boxes, reference.boxIndex, { outputSize: c.outputSize, spatialScale: c.spatialScale, samplingRatio: c.samplingRatio, aligned: c.aligned })
      : roiPool(f as tf.Tensor4D, reference.boxes, reference.boxIndex, { outputSize: c.outputSize, spatialScale: c.spatialScale }));
    close(op(features).dataSync(), c.output);
    const grad = tf.grad((f: tf.Tensor) => tf.sum(tf.mul(op(f).reshape([-1]), upstream)))(features);
    close(grad.dataSync(), c.gradient);
  });

test('gradients of both operators agree with finite differences', () => {
  const shape: [number, number, number, number] = [2, 5, 6, 2];
  const base = Float32Array.from({ length: 2 * 5 * 6 * 2 }, (_, i) => Math.sin(i * 1.7) + 0.01 * i);
  const boxes = [[0.4, 0.6, 4.7, 3.9], [-1.2, 2.1, 3.3, 6.8], [2.2, 0.2, 5.9, 4.4]];
  const index = [0, 1, 1];
  const w = Float32Array.from({ length: 3 * 2 * 2 * 2 }, (_, i) => Math.cos(i));
  const loss = (f: tf.Tensor, pool: boolean) => tf.sum(tf.mul((pool ? roiPool(f as tf.Tensor4D, boxes, index, { outputSize: 2 }) : roiAlign(f as tf.Tensor4D, boxes, index, { outputSize: 2, samplingRatio: 2, aligned: true })).reshape([-1]), tf.tensor(w)));
  for (const pool of [false, true]) {
    const analytic = tf.grad((f: tf.Tensor) => loss(f, pool))(tf.tensor4d(base, shape)).dataSync();
    const eps = 1e-2;
    for (const i of [0, 7, 13, 29, 41, 58, 66]) {
      const up = Float32Array.from(base); up[i] += eps;
      const down = Float32Array.from(base); down[i] -= eps;
      const numeric = (loss(tf.tensor4d(up, shape), pool).dataSync()[0] - loss(tf.tensor4d(down, shape), pool).dataSync()[0]) / (2 * eps);
      expect(Math.abs(numeric - analytic[i])).toBeLessThan(2e-3);
    }
  }
});

test('a bin\'s samples: sampling ratio 1 reads one bilinear point at the bin centre, adaptive uses ceil(size / output)', () => {
  const plan1 = roiAlignPlan([1, 4, 4, 1], [[0, 0, 2, 2]], [0], { outputSize: 1, samplingRatio: 1, aligned: true });
  // centre of the box (1, 1) minus 0.5 -> (0.5, 0.5): four pixels at 1/4 each
  expect(Array.from(plan1.rows).sort()).toEqual([0, 1, 4, 5]);
  close(plan1.weights, [0.25, 0.25, 0.25, 0.25], 1e-7);
  const adaptive = roiAlignPlan([1, 16, 16, 1], [[0, 0, 10, 6]], [0], { outputSize: 2 });
  // 5 x 3 samples per bin, each at least one tap; weights of a cell sum to 1 inside the map
  const sum = Array.from(adaptive.weights.subarray(0, adaptive.taps)).reduce((a, b) => a + b, 0);
  expect(sum).toBeCloseTo(1, 6);
});

test('RoIPool: rounded coordinates with +1 widths, empty bins give 0 and no gradient, the first maximum gets the gradient', () => {
  expect([roundHalfAwayFromZero(2.5), roundHalfAwayFromZero(-2.5), roundHalfAwayFromZero(1.4)]).toEqual([3, -3, 1]);
  const x = tf.tensor4d([1, 5, 5, 2, 0, 3, 7, 7, 1], [1, 3, 3, 1]);
  // box (0,0)-(1,1) rounds to 2x2 pixels (+1): one bin = max(1, 5, 2, 0) = 5
  expect(Array.from(roiPool(x, [[0.2, 0.4, 1.4, 1.2]], [0], { outputSize: 1 }).dataSync())).toEqual([5]);
  // a box far outside: every bin empty -> 0, and no gradient anywhere
  const outside = roiPool(x, [[10, 10, 12, 12]], [0], { outputSize: 2 });
  expect(Array.from(outside.dataSync())).toEqual([0, 0, 0, 0]);
  expect(Array.from(tf.grad((f: tf.Tensor) => roiPool(f as tf.Tensor4D, [[10, 10, 12, 12]], [0], { outputSize: 2 }).sum())(x).dataSync())).toEqual(new Array(9).fill(0));
  // ties: row 2 holds 7, 7 -> the first (index 6) gets the gradient
  const g = tf.grad((f: tf.Tensor) => roiPool(f as tf.Tensor4D, [[0, 2, 2, 2]], [0], { outputSize: 1 }).sum())(x).dataSync();
  expect(Array.from(g)).toEqual([0, 0, 0, 0, 0, 0, 1, 0, 0]);
});

test('cropAndResize is not RoIAlign: it maps corners to pixel centres and takes one sample', () => {
  const x = tf.range(0, 25).reshape([1, 5, 5, 1]) as tf.Tensor4D;
  // normalised box covering pixels 1..3 in cropAndResize's convention
  const crop = tf.image.cropAndResize(x, [[1 / 4, 1 / 4, 3 / 4, 3 / 4]], [0], [4, 4]).dataSync();
  const align = roiAlign(x, [[1, 1, 3, 3]], [0], { outputSize: 4, samplingRatio: 0, aligned: true }).dataSync();
  expect(Math.max(...Array.from(crop).map((v, i) => Math.abs(v - align[i])))).toBeGreaterThan(0.5);
});

test('no tensors leak from either operator or their gradients', () => {
  const x = tf.randomNormal([2, 6, 6, 3]) as tf.Tensor4D;
  const before = tf.memory().numTensors;
  for (const pool of [false, true]) {
    const f = (t: tf.Tensor) => (pool ? roiPool(t as tf.Tensor4D, [[0, 0, 4, 4], [1, 2, 5, 5]], [0, 1], { outputSize: 3 }) : roiAlign(t as tf.Tensor4D, [[0, 0, 4, 4], [1, 2, 5, 5]], [0, 1], { outputSize: 3 })).sum();
    tf.tidy(() => f(x)).dispose();
    tf.grad(f)(x).dispose();
  }
  expect(tf.memory().numTensors).toBe(before);
  x.dispose();
});
