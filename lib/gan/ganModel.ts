/**
 * The one shape of every model in this folder (cGAN, pix2pix, super-resolution, CycleGAN), after
 * junyanz/pytorch-CycleGAN-and-pix2pix's `BaseModel` (set_input, forward, optimize_parameters): a model
 * is its networks, two optimisers and two loss functions, and `ganStep` is THE training iteration:
 *
 *   1. generator step: `generatorLoss(batch)` runs the generators (and the discriminators, frozen) on
 *      the batch while the tape records, returns the weighted total, its named terms and the generated
 *      images (`fakes`); the generator optimiser updates only the generators' weights;
 *   2. discriminator step: `discriminatorLoss(batch, fakes)` scores real images and the same fakes (no
 *      gradient reaches a generator: the fakes are constants here); the discriminator optimiser
 *      updates only the discriminators' weights;
 *   3. the losses are read once, as numbers.
 *
 * A model without a discriminator (L1- or L2-only regression) has none and skips step 2: the same
 * shape covers "regression vs GAN". One forward pass of the generators serves both steps (as the
 * reference's `forward()`); the reference updates pix2pix's discriminator before the generator's
 * step and CycleGAN's after it — here, as CycleGAN, always after (docs/design.md, "Conditional GANs").
 * To add a model: lib/gan/template.ts.
 */
import * as tf from '@tensorflow/tfjs';

/** Named tensors of one batch (images NHWC, one-hot labels, noise); what they are is the model's business. */
export type Batch = Record<string, tf.Tensor>;
/** Named scalar loss terms. */
export type LossTerms = Record<string, tf.Scalar>;

export interface GeneratorLoss {
  /** The weighted sum the generator optimiser minimises. */
  total: tf.Scalar;
  /** Its parts, unweighted where the name says so (reported, not optimised separately). */
  terms: LossTerms;
  /** Generated images the discriminator step scores (empty without a discriminator). */
  fakes: Batch;
}

export interface DiscriminatorLoss {
  total: tf.Scalar;
  terms: LossTerms;
}

/** A generative model in the kit's one step shape (see the top of this file). */
export interface GanModel {
  /** For logs and file names. */
  readonly name: string;
  /** Networks the generator step updates, by name (the ones a recipe saves). */
  readonly generators: Record<string, tf.LayersModel>;
  /** Networks the discriminator step updates (empty: a regression model). */
  readonly discriminators: Record<string, tf.LayersModel>;
  readonly gOptimizer: tf.Optimizer;
  /** null when there is no discriminator. */
  readonly dOptimizer: tf.Optimizer | null;
  /** Step 1's loss (called while the tape records the generators' weights). */
  generatorLoss(batch: Batch): GeneratorLoss;
  /** Step 2's loss on real data and the generator step's fakes; null without a discriminator. */
  discriminatorLoss(batch: Batch, fakes: Batch): DiscriminatorLoss | null;
  /** Frees state besides networks and optimisers (CycleGAN's image pools). */
  disposeState?(): void;
}

/** The trainable variables of some networks. */
export function trainableVariables(networks: Record<string, tf.LayersModel>): tf.Variable[] {
  return Object.values(networks).flatMap((m) => m.trainableWeights.map((w) => w.read() as tf.Variable));
}

/** Adam(2e-4, beta1 0.5): the optimiser of DCGAN, pix2pix and CycleGAN for both networks. */
export function ganAdam(learningRate = 2e-4, beta1 = 0.5): tf.Optimizer {
  return tf.train.adam(learningRate, beta1, 0.999);
}

/**
 * Step 1 alone: one update of the generators on `batch`. Returns the loss tensors (kept: the caller
 * disposes them) and the generated images the discriminator step will see (kept, likewise).
 */
export function generatorStep(model: GanModel, batch: Batch): { losses: LossTerms; fakes: Batch } {
  const losses: LossTerms = {};
  const fakes: Batch = {};
  const g = model.gOptimizer.minimize(() => {
    const out = model.generatorLoss(batch);
    for (const [k, v] of Object.entries(out.terms)) losses[k] = tf.keep(v);
    for (const [k, v] of Object.entries(out.fakes)) fakes[k] = tf.keep(v);
    return out.total;
  }, true, trainableVariables(model.generators))!;
  losses.g = g;
  return { losses, fakes };
}

/** Step 2 alone: one update of the discriminators on `batch` and the fakes. Returns its loss tensors (kept), none without a discriminator. */
export function discriminatorStep(model: GanModel, batch: Batch, fakes: Batch): LossTerms {
  const losses: LossTerms = {};
  if (!model.dOptimizer || Object.keys(model.discriminators).length === 0) return losses;
  const d = model.dOptimizer.minimize(() => {
    const out = model.discriminatorLoss(batch, fakes);
    if (!out) throw new Error(`${model.name}: has discriminators but discriminatorLoss returned null`);
    for (const [k, v] of Object.entries(out.terms)) losses[k] = tf.keep(v);
    return out.total;
  }, true, trainableVariables(model.discriminators))!;
  losses.d = d;
  return losses;
}

/**
 * One training iteration of any model of this folder: the generator step, then the discriminator
 * step on the same fakes (see the top of this file). Returns every loss term and the two totals
 * (`g`, and `d` when there is a discriminator) as numbers. Leaves no tensor behind.
 */
export function ganStep(model: GanModel, batch: Batch): Record<string, number> {
  const { losses, fakes } = generatorStep(model, batch);
  const dLosses = discriminatorStep(model, batch, fakes);
  const kept = { ...losses, ...dLosses };
  const names = Object.keys(kept);
  const stacked = tf.stack(names.map((k) => kept[k]));
  const values = stacked.dataSync();
  tf.dispose([stacked, ...Object.values(kept), ...Object.values(fakes)]);
  const out: Record<string, number> = {};
  names.forEach((k, i) => { out[k] = values[i]; });
  return out;
}

/** Disposes a model's networks and optimisers. */
export function disposeGanModel(model: GanModel, options: { networks?: boolean } = {}): void {
  model.gOptimizer.dispose();
  model.dOptimizer?.dispose();
  model.disposeState?.();
  if (options.networks ?? true) for (const m of [...Object.values(model.generators), ...Object.values(model.discriminators)]) m.dispose();
}
