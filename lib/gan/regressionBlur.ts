/**
 * Why regression blurs (lecture; seeds 001/002): one input, two equally valid answers. The target for
 * the same input is black (0) with probability p and white (1) otherwise. The loss decides what a
 * network outputs:
 * - L2 (MSE) is minimised by the mean, 1 - p: a grey that never occurs;
 * - L1 (MAE) by the median: white if p < 0.5, black if p > 0.5 — one answer always, never grey
 *   (the seeds say "L1 gives grey": that is L2's answer);
 * - a GAN (noise input z, a discriminator) by the distribution itself: black for a fraction p of the
 *   noise draws, white for the rest.
 *
 * The same three models in the kit's one step shape (lib/gan/ganModel.ts), on MLPs (lib/nn/mlp.ts):
 * G(condition, z) -> one number (linear output), D(condition, value) -> logit.
 * Adam 1e-3 (beta1 0.5), 1000 GAN steps: longer or faster runs can lose the black mode (docs/design.md,
 * "The blur toy").
 */
import * as tf from '@tensorflow/tfjs';
import { buildMlp } from '../nn/mlp';
import { adversarialLoss, discriminatorLoss, meanAbsoluteError, meanSquaredError } from './adversarialLoss';
import { GanModel, disposeGanModel } from './ganModel';
import { trainGan } from './training';
import { Random } from '../runtime/random';

export type BlurLoss = 'l2' | 'l1' | 'gan';

/** Size of the noise vector the toy's generator gets besides its condition. */
export const BLUR_TOY_NOISE = 4;

/** The toy model for `loss`: a generator G(condition, z) and, for 'gan', a discriminator D(condition, value). */
export function createBlurToyModel(loss: BlurLoss, seed = 0, learningRate = 1e-3): GanModel {
  const generator = buildMlp({ inputSize: 1 + BLUR_TOY_NOISE, hidden: [32, 32], outputs: 1, activation: 'leakyRelu', seed, name: `blur_${loss}_G` });
  const discriminator = loss === 'gan' ? buildMlp({ inputSize: 2, hidden: [32, 32], outputs: 1, activation: 'leakyRelu', seed: seed + 100, name: 'blur_D' }) : null;
  const g = (b: Record<string, tf.Tensor>) => generator.apply(tf.concat([b.condition, b.noise], 1), { training: true }) as tf.Tensor;
  return {
    name: `blur toy (${loss})`,
    generators: { generator },
    discriminators: discriminator ? { discriminator } : {},
    gOptimizer: tf.train.adam(learningRate, 0.5),
    dOptimizer: discriminator ? tf.train.adam(learningRate, 0.5) : null,
    generatorLoss(b) {
      const fake = g(b);
      if (!discriminator) {
        const total = loss === 'l2' ? meanSquaredError(fake, b.target) : meanAbsoluteError(fake, b.target);
        return { total, terms: { [loss]: total }, fakes: {} as Record<string, tf.Tensor> };
      }
      const gAdv = adversarialLoss('bce', discriminator.apply(tf.concat([b.condition, fake], 1), { training: true }) as tf.Tensor, 1);
      return { total: gAdv, terms: { gAdv }, fakes: { fake } };
    },
    discriminatorLoss(b, fakes) {
      if (!discriminator) return null;
      const real = discriminator.apply(tf.concat([b.condition, b.target], 1), { training: true }) as tf.Tensor;
      const fake = discriminator.apply(tf.concat([b.condition, fakes.fake], 1), { training: true }) as tf.Tensor;
      return { total: discriminatorLoss('bce', real, fake), terms: {} };
    },
  };
}

/** A batch of the toy: condition 1, noise ~ N(0, 1), target 0 with probability `pBlack`, else 1. Seeded by `seed` and `step`. */
export function blurToyBatch(batchSize: number, pBlack: number, seed: number, step: number): Record<string, tf.Tensor> {
  const rng = new Random(seed * 100003 + step);
  const target = Float32Array.from({ length: batchSize }, () => (rng.next() < pBlack ? 0 : 1));
  const noise = Float32Array.from({ length: batchSize * BLUR_TOY_NOISE }, () => rng.normal());
  return { condition: tf.ones([batchSize, 1]), noise: tf.tensor2d(noise, [batchSize, BLUR_TOY_NOISE]), target: tf.tensor2d(target, [batchSize, 1]) };
}

export interface BlurToyResult {
  loss: BlurLoss;
  /** The trained generator's outputs for `samples` noise draws. */
  outputs: Float32Array;
  mean: number;
  median: number;
  /** Fraction of outputs below 0.25 ("black"), between 0.25 and 0.85 ("grey": L2's mean 0.7 at p = 0.3 lies well inside), above 0.85 ("white"). */
  black: number;
  grey: number;
  white: number;
  seconds: number;
}

/** Trains the toy with `loss` for `steps` steps (batch 256) and samples its output for 2,000 noise draws. */
export async function trainBlurToy(loss: BlurLoss, options: { pBlack: number; steps: number; seed?: number; progress?: boolean }): Promise<BlurToyResult> {
  const seed = options.seed ?? 0;
  const model = createBlurToyModel(loss, seed);
  const run = await trainGan(model, { steps: options.steps, batch: (s) => blurToyBatch(256, options.pBlack, seed, s), progress: options.progress ?? false, label: loss, decayFraction: 0.3 });
  const test = blurToyBatch(2000, options.pBlack, seed + 7777, 0);
  const out = tf.tidy(() => model.generators.generator.predict(tf.concat([test.condition, test.noise], 1)) as tf.Tensor);
  const outputs = Float32Array.from(out.dataSync());
  tf.dispose([out, ...Object.values(test)]);
  disposeGanModel(model);
  const sorted = Array.from(outputs).sort((a, b) => a - b);
  const frac = (f: (v: number) => boolean) => outputs.filter(f).length / outputs.length;
  return {
    loss, outputs, seconds: run.seconds,
    mean: outputs.reduce((a, b) => a + b, 0) / outputs.length,
    median: sorted[sorted.length >> 1],
    black: frac((v) => v < 0.25), grey: frac((v) => v >= 0.25 && v <= 0.85), white: frac((v) => v > 0.85),
  };
}
