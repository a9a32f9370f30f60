/**
 * pix2pix's training (Isola et al. 2017; junyanz/pytorch-CycleGAN-and-pix2pix's pix2pix_model.py):
 * the conditional GAN step on a batch of aligned pairs, a discriminator update and then a generator
 * update with the adversarial + lambda x L1 loss. The networks are lib/nn/unet.ts (generator) and
 * lib/nn/patchGan.ts (discriminator, which sees the source concatenated with a target).
 * Images are NHWC in [-1, 1].
 */
import * as tf from '@tensorflow/tfjs';
import { bceWithLogits } from './adversarialLoss';

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
