/**
 * YOLACT (Bolya et al. 2019, dbolya/yolact) and YolactEdge's feature reuse (Liu et al. 2021), one
 * stage, sized for 2 cores. The network is lib/nn/segmentation.ts's buildYolact (bottom, top, head).
 *
 * Masks without RoIs: a protonet makes k prototype masks P [H/2 * W/2, k] for the whole image; the
 * prediction head gives each anchor class scores, box deltas and k coefficients c (tanh). An instance's
 * mask is sigmoid(P c^T), cropped to its box (`assembleMasks`, `cropToBox`), upsampled to the image
 * and thresholded at 0.5.
 *
 * Training as YOLACT: anchors positive at IoU >= 0.5 (plus each object's best anchor), negative below
 * 0.4; softmax cross-entropy over background + C with online hard negative mining (the negatives with
 * the highest background loss, 3 per positive), divided by the number of positives; smooth L1 on the
 * (10, 10, 5, 5)-weighted deltas (YOLACT's variances 0.1, 0.2) times 1.5; the mask loss on up to
 * `masksPerImage` positives per image: BCE of the assembled mask against the ground-truth mask at the
 * prototypes' resolution, inside the ground-truth box, divided by the box's area (`yolactMaskLoss`).
 * Inference: per-class NMS (0.5) of the anchors with score >= 0.05, the best 10 per image.
 */
import * as tf from '@tensorflow/tfjs';
import { Box } from '../ops/boxes';
import { Random } from '../runtime/random';
import { buildYolact } from '../nn/segmentation';
import { anchorGrid, encodeBox, decodeBox, clipBox, matchAnchors, perClassNms, CoderWeights, ScoredBox } from './anchors';
import { downsampleMask } from './masks';
import { smoothL1Sum, yolactMaskLoss, softmaxCrossEntropyWithOneHot } from './losses';
import { SceneBatch } from './training';

export interface YolactConfig {
  imageSize: number;
  numClasses: number;
  anchorSizes: number[];
  features: number;
  widths: [number, number, number, number];
  prototypes: number;
}

export const YOLACT_CONFIG: YolactConfig = { imageSize: 64, numClasses: 5, anchorSizes: [10, 16, 24], features: 32, widths: [16, 32, 48, 64], prototypes: 16 };

const STRIDE = 4;
/** The prototypes are at half the image resolution. */
export const PROTOTYPE_STRIDE = 2;
const WEIGHTS: CoderWeights = [10, 10, 5, 5];
const TRAIN = { high: 0.5, low: 0.4, negativesPerPositive: 3, masksPerImage: 16, boxWeight: 1.5 };

export interface Yolact {
  config: YolactConfig;
  bottom: tf.LayersModel;
  top: tf.LayersModel;
  head: tf.LayersModel;
  anchors: Box[];
}

/** A new, seeded YOLACT. */
export function createYolact(config: YolactConfig = YOLACT_CONFIG, seed = 0): Yolact {
  const parts = buildYolact({ inputShape: [config.imageSize, config.imageSize, 3], widths: config.widths, features: config.features, anchors: config.anchorSizes.length, numClasses: config.numClasses, prototypes: config.prototypes, seed });
  return yolactFromModels(parts, config);
}

/** YOLACT from its three saved models (a recipe's `models`: bottom, top, head). */
export function yolactFromModels(models: Record<string, tf.LayersModel>, config: YolactConfig = YOLACT_CONFIG): Yolact {
  const cells = config.imageSize / STRIDE;
  return { config, bottom: models.bottom, top: models.top, head: models.head, anchors: anchorGrid(cells, cells, STRIDE, config.anchorSizes) };
}

export function yolactVariables(net: Yolact): tf.Variable[] {
  return [net.bottom, net.top, net.head].flatMap((m) => m.trainableWeights.map((w) => w.read() as tf.Variable));
}

/** The head's outputs of a batch: [prototypes [N, h, w, k], class logits, box deltas, coefficients]. */
function forward(net: Yolact, images: tf.Tensor4D, training: boolean): tf.Tensor[] {
  const c2 = net.bottom.apply(images, { training }) as tf.Tensor;
  const deep = net.top.apply(c2, { training }) as tf.Tensor[];
  return net.head.apply([c2, ...deep], { training }) as tf.Tensor[];
}

/**
 * YOLACT's mask assembly: prototypes [P, k] (P pixels) and coefficients [Q, k] -> sigmoid(P C^T)
 * [P, Q]. A one-hot coefficient vector gives sigmoid of that prototype.
 */
export function assembleMasks(prototypes: tf.Tensor2D, coefficients: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => tf.sigmoid(tf.matMul(prototypes, coefficients, false, true)) as tf.Tensor2D);
}

/** 1 for the prototype pixels (stride `stride`, an h x w grid) whose centre lies inside `box` (kit frame), else 0. */
export function cropToBox(box: Box, height: number, width: number, stride: number): Float32Array {
  const out = new Float32Array(height * width);
  for (let v = 0; v < height; v++) for (let u = 0; u < width; u++) {
    const x = stride * u + (stride - 1) / 2, y = stride * v + (stride - 1) / 2;
    if (x >= box[0] && x <= box[2] && y >= box[1] && y <= box[3]) out[v * width + u] = 1;
  }
  return out;
}

/** The training loss of YOLACT on a batch (call inside a tape): class, box and mask, and their total. */
export function yolactLoss(net: Yolact, batch: SceneBatch, rng: Random): { total: tf.Scalar; parts: Record<string, tf.Scalar> } {
  const { config, anchors } = net;
  const n = batch.truth.length, a = anchors.length, c = config.numClasses, k = config.prototypes;
  const [prototypes, classLogits, boxDeltas, coefficients] = forward(net, batch.images, true);
  const [ph, pw] = [prototypes.shape[1] as number, prototypes.shape[2] as number];
  const logits = classLogits.reshape([n * a, c + 1]);
  const values = logits.dataSync();
  const labels = new Int32Array(n * a), weights = new Float32Array(n * a);
  const deltaTarget = new Float32Array(n * a * 4), deltaWeight = new Float32Array(n * a * 4);
  const q = TRAIN.masksPerImage;
  const picked = new Int32Array(n * q), maskWeight = new Float32Array(n * q);
  const maskTarget = new Float32Array(n * ph * pw * q), crop = new Float32Array(n * ph * pw * q), area = new Float32Array(n * q).fill(1);
  let positives = 0;
  batch.truth.forEach((t, img) => {
    const { matched } = matchAnchors(anchors, t.boxes, TRAIN.high, TRAIN.low, true);
    const pos: number[] = [], neg: { i: number; loss: number }[] = [];
    matched.forEach((m, i) => {
      const row = img * a + i;
      if (m >= 0) pos.push(i);
      else if (m === -1) {
        // Background loss of this anchor: log-sum-exp of its logits minus its background logit.
        let max = -Infinity;
        for (let j = 0; j <= c; j++) max = Math.max(max, values[row * (c + 1) + j]);
        let sum = 0;
        for (let j = 0; j <= c; j++) sum += Math.exp(values[row * (c + 1) + j] - max);
        neg.push({ i, loss: max + Math.log(sum) - values[row * (c + 1)] });
      }
    });
    positives += pos.length;
    for (const i of pos) {
      const row = img * a + i;
      labels[row] = t.classes[matched[i]] + 1; weights[row] = 1;
      deltaTarget.set(encodeBox(t.boxes[matched[i]], anchors[i], WEIGHTS), row * 4);
      deltaWeight.fill(1, row * 4, row * 4 + 4);
    }
    neg.sort((x, y) => y.loss - x.loss);
    for (const { i } of neg.slice(0, TRAIN.negativesPerPositive * Math.max(1, pos.length))) weights[img * a + i] = 1;
    // Mask targets of (a sample of) the positives, at the prototypes' resolution, cropped to the truth's box.
    rng.shuffle(pos).slice(0, q).forEach((i, slot) => {
      const g = matched[i];
      picked[img * q + slot] = img * a + i;
      maskWeight[img * q + slot] = 1;
      const target = downsampleMask(t.masks[g], config.imageSize, config.imageSize, PROTOTYPE_STRIDE);
      const inside = cropToBox(t.boxes[g], ph, pw, PROTOTYPE_STRIDE);
      let count = 0;
      for (let p = 0; p < ph * pw; p++) {
        maskTarget[(img * ph * pw + p) * q + slot] = target[p];
        crop[(img * ph * pw + p) * q + slot] = inside[p];
        count += inside[p];
      }
      area[img * q + slot] = Math.max(count, 1);
    });
  });
  const norm = Math.max(positives, 1);
  const classLoss = softmaxCrossEntropyWithOneHot(logits, tf.oneHot(tf.tensor1d(labels, 'int32'), c + 1)).mul(tf.tensor1d(weights)).sum().div(norm) as tf.Scalar;
  const boxLoss = smoothL1Sum(boxDeltas.reshape([n * a * 4]), tf.tensor1d(deltaTarget), tf.tensor1d(deltaWeight), 1).div(norm).mul(TRAIN.boxWeight) as tf.Scalar;
  // Coefficients of the chosen positives (a gather of n * q rows), then P C^T per image.
  const chosen = tf.gather(coefficients.reshape([n * a, k]), tf.tensor1d(picked, 'int32')).reshape([n, q, k]);
  const maskLogits = tf.matMul(prototypes.reshape([n, ph * pw, k]), chosen, false, true) as tf.Tensor3D;
  const maskLoss = yolactMaskLoss(maskLogits, tf.tensor3d(maskTarget, [n, ph * pw, q]), tf.tensor3d(crop, [n, ph * pw, q]), tf.tensor2d(area, [n, q]), tf.tensor2d(maskWeight, [n, q]));
  const parts = { classLoss, boxLoss, maskLoss };
  return { total: tf.addN(Object.values(parts)) as tf.Scalar, parts };
}

/** One instance found by YOLACT: box, score, class, its coefficients and its mask (H * W, {0, 1}). */
export interface YolactDetection { box: Box; score: number; classId: number; coefficients: Float32Array; mask: Uint8Array }

export interface YolactOutput {
  detections: YolactDetection[][];
  /** The prototypes of each image, [h * w * k] (for pictures). */
  prototypes: Float32Array[];
}

/** Detections of each image from the head's outputs (already computed: `yolactDetect` and the video path share this). */
function decode(net: Yolact, outs: tf.Tensor[], options: { scoreThreshold?: number; nmsThreshold?: number; maxDetections?: number }): YolactOutput {
  const { config, anchors } = net;
  const [prototypes, classLogits, boxDeltas, coefficients] = outs;
  const n = prototypes.shape[0] as number, a = anchors.length, c = config.numClasses, k = config.prototypes;
  const [ph, pw] = [prototypes.shape[1] as number, prototypes.shape[2] as number];
  const probsT = tf.tidy(() => tf.softmax(classLogits.reshape([n * a, c + 1])));
  const [probs, deltas, coefs, protos] = [probsT.dataSync(), boxDeltas.dataSync(), coefficients.dataSync() as Float32Array, prototypes.dataSync() as Float32Array];
  probsT.dispose();
  const size = config.imageSize;
  const out: YolactOutput = { detections: [], prototypes: [] };
  for (let img = 0; img < n; img++) {
    const candidates: ScoredBox[] = [];
    for (let i = 0; i < a; i++) {
      const row = img * a + i;
      for (let cls = 0; cls < c; cls++) {
        const score = probs[row * (c + 1) + cls + 1];
        if (score < (options.scoreThreshold ?? 0.05)) continue;
        const box = clipBox(decodeBox(deltas, anchors[i], WEIGHTS, row * 4), size, size);
        if (box[2] - box[0] >= 1 && box[3] - box[1] >= 1) candidates.push({ box, score, classId: cls, source: row });
      }
    }
    const p = protos.subarray(img * ph * pw * k, (img + 1) * ph * pw * k);
    out.prototypes.push(Float32Array.from(p));
    out.detections.push(perClassNms(candidates, options.nmsThreshold ?? 0.5, options.maxDetections ?? 10).map((d) => {
      const coefficients = coefs.slice(d.source * k, (d.source + 1) * k);
      return { box: d.box, score: d.score, classId: d.classId, coefficients, mask: instanceMask(p, coefficients, d.box, ph, pw, size) };
    }));
  }
  return out;
}

/**
 * One instance's mask from the prototypes [h * w * k] (HWC) and its coefficients [k]: sigmoid(P c),
 * cropped to the box at the prototypes' resolution, upsampled bilinearly (half-pixel centres) to the
 * image and thresholded at 0.5, as YOLACT's postprocess.
 */
export function instanceMask(prototypes: ArrayLike<number>, coefficients: ArrayLike<number>, box: Box, height: number, width: number, size: number): Uint8Array {
  const k = coefficients.length;
  const inside = cropToBox(box, height, width, PROTOTYPE_STRIDE);
  const low = new Float32Array(height * width);
  for (let p = 0; p < height * width; p++) {
    if (!inside[p]) continue;
    let z = 0;
    for (let j = 0; j < k; j++) z += prototypes[p * k + j] * coefficients[j];
    low[p] = 1 / (1 + Math.exp(-z));
  }
  const mask = new Uint8Array(size * size);
  const scale = height / size;
  for (let y = 0; y < size; y++) {
    const v = Math.min(Math.max((y + 0.5) * scale - 0.5, 0), height - 1);
    const v0 = Math.floor(v), v1 = Math.min(v0 + 1, height - 1), fv = v - v0;
    for (let x = 0; x < size; x++) {
      const u = Math.min(Math.max((x + 0.5) * scale - 0.5, 0), width - 1);
      const u0 = Math.floor(u), u1 = Math.min(u0 + 1, width - 1), fu = u - u0;
      const value = (1 - fv) * ((1 - fu) * low[v0 * width + u0] + fu * low[v0 * width + u1]) + fv * ((1 - fu) * low[v1 * width + u0] + fu * low[v1 * width + u1]);
      mask[y * size + x] = value >= 0.5 ? 1 : 0;
    }
  }
  return mask;
}

export interface YolactDetectOptions { scoreThreshold?: number; nmsThreshold?: number; maxDetections?: number; chunk?: number }

/** YOLACT's inference on a batch of images (in chunks of `chunk`, default 32). */
export function yolactDetect(net: Yolact, images: tf.Tensor4D, options: YolactDetectOptions = {}): YolactOutput {
  const chunk = options.chunk ?? 32;
  const out: YolactOutput = { detections: [], prototypes: [] };
  for (let start = 0; start < images.shape[0]; start += chunk) {
    const outs = tf.tidy(() => forward(net, images.slice([start, 0, 0, 0], [Math.min(chunk, images.shape[0] - start), -1, -1, -1]), false));
    const r = decode(net, outs, options);
    tf.dispose(outs);
    out.detections.push(...r.detections);
    out.prototypes.push(...r.prototypes);
  }
  return out;
}

export interface VideoFrameResult { detections: YolactDetection[]; milliseconds: number; keyFrame: boolean }

/**
 * YolactEdge's idea on a video (frames [T, H, W, 3], one at a time): on a key frame (every
 * `keyInterval`-th, from frame 0) the whole backbone runs; on the frames between, only the bottom
 * part (image -> C2) runs and the deep features C3, C4 of the last key frame are reused. YolactEdge
 * warps them with the optical flow of a small network (FeatFlowNet); here they are reused as they
 * are, which is what the flow exists to correct. Times each frame (forward and decoding).
 */
export function yolactVideo(net: Yolact, frames: tf.Tensor4D, keyInterval: number, options: YolactDetectOptions = {}): VideoFrameResult[] {
  const results: VideoFrameResult[] = [];
  let deep: tf.Tensor[] = [];
  for (let t = 0; t < frames.shape[0]; t++) {
    const start = performance.now();
    const key = t % keyInterval === 0;
    const outs = tf.tidy(() => {
      const c2 = net.bottom.predict(frames.slice([t, 0, 0, 0], [1, -1, -1, -1])) as tf.Tensor;
      if (key) {
        tf.dispose(deep);
        deep = (net.top.predict(c2) as tf.Tensor[]).map((x) => tf.keep(x));
      }
      return net.head.predict([c2, ...deep]) as tf.Tensor[];
    });
    const r = decode(net, outs, options);
    tf.dispose(outs);
    results.push({ detections: r.detections[0], milliseconds: performance.now() - start, keyFrame: key });
  }
  tf.dispose(deep);
  return results;
}
