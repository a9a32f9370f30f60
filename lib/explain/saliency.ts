/**
 * Vanilla gradient saliency (Simonyan et al. 2014) and SmoothGrad (Smilkov et al. 2017), as in
 * tf-keras-vis: saliency = max over channels of |d score_c / d x| with the raw logit as score;
 * SmoothGrad = mean of the saliency of N noisy copies, noise std = noiseLevel * (max - min) of the input.
 */
import * as tf from '@tensorflow/tfjs';
import { inputGradients, Target, logits, resolveTargets } from './core';
import { Random } from '../runtime/random';

/** [N, H, W] saliency of each image for its target class. */
export function saliency(model: tf.LayersModel, x: tf.Tensor, options: { target?: Target } = {}): tf.Tensor {
  const { gradients } = inputGradients(model, x, options.target);
  const map = tf.tidy(() => gradients.abs().max(3));
  gradients.dispose();
  return map;
}

export interface SmoothGradOptions {
  target?: Target;
  /** Noisy copies per image (default 20). */
  samples?: number;
  /** Noise std as a fraction of the input's value range (default 0.2). */
  noiseLevel?: number;
  seed?: number;
}

/** [N, H, W] SmoothGrad maps; the target is chosen on the clean image. */
export function smoothGrad(model: tf.LayersModel, x: tf.Tensor, options: SmoothGradOptions = {}): tf.Tensor {
  const samples = options.samples ?? 20;
  const targets = tf.tidy(() => resolveTargets(logits(model, x), options.target));
  const rng = new Random(options.seed ?? 0);
  let total = tf.tidy(() => tf.zeros(x.shape.slice(0, 3)));
  const std = tf.tidy(() => x.max().sub(x.min()).mul(options.noiseLevel ?? 0.2).dataSync()[0]);
  for (let s = 0; s < samples; s++) {
    const next = tf.tidy(() => {
      const noisy = x.add(tf.randomNormal(x.shape, 0, std, 'float32', rng.int(0, 2 ** 30)));
      return total.add(saliency(model, noisy, { target: targets }));
    });
    total.dispose();
    total = next;
  }
  const mean = total.div(samples);
  total.dispose();
  return mean;
}
