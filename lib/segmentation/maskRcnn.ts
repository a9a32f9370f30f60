/**
 * Mask R-CNN's idea on 2 cores (He et al. 2017; torchvision.models.detection as the reference for
 * every default named here), with UPSNet's semantic head beside it for the panoptic section:
 *
 *   stage 1  an FPN backbone (lib/nn/segmentation.ts) and an RPN on P2 (stride 4): per anchor an
 *            objectness logit and box deltas. Proposals: top `preNms` by objectness, decoded, clipped,
 *            NMS at 0.7, the best `postNms` kept.
 *   stage 2  RoIAlign (aligned, sampling ratio 2) of P2 in each proposal -> box head: class
 *            (background + C) and class-specific box deltas; RoIAlign 14x14 -> the FCN mask head:
 *            one 28x28 binary mask per class, trained with BCE on the ground-truth class's channel
 *            only (`perClassMaskLoss`); at inference the predicted class's channel, sigmoid, pasted
 *            into the image (`pasteMask`) and thresholded at 0.5.
 *
 * Training as torchvision: RPN anchors are positive at IoU >= 0.6 (plus each object's best anchors),
 * negative below 0.3, 32 sampled per image, at most half positive, BCE + smooth L1 (beta 1/9);
 * the box head sees the proposals plus the ground-truth boxes, 16 RoIs per image, at most 25%
 * foreground (IoU >= 0.5), cross-entropy + smooth L1 on (10, 10, 5, 5)-weighted deltas; the mask head
 * sees 4 foreground RoIs per image (drawn with replacement when fewer) with targets from RoIAlign of
 * the ground-truth mask (`maskTargets`).
 */
import * as tf from '@tensorflow/tfjs';
import { Box, boxToPixelEdges, iou } from '../ops/boxes';
import { nms } from '../ops/nms';
import { roiAlign } from '../ops/roiAlign';
import { Random } from '../runtime/random';
import { buildMaskRcnnBackbone, buildBoxHead, buildMaskHead } from '../nn/segmentation';
import { anchorGrid, encodeBox, decodeBox, clipBox, matchAnchors, perClassNms, CoderWeights, ScoredBox } from './anchors';
import { maskTargets, pasteMask } from './masks';
import { smoothL1Sum, perClassMaskLoss, softmaxMaskLoss, softmaxCrossEntropyWithOneHot } from './losses';
import { InstanceTruth, SceneBatch } from './training';

export interface MaskRcnnConfig {
  imageSize: number;
  numClasses: number;
  /** Semantic classes of the UPSNet head (stuff + things); 0: no semantic head. */
  semanticClasses: number;
  anchorSizes: number[];
  features: number;
  widths: [number, number, number, number];
  /** 'sigmoid': C per-class masks (Mask R-CNN); 'softmax': C + 1 channels competing per pixel. */
  maskLoss: 'sigmoid' | 'softmax';
  /** 3x3 convolutions of the mask head. */
  maskConvs: number;
}

export const MASK_RCNN_CONFIG: MaskRcnnConfig = {
  imageSize: 64, numClasses: 5, semanticClasses: 8, anchorSizes: [10, 16, 24], features: 32, widths: [16, 32, 48, 64], maskLoss: 'sigmoid', maskConvs: 2,
};

/** The stride of P2, where the RPN runs and RoIs are read. */
export const P2_STRIDE = 4;
const BOX_WEIGHTS: CoderWeights = [10, 10, 5, 5];
const RPN = { perImage: 32, positiveFraction: 0.5, high: 0.6, low: 0.3, preNms: 64, nms: 0.7, postNmsTrain: 12, postNmsTest: 20, minSize: 2 };
/** The second stage's sampling in training: RoIs per image for the box head, foreground RoIs per image for the mask head, their sizes. */
export const MASK_RCNN_ROI = { perImage: 16, positiveFraction: 0.25, foregroundIou: 0.5, masksPerImage: 4, boxSize: 7, maskRoiSize: 14 };
const ROI = MASK_RCNN_ROI;

export interface MaskRcnn {
  config: MaskRcnnConfig;
  backbone: tf.LayersModel;
  boxHead: tf.LayersModel;
  maskHead: tf.LayersModel;
  anchors: Box[];
}

/** A new, seeded two-stage model. */
export function createMaskRcnn(config: MaskRcnnConfig = MASK_RCNN_CONFIG, seed = 0): MaskRcnn {
  const { features, widths } = config;
  const backbone = buildMaskRcnnBackbone({ inputShape: [config.imageSize, config.imageSize, 3], widths, features, anchors: config.anchorSizes.length, semanticClasses: config.semanticClasses, seed });
  const boxHead = buildBoxHead({ roiSize: ROI.boxSize, features, numClasses: config.numClasses, seed: seed + 1000 });
  const maskHead = buildMaskHead({ roiSize: ROI.maskRoiSize, features, outputs: config.numClasses + (config.maskLoss === 'softmax' ? 1 : 0), convs: config.maskConvs, seed: seed + 2000 });
  return fromModels({ backbone, boxHead, maskHead }, config);
}

/** The two-stage model from its three saved models (a recipe's `models`). */
export function fromModels(models: Record<string, tf.LayersModel>, config: MaskRcnnConfig = MASK_RCNN_CONFIG): MaskRcnn {
  const cells = config.imageSize / P2_STRIDE;
  return { config, backbone: models.backbone, boxHead: models.boxHead, maskHead: models.maskHead, anchors: anchorGrid(cells, cells, P2_STRIDE, config.anchorSizes) };
}

/** Every trainable variable of the model. */
export function maskRcnnVariables(net: MaskRcnn): tf.Variable[] {
  return [net.backbone, net.boxHead, net.maskHead].flatMap((m) => m.trainableWeights.map((w) => w.read() as tf.Variable));
}

/** Proposals of one image from its RPN outputs (flat [A_total] objectness logits and [A_total * 4] deltas). */
export function proposals(anchors: Box[], objectness: ArrayLike<number>, deltas: ArrayLike<number>, at: number, size: number, keep: number): { boxes: Box[]; scores: number[] } {
  const order = Array.from({ length: anchors.length }, (_, i) => i).sort((a, b) => objectness[at + b] - objectness[at + a]).slice(0, RPN.preNms);
  const boxes: Box[] = [], scores: number[] = [];
  for (const i of order) {
    const b = clipBox(decodeBox(deltas, anchors[i], [1, 1, 1, 1], (at + i) * 4), size, size);
    if (b[2] - b[0] < RPN.minSize || b[3] - b[1] < RPN.minSize) continue;
    boxes.push(b);
    scores.push(1 / (1 + Math.exp(-objectness[at + i])));
  }
  const kept = nms(boxes, scores, RPN.nms).slice(0, keep);
  return { boxes: kept.map((i) => boxes[i]), scores: kept.map((i) => scores[i]) };
}

/** A uniform sample of `count` items of `items` without replacement (all of them when fewer). */
function sample<T>(items: T[], count: number, rng: Random): T[] {
  return rng.shuffle(items).slice(0, count);
}

/**
 * RoIAlign (aligned, sampling ratio 2) of P2 in each image's boxes (kit frame), image after image:
 * [sum of the counts, size, size, F].
 */
export function roiFeatures(p2: tf.Tensor4D, boxes: Box[][], size: number): tf.Tensor4D {
  const flat = boxes.flatMap((list) => list.map(boxToPixelEdges));
  const index = boxes.flatMap((list, n) => list.map(() => n));
  return roiAlign(p2, flat, index, { outputSize: size, spatialScale: 1 / P2_STRIDE, samplingRatio: 2, aligned: true });
}

/**
 * The training loss of the two-stage model on a batch (call inside a tape): RPN objectness and box,
 * box-head class and box, mask, and (with a semantic head) the semantic cross-entropy. Returns the
 * total and its parts.
 */
export function maskRcnnLoss(net: MaskRcnn, batch: SceneBatch, rng: Random): { total: tf.Scalar; parts: Record<string, tf.Scalar> } {
  const { config, anchors } = net;
  const n = batch.truth.length, size = config.imageSize, c = config.numClasses;
  const outs = net.backbone.apply(batch.images, { training: true }) as tf.Tensor[];
  const [p2, , , objLogits, rpnDeltas] = outs;
  const a = anchors.length;
  // --- RPN targets: sampled anchors per image.
  const objLabel = new Float32Array(n * a), objWeight = new Float32Array(n * a);
  const deltaTarget = new Float32Array(n * a * 4), deltaWeight = new Float32Array(n * a * 4);
  batch.truth.forEach((t, img) => {
    const { matched } = matchAnchors(anchors, t.boxes, RPN.high, RPN.low, true);
    const pos: number[] = [], neg: number[] = [];
    matched.forEach((m, i) => { if (m >= 0) pos.push(i); else if (m === -1) neg.push(i); });
    const p = sample(pos, Math.floor(RPN.perImage * RPN.positiveFraction), rng);
    const q = sample(neg, RPN.perImage - p.length, rng);
    for (const i of q) objWeight[img * a + i] = 1;
    for (const i of p) {
      objWeight[img * a + i] = 1; objLabel[img * a + i] = 1;
      deltaTarget.set(encodeBox(t.boxes[matched[i]], anchors[i]), (img * a + i) * 4);
      deltaWeight.fill(1, (img * a + i) * 4, (img * a + i) * 4 + 4);
    }
  });
  const sampled = objWeight.reduce((s, v) => s + v, 0);
  const objFlat = objLogits.reshape([n * a]);
  const rpnObjectness = tf.losses.sigmoidCrossEntropy(tf.tensor1d(objLabel), objFlat, tf.tensor1d(objWeight), 0, tf.Reduction.SUM).div(Math.max(sampled, 1)) as tf.Scalar;
  const rpnBox = smoothL1Sum(rpnDeltas.reshape([n * a * 4]), tf.tensor1d(deltaTarget), tf.tensor1d(deltaWeight), 1 / 9).div(Math.max(sampled, 1)) as tf.Scalar;
  // --- Proposals (no gradient) + ground truth -> sampled RoIs with labels and box targets.
  const objValues = objLogits.dataSync(), deltaValues = rpnDeltas.dataSync();
  const roiBoxes: Box[][] = [], roiLabels: number[] = [], boxTargets: number[][] = [];
  const maskBoxes: Box[][] = [], maskClasses: number[] = [], maskTargetList: Float32Array[] = [];
  batch.truth.forEach((t, img) => {
    const candidates = [...proposals(anchors, objValues, deltaValues, img * a, size, RPN.postNmsTrain).boxes, ...t.boxes];
    const labelled = candidates.map((box) => {
      let best = -1, bestIou = 0;
      t.boxes.forEach((g, j) => { const v = iou(box, g); if (v > bestIou) { bestIou = v; best = j; } });
      return { box, gt: bestIou >= ROI.foregroundIou ? best : -1 };
    });
    const fg = sample(labelled.filter((x) => x.gt >= 0), Math.floor(ROI.perImage * ROI.positiveFraction), rng);
    const bg = sample(labelled.filter((x) => x.gt < 0), ROI.perImage - fg.length, rng);
    roiBoxes.push([...fg, ...bg].map((x) => x.box));
    for (const x of [...fg, ...bg]) {
      roiLabels.push(x.gt >= 0 ? t.classes[x.gt] + 1 : 0);
      boxTargets.push(x.gt >= 0 ? encodeBox(t.boxes[x.gt], x.box, BOX_WEIGHTS) : [0, 0, 0, 0]);
    }
    const chosen = fg.length > 0 ? Array.from({ length: ROI.masksPerImage }, (_, k) => fg[k < fg.length ? k : rng.int(0, fg.length - 1)]) : [];
    maskBoxes.push(chosen.map((x) => x.box));
    for (const x of chosen) maskClasses.push(t.classes[x.gt]);
    maskTargetList.push(maskTargets(chosen.map((x) => t.masks[x.gt]), chosen.map((x) => x.box), size, size));
  });
  // Class-specific box targets: the 4 columns of the RoI's class, foreground RoIs only.
  const rois = roiLabels.length;
  const boxTarget = new Float32Array(rois * 4 * c), boxWeight = new Float32Array(rois * 4 * c);
  roiLabels.forEach((label, k) => {
    if (label === 0) return;
    boxTarget.set(boxTargets[k], (k * c + label - 1) * 4);
    boxWeight.fill(1, (k * c + label - 1) * 4, (k * c + label) * 4);
  });
  // --- Box head.
  const [classLogits, boxDeltas] = net.boxHead.apply(roiFeatures(p2 as tf.Tensor4D, roiBoxes, ROI.boxSize), { training: true }) as tf.Tensor[];
  const classLoss = softmaxCrossEntropyWithOneHot(classLogits, tf.oneHot(tf.tensor1d(roiLabels, 'int32'), c + 1)).mean() as tf.Scalar;
  const boxLoss = smoothL1Sum(boxDeltas.reshape([rois * 4 * c]), tf.tensor1d(boxTarget), tf.tensor1d(boxWeight), 1 / 9).div(rois) as tf.Scalar;
  // --- Mask head.
  const maskLogits = net.maskHead.apply(roiFeatures(p2 as tf.Tensor4D, maskBoxes, ROI.maskRoiSize), { training: true }) as tf.Tensor4D;
  const m = maskLogits.shape[1];
  const targets = tf.tensor3d(concat(maskTargetList), [maskClasses.length, m, m]);
  const ones = maskClasses.map(() => 1);
  const maskLoss = config.maskLoss === 'sigmoid' ? perClassMaskLoss(maskLogits, targets, maskClasses, ones) : softmaxMaskLoss(maskLogits, targets, maskClasses, ones);
  const parts: Record<string, tf.Scalar> = { rpnObjectness, rpnBox, classLoss, boxLoss, maskLoss };
  if (config.semanticClasses > 0) parts.semantic = semanticLoss(outs[5] as tf.Tensor4D, batch.semantic, config.semanticClasses, size);
  return { total: tf.addN(Object.values(parts)) as tf.Scalar, parts };
}

function concat(arrays: Float32Array[]): Float32Array {
  const out = new Float32Array(arrays.reduce((s, x) => s + x.length, 0));
  let at = 0;
  for (const x of arrays) { out.set(x, at); at += x.length; }
  return out;
}

/**
 * The semantic head's loss: logits [N, h, w, S] upsampled bilinearly (half-pixel centres) to the
 * image size, softmax cross-entropy against the per-pixel labels [N * H * W], mean over pixels.
 */
export function semanticLoss(logits: tf.Tensor4D, labels: Uint8Array, classes: number, size: number): tf.Scalar {
  return tf.tidy(() => {
    const up = tf.image.resizeBilinear(logits, [size, size], false, true);
    const oneHot = tf.oneHot(tf.tensor1d(labels, 'int32'), classes).reshape(up.shape);
    return softmaxCrossEntropyWithOneHot(up, oneHot).mean() as tf.Scalar;
  });
}

/** One detected instance of the two-stage model. */
export interface InstanceDetection {
  box: Box;
  score: number;
  classId: number;
  /** The mask head's M x M output for the detected class: probabilities and logits. */
  maskProbabilities: Float32Array;
  maskLogits: Float32Array;
  /** The mask pasted into the image and thresholded at 0.5 (H * W, {0, 1}). */
  mask: Uint8Array;
}

export interface DetectOptions {
  /** Minimum class probability (default 0.05, torchvision's box_score_thresh). */
  scoreThreshold?: number;
  /** Per-class NMS IoU (default 0.5). */
  nmsThreshold?: number;
  /** Detections kept per image (default 10). */
  maxDetections?: number;
  /** Images per forward pass (default 32). */
  chunk?: number;
}

export interface MaskRcnnOutput {
  detections: InstanceDetection[][];
  /** Semantic logits at image resolution, [N][H * W * S] (with a semantic head). */
  semanticLogits: Float32Array[];
}

/**
 * Inference: proposals -> box head (softmax scores, class-specific boxes, per-class NMS, the top
 * `maxDetections`) -> mask head on the detections -> masks pasted into the image.
 */
export function detect(net: MaskRcnn, images: tf.Tensor4D, options: DetectOptions = {}): MaskRcnnOutput {
  const chunk = options.chunk ?? 32;
  const out: MaskRcnnOutput = { detections: [], semanticLogits: [] };
  for (let start = 0; start < images.shape[0]; start += chunk) {
    const part = tf.tidy(() => images.slice([start, 0, 0, 0], [Math.min(chunk, images.shape[0] - start), -1, -1, -1]));
    const r = detectChunk(net, part, options);
    out.detections.push(...r.detections);
    out.semanticLogits.push(...r.semanticLogits);
    part.dispose();
  }
  return out;
}

function detectChunk(net: MaskRcnn, images: tf.Tensor4D, options: DetectOptions): MaskRcnnOutput {
  const { config, anchors } = net;
  const n = images.shape[0], size = config.imageSize, c = config.numClasses, a = anchors.length;
  const maxDet = options.maxDetections ?? 10;
  const outs = net.backbone.predict(images) as tf.Tensor[];
  const p2 = outs[0] as tf.Tensor4D;
  const [objValues, deltaValues] = [outs[3].dataSync(), outs[4].dataSync()];
  const props = Array.from({ length: n }, (_, img) => proposals(anchors, objValues, deltaValues, img * a, size, RPN.postNmsTest).boxes);
  const firstRow = props.map((_, img) => props.slice(0, img).reduce((s, p) => s + p.length, 0));
  if (props.every((p) => p.length === 0)) props[0].push([0, 0, 8, 8]);
  const [logitsT, deltasT] = tf.tidy(() => net.boxHead.predict(roiFeatures(p2, props, ROI.boxSize)) as tf.Tensor[]);
  const probsT = tf.softmax(logitsT);
  const probs = probsT.dataSync(), deltas = deltasT.dataSync();
  tf.dispose([logitsT, deltasT, probsT]);
  const detections = props.map((p, img) => {
    const candidates: ScoredBox[] = [];
    p.forEach((prop, k) => {
      const row = firstRow[img] + k;
      for (let cls = 0; cls < c; cls++) {
        const score = probs[row * (c + 1) + cls + 1];
        if (score < (options.scoreThreshold ?? 0.05)) continue;
        const box = clipBox(decodeBox(deltas, prop, BOX_WEIGHTS, (row * c + cls) * 4), size, size);
        if (box[2] - box[0] >= 1 && box[3] - box[1] >= 1) candidates.push({ box, score, classId: cls, source: row });
      }
    });
    return perClassNms(candidates, options.nmsThreshold ?? 0.5, maxDet);
  });
  const total = detections.reduce((s, d) => s + d.length, 0);
  const maskLogits = tf.tidy(() => (total > 0
    ? net.maskHead.predict(roiFeatures(p2, detections.map((d) => d.map((x) => x.box)), ROI.maskRoiSize))
    : tf.zeros([0, 2 * ROI.maskRoiSize, 2 * ROI.maskRoiSize, c + (config.maskLoss === 'softmax' ? 1 : 0)])) as tf.Tensor4D);
  const m = maskLogits.shape[1], k = maskLogits.shape[3];
  const maskProbs = tf.tidy(() => (config.maskLoss === 'softmax' ? tf.softmax(maskLogits) : tf.sigmoid(maskLogits)));
  const [logitValues, probValues] = [maskLogits.dataSync(), maskProbs.dataSync()];
  tf.dispose([maskLogits, maskProbs]);
  let row = -1;
  const result: InstanceDetection[][] = detections.map((list) => list.map((d) => {
    row++;
    const channel = d.classId + (config.maskLoss === 'softmax' ? 1 : 0);
    const maskProbabilities = new Float32Array(m * m), maskLogitsOut = new Float32Array(m * m);
    for (let p = 0; p < m * m; p++) { maskProbabilities[p] = probValues[(row * m * m + p) * k + channel]; maskLogitsOut[p] = logitValues[(row * m * m + p) * k + channel]; }
    const pasted = pasteMask(maskProbabilities, m, d.box, size, size);
    const mask = new Uint8Array(size * size);
    for (let p = 0; p < mask.length; p++) mask[p] = pasted[p] >= 0.5 ? 1 : 0;
    return { box: d.box, score: d.score, classId: d.classId, maskProbabilities, maskLogits: maskLogitsOut, mask };
  }));
  const semanticLogits: Float32Array[] = [];
  if (config.semanticClasses > 0) {
    const up = tf.tidy(() => tf.image.resizeBilinear(outs[5] as tf.Tensor4D, [size, size], false, true));
    const values = up.dataSync() as Float32Array;
    up.dispose();
    const per = size * size * config.semanticClasses;
    for (let img = 0; img < n; img++) semanticLogits.push(values.slice(img * per, (img + 1) * per));
  }
  tf.dispose(outs);
  return { detections: result, semanticLogits };
}

/** The ground truth of `InstanceTruth` as the metrics take it. */
export function truthForMetrics(truth: InstanceTruth[]): { masks: Uint8Array[]; classes: number[] }[] {
  return truth.map((t) => ({ masks: t.masks, classes: t.classes }));
}
