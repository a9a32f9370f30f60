/**
 * What the explanation methods share (as pytorch-grad-cam's methods share BaseCAM): choosing the
 * target class, the score to differentiate (the raw logit, never the softmax), gradients with
 * respect to the input or to a layer's activations, per-image normalisation and upsampling.
 *
 * Layout: images [N, H, W, C]; maps [N, H, W]. Every function returns new tensors and keeps none.
 */
import * as tf from '@tensorflow/tfjs';
import { runLayers, RunLayersOptions } from './graph';

/** A class index for every image, one for all, or 'argmax' (the default: the top raw logit). */
export type Target = number | number[] | 'argmax';

/** The target class of each image. */
export function resolveTargets(logits: tf.Tensor, target: Target = 'argmax'): number[] {
  const n = logits.shape[0];
  if (target === 'argmax') return Array.from(tf.tidy(() => logits.argMax(-1)).dataSync());
  if (typeof target === 'number') return new Array<number>(n).fill(target);
  if (target.length !== n) throw new Error(`${target.length} targets for a batch of ${n}`);
  return target;
}

/** Sum over the batch of logits[i, targets[i]]: each image's gradient is that of its own score. */
export function targetScore(logits: tf.Tensor, targets: number[]): tf.Scalar {
  return tf.tidy(() => tf.sum(tf.mul(logits, tf.oneHot(tf.tensor1d(targets, 'int32'), logits.shape[1] as number))) as tf.Scalar);
}

/** Raw logits of `model` on `x` (layer by layer, so the ReLU can be swapped). */
export function logits(model: tf.LayersModel, x: tf.Tensor, options: RunLayersOptions = {}): tf.Tensor {
  return runLayers(model, x, options).outputs[0];
}

/** d score / d input for each image ([N, H, W, C]), with an optional ReLU replacement. */
export function inputGradients(model: tf.LayersModel, x: tf.Tensor, target: Target = 'argmax', relu?: (t: tf.Tensor) => tf.Tensor): { gradients: tf.Tensor; targets: number[] } {
  // One forward pass: the targets come from the logits being differentiated (a replacement ReLU
  // changes only the backward pass, so the argmax is the plain model's).
  let targets: number[] = [];
  const gradients = tf.tidy(() => tf.grad((input: tf.Tensor) => {
    const out = logits(model, input, { relu });
    targets = resolveTargets(out, target);
    return targetScore(out, targets);
  })(x));
  return { gradients, targets };
}

export interface LayerCapture {
  /** The layer's output A: [N, h, w, K]. */
  activations: tf.Tensor;
  /** d score / d A, same shape. */
  gradients: tf.Tensor;
  /** Raw logits [N, classes]. */
  logits: tf.Tensor;
  targets: number[];
}

/**
 * The activations of `layerName` and the gradient of the target score with respect to them —
 * what a forward hook plus a tensor hook capture in PyTorch. The caller disposes the tensors.
 */
export function captureLayer(model: tf.LayersModel, x: tf.Tensor, layerName: string, target: Target = 'argmax'): LayerCapture {
  return tf.tidy(() => {
    const { outputs, captured } = runLayers(model, x, { capture: [layerName] });
    const activations = captured[layerName];
    const targets = resolveTargets(outputs[0], target);
    const gradients = tf.grad((a: tf.Tensor) => targetScore(runLayers(model, x, { replace: { [layerName]: a } }).outputs[0], targets))(activations);
    const kept = { activations, gradients, logits: outputs[0] };
    return { ...kept, targets } as unknown as LayerCapture & tf.TensorContainerObject;
  }) as unknown as LayerCapture;
}

/**
 * Per image: (m - min) / (max(m - min) + 1e-7), so each map spans [0, 1) — pytorch-grad-cam's
 * scale_cam_image. `maps` is [N, H, W].
 */
export function normalizePerImage(maps: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const n = maps.shape[0];
    const flat = maps.reshape([n, -1]);
    const shifted = flat.sub(flat.min(1, true));
    return shifted.div(shifted.max(1, true).add(1e-7)).reshape(maps.shape);
  });
}

/** Bilinear resize of maps [N, h, w] to [N, H, W] with half-pixel centres (as PyTorch/OpenCV). */
export function upsampleMaps(maps: tf.Tensor, size: [number, number]): tf.Tensor {
  return tf.tidy(() => {
    if (maps.shape[1] === size[0] && maps.shape[2] === size[1]) return maps.clone();
    return tf.image.resizeBilinear(maps.expandDims(3) as tf.Tensor4D, size, false, true).squeeze([3]);
  });
}
