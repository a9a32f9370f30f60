/**
 * The U-Net generator of pix2pix (Isola et al. 2017; junyanz/pytorch-CycleGAN-and-pix2pix's
 * UnetGenerator), sized for small images (64x64) so a 2-core machine trains it in a lesson. Its
 * training step is lib/gan/pix2pix.ts; its discriminator lib/nn/patchGan.ts.
 *
 * Encoder of 4x4 stride-2 convolutions (LeakyReLU 0.2, batch norm except the first), decoder of
 * 4x4 stride-2 transposed convolutions (ReLU, batch norm, dropout on the innermost
 * `dropoutLayers`), each decoder level concatenated with the encoder level of the same size (the
 * U-Net skips), tanh output in [-1, 1]. NHWC throughout.
 */
import * as tf from '@tensorflow/tfjs';

export interface UNetOptions {
  /** [H, W, C] of the source image; H and W divisible by 2^depth. */
  inputShape: [number, number, number];
  /** Channels of the generated image (default 3). */
  outChannels?: number;
  /** Filters of the first encoder level (default 32); doubled per level up to 8x. */
  filters?: number;
  /** Encoder levels (default: down to 1x1). */
  depth?: number;
  /** Innermost decoder levels with dropout 0.5 (default 3, as in the paper). */
  dropoutLayers?: number;
  seed?: number;
  name?: string;
}

/** pix2pix initialises every convolution from N(0, 0.02) (networks.py, init_type 'normal'). */
export function pix2pixInitializer(seed: number | undefined) {
  return tf.initializers.randomNormal({ mean: 0, stddev: 0.02, seed });
}

/** The U-Net generator as a functional tf.LayersModel: source image in [-1, 1] -> image in [-1, 1]. */
export function buildUNetGenerator(options: UNetOptions): tf.LayersModel {
  const [h, w] = options.inputShape;
  const depth = options.depth ?? Math.round(Math.log2(Math.min(h, w)));
  if (h % 2 ** depth !== 0 || w % 2 ** depth !== 0) {
    throw new Error(`U-Net: input ${h}x${w} is not divisible by 2^${depth}`);
  }
  const base = options.filters ?? 32;
  const dropoutLayers = options.dropoutLayers ?? 3;
  let seed = options.seed;
  const next = () => (seed == null ? undefined : seed++);
  const widths = Array.from({ length: depth }, (_, i) => base * Math.min(2 ** i, 8));
  const input = tf.input({ shape: options.inputShape, name: 'source' });
  const skips: tf.SymbolicTensor[] = [];
  let x: tf.SymbolicTensor = input;
  widths.forEach((f, i) => {
    if (i > 0) x = tf.layers.leakyReLU({ alpha: 0.2, name: `down${i + 1}_lrelu` }).apply(x) as tf.SymbolicTensor;
    x = tf.layers.conv2d({ filters: f, kernelSize: 4, strides: 2, padding: 'same', useBias: i === 0 || i === depth - 1, kernelInitializer: pix2pixInitializer(next()), name: `down${i + 1}_conv` }).apply(x) as tf.SymbolicTensor;
    if (i > 0 && i < depth - 1) x = tf.layers.batchNormalization({ momentum: 0.9, name: `down${i + 1}_bn` }).apply(x) as tf.SymbolicTensor;
    skips.push(x);
  });
  for (let i = depth - 2; i >= 0; i--) {
    const level = depth - 1 - i;
    x = tf.layers.reLU({ name: `up${level}_relu` }).apply(x) as tf.SymbolicTensor;
    x = tf.layers.conv2dTranspose({ filters: widths[i], kernelSize: 4, strides: 2, padding: 'same', useBias: false, kernelInitializer: pix2pixInitializer(next()), name: `up${level}_deconv` }).apply(x) as tf.SymbolicTensor;
    x = tf.layers.batchNormalization({ momentum: 0.9, name: `up${level}_bn` }).apply(x) as tf.SymbolicTensor;
    if (level <= dropoutLayers) x = tf.layers.dropout({ rate: 0.5, seed: next(), name: `up${level}_dropout` }).apply(x) as tf.SymbolicTensor;
    x = tf.layers.concatenate({ name: `up${level}_skip` }).apply([x, skips[i]]) as tf.SymbolicTensor;
  }
  x = tf.layers.reLU({ name: 'out_relu' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.conv2dTranspose({ filters: options.outChannels ?? 3, kernelSize: 4, strides: 2, padding: 'same', kernelInitializer: pix2pixInitializer(next()), name: 'out_deconv' }).apply(x) as tf.SymbolicTensor;
  const out = tf.layers.activation({ activation: 'tanh', name: 'out_tanh' }).apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: out, name: options.name ?? 'unet_generator' });
}
