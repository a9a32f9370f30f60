/** The explanation methods against the checks of docs/reference.md ("CNN visualization") that need no trained model. */
import * as tf from '@tensorflow/tfjs';
import { useBackend, relativeError, expectNoLeak } from './helpers';
import { buildVggClassifier } from '../lib/nn/vgg';
import { runLayers, layerNames } from '../lib/explain/graph';
import { captureLayer, inputGradients, normalizePerImage } from '../lib/explain/core';
import { cam } from '../lib/explain/cam';
import { gradCam, guidedGradCam } from '../lib/explain/gradCam';
import { saliency, smoothGrad } from '../lib/explain/saliency';
import { reluBackward, guidedBackprop, deconvnet } from '../lib/explain/guidedBackprop';
import { occlusion } from '../lib/explain/occlusion';
import { spearman, spearmanPerImage, pointingGame } from '../lib/explain/faithfulness';
import { channelAblation } from '../lib/explain/inspect';

beforeAll(() => useBackend('wasm'));

const vgg = () => buildVggClassifier({ inputShape: [16, 16, 3], numClasses: 4, filters: [4, 8, 8], seed: 11 });
const images = (n: number, seed = 1) => tf.randomUniform([n, 16, 16, 3], 0, 1, 'float32', seed);

test('runLayers reproduces predict, captures any layer, and handles a branching functional model', () => {
  const model = vgg();
  const x = images(2);
  const direct = (model.predict(x) as tf.Tensor).dataSync();
  const { outputs, captured } = runLayers(model, x, { capture: ['block2_relu1'] });
  expect(relativeError(outputs[0].dataSync(), direct)).toBeLessThan(1e-5);
  expect(captured.block2_relu1.shape).toEqual([2, 8, 8, 8]);
  expect(() => runLayers(model, x, { capture: ['nope'] })).toThrow(/has no layer 'nope'.*block1_conv1/);
  // A residual block: input -> conv -> add(input) -> GAP -> dense.
  const input = tf.input({ shape: [6, 6, 2] });
  const conv = tf.layers.conv2d({ filters: 2, kernelSize: 3, padding: 'same', activation: 'relu', name: 'conv' }).apply(input) as tf.SymbolicTensor;
  const sum = tf.layers.add({ name: 'skip' }).apply([conv, input]) as tf.SymbolicTensor;
  const out = tf.layers.dense({ units: 3, name: 'out' }).apply(tf.layers.globalAveragePooling2d({}).apply(sum) as tf.SymbolicTensor) as tf.SymbolicTensor;
  const residual = tf.model({ inputs: input, outputs: out });
  const r = tf.randomUniform([1, 6, 6, 2]);
  expect(relativeError(runLayers(residual, r).outputs[0].dataSync(), (residual.predict(r) as tf.Tensor).dataSync())).toBeLessThan(1e-5);
  expect(layerNames(residual)).toContain('skip');
});

test('Grad-CAM of a GAP network before the ReLU equals CAM / (H*W)', () => {
  const model = vgg();
  const x = images(3, 2);
  const raw = gradCam(model, x, { relu: false, normalize: false, upsample: false });
  const reference = cam(model, x);
  const [, h, w] = reference.shape;
  expect(raw.shape).toEqual(reference.shape);
  expect(relativeError(raw.dataSync(), reference.div(h! * w!).dataSync())).toBeLessThan(1e-4);
});

test('for a linear model the input gradient is the weight column, and 1x1 occlusion with baseline 0 is w*x', () => {
  const model = tf.sequential({ layers: [tf.layers.flatten({ inputShape: [4, 5, 2] }), tf.layers.dense({ units: 3, kernelInitializer: tf.initializers.randomNormal({ seed: 3 }) })] });
  const x = tf.randomUniform([1, 4, 5, 2], 0, 1, 'float32', 4);
  const kernel = model.layers[1].getWeights()[0]; // [40, 3]
  const { gradients, targets } = inputGradients(model, x, 2);
  expect(targets).toEqual([2]);
  const column = kernel.slice([0, 2], [40, 1]).reshape([40]);
  expect(relativeError(gradients.reshape([40]).dataSync(), column.dataSync())).toBeLessThan(1e-6);
  const occ = occlusion(model, x, { target: 2, window: 1, stride: 1, baseline: 0 });
  const wx = column.reshape([4, 5, 2]).mul(x.reshape([4, 5, 2])).sum(2);
  expect(relativeError(occ.reshape([20]).dataSync(), wx.reshape([20]).dataSync())).toBeLessThan(1e-5);
});

test('the three ReLU backward rules on hand-made tensors', () => {
  const x = tf.tensor1d([-2, -1, 1, 2]);
  const g = tf.tensor1d([3, -3, 3, -3]);
  const values = (t: tf.Tensor) => Array.from(t.dataSync(), (v) => v + 0); // -0 -> 0
  expect(values(reluBackward('backprop', x, g))).toEqual([0, 0, 3, -3]);
  expect(values(reluBackward('deconvnet', x, g))).toEqual([3, 0, 3, 0]);
  expect(values(reluBackward('guided', x, g))).toEqual([0, 0, 3, 0]);
});

test('guided backprop and deconvnet change the gradient of a real network (their ReLU rules are in effect), shapes as the input', () => {
  const model = vgg();
  const x = images(2, 5);
  const plain = inputGradients(model, x).gradients;
  const guided = guidedBackprop(model, x);
  const deconv = deconvnet(model, x);
  expect(guided.shape).toEqual(x.shape);
  expect(relativeError(guided.dataSync(), plain.dataSync())).toBeGreaterThan(1e-3);
  expect(relativeError(deconv.dataSync(), guided.dataSync())).toBeGreaterThan(1e-3);
  const c = captureLayer(model, x, 'block3_relu1');
  expect(c.gradients.shape).toEqual(c.activations.shape);
  const ggc = guidedGradCam(model, x);
  expect(ggc.shape).toEqual(x.shape);
});

test('saliency is max_c |gradient|; SmoothGrad averages noisy saliency and repeats with its seed', () => {
  const model = vgg();
  const x = images(2, 6);
  const { gradients } = inputGradients(model, x);
  expect(relativeError(saliency(model, x).dataSync(), gradients.abs().max(3).dataSync())).toBeLessThan(1e-6);
  const a = smoothGrad(model, x, { samples: 4, seed: 1 });
  const b = smoothGrad(model, x, { samples: 4, seed: 1 });
  expect(Array.from(a.dataSync())).toEqual(Array.from(b.dataSync()));
  expect(relativeError(a.dataSync(), saliency(model, x).dataSync())).toBeGreaterThan(1e-3);
});

test('normalisation maps each image to [0, 1]; maps upsample to the input size', () => {
  const m = normalizePerImage(tf.tensor3d([[[1, 3], [5, 9]], [[-2, -2], [0, 2]]]));
  const v = m.dataSync();
  expect(v[0]).toBe(0);
  expect(v[3]).toBeCloseTo(1, 5);
  expect(v[1]).toBeCloseTo(0.25, 5);
  expect(v[4] + v[5]).toBe(0);
  expect(gradCam(vgg(), images(1)).shape).toEqual([1, 16, 16]);
  expect(gradCam(vgg(), images(1), { layers: ['block2_relu1', 'block3_relu1'] }).shape).toEqual([1, 16, 16]);
});

test('faithfulness helpers: Spearman correlation and the pointing game', () => {
  expect(spearman([1, 2, 3, 4], [10, 20, 30, 40])).toBeCloseTo(1, 10);
  expect(spearman([1, 2, 3, 4], [4, 3, 2, 1])).toBeCloseTo(-1, 10);
  const maps = tf.tensor3d([[[0, 0, 0], [0, 0, 9], [0, 0, 0]], [[9, 0, 0], [0, 0, 0], [0, 0, 0]]]);
  const mask = [0, 0, 0, 0, 0, 1, 0, 0, 0];
  expect(pointingGame(maps, [mask, mask], 0).hits).toEqual([true, false]);
  expect(pointingGame(maps, [mask, mask], 3).hitRate).toBe(1);
});

test('spearmanPerImage ranks each image on its own: not one correlation over the batch, and keeps no tensor', () => {
  // Image 0 agrees in order, image 1 is reversed; pooled over the batch the offsets would dominate.
  const a = tf.tensor3d([[[1, 2], [3, 4]], [[101, 102], [103, 104]]]);
  const b = tf.tensor3d([[[10, 20], [30, 40]], [[4, 3], [2, 1]]]);
  const before = tf.memory().numTensors;
  const rho = spearmanPerImage(a, b);
  expect(tf.memory().numTensors).toBe(before);
  expect(rho[0]).toBeCloseTo(1, 10);
  expect(rho[1]).toBeCloseTo(-1, 10);
  // One correlation over the pooled batch is another number (-0.76 here), not the mean of the images' (0).
  expect(Math.abs(spearman(a.dataSync(), b.dataSync()) - (rho[0] + rho[1]) / 2)).toBeGreaterThan(0.5);
  expect(() => spearmanPerImage(a, tf.zeros([2, 4]))).toThrow(/one shape/);
  tf.dispose([a, b]);
});

test('the explanation methods leave no tensors behind', async () => {
  const model = vgg();
  const x = images(2, 7);
  await expectNoLeak(() => {
    tf.dispose([gradCam(model, x), cam(model, x), saliency(model, x), guidedBackprop(model, x), deconvnet(model, x), guidedGradCam(model, x),
      occlusion(model, x, { window: 8, stride: 8 }), smoothGrad(model, x, { samples: 2 })]);
    const c = captureLayer(model, x, 'block2_relu1');
    tf.dispose([c.activations, c.gradients, c.logits]);
    tf.dispose(inputGradients(model, x).gradients);
  });
  x.dispose();
  model.dispose();
});

test('channel masking: zeroing a channel of the last layer of a GAP network drops the score by w_k^c * mean(A_k)', () => {
  const model = vgg();
  const x = images(2, 9);
  const layer = 'block3_relu1';
  const drops = channelAblation(model, x, layer, [1, 3]);
  const { captured } = runLayers(model, x, { capture: [layer] });
  const means = captured[layer].mean([1, 2]).arraySync() as number[][];
  const kernel = model.getLayer('logits').getWeights()[0].arraySync() as number[][];
  [1, 3].forEach((c, i) => means[i].forEach((m, k) => expect(drops[i][k]).toBeCloseTo(kernel[k][c] * m, 4)));
});

describe('boxes from maps (weakly supervised localisation)', () => {
  const { boxFromMap, boxesFromMaps } = require('../lib/explain/mapBoxes');
  test('the box of the largest region above 20% of the maximum: a small hotter blob loses to a large warm one', () => {
    const h = 10, w = 12;
    const map = new Float32Array(h * w);
    for (let y = 2; y <= 6; y++) for (let x = 1; x <= 5; x++) map[y * w + x] = 0.5;   // large region, columns 1..5, rows 2..6
    map[8 * w + 10] = 1;                                                                // one hot pixel
    expect(boxFromMap(map, h, w, 0.2)).toEqual([0.5, 1.5, 5.5, 6.5]);
    // Above 60% of the maximum only the hot pixel is left.
    expect(boxFromMap(map, h, w, 0.6)).toEqual([9.5, 7.5, 10.5, 8.5]);
    expect(boxFromMap(new Float32Array(h * w), h, w)).toBeNull();
  });
  test('boxesFromMaps reads a batch and leaves no tensor', () => {
    const maps = tf.zeros([2, 4, 4]).add(tf.oneHot([5, 10], 16).reshape([2, 4, 4]));
    const before = tf.memory().numTensors;
    expect(boxesFromMaps(maps)).toEqual([[0.5, 0.5, 1.5, 1.5], [1.5, 1.5, 2.5, 2.5]]);
    expect(tf.memory().numTensors).toBe(before);
    maps.dispose();
  });
});

describe('signedMassInside', () => {
  const { signedMassInside } = require('../lib/explain/faithfulness');
  test('splits a signed map into the shares of its positive and negative parts inside a mask', () => {
    // 1x2x2 map: +3 and +1 (inside: the +3), -2 and -2 (inside: one -2)
    const maps = tf.tensor3d([[[3, 1], [-2, -2]]]);
    const r = signedMassInside(maps, [[1, 0, 1, 0]]);
    expect(r.positive[0]).toBeCloseTo(0.75, 6);
    expect(r.negative[0]).toBeCloseTo(0.5, 6);
    expect(Number.isNaN(signedMassInside(tf.tensor3d([[[1, 1], [1, 1]]]), [[1, 1, 1, 1]]).negative[0])).toBe(true);
    maps.dispose();
  });
});
