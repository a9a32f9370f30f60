/**
 * The losses the kit's training loops differentiate, by name: the data-parallel replicas (worker
 * threads, lib/train/replicaWorker.ts) are sent a loss's name and compute the same function as the
 * main thread. This file is only that table: each topic's losses live in its folder (heatmaps and
 * CenterNet in lib/landmarks); the two generic ones are defined here.
 */
import * as tf from '@tensorflow/tfjs';
import { centerNetLoss } from '../landmarks/centernet';
import { stackedMSE, stackedSpatialCrossEntropy, lastStackSpatialCrossEntropy } from '../landmarks/heatmapLoss';

/** Mean softmax cross-entropy of raw logits [N, K] against integer labels [N] (the classifiers' loss). */
export function softmaxCrossEntropy(logits: tf.Tensor, labels: tf.Tensor1D): tf.Scalar {
  return tf.tidy(() => tf.losses.softmaxCrossEntropy(tf.oneHot(labels.toInt(), logits.shape[1] as number), logits) as tf.Scalar);
}

export type LossKind = 'softmaxCrossEntropy' | 'mse' | 'stackedMSE' | 'stackedSpatialCE' | 'lastStackSpatialCE' | 'centerNet';

/** A loss of the model's outputs (one tensor per output, in training mode) against the targets `y`. */
export type ModelLoss = (outputs: tf.Tensor[], y: tf.Tensor) => tf.Scalar;

/**
 * Every loss a training loop can be given, by name:
 *   softmaxCrossEntropy — raw logits [N, K] against int32 labels [N] (classifiers)
 *   mse                 — mean squared error of the first output against float targets of its shape
 *   stackedMSE          — lib/landmarks/heatmapLoss.ts: the MSE of every hourglass stack, summed
 *   stackedSpatialCE    — lib/landmarks/heatmapLoss.ts: the spatial cross-entropy of every stack, summed
 *   lastStackSpatialCE  — lib/landmarks/heatmapLoss.ts: the spatial cross-entropy of the last stack only
 *   centerNet           — lib/landmarks/centernet.ts: focal + 0.1 x L1 size + L1 offset, targets packed
 *                         [N, H, W, C + 5]
 */
export const LOSSES: Record<LossKind, ModelLoss> = {
  softmaxCrossEntropy: (outputs, y) => softmaxCrossEntropy(outputs[0], y as tf.Tensor1D),
  mse: (outputs, y) => tf.losses.meanSquaredError(y, outputs[0]) as tf.Scalar,
  stackedMSE,
  stackedSpatialCE: stackedSpatialCrossEntropy,
  lastStackSpatialCE: lastStackSpatialCrossEntropy,
  centerNet: (outputs, y) => centerNetLoss(outputs, y).total,
};

/** The loss `kind` of the model's outputs (in training mode) against `y`. */
export function modelLoss(kind: LossKind, outputs: tf.Tensor | tf.Tensor[], y: tf.Tensor): tf.Scalar {
  const loss: ModelLoss | undefined = LOSSES[kind];
  if (loss == null) throw new Error(`unknown loss "${kind}": the losses are ${Object.keys(LOSSES).join(', ')} (lib/train/losses.ts)`);
  return loss(Array.isArray(outputs) ? outputs : [outputs], y);
}

export interface BatchGradients {
  /** Mean loss of the batch (scalar tensor). */
  loss: tf.Scalar;
  /** Gradient of every trainable variable, by variable name. */
  grads: tf.NamedTensorMap;
  /** Classifiers: argmax of the logits per example; otherwise null. */
  predictions: tf.Tensor1D | null;
}

/** One training forward/backward on a batch (training mode), with the loss `kind`. Caller disposes. */
export function lossGradients(model: tf.LayersModel, x: tf.Tensor, y: tf.Tensor, vars: tf.Variable[], kind: LossKind): BatchGradients {
  let predictions: tf.Tensor1D | null = null;
  const { value, grads } = tf.variableGrads(() => {
    const outputs = model.apply(x, { training: true }) as tf.Tensor | tf.Tensor[];
    if (kind === 'softmaxCrossEntropy') predictions = tf.keep((Array.isArray(outputs) ? outputs[0] : outputs).argMax(-1)) as tf.Tensor1D;
    return modelLoss(kind, outputs, y);
  }, vars);
  return { loss: value, grads, predictions };
}
