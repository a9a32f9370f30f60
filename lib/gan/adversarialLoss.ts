/**
 * Adversarial losses (lesson 05), junyanz/pytorch-CycleGAN-and-pix2pix's `GANLoss`: the discriminator
 * outputs raw scores of any shape (a PatchGAN gives one per patch, NHWC [N, H', W', 1]; a DCGAN one per
 * image, [N, 1]); every loss is the mean over all of them.
 *
 * - 'bce' (vanilla GAN, pix2pix): binary cross-entropy of logits against 1 (real) or 0 (fake);
 *   the generator uses the non-saturating form BCE(D(G(x)), 1).
 * - 'lsgan' (CycleGAN; Mao et al. 2017): mean squared error of the raw score against 1 or 0.
 */
import * as tf from '@tensorflow/tfjs';

export type AdversarialKind = 'bce' | 'lsgan';

/**
 * Binary cross-entropy of logits against a constant label (1 = real, 0 = fake), averaged over every
 * element: GANLoss('vanilla') (BCEWithLogitsLoss against a target of ones or zeros).
 * Value for logit s and label 1: log(1 + e^-s); for label 0: log(1 + e^s).
 */
export function bceWithLogits(logits: tf.Tensor, label: 0 | 1): tf.Scalar {
  return tf.tidy(() => tf.losses.sigmoidCrossEntropy(label === 1 ? tf.onesLike(logits) : tf.zerosLike(logits), logits) as tf.Scalar);
}

/** Least-squares GAN loss: mean of (score - label)^2 over every element, GANLoss('lsgan') (MSELoss). */
export function leastSquares(scores: tf.Tensor, label: 0 | 1): tf.Scalar {
  return tf.tidy(() => tf.mean(tf.square(label === 1 ? tf.sub(scores, 1) : scores)) as tf.Scalar);
}

/** The adversarial loss of `kind` for scores against a constant label. */
export function adversarialLoss(kind: AdversarialKind, scores: tf.Tensor, label: 0 | 1): tf.Scalar {
  return kind === 'bce' ? bceWithLogits(scores, label) : leastSquares(scores, label);
}

/**
 * A discriminator's loss on real and generated scores, halved as in pix2pix and CycleGAN
 * (`backward_D`: (loss_real + loss_fake) * 0.5, "slows down the rate at which D learns relative to G").
 * LSGAN with every score 0.5 gives 0.5 * (0.25 + 0.25) = 0.25.
 */
export function discriminatorLoss(kind: AdversarialKind, realScores: tf.Tensor, fakeScores: tf.Tensor): tf.Scalar {
  return tf.tidy(() => tf.mul(0.5, tf.add(adversarialLoss(kind, realScores, 1), adversarialLoss(kind, fakeScores, 0))) as tf.Scalar);
}

/** Mean absolute error (L1) between two tensors of one shape. */
export function meanAbsoluteError(a: tf.Tensor, b: tf.Tensor): tf.Scalar {
  return tf.tidy(() => tf.mean(tf.abs(tf.sub(a, b))) as tf.Scalar);
}

/** Mean squared error (L2) between two tensors of one shape. */
export function meanSquaredError(a: tf.Tensor, b: tf.Tensor): tf.Scalar {
  return tf.tidy(() => tf.mean(tf.squaredDifference(a, b)) as tf.Scalar);
}
