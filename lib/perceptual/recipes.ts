/**
 * The models lesson 06 ships (`cvkit train <name>`; registered in lib/train/registry.ts), each
 * trained for a fixed number of seeded steps on the kit's generated data:
 *
 * - `perceptual-loss-network`: the loss network (lib/nn/lossNetwork.ts) taught to name the shape and
 *   the texture of generated scenes (datasets/textures.ts). No VGG weights can be downloaded here.
 * - `fast-style-mosaic`: Johnson et al.'s transformation network for the 'mosaic' style, trained with
 *   the shipped loss network frozen. Train the loss network first.
 * - `sr-perceptual-vs-gan`: the x4 super-resolution task of datasets/superResolution.ts with ONE
 *   generator architecture (lib/nn/transformNet.ts) trained three ways for the same steps: pixel MSE,
 *   perceptual (feature) loss on the shipped loss network, and a GAN (MSE + adversarial, a PatchGAN
 *   discriminator: no pretrained network). Each generator records its quality on held-out images
 *   every few steps (PSNR, the high-frequency ratio, a Fréchet distance on the kit's shapes-classifier
 *   features — NOT Inception FID) with the training seconds so far, for "steps and minutes to a
 *   given quality".
 *
 * The recipe objects have the shape of lib/train/recipe.ts's `Recipe` (a topic does not import the
 * training machinery; the registry checks the type).
 */
import * as tf from '@tensorflow/tfjs';
import { generateTextureScenes, styleImage, StyleName } from '../../datasets/textures';
import { generateShapes } from '../../datasets/shapes';
import { generateFaces } from '../../datasets/faces';
import { superResolutionPairs, SuperResolutionSet } from '../../datasets/superResolution';
import { buildLossNetwork } from '../nn/lossNetwork';
import { buildStyleTransformNet, buildSuperResolutionNet } from '../nn/transformNet';
import { buildVggClassifier } from '../nn/vgg';
import { buildPatchGan } from '../nn/patchGan';
import { loadModel } from '../runtime/modelIO';
import { projectPath } from '../runtime/paths';
import { Random } from '../runtime/random';
import { Progress } from '../display/progress';
import { psnr, highFrequencyRatio, frechetDistance } from '../ops/imageQuality';
import { featureNet, FeatureNet, gramsOf, extractFeatures, PerceptualLossSpec, contentLoss } from './perceptualLoss';
import { balancedLayerWeights, styleLoss } from './styleLoss';
import { createTransformTrainer, transformStep, transformImages } from './transformStep';

type Models = Record<string, tf.LayersModel>;
interface RunOptions { quick: boolean; seed: number; progress: boolean; log: (line: string) => void }

/**
 * The loss network's layers the lesson uses: content at relu2_2 (Johnson et al.), style at the first ReLU
 * of each block (Gatys et al.'s conv1_1 ... conv4_1). With the last ReLU of each block instead (relu1_2,
 * relu2_2, relu3_2, relu4_1, Johnson et al.'s choice on VGG-16) this small network's Gram matrices were
 * matched by images that look nothing like the style: texture synthesis from noise reached a style
 * loss of 0.005 as a purple-grey speckle, and the transformation network drew edges and a frame; with
 * the first ReLUs, the mosaic's colours and patches (lesson 06, section 4 and 6; docs/design.md).
 */
export const CONTENT_LAYER = 'relu2_2';
export const STYLE_LAYERS = ['relu1_1', 'relu2_1', 'relu3_1', 'relu4_1'];

/** Where a recipe's shipped weights are. */
const weightsDir = (name: string) => projectPath('datasets', 'weights', name);

/** The shipped loss network (recipe `perceptual-loss-network`), with a message saying how to make it when it is missing. */
export async function loadLossNetwork(): Promise<tf.LayersModel> {
  try {
    return await loadModel(weightsDir(LOSS_NETWORK.name));
  } catch (e) {
    throw new Error(`the loss network is not trained yet (${(e as Error).message}): run \`npx cvkit train ${LOSS_NETWORK.name}\` first`);
  }
}

/** Copies images `indices` of a flat NHWC set into one [n, H, W, C] tensor. */
function batchOf(images: Float32Array, indices: number[], shape: [number, number, number]): tf.Tensor4D {
  const per = shape[0] * shape[1] * shape[2];
  const out = new Float32Array(indices.length * per);
  indices.forEach((k, i) => out.set(images.subarray(k * per, (k + 1) * per), i * per));
  return tf.tensor4d(out, [indices.length, ...shape]);
}

/** Seeded batches of `size` indices out of `count`, epoch after epoch (each epoch a new permutation). */
function* batches(count: number, size: number, seed: number): Generator<number[]> {
  const rng = new Random(seed);
  for (;;) {
    const order = rng.shuffle(Array.from({ length: count }, (_, i) => i));
    for (let i = 0; i + size <= count; i += size) yield order.slice(i, i + size);
  }
}

const cosine = (base: number, fraction: number) => base * 0.5 * (1 + Math.cos(Math.PI * Math.min(1, fraction)));
const setRate = (optimizer: tf.Optimizer, rate: number) => { (optimizer as unknown as { learningRate: number }).learningRate = rate; };

// ---------------------------------------------------------------- the loss network

export const LOSS_NETWORK_SETTINGS = { size: 64, trainCount: 6000, testCount: 600, batch: 32, steps: 900, learningRate: 2e-3, quick: { trainCount: 256, testCount: 64, steps: 6 } };

function sceneSet(quick: boolean, test: boolean) {
  const s = LOSS_NETWORK_SETTINGS;
  // generator seeds 11 (train) and 12 (test): never the same image
  return generateTextureScenes({ count: test ? (quick ? s.quick.testCount : s.testCount) : quick ? s.quick.trainCount : s.trainCount, seed: test ? 12 : 11, size: s.size });
}

/** Accuracy of the loss network's two heads (shape, texture) on a scene set. */
export function lossNetworkAccuracy(model: tf.LayersModel, scenes: ReturnType<typeof generateTextureScenes>): { shape: number; texture: number } {
  let shape = 0, texture = 0;
  const size = scenes.height;
  for (let i = 0; i < scenes.count; i += 64) {
    const idx = Array.from({ length: Math.min(64, scenes.count - i) }, (_, k) => i + k);
    const [a, b] = tf.tidy(() => {
      const [s, t] = model.predict(batchOf(scenes.images, idx, [size, size, 3])) as tf.Tensor[];
      return [s.argMax(1).dataSync(), t.argMax(1).dataSync()];
    });
    idx.forEach((k, j) => { shape += a[j] === scenes.shapeLabels[k] ? 1 : 0; texture += b[j] === scenes.labels[k] ? 1 : 0; });
  }
  return { shape: shape / scenes.count, texture: texture / scenes.count };
}

export const LOSS_NETWORK = {
  name: 'perceptual-loss-network',
  lesson: 'notebooks/06-perceptual-loss.ipynb',
  summary: `VGG-style loss network (16-16 | 32-32 | 64-64 | 128, average pooling) naming shape (5) and texture (8) of generated 64x64 scenes; ${LOSS_NETWORK_SETTINGS.steps} steps of batch ${LOSS_NETWORK_SETTINGS.batch}, Adam ${LOSS_NETWORK_SETTINGS.learningRate} (cosine)`,
  async train(o: RunOptions): Promise<{ models: Models; steps: number }> {
    const s = LOSS_NETWORK_SETTINGS;
    const data = sceneSet(o.quick, false);
    const steps = o.quick ? s.quick.steps : s.steps;
    const model = buildLossNetwork({ heads: { shape: 5, texture: 8 }, seed: o.seed + 1, name: 'loss_network' });
    const optimizer = tf.train.adam(s.learningRate);
    const progress = new Progress(steps, { enabled: o.progress, label: 'loss network' });
    const order = batches(data.count, s.batch, o.seed + 2);
    for (let step = 0; step < steps; step++) {
      const idx = order.next().value as number[];
      setRate(optimizer, cosine(s.learningRate, step / steps));
      const loss = tf.tidy(() => {
        const x = batchOf(data.images, idx, [s.size, s.size, 3]);
        const ys = tf.oneHot(tf.tensor1d(idx.map((k) => data.shapeLabels[k]), 'int32'), 5);
        const yt = tf.oneHot(tf.tensor1d(idx.map((k) => data.labels[k]), 'int32'), 8);
        return optimizer.minimize(() => {
          const [a, b] = model.apply(x, { training: true }) as tf.Tensor[];
          return tf.add(tf.losses.softmaxCrossEntropy(ys, a), tf.losses.softmaxCrossEntropy(yt, b)) as tf.Scalar;
        }, true)!;
      });
      if (step % 10 === 0 || step === steps - 1) progress.tick(step === steps - 1 ? steps - step : 10, { loss: loss.dataSync()[0] });
      loss.dispose();
    }
    progress.finish();
    optimizer.dispose();
    return { models: { model }, steps };
  },
  async evaluate(models: Models, o: { quick: boolean }): Promise<Record<string, number>> {
    const acc = lossNetworkAccuracy(models.model, sceneSet(o.quick, true));
    return { shapeAccuracy: acc.shape, textureAccuracy: acc.texture };
  },
};

// ---------------------------------------------------------------- fast style transfer

/**
 * The weights of the lesson's style transfer (the kit's normalisation: perceptualLoss.ts's header). The
 * style's Gram matrices are taken from the style image at the training size (`size`), so the mosaic's
 * cells have the same size in pixels as in what the network learns to paint.
 */
export const FAST_STYLE_SETTINGS = { style: 'mosaic' as StyleName, size: 64, batch: 4, steps: 1000, learningRate: 1e-3, contentWeight: 1, styleWeight: 2, tvWeight: 5, quick: { steps: 3 } };

/** The content images the transformation network trains on (64x64 shapes scenes and faces), and the held-out ones it is judged on (128x128). */
export function styleContentImages(count: number, seed: number, size: number): Float32Array {
  const scenes = generateShapes({ count: Math.ceil(count * 0.75), seed, size, objects: [1, 3], radius: [0.12, 0.3] });
  const faces = generateFaces({ count: count - scenes.count, seed: seed + 1, size });
  const out = new Float32Array(count * size * size * 3);
  out.set(scenes.images);
  out.set(faces.images, scenes.images.length);
  // interleave so every batch sees both kinds
  const order = new Random(seed + 2).shuffle(Array.from({ length: count }, (_, i) => i));
  const per = size * size * 3;
  const mixed = new Float32Array(out.length);
  order.forEach((k, i) => mixed.set(out.subarray(k * per, (k + 1) * per), i * per));
  return mixed;
}

/** The perceptual loss of the lesson's fast style transfer on `net` for `style` (its Gram targets computed here; dispose them with the spec's styleGrams). */
export function fastStyleSpec(net: FeatureNet, style: StyleName = FAST_STYLE_SETTINGS.style): PerceptualLossSpec {
  const s = FAST_STYLE_SETTINGS;
  const img = styleImage(style, s.size);
  const image = tf.tensor4d(img.data, [1, s.size, s.size, 3]);
  const grams = gramsOf(net, image, STYLE_LAYERS);
  image.dispose();
  return { net, contentLayer: CONTENT_LAYER, contentWeight: s.contentWeight, styleLayers: STYLE_LAYERS, styleGrams: grams, styleLayerWeights: balancedLayerWeights(grams), styleWeight: s.styleWeight, tvWeight: s.tvWeight };
}

/**
 * Trains a style transformation network for `style` with `lossNetwork` frozen: `steps` Adam steps on
 * batches of 64x64 content images. What the recipe and the lesson's live training call (`padding`:
 * the network's, default reflection; lesson 06 trains a zero-padded one beside it).
 */
export async function trainFastStyle(lossNetwork: tf.LayersModel, options: { style?: StyleName; steps: number; seed: number; progress?: boolean; padding?: 'reflect' | 'zero'; onStep?: (step: number, terms: Record<string, number>) => void }): Promise<tf.LayersModel> {
  const s = FAST_STYLE_SETTINGS;
  const net = featureNet(lossNetwork, [...new Set([CONTENT_LAYER, ...STYLE_LAYERS])]);
  const spec = fastStyleSpec(net, options.style ?? s.style);
  const count = Math.max(64, Math.min(2000, options.steps * s.batch));
  const images = styleContentImages(count, 21, s.size);
  const model = buildStyleTransformNet({ seed: options.seed + 3, padding: options.padding, name: `fast_style_${options.style ?? s.style}` });
  const trainer = createTransformTrainer(model, spec, s.learningRate);
  const progress = new Progress(options.steps, { enabled: options.progress ?? true, label: `fast style (${options.style ?? s.style})` });
  const order = batches(count, s.batch, options.seed + 4);
  for (let step = 0; step < options.steps; step++) {
    const x = batchOf(images, order.next().value as number[], [s.size, s.size, 3]);
    const terms = transformStep(trainer, x, { content: x });
    x.dispose();
    options.onStep?.(step + 1, terms);
    progress.tick(1, { loss: terms.total });
  }
  progress.finish();
  trainer.optimizer.dispose();
  tf.dispose(spec.styleGrams!);
  return model;
}

/** Held-out 128x128 content images for judging a style network. */
export function styleTestImages(count: number): tf.Tensor4D {
  return tf.tensor4d(styleContentImages(count, 31, 128), [count, 128, 128, 3]);
}

/** Relative content loss and balanced style loss of `output` for `content` on the lesson's layers. */
export function styleTransferScores(net: FeatureNet, spec: PerceptualLossSpec, content: tf.Tensor4D, output: tf.Tensor4D): { content: number; style: number } {
  const v = tf.tidy(() => {
    const fo = extractFeatures(net, output), fc = extractFeatures(net, content);
    const c = tf.div(contentLoss(fo[CONTENT_LAYER], fc[CONTENT_LAYER]), tf.mean(tf.square(fc[CONTENT_LAYER])));
    const st = styleLoss(STYLE_LAYERS.map((l) => fo[l]), spec.styleGrams!, spec.styleLayerWeights);
    return tf.stack([c, st]).dataSync();
  });
  return { content: v[0], style: v[1] };
}

export const FAST_STYLE = {
  name: 'fast-style-mosaic',
  lesson: 'notebooks/06-perceptual-loss.ipynb',
  summary: `Johnson et al.'s transformation network (16-32-48, 4 residual blocks, instance norm, reflection padding, resize + conv up-sampling, sigmoid output) for the 'mosaic' style with the shipped loss network frozen; ${FAST_STYLE_SETTINGS.steps} steps of batch ${FAST_STYLE_SETTINGS.batch} at 64x64, Adam ${FAST_STYLE_SETTINGS.learningRate}; content ${FAST_STYLE_SETTINGS.contentWeight} (relative, ${CONTENT_LAYER}), style ${FAST_STYLE_SETTINGS.styleWeight} (balanced, ${STYLE_LAYERS.join('/')}), TV ${FAST_STYLE_SETTINGS.tvWeight}`,
  async train(o: RunOptions): Promise<{ models: Models; steps: number }> {
    const steps = o.quick ? FAST_STYLE_SETTINGS.quick.steps : FAST_STYLE_SETTINGS.steps;
    const lossNetwork = await loadLossNetwork();
    const model = await trainFastStyle(lossNetwork, { steps, seed: o.seed, progress: o.progress });
    lossNetwork.dispose();
    return { models: { model }, steps };
  },
  async evaluate(models: Models, o: { quick: boolean }): Promise<Record<string, number>> {
    const lossNetwork = await loadLossNetwork();
    const net = featureNet(lossNetwork, [...new Set([CONTENT_LAYER, ...STYLE_LAYERS])]);
    const spec = fastStyleSpec(net);
    const content = styleTestImages(o.quick ? 2 : 8);
    const output = transformImages(models.model, content);
    const stylised = styleTransferScores(net, spec, content, output);
    const unchanged = styleTransferScores(net, spec, content, content);
    tf.dispose([content, output, ...spec.styleGrams!]);
    lossNetwork.dispose();
    return { contentLoss: stylised.content, styleLoss: stylised.style, styleLossOfContent: unchanged.style };
  },
};

// ---------------------------------------------------------------- super-resolution: MSE, perceptual, GAN

export const SR_SETTINGS = {
  trainCount: 2000, testCount: 200, batch: 16, steps: 300, evalEvery: 25, learningRate: 1e-3,
  /** Perceptual side: the content (feature) loss at relu2_2, relative; plus this much pixel MSE. */
  perceptual: { contentWeight: 1, pixelWeight: 0 },
  /** GAN side: MSE + adversarial x this (SRGAN's 1e-3), Adam 2e-4 / beta1 0.5 for the discriminator. */
  gan: { adversarialWeight: 1e-3, dLearningRate: 2e-4 },
  quick: { trainCount: 32, testCount: 16, steps: 2, evalEvery: 2 },
};

/** One history row of an SR generator: quality on the held-out images after `step` steps and `seconds` of training. */
export interface QualityPoint { step: number; seconds: number; psnr: number; highFrequencyRatio: number; frechet: number }

/**
 * The feature network of the SR quality numbers: the shipped shapes classifier (lesson 01; 32x32
 * single shapes), rebuilt for 64x64 input with the same weights (all convolutional up to its global
 * average pool: objects here have the pixel size it was trained on), read at `gap`. Independent of the
 * loss network, so the perceptual side is not judged by the network it was trained on.
 */
export async function qualityFeatureNetwork(size = 64): Promise<tf.LayersModel> {
  const shipped = await loadModel(weightsDir('shapes-classifier'));
  const rebuilt = buildVggClassifier({ inputShape: [size, size, 3], numClasses: 5, filters: [12, 24, 48, 96], stemStride: 2, batchNorm: true, seed: 0 });
  rebuilt.setWeights(shipped.getWeights());
  shipped.dispose();
  const gap = rebuilt.getLayer('gap').output as tf.SymbolicTensor;
  return tf.model({ inputs: rebuilt.inputs, outputs: gap, name: 'quality_features' });
}

/** PSNR, high-frequency ratio and Fréchet distance (classifier features) of `generator` on the held-out pairs. */
export function superResolutionQuality(generator: tf.LayersModel, features: tf.LayersModel, test: { low: tf.Tensor4D; high: tf.Tensor4D; realFeatures: tf.Tensor2D }): Omit<QualityPoint, 'step' | 'seconds'> {
  const out = transformImages(generator, test.low, 50);
  const fake = tf.tidy(() => features.predict(out) as tf.Tensor2D);
  const q = { psnr: psnr(out, test.high), highFrequencyRatio: highFrequencyRatio(out, test.high), frechet: frechetDistance(fake, test.realFeatures) };
  tf.dispose([out, fake]);
  return q;
}

/** The held-out SR pairs as tensors with the real images' classifier features. Caller disposes. */
export function superResolutionTestSet(set: SuperResolutionSet, features: tf.LayersModel): { low: tf.Tensor4D; high: tf.Tensor4D; realFeatures: tf.Tensor2D } {
  const s = set.size / set.factor;
  const low = tf.tensor4d(set.lowRes, [set.count, s, s, 3]);
  const high = tf.tensor4d(set.highRes, [set.count, set.size, set.size, 3]);
  return { low, high, realFeatures: tf.tidy(() => features.predict(high) as tf.Tensor2D) };
}

const srSets = (quick: boolean) => {
  const s = SR_SETTINGS;
  // generator seeds 41 (train) and 42 (held out)
  return { train: superResolutionPairs({ count: quick ? s.quick.trainCount : s.trainCount, seed: 41 }), test: superResolutionPairs({ count: quick ? s.quick.testCount : s.testCount, seed: 42 }) };
};

type SrMethod = 'mse' | 'perceptual' | 'gan';

/** One GAN step for the SR generator: a discriminator update (real high-res vs generated), then a generator update with MSE + w x BCE(D(G(x)), real). */
function srGanStep(G: tf.LayersModel, D: tf.LayersModel, gOpt: tf.Optimizer, dOpt: tf.Optimizer, low: tf.Tensor4D, high: tf.Tensor4D, weight: number): void {
  const bce = (logits: tf.Tensor, label: 0 | 1) => tf.losses.sigmoidCrossEntropy(label ? tf.onesLike(logits) : tf.zerosLike(logits), logits) as tf.Scalar;
  tf.tidy(() => {
    const fake = G.apply(low, { training: true }) as tf.Tensor4D;
    dOpt.minimize(() => tf.mul(0.5, tf.add(bce(D.apply(high, { training: true }) as tf.Tensor, 1), bce(D.apply(fake, { training: true }) as tf.Tensor, 0))) as tf.Scalar, false, D.trainableWeights.map((w) => w.read() as tf.Variable));
  });
  tf.tidy(() => {
    gOpt.minimize(() => {
      const fake = G.apply(low, { training: true }) as tf.Tensor4D;
      return tf.add(tf.mean(tf.squaredDifference(fake, high)), tf.mul(weight, bce(D.apply(fake, { training: true }) as tf.Tensor, 1))) as tf.Scalar;
    }, false, G.trainableWeights.map((w) => w.read() as tf.Variable));
  });
}

/** Trains the SR generator one way for the recipe's steps, measuring quality every `evalEvery` steps; the history goes into the model's metadata. */
async function trainSuperResolution(method: SrMethod, o: RunOptions, sets: ReturnType<typeof srSets>, quality: { features: tf.LayersModel; test: ReturnType<typeof superResolutionTestSet> }, lossNetwork: tf.LayersModel): Promise<Models> {
  const s = SR_SETTINGS;
  const steps = o.quick ? s.quick.steps : s.steps;
  const every = o.quick ? s.quick.evalEvery : s.evalEvery;
  const G = buildSuperResolutionNet({ seed: o.seed + 5, name: `sr_${method}` });
  const spec: PerceptualLossSpec = method === 'perceptual'
    ? { net: featureNet(lossNetwork, [CONTENT_LAYER]), contentLayer: CONTENT_LAYER, contentWeight: s.perceptual.contentWeight, pixelWeight: s.perceptual.pixelWeight }
    : { net: featureNet(lossNetwork, [CONTENT_LAYER]), pixelWeight: 1 };
  const trainer = createTransformTrainer(G, spec, s.learningRate);
  // GAN side: Adam(beta1 0.5) for both networks, as GANs are trained (pix2pix, SRGAN)
  const D = method === 'gan' ? buildPatchGan({ inputShape: [64, 64, 3], filters: 32, layers: 3, seed: o.seed + 6, name: 'sr_discriminator' }) : null;
  const dOpt = D ? tf.train.adam(s.gan.dLearningRate, 0.5) : null;
  const gOpt = D ? tf.train.adam(s.learningRate / 2, 0.5) : null;
  const history: QualityPoint[] = [{ step: 0, seconds: 0, ...superResolutionQuality(G, quality.features, quality.test) }];
  const progress = new Progress(steps, { enabled: o.progress, label: `super-resolution (${method})` });
  const order = batches(sets.train.count, s.batch, o.seed + 7);
  let seconds = 0;
  const small = sets.train.size / sets.train.factor;
  for (let step = 1; step <= steps; step++) {
    const idx = order.next().value as number[];
    const low = batchOf(sets.train.lowRes, idx, [small, small, 3]);
    const high = batchOf(sets.train.highRes, idx, [sets.train.size, sets.train.size, 3]);
    const started = Date.now();
    if (D) srGanStep(G, D, gOpt!, dOpt!, low, high, s.gan.adversarialWeight);
    else if (method === 'perceptual') transformStep(trainer, low, { content: high, pixels: high });
    else transformStep(trainer, low, { pixels: high });
    seconds += (Date.now() - started) / 1000;
    tf.dispose([low, high]);
    if (step % every === 0 || step === steps) {
      const q = superResolutionQuality(G, quality.features, quality.test);
      history.push({ step, seconds: Math.round(seconds * 10) / 10, ...q });
      progress.tick(step - (history[history.length - 2]?.step ?? 0), { psnr: q.psnr, hf: q.highFrequencyRatio, fd: q.frechet });
    }
  }
  progress.finish();
  trainer.optimizer.dispose();
  if (D) { gOpt!.dispose(); dOpt!.dispose(); }
  G.setUserDefinedMetadata({ method, history });
  return D ? { [method]: G, discriminator: D } : { [method]: G };
}

export const SR_COMPARISON = {
  name: 'sr-perceptual-vs-gan',
  lesson: 'notebooks/06-perceptual-loss.ipynb',
  summary: `x4 super-resolution (16 -> 64, datasets/superResolution.ts), one generator (lib/nn/transformNet.ts buildSuperResolutionNet) trained ${SR_SETTINGS.steps} steps of batch ${SR_SETTINGS.batch} each with pixel MSE, with a perceptual loss (${CONTENT_LAYER} of the shipped loss network) and as a GAN (MSE + ${SR_SETTINGS.gan.adversarialWeight} x adversarial, PatchGAN); quality every ${SR_SETTINGS.evalEvery} steps`,
  /** The generators are small; float32 keeps the recorded quality exact. */
  float32: ['mse', 'perceptual', 'gan'],
  async train(o: RunOptions): Promise<{ models: Models; steps: number }> {
    const sets = srSets(o.quick);
    const lossNetwork = await loadLossNetwork();
    const features = await qualityFeatureNetwork();
    const test = superResolutionTestSet(sets.test, features);
    const models: Models = {};
    for (const method of ['mse', 'perceptual', 'gan'] as SrMethod[]) Object.assign(models, await trainSuperResolution(method, o, sets, { features, test }, lossNetwork));
    tf.dispose([test.low, test.high, test.realFeatures]);
    features.dispose();
    lossNetwork.dispose();
    return { models, steps: o.quick ? SR_SETTINGS.quick.steps : SR_SETTINGS.steps };
  },
  async evaluate(models: Models, o: { quick: boolean }): Promise<Record<string, number>> {
    const sets = srSets(o.quick);
    const features = await qualityFeatureNetwork();
    const test = superResolutionTestSet(sets.test, features);
    const metrics: Record<string, number> = {};
    for (const method of ['mse', 'perceptual', 'gan']) {
      const q = superResolutionQuality(models[method], features, test);
      metrics[`${method}Psnr`] = q.psnr;
      metrics[`${method}HighFrequencyRatio`] = q.highFrequencyRatio;
      metrics[`${method}Frechet`] = q.frechet;
    }
    tf.dispose([test.low, test.high, test.realFeatures]);
    features.dispose();
    return metrics;
  },
};

/** Lesson 06's recipes, in the order to train them (the loss network first: the others load it). */
export const PERCEPTUAL_RECIPES = [LOSS_NETWORK, FAST_STYLE, SR_COMPARISON];

/**
 * The first history point of an SR generator that meets `target` (every given bound: PSNR at least,
 * high-frequency ratio at least, Fréchet distance at most), or null when it never does: "steps and
 * minutes to a given quality".
 */
export function stepsToQuality(history: QualityPoint[], target: { psnr?: number; highFrequencyRatio?: number; frechet?: number }): QualityPoint | null {
  return history.find((p) => (target.psnr == null || p.psnr >= target.psnr) && (target.highFrequencyRatio == null || p.highFrequencyRatio >= target.highFrequencyRatio) && (target.frechet == null || p.frechet <= target.frechet)) ?? null;
}

/** The quality history an SR generator of `sr-perceptual-vs-gan` carries in its metadata. */
export function qualityHistory(generator: tf.LayersModel): QualityPoint[] {
  const meta = generator.getUserDefinedMetadata() as { history?: QualityPoint[] } | undefined;
  if (!meta?.history) throw new Error(`model ${generator.name} has no quality history (train it with the sr-perceptual-vs-gan recipe)`);
  return meta.history;
}
