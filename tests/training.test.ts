/** The training loop learns, stops when told, checkpoints, and leaks nothing. */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { generateShapes } from '../datasets/shapes';
import { toTensors } from '../datasets/tensors';
import { buildVggClassifier } from '../lib/nn/vgg';
import { trainClassifier, evaluateClassifier } from '../lib/train/classifier';
import { accuracy, confusionMatrix } from '../lib/train/metrics';
import { loadModel } from '../lib/runtime/modelIO';
import { seedEverything, unseed } from '../lib/runtime/random';
import { useBackend } from './helpers';

beforeAll(() => useBackend('wasm'));
afterAll(() => unseed());

test('metrics: accuracy and the confusion matrix (rows true, columns predicted)', () => {
  expect(accuracy([0, 1, 1, 2], [0, 1, 2, 2])).toBe(0.75);
  expect(confusionMatrix([0, 1, 1, 2], [0, 1, 2, 2], 3)).toEqual([[1, 0, 0], [0, 1, 0], [0, 1, 1]]);
  expect(() => accuracy([1], [1, 2])).toThrow();
});

test('training on shapes lowers the loss, beats chance on held-out images, checkpoints the best epoch, leaks no tensors', async () => {
  seedEverything(0);
  const train = toTensors(generateShapes({ count: 800, seed: 1, classes: [0, 3], background: 'plain' }));
  const val = toTensors(generateShapes({ count: 300, seed: 2, classes: [0, 3], background: 'plain' }));
  const model = buildVggClassifier({ inputShape: [32, 32, 3], numClasses: 5, filters: [12, 24, 48], stemStride: 2, seed: 0 });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cvkit-ckpt-'));
  const before = tf.memory().numTensors;
  const result = await trainClassifier(model, train, { epochs: 3, batchSize: 16, learningRate: 5e-3, validation: val, checkpointDir: dir, progress: false });
  expect(tf.memory().numTensors).toBe(before);
  const h = result.history;
  expect(h).toHaveLength(3);
  expect(h[h.length - 1].loss).toBeLessThan(h[0].loss);
  const best = Math.max(...h.map((e) => e.valAccuracy!));
  expect(best).toBeGreaterThan(0.7); // circles vs stars after 150 steps (deterministic: seeded): chance is 1/2
  const restored = await evaluateClassifier(model, val);
  expect(restored.accuracy).toBeCloseTo(best, 5);
  const fromDisk = await loadModel(dir);
  expect((await evaluateClassifier(fromDisk, val)).accuracy).toBeCloseTo(best, 5);
  tf.dispose([train.x, train.y, val.x, val.y]);
  model.dispose();
  fromDisk.dispose();
});

test('early stopping and the time budget end training and say why', async () => {
  seedEverything(1);
  const data = toTensors(generateShapes({ count: 64, seed: 3 }));
  const model = buildVggClassifier({ inputShape: [32, 32, 3], numClasses: 5, filters: [4, 8], seed: 1 });
  // Validation accuracy cannot rise by more than 1 after the first epoch: patience 1 stops after epoch 2.
  const stalled = await trainClassifier(model, data, { epochs: 10, batchSize: 32, validation: data, earlyStopping: { patience: 1, minDelta: 1 }, progress: false });
  expect(stalled.stoppedBecause).toBe('early-stopping');
  expect(stalled.history).toHaveLength(2);
  const timed = await trainClassifier(model, data, { epochs: 1000, batchSize: 8, timeBudgetSeconds: 0.5, progress: false });
  expect(timed.stoppedBecause).toBe('time-budget');
  expect(timed.seconds).toBeLessThan(5);
  tf.dispose([data.x, data.y]);
  model.dispose();
});

test('data-parallel training: two threads take the same step as one thread on the whole batch (no batch norm)', async () => {
  const data = toTensors(generateShapes({ count: 24, seed: 4 }));
  const weightsAfterOneStep = async (threads: number) => {
    const model = buildVggClassifier({ inputShape: [32, 32, 3], numClasses: 5, filters: [4, 8], batchNorm: false, seed: 3 });
    const result = await trainClassifier(model, data, { epochs: 1, batchSize: 24, learningRate: 1e-2, threads, progress: false });
    expect(result.threads).toBe(threads);
    const w = model.getWeights().map((t) => Array.from(t.dataSync()));
    model.dispose();
    return w;
  };
  const one = await weightsAfterOneStep(1);
  const two = await weightsAfterOneStep(2);
  const start = buildVggClassifier({ inputShape: [32, 32, 3], numClasses: 5, filters: [4, 8], batchNorm: false, seed: 3 });
  const initial = start.getWeights().map((t) => Array.from(t.dataSync()));
  start.dispose();
  let moved = 0;
  one.forEach((w, i) => w.forEach((v, k) => {
    expect(Math.abs(two[i][k] - v)).toBeLessThan(1e-4);
    if (Math.abs(v - initial[i][k]) > 1e-3) moved++;
  }));
  expect(moved).toBeGreaterThan(100);
  tf.dispose([data.x, data.y]);
});
