/**
 * A small DCGAN (Radford et al. 2016) for 28x28 digits, unconditional or conditioned on a class label
 * (Mirza & Osindero 2014, "Conditional GAN": the label is one more input of both networks). Its
 * training step is lib/gan/cgan.ts.
 *
 * Generator: [noise z, one-hot label] concatenated -> dense to 7x7x(2f) -> BN, ReLU -> 4x4 stride-2
 * transposed convolution to 14x14xf -> BN, ReLU -> 4x4 stride-2 transposed convolution to 28x28x1 -> tanh.
 * Discriminator: 4x4 stride-2 convolutions f, 2f (LeakyReLU 0.2) -> flatten -> one logit, plus the
 * projection of the label's embedding on the features when conditional. No batch norm in the
 * discriminator (it would mix real and generated statistics). Weights from N(0, 0.02) as DCGAN.
 * NHWC, images in [-1, 1].
 */
import * as tf from '@tensorflow/tfjs';
import { pix2pixInitializer } from './unet';

export interface DcganOptions {
  /** Size of the noise vector z (default 64). */
  latentSize?: number;
  /** Number of classes of the condition; 0 = unconditional (default 10). */
  classes?: number;
  /** Width f (default 32): the generator's 14x14 layer and the discriminator's first layer. */
  filters?: number;
  seed?: number;
  name?: string;
  /**
   * Discriminator only, conditional only: a second output, `class_logits` [N, classes], that classifies the
   * image itself (the auxiliary classifier of AC-GAN, Odena et al. 2017); lib/gan/cgan.ts adds its
   * cross-entropy to both players' losses (default false).
   */
  auxiliaryClassifier?: boolean;
}

/** Generator: inputs [z [N, latentSize], label [N, classes] one-hot] (z only when unconditional) -> [N, 28, 28, 1] in [-1, 1]. */
export function buildDcganGenerator(options: DcganOptions = {}): tf.LayersModel {
  const latent = options.latentSize ?? 64;
  const classes = options.classes ?? 10;
  const f = options.filters ?? 32;
  let seed = options.seed;
  const init = () => pix2pixInitializer(seed == null ? undefined : seed++);
  const z = tf.input({ shape: [latent], name: 'noise' });
  const label = classes > 0 ? tf.input({ shape: [classes], name: 'label' }) : null;
  let x: tf.SymbolicTensor = label ? (tf.layers.concatenate({ name: 'condition' }).apply([z, label]) as tf.SymbolicTensor) : z;
  x = tf.layers.dense({ units: 7 * 7 * 2 * f, useBias: false, kernelInitializer: init(), name: 'project' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.reshape({ targetShape: [7, 7, 2 * f], name: 'to_7x7' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.batchNormalization({ momentum: 0.9, name: 'bn7' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.reLU({ name: 'relu7' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.conv2dTranspose({ filters: f, kernelSize: 4, strides: 2, padding: 'same', useBias: false, kernelInitializer: init(), name: 'up14' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.batchNormalization({ momentum: 0.9, name: 'bn14' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.reLU({ name: 'relu14' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.conv2dTranspose({ filters: 1, kernelSize: 4, strides: 2, padding: 'same', kernelInitializer: init(), name: 'up28' }).apply(x) as tf.SymbolicTensor;
  const out = tf.layers.activation({ activation: 'tanh', name: 'image' }).apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: label ? [z, label] : [z], outputs: out, name: options.name ?? (label ? 'cgan_generator' : 'gan_generator') });
}

/**
 * Discriminator: inputs [image [N, 28, 28, 1], label [N, classes] one-hot] (image only when
 * unconditional) -> [N, 1] logits. The label enters by projection (Miyato & Koyama 2018):
 * logit = w . h + embed(label) . h, with h the flattened 7x7 features — the conditional form of the
 * same network, and cheaper here than concatenating a label map to the image (ten 28x28 label channels
 * made the cGAN step 1.7x slower: 320 vs 190 ms). With `auxiliaryClassifier`, outputs
 * [logit [N, 1], class logits [N, classes]] (a dense layer on the same h).
 */
export function buildDcganDiscriminator(options: DcganOptions = {}): tf.LayersModel {
  const classes = options.classes ?? 10;
  const f = options.filters ?? 32;
  let seed = options.seed;
  const init = () => pix2pixInitializer(seed == null ? undefined : seed++);
  const image = tf.input({ shape: [28, 28, 1], name: 'image' });
  const label = classes > 0 ? tf.input({ shape: [classes], name: 'label' }) : null;
  let x: tf.SymbolicTensor = tf.layers.conv2d({ filters: f, kernelSize: 4, strides: 2, padding: 'same', kernelInitializer: init(), name: 'down14' }).apply(image) as tf.SymbolicTensor;
  x = tf.layers.leakyReLU({ alpha: 0.2, name: 'lrelu14' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.conv2d({ filters: 2 * f, kernelSize: 4, strides: 2, padding: 'same', kernelInitializer: init(), name: 'down7' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.leakyReLU({ alpha: 0.2, name: 'lrelu7' }).apply(x) as tf.SymbolicTensor;
  const h = tf.layers.flatten({ name: 'features' }).apply(x) as tf.SymbolicTensor;
  let logit = tf.layers.dense({ units: 1, kernelInitializer: init(), name: 'logit' }).apply(h) as tf.SymbolicTensor;
  if (label) {
    const embedded = tf.layers.dense({ units: 7 * 7 * 2 * f, useBias: false, kernelInitializer: init(), name: 'label_embedding' }).apply(label) as tf.SymbolicTensor;
    const projection = tf.layers.dot({ axes: 1, name: 'projection' }).apply([h, embedded]) as tf.SymbolicTensor;
    logit = tf.layers.add({ name: 'conditional_logit' }).apply([logit, projection]) as tf.SymbolicTensor;
  }
  if (options.auxiliaryClassifier && !label) throw new Error('buildDcganDiscriminator: an auxiliary classifier needs classes > 0');
  const outputs = options.auxiliaryClassifier ? [logit, tf.layers.dense({ units: classes, kernelInitializer: init(), name: 'class_logits' }).apply(h) as tf.SymbolicTensor] : logit;
  return tf.model({ inputs: label ? [image, label] : [image], outputs, name: options.name ?? (label ? 'cgan_discriminator' : 'gan_discriminator') });
}
