/**
 * The losses the kit's training loops differentiate, by name, so that the data-parallel replicas
 * (worker threads) can compute the same one as the main thread.
 *   softmaxCrossEntropy — raw logits [N, K] against int32 labels [N] (classifiers)
 *   mse                 — mean squared error of one output against float targets of its shape
 *   stackedMSE          — intermediate supervision: the MSE of every output (one per hourglass
 *                         stack) against the same target heatmaps, summed over the outputs
 *   stackedSpatialCE    — the same heatmaps read as one distribution per landmark: softmax over the H x W
 *                         cells against the target normalised to sum 1 (cross-entropy), summed over
 *                         stacks — "heatmap classification"; no all-zero trivial solution, so it learns
 *                         in far fewer steps than the MSE
 *   centerNet           — CenterNet's focal loss on the centre heatmap + 0.1 x L1 size + 1 x L1
 *                         offset at the centres; targets packed as [N, H, W, C + 5] (see
 *                         lib/landmarks/centernet.ts: heatmap C, size 2, offset 2, mask 1)
 */
import * as tf from '@tensorflow/tfjs';

export type LossKind = 'softmaxCrossEntropy' | 'mse' | 'stackedMSE' | 'stackedSpatialCE' | 'centerNet';

/** Mean softmax cross-entropy of raw logits [N, K] against integer labels [N]. */
export function softmaxCrossEntropy(logits: tf.Tensor, labels: tf.Tensor1D): tf.Scalar {
  return tf.tidy(() => tf.losses.softmaxCrossEntropy(tf.oneHot(labels.toInt(), logits.shape[1] as number), logits) as tf.Scalar);
}

/** The loss `kind` of the model's outputs (in training mode) against `y`. */
export function modelLoss(kind: LossKind, outputs: tf.Tensor | tf.Tensor[], y: tf.Tensor): tf.Scalar {
  const list = Array.isArray(outputs) ? outputs : [outputs];
  switch (kind) {
    case 'softmaxCrossEntropy': return softmaxCrossEntropy(list[0], y as tf.Tensor1D);
    case 'mse': return tf.losses.meanSquaredError(y, list[0]) as tf.Scalar;
    case 'stackedMSE': return tf.addN(list.map((o) => tf.losses.meanSquaredError(y, o))) as tf.Scalar;
    case 'stackedSpatialCE': return tf.addN(list.map((o) => spatialCrossEntropy(o, y))) as tf.Scalar;
    case 'centerNet': return centerNetLoss(list, y).total;
  }
}

/**
 * Cross-entropy between softmax over the H x W cells of each channel of `logits` [N, H, W, K] and the
 * target heatmaps normalised per channel to sum 1; mean over images and landmarks. An all-zero target
 * channel (an invisible landmark) contributes 0.
 */
export function spatialCrossEntropy(logits: tf.Tensor, target: tf.Tensor): tf.Scalar {
  return tf.tidy(() => {
    const [n, h, w, k] = logits.shape as number[];
    const l = logits.reshape([n, h * w, k]);
    const t = target.reshape([n, h * w, k]);
    const q = t.div(t.sum(1, true).add(1e-8));
    const logp = l.sub(l.logSumExp(1, true));
    return tf.neg(q.mul(logp).sum(1)).mean() as tf.Scalar;
  });
}

/**
 * CenterNet's focal loss (Law & Deng's variant of Lin et al.), exactly as CenterNet's _neg_loss:
 * p = clamp(sigmoid(logit), 1e-4, 1 - 1e-4); at peaks (y = 1): (1 - p)^2 log p; elsewhere
 * (1 - y)^4 p^2 log(1 - p); the sum divided by the number of peaks (or just the negative sum when
 * there is none). `heatmapTarget` is the Gaussian-splatted target, 1 exactly at object centres.
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

/** The three CenterNet losses and their weighted sum (weights 1 / 0.1 / 1). */
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

export interface BatchGradients {
  /** Mean loss of the batch (scalar tensor). */
  loss: tf.Scalar;
  /** Gradient of every trainable variable, by variable name. */
  grads: tf.NamedTensorMap;
  /** Classifiers: argmax of the logits per example; otherwise null. */
  predictions: tf.Tensor1D | null;
}

/** One training forward/backward on a batch (training mode). Caller disposes. */
export function lossGradients(model: tf.LayersModel, x: tf.Tensor, y: tf.Tensor, vars: tf.Variable[], kind: LossKind): BatchGradients {
  let predictions: tf.Tensor1D | null = null;
  const { value, grads } = tf.variableGrads(() => {
    const outputs = model.apply(x, { training: true }) as tf.Tensor | tf.Tensor[];
    if (kind === 'softmaxCrossEntropy') predictions = tf.keep((Array.isArray(outputs) ? outputs[0] : outputs).argMax(-1)) as tf.Tensor1D;
    return modelLoss(kind, outputs, y);
  }, vars);
  return { loss: value, grads, predictions };
}
