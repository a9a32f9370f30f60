/**
 * The fast wasm training kernels change nothing but speed: a seeded training run on wasm follows the
 * same trajectory as on the pure-JS cpu backend (tfjs's reference kernels), for the kit's classifier,
 * a pix2pix step and a Gram style-loss gradient; and 100 training steps leak no tensor and no wasm
 * heap allocation.
 */
import * as tf from '@tensorflow/tfjs';
import { buildVggClassifier } from '../lib/nn/vgg';
import { buildUNetGenerator } from '../lib/nn/unet';
import { buildPatchGan } from '../lib/nn/patchGan';
import { createPix2Pix, pix2pixStep } from '../lib/gan/pix2pix';
import { buildStyleFeatureNet } from '../lib/nn/styleFeatures';
import { gramMatrix, styleLoss, styleLossAndGradient } from '../lib/perceptual/styleLoss';
import { softmaxCrossEntropy } from '../lib/train/classifier';
import { Random } from '../lib/runtime/random';
import { onBackend, relativeError, useBackend } from './helpers';

function data(seed: number, shape: number[]): tf.Tensor {
  const rng = new Random(seed);
  return tf.tensor(Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.uniform(-1, 1)), shape);
}

/** Losses of `steps` Adam steps of the classifier (batch norm, max pooling, stride-2 stem) from a fixed start. */
function classifierRun(steps: number): tf.Tensor[] {
  const model = buildVggClassifier({ inputShape: [16, 16, 3], numClasses: 4, filters: [6, 8, 12], stemStride: 2, seed: 3 });
  const x = data(1, [8, 16, 16, 3]);
  const y = tf.tensor1d([0, 1, 2, 3, 0, 1, 2, 3], 'int32');
  const optimizer = tf.train.adam(1e-2);
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const losses: number[] = [];
  for (let i = 0; i < steps; i++) {
    const loss = optimizer.minimize(() => softmaxCrossEntropy(model.apply(x, { training: true }) as tf.Tensor, y), true, vars)!;
    losses.push(loss.dataSync()[0]);
    loss.dispose();
  }
  const out = [tf.tensor1d(losses), ...model.getWeights().map((w) => w.clone())];
  optimizer.dispose();
  model.dispose();
  return out;
}

test('a seeded classifier training run on wasm follows the cpu reference (losses and final weights)', async () => {
  const cpu = await onBackend('cpu', () => classifierRun(6));
  const wasm = await onBackend('wasm', () => classifierRun(6));
  expect(relativeError(wasm[0], cpu[0])).toBeLessThan(1e-3);
  expect(cpu[0][5]).toBeLessThan(cpu[0][0]);
  for (let i = 1; i < cpu.length; i++) expect(relativeError(wasm[i], cpu[i])).toBeLessThan(5e-3);
}, 120_000);

test('a pix2pix step (transposed convolutions, PatchGAN) and a Gram style-loss gradient on wasm equal cpu', async () => {
  const run = () => {
    const G = buildUNetGenerator({ inputShape: [16, 16, 3], filters: 4, dropoutLayers: 0, seed: 1 });
    const D = buildPatchGan({ inputShape: [16, 16, 6], filters: 4, layers: 2, seed: 50 });
    const state = createPix2Pix(G, D);
    const source = data(2, [2, 16, 16, 3]) as tf.Tensor4D;
    const target = data(3, [2, 16, 16, 3]) as tf.Tensor4D;
    const l1 = pix2pixStep(state, source, target);
    const l2 = pix2pixStep(state, source, target);
    const generated = G.predict(source) as tf.Tensor;
    const net = buildStyleFeatureNet({ inputShape: [12, 12, 3], blocks: [[4, 4], [6]], seed: 9 });
    const targets = (net.predict(data(4, [1, 12, 12, 3])) as tf.Tensor4D[]).map((f) => gramMatrix(f));
    const { loss, grad } = styleLossAndGradient(net, data(5, [1, 12, 12, 3]) as tf.Tensor4D, targets);
    const out = [tf.tensor1d([l1.d, l1.gAdv, l1.l1, l2.d, l2.gAdv, l2.l1]), generated, loss, grad];
    state.gOptimizer.dispose();
    state.dOptimizer!.dispose();
    return out;
  };
  const cpu = await onBackend('cpu', run);
  const wasm = await onBackend('wasm', run);
  cpu.forEach((c, i) => expect(relativeError(wasm[i], c)).toBeLessThan(2e-3));
  expect(cpu[3].some((v) => v !== 0)).toBe(true);
}, 120_000);

test('Gram matrix: symmetric, PSD diagonal, normalised by C*H*W, invariant to shuffling positions, scales by a^2', async () => {
  await useBackend('wasm');
  const f = data(6, [1, 5, 4, 3]) as tf.Tensor4D;
  const g = gramMatrix(f);
  const gv = g.arraySync()[0];
  const fv = f.reshape([20, 3]).arraySync() as number[][];
  for (let i = 0; i < 3; i++) {
    for (let j = 0; j < 3; j++) {
      const expected = fv.reduce((s, row) => s + row[i] * row[j], 0) / 60;
      expect(gv[i][j]).toBeCloseTo(expected, 5);
      expect(gv[i][j]).toBeCloseTo(gv[j][i], 6);
    }
    expect(gv[i][i]).toBeGreaterThanOrEqual(0);
  }
  const shuffled = tf.tensor4d(fv.slice().reverse().flat(), [1, 5, 4, 3]);
  expect(styleLoss([shuffled], [g]).dataSync()[0]).toBeCloseTo(0, 8);
  expect(relativeError(gramMatrix(f.mul(3) as tf.Tensor4D).dataSync(), g.mul(9).dataSync())).toBeLessThan(1e-5);
  expect(() => styleLoss([f], [])).toThrow(/target Gram/);
  tf.dispose([f, g, shuffled]);
});

test('100 training steps on wasm leak no tensor and no wasm heap allocation', async () => {
  await useBackend('wasm');
  const model = buildVggClassifier({ inputShape: [16, 16, 3], numClasses: 4, filters: [6, 8], stemStride: 2, seed: 3 });
  const x = data(1, [4, 16, 16, 3]);
  const y = tf.tensor1d([0, 1, 2, 3], 'int32');
  const optimizer = tf.train.adam(1e-3);
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const step = () => optimizer.minimize(() => softmaxCrossEntropy(model.apply(x, { training: true }) as tf.Tensor, y), false, vars);
  step(); // Adam's slots are made on the first step
  const heapIds = () => (tf.backend() as unknown as { dataIdMap: { numDataIds(): number } }).dataIdMap.numDataIds();
  const tensors = tf.memory().numTensors;
  const ids = heapIds();
  for (let i = 0; i < 100; i++) step();
  expect(tf.memory().numTensors).toBe(tensors);
  expect(heapIds()).toBe(ids);
  tf.dispose([x, y]);
  optimizer.dispose();
  model.dispose();
}, 120_000);
