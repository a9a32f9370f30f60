/**
 * Adversarial losses (lesson: conditional GANs). The discriminator outputs raw logits, any shape
 * (a PatchGAN gives one per patch, NHWC [N, H', W', 1]); losses are means over every logit.
 */
import * as tf from '@tensorflow/tfjs';

/**
 * Binary cross-entropy of logits against a constant label (1 = real, 0 = fake), averaged over every
 * element: the vanilla GAN loss, GANLoss('vanilla') of junyanz/pytorch-CycleGAN-and-pix2pix
 * (BCEWithLogitsLoss against a target of ones or zeros).
 */
export function bceWithLogits(logits: tf.Tensor, label: 0 | 1): tf.Scalar {
  return tf.tidy(() => tf.losses.sigmoidCrossEntropy(label === 1 ? tf.onesLike(logits) : tf.zerosLike(logits), logits) as tf.Scalar);
}
