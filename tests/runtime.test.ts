/** Runtime: one tfjs-core, backend choice, seeding, model files. */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { requestedBackend } from '../lib/runtime/backend';
import { seedEverything, unseed, Random } from '../lib/runtime/random';
import { saveModel, loadModel } from '../lib/runtime/modelIO';
import { buildVggClassifier } from '../lib/nn/vgg';
import { useBackend, expectNoLeak } from './helpers';

function findPackages(dir: string, name: string, found: string[] = [], depth = 0): string[] {
  if (depth > 6 || !fs.existsSync(dir)) return found;
  const candidate = path.join(dir, name, 'package.json');
  if (fs.existsSync(candidate)) found.push(candidate);
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    const sub = path.join(dir, entry.name, 'node_modules');
    if (entry.name.startsWith('@')) {
      for (const scoped of fs.readdirSync(path.join(dir, entry.name))) findPackages(path.join(dir, entry.name, scoped, 'node_modules'), name, found, depth + 1);
    } else if (fs.existsSync(sub)) {
      findPackages(sub, name, found, depth + 1);
    }
  }
  return found;
}

test('exactly one copy of @tensorflow/tfjs-core is installed (two copies would mean two engines)', () => {
  const copies = findPackages(path.join(__dirname, '..', 'node_modules'), path.join('@tensorflow', 'tfjs-core'));
  expect(copies).toHaveLength(1);
});

test('CVKIT_BACKEND accepts the four backends and rejects anything else', () => {
  expect(requestedBackend({})).toBeNull();
  expect(requestedBackend({ CVKIT_BACKEND: 'WASM' })).toBe('wasm');
  expect(requestedBackend({ CVKIT_BACKEND: 'gpu' })).toBe('gpu');
  expect(() => requestedBackend({ CVKIT_BACKEND: 'webgl' })).toThrow(/not one of gpu, node, wasm, cpu/);
});

test('seedEverything makes weight initialisation and tf random ops repeat, and a new seed changes them', async () => {
  await useBackend('wasm');
  const draw = (seed: number) => {
    seedEverything(seed);
    const model = buildVggClassifier({ inputShape: [8, 8, 3], numClasses: 3, filters: [4, 8] });
    const weights = model.getWeights().map((w) => Array.from(w.dataSync()));
    const noise = tf.tidy(() => Array.from(tf.randomNormal([5]).dataSync()));
    model.dispose();
    return { weights, noise };
  };
  const a = draw(7);
  const b = draw(7);
  const c = draw(8);
  unseed();
  expect(b).toEqual(a);
  expect(c.weights[0]).not.toEqual(a.weights[0]);
  expect(c.noise).not.toEqual(a.noise);
});

test('Random is deterministic by seed and uniform enough', () => {
  const a = new Random(3);
  const b = new Random(3);
  const xs = Array.from({ length: 10000 }, () => a.next());
  expect(Array.from({ length: 10000 }, () => b.next())).toEqual(xs);
  const mean = xs.reduce((s, v) => s + v, 0) / xs.length;
  expect(Math.abs(mean - 0.5)).toBeLessThan(0.02);
  expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
  expect(Math.max(...xs)).toBeLessThan(1);
});

test('saveModel writes model.json + weights.bin and loadModel gives identical predictions', async () => {
  await useBackend('wasm');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cvkit-io-'));
  const model = buildVggClassifier({ inputShape: [8, 8, 3], numClasses: 3, filters: [4, 8], seed: 2 });
  await saveModel(model, dir);
  expect(fs.readdirSync(dir).sort()).toEqual(['model.json', 'weights.bin']);
  const json = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8'));
  expect(json.weightsManifest[0].paths).toEqual(['weights.bin']);
  const loaded = await loadModel(dir);
  const x = tf.randomUniform([2, 8, 8, 3], 0, 1, 'float32', 5);
  const p1 = (model.predict(x) as tf.Tensor).dataSync();
  const p2 = (loaded.predict(x) as tf.Tensor).dataSync();
  expect(Array.from(p2)).toEqual(Array.from(p1));
  await expect(loadModel(path.join(dir, 'missing'))).rejects.toThrow(/no model.json/);
  tf.dispose([x]);
  model.dispose();
  loaded.dispose();
});

test('a forward and backward pass of the classifier leaves no tensors behind', async () => {
  await useBackend('wasm');
  const model = buildVggClassifier({ inputShape: [8, 8, 3], numClasses: 3, filters: [4, 8], seed: 2 });
  const x = tf.randomUniform([2, 8, 8, 3]);
  await expectNoLeak(() => {
    const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
    const { value, grads } = tf.variableGrads(() => (model.apply(x, { training: true }) as tf.Tensor).square().mean() as tf.Scalar, vars);
    tf.dispose([value, ...Object.values(grads)]);
  });
  x.dispose();
  model.dispose();
});
