/** The training loop learns, stops when told, checkpoints, and leaks nothing. */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { generateShapes } from '../datasets/shapes';
import { toTensors } from '../datasets/tensors';
import { buildVggClassifier } from '../lib/nn/vgg';
import { trainClassifier, evaluateClassifier } from '../lib/train/classifier';
import * as dataParallel from '../lib/train/dataParallel';
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

/** A fake clock: 0 when training begins, then `step` seconds more at every reading (one per training step and one per validation). */
const fakeClock = (step: number) => {
  let readings = 0;
  return () => step * readings++;
};

test('early stopping ends training and says why', async () => {
  seedEverything(1);
  const data = toTensors(generateShapes({ count: 64, seed: 3 }));
  const model = buildVggClassifier({ inputShape: [32, 32, 3], numClasses: 5, filters: [4, 8], seed: 1 });
  // Validation accuracy cannot rise by more than 1 after the first epoch: patience 1 stops after epoch 2.
  const stalled = await trainClassifier(model, data, { epochs: 10, batchSize: 32, validation: data, earlyStopping: { patience: 1, minDelta: 1 }, progress: false });
  expect(stalled.stoppedBecause).toBe('early-stopping');
  expect(stalled.history).toHaveLength(2);
  tf.dispose([data.x, data.y]);
  model.dispose();
});

test('a time budget stops training at the first step (or validation) that ends past it, in the middle of an epoch too; setting up (worker threads) is not counted', async () => {
  seedEverything(1);
  const data = toTensors(generateShapes({ count: 64, seed: 3 }));
  const model = buildVggClassifier({ inputShape: [32, 32, 3], numClasses: 5, filters: [4, 8], seed: 1 });
  // Setting up (starting the worker threads) is over before the clock is first read.
  const startReplicas = dataParallel.startReplicas;
  let setUp = false;
  let readingsDuringSetUp = 0;
  const spy = jest.spyOn(dataParallel, 'startReplicas').mockImplementation(async (...args) => {
    const pool = await startReplicas(...args);
    setUp = true;
    return pool;
  });
  const clock = fakeClock(0.1);
  // 8 steps per epoch, 0.1 s per step on this clock: step 5 is the first to end past 0.45 s.
  const timed = await trainClassifier(model, data, { epochs: 1000, batchSize: 8, threads: 2, strategy: 'replicas', timeBudgetSeconds: 0.45, clock: () => { if (!setUp) readingsDuringSetUp++; return clock(); }, progress: false });
  spy.mockRestore();
  expect(timed).toMatchObject({ stoppedBecause: 'time-budget', steps: 5, threads: 2 });
  expect(readingsDuringSetUp).toBe(0);
  expect(timed.seconds).toBeCloseTo(0.5, 9);
  expect(timed.history).toHaveLength(1);
  // One step per epoch and a validation after each: step 1 ends at 0.1, its validation at 0.2, step 2 at
  // 0.3, its validation at 0.4, past 0.35: no third step.
  const validated = await trainClassifier(model, data, { epochs: 1000, batchSize: 64, validation: data, timeBudgetSeconds: 0.35, clock: fakeClock(0.1), progress: false });
  expect(validated).toMatchObject({ stoppedBecause: 'time-budget', steps: 2 });
  expect(validated.history.map((h) => Number(h.seconds.toFixed(6)))).toEqual([0.2, 0.4]);
  // The dense loop (heatmaps, coordinates) counts the same way.
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const { trainDense } = require('../lib/train/dense') as typeof import('../lib/train/dense');
  const oneHot = tf.tidy(() => tf.oneHot(data.y, 5).toFloat());
  const dense = await trainDense(model, { x: data.x, y: oneHot }, { loss: 'mse', steps: 1000, batchSize: 8, timeBudgetSeconds: 0.45, clock: fakeClock(0.1), progress: false });
  expect(dense).toMatchObject({ stoppedBecause: 'time-budget', steps: 5 });
  tf.dispose([data.x, data.y, oneHot]);
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

test('trainDense: float targets reach the replicas (2 threads == 1 thread without batch norm) and a landmark model learns', async () => {
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const { trainDense } = require('../lib/train/dense') as typeof import('../lib/train/dense');
  const x = tf.randomUniform([16, 8, 8, 3], 0, 1, 'float32', 1);
  const y = tf.randomUniform([16, 8, 8, 2], 0, 1, 'float32', 2);
  const build = () => {
    const input = tf.input({ shape: [8, 8, 3] });
    const h = tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: 5 }) }).apply(input) as tf.SymbolicTensor;
    const out1 = tf.layers.conv2d({ filters: 2, kernelSize: 1, kernelInitializer: tf.initializers.glorotUniform({ seed: 6 }) }).apply(h) as tf.SymbolicTensor;
    const out2 = tf.layers.conv2d({ filters: 2, kernelSize: 3, padding: 'same', kernelInitializer: tf.initializers.glorotUniform({ seed: 7 }) }).apply(h) as tf.SymbolicTensor;
    return tf.model({ inputs: input, outputs: [out1, out2] });
  };
  const after = async (threads: number) => {
    const m = build();
    const r = await trainDense(m, { x, y }, { loss: 'stackedSpatialCE', steps: 1, batchSize: 16, learningRate: 1e-2, threads, progress: false, schedule: 'constant' });
    expect(r.threads).toBe(threads);
    const w = m.getWeights().map((t) => Array.from(t.dataSync()));
    m.dispose();
    return w;
  };
  const one = await after(1);
  const two = await after(2);
  one.forEach((w, i) => w.forEach((v, k) => expect(Math.abs(two[i][k] - v)).toBeLessThan(1e-4)));

  // A tiny hourglass on 64 faces: the spatial cross-entropy falls over 60 steps.
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const { buildStackedHourglass } = require('../lib/nn/hourglass') as typeof import('../lib/nn/hourglass');
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const { generateFaces } = require('../datasets/faces') as typeof import('../datasets/faces');
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const { heatmapTensor } = require('../lib/landmarks/heatmap') as typeof import('../lib/landmarks/heatmap');
  const faces = generateFaces({ count: 64, seed: 3, size: 32 });
  const fx = tf.tensor4d(faces.images, [64, 32, 32, 3]);
  const fy = heatmapTensor(faces.landmarks, { size: [8, 8], stride: 4 });
  const model = buildStackedHourglass({ inputShape: [32, 32, 3], numLandmarks: 7, stacks: 1, depth: 2, features: 16, seed: 1 });
  const before = tf.memory().numTensors;
  const r = await trainDense(model, { x: fx, y: fy }, { loss: 'stackedSpatialCE', steps: 60, batchSize: 16, learningRate: 5e-3, threads: 1, progress: false, logEvery: 20 });
  expect(r.history.length).toBe(3);
  expect(r.history[2].loss).toBeLessThan(r.history[0].loss * 0.9);
  expect(tf.memory().numTensors).toBe(before);
  model.dispose();
  tf.dispose([x, y, fx, fy]);
}, 120000);
