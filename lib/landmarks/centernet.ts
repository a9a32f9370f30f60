/**
 * CenterNet (Zhou et al. 2019, "Objects as Points"; xingyizhou/CenterNet): targets, decoding and
 * loss in one place. The network is lib/nn/hourglass.ts's buildCenterNet (outputs [heatmap logits
 * [N, H, W, C], size [N, H, W, 2], offset [N, H, W, 2]]); AP is lib/ops/averagePrecision.ts.
 *
 * Every object is a point: its box centre, splatted as a Gaussian on its class's heatmap at the
 * output cell that contains it, with the box size (w, h) / s and the centre's position inside that
 * cell regressed at that cell. Decoding: sigmoid, 3x3 max-pool NMS (a peak is a cell equal to the
 * max of its neighbourhood), top K, then the box back in image pixels.
 *
 * Coordinates: boxes in the kit's frame (pixel centres at integers, lib/ops/boxes.ts). At output
 * stride s, cell u covers the image columns s*u .. s*u + s - 1; an image coordinate x sits at
 * g = (x + 0.5) / s on the grid measured from the cells' edges, so its cell is floor(g) and the
 * offset target g - floor(g) is in [0, 1). This is CenterNet's `ct / down_ratio` written in the
 * kit's frame (CenterNet's COCO boxes are pixel edges, i.e. x + 0.5). Decoding inverts it:
 * x = (cell + offset) * s - 0.5.
 *
 * Packed targets, one image: [size, size, C + 5] = C heatmaps, size (w, h), offset (dx, dy), mask
 * (1 at centre cells); `centerNetTargets` stacks them for a batch, `centerNetLoss` unpacks them.
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
import { Box } from '../ops/boxes';
import { Detection } from '../ops/averagePrecision';
import { maxPoolNms, nms } from '../ops/nms';

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

/** Channels of the packed targets for `numClasses` classes: C heatmaps, size 2, offset 2, mask 1. */
export function centerNetChannels(numClasses: number): number {
  return numClasses + 5;
}

/**
 * Packed targets [size, size, C + 5] for one image (flat, HWC): C heatmaps (max of the objects'
 * Gaussians, exactly 1 at each centre cell), size (w, h) in output cells, offset (dx, dy) in [0, 1),
 * mask (1 at centre cells). `boxes` in image pixels, the kit's frame; `classes` in [0, C).
 */
export function encodeCenterNet(boxes: Box[], classes: number[], o: CenterNetTargetOptions): Float32Array {
  const { size, stride, numClasses: c } = o;
  const depth = centerNetChannels(c);
  const out = new Float32Array(size * size * depth);
  boxes.forEach(([x1, y1, x2, y2], i) => {
    const w = (x2 - x1) / stride, h = (y2 - y1) / stride;
    const cx = ((x1 + x2) / 2 + 0.5) / stride, cy = ((y1 + y2) / 2 + 0.5) / stride;
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
 * Packed targets for a batch: [N, size, size, C + 5], image n from `objects[n]` (each object's box,
 * in the kit's frame, and class index `label`: what the shapes generator's instances carry).
 * Caller disposes.
 */
export function centerNetTargets(objects: { box: Box; label: number }[][], o: CenterNetTargetOptions): tf.Tensor4D {
  const depth = centerNetChannels(o.numClasses);
  const perImage = o.size * o.size * depth;
  const out = new Float32Array(objects.length * perImage);
  objects.forEach((list, n) => out.set(encodeCenterNet(list.map((x) => x.box), list.map((x) => x.label), o), n * perImage));
  return tf.tensor4d(out, [objects.length, o.size, o.size, depth]);
}

/**
 * Detections from CenterNet outputs for each image of the batch: peaks of sigmoid(heatmap) that
 * survive 3x3 max-pool NMS, the top `k` by score (default 100), above `threshold` (default 0.05);
 * boxes in image pixels, the kit's frame.
 */
export function decodeCenterNet(outputs: tf.Tensor[], stride: number, k = 100, threshold = 0.05): Detection[][] {
  const [heat, size, offset] = outputs;
  const [n, h, w, c] = heat.shape as number[];
  const peaksTensor = tf.tidy(() => maxPoolNms(tf.sigmoid(heat) as tf.Tensor4D));
  // Read outside tidy: tidy walks every element of a returned typed array.
  const [peaks, sizes, offsets] = [peaksTensor.dataSync(), size.dataSync(), offset.dataSync()];
  peaksTensor.dispose();
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
      const cx = (x + offsets[base]) * stride - 0.5, cy = (y + offsets[base + 1]) * stride - 0.5;
      const bw = sizes[base] * stride, bh = sizes[base + 1] * stride;
      return { box: [cx - bw / 2, cy - bh / 2, cx + bw / 2, cy + bh / 2] as Box, score, classId: cls };
    }));
  }
  return out;
}

/**
 * CenterNet's focal loss (Law & Deng's variant of Lin et al.), exactly as CenterNet's _neg_loss:
 * p = clamp(sigmoid(logit), 1e-4, 1 - 1e-4); at peaks (y = 1): (1 - p)^2 log p; elsewhere
 * (1 - y)^4 p^2 log(1 - p); the sum divided by the number of peaks (or just the negative sum when
 * there is none). `logits` and `heatmapTarget` [N, H, W, C]; the target is the Gaussian-splatted
 * heatmap, 1 exactly at object centres.
 */
export function focalLoss(logits: tf.Tensor, heatmapTarget: tf.Tensor): tf.Scalar {
  return tf.tidy(() => {
    const p = tf.sigmoid(logits).clipByValue(1e-4, 1 - 1e-4);
    const pos = heatmapTarget.equal(1).toFloat();
    const neg = tf.sub(1, pos);
    const posLoss = tf.log(p).mul(tf.square(tf.sub(1, p))).mul(pos).sum();
    const negLoss = tf.log(tf.sub(1, p)).mul(tf.square(p)).mul(tf.pow(tf.sub(1, heatmapTarget), 4)).mul(neg).sum();
    const numPos = pos.sum();
    return tf.neg(tf.add(posLoss, negLoss)).div(tf.maximum(numPos, 1)) as tf.Scalar;
  });
}

/** L1 of `pred` against `target` at the masked centres, / (mask sum x channels + 1e-4) (CenterNet's RegL1Loss). */
export function maskedL1(pred: tf.Tensor, target: tf.Tensor, mask: tf.Tensor): tf.Scalar {
  return tf.tidy(() => {
    const channels = pred.shape[pred.rank - 1] as number;
    return tf.abs(tf.sub(pred, target)).mul(mask).sum().div(mask.sum().mul(channels).add(1e-4)) as tf.Scalar;
  });
}

/**
 * CenterNet's loss: focal loss on the heatmap + 0.1 x L1 size + 1 x L1 offset at the centres (the
 * paper's weights), from the model's outputs and packed targets [N, H, W, C + 5]. Returns the total
 * and its three parts; caller disposes.
 */
export function centerNetLoss(outputs: tf.Tensor[], packed: tf.Tensor): { total: tf.Scalar; heatmap: tf.Scalar; size: tf.Scalar; offset: tf.Scalar } {
  return tf.tidy(() => {
    const [heatLogits, size, offset] = outputs;
    const c = heatLogits.shape[3] as number;
    const [n, h, w] = packed.shape;
    const part = (start: number, count: number) => packed.slice([0, 0, 0, start], [n, h, w, count]);
    const heatmap = focalLoss(heatLogits, part(0, c));
    const mask = part(c + 4, 1);
    const sizeLoss = maskedL1(size, part(c, 2), mask);
    const offsetLoss = maskedL1(offset, part(c + 2, 2), mask);
    return { total: tf.addN([heatmap, sizeLoss.mul(0.1), offsetLoss]) as tf.Scalar, heatmap, size: sizeLoss, offset: offsetLoss };
  });
}

/**
 * One label per object: greedy NMS across classes (`ops.nms` on all of an image's detections,
 * IoU > `iouThreshold`, default 0.5, drops the lower score), for pictures. CenterNet's per-class
 * heatmaps can fire for two classes at one centre (a star that also looks a little like a cross);
 * AP counts each class separately, a picture shows one box per object. Order: by decreasing score.
 */
export function oneLabelPerObject(detections: Detection[], iouThreshold = 0.5): Detection[] {
  return nms(detections.map((d) => d.box), detections.map((d) => d.score), iouThreshold).map((i) => detections[i]);
}
