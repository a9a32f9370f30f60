/**
 * pix2pix (Isola et al. 2017; junyanz/pytorch-CycleGAN-and-pix2pix `pix2pix_model.py`) in the kit's one
 * step shape (lib/gan/ganModel.ts): a generator G: source -> target trained on aligned pairs with
 *
 *   L_G = L_cGAN(G, D) + lambda * L1(G(x), y),   L_cGAN = BCE(D(x, G(x)), real)  (non-saturating)
 *   L_D = 0.5 * [BCE(D(x, y), real) + BCE(D(x, G(x)), fake)]
 *
 * lambda = 100, Adam 2e-4 / beta1 0.5: the paper's settings. The discriminator (a PatchGAN,
 * lib/nn/patchGan.ts) sees the source concatenated with a real or generated target: that is what
 * makes it *conditional* — x is the input (source), y the real output; seed 002 has the two swapped
 * ("x: ground-truth, y: output", L1 = ||y - G(x, y)||): correctly L1 = ||y - G(x, z)||_1.
 *
 * The same model covers the lesson's ablations and super-resolution: `discriminator` null gives
 * regression only (`reconstruction` 'l1' = MAE, 'l2' = MSE), `lambda` 0 gives cGAN only, and
 * `condition` maps the source to what D sees beside the target (super-resolution upsamples the
 * low-resolution input to the target's size). Networks: lib/nn/unet.ts, lib/nn/transformNet.ts (buildSuperResolutionNet).
 *
 * Batch: `source` [N, h, w, Cs] and `target` [N, H, W, Ct], in the generator's range.
 */
import * as tf from '@tensorflow/tfjs';
import { adversarialLoss, AdversarialKind, discriminatorLoss, meanAbsoluteError, meanSquaredError } from './adversarialLoss';
import { GanModel, ganAdam, ganStep } from './ganModel';

export interface Pix2PixOptions {
  /** Weight of the reconstruction term (paper: 100; 0 = cGAN only). */
  lambda?: number;
  /** 'l1' (default, pix2pix) or 'l2'. */
  reconstruction?: 'l1' | 'l2';
  /** 'bce' (default, pix2pix) or 'lsgan'. */
  gan?: AdversarialKind;
  /** What the discriminator sees beside the target (default: the source itself). */
  condition?: (source: tf.Tensor) => tf.Tensor;
  learningRate?: number;
  beta1?: number;
  name?: string;
}

/** A pix2pix model; `discriminator` null trains the generator on the reconstruction loss alone. */
export function createPix2Pix(generator: tf.LayersModel, discriminator: tf.LayersModel | null, options: Pix2PixOptions = {}): GanModel & { lambda: number } {
  const lambda = options.lambda ?? 100;
  const reconstruction = options.reconstruction ?? 'l1';
  const kind = options.gan ?? 'bce';
  const condition = options.condition ?? ((s: tf.Tensor) => s);
  const recLoss = reconstruction === 'l1' ? meanAbsoluteError : meanSquaredError;
  const pair = (source: tf.Tensor, image: tf.Tensor) => tf.concat([condition(source), image], 3);
  return {
    name: options.name ?? (discriminator ? (lambda > 0 ? `pix2pix (cGAN + ${lambda} ${reconstruction.toUpperCase()})` : 'pix2pix (cGAN only)') : `regression (${reconstruction.toUpperCase()})`),
    lambda,
    generators: { generator },
    discriminators: discriminator ? { discriminator } : {},
    gOptimizer: ganAdam(options.learningRate, options.beta1),
    dOptimizer: discriminator ? ganAdam(options.learningRate, options.beta1) : null,
    generatorLoss(b) {
      const fake = generator.apply(b.source, { training: true }) as tf.Tensor;
      const rec = recLoss(fake, b.target);
      const terms = { [reconstruction]: rec } as Record<string, tf.Scalar>;
      if (!discriminator) return { total: rec, terms, fakes: {} as Record<string, tf.Tensor> };   // regression: the weight is moot (Adam is scale-free)
      const gAdv = adversarialLoss(kind, discriminator.apply(pair(b.source, fake), { training: true }) as tf.Tensor, 1);
      terms.gAdv = gAdv;
      return { total: tf.add(gAdv, tf.mul(lambda, rec)) as tf.Scalar, terms, fakes: { fake } };
    },
    discriminatorLoss(b, fakes) {
      if (!discriminator) return null;
      const real = discriminator.apply(pair(b.source, b.target), { training: true }) as tf.Tensor;
      const fake = discriminator.apply(pair(b.source, fakes.fake), { training: true }) as tf.Tensor;
      return { total: discriminatorLoss(kind, real, fake), terms: {} };
    },
  };
}

/**
 * One pix2pix iteration on a batch (`ganStep` of the model): the generator's step, then the
 * discriminator's on the same generated images. `source`, `target` [N, H, W, C] in [-1, 1].
 * Returns the discriminator's loss `d`, the generator's adversarial term `gAdv` and its `l1`.
 */
export function pix2pixStep(model: GanModel, source: tf.Tensor4D, target: tf.Tensor4D): { d: number; gAdv: number; l1: number } {
  const r = ganStep(model, { source, target });
  return { d: r.d, gAdv: r.gAdv, l1: r.l1 };
}
