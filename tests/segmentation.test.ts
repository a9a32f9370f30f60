/**
 * Lesson 04's operators against hand-computed values: anchors and the box coder, mask targets and
 * pasting, the heads' losses and which channels they train, YOLACT's assembly (a one-hot coefficient
 * gives sigmoid of that prototype: docs/reference.md), COCO mask AP, PQ = SQ x RQ, UPSNet's panoptic
 * merge, tracking by mask IoU, where RoIPool and RoIAlign read, and the scenes data set.
 */
import * as tf from '@tensorflow/tfjs';
import { useBackend, expectNoLeak } from './helpers';
import { Box } from '../lib/ops/boxes';
import { roiAlign, roiAlignValues } from '../lib/ops/roiAlign';
import {
  anchorGrid, encodeBox, decodeBox, matchAnchors, perClassNms, maskTargets, pasteMask, maskIou, downsampleMask, binarize,
  smoothL1Sum, perClassMaskLoss, softmaxMaskLoss, yolactMaskLoss, assembleMasks, cropToBox, maskAveragePrecision,
  panopticQuality, semanticMeanIou, upsnetPanoptic, scenePanoptic, trackByMaskIou, identityConsistency, readRegion,
  misalignment, roundTripMaskIou, sceneTruth, instanceMask,
} from '../lib/segmentation';
import { createHash } from 'crypto';
import { generateScenes, generateSceneVideo, THING_OFFSET } from '../datasets/scenes';
import { generateShapes, ShapesOptions } from '../datasets/shapes';

beforeAll(async () => { await useBackend('cpu'); });

/** An H x W {0, 1} mask of the pixels whose centres lie in the box (kit frame). */
function boxMask(b: Box, h: number, w: number): Uint8Array {
  const m = new Uint8Array(h * w);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) if (x > b[0] && x < b[2] && y > b[1] && y < b[3]) m[y * w + x] = 1;
  return m;
}

describe('anchors and the box coder', () => {
  test('anchor centres sit at s*u + (s-1)/2 (the centre of the cell\'s pixels), one per size, cell-major', () => {
    const a = anchorGrid(2, 3, 4, [8, 16]);
    expect(a).toHaveLength(2 * 3 * 2);
    expect(a[0]).toEqual([1.5 - 4, 1.5 - 4, 1.5 + 4, 1.5 + 4]);
    expect(a[3]).toEqual([5.5 - 8, 1.5 - 8, 5.5 + 8, 1.5 + 8]); // cell (u=1, v=0), second size
    expect(a[6][1]).toBe(5.5 - 4); // row v=1
  });

  test('decode(encode(box)) is the box, for both weightings; the deltas of the anchor itself are zero', () => {
    const anchor: Box = [3, 4, 19, 20], target: Box = [5.5, 2.25, 30, 17];
    for (const w of [[1, 1, 1, 1], [10, 10, 5, 5]] as [number, number, number, number][]) {
      const back = decodeBox(encodeBox(target, anchor, w), anchor, w);
      back.forEach((v, i) => expect(v).toBeCloseTo(target[i], 10));
    }
    expect(encodeBox(anchor, anchor)).toEqual([0, 0, 0, 0]);
    expect(encodeBox([0, 0, 20, 10], [0, 0, 10, 10], [10, 10, 5, 5])).toEqual([10 * 0.5, 0, 5 * Math.log(2), 0]);
  });

  test('matching: positive at IoU >= high, background below low, ignored between', () => {
    const anchors: Box[] = [[0, 0, 10, 10], [0, 0, 10, 8], [0, 0, 10, 6], [20, 20, 30, 30], [100, 100, 110, 110]];
    const { matched } = matchAnchors(anchors, [[0, 0, 10, 10], [21, 21, 29, 29]], 0.7, 0.3, false);
    expect(Array.from(matched)).toEqual([0, 0, -2, -2, -1]); // IoUs 1, 0.8, 0.6, 0.64, 0
  });

  test('low-quality matches: an object whose best IoU is below `high` still gets that anchor', () => {
    const anchors: Box[] = [[0, 0, 10, 10], [40, 40, 50, 50]];
    expect(Array.from(matchAnchors(anchors, [[2, 2, 14, 14]], 0.7, 0.3, false).matched)).toEqual([-2, -1]);
    expect(Array.from(matchAnchors(anchors, [[2, 2, 14, 14]], 0.7, 0.3, true).matched)).toEqual([0, -1]);
  });

  test('per-class NMS: an overlapping box of another class survives, one of the same class does not', () => {
    const kept = perClassNms([
      { box: [0, 0, 10, 10], score: 0.9, classId: 0, source: 0 },
      { box: [1, 1, 10, 10], score: 0.8, classId: 0, source: 1 },
      { box: [1, 1, 10, 10], score: 0.7, classId: 1, source: 2 },
    ], 0.5, 10);
    expect(kept.map((k) => k.source)).toEqual([0, 2]);
  });
});

describe('masks', () => {
  test('mask targets: a mask filling the box gives all ones; its left half gives the left 14 of 28 columns', () => {
    const box: Box = [3.5, 5.5, 19.5, 21.5]; // columns 4..19, rows 6..21: 16 x 16 pixels
    const full = boxMask(box, 32, 32);
    expect(Array.from(maskTargets([full], [box], 32, 32))).toEqual(new Array(28 * 28).fill(1));
    const left = boxMask([3.5, 5.5, 11.5, 21.5], 32, 32);
    const t = maskTargets([left], [box], 32, 32);
    for (let r = 0; r < 28; r++) for (let c = 0; c < 28; c++) expect(t[r * 28 + c]).toBe(c < 14 ? 1 : 0);
  });

  test('roiAlignValues (targets, no tensors) equals roiAlign', () => {
    const data = Float32Array.from({ length: 2 * 6 * 7 * 3 }, (_, i) => Math.sin(i));
    const boxes = [[0.3, 0.7, 5.2, 4.4], [-1, 2, 3.3, 6.9]];
    const o = { outputSize: 3, spatialScale: 1, samplingRatio: -1, aligned: true };
    const a = roiAlign(tf.tensor4d(data, [2, 6, 7, 3]), boxes, [1, 0], o).dataSync();
    const b = roiAlignValues(data, [2, 6, 7, 3], boxes, [1, 0], o);
    b.forEach((v, i) => expect(v).toBeCloseTo(a[i], 5));
  });

  test('pasting an all-ones mask fills exactly the pixels of a pixel-aligned box; targets pasted back recover a shape', () => {
    const box: Box = [4.5, 2.5, 12.5, 9.5];
    expect(Array.from(binarize(pasteMask(new Float32Array(28 * 28).fill(1), 28, box, 16, 16)))).toEqual(Array.from(boxMask(box, 16, 16)));
    const scenes = generateScenes({ count: 3, seed: 5 });
    for (let n = 0; n < 3; n++) {
      const t = sceneTruth(scenes, n);
      t.masks.forEach((m, j) => {
        const back = binarize(pasteMask(maskTargets([m], [t.boxes[j]], 64, 64), 28, t.boxes[j], 64, 64));
        expect(maskIou(back, m)).toBeGreaterThan(0.9);
      });
    }
  });

  test('mask IoU, 2x downsampling and the YOLACT crop on hand-made masks', () => {
    expect(maskIou([1, 1, 0, 0], [0, 1, 1, 0])).toBeCloseTo(1 / 3, 10);
    expect(maskIou([0, 0], [0, 0])).toBe(0);
    const m = [1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 1, 1, 0, 0, 1, 1];
    expect(Array.from(downsampleMask(m, 4, 4, 2))).toEqual([1, 0, 0, 1]); // 3/4 -> 1, 0, 0, 4/4
    // prototype cells of stride 2 have centres at 0.5, 2.5, 4.5, ...: a box [1, 1, 5, 3] holds x 2.5, 4.5 and y 2.5
    expect(Array.from(cropToBox([1, 1, 5, 3], 3, 4, 2))).toEqual([0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0]);
  });
});

describe('losses', () => {
  test('smooth L1 is 0.5 d^2 / beta below beta and |d| - beta / 2 above, weighted and summed', () => {
    const v = smoothL1Sum(tf.tensor1d([0.05, 2, -3]), tf.tensor1d([0, 0, 0]), tf.tensor1d([1, 1, 0.5]), 0.1).dataSync()[0];
    expect(v).toBeCloseTo(0.5 * 0.0025 / 0.1 + (2 - 0.05) + 0.5 * (3 - 0.05), 5);
  });

  test('per-class mask loss: BCE of the ground-truth class channel; the other channels get exactly zero gradient', () => {
    const logits = tf.tensor4d(Float32Array.from({ length: 2 * 2 * 2 * 3 }, (_, i) => Math.sin(i + 1)), [2, 2, 2, 3]);
    const targets = tf.tensor3d([1, 0, 0, 1, 1, 1, 0, 0], [2, 2, 2]);
    const classes = [2, 0];
    const value = perClassMaskLoss(logits, targets, classes, [1, 1]).dataSync()[0];
    const z = logits.dataSync(), t = targets.dataSync();
    let manual = 0;
    for (let r = 0; r < 2; r++) for (let p = 0; p < 4; p++) {
      const x = z[(r * 4 + p) * 3 + classes[r]], y = t[r * 4 + p];
      manual += -(y * Math.log(1 / (1 + Math.exp(-x))) + (1 - y) * Math.log(1 - 1 / (1 + Math.exp(-x))));
    }
    expect(value).toBeCloseTo(manual / 8, 5);
    const g = tf.grad((x: tf.Tensor) => perClassMaskLoss(x as tf.Tensor4D, targets, classes, [1, 1]))(logits).dataSync();
    for (let r = 0; r < 2; r++) for (let p = 0; p < 4; p++) for (let c = 0; c < 3; c++) {
      const gv = g[(r * 4 + p) * 3 + c];
      if (c === classes[r]) expect(Math.abs(gv)).toBeGreaterThan(0); else expect(Math.abs(gv)).toBe(0);
    }
  });

  test('softmax mask loss: the multinomial loss over background + classes; every channel gets a gradient', () => {
    const logits = tf.tensor4d([0, 1, 2, 0, 0, 0], [1, 1, 2, 3]);
    const value = softmaxMaskLoss(logits, tf.tensor3d([1, 0], [1, 1, 2]), [1], [1]).dataSync()[0];
    // pixel 0: label 2 (class 1 + 1) of logits [0, 1, 2]; pixel 1: background of [0, 0, 0]
    const lse = Math.log(1 + Math.E + Math.E ** 2);
    expect(value).toBeCloseTo(((lse - 2) + Math.log(3)) / 2, 5);
    const g = tf.grad((x: tf.Tensor) => softmaxMaskLoss(x as tf.Tensor4D, tf.tensor3d([1, 0], [1, 1, 2]), [1], [1]))(logits).dataSync();
    expect(Array.from(g).every((v) => v !== 0)).toBe(true);
  });

  test('YOLACT: a one-hot coefficient gives sigmoid of that prototype; the mask loss is the in-box BCE over the box area', () => {
    const protos = tf.tensor2d([0.5, -1, 2, 3, -2, 0], [3, 2]);
    const m = assembleMasks(protos, tf.tensor2d([0, 1], [1, 2])).dataSync();
    [-1, 3, 0].forEach((p, i) => expect(m[i]).toBeCloseTo(1 / (1 + Math.exp(-p)), 6));
    const logits = tf.tensor3d([0, 0, 0, 0], [1, 4, 1]);
    const loss = yolactMaskLoss(logits, tf.tensor3d([1, 0, 1, 1], [1, 4, 1]), tf.tensor3d([1, 1, 0, 0], [1, 4, 1]), tf.tensor2d([2], [1, 1]), tf.tensor2d([1], [1, 1])).dataSync()[0];
    expect(loss).toBeCloseTo(Math.log(2), 6); // two pixels of BCE log 2 each, inside a box of area 2
  });

  test('YOLACT instance mask: cropped at prototype resolution, upsampled, thresholded', () => {
    const protos = new Float32Array(4 * 4).fill(5); // 4x4 prototype grid, k = 1, all strongly on
    const m = instanceMask(protos, [1], [-0.5, -0.5, 3.5, 3.5], 4, 4, 8);
    // the box covers image pixels 0..3, i.e. prototype cells 0..1 in each axis: the top-left quarter
    for (let y = 0; y < 8; y++) for (let x = 0; x < 8; x++) expect(m[y * 8 + x]).toBe(x < 4 && y < 4 ? 1 : 0);
  });
});

describe('metrics', () => {
  test('COCO mask AP: perfect detections give 1; TP .9, FP .8, TP .7 over 2 objects give (51 + 50 x 2/3) / 101 at 101 recall points', () => {
    const g = [boxMask([0.5, 0.5, 4.5, 4.5], 10, 10), boxMask([5.5, 5.5, 9.5, 9.5], 10, 10)];
    const truth = [{ masks: g, classes: [0, 0] }];
    expect(maskAveragePrecision([[{ mask: g[0], score: 1, classId: 0 }, { mask: g[1], score: 0.5, classId: 0 }]], truth, 1).mean).toBeCloseTo(1, 10);
    const miss = boxMask([0.5, 5.5, 4.5, 9.5], 10, 10);
    const r = maskAveragePrecision([[{ mask: g[0], score: 0.9, classId: 0 }, { mask: miss, score: 0.8, classId: 0 }, { mask: g[1], score: 0.7, classId: 0 }]], truth, 1, [0.5]);
    expect(r.byThreshold[0].mean).toBeCloseTo((51 + 50 * (2 / 3)) / 101, 10);
    // a detection of the wrong class finds nothing; a class without ground truth is left out of the mean
    expect(maskAveragePrecision([[{ mask: g[0], score: 1, classId: 1 }]], [{ masks: [g[0]], classes: [0] }], 2, [0.5]).mean).toBe(0);
  });

  test('PQ = SQ x RQ: one match at IoU 0.8, one false positive, one false negative -> SQ 0.8, RQ 0.5, PQ 0.4', () => {
    // 1 x 10 image, category 0: GT segments 1 (pixels 0-4) and 2 (pixels 6-8); category 1 (stuff): segment 3 (5, 9).
    // Prediction: segment 1 on 0-3 (IoU 4/5 with GT 1), segment 2 on pixel 9 (lies on GT 3: a false positive).
    const gt = { ids: Int32Array.from([1, 1, 1, 1, 1, 3, 2, 2, 2, 3]), categories: new Map([[1, 0], [2, 0], [3, 1]]) };
    const pred = { ids: Int32Array.from([1, 1, 1, 1, 0, 0, 0, 0, 0, 2]), categories: new Map([[1, 0], [2, 0]]) };
    const r = panopticQuality([pred], [gt], 2, (c) => c === 0).perClass[0];
    expect(r.sq).toBeCloseTo(0.8, 10);
    expect(r.rq).toBeCloseTo(0.5, 10);
    expect(r.pq).toBeCloseTo(0.4, 10);
    expect([r.tp, r.fp, r.fn]).toEqual([1, 1, 1]);
    // a predicted segment lying mostly on void is not a false positive (pixel 9 void in this truth)
    const truthWithVoid = { ids: Int32Array.from([1, 1, 1, 1, 1, 0, 2, 2, 2, 0]), categories: new Map([[1, 0], [2, 0]]) };
    const onVoid = { ids: Int32Array.from([1, 1, 1, 1, 1, 0, 2, 2, 2, 3]), categories: new Map([[1, 0], [2, 0], [3, 0]]) };
    expect(panopticQuality([onVoid], [truthWithVoid], 1, () => true).pq).toBeCloseTo(1, 10);
  });

  test('semantic mean IoU by hand', () => {
    const r = semanticMeanIou([0, 0, 1, 1], [0, 1, 1, 1], 2);
    expect(r.perClass[0]).toBeCloseTo(1 / 2, 10);
    expect(r.perClass[1]).toBeCloseTo(2 / 3, 10);
  });
});

describe('UPSNet panoptic head', () => {
  test('stuff wins outside the instances and where the mask says no, an instance wins in its mask, a thing pixel no instance explains is void', () => {
    // 1 x 4 image, stuff classes 1 (channel 0), thing classes 1 (channel 1)
    const semantic = Float32Array.from([
      2, 0, // stuff
      0, 3, // thing, inside the instance's box and mask
      6, -2, // stuff, inside the box but the mask says no
      0, 3, // thing, outside every box: unknown
    ]);
    const maskLogits = Float32Array.from([4, -4, 4, -4]); // 2x2 mask: left column on
    const out = upsnetPanoptic(semantic, [{ box: [0.5, -0.5, 2.5, 0.5], classId: 0, score: 0.9, maskLogits }], { height: 1, width: 4, stuffClasses: 1, thingClasses: 1, maskSize: 2 });
    expect(Array.from(out.channel)).toEqual([0, 1, 0, -1]);
    expect(Array.from(out.ids)).toEqual([1, 2, 1, 0]);
    expect(out.categories.get(2)).toBe(1);
  });

  test('mask removal drops a same-class instance lying on a kept one, keeps another class', () => {
    const semantic = new Float32Array(4 * 4 * 3);
    const on = new Float32Array(4).fill(5);
    const d = (classId: number, score: number) => ({ box: [-0.5, -0.5, 3.5, 3.5] as Box, classId, score, maskLogits: on });
    expect(upsnetPanoptic(semantic, [d(0, 0.9), d(0, 0.8)], { height: 4, width: 4, stuffClasses: 1, thingClasses: 2, maskSize: 2 }).instances).toHaveLength(1);
    expect(upsnetPanoptic(semantic, [d(0, 0.9), d(1, 0.8)], { height: 4, width: 4, stuffClasses: 1, thingClasses: 2, maskSize: 2 }).instances).toHaveLength(2);
  });

  test('the ground-truth panoptic image of a scene has one segment per stuff class present and per visible object', () => {
    const s = generateScenes({ count: 1, seed: 3 });
    const p = scenePanoptic(s, 0);
    const stuff = new Set(Array.from(s.stuff.subarray(0, 64 * 64)).filter((_, i) => s.semantic[i] < THING_OFFSET));
    const visible = s.instances[0].filter((o) => o.mask.some((v) => v)).length;
    expect(p.categories.size).toBe(stuff.size + visible);
    expect(panopticQuality([p], [p], 8, (c) => c >= THING_OFFSET).pq).toBeCloseTo(1, 10);
  });
});

describe('tracking (VPSNet idea)', () => {
  test('ids follow objects by mask IoU whatever the detection order; ids by order switch', () => {
    const frames = 6;
    const at = (x: number) => boxMask([x - 0.5, 0.5, x + 3.5, 4.5], 6, 20);
    const truth = Array.from({ length: frames }, (_, t) => [at(1 + t), at(12 - t)]);
    const dets = truth.map((objs, t) => (t % 2 ? [objs[1], objs[0]] : objs).map((mask) => ({ mask, classId: 0 })));
    const ids = trackByMaskIou(dets);
    const r = identityConsistency(truth, dets, ids);
    expect(r.consistency).toBe(1);
    expect(r.switches).toBe(0);
    const byOrder = dets.map((d) => d.map((_, i) => i));
    expect(identityConsistency(truth, dets, byOrder).consistency).toBe(0);
  });
});

describe('where RoIPool and RoIAlign read', () => {
  test('RoIPool\'s region: rounded to the stride plus one cell; RoIAlign aligned reads the box; not aligned shifts by half a cell', () => {
    const box: Box = [9.5, 9.5, 29.5, 29.5]; // pixel edges [10, 30]
    expect(readRegion(box, 1, 'pool')).toEqual([9.5, 9.5, 30.5, 30.5]); // the "+1"
    expect(readRegion(box, 8, 'pool')).toEqual([7.5, 7.5, 39.5, 39.5]); // round(10/8)=1, round(30/8)=4: cells 1..4
    expect(readRegion(box, 8, 'align')).toEqual(box);
    expect(readRegion(box, 8, 'align, not aligned')).toEqual([13.5, 13.5, 33.5, 33.5]);
    expect(misalignment([box], 8, 'align').iou).toBe(1);
    expect(misalignment([box], 16, 'pool').iou).toBeLessThan(misalignment([box], 4, 'pool').iou);
  });

  test('a mask read back through RoIAlign at stride 4 keeps its shape better than through RoIPool, and no tensor leaks', async () => {
    const s = generateScenes({ count: 4, seed: 9 });
    let align = 0, pool = 0;
    await expectNoLeak(() => {
      for (let n = 0; n < 4; n++) {
        const t = sceneTruth(s, n);
        t.masks.forEach((m, j) => { align += roundTripMaskIou(m, t.boxes[j], 64, 4, 'align').iou; pool += roundTripMaskIou(m, t.boxes[j], 64, 4, 'pool').iou; });
      }
    });
    expect(align).toBeGreaterThan(pool);
  });
});

describe('the scenes data set', () => {
  test('generateShapes gives the same bytes as before scenes reused its drawing (sha256 recorded before the change)', () => {
    const recorded: [object, string][] = [
      [{ count: 50, seed: 1 }, 'a955e748ea4d566c'],
      [{ count: 30, seed: 2, size: 64, objects: [1, 3], radius: [0.1, 0.2] }, 'ce26532336260d07'],
      [{ count: 20, seed: 3, background: 'stripes', noise: 0 }, '90b2518744212c20'],
      [{ count: 20, seed: 4, classes: [0, 2], objects: 4 }, 'e426c0ecaeb69b32'],
      [{ count: 20, seed: 5, size: 48, objects: [0, 5], background: 'plain' }, 'a09bb9928fdb3fd9'],
    ];
    for (const [options, digest] of recorded) {
      const d = generateShapes(options as ShapesOptions);
      const h = createHash('sha256');
      h.update(Buffer.from(d.images.buffer)); h.update(Buffer.from(d.labels.buffer));
      h.update(JSON.stringify(d.instances.map((l) => l.map((i) => ({ ...i, mask: Array.from(i.mask).join('') })))));
      expect(h.digest('hex').slice(0, 16)).toBe(digest);
    }
  });

  test('deterministic by seed; semantic labels are the stuff under the objects and each object\'s class on its mask', () => {
    const a = generateScenes({ count: 5, seed: 11 }), b = generateScenes({ count: 5, seed: 11 });
    expect(Buffer.from(a.images.buffer).equals(Buffer.from(b.images.buffer))).toBe(true);
    expect(Buffer.from(a.semantic).equals(Buffer.from(b.semantic))).toBe(true);
    expect(generateScenes({ count: 5, seed: 12 }).images).not.toEqual(a.images);
    for (let n = 0; n < 5; n++) {
      const owner = new Int16Array(64 * 64).fill(-1);
      a.instances[n].forEach((o, k) => o.mask.forEach((v, p) => { if (v) owner[p] = k; }));
      for (let p = 0; p < 64 * 64; p++) {
        const expected = owner[p] >= 0 ? THING_OFFSET + a.instances[n][owner[p]].label : a.stuff[n * 4096 + p];
        if (a.semantic[n * 4096 + p] !== expected) throw new Error(`image ${n} pixel ${p}: ${a.semantic[n * 4096 + p]} != ${expected}`);
      }
    }
    const classes = new Set(Array.from(a.stuff));
    expect(classes.has(0) && classes.has(1)).toBe(true);
  });

  test('the video: each track moves a little between frames (consecutive masks overlap) and keeps its class', () => {
    const v = generateSceneVideo({ seed: 4, frames: 8 });
    expect(v.count).toBe(8);
    for (let t = 1; t < 8; t++) v.instances[t].forEach((o, k) => {
      expect(o.label).toBe(v.instances[0][k].label);
      const prev = v.instances[t - 1][k].mask;
      if (o.mask.some((x) => x) && prev.some((x) => x)) expect(maskIou(o.mask, prev)).toBeGreaterThan(0.3);
    });
  });
});
