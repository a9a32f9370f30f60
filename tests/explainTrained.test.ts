/**
 * On the trained shapes classifier shipped in datasets/weights (trained by `cvkit train-shapes`):
 * Grad-CAM points at the object and is faithful by deletion/insertion, and the model-randomisation
 * sanity check separates the methods as Adebayo et al. (2018) found: randomising the class layer
 * changes Grad-CAM and the gradient, while guided backprop barely moves.
 */
import * as tf from '@tensorflow/tfjs';
import { useBackend } from './helpers';
import { loadModel } from '../lib/runtime/modelIO';
import { projectPath } from '../lib/runtime/paths';
import { generateShapes, SHAPE_CLASSES } from '../datasets/shapes';
import { toTensors } from '../datasets/tensors';
import { gradCam } from '../lib/explain/gradCam';
import { saliency } from '../lib/explain/saliency';
import { guidedBackprop } from '../lib/explain/guidedBackprop';
import { pointingGame, perturbationCurve, randomizedCopy, spearmanPerImage, gaussianBlur } from '../lib/explain/faithfulness';
import { evaluateClassifier } from '../lib/train/classifier';

let model: tf.LayersModel;
const data = generateShapes({ count: 100, seed: 3 });
let x: tf.Tensor4D;
let targets: number[];
const mean = (a: number[]) => a.reduce((s, v) => s + v, 0) / a.length;

beforeAll(async () => {
  await useBackend('wasm');
  model = await loadModel(projectPath('datasets', 'weights', 'shapes-classifier'));
  const t = toTensors(data);
  x = t.x;
  targets = Array.from(data.labels);
  t.y.dispose();
});

test('the shipped classifier is the trained one: >= 95% on 2,000 test images, class names recorded', async () => {
  const test = toTensors(generateShapes({ count: 2000, seed: 3 }));
  const ev = await evaluateClassifier(model, test);
  expect(ev.accuracy).toBeGreaterThanOrEqual(0.95);
  tf.dispose([test.x, test.y]);
  const meta = model.getUserDefinedMetadata() as { classNames?: string[] } | undefined;
  expect(meta?.classNames).toEqual([...SHAPE_CLASSES]);
});

test('Grad-CAM pointing game >= 85% with TorchRay\'s 15 px tolerance scaled to 32 px (last two conv layers averaged)', () => {
  // The last conv layer alone is 4x4 for a 32x32 image: its upsampled maximum lands on the object
  // ~84% of the time (measured on 500 images); averaging it with the 8x8 layer before (Grad-CAM's
  // several-layer option) reaches ~93%.
  const twoLayers = gradCam(model, x, { target: targets, layers: ['block3_relu1', 'block4_relu1'] });
  const lastLayer = gradCam(model, x, { target: targets });
  const masks = data.instances.map((l) => l[0].mask);
  const tolerance = (15 / 224) * 32;
  expect(pointingGame(twoLayers, masks, tolerance).hitRate).toBeGreaterThanOrEqual(0.85);
  expect(pointingGame(lastLayer, masks, tolerance).hitRate).toBeGreaterThanOrEqual(0.75);
  const random = tf.randomUniform([100, 32, 32], 0, 1, 'float32', 7);
  expect(pointingGame(random, masks, tolerance).hitRate).toBeLessThan(0.4);
  tf.dispose([twoLayers, lastLayer, random]);
});

test('Grad-CAM deletion AUC is below a random map\'s, insertion AUC above', () => {
  const maps = gradCam(model, x, { target: targets });
  const random = tf.randomUniform([100, 32, 32], 0, 1, 'float32', 7);
  const aucs = (m: tf.Tensor) => ({
    deletion: mean(perturbationCurve(model, x, m, targets, 'deletion').auc),
    insertion: mean(perturbationCurve(model, x, m, targets, 'insertion').auc),
  });
  const cam = aucs(maps);
  const rnd = aucs(random);
  expect(cam.deletion).toBeLessThan(rnd.deletion - 0.1);
  expect(cam.insertion).toBeGreaterThan(rnd.insertion + 0.1);
  tf.dispose([maps, random]);
});

test('randomising the class layer moves Grad-CAM and the gradient, not guided backprop', async () => {
  const randomized = await randomizedCopy(model, 1, ['logits']);
  const correlation = (f: (m: tf.LayersModel) => tf.Tensor) => {
    const a = f(model);
    const b = f(randomized);
    const rho = mean(spearmanPerImage(a, b));
    tf.dispose([a, b]);
    return rho;
  };
  const gradCamRho = correlation((m) => gradCam(m, x, { target: targets }));
  const gradientRho = correlation((m) => saliency(m, x, { target: targets }));
  const guidedRho = correlation((m) => tf.tidy(() => guidedBackprop(m, x, { target: targets }).abs().max(3)));
  expect(gradCamRho).toBeLessThan(0.7);
  expect(gradientRho).toBeLessThan(0.7);
  expect(guidedRho).toBeGreaterThan(0.8);
  randomized.dispose();
});

test('gaussianBlur keeps a constant image constant and smooths an impulse', () => {
  const flat = gaussianBlur(tf.fill([1, 8, 8, 1], 0.3), 1.5);
  expect(Math.max(...Array.from(flat.dataSync(), (v) => Math.abs(v - 0.3)))).toBeLessThan(1e-6);
  const impulse = tf.buffer([1, 9, 9, 1]);
  impulse.set(1, 0, 4, 4, 0);
  const b = gaussianBlur(impulse.toTensor(), 1).dataSync();
  expect(b[4 * 9 + 4]).toBeLessThan(0.5);
  expect(Array.from(b).reduce((s, v) => s + v, 0)).toBeCloseTo(1, 4);
});

afterAll(() => {
  x.dispose();
  model.dispose();
});
