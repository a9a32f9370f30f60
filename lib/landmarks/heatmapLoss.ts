/**
 * Losses for heatmap heads (lesson 03), and the spatial softmax the cross-entropy implies.
 *
 * Heatmaps are NHWC [N, H, W, K], one channel per landmark (lib/landmarks/heatmap.ts). The stacked
 * hourglass supervises every stack's output against the same targets ("intermediate supervision"):
 * the stacked losses are the per-output loss summed over the outputs.
 *   MSE                  — the stacked-hourglass reference (princeton-vl/pytorch_stacked_hourglass)
 *   spatial cross-entropy — each channel read as one distribution over the H x W cells: softmax of the
 *                          logits against the target normalised to sum 1, "heatmap classification";
 *                          no all-zero trivial solution, so it learns in far fewer steps than the MSE
 *                          (measured: docs/design.md, "Landmarks")
 */
import * as tf from '@tensorflow/tfjs';

/**
 * Softmax over the H x W cells of each channel of `logits` [N, H, W, K]: every channel of the result
 * is a distribution (values in (0, 1), summing to 1 over its cells). What a model trained with
 * `spatialCrossEntropy` predicts, before decoding. Returns a new tensor; caller disposes.
 */
export function spatialSoftmax(logits: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => {
    const [n, h, w, k] = logits.shape;
    return tf.softmax(logits.reshape([n, h * w, k]).transpose([0, 2, 1])).transpose([0, 2, 1]).reshape([n, h, w, k]) as tf.Tensor4D;
  });
}

/**
 * Cross-entropy between the spatial softmax of `logits` [N, H, W, K] and the target heatmaps
 * [N, H, W, K] normalised per channel to sum 1; mean over images and landmarks. An all-zero target
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

/** Intermediate supervision with the MSE: sum over the outputs (one per stack) of mean((output - target)^2). */
export function stackedMSE(outputs: tf.Tensor[], target: tf.Tensor): tf.Scalar {
  return tf.tidy(() => tf.addN(outputs.map((o) => tf.losses.meanSquaredError(target, o))) as tf.Scalar);
}

/** Intermediate supervision with the spatial cross-entropy: its sum over the outputs (one per stack). */
export function stackedSpatialCrossEntropy(outputs: tf.Tensor[], target: tf.Tensor): tf.Scalar {
  return tf.tidy(() => tf.addN(outputs.map((o) => spatialCrossEntropy(o, target))) as tf.Scalar);
}

/**
 * The spatial cross-entropy of the last stack only: no intermediate supervision (the earlier stacks learn
 * only through what flows back from the last one). The ablation of lesson 03's "1 vs 2 stacks" table.
 */
export function lastStackSpatialCrossEntropy(outputs: tf.Tensor[], target: tf.Tensor): tf.Scalar {
  return spatialCrossEntropy(outputs[outputs.length - 1], target);
}
