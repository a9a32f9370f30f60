/**
 * CenterNet targets and decoding (Zhou et al. 2019; xingyizhou/CenterNet), at output stride s:
 * every object is a point — its box centre c = ((x1 + x2) / 2, (y1 + y2) / 2) / s — splatted as a
 * Gaussian on its class's heatmap at the integer cell floor(c), with the box size (w, h) / s and the
 * sub-cell offset c - floor(c) regressed at that cell. Decoding: sigmoid, 3x3 max-pool NMS (a peak is
 * a cell equal to the max of its neighbourhood), top K, then box = (cell + offset) * s -/+ size * s / 2.
 *
 * The Gaussian radius. CenterNet's gaussian_radius (inherited from CornerNet) solves three quadratics
 * for the largest corner shift that keeps IoU >= min_overlap, but returns (b + sqrt(D)) / 2 where the
 * root is (b - sqrt(D)) / (2a): for a 10x10 box it gives 2.73 where the intended radius is 0.82. We
 * use CenterNet's formula as released (`variant: 'centernet'`, the default): every published
 * CenterNet model was trained with it, and at stride 4 the corrected radius of our 8-20 px objects is
 * below one output cell, which turns the targets into single hot pixels. `'corrected'` is the
 * intended formula; both are tested (tests/landmarks.test.ts) and compared in lesson 03.
 */
import * as tf from '@tensorflow/tfjs';

export type Box = [number, number, number, number];

export interface Detection { box: Box; score: number; classId: number }

/** Gaussian radius for a box of `height` x `width` (output pixels) and IoU `minOverlap` (default 0.7). */
export function gaussianRadius(height: number, width: number, minOverlap = 0.7, variant: 'centernet' | 'corrected' = 'centernet'): number {
  const a1 = 1, b1 = height + width, c1 = (width * height * (1 - minOverlap)) / (1 + minOverlap);
  const a2 = 4, b2 = 2 * (height + width), c2 = (1 - minOverlap) * width * height;
  const a3 = 4 * minOverlap, b3 = -2 * minOverlap * (height + width), c3 = (minOverlap - 1) * width * height;
  const sq1 = Math.sqrt(b1 * b1 - 4 * a1 * c1);
  const sq2 = Math.sqrt(b2 * b2 - 4 * a2 * c2);
  const sq3 = Math.sqrt(b3 * b3 - 4 * a3 * c3);
  if (variant === 'centernet') return Math.min((b1 + sq1) / 2, (b2 + sq2) / 2, (b3 + sq3) / 2);
  return Math.min((b1 - sq1) / (2 * a1), (b2 - sq2) / (2 * a2), (b3 + sq3) / (2 * a3));
}

export interface CenterNetTargetOptions {
  /** Output heatmap side (image side / stride). */
  size: number;
  stride: number;
  numClasses: number;
  radius?: 'centernet' | 'corrected';
}

/**
 * Packed targets [size, size, C + 5] for one image: C heatmaps (max of the objects' Gaussians,
 * exactly 1 at each centre cell), size (w, h), offset (dx, dy), mask (1 at centre cells).
 */
export function encodeCenterNet(boxes: Box[], classes: number[], o: CenterNetTargetOptions): Float32Array {
  const { size, stride, numClasses: c } = o;
  const depth = c + 5;
  const out = new Float32Array(size * size * depth);
  boxes.forEach(([x1, y1, x2, y2], i) => {
    const w = (x2 - x1) / stride, h = (y2 - y1) / stride;
    const cx = (x1 + x2) / 2 / stride, cy = (y1 + y2) / 2 / stride;
    const ix = Math.min(size - 1, Math.max(0, Math.floor(cx))), iy = Math.min(size - 1, Math.max(0, Math.floor(cy)));
    const radius = Math.max(0, Math.floor(gaussianRadius(Math.ceil(h), Math.ceil(w), 0.7, o.radius ?? 'centernet')));
    const sigma = (2 * radius + 1) / 6;
    for (let y = Math.max(0, iy - radius); y <= Math.min(size - 1, iy + radius); y++) {
      for (let x = Math.max(0, ix - radius); x <= Math.min(size - 1, ix + radius); x++) {
        const v = Math.exp(-((x - ix) ** 2 + (y - iy) ** 2) / (2 * sigma * sigma));
        const at = (y * size + x) * depth + classes[i];
        if (v > out[at]) out[at] = v;
      }
    }
    const at = (iy * size + ix) * depth;
    out[at + classes[i]] = 1;
    out[at + c] = w; out[at + c + 1] = h;
    out[at + c + 2] = cx - ix; out[at + c + 3] = cy - iy;
    out[at + c + 4] = 1;
  });
  return out;
}

/**
 * Detections from CenterNet outputs for each image of the batch: peaks of sigmoid(heatmap) that
 * survive 3x3 max-pool NMS, the top `k` by score (default 100), above `threshold` (default 0.05).
 */
export function decodeCenterNet(outputs: tf.Tensor[], stride: number, k = 100, threshold = 0.05): Detection[][] {
  const [heat, size, offset] = outputs;
  const [n, h, w, c] = heat.shape as number[];
  const [peaks, sizes, offsets] = tf.tidy(() => {
    const p = tf.sigmoid(heat);
    const max = tf.maxPool(p as tf.Tensor4D, 3, 1, 'same');
    return [p.mul(p.equal(max).toFloat()).dataSync(), size.dataSync(), offset.dataSync()];
  });
  const out: Detection[][] = [];
  for (let b = 0; b < n; b++) {
    const cand: { score: number; i: number; cls: number }[] = [];
    for (let i = 0; i < h * w; i++) for (let cls = 0; cls < c; cls++) {
      const s = peaks[(b * h * w + i) * c + cls];
      if (s >= threshold) cand.push({ score: s, i, cls });
    }
    cand.sort((p, q) => q.score - p.score);
    out.push(cand.slice(0, k).map(({ score, i, cls }) => {
      const y = Math.floor(i / w), x = i % w;
      const base = (b * h * w + i) * 2;
      const cx = (x + offsets[base]) * stride, cy = (y + offsets[base + 1]) * stride;
      const bw = sizes[base] * stride, bh = sizes[base + 1] * stride;
      return { box: [cx - bw / 2, cy - bh / 2, cx + bw / 2, cy + bh / 2] as Box, score, classId: cls };
    }));
  }
  return out;
}

export function iou(a: Box, b: Box): number {
  const ix = Math.max(0, Math.min(a[2], b[2]) - Math.max(a[0], b[0]));
  const iy = Math.max(0, Math.min(a[3], b[3]) - Math.max(a[1], b[1]));
  const inter = ix * iy;
  const union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter;
  return union > 0 ? inter / union : 0;
}

/**
 * Average precision at an IoU threshold (default 0.5), per class and their mean, VOC style: detections
 * sorted by score, each matched greedily to the best unmatched ground-truth box of its class with IoU
 * >= threshold; AP = area under the precision-recall curve with precision made monotone (all points).
 */
export function averagePrecision(detections: Detection[][], truth: { boxes: Box[]; classes: number[] }[], numClasses: number, iouThreshold = 0.5): { perClass: number[]; mean: number } {
  const perClass: number[] = [];
  for (let cls = 0; cls < numClasses; cls++) {
    const dets: { score: number; image: number; box: Box }[] = [];
    detections.forEach((d, image) => d.forEach((x) => { if (x.classId === cls) dets.push({ score: x.score, image, box: x.box }); }));
    dets.sort((a, b) => b.score - a.score);
    const gts = truth.map((t) => t.boxes.filter((_, i) => t.classes[i] === cls));
    const total = gts.reduce((s, g) => s + g.length, 0);
    if (total === 0) { perClass.push(NaN); continue; }
    const used = gts.map((g) => g.map(() => false));
    const tp: number[] = [];
    for (const d of dets) {
      let best = -1, bestIou = iouThreshold;
      gts[d.image].forEach((g, j) => { const v = iou(d.box, g); if (!used[d.image][j] && v >= bestIou) { best = j; bestIou = v; } });
      if (best >= 0) used[d.image][best] = true;
      tp.push(best >= 0 ? 1 : 0);
    }
    const precision: number[] = [], recall: number[] = [];
    let cum = 0;
    tp.forEach((t, i) => { cum += t; precision.push(cum / (i + 1)); recall.push(cum / total); });
    for (let i = precision.length - 2; i >= 0; i--) precision[i] = Math.max(precision[i], precision[i + 1]);
    let ap = 0, prevRecall = 0;
    for (let i = 0; i < precision.length; i++) { ap += (recall[i] - prevRecall) * precision[i]; prevRecall = recall[i]; }
    perClass.push(ap);
  }
  const valid = perClass.filter((x) => !Number.isNaN(x));
  return { perClass, mean: valid.length ? valid.reduce((a, b) => a + b, 0) / valid.length : 0 };
}
