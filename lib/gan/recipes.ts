/**
 * Lesson 05's recipes (`cvkit train <name>`; how recipes work: lib/train/recipe.ts): each trains its
 * models for a fixed, seeded number of steps and records metrics measured on held-out generated data.
 * The shapes are the ones lib/train/recipe.ts's `Recipe` expects (a topic does not import lib/train;
 * lib/train/registry.ts lists these).
 *
 *   mnist-gan, mnist-cgan            P(X) vs P(X | label) on MNIST (lib/nn/dcgan.ts)
 *   sr-mse, sr-mae, sr-gan           x4 super-resolution (lib/nn/transformNet.ts, lesson 06's net; the task of
 *                                    datasets/superResolution.ts that lesson 06 shares) with L2, L1, L1 + GAN
 *   pix2pix-l1, pix2pix-cgan,        silhouette -> scene (datasets/silhouettes.ts) with L1 only, cGAN only,
 *   pix2pix-cgan-l1                  cGAN + 100 L1 (U-Net + PatchGAN)
 *   cyclegan, cyclegan-no-cycle      the same domains unpaired, cycle weight 10 and 0, three seeds each
 *                                    (mean and spread in recipe.json)
 *
 * The evaluation functions are exported so the notebook measures live models the same way.
 */
import * as tf from '@tensorflow/tfjs';
import { loadMnist } from '../../datasets/mnist';
import { superResolutionPairs } from '../../datasets/superResolution';
import { silhouetteScenes, sceneObjectMask, silhouetteMask, SilhouetteScenes } from '../../datasets/silhouettes';
import { buildDcganGenerator, buildDcganDiscriminator } from '../nn/dcgan';
import { buildSuperResolutionNet } from '../nn/transformNet';
import { buildUNetGenerator } from '../nn/unet';
import { buildPatchGan } from '../nn/patchGan';
import { buildResnetGenerator } from '../nn/resnetGenerator';
import { loadModel } from '../runtime/modelIO';
import { projectPath } from '../runtime/paths';
import { psnr, highFrequencyRatio } from '../ops/imageQuality';
import { createCgan, generateSamples } from './cgan';
import { createPix2Pix } from './pix2pix';
import { createCycleGan } from './cycleGan';
import { disposeGanModel, GanModel } from './ganModel';
import { batchSampler, trainGan, toSigned, fromSigned } from './training';
import { classifierAccuracy, classifierFrechetDistance, classifierPredictions, maskIoU, meanAbsoluteDifference, meanAndSpread, outputDiversity } from './metrics';

/** What lib/train/recipe.ts's `Recipe` is (structurally). */
export interface GanRecipe {
  name: string;
  lesson: string;
  summary: string;
  train(o: { quick: boolean; seed: number; progress: boolean; log: (line: string) => void }): Promise<{ models: Record<string, tf.LayersModel>; steps: number }>;
  evaluate(models: Record<string, tf.LayersModel>, o: { quick: boolean }): Promise<Record<string, number>>;
  float32?: string[];
}

const LESSON = 'notebooks/05-conditional-gans.ipynb';
const classifiers = new Map<string, tf.LayersModel>();

/** The kit's shipped classifier `name` (datasets/weights/<name>), loaded once per process and kept. */
export async function kitClassifier(name: 'mnist-classifier' | 'shapes-classifier'): Promise<tf.LayersModel> {
  if (!classifiers.has(name)) classifiers.set(name, await loadModel(projectPath('datasets', 'weights', name)));
  return classifiers.get(name)!;
}

const round = (v: number, digits = 4) => Math.round(v * 10 ** digits) / 10 ** digits;

// ---------------------------------------------------------------------------------------------
// MNIST: P(X) and P(X | label)

/** The settings of mnist-cgan (`steps`) and mnist-gan (`unconditionalSteps`; it only has to look like digits). */
export const MNIST_GAN = { latentSize: 64, filters: 32, batchSize: 64, steps: 3000, unconditionalSteps: 1000, quickSteps: 3, samplesPerClass: 100, sampleSeed: 2024 };

/**
 * MNIST digits for the GANs: the training split of the MNIST classifier's recipe (seed 0, 20% test),
 * as { real [N, 28, 28, 1] in [-1, 1], label [N, 10] one-hot } tensors (caller disposes).
 */
export function mnistGanData(quick: boolean): { real: tf.Tensor; label: tf.Tensor } {
  const { train } = loadMnist({ seed: 0, testFraction: 0.2, limit: quick ? 600 : undefined });
  return tf.tidy(() => ({ real: toSigned(tf.tensor4d(train.images, [train.count, 28, 28, 1])), label: tf.oneHot(tf.tensor1d(train.labels, 'int32'), 10).toFloat() }));
}

/** The MNIST classifier's test digits [N, 28, 28, 1] in [0, 1] (real digits no GAN trained on), and their labels. */
export function mnistTestDigits(quick: boolean): { images: tf.Tensor4D; labels: Int32Array } {
  const { test } = loadMnist({ seed: 0, testFraction: 0.2, limit: quick ? 600 : undefined });
  return { images: tf.tensor4d(test.images, [test.count, 28, 28, 1]), labels: test.labels };
}

/**
 * Samples `perClass` digits of every class from a generator (for an unconditional one, 10 x perClass
 * samples), scored by the MNIST classifier (datasets/weights/mnist-classifier, 96.9% on real test
 * digits): `labelAccuracy` = fraction classified as the label they were asked for (conditional only),
 * `classEntropy` = entropy (bits) of the predicted classes (log2 10 = 3.32 when all ten are equally
 * common), `frechetDistance` to the real test digits on the classifier's 64 GAP features (not Inception FID).
 */
export async function evaluateDigitGenerator(generator: tf.LayersModel, options: { quick: boolean }): Promise<Record<string, number>> {
  const classifier = await kitClassifier('mnist-classifier');
  const perClass = options.quick ? 10 : MNIST_GAN.samplesPerClass;
  const labels = Int32Array.from({ length: 10 * perClass }, (_, i) => i % 10);
  const samples = generateSamples(generator, labels, MNIST_GAN.sampleSeed);
  const test = mnistTestDigits(options.quick).images;
  try {
    const predicted = classifierPredictions(classifier, samples);
    const counts = new Array(10).fill(0);
    predicted.forEach((p) => counts[p]++);
    const entropy = -counts.reduce((s, c) => (c > 0 ? s + (c / predicted.length) * Math.log2(c / predicted.length) : s), 0);
    const real = test.slice([0, 0, 0, 0], [Math.min(test.shape[0], samples.shape[0]), -1, -1, -1]);
    const metrics: Record<string, number> = { classEntropy: round(entropy), frechetDistance: round(classifierFrechetDistance(classifier, samples, real), 3) };
    real.dispose();
    if (generator.inputs.length > 1) metrics.labelAccuracy = round(classifierAccuracy(classifier, samples, labels));
    return metrics;
  } finally {
    tf.dispose([samples, test]);
  }
}

function digitRecipe(conditional: boolean): GanRecipe {
  const c = MNIST_GAN;
  const fullSteps = conditional ? c.steps : c.unconditionalSteps;
  return {
    name: conditional ? 'mnist-cgan' : 'mnist-gan',
    lesson: LESSON,
    summary: `${conditional ? 'conditional ' : ''}DCGAN on MNIST (G: z ${c.latentSize}${conditional ? ' + one-hot label' : ''} -> 7x7 -> 14x14 -> 28x28 with transposed convolutions, width ${c.filters}${conditional ? '; D: the label by projection, plus an auxiliary classifier (AC-GAN)' : ''}), BCE, Adam 2e-4/0.5, ${fullSteps} steps of batch ${c.batchSize}`,
    async train(o) {
      const data = mnistGanData(o.quick);
      const classes = conditional ? 10 : 0;
      const G = buildDcganGenerator({ latentSize: c.latentSize, classes, filters: c.filters, seed: o.seed * 1000 + 1 });
      // The conditional D also classifies the image (AC-GAN): with the projection alone, 75% of the digits were
      // classified as asked after 3000 steps; with the auxiliary classifier 96% (docs/design.md, lesson 05).
      const D = buildDcganDiscriminator({ classes, filters: c.filters, seed: o.seed * 1000 + 500, auxiliaryClassifier: conditional });
      const model = createCgan(G, D);
      const sample = batchSampler(conditional ? data : { real: data.real }, c.batchSize, o.seed);
      const steps = o.quick ? c.quickSteps : fullSteps;
      try {
        await trainGan(model, {
          steps, progress: o.progress, label: conditional ? 'cGAN' : 'GAN', decayFraction: 0,
          batch: (s) => ({ ...sample(s), noise: tf.randomNormal([c.batchSize, c.latentSize], 0, 1, 'float32', o.seed * 1_000_003 + s) }),
        });
      } finally {
        tf.dispose(Object.values(data));
        disposeGanModel(model, { networks: false });
        D.dispose();
      }
      return { models: { generator: G }, steps };
    },
    evaluate: (models, o) => evaluateDigitGenerator(models.generator, o),
  };
}

// ---------------------------------------------------------------------------------------------
// x4 super-resolution (shared with lesson 06)

/** The settings of sr-mse, sr-mae and sr-gan: data seeds, network (buildSuperResolutionNet's defaults), training. */
export const SUPER_RESOLUTION = { trainCount: 2000, trainSeed: 1, testCount: 200, testSeed: 2, batchSize: 16, steps: 400, quickSteps: 2, ganLambda: 20, discriminatorFilters: 16, discriminatorLayers: 2 };

/** The x4 pairs as tensors in [0, 1]: { source [N, 16, 16, 3], target [N, 64, 64, 3] } (caller disposes). */
export function superResolutionData(split: 'train' | 'test', quick: boolean): { source: tf.Tensor4D; target: tf.Tensor4D } {
  const s = SUPER_RESOLUTION;
  const count = split === 'train' ? (quick ? 64 : s.trainCount) : (quick ? 16 : s.testCount);
  const set = superResolutionPairs({ count, seed: split === 'train' ? s.trainSeed : s.testSeed });
  const small = set.size / set.factor;
  return { source: tf.tensor4d(set.lowRes, [count, small, small, 3]), target: tf.tensor4d(set.highRes, [count, set.size, set.size, 3]) };
}

/**
 * A super-resolution model's outputs on the test pairs, clipped to [0, 1], scored: `psnr` (dB, higher =
 * closer to the truth), `highFrequencyRatio` (Laplacian energy of the output / of the truth: 1 = as
 * sharp as the truth, below = blurred), `frechetDistance` to the true images on the shapes
 * classifier's GAP features (images resized to 32x32; not Inception FID; lower = more like real images).
 */
export async function evaluateSuperResolution(generator: tf.LayersModel | null, options: { quick: boolean }): Promise<Record<string, number>> {
  const classifier = await kitClassifier('shapes-classifier');
  const { source, target } = superResolutionData('test', options.quick);
  const output = tf.tidy(() => tf.clipByValue(generator ? (generator.predict(source) as tf.Tensor4D) : tf.image.resizeBilinear(source, [target.shape[1], target.shape[2]]), 0, 1) as tf.Tensor4D);
  try {
    return {
      psnr: round(psnr(output, target), 2),
      highFrequencyRatio: round(highFrequencyRatio(output, target)),
      frechetDistance: round(classifierFrechetDistance(classifier, output, target), 3),
    };
  } finally {
    tf.dispose([source, target, output]);
  }
}

/**
 * Trains a pix2pix-shaped model (createPix2Pix: SR and silhouette -> scene) on paired { source, target }
 * tensors with the references' schedule (linear decay over the second half); disposes the data, the
 * optimisers and the discriminator, and returns the generator as the recipe's model.
 */
async function trainPaired(model: GanModel, G: tf.LayersModel, D: tf.LayersModel | null, data: { source: tf.Tensor; target: tf.Tensor },
  o: { steps: number; batchSize: number; seed: number; progress: boolean; label: string }): Promise<{ models: Record<string, tf.LayersModel>; steps: number }> {
  try {
    await trainGan(model, { steps: o.steps, batch: batchSampler(data, o.batchSize, o.seed), progress: o.progress, label: o.label, decayFraction: 0.5 });
  } finally {
    tf.dispose([data.source, data.target]);
    disposeGanModel(model, { networks: false });
    D?.dispose();
  }
  return { models: { generator: G }, steps: o.steps };
}

function superResolutionRecipe(loss: 'mse' | 'mae' | 'gan'): GanRecipe {
  const s = SUPER_RESOLUTION;
  const what = loss === 'mse' ? 'L2 (MSE)' : loss === 'mae' ? 'L1 (MAE)' : `GAN + ${s.ganLambda} L1 (PatchGAN on [bilinear input, output], ${s.discriminatorLayers} layers)`;
  return {
    name: `sr-${loss}`,
    lesson: LESSON,
    summary: `x4 super-resolution 16x16 -> 64x64 shapes scenes (datasets/superResolution.ts, ${s.trainCount} pairs), lesson 06's lib/nn/transformNet.ts buildSuperResolutionNet with its defaults, loss ${what}, Adam 2e-4/0.5, ${s.steps} steps of batch ${s.batchSize}`,
    async train(o) {
      const data = superResolutionData('train', o.quick);
      const G = buildSuperResolutionNet({ seed: o.seed * 1000 + 1 });
      const D = loss === 'gan' ? buildPatchGan({ inputShape: [64, 64, 6], filters: s.discriminatorFilters, layers: s.discriminatorLayers, seed: o.seed * 1000 + 500 }) : null;
      const model = createPix2Pix(G, D, {
        reconstruction: loss === 'mse' ? 'l2' : 'l1', lambda: s.ganLambda,
        condition: (low) => tf.image.resizeBilinear(low as tf.Tensor4D, [64, 64]),
      });
      return trainPaired(model, G, D, data, { steps: o.quick ? s.quickSteps : s.steps, batchSize: s.batchSize, seed: o.seed, progress: o.progress, label: `sr-${loss}` });
    },
    evaluate: (models, o) => evaluateSuperResolution(models.generator, o),
  };
}

// ---------------------------------------------------------------------------------------------
// silhouette <-> scene: pix2pix (pairs) and CycleGAN (no pairs)

/** The settings of the pix2pix and CycleGAN recipes. */
export const TRANSLATION = {
  size: 32, trainCount: 3000, trainSeed: 1, testCount: 500, testSeed: 2,
  pix2pix: { filters: 16, discriminatorFilters: 32, discriminatorLayers: 2, batchSize: 16, steps: 600, quickSteps: 2, lambda: 100 },
  cycle: { filters: 16, blocks: 3, discriminatorFilters: 16, discriminatorLayers: 2, batchSize: 4, steps: 300, quickSteps: 2, seeds: [0, 1, 2], unpairedSeeds: [11, 12] },
};

/** The silhouette/scene test set (paired: the hidden correspondence the metrics use). */
export function translationTestSet(quick: boolean): SilhouetteScenes {
  return silhouetteScenes({ count: quick ? 100 : TRANSLATION.testCount, seed: TRANSLATION.testSeed, size: TRANSLATION.size });
}

const imagesOf = (data: Float32Array, count: number) => tf.tensor4d(data, [count, TRANSLATION.size, TRANSLATION.size, 3]);

/** Runs an image-to-image generator ([-1, 1] in and out) on images in [0, 1]; returns [0, 1]. */
export function translate(generator: tf.LayersModel, images: tf.Tensor4D, batchSize = 100): tf.Tensor4D {
  return tf.tidy(() => {
    const parts: tf.Tensor[] = [];
    for (let i = 0; i < images.shape[0]; i += batchSize) {
      const x = images.slice([i, 0, 0, 0], [Math.min(batchSize, images.shape[0] - i), -1, -1, -1]);
      parts.push(fromSigned(generator.predict(toSigned(x)) as tf.Tensor));
    }
    return tf.concat(parts, 0) as tf.Tensor4D;
  });
}

/** The object of scene-domain images [N, S, S, 3] read back by the scene rule (sceneObjectMask) as white-on-black silhouettes [N, S, S, 3] in {0, 1}. */
export function sceneSilhouettes(images: tf.Tensor4D): tf.Tensor4D {
  const [n, size] = images.shape;
  const mask = sceneObjectMask(images.dataSync(), n, size);
  return tf.tidy(() => tf.tile(tf.tensor4d(Float32Array.from(mask), [n, size, size, 1]), [1, 1, 1, 3]) as tf.Tensor4D);
}

/**
 * Scores silhouette -> scene outputs against the test set's hidden truth: `l1` to the true scene
 * (mean |output - truth|, images in [0, 1]), `highFrequencyRatio` (1 = as much fine texture as the
 * truth), `frechetDistance` to the real scenes on the shapes classifier's GAP features (not Inception
 * FID), `objectIoU` (the object read back by the scene rule, saturation > 0.25, against the true mask),
 * `classAccuracy` (the shapes classifier, given that read-back object as a silhouette, names the true
 * class: it names 24% of the real textured scenes themselves, near chance, but 99% of silhouettes),
 * `diversity` (mean |a - b| between outputs of different inputs; the real scenes' value is the
 * lesson's `realDiversity`). The true scenes themselves score the ceiling of each number.
 */
export async function evaluateSceneOutputs(output: tf.Tensor4D, test: SilhouetteScenes): Promise<Record<string, number>> {
  const classifier = await kitClassifier('shapes-classifier');
  const truth = imagesOf(test.scenes, test.count);
  const object = sceneSilhouettes(output);
  try {
    return {
      l1: round(meanAbsoluteDifference(output, truth)),
      highFrequencyRatio: round(highFrequencyRatio(output, truth)),
      frechetDistance: round(classifierFrechetDistance(classifier, output, truth), 3),
      classAccuracy: round(classifierAccuracy(classifier, object, test.labels)),
      objectIoU: round(maskIoU(sceneObjectMask(output.dataSync(), test.count, test.size), test.masks, test.count)),
      diversity: round(outputDiversity(output)),
    };
  } finally {
    tf.dispose([truth, object]);
  }
}

/** A silhouette -> scene generator scored on the test set (evaluateSceneOutputs). */
export async function evaluateSceneGenerator(generator: tf.LayersModel, options: { quick: boolean }): Promise<Record<string, number>> {
  const test = translationTestSet(options.quick);
  const x = imagesOf(test.silhouettes, test.count);
  const out = translate(generator, x);
  try {
    return await evaluateSceneOutputs(out, test);
  } finally {
    tf.dispose([x, out]);
  }
}

/** Paired training tensors { source: silhouettes, target: scenes } in [-1, 1] (caller disposes). */
export function pairedTranslationData(quick: boolean): { source: tf.Tensor; target: tf.Tensor } {
  const set = silhouetteScenes({ count: quick ? 32 : TRANSLATION.trainCount, seed: TRANSLATION.trainSeed, size: TRANSLATION.size });
  return tf.tidy(() => ({ source: toSigned(imagesOf(set.silhouettes, set.count)), target: toSigned(imagesOf(set.scenes, set.count)) }));
}

function pix2pixRecipe(variant: 'l1' | 'cgan' | 'cgan-l1'): GanRecipe {
  const p = TRANSLATION.pix2pix;
  const lambda = variant === 'cgan' ? 0 : p.lambda;
  return {
    name: `pix2pix-${variant}`,
    lesson: LESSON,
    summary: `pix2pix silhouette -> scene 32x32 (datasets/silhouettes.ts, ${TRANSLATION.trainCount} pairs): U-Net width ${p.filters}` +
      (variant === 'l1' ? ', L1 only' : `, PatchGAN width ${p.discriminatorFilters} (${p.discriminatorLayers} stride-2 layers), ${variant === 'cgan' ? 'cGAN only' : `cGAN + ${p.lambda} L1`}`) +
      `, Adam 2e-4/0.5, ${p.steps} steps of batch ${p.batchSize} (linear decay over the second half)`,
    async train(o) {
      const data = pairedTranslationData(o.quick);
      const s = TRANSLATION.size;
      const G = buildUNetGenerator({ inputShape: [s, s, 3], filters: p.filters, seed: o.seed * 1000 + 1 });
      const D = variant === 'l1' ? null : buildPatchGan({ inputShape: [s, s, 6], filters: p.discriminatorFilters, layers: p.discriminatorLayers, seed: o.seed * 1000 + 500 });
      const model = createPix2Pix(G, D, { lambda });
      return trainPaired(model, G, D, data, { steps: o.quick ? p.quickSteps : p.steps, batchSize: p.batchSize, seed: o.seed, progress: o.progress, label: `pix2pix-${variant}` });
    },
    evaluate: (models, o) => evaluateSceneGenerator(models.generator, o),
  };
}

/** Unpaired training tensors: x = silhouettes of some scenes, y = scenes of OTHER scenes, in [-1, 1] (caller disposes). */
export function unpairedTranslationData(quick: boolean): { x: tf.Tensor; y: tf.Tensor } {
  const c = TRANSLATION.cycle;
  const count = quick ? 32 : TRANSLATION.trainCount;
  const xs = silhouetteScenes({ count, seed: c.unpairedSeeds[0], size: TRANSLATION.size });
  const ys = silhouetteScenes({ count, seed: c.unpairedSeeds[1], size: TRANSLATION.size });
  return tf.tidy(() => ({ x: toSigned(imagesOf(xs.silhouettes, count)), y: toSigned(imagesOf(ys.scenes, count)) }));
}

/** CycleGAN's four networks for one seed (lib/nn/resnetGenerator.ts, PatchGAN with instance norm). */
export function buildCycleGanNetworks(seed: number) {
  const c = TRANSLATION.cycle;
  const s = TRANSLATION.size;
  const gen = (k: number) => buildResnetGenerator({ inputShape: [s, s, 3], filters: c.filters, blocks: c.blocks, seed: seed * 1000 + k });
  const dis = (k: number) => buildPatchGan({ inputShape: [s, s, 3], filters: c.discriminatorFilters, layers: c.discriminatorLayers, norm: 'instance', seed: seed * 1000 + k });
  return { G: gen(1), F: gen(100), DX: dis(500), DY: dis(600) };
}

/** Trains one CycleGAN (seed, cycle weight) on the unpaired data; returns G and F (the discriminators are disposed). */
export async function trainCycleGan(options: { lambdaCycle: number; seed: number; steps: number; quick: boolean; progress?: boolean }): Promise<{ G: tf.LayersModel; F: tf.LayersModel; seconds: number }> {
  const c = TRANSLATION.cycle;
  const data = unpairedTranslationData(options.quick);
  const nets = buildCycleGanNetworks(options.seed);
  const model: GanModel = createCycleGan(nets, { lambdaCycle: options.lambdaCycle, seed: options.seed });
  try {
    const run = await trainGan(model, { steps: options.steps, batch: batchSampler(data, c.batchSize, options.seed, { unpaired: true }), progress: options.progress, label: `CycleGAN λ=${options.lambdaCycle} seed ${options.seed}`, decayFraction: 0.5 });
    return { G: nets.G, F: nets.F, seconds: run.seconds };
  } finally {
    tf.dispose([data.x, data.y]);
    disposeGanModel(model, { networks: false });
    nets.DX.dispose();
    nets.DY.dispose();
  }
}

/**
 * Content kept by a CycleGAN (G: silhouette -> scene, F: scene -> silhouette) on the paired test set:
 * G(x) scored by evaluateSceneOutputs (classAccuracy, objectIoU, diversity, ...); F(y)'s class and mask
 * (`fClassAccuracy`, `fObjectIoU`, mask by luminance > 0.5); `cycleError` = mean |F(G(x)) - x| in [0, 1].
 */
export async function evaluateCycleGan(G: tf.LayersModel, F: tf.LayersModel, options: { quick: boolean }): Promise<Record<string, number>> {
  const classifier = await kitClassifier('shapes-classifier');
  const test = translationTestSet(options.quick);
  const x = imagesOf(test.silhouettes, test.count);
  const y = imagesOf(test.scenes, test.count);
  const gx = translate(G, x);
  const fy = translate(F, y);
  const fgx = translate(F, gx);
  try {
    const metrics = await evaluateSceneOutputs(gx, test);
    metrics.fClassAccuracy = round(classifierAccuracy(classifier, fy, test.labels));
    metrics.fObjectIoU = round(maskIoU(silhouetteMask(fy.dataSync(), test.count, test.size), test.masks, test.count));
    metrics.cycleError = round(meanAbsoluteDifference(fgx, x));
    return metrics;
  } finally {
    tf.dispose([x, y, gx, fy, fgx]);
  }
}

/** The metrics that recipe.json of a CycleGAN recipe keeps per seed, with their mean and spread. */
export const CYCLE_METRICS = ['classAccuracy', 'objectIoU', 'fClassAccuracy', 'fObjectIoU', 'cycleError', 'diversity', 'frechetDistance'];

function cycleRecipe(lambdaCycle: number): GanRecipe {
  const c = TRANSLATION.cycle;
  return {
    name: lambdaCycle > 0 ? 'cyclegan' : 'cyclegan-no-cycle',
    lesson: LESSON,
    summary: `CycleGAN silhouette <-> scene 32x32, unpaired (${TRANSLATION.trainCount} silhouettes and ${TRANSLATION.trainCount} scenes of other scenes): ResNet generators width ${c.filters}, ${c.blocks} blocks, instance norm; PatchGANs width ${c.discriminatorFilters}; LSGAN, ` +
      (lambdaCycle > 0 ? `cycle weight ${lambdaCycle}, identity ${lambdaCycle * 0.5}` : 'NO cycle or identity term') + `, pools of 50, Adam 2e-4/0.5, ${c.steps} steps of batch ${c.batchSize} per seed, seeds ${c.seeds.join(', ')}`,
    async train(o) {
      const models: Record<string, tf.LayersModel> = {};
      const seeds = o.quick ? [c.seeds[0]] : c.seeds;
      for (const s of seeds) {
        const run = await trainCycleGan({ lambdaCycle, seed: o.seed + s, steps: o.quick ? c.quickSteps : c.steps, quick: o.quick, progress: o.progress });
        o.log(`seed ${o.seed + s}: ${run.seconds.toFixed(0)} s`);
        models[`G_seed${s}`] = run.G;
        models[`F_seed${s}`] = run.F;
      }
      return { models, steps: (o.quick ? c.quickSteps : c.steps) * seeds.length };
    },
    async evaluate(models, o) {
      const perSeed: Record<string, number>[] = [];
      const out: Record<string, number> = {};
      for (const key of Object.keys(models).filter((k) => k.startsWith('G_seed')).sort()) {
        const seed = key.slice('G_seed'.length);
        const m = await evaluateCycleGan(models[key], models[`F_seed${seed}`], o);
        perSeed.push(m);
        for (const k of CYCLE_METRICS) out[`${k}_seed${seed}`] = m[k];
      }
      for (const k of CYCLE_METRICS) {
        const { mean, std } = meanAndSpread(perSeed.map((m) => m[k]));
        out[`${k}_mean`] = round(mean);
        out[`${k}_std`] = round(std);
      }
      return out;
    },
  };
}

/** Every recipe of lesson 05, in the lesson's order. */
export const GAN_RECIPES: GanRecipe[] = [
  digitRecipe(false), digitRecipe(true),
  superResolutionRecipe('mse'), superResolutionRecipe('mae'), superResolutionRecipe('gan'),
  pix2pixRecipe('l1'), pix2pixRecipe('cgan'), pix2pixRecipe('cgan-l1'),
  cycleRecipe(10), cycleRecipe(0),
];

/** The recipe of lesson 05 called `name`. */
export function ganRecipe(name: string): GanRecipe {
  const r = GAN_RECIPES.find((x) => x.name === name);
  if (!r) throw new Error(`no lesson-05 recipe '${name}' (known: ${GAN_RECIPES.map((x) => x.name).join(', ')})`);
  return r;
}
