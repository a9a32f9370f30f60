/**
 * pix2pix (Isola et al. 2017): a U-Net generator and a PatchGAN discriminator, and one training
 * step of the conditional GAN (the discriminator, then the generator with an adversarial + L1
 * loss). Sized for small images (64x64) so a 2-core machine trains them in a lesson.
 *
 * Generator: encoder of 4x4 stride-2 convolutions (LeakyReLU 0.2, batch norm except the first),
 * decoder of 4x4 stride-2 transposed convolutions (ReLU, batch norm, dropout on the innermost
 * `dropoutLayers`), each decoder level concatenated with the encoder level of the same size
 * (the U-Net skips), tanh output in [-1, 1].
 * Discriminator: the "70x70" PatchGAN of the paper scaled down: C(f)-C(2f)-C(4f) at stride 2, C(8f)
 * at stride 1, then a 1-channel 4x4 convolution; one logit per patch. It sees the source image
 * concatenated with a real or generated target.
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

export interface PatchGanOptions {
  /** [H, W, C] of the discriminator's input: source and target concatenated on channels. */
  inputShape: [number, number, number];
  /** Filters of the first layer (default 32). */
  filters?: number;
  /** Stride-2 layers (default 3). */
  layers?: number;
  seed?: number;
  name?: string;
}

function initializer(seed: number | undefined) {
  // pix2pix initialises every convolution from N(0, 0.02).
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
    x = tf.layers.conv2d({ filters: f, kernelSize: 4, strides: 2, padding: 'same', useBias: i === 0 || i === depth - 1, kernelInitializer: initializer(next()), name: `down${i + 1}_conv` }).apply(x) as tf.SymbolicTensor;
    if (i > 0 && i < depth - 1) x = tf.layers.batchNormalization({ momentum: 0.9, name: `down${i + 1}_bn` }).apply(x) as tf.SymbolicTensor;
    skips.push(x);
  });
  for (let i = depth - 2; i >= 0; i--) {
    const level = depth - 1 - i;
    x = tf.layers.reLU({ name: `up${level}_relu` }).apply(x) as tf.SymbolicTensor;
    x = tf.layers.conv2dTranspose({ filters: widths[i], kernelSize: 4, strides: 2, padding: 'same', useBias: false, kernelInitializer: initializer(next()), name: `up${level}_deconv` }).apply(x) as tf.SymbolicTensor;
    x = tf.layers.batchNormalization({ momentum: 0.9, name: `up${level}_bn` }).apply(x) as tf.SymbolicTensor;
    if (level <= dropoutLayers) x = tf.layers.dropout({ rate: 0.5, seed: next(), name: `up${level}_dropout` }).apply(x) as tf.SymbolicTensor;
    x = tf.layers.concatenate({ name: `up${level}_skip` }).apply([x, skips[i]]) as tf.SymbolicTensor;
  }
  x = tf.layers.reLU({ name: 'out_relu' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.conv2dTranspose({ filters: options.outChannels ?? 3, kernelSize: 4, strides: 2, padding: 'same', kernelInitializer: initializer(next()), name: 'out_deconv' }).apply(x) as tf.SymbolicTensor;
  const out = tf.layers.activation({ activation: 'tanh', name: 'out_tanh' }).apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: out, name: options.name ?? 'unet_generator' });
}

/** The PatchGAN discriminator: [source, target] concatenated -> a map of real/fake logits. */
export function buildPatchGan(options: PatchGanOptions): tf.LayersModel {
  const base = options.filters ?? 32;
  const layers = options.layers ?? 3;
  let seed = options.seed;
  const next = () => (seed == null ? undefined : seed++);
  const input = tf.input({ shape: options.inputShape, name: 'pair' });
  let x: tf.SymbolicTensor = input;
  for (let i = 0; i <= layers; i++) {
    const f = base * Math.min(2 ** i, 8);
    x = tf.layers.conv2d({ filters: f, kernelSize: 4, strides: i < layers ? 2 : 1, padding: 'same', useBias: i === 0, kernelInitializer: initializer(next()), name: `d${i + 1}_conv` }).apply(x) as tf.SymbolicTensor;
    if (i > 0) x = tf.layers.batchNormalization({ momentum: 0.9, name: `d${i + 1}_bn` }).apply(x) as tf.SymbolicTensor;
    x = tf.layers.leakyReLU({ alpha: 0.2, name: `d${i + 1}_lrelu` }).apply(x) as tf.SymbolicTensor;
  }
  const logits = tf.layers.conv2d({ filters: 1, kernelSize: 4, strides: 1, padding: 'same', kernelInitializer: initializer(next()), name: 'patch_logits' }).apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: logits, name: options.name ?? 'patchgan' });
}

/** Binary cross-entropy of logits against a constant label (1 = real, 0 = fake), averaged. */
export function bceWithLogits(logits: tf.Tensor, label: 0 | 1): tf.Scalar {
  return tf.tidy(() => tf.losses.sigmoidCrossEntropy(label === 1 ? tf.onesLike(logits) : tf.zerosLike(logits), logits) as tf.Scalar);
}

export interface Pix2PixState {
  generator: tf.LayersModel;
  discriminator: tf.LayersModel;
  gOptimizer: tf.Optimizer;
  dOptimizer: tf.Optimizer;
  /** Weight of the L1 term in the generator's loss (paper: 100). */
  lambdaL1: number;
}

export interface Pix2PixLosses {
  /** Discriminator: BCE(D(x, y), real) + BCE(D(x, G(x)), fake), halved as in the paper. */
  d: number;
  /** Generator's adversarial term BCE(D(x, G(x)), real). */
  gAdv: number;
  /** Generator's mean absolute error to the target. */
  l1: number;
}

/** Adam(2e-4, beta1 0.5) for both networks, lambda 100: the paper's settings. */
export function createPix2Pix(generator: tf.LayersModel, discriminator: tf.LayersModel, lambdaL1 = 100): Pix2PixState {
  return { generator, discriminator, gOptimizer: tf.train.adam(2e-4, 0.5), dOptimizer: tf.train.adam(2e-4, 0.5), lambdaL1 };
}

function trainableVars(model: tf.LayersModel): tf.Variable[] {
  return model.trainableWeights.map((w) => w.read() as tf.Variable);
}

/**
 * One pix2pix iteration on a batch: a discriminator step, then a generator step.
 * `source` and `target` are [N, H, W, C] in [-1, 1]. Returns the three losses (read once, at the end).
 */
export function pix2pixStep(state: Pix2PixState, source: tf.Tensor4D, target: tf.Tensor4D): Pix2PixLosses {
  const { generator: G, discriminator: D } = state;
  const dLoss = tf.tidy(() => {
    const fake = G.apply(source, { training: true }) as tf.Tensor4D;
    return state.dOptimizer.minimize(() => {
      const real = D.apply(tf.concat([source, target], 3), { training: true }) as tf.Tensor;
      const faked = D.apply(tf.concat([source, fake], 3), { training: true }) as tf.Tensor;
      return tf.mul(0.5, tf.add(bceWithLogits(real, 1), bceWithLogits(faked, 0))) as tf.Scalar;
    }, true, trainableVars(D))!;
  });
  let adv!: tf.Scalar;
  let l1!: tf.Scalar;
  const gLoss = state.gOptimizer.minimize(() => {
    const fake = G.apply(source, { training: true }) as tf.Tensor4D;
    const logits = D.apply(tf.concat([source, fake], 3), { training: true }) as tf.Tensor;
    adv = tf.keep(bceWithLogits(logits, 1));
    l1 = tf.keep(tf.mean(tf.abs(tf.sub(fake, target))) as tf.Scalar);
    return tf.add(adv, tf.mul(state.lambdaL1, l1)) as tf.Scalar;
  }, true, trainableVars(G))!;
  const [d, a, l] = [dLoss.dataSync()[0], adv.dataSync()[0], l1.dataSync()[0]];
  tf.dispose([dLoss, gLoss, adv, l1]);
  return { d, gAdv: a, l1: l };
}
