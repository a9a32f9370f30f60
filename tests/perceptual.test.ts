/**
 * Lesson 06's losses and networks (lib/perceptual, lib/nn/lossNetwork.ts, lib/nn/transformNet.ts,
 * lib/nn/instanceNorm.ts, datasets/textures.ts): the checks of docs/reference.md ("Perceptual loss")
 * — Gram symmetric, PSD, permutation-invariant, a^2 scaling; content loss 0 for identical inputs; TV 0
 * for a constant image; the loss network frozen by training; output shapes — plus the optimisers,
 * the patch shuffle, the generators' determinism and no tensor leaks. Tiny shapes, few steps.
 */
import * as tf from '@tensorflow/tfjs';
import { useBackend, relativeError, expectNoLeak } from './helpers';
import { buildLossNetwork, featureExtractor } from '../lib/nn/lossNetwork';
import { buildStyleTransformNet, buildSuperResolutionNet } from '../lib/nn/transformNet';
import { instanceNorm, InstanceNormalization } from '../lib/nn/instanceNorm';
import { reflectionPad, reflectionPadding, ReflectionPadding2D } from '../lib/nn/reflectionPad';
import { gramMatrix, styleLoss, featureCovariance, balancedLayerWeights } from '../lib/perceptual/styleLoss';
import { contentLoss, totalVariation, featureNet, gramsOf, perceptualLoss, contentFeatures, extractFeatures } from '../lib/perceptual/perceptualLoss';
import { createTransformTrainer, transformStep, borderChangeRatio } from '../lib/perceptual/transformStep';
import { optimizeImage, imageObjective } from '../lib/perceptual/imageOptimization';
import { shufflePatches, shufflePositions, featureAndGramDistances } from '../lib/perceptual/patchShuffle';
import { nearestMeanAccuracies } from '../lib/perceptual/featureProbe';
import { symmetricEigen } from '../lib/ops/imageQuality';
import { generateTextures, generateTextureScenes, styleImage, TEXTURE_KINDS, STYLE_NAMES } from '../datasets/textures';
import { saveModel, loadModel } from '../lib/runtime/modelIO';
import { Random } from '../lib/runtime/random';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

beforeAll(async () => { await useBackend('wasm'); });

const BLOCKS = [[4, 4], [6, 6], [8]];
const lossNet = (seed = 1) => buildLossNetwork({ blocks: BLOCKS, heads: { shape: 5, texture: 8 }, seed });
const LAYERS = ['relu1_2', 'relu2_2', 'relu3_1'];

function uniform(seed: number, shape: number[], low = 0, high = 1): tf.Tensor {
  const rng = new Random(seed);
  return tf.tensor(Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.uniform(low, high)), shape);
}

describe('Gram matrix', () => {
  test('is symmetric and positive semi-definite (eigenvalues >= 0) for ReLU features and for signed ones', () => {
    for (const low of [0, -1]) {
      const f = uniform(1, [2, 6, 5, 4], low, 1) as tf.Tensor4D;
      const g = gramMatrix(f);
      const values = g.arraySync();
      for (const m of values) {
        for (let i = 0; i < 4; i++) for (let j = 0; j < 4; j++) expect(m[i][j]).toBeCloseTo(m[j][i], 6);
        const { values: eig } = symmetricEigen(Float64Array.from(m.flat()), 4);
        for (const e of eig) expect(e).toBeGreaterThan(-1e-6);
      }
      tf.dispose([f, g]);
    }
  });

  test('is invariant to a permutation of the spatial positions (style loss exactly 0) but the features are not', () => {
    const f = uniform(2, [1, 8, 8, 5]) as tf.Tensor4D;
    const shuffled = shufflePositions(f, 3);
    expect(relativeError(gramMatrix(shuffled).dataSync(), gramMatrix(f).dataSync())).toBeLessThan(1e-5);
    expect(styleLoss([shuffled], [gramMatrix(f)]).dataSync()[0]).toBeLessThan(1e-12);
    expect(contentLoss(shuffled, f).dataSync()[0]).toBeGreaterThan(0.05);
    tf.dispose([f, shuffled]);
  });

  test('scales by a^2 when the features scale by a, and is normalised by C*H*W', () => {
    const f = uniform(4, [1, 3, 4, 2]) as tf.Tensor4D;
    const a = 2.5;
    expect(relativeError(gramMatrix(f.mul(a) as tf.Tensor4D).dataSync(), gramMatrix(f).mul(a * a).dataSync())).toBeLessThan(1e-5);
    const v = f.reshape([12, 2]).arraySync() as number[][];
    expect(gramMatrix(f).arraySync()[0][0][1]).toBeCloseTo(v.reduce((s, r) => s + r[0] * r[1], 0) / (2 * 12), 6);
    tf.dispose(f);
  });

  test('C x Gram = covariance + mean mean^T: a covariance only for centred features', () => {
    const f = uniform(5, [1, 6, 6, 3], 0, 2) as tf.Tensor4D;
    const c = 3;
    const lhs = gramMatrix(f).mul(c);
    const mean = f.mean([1, 2]).reshape([1, c, 1]);
    const rhs = featureCovariance(f).add(tf.matMul(mean, mean, false, true));
    expect(relativeError(lhs.dataSync(), rhs.dataSync())).toBeLessThan(1e-5);
    const centred = f.sub(f.mean([1, 2], true)) as tf.Tensor4D;
    expect(relativeError(gramMatrix(centred).mul(c).dataSync(), featureCovariance(f).dataSync())).toBeLessThan(1e-4);
    tf.dispose([f, lhs, mean, rhs, centred]);
  });

  test('balanced layer weights make each layer\'s style term 1 for an all-zero image', () => {
    const net = featureNet(lossNet(), LAYERS);
    const style = uniform(6, [1, 16, 16, 3]) as tf.Tensor4D;
    const grams = gramsOf(net, style, LAYERS);
    const weights = balancedLayerWeights(grams);
    const zeroFeatures = LAYERS.map((_, i) => tf.zeros([1, 4, 4, grams[i].shape[1]]) as tf.Tensor4D);
    expect(styleLoss(zeroFeatures, grams, weights).dataSync()[0]).toBeCloseTo(LAYERS.length, 4);
    expect(() => styleLoss(zeroFeatures, grams, [1])).toThrow(/layer weights/);
    tf.dispose([style, ...grams, ...zeroFeatures]);
  });
});

describe('content loss, total variation, the perceptual loss', () => {
  test('the content loss is 0 for identical inputs and grows with the difference', () => {
    const f = uniform(7, [2, 4, 4, 3]) as tf.Tensor4D;
    expect(contentLoss(f, f).dataSync()[0]).toBe(0);
    expect(contentLoss(f, f.add(0.1) as tf.Tensor4D).dataSync()[0]).toBeCloseTo(0.01, 5);
    tf.dispose(f);
  });

  test('total variation is 0 for a constant image and known for a ramp', () => {
    const constant = tf.fill([2, 5, 7, 3], 0.3) as tf.Tensor4D;
    expect(totalVariation(constant).dataSync()[0]).toBe(0);
    // horizontal ramp x / 10: every horizontal difference 0.1, vertical 0
    const ramp = tf.tidy(() => tf.range(0, 7).div(10).reshape([1, 1, 7, 1]).tile([1, 5, 1, 3])) as tf.Tensor4D;
    expect(totalVariation(ramp).dataSync()[0]).toBeCloseTo(0.01, 6);
    tf.dispose([constant, ramp]);
  });

  test('perceptualLoss: content term 0 on the content image, the style term as styleLoss, the weights applied', () => {
    const net = featureNet(lossNet(), LAYERS);
    const content = uniform(8, [1, 16, 16, 3]) as tf.Tensor4D;
    const style = uniform(9, [1, 16, 16, 3]) as tf.Tensor4D;
    const grams = gramsOf(net, style, LAYERS);
    const spec = { net, contentLayer: 'relu2_2', contentWeight: 2, styleLayers: LAYERS, styleGrams: grams, styleWeight: 3, tvWeight: 5 };
    const target = contentFeatures(spec, content);
    const t = perceptualLoss(spec, content, { contentFeatures: target });
    expect(t.content.dataSync()[0]).toBe(0);
    const f = extractFeatures(net, content);
    const expectedStyle = styleLoss(LAYERS.map((l) => f[l]), grams).dataSync()[0];
    expect(t.style.dataSync()[0]).toBeCloseTo(expectedStyle, 5);
    expect(t.total.dataSync()[0]).toBeCloseTo(3 * expectedStyle + 5 * totalVariation(content).dataSync()[0], 4);
    expect(() => perceptualLoss(spec, content)).toThrow(/contentFeatures/);
    tf.dispose([content, style, target, ...grams, ...Object.values(t), ...Object.values(f)]);
  });

  test('the perceptual loss, Gram targets and features leak no tensor', async () => {
    const net = featureNet(lossNet(), LAYERS);
    const content = uniform(10, [1, 16, 16, 3]) as tf.Tensor4D;
    await expectNoLeak(() => {
      const grams = gramsOf(net, content, LAYERS);
      const spec = { net, contentLayer: 'relu2_2', contentWeight: 1, styleLayers: LAYERS, styleGrams: grams, styleLayerWeights: balancedLayerWeights(grams), styleWeight: 1, tvWeight: 1 };
      const target = contentFeatures(spec, content);
      tf.dispose(Object.values(perceptualLoss(spec, content, { contentFeatures: target })));
      tf.dispose([target, ...grams]);
      tf.dispose(featureCovariance(content));
    });
    content.dispose();
  });
});

describe('networks', () => {
  test('instance norm: each image\'s each channel has mean 0 and variance 1 (gamma 1, beta 0), and survives a save/load', async () => {
    const x = uniform(11, [2, 5, 6, 3], -2, 5) as tf.Tensor4D;
    const input = tf.input({ shape: [5, 6, 3] });
    const model = tf.model({ inputs: input, outputs: instanceNorm({ name: 'in' }).apply(input) as tf.SymbolicTensor });
    const y = model.predict(x) as tf.Tensor4D;
    const { mean, variance } = tf.moments(y, [1, 2]);
    for (const m of mean.dataSync()) expect(Math.abs(m)).toBeLessThan(1e-5);
    for (const v of variance.dataSync()) expect(v).toBeCloseTo(1, 3);
    // gamma / beta scale and shift per channel
    model.getLayer('in').setWeights([tf.tensor1d([2, 3, 4]), tf.tensor1d([1, 0, -1])]);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cvkit-in-'));
    await saveModel(model, dir);
    const loaded = await loadModel(dir);
    expect(loaded.getLayer('in')).toBeInstanceOf(InstanceNormalization);
    expect(relativeError((loaded.predict(x) as tf.Tensor).dataSync(), (model.predict(x) as tf.Tensor).dataSync())).toBeLessThan(1e-5);
    fs.rmSync(dir, { recursive: true, force: true });
    tf.dispose([x, y, mean, variance]);
  });

  test('reflection padding mirrors the border without repeating the edge, and its gradient adds what the mirrored pixels received', async () => {
    // x [1, 3, 4, 1] = 0..11 row by row; padded by 2: row -1 is row 1, row -2 is row 2 (PyTorch's ReflectionPad2d)
    const x = tf.tensor4d(Array.from({ length: 12 }, (_, i) => i), [1, 3, 4, 1]);
    const padded = reflectionPad(x, 2);
    expect(padded.shape).toEqual([1, 7, 8, 1]);
    const p = padded.arraySync()[0].map((row) => row.map((v) => v[0]));
    expect(p[2]).toEqual([2, 1, 0, 1, 2, 3, 2, 1]);
    expect(p[0]).toEqual(p[4]);
    expect(p[1]).toEqual(p[3]);
    expect(p[6]).toEqual(p[2]);
    // gradient: the same padding from slices, reverses and concatenations, differentiated by tfjs
    const byConcat = (t: tf.Tensor4D, q: number) => {
      const [, h, w] = t.shape;
      const a = tf.concat([tf.reverse(t.slice([0, 1, 0, 0], [-1, q, -1, -1]), 1), t, tf.reverse(t.slice([0, h - q - 1, 0, 0], [-1, q, -1, -1]), 1)], 1);
      return tf.concat([tf.reverse(a.slice([0, 0, 1, 0], [-1, -1, q, -1]), 2), a, tf.reverse(a.slice([0, 0, w - q - 1, 0], [-1, -1, q, -1]), 2)], 2);
    };
    const z = uniform(21, [2, 6, 5, 3]) as tf.Tensor4D;
    const weights = uniform(22, [2, 10, 9, 3], -1, 1);
    const ours = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(reflectionPad(t as tf.Tensor4D, 2), weights)))(z);
    const reference = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(byConcat(t as tf.Tensor4D, 2), weights)))(z);
    expect(relativeError(ours.dataSync(), reference.dataSync())).toBeLessThan(1e-5);
    // tfjs's own MirrorPad gradient drops the border's share (why the layer has its own): it differs
    const stock = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.mirrorPad(t as tf.Tensor4D, [[0, 0], [2, 2], [2, 2], [0, 0]], 'reflect'), weights)))(z);
    expect(relativeError(stock.dataSync(), reference.dataSync())).toBeGreaterThan(0.1);
    expect(() => reflectionPad(x, 3)).toThrow(/larger than 3 pixels/);
    // the wasm heap path (row copies) and the tf-ops path (mirrorPad + folded slices, other backends) agree
    expect(tf.getBackend()).toBe('wasm');
    const [zv, wv, ov, gv] = [z.dataSync(), weights.dataSync(), reflectionPad(z, 2).dataSync(), ours.dataSync()];
    await tf.setBackend('cpu');
    try {
      const zc = tf.tensor4d(zv, z.shape), wc = tf.tensor4d(wv, weights.shape as [number, number, number, number]);
      expect(relativeError(reflectionPad(zc, 2).dataSync(), ov)).toBe(0);
      expect(relativeError(tf.grad((t: tf.Tensor) => tf.sum(tf.mul(reflectionPad(t as tf.Tensor4D, 2), wc)))(zc).dataSync(), gv)).toBeLessThan(1e-5);
      tf.dispose([zc, wc]);
    } finally {
      await tf.setBackend('wasm');
    }
    // the layer survives a save/load and leaks nothing
    const input = tf.input({ shape: [null, null, 3] });
    const model = tf.model({ inputs: input, outputs: reflectionPadding({ padding: 1, name: 'pad' }).apply(input) as tf.SymbolicTensor });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cvkit-pad-'));
    await saveModel(model, dir);
    const loaded = await loadModel(dir);
    expect(loaded.getLayer('pad')).toBeInstanceOf(ReflectionPadding2D);
    expect(tf.tidy(() => (loaded.predict(z) as tf.Tensor).shape)).toEqual([2, 8, 7, 3]);
    fs.rmSync(dir, { recursive: true, force: true });
    await expectNoLeak(() => { tf.grad((t: tf.Tensor) => tf.sum(reflectionPad(t as tf.Tensor4D, 1)))(z).dispose(); });
    tf.dispose([x, padded, z, weights, ours, reference, stock]);
  });

  test('borderChangeRatio: 1 for an even change, large for a frame painted along the border', async () => {
    const input = uniform(31, [2, 24, 24, 3]) as tf.Tensor4D;
    const even = tf.add(input, 0.1) as tf.Tensor4D;
    expect(borderChangeRatio(input, even, 4)).toBeCloseTo(1, 4);
    const frame = tf.tidy(() => tf.add(input, tf.pad(tf.zeros([2, 16, 16, 3]), [[0, 0], [4, 4], [4, 4], [0, 0]], 0.5).add(0.01)) as tf.Tensor4D);
    expect(borderChangeRatio(input, frame, 4)).toBeCloseTo(51, 1);
    expect(() => borderChangeRatio(input, frame, 12)).toThrow(/larger than 24x24/);
    await expectNoLeak(() => borderChangeRatio(input, even, 4));
    tf.dispose([input, even, frame]);
  });

  test('the style transformation network\'s output has its input\'s shape (any size divisible by 4), pixels in [0, 1]', () => {
    const net = buildStyleTransformNet({ filters: [4, 6, 8], residualBlocks: 2, seed: 1 });
    for (const [h, w] of [[16, 16], [24, 32]]) {
      const y = tf.tidy(() => net.predict(tf.mul(uniform(h + w, [2, h, w, 3]), 50)) as tf.Tensor);
      expect(y.shape).toEqual([2, h, w, 3]);
      const v = y.dataSync();
      expect(Math.min(...v)).toBeGreaterThanOrEqual(0);
      expect(Math.max(...v)).toBeLessThanOrEqual(1);
      y.dispose();
    }
    expect(() => buildStyleTransformNet({ size: [30, 30] })).toThrow(/divisible by 4/);
  });

  test('the super-resolution network outputs factor x the input size and starts near the nearest-neighbour up-sampling', () => {
    const net = buildSuperResolutionNet({ inputSize: [8, 8], factor: 4, filters: 8, residualBlocks: 1, seed: 2 });
    const x = uniform(12, [2, 8, 8, 3]) as tf.Tensor4D;
    const y = net.predict(x) as tf.Tensor4D;
    expect(y.shape).toEqual([2, 32, 32, 3]);
    const nearest = tf.image.resizeNearestNeighbor(x, [32, 32]);
    expect(tf.abs(tf.sub(y, nearest)).max().dataSync()[0]).toBeLessThan(0.05);
    expect(() => buildSuperResolutionNet({ factor: 3 })).toThrow(/power of 2/);
    tf.dispose([x, y, nearest]);
  });

  test('featureExtractor shares the loss network\'s weights and names the layers when one is unknown', () => {
    const net = lossNet();
    const features = featureExtractor(net, ['relu2_1']);
    expect(features.getLayer('conv2_1').getWeights()[0]).toBe(net.getLayer('conv2_1').getWeights()[0]);
    expect(() => featureExtractor(net, ['relu9_9'])).toThrow(/relu1_1, relu1_2/);
    const logits = net.predict(tf.zeros([1, 24, 40, 3])) as tf.Tensor[];
    expect(logits.map((t) => t.shape)).toEqual([[1, 5], [1, 8]]);
    tf.dispose(logits);
  });

  test('training the transformation network leaves the loss network\'s weights unchanged (and changes its own)', () => {
    const network = lossNet(3);
    const net = featureNet(network, LAYERS);
    const before = network.getWeights().map((w) => Float32Array.from(w.dataSync()));
    const style = uniform(13, [1, 16, 16, 3]) as tf.Tensor4D;
    const grams = gramsOf(net, style, LAYERS);
    const transform = buildStyleTransformNet({ filters: [4, 6, 8], residualBlocks: 1, seed: 4 });
    const own = transform.getWeights().map((w) => Float32Array.from(w.dataSync()));
    const trainer = createTransformTrainer(transform, { net, contentLayer: 'relu2_2', contentWeight: 1, styleLayers: LAYERS, styleGrams: grams, styleLayerWeights: balancedLayerWeights(grams), styleWeight: 1, tvWeight: 1 }, 1e-2);
    const batch = uniform(14, [2, 16, 16, 3]) as tf.Tensor4D;
    const first = transformStep(trainer, batch, { content: batch });
    const tensors = tf.memory().numTensors;
    let last = first;
    for (let i = 0; i < 5; i++) last = transformStep(trainer, batch, { content: batch });
    expect(tf.memory().numTensors).toBe(tensors);
    expect(last.total).toBeLessThan(first.total);
    expect(network.trainableWeights).toHaveLength(0);
    network.getWeights().forEach((w, i) => expect(Array.from(w.dataSync())).toEqual(Array.from(before[i])));
    expect(transform.getWeights().some((w, i) => relativeError(w.dataSync(), own[i]) > 1e-4)).toBe(true);
    trainer.optimizer.dispose();
    tf.dispose([style, batch, ...grams]);
  });
});

describe('optimising the image', () => {
  const target = () => uniform(15, [1, 6, 6, 3], 0.1, 0.9) as tf.Tensor4D;

  test.each(['adam', 'lbfgs'] as const)('%s decreases a quadratic loss, keeps pixels in [0, 1], keeps snapshots and leaks nothing', async (method) => {
    const t = target();
    const loss = (x: tf.Tensor4D) => tf.mean(tf.squaredDifference(x, t)) as tf.Scalar;
    const init = tf.fill([1, 6, 6, 3], 0.5) as tf.Tensor4D;
    const before = tf.memory().numTensors;
    const r = optimizeImage(loss, init, { steps: 20, method, learningRate: 0.05, snapshots: [0, 10] });
    expect(r.losses).toHaveLength(21);
    expect(r.losses[20]).toBeLessThan(r.losses[0] * (method === 'lbfgs' ? 1e-3 : 0.2));
    expect(r.snapshots.map((s) => s.step)).toEqual([0, 10]);
    const v = r.image.dataSync();
    expect(Math.min(...v)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...v)).toBeLessThanOrEqual(1);
    tf.dispose([r.image, ...r.snapshots.map((s) => s.image)]);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([t, init]);
  });

  test('feature reconstruction at a shallow layer gets close to the image; the objective leaks nothing', () => {
    const net = featureNet(lossNet(5), ['relu1_2']);
    const image = uniform(16, [1, 12, 12, 3]) as tf.Tensor4D;
    const before = tf.memory().numTensors;
    const objective = imageObjective({ net, content: { image, layer: 'relu1_2' } });
    const start = tf.fill([1, 12, 12, 3], 0.5) as tf.Tensor4D;
    const r = optimizeImage(objective.loss, start, { steps: 30, method: 'lbfgs' });
    expect(r.losses[30]).toBeLessThan(0.1 * r.losses[0]);
    expect(objective.terms(r.image).content).toBeGreaterThanOrEqual(0);
    objective.dispose();
    tf.dispose([r.image, start]);
    expect(tf.memory().numTensors).toBe(before);
    image.dispose();
  });
});

describe('patch shuffle', () => {
  test('moves whole patches: the same set of patches, in another order', () => {
    const x = uniform(17, [2, 8, 12, 3]) as tf.Tensor4D;
    const y = shufflePatches(x, 4, 1);
    expect(y.shape).toEqual(x.shape);
    const patchSums = (t: tf.Tensor4D) => tf.tidy(() => t.reshape([2, 2, 4, 3, 4, 3]).sum([2, 4, 5]).reshape([2, 6]).arraySync()).map((r) => [...r].sort());
    expect(patchSums(y)).toEqual(patchSums(x));
    expect(relativeError(y.dataSync(), x.dataSync())).toBeGreaterThan(0.1);
    expect(() => shufflePatches(x, 5, 1)).toThrow(/divisible/);
    tf.dispose([x, y]);
  });

  test('Gram distance stays near 0 while the feature distance is large', () => {
    const net = featureNet(lossNet(6), LAYERS);
    const x = tf.tidy(() => tf.image.resizeBilinear(uniform(18, [1, 8, 8, 3]) as tf.Tensor4D, [32, 32])) as tf.Tensor4D;
    const y = shufflePatches(x, 8, 2);
    const d = featureAndGramDistances(net, x, y);
    expect(d.map((l) => l.layer)).toEqual(LAYERS);
    for (const l of d) {
      expect(l.feature).toBeGreaterThan(0.05);
      expect(l.gram).toBeLessThan(l.feature / 5);
    }
    tf.dispose([x, y]);
  });
});

describe('feature probe', () => {
  test('nearest class mean: accuracy 1 where the features carry the label, near chance where they do not; no leak', () => {
    // a "feature network" that returns the image itself at one layer: the pooled feature is the mean colour
    const input = tf.input({ shape: [null, null, 3] });
    const identity = tf.model({ inputs: input, outputs: tf.layers.reLU({ name: 'pixels' }).apply(input) as tf.SymbolicTensor });
    const net = { model: identity, layers: ['pixels'] };
    // texture label k: a constant image of grey level k / 8 plus noise; shape labels drawn at random
    const rng = new Random(3);
    const make = (count: number) => {
      const labels = Int32Array.from({ length: count }, (_, i) => i % 8);
      const shapeLabels = Int32Array.from({ length: count }, () => rng.int(0, 4));
      const images = new Float32Array(count * 4 * 4 * 3);
      for (let i = 0; i < count; i++) for (let j = 0; j < 48; j++) images[i * 48 + j] = labels[i] / 8 + rng.uniform(-0.02, 0.02);
      return { count, height: 4, width: 4, images, labels, classNames: TEXTURE_KINDS, shapeLabels, shapeNames: ['a', 'b', 'c', 'd', 'e'] };
    };
    const [train, test] = [make(80), make(200)];
    const before = tf.memory().numTensors;
    const acc = nearestMeanAccuracies(net, train, test);
    expect(tf.memory().numTensors).toBe(before);
    expect(acc.pixels.texture).toBe(1);
    expect(acc.pixels.shape).toBeLessThan(0.4); // chance 0.2; 200 test images
    identity.dispose();
  });
});

describe('textures and style images', () => {
  test('generated textures are deterministic by seed, in [0, 1], one of each kind distinct', () => {
    const a = generateTextures({ count: 8, seed: 3, size: 32, kinds: [0, 1, 2, 3, 4, 5, 6, 7] });
    const b = generateTextures({ count: 8, seed: 3, size: 32, kinds: [0, 1, 2, 3, 4, 5, 6, 7] });
    expect(Array.from(a.images)).toEqual(Array.from(b.images));
    expect(Math.min(...a.images)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...a.images)).toBeLessThanOrEqual(1);
    for (const k of TEXTURE_KINDS.keys()) {
      const one = generateTextures({ count: 1, seed: 5, size: 32, kinds: [k], noise: 0 });
      // a texture, not a flat colour
      const v = one.images;
      const mean = v.reduce((s, x) => s + x, 0) / v.length;
      expect(v.reduce((s, x) => s + (x - mean) ** 2, 0) / v.length).toBeGreaterThan(1e-3);
      expect(one.labels[0]).toBe(k);
    }
  });

  test('texture scenes carry a shape label and a texture label; style images are fixed', () => {
    const s = generateTextureScenes({ count: 6, seed: 2, size: 32 });
    expect(s.shapeLabels.every((l) => l >= 0 && l < 5)).toBe(true);
    expect(s.labels.every((l) => l >= 0 && l < TEXTURE_KINDS.length)).toBe(true);
    for (const name of STYLE_NAMES) {
      const img = styleImage(name, 32);
      expect(img.data.length).toBe(32 * 32 * 3);
      expect(Array.from(styleImage(name, 32).data)).toEqual(Array.from(img.data));
    }
    expect(() => styleImage('starry' as never)).toThrow(/mosaic/);
  });
});
