/**
 * The training loops' strategy (lib/train/strategy.ts): forced by option or CVKIT_STRATEGY, otherwise
 * the faster of the two as measured on a copy of the model (cached for the model and machine); and the
 * choice does not change what is learnt beyond float rounding (no batch norm here, so the replicas'
 * per-share statistics do not enter).
 */
import * as tf from '@tensorflow/tfjs';
import { initRuntime } from '../lib/runtime/backend';
import { buildVggClassifier } from '../lib/nn/vgg';
import { generateShapes } from '../datasets/shapes';
import { toTensors } from '../datasets/tensors';
import { trainClassifier } from '../lib/train/classifier';
import { chooseStrategy, measureStrategies } from '../lib/train/strategy';
import { seedEverything } from '../lib/runtime/random';

beforeAll(async () => { await initRuntime({ quiet: true }); });

const data = () => toTensors(generateShapes({ count: 96, seed: 4 }));
const model = () => buildVggClassifier({ inputShape: [32, 32, 3], numClasses: 5, filters: [8, 16], batchNorm: false, seed: 3, name: 'strategy_test' });

test('forced by option or CVKIT_STRATEGY; measured otherwise, choosing the faster and caching it (per kernels: other kernel switches measure again)', async () => {
  const d = data();
  const m = model();
  const ctx = { model: m, x: d.x, y: d.y, loss: 'softmaxCrossEntropy' as const, batchSize: 32, learningRate: 1e-3 };
  expect((await chooseStrategy(ctx, { strategy: 'replicas', threads: 2 })).kind).toBe('replicas');
  process.env.CVKIT_STRATEGY = 'threads';
  try {
    expect((await chooseStrategy(ctx, { threads: 2 })).reason).toMatch(/CVKIT_STRATEGY/);
  } finally {
    delete process.env.CVKIT_STRATEGY;
  }
  expect((await chooseStrategy(ctx, { threads: 1 })).kind).toBe('threads');
  const measured = await measureStrategies(ctx, 2, { warm: 1, timed: 2 });
  expect(measured.threadsMs).toBeGreaterThan(0);
  expect(measured.replicasMs).toBeGreaterThan(0);
  const first = await chooseStrategy(ctx, { threads: 2 });
  expect(first.reason).toMatch(/measured (now|before)/);
  const again = await chooseStrategy(ctx, { threads: 2 });
  expect(again.reason).toMatch(/measured before/);
  expect(again.kind).toBe(first.kind);
  const [t, r] = [/(\d+) ms\/step, 2 data-parallel/.exec(again.reason), /replicas (\d+) ms\/step/.exec(again.reason)];
  if (t && r) expect(again.kind).toBe(Number(r[1]) < Number(t[1]) ? 'replicas' : 'threads');
  // a choice is cached with the kernels it was measured with: other kernel switches measure again
  process.env.CVKIT_KIT_GEMM = '0';
  try {
    expect((await chooseStrategy(ctx, { threads: 2 })).reason).toMatch(/measured now/);
  } finally {
    delete process.env.CVKIT_KIT_GEMM;
  }
  expect((await chooseStrategy(ctx, { threads: 2 })).reason).toMatch(/measured before/);
  m.dispose();
  tf.dispose([d.x, d.y]);
}, 120000);

test('threads and replicas learn the same weights from the same seed (float rounding only)', async () => {
  const weights: Float32Array[][] = [];
  for (const strategy of ['threads', 'replicas'] as const) {
    seedEverything(0);
    const d = data();
    const m = model();
    const r = await trainClassifier(m, d, { epochs: 2, batchSize: 32, learningRate: 3e-3, seed: 5, threads: 2, strategy, progress: false });
    expect(r.strategy).toBe(strategy);
    weights.push(m.getWeights().map((w) => w.dataSync() as Float32Array));
    m.dispose();
    tf.dispose([d.x, d.y]);
  }
  let worst = 0;
  weights[0].forEach((w, i) => w.forEach((v, j) => { worst = Math.max(worst, Math.abs(v - weights[1][i][j])); }));
  expect(worst).toBeLessThan(1e-3);
  // and training moved the weights far more than that
  const init = model().getWeights().map((w) => w.dataSync());
  let moved = 0;
  weights[0].forEach((w, i) => w.forEach((v, j) => { moved = Math.max(moved, Math.abs(v - init[i][j])); }));
  expect(moved).toBeGreaterThan(100 * worst);
}, 120000);
