/**
 * The lesson's two controlled experiments on Mask R-CNN's mask head, with everything else fixed:
 *
 *  1. RoIPool vs RoIAlign (the lecture: "pooling uses integer coordinates, RoIAlign fractional ones"):
 *     the same FPN and the same mask head, RoI features read from one pyramid level (stride 4, 8 or 16)
 *     with torchvision's RoIPool (coordinates rounded to the feature grid) or RoIAlign (aligned,
 *     sampling ratio 2).
 *  2. Per-class sigmoid masks vs a per-pixel softmax over the classes (seed 001's question; Mask R-CNN
 *     Table 2b): the same network and RoIAlign, `perClassMaskLoss` or `softmaxMaskLoss`.
 *
 * The RoIs are the ground-truth boxes (at most 4 per image), so detection plays no part: what differs
 * is only how the mask head reads its features, or how its output is normalised. Evaluated on test
 * scenes with the ground-truth boxes and classes: mean mask IoU, and COCO mask AP at IoU 0.5 and 0.75
 * (scored by the mean mask probability inside the predicted mask).
 */
import * as tf from '@tensorflow/tfjs';
import { Box, boxToPixelEdges } from '../ops/boxes';
import { roiAlign } from '../ops/roiAlign';
import { roiPool } from '../ops/roiPool';
import { Random } from '../runtime/random';
import { buildFeaturePyramid, buildMaskHead } from '../nn/segmentation';
import { maskTargets, pasteMask, maskIou } from './masks';
import { perClassMaskLoss, softmaxMaskLoss } from './losses';
import { maskAveragePrecision, MaskDetection } from './metrics';
import { SceneBatch, sceneBatch, sceneTruth } from './training';
import type { SceneDataset } from '../../datasets/scenes';

export interface MaskHeadSetup {
  /** The pyramid level the RoIs read: stride 4 (P2), 8 (P3) or 16 (P4). */
  stride: 4 | 8 | 16;
  roiOperator: 'align' | 'pool';
  maskLoss: 'sigmoid' | 'softmax';
  numClasses: number;
  imageSize: number;
  /** Channels of the pyramid and of the mask head (default 24). */
  features?: number;
  widths?: [number, number, number, number];
}

/** The experiments' default network: smaller than the two-stage model's, so 18 runs fit one recipe. */
export const MASK_HEAD_SETUP: MaskHeadSetup = { stride: 4, roiOperator: 'align', maskLoss: 'sigmoid', numClasses: 5, imageSize: 64, features: 24, widths: [16, 24, 32, 48] };

const ROI_SIZE = 14;
const MASKS_PER_IMAGE = 4;

export interface MaskHeadNetwork { setup: MaskHeadSetup; pyramid: tf.LayersModel; maskHead: tf.LayersModel }

/** A new, seeded network for one setup. */
export function createMaskHeadNetwork(setup: MaskHeadSetup, seed: number): MaskHeadNetwork {
  const features = setup.features ?? 24;
  const pyramid = buildFeaturePyramid({ inputShape: [setup.imageSize, setup.imageSize, 3], widths: setup.widths, features, seed });
  const maskHead = buildMaskHead({ roiSize: ROI_SIZE, features, outputs: setup.numClasses + (setup.maskLoss === 'softmax' ? 1 : 0), convs: 2, seed: seed + 500 });
  return { setup, pyramid, maskHead };
}

export function maskHeadVariables(net: MaskHeadNetwork): tf.Variable[] {
  return [net.pyramid, net.maskHead].flatMap((m) => m.trainableWeights.map((w) => w.read() as tf.Variable));
}

/**
 * RoI features of kit-frame boxes (boxes[n] in image n) read from `level` at `stride` with the setup's
 * operator: [total boxes, 14, 14, F].
 */
export function readRois(level: tf.Tensor4D, boxes: Box[][], stride: number, operator: 'align' | 'pool'): tf.Tensor4D {
  const flat = boxes.flatMap((list) => list.map(boxToPixelEdges));
  const index = boxes.flatMap((list, n) => list.map(() => n));
  return operator === 'align'
    ? roiAlign(level, flat, index, { outputSize: ROI_SIZE, spatialScale: 1 / stride, samplingRatio: 2, aligned: true })
    : roiPool(level, flat, index, { outputSize: ROI_SIZE, spatialScale: 1 / stride });
}

const levelOf = (stride: number) => ({ 4: 0, 8: 1, 16: 2 } as Record<number, number>)[stride];

/** The mask loss of a batch with the ground-truth boxes as RoIs (call inside a tape). */
export function maskHeadLoss(net: MaskHeadNetwork, batch: SceneBatch, rng: Random): { total: tf.Scalar; parts: Record<string, tf.Scalar> } {
  const { setup } = net;
  const levels = net.pyramid.apply(batch.images, { training: true }) as tf.Tensor4D[];
  const chosen = batch.truth.map((t) => rng.shuffle(t.boxes.map((_, j) => j)).slice(0, MASKS_PER_IMAGE));
  const boxes = chosen.map((js, n) => js.map((j) => batch.truth[n].boxes[j]));
  const classes = chosen.flatMap((js, n) => js.map((j) => batch.truth[n].classes[j]));
  const targets = chosen.flatMap((js, n) => Array.from(maskTargets(js.map((j) => batch.truth[n].masks[j]), boxes[n], setup.imageSize, setup.imageSize)));
  const logits = net.maskHead.apply(readRois(levels[levelOf(setup.stride)], boxes, setup.stride, setup.roiOperator), { training: true }) as tf.Tensor4D;
  const m = logits.shape[1];
  const t = tf.tensor3d(targets, [classes.length, m, m]);
  const ones = classes.map(() => 1);
  const maskLoss = setup.maskLoss === 'sigmoid' ? perClassMaskLoss(logits, t, classes, ones) : softmaxMaskLoss(logits, t, classes, ones);
  return { total: maskLoss, parts: {} };
}

export interface MaskHeadEvaluation {
  /** Mean IoU of the predicted and true masks over every test object. */
  meanIou: number;
  ap50: number;
  ap75: number;
  /** Per object: the mask's probability mass on the object's class, mean over its true pixels (sigmoid: its channel). */
  foregroundProbability: number;
}

/** Predicted masks (H * W probabilities) of the ground-truth objects of images [start, end) of `data`. */
export function predictTruthMasks(net: MaskHeadNetwork, data: SceneDataset, indices: number[]): { masks: Float32Array[]; classes: number[]; image: number[] } {
  const { setup } = net;
  const batch = sceneBatch(data, indices);
  const out: { masks: Float32Array[]; classes: number[]; image: number[] } = { masks: [], classes: [], image: [] };
  const boxes = batch.truth.map((t) => t.boxes);
  const probs = tf.tidy(() => {
    const levels = net.pyramid.predict(batch.images) as tf.Tensor4D[];
    const logits = net.maskHead.predict(readRois(levels[levelOf(setup.stride)], boxes, setup.stride, setup.roiOperator)) as tf.Tensor4D;
    return setup.maskLoss === 'sigmoid' ? tf.sigmoid(logits) : tf.softmax(logits);
  });
  const values = probs.dataSync();
  const [r, m, , k] = probs.shape;
  probs.dispose();
  batch.images.dispose();
  let row = 0;
  batch.truth.forEach((t, n) => t.boxes.forEach((box, j) => {
    const channel = t.classes[j] + (setup.maskLoss === 'softmax' ? 1 : 0);
    const cell = new Float32Array(m * m);
    for (let p = 0; p < m * m; p++) cell[p] = values[(row * m * m + p) * k + channel];
    out.masks.push(pasteMask(cell, m, box, setup.imageSize, setup.imageSize));
    out.classes.push(t.classes[j]);
    out.image.push(n);
    row++;
  }));
  if (row !== r) throw new Error(`predictTruthMasks: ${r} RoIs for ${row} objects`);
  return out;
}

/** Mean mask IoU and mask AP@0.5 / 0.75 of the network on `data`'s ground-truth boxes. */
export function evaluateMaskHead(net: MaskHeadNetwork, data: SceneDataset, chunk = 50): MaskHeadEvaluation {
  const detections: MaskDetection[][] = [], truth = [];
  let iouSum = 0, fgSum = 0, objects = 0;
  for (let start = 0; start < data.count; start += chunk) {
    const indices = Array.from({ length: Math.min(chunk, data.count - start) }, (_, i) => start + i);
    const pred = predictTruthMasks(net, data, indices);
    const perImage: MaskDetection[][] = indices.map(() => []);
    pred.masks.forEach((probabilities, i) => {
      const n = pred.image[i];
      const t = sceneTruth(data, indices[n]);
      const j = perImage[n].length;
      const mask = new Uint8Array(probabilities.length);
      let inside = 0, count = 0, fg = 0;
      for (let p = 0; p < mask.length; p++) {
        if (probabilities[p] >= 0.5) { mask[p] = 1; inside += probabilities[p]; count++; }
        if (t.masks[j][p]) fg += probabilities[p];
      }
      iouSum += maskIou(mask, t.masks[j]);
      fgSum += fg / Math.max(1, t.masks[j].reduce((s, v) => s + v, 0));
      objects++;
      perImage[n].push({ mask, score: count > 0 ? inside / count : 0, classId: pred.classes[i] });
    });
    detections.push(...perImage);
    truth.push(...indices.map((n) => sceneTruth(data, n)));
  }
  const ap = maskAveragePrecision(detections, truth, net.setup.numClasses, [0.5, 0.75]);
  return { meanIou: iouSum / Math.max(1, objects), ap50: ap.byThreshold[0].mean, ap75: ap.byThreshold[1].mean, foregroundProbability: fgSum / Math.max(1, objects) };
}
