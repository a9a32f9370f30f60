/**
 * The heads' losses: Mask R-CNN's mask loss (per-class sigmoid masks, binary cross-entropy on the
 * ground-truth class's channel only; torchvision roi_heads.maskrcnn_loss) and the per-pixel softmax
 * it was compared with (Mask R-CNN, Table 2b), YOLACT's mask loss (binary cross-entropy of the
 * assembled mask inside the box, normalised by the box's area), and the smooth L1 and weighted
 * cross-entropies of the box heads. All take and return tensors; callers run them in a tape.
 */
import * as tf from '@tensorflow/tfjs';

/**
 * Smooth L1 (Huber with transition `beta`, torchvision's F.smooth_l1_loss): 0.5 d^2 / beta where
 * |d| < beta, |d| - 0.5 beta elsewhere, times `weights` (broadcast), summed.
 */
export function smoothL1Sum(prediction: tf.Tensor, target: tf.Tensor, weights: tf.Tensor, beta: number): tf.Scalar {
  return tf.tidy(() => {
    // 0.5 min(d, beta)^2 / beta + (d - min(d, beta)): the same function, without a tf.where whose
    // condition would need a gradient.
    const d = tf.abs(tf.sub(prediction, target));
    const small = tf.minimum(d, beta);
    return tf.square(small).mul(0.5 / beta).add(tf.sub(d, small)).mul(weights).sum() as tf.Scalar;
  });
}

/** Binary cross-entropy with logits, elementwise (stable: max(z, 0) - z y + log(1 + e^-|z|)). */
export function binaryCrossEntropyWithLogits(logits: tf.Tensor, targets: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.relu(logits).sub(logits.mul(targets)).add(tf.log1p(tf.exp(tf.neg(tf.abs(logits))))));
}

/** Softmax cross-entropy of logits [..., K] against integer labels (as a one-hot [..., K] tensor), elementwise over [...]. */
export function softmaxCrossEntropyWithOneHot(logits: tf.Tensor, oneHot: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.neg(tf.logSoftmax(logits).mul(oneHot).sum(-1)));
}

/**
 * Mask R-CNN's mask loss: mask logits [R, M, M, C] (any M x M') (one binary mask per class), targets [R, M, M]
 * in {0, 1}, the ground-truth class of each RoI [R] and a weight per RoI [R] (0 for padding). Only
 * the channel of the RoI's class is read, so the other classes' masks get no gradient: the mask head
 * says "object or not" for a class the box head already chose. Mean BCE over the weighted pixels.
 */
export function perClassMaskLoss(logits: tf.Tensor4D, targets: tf.Tensor3D, classes: ArrayLike<number>, weights: ArrayLike<number>): tf.Scalar {
  return tf.tidy(() => {
    const [r, mh, mw, c] = logits.shape;
    const pick = tf.oneHot(tf.tensor1d(Array.from(classes), 'int32'), c).reshape([r, 1, 1, c]);
    const chosen = logits.mul(pick).sum(-1);
    const w = tf.tensor1d(Array.from(weights)).reshape([r, 1, 1]);
    const total = Array.from(weights).reduce((a, b) => a + b, 0) * mh * mw;
    return binaryCrossEntropyWithLogits(chosen, targets).mul(w).sum().div(Math.max(total, 1)) as tf.Scalar;
  });
}

/**
 * The alternative Mask R-CNN rejected: a per-pixel softmax over C + 1 channels (0 = background,
 * 1 + c = class c) and a multinomial loss, as FCNs segment. The RoI's own object's pixels are labelled
 * with its class, every other pixel background — the same information as `perClassMaskLoss`, but the
 * classes now compete for every pixel. Logits [R, M, M, C + 1]; mean over the weighted pixels.
 */
export function softmaxMaskLoss(logits: tf.Tensor4D, targets: tf.Tensor3D, classes: ArrayLike<number>, weights: ArrayLike<number>): tf.Scalar {
  return tf.tidy(() => {
    const [r, mh, mw, k] = logits.shape;
    const fg = tf.oneHot(tf.tensor1d(Array.from(classes).map((c) => c + 1), 'int32'), k).reshape([r, 1, 1, k]);
    const bg = tf.oneHot(tf.zeros([r], 'int32') as tf.Tensor1D, k).reshape([r, 1, 1, k]);
    const t = targets.expandDims(-1);
    const oneHot = t.mul(fg).add(tf.sub(1, t).mul(bg));
    const w = tf.tensor1d(Array.from(weights)).reshape([r, 1, 1]);
    const total = Array.from(weights).reduce((a, b) => a + b, 0) * mh * mw;
    return softmaxCrossEntropyWithOneHot(logits, oneHot).mul(w).sum().div(Math.max(total, 1)) as tf.Scalar;
  });
}

/**
 * YOLACT's mask loss: assembled mask logits [N, P, Q] (P prototype pixels, Q instances per image),
 * targets [N, P, Q] in {0, 1}, `crop` [N, P, Q] (1 inside each instance's box), `area` [N, Q] (its box
 * area in prototype pixels, > 0) and `weights` [N, Q]. Per instance: the BCE summed inside its box,
 * divided by the box's area; the weighted mean over instances.
 */
export function yolactMaskLoss(logits: tf.Tensor3D, targets: tf.Tensor3D, crop: tf.Tensor3D, area: tf.Tensor2D, weights: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => {
    const perInstance = binaryCrossEntropyWithLogits(logits, targets).mul(crop).sum(1).div(area);
    return perInstance.mul(weights).sum().div(tf.maximum(weights.sum(), 1)) as tf.Scalar;
  });
}
