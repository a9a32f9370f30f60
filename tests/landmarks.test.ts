/** Landmark heatmaps and decoders against docs/reference.md ("Landmarks"); PCK and NME. */
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

test('decoder errors on 200 random sub-pixel centres (sigma 2) are within 10% of docs/reference.md', () => {
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

describe('models, CenterNet and data', () => {
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const tf = require('@tensorflow/tfjs') as typeof import('@tensorflow/tfjs');
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const { buildStackedHourglass, buildLandmarkRegressor, buildCenterNet } = require('../lib/nn/hourglass') as typeof import('../lib/nn/hourglass');
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const L = require('../lib/landmarks') as typeof import('../lib/landmarks');
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const { modelLoss } = require('../lib/train/losses') as typeof import('../lib/train/losses');
  const { focalLoss, centerNetLoss, spatialSoftmax, spatialCrossEntropy } = L;
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const { generateFaces } = require('../datasets/faces') as typeof import('../datasets/faces');

  beforeAll(async () => { await tf.setBackend('cpu'); });

  test('the stacked hourglass: one heatmap output per stack at stride 4, skips added, residual skips through 1x1 convs', () => {
    const m = buildStackedHourglass({ inputShape: [32, 32, 3], numLandmarks: 5, stacks: 3, depth: 2, features: 16, seed: 1 });
    expect(m.outputs.map((o) => o.shape)).toEqual([[null, 8, 8, 5], [null, 8, 8, 5], [null, 8, 8, 5]]);
    const classes = m.layers.map((l) => l.getClassName());
    expect(classes).not.toContain('Concatenate');
    expect(classes.filter((c) => c === 'UpSampling2D').length).toBe(3 * 2); // depth 2 per stack
    expect(m.layers.some((l) => /_skip_conv/.test(l.name))).toBe(true); // stem 16/2 -> 16 channels
    // Intermediate supervision: the stacked loss is the sum of each stack's MSE.
    const x = tf.randomUniform([2, 32, 32, 3], 0, 1, 'float32', 3);
    const y = tf.randomUniform([2, 8, 8, 5], 0, 1, 'float32', 4);
    const outs = m.predict(x) as tf.Tensor[];
    const sum = outs.reduce((s, o) => s + (tf.losses.meanSquaredError(y, o) as tf.Scalar).dataSync()[0], 0);
    expect(Math.abs(modelLoss('stackedMSE', outs, y).dataSync()[0] - sum) / sum).toBeLessThan(1e-5);
    const r = buildLandmarkRegressor({ inputShape: [32, 32, 3], numLandmarks: 5, depth: 2, features: 16 });
    expect(r.outputs[0].shape).toEqual([null, 10]);
    tf.dispose([x, y, ...outs]);
  });

  test("Gaussian radius: CenterNet's released formula gives 2.73 for a 10x10 box, the corrected one 0.82", () => {
    expect(L.gaussianRadius(10, 10, 0.7, 'centernet')).toBeCloseTo(2.73, 2);
    expect(L.gaussianRadius(10, 10, 0.7, 'corrected')).toBeCloseTo(0.82, 2);
    // The corrected radius really is the largest corner shift that keeps IoU >= 0.7 (its binding case for a
    // square box: both corners move inward by r); the released one is far past it.
    const r = L.gaussianRadius(10, 10, 0.7, 'corrected');
    expect(L.iou([0, 0, 10, 10], [r, r, 10 - r, 10 - r])).toBeCloseTo(0.7, 6);
    const bug = L.gaussianRadius(10, 10, 0.7, 'centernet');
    expect(L.iou([0, 0, 10, 10], [bug, bug, 10 - bug, 10 - bug])).toBeLessThan(0.3);
  });

  test('focal loss has its exact constants; CenterNet targets encode and decode back to the boxes', () => {
    // One peak (y = 1, p = 0.5) and one negative (y = 0.5, p = 0.5): (1-p)^2 log p + (1-y)^4 p^2 log(1-p), / 1 peak.
    const logits = tf.tensor4d([0, 0], [1, 1, 2, 1]);
    const target = tf.tensor4d([1, 0.5], [1, 1, 2, 1]);
    const expected = -(0.25 * Math.log(0.5) + Math.pow(0.5, 4) * 0.25 * Math.log(0.5));
    expect(focalLoss(logits, target).dataSync()[0]).toBeCloseTo(expected, 6);
    // p is clamped to [1e-4, 1 - 1e-4]: a confident wrong negative costs at most log(1e-4) * weight.
    const huge = focalLoss(tf.tensor4d([50], [1, 1, 1, 1]), tf.tensor4d([0], [1, 1, 1, 1])).dataSync()[0];
    expect(huge).toBeCloseTo(-Math.pow(1 - 1e-4, 2) * Math.log(1e-4), 3);

    const boxes: L.Box[] = [[4, 8, 20, 30], [30, 2, 58, 26]];
    const packed = L.encodeCenterNet(boxes, [1, 3], { size: 16, stride: 4, numClasses: 5 });
    const t = tf.tensor4d(packed, [1, 16, 16, 10]);
    // A model that outputs the targets exactly (logits +-20 at peaks) decodes to the boxes.
    const heat = t.slice([0, 0, 0, 0], [1, 16, 16, 5]).equal(1).toFloat().mul(40).sub(20);
    const dets = L.decodeCenterNet([heat, t.slice([0, 0, 0, 5], [1, 16, 16, 2]), t.slice([0, 0, 0, 7], [1, 16, 16, 2])], 4);
    expect(dets[0].length).toBe(2);
    for (const d of dets[0]) {
      const i = d.classId === 1 ? 0 : 1;
      expect(d.classId).toBe([1, 3][i]);
      d.box.forEach((v, j) => expect(v).toBeCloseTo(boxes[i][j], 4));
    }
    const loss = centerNetLoss([heat, t.slice([0, 0, 0, 5], [1, 16, 16, 2]), t.slice([0, 0, 0, 7], [1, 16, 16, 2])], t);
    expect(loss.size.dataSync()[0]).toBeLessThan(1e-3);
    expect(loss.offset.dataSync()[0]).toBeLessThan(1e-3);
    const ap = L.averagePrecision(dets, [{ boxes, classes: [1, 3] }], 5);
    expect(ap.mean).toBeCloseTo(1, 6);
    expect(Number.isNaN(ap.perClass[0])).toBe(true); // no ground truth of class 0
  });

  test('spatial softmax: each channel is a distribution over the H x W cells, and the spatial cross-entropy is -log of it at a one-hot target', () => {
    const logits = tf.randomNormal([2, 4, 5, 3], 0, 2, 'float32', 9) as tf.Tensor4D;
    const before = tf.memory().numTensors;
    const p = spatialSoftmax(logits);
    expect(tf.memory().numTensors).toBe(before + 1);
    const sums = p.sum([1, 2]).dataSync();
    sums.forEach((v) => expect(v).toBeCloseTo(1, 5));
    // One-hot target at cell (y 2, x 3) of image 1, channel 2, zeros elsewhere (other channels contribute 0).
    const target = tf.buffer([2, 4, 5, 3]);
    target.set(1, 1, 2, 3, 2);
    const ce = spatialCrossEntropy(logits, target.toTensor()).dataSync()[0];
    expect(ce).toBeCloseTo(-Math.log(p.arraySync()[1][2][3][2]) / (2 * 3), 4); // mean over images and landmarks
    tf.dispose([logits, p]);
  });

  test('synthetic faces are deterministic by seed, in [0, 1], with K landmarks inside the image', () => {
    const a = generateFaces({ count: 6, seed: 5 });
    const b = generateFaces({ count: 6, seed: 5 });
    const c = generateFaces({ count: 6, seed: 6 });
    expect(Buffer.from(a.images.buffer).equals(Buffer.from(b.images.buffer))).toBe(true);
    expect(Buffer.from(a.images.buffer).equals(Buffer.from(c.images.buffer))).toBe(false);
    expect(a.landmarks).toEqual(b.landmarks);
    expect(a.images.every((v) => v >= 0 && v <= 1)).toBe(true);
    for (const pts of a.landmarks) {
      expect(pts.length).toBe(7);
      for (const [x, y] of pts) { expect(x).toBeGreaterThan(-1); expect(x).toBeLessThan(64); expect(y).toBeGreaterThan(-1); expect(y).toBeLessThan(64); }
      expect(pts[0][0]).toBeLessThan(pts[1][0]); // the left eye is left of the right eye (rotation <= 30 degrees)
    }
    expect(a.faceSize.every((s) => s >= 0.45 * 64 - 1e-9 && s <= 0.75 * 64 + 1e-9)).toBe(true);
  });
});

test('oneLabelPerObject keeps the higher-scored of two classes at one object and leaves separate objects alone', () => {
  const { oneLabelPerObject } = require('../lib/landmarks/centernet');
  const dets = [
    { box: [10, 10, 20, 20], score: 0.6, classId: 4 },
    { box: [11, 10, 21, 20], score: 0.9, classId: 3 },   // the same object, another class, higher score
    { box: [40, 40, 50, 50], score: 0.3, classId: 4 },   // another object
  ];
  expect(oneLabelPerObject(dets)).toEqual([dets[1], dets[2]]);
});

test('the stacking ablation\'s loss: lastStackSpatialCE is the spatial cross-entropy of the last output only', () => {
  const tf = require('@tensorflow/tfjs');
  const { lastStackSpatialCrossEntropy, spatialCrossEntropy, stackedSpatialCrossEntropy } = require('../lib/landmarks/heatmapLoss');
  const target = tf.tensor4d(encodeHeatmaps([[3, 4], [1, 1]], { size: [8, 8], sigma: 1 }), [1, 8, 8, 2]);
  const first = tf.randomNormal([1, 8, 8, 2], 0, 1, 'float32', 1), last = tf.randomNormal([1, 8, 8, 2], 0, 1, 'float32', 2);
  const only = lastStackSpatialCrossEntropy([first, last], target).dataSync()[0];
  expect(only).toBeCloseTo(spatialCrossEntropy(last, target).dataSync()[0], 5);
  expect(stackedSpatialCrossEntropy([first, last], target).dataSync()[0]).toBeGreaterThan(only);
});
