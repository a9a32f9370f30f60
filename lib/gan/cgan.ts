/**
 * The (conditional) GAN of Goodfellow et al. 2014 / Mirza & Osindero 2014 in the kit's one step shape
 * (lib/gan/ganModel.ts): G(z, c) against D(x, c), binary cross-entropy, the generator's non-saturating
 * loss BCE(D(G(z, c), c), 1), Adam 2e-4 / 0.5 for both (DCGAN). Without classes it is the
 * unconditional GAN: P(X) instead of P(X | c). Networks: lib/nn/dcgan.ts.
 *
 * Batch: `real` [N, H, W, C] in [-1, 1], `noise` [N, latent] ~ N(0, 1), and for a conditional model
 * `label` [N, classes] one-hot (the generator is asked for the real batch's labels).
 */
import * as tf from '@tensorflow/tfjs';
import { adversarialLoss, AdversarialKind, discriminatorLoss } from './adversarialLoss';
import { Batch, GanModel, ganAdam } from './ganModel';

export interface CganOptions {
  /** 'bce' (default) or 'lsgan'. */
  gan?: AdversarialKind;
  learningRate?: number;
  beta1?: number;
}

/** True when the generator takes a label input besides the noise. */
export function isConditional(generator: tf.LayersModel): boolean {
  return generator.inputs.length > 1;
}

/** A (conditional) GAN model of `generator` and `discriminator` (both conditional, or both not). */
export function createCgan(generator: tf.LayersModel, discriminator: tf.LayersModel, options: CganOptions = {}): GanModel {
  const kind = options.gan ?? 'bce';
  const conditional = isConditional(generator);
  if (conditional !== discriminator.inputs.length > 1) throw new Error('createCgan: the generator and the discriminator must both take the label, or neither');
  const inputsOf = (first: tf.Tensor, b: Batch) => (conditional ? [first, b.label] : first);
  return {
    name: conditional ? 'cgan' : 'gan',
    generators: { generator },
    discriminators: { discriminator },
    gOptimizer: ganAdam(options.learningRate, options.beta1),
    dOptimizer: ganAdam(options.learningRate, options.beta1),
    generatorLoss(b) {
      const fake = generator.apply(inputsOf(b.noise, b), { training: true }) as tf.Tensor;
      const gAdv = adversarialLoss(kind, discriminator.apply(inputsOf(fake, b), { training: true }) as tf.Tensor, 1);
      return { total: gAdv, terms: { gAdv }, fakes: { fake } };
    },
    discriminatorLoss(b, fakes) {
      const real = discriminator.apply(inputsOf(b.real, b), { training: true }) as tf.Tensor;
      const fake = discriminator.apply(inputsOf(fakes.fake, b), { training: true }) as tf.Tensor;
      const d = discriminatorLoss(kind, real, fake);
      return { total: d, terms: {} };
    },
  };
}

/**
 * Samples of a trained generator in inference mode: `labels` (class indices; ignored for an
 * unconditional generator, which then makes labels.length samples) with seeded N(0, 1) noise.
 * Returns [N, H, W, C] in [0, 1].
 */
export function generateSamples(generator: tf.LayersModel, labels: ArrayLike<number>, seed: number, classes = 10): tf.Tensor4D {
  return tf.tidy(() => {
    const n = labels.length;
    const latent = generator.inputs[0].shape[1] as number;
    const noise = tf.randomNormal([n, latent], 0, 1, 'float32', seed);
    const inputs = isConditional(generator) ? [noise, tf.oneHot(tf.tensor1d(Array.from(labels), 'int32'), classes).toFloat()] : noise;
    const out = generator.predict(inputs) as tf.Tensor4D;
    return tf.clipByValue(tf.mul(tf.add(out, 1), 0.5), 0, 1) as tf.Tensor4D;
  });
}
