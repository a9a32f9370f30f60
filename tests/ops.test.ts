/**
 * lib/ops: the kit's one pixel convention (pixel i's centre is x = i) held by every module that
 * produces or consumes coordinates, and the geometry on top of it (IoU, NMS, AP).
 */
import * as tf from '@tensorflow/tfjs';
import { createCanvas, loadImage } from '@napi-rs/canvas';
import { Box, boxArea, boxFromPixelEdges, boxOfMask, boxToPixelEdges, iou, pointFromPixelEdges } from '../lib/ops/boxes';
import { maxPoolNms, nms } from '../lib/ops/nms';
import { averagePrecision, Detection } from '../lib/ops/averagePrecision';
import { generateShapes } from '../datasets/shapes';
import { decodeCenterNet, encodeCenterNet, centerNetTargets } from '../lib/landmarks/centernet';
import { annotate } from '../lib/display/image';
import { Random } from '../lib/runtime/random';
import { expectNoLeak } from './helpers';

beforeAll(async () => { await tf.setBackend('cpu'); });

describe('the pixel convention', () => {
  test('the box of the pixels in columns 2..4 and rows 1..3 is [1.5, 0.5, 4.5, 3.5]: area = pixel count, centre = mean pixel index', () => {
    const mask = new Uint8Array(6 * 5);
    for (let y = 1; y <= 3; y++) for (let x = 2; x <= 4; x++) mask[y * 6 + x] = 1;
    const box = boxOfMask(mask, 6)!;
    expect(box).toEqual([1.5, 0.5, 4.5, 3.5]);
    expect(boxArea(box)).toBe(9);
    expect([(box[0] + box[2]) / 2, (box[1] + box[3]) / 2]).toEqual([3, 2]);
    expect(boxOfMask(new Uint8Array(30), 6)).toBeNull();
    // Pixel edges (COCO, canvas) are the same box shifted by half a pixel; to edges gives the slice bounds.
    expect(boxToPixelEdges(box)).toEqual([2, 1, 5, 4]);
    expect(boxFromPixelEdges([2, 1, 5, 4])).toEqual(box);
    expect(pointFromPixelEdges([2.5, 1.5])).toEqual([2, 1]);
  });

  test("the shapes generator's centres and keypoints are in the kit's frame: a circle's centre is the mean index of its mask", () => {
    const d = generateShapes({ count: 24, seed: 4, size: 48, noise: 0, background: 'plain', classes: [0] });
    let dx = 0, dy = 0;
    for (const [o] of d.instances) {
      let sx = 0, sy = 0, n = 0;
      o.mask.forEach((v, p) => { if (v) { sx += p % 48; sy += Math.floor(p / 48); n++; } });
      dx += sx / n - o.center[0];
      dy += sy / n - o.center[1];
      expect(o.keypoints[o.keypoints.length - 1]).toEqual(o.center);
    }
    // Each mask is quantised (up to ~0.2 px off); on average the offset is 0 (pixel edges: -0.5 on both axes).
    expect(Math.abs(dx / 24)).toBeLessThan(0.1);
    expect(Math.abs(dy / 24)).toBeLessThan(0.1);
  });

  test('CenterNet at stride 4: an object filling the pixels of cell (3, 1) has its centre in that cell at offset (0.5, 0.5), and decodes back', () => {
    // Columns 12..15 and rows 4..7: exactly the pixels of output cell (3, 1).
    const box: Box = [11.5, 3.5, 15.5, 7.5];
    const packed = encodeCenterNet([box], [0], { size: 16, stride: 4, numClasses: 1 });
    const at = (1 * 16 + 3) * 6;
    expect(Array.from(packed.subarray(at, at + 6))).toEqual([1, 1, 1, 0.5, 0.5, 1]); // peak, size 1x1 cells, offset, mask
    const t = tf.tensor4d(packed, [1, 16, 16, 6]);
    const heat = t.slice([0, 0, 0, 0], [1, 16, 16, 1]).equal(1).toFloat().mul(40).sub(20);
    const [[det]] = decodeCenterNet([heat, t.slice([0, 0, 0, 1], [1, 16, 16, 2]), t.slice([0, 0, 0, 3], [1, 16, 16, 2])], 4);
    det.box.forEach((v, j) => expect(v).toBeCloseTo(box[j], 5));
    tf.dispose([t, heat]);
  });

  test('centerNetTargets stacks one packed target per image ([N, size, size, C + 5]) from the shapes instances', async () => {
    const d = generateShapes({ count: 3, seed: 1, size: 64, objects: [1, 3] });
    await expectNoLeak(() => {
      const t = centerNetTargets(d.instances, { size: 16, stride: 4, numClasses: 5 });
      expect(t.shape).toEqual([3, 16, 16, 10]);
      const second = encodeCenterNet(d.instances[1].map((o) => o.box), d.instances[1].map((o) => o.label), { size: 16, stride: 4, numClasses: 5 });
      expect(Array.from(t.dataSync().subarray(16 * 16 * 10, 2 * 16 * 16 * 10))).toEqual(Array.from(second));
      t.dispose();
    });
  });

  test("display.annotate draws a point of the kit's frame on its pixel's centre (and 'edges' half a pixel up-left)", async () => {
    const image = { height: 8, width: 8, channels: 3, data: new Float32Array(8 * 8 * 3) };
    const centreOfDot = async (png: Buffer): Promise<[number, number]> => {
      const img = await loadImage(png);
      const canvas = createCanvas(img.width, img.height);
      const ctx = canvas.getContext('2d');
      ctx.drawImage(img, 0, 0);
      const { data, width } = ctx.getImageData(0, 0, img.width, img.height);
      let sx = 0, sy = 0, n = 0;
      for (let p = 0; p < data.length / 4; p++) if (data[p * 4] > 128) { sx += p % width; sy += Math.floor(p / width); n++; }
      return [sx / n + 0.5, sy / n + 0.5]; // canvas pixel p spans [p, p + 1)
    };
    const scale = 8;
    const [x, y] = await centreOfDot(annotate(image, { points: [[2, 5]] }, { scale }));
    expect(x / scale).toBeCloseTo(2.5, 1); // pixel 2 spans [2, 3) of the upscaled canvas / scale
    expect(y / scale).toBeCloseTo(5.5, 1);
    const [ex] = await centreOfDot(annotate(image, { points: [[2, 5]], units: 'edges' }, { scale }));
    expect(ex / scale).toBeCloseTo(2, 1);
  });
});

test('IoU: 1 for the same box, 0 apart, 1/3 for two unit squares overlapping by half; invariant to translation', () => {
  expect(iou([0, 0, 2, 2], [0, 0, 2, 2])).toBe(1);
  expect(iou([0, 0, 1, 1], [2, 2, 3, 3])).toBe(0);
  expect(iou([0, 0, 2, 2], [1, 0, 3, 2])).toBeCloseTo(1 / 3, 12);
  const rng = new Random(3);
  for (let i = 0; i < 20; i++) {
    const a: Box = [rng.uniform(0, 5), rng.uniform(0, 5), rng.uniform(6, 10), rng.uniform(6, 10)];
    const b: Box = [rng.uniform(0, 5), rng.uniform(0, 5), rng.uniform(6, 10), rng.uniform(6, 10)];
    expect(iou(boxToPixelEdges(a), boxToPixelEdges(b))).toBeCloseTo(iou(a, b), 12);
  }
});

test('NMS keeps the best box of each overlapping group, by decreasing score, and matches the definition on random boxes', () => {
  const boxes: Box[] = [[0, 0, 10, 10], [1, 1, 11, 11], [20, 20, 30, 30], [0, 0, 10, 9]];
  expect(nms(boxes, [0.9, 0.95, 0.5, 0.3], 0.5)).toEqual([1, 2]);
  expect(nms(boxes, [0.9, 0.95, 0.5, 0.3], 0.99)).toEqual([1, 0, 2, 3]);
  expect(() => nms(boxes, [1], 0.5)).toThrow(/4 boxes but 1 scores/);
  const rng = new Random(7);
  const many: Box[] = Array.from({ length: 40 }, () => { const x = rng.uniform(0, 30), y = rng.uniform(0, 30); return [x, y, x + rng.uniform(3, 12), y + rng.uniform(3, 12)]; });
  const scores = many.map(() => rng.next());
  const kept = nms(many, scores, 0.4);
  // Kept boxes overlap each other by at most the threshold; every dropped box overlaps a better kept one more.
  for (const i of kept) for (const j of kept) if (i !== j) expect(iou(many[i], many[j])).toBeLessThanOrEqual(0.4);
  many.forEach((b, i) => { if (!kept.includes(i)) expect(kept.some((k) => scores[k] >= scores[i] && iou(many[k], b) > 0.4)).toBe(true); });
});

test('max-pool NMS keeps the local maxima of each channel (3x3) and zeroes the rest, leaving no tensor', async () => {
  const scores = tf.tensor4d([
    0.1, 0.9, 0.2, 0.0,
    0.3, 0.4, 0.1, 0.0,
    0.0, 0.0, 0.0, 0.7,
  ], [1, 3, 4, 1]);
  await expectNoLeak(() => {
    const out = maxPoolNms(scores);
    expect(Array.from(out.dataSync())).toEqual(Array.from(new Float32Array([0, 0.9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0.7])));
    out.dispose();
  });
  scores.dispose();
});

test('AP@0.5: a duplicate is a false positive, a low-IoU box misses, precision is made monotone', () => {
  const truth = [{ boxes: [[0, 0, 10, 10], [20, 20, 30, 30]] as Box[], classes: [0, 0] }];
  const dets: Detection[][] = [[
    { box: [0, 0, 10, 10], score: 0.9, classId: 0 },
    { box: [0, 0, 10, 10], score: 0.8, classId: 0 },   // duplicate: FP
    { box: [20, 20, 30, 30], score: 0.7, classId: 0 }, // TP at rank 3
    { box: [25, 25, 40, 40], score: 0.6, classId: 0 }, // IoU < 0.5: FP
  ]];
  // recall 0.5 at precision 1, recall 1 at precision 2/3: AP = 0.5 * 1 + 0.5 * 2/3.
  expect(averagePrecision(dets, truth, 1).mean).toBeCloseTo(0.5 + 0.5 * (2 / 3), 6);
  // A class without ground truth is NaN and left out of the mean.
  const two = averagePrecision(dets, truth, 2);
  expect(Number.isNaN(two.perClass[1])).toBe(true);
  expect(two.mean).toBeCloseTo(0.5 + 0.5 * (2 / 3), 6);
});
