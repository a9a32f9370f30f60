/**
 * The (conditional) GAN of Goodfellow et al. 2014 / Mirza & Osindero 2014 in the kit's one step shape
 * (lib/gan/ganModel.ts): G(z, c) against D(x, c), binary cross-entropy, the generator's non-saturating
 * loss BCE(D(G(z, c), c), 1), Adam 2e-4 / 0.5 for both (DCGAN). Without classes it is the
 * unconditional GAN: P(X) instead of P(X | c). Networks: lib/nn/dcgan.ts.
 *
 * Batch: `real` [N, H, W, C] in [-1, 1], `noise` [N, latent] ~ N(0, 1), and for a conditional model
 * `label` [N, classes] one-hot (the generator is asked for the real batch's labels).
 *
 * A discriminator with a second output (class logits: lib/nn/dcgan.ts `auxiliaryClassifier`) makes it
 * AC-GAN's (Odena et al. 2017): the discriminator also learns to classify real images (cross-entropy with
 * their labels), and the generator is also rewarded when its image is classified as the label it was
 * asked for — a direct signal for "draw the asked digit" besides the projection's. Both terms weigh
 * `auxiliaryWeight` (default 1).
 */
import * as tf from '@tensorflow/tfjs';
import { adversarialLoss, AdversarialKind, discriminatorLoss } from './adversarialLoss';
import { Batch, GanModel, GeneratorLoss, DiscriminatorLoss, ganAdam } from './ganModel';

export interface CganOptions {
  /** 'bce' (default) or 'lsgan'. */
  gan?: AdversarialKind;
  learningRate?: number;
  beta1?: number;
  /** Weight of the auxiliary classifier's cross-entropy, when the discriminator has one (default 1). */
  auxiliaryWeight?: number;
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
  const auxiliary = discriminator.outputs.length > 1;
  if (auxiliary && !conditional) throw new Error('createCgan: an auxiliary classifier needs a conditional model (labels to classify)');
  const auxWeight = options.auxiliaryWeight ?? 1;
  // [realness logit, class logits or null] of D on (image, label)
  const judge = (image: tf.Tensor, b: Batch): [tf.Tensor, tf.Tensor | null] => {
    const out = discriminator.apply(inputsOf(image, b), { training: true }) as tf.Tensor | tf.Tensor[];
    return Array.isArray(out) ? [out[0], out[1]] : [out, null];
  };
  const classLoss = (logits: tf.Tensor, b: Batch) => tf.mul(tf.losses.softmaxCrossEntropy(b.label, logits), auxWeight) as tf.Scalar;
  return {
    name: conditional ? 'cgan' : 'gan',
    generators: { generator },
    discriminators: { discriminator },
    gOptimizer: ganAdam(options.learningRate, options.beta1),
    dOptimizer: ganAdam(options.learningRate, options.beta1),
    generatorLoss(b): GeneratorLoss {
      const fake = generator.apply(inputsOf(b.noise, b), { training: true }) as tf.Tensor;
      const [logit, classes] = judge(fake, b);
      const gAdv = adversarialLoss(kind, logit, 1);
      if (!classes) return { total: gAdv, terms: { gAdv }, fakes: { fake } };
      const gAux = classLoss(classes, b);
      return { total: tf.add(gAdv, gAux) as tf.Scalar, terms: { gAdv, gAux }, fakes: { fake } };
    },
    discriminatorLoss(b, fakes): DiscriminatorLoss {
      const [real, realClasses] = judge(b.real, b);
      const [fake] = judge(fakes.fake, b);
      const d = discriminatorLoss(kind, real, fake);
      if (!realClasses) return { total: d, terms: {} };
      const dAux = classLoss(realClasses, b);
      return { total: tf.add(d, dAux) as tf.Scalar, terms: { dAux } };
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
