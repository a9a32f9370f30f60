/**
 * How to add a model to lib/gan — a documented skeleton, after junyanz/pytorch-CycleGAN-and-pix2pix's
 * `models/template_model.py`. Every model of this folder has the one shape of lib/gan/ganModel.ts,
 * so `ganStep` and `trainGan` train it, recipes save it and the tests check it, with nothing else to
 * write. Copy this file, rename `createTemplateModel`, and fill in the four numbered parts:
 *
 *   1. the networks (architectures live in lib/nn; build them there, pass them in here);
 *   2. the optimisers (`ganAdam()` = Adam 2e-4 / 0.5, the usual GAN settings);
 *   3. `generatorLoss(batch)`: run the generators on the batch, score the result with the
 *      discriminators (their weights are not updated in this step), add the other terms with their
 *      weights; return the total, every term by name (they are logged) and the generated images the
 *      discriminators must judge (`fakes`);
 *   4. `discriminatorLoss(batch, fakes)`: score real images as real and the fakes as fake
 *      (`discriminatorLoss(kind, real, fake)` halves the sum, as the references do); return null
 *      when the model has no discriminator.
 *
 * Decide what a batch holds (named tensors, images in [-1, 1] for tanh generators) and document it
 * at the top of your file, as lib/gan/pix2pix.ts and lib/gan/cycleGan.ts do. Then: export it from
 * lib/gan/index.ts, add a recipe (lib/gan/recipes.ts) if a lesson needs trained weights, and a test
 * that one step updates only the networks it should (tests/gan.test.ts has one for each model).
 *
 * This template is itself a working model — a conditional image generator with an L1 term and a
 * least-squares discriminator — so the tests can run it, and so can you:
 *   const model = createTemplateModel(G, D, { lambda: 10 });
 *   await trainGan(model, { steps: 100, batch: batchSampler({ source, target }, 8, 0) });
 */
import * as tf from '@tensorflow/tfjs';
import { adversarialLoss, discriminatorLoss, meanAbsoluteError } from './adversarialLoss';
import { GanModel, ganAdam } from './ganModel';

export interface TemplateOptions {
  /** Weight of the L1 term (an example of a model option). */
  lambda?: number;
}

/** The skeleton model: batch { source, target } [N, H, W, C] in [-1, 1]. */
export function createTemplateModel(generator: tf.LayersModel, discriminator: tf.LayersModel, options: TemplateOptions = {}): GanModel {
  const lambda = options.lambda ?? 10;
  return {
    name: 'template',
    // 1. the networks, by role: the generator step updates `generators`, the discriminator step `discriminators`
    generators: { generator },
    discriminators: { discriminator },
    // 2. the optimisers
    gOptimizer: ganAdam(),
    dOptimizer: ganAdam(),
    // 3. the generator's loss (the tape is recording; the discriminator only scores)
    generatorLoss(batch) {
      const fake = generator.apply(batch.source, { training: true }) as tf.Tensor;
      const gAdv = adversarialLoss('lsgan', discriminator.apply(fake, { training: true }) as tf.Tensor, 1);
      const l1 = meanAbsoluteError(fake, batch.target);
      return { total: tf.add(gAdv, tf.mul(lambda, l1)) as tf.Scalar, terms: { gAdv, l1 }, fakes: { fake } };
    },
    // 4. the discriminator's loss on real images and on the generator step's fakes
    discriminatorLoss(batch, fakes) {
      const real = discriminator.apply(batch.target, { training: true }) as tf.Tensor;
      const fake = discriminator.apply(fakes.fake, { training: true }) as tf.Tensor;
      return { total: discriminatorLoss('lsgan', real, fake), terms: {} };
    },
  };
}
