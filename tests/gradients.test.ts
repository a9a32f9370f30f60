/**
 * Whole-model gradients: the kit's VGG classifier (with batch norm, pooling, GAP) has the same
 * parameter gradients on wasm (composed kernels + the broadcasting FusedBatchNorm gradient) as on
 * the cpu backend with tfjs's own gradient definitions.
 */
import * as tf from '@tensorflow/tfjs';
import { useBackend, relativeError } from './helpers';
import { buildVggClassifier } from '../lib/nn/vgg';
import { softmaxCrossEntropy } from '../lib/train/classifier';
import { registerFastGradients } from '../lib/runtime/gradients';
import { Random } from '../lib/runtime/random';

async function modelGradients(backend: 'cpu' | 'wasm'): Promise<Float32Array[]> {
  await useBackend(backend);
  const model = buildVggClassifier({ inputShape: [12, 12, 3], numClasses: 4, filters: [4, 6, 8], convsPerBlock: 2, seed: 3 });
  const rng = new Random(4);
  const x = tf.tensor4d(Float32Array.from({ length: 5 * 12 * 12 * 3 }, () => rng.next()), [5, 12, 12, 3]);
  const y = tf.tensor1d([0, 1, 2, 3, 1], 'int32');
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const { grads } = tf.variableGrads(() => softmaxCrossEntropy(model.apply(x, { training: true }) as tf.Tensor, y), vars);
  const out = vars.map((v) => grads[v.name].dataSync() as Float32Array);
  tf.dispose([x, y, ...Object.values(grads)]);
  model.dispose();
  return out;
}

test('VGG parameter gradients on wasm equal those on cpu (tfjs reference gradients)', async () => {
  const cpu = await modelGradients('cpu');
  registerFastGradients();
  const wasm = await modelGradients('wasm');
  expect(wasm.length).toBe(cpu.length);
  wasm.forEach((g, i) => expect(relativeError(g, cpu[i])).toBeLessThan(1e-4));
  expect(cpu.some((g) => g.some((v) => Math.abs(v) > 1e-6))).toBe(true);
});

test('the Sum and Mean gradients (broadcast dy) equal tfjs\'s (dy times ones), on cpu and wasm', async () => {
  const cases: { shape: number[]; axis: number[] }[] = [
    { shape: [4, 3, 5, 6], axis: [0, 1, 2] },
    { shape: [4, 3, 5, 6], axis: [3] },
    { shape: [4, 3, 5, 6], axis: [1, 3] },
    { shape: [7], axis: [0] },
  ];
  const reference = (x: tf.Tensor, axis: number[], mean: boolean) => {
    const kept = x.shape.map((d, i) => (axis.includes(i) ? 1 : d));
    const count = axis.reduce((n, a) => n * x.shape[a], 1);
    const w = tf.range(1, 1 + kept.reduce((a, b) => a * b, 1)).reshape(kept);
    const g = tf.mul(w, tf.ones(x.shape));
    return mean ? tf.div(g, count) : g;
  };
  registerFastGradients();
  for (const backend of ['cpu', 'wasm'] as const) {
    await useBackend(backend);
    for (const c of cases) {
      for (const mean of [false, true]) {
        tf.tidy(() => {
          const rng = new Random(5);
          const x = tf.tensor(Float32Array.from({ length: c.shape.reduce((a, b) => a * b, 1) }, () => rng.next()), c.shape);
          const kept = c.shape.map((d, i) => (c.axis.includes(i) ? 1 : d));
          const w = tf.range(1, 1 + kept.reduce((a, b) => a * b, 1)).reshape(c.shape.filter((_, i) => !c.axis.includes(i)));
          // d/dx sum(w * reduce(x)) = w broadcast over the reduced axes (divided by the count for Mean).
          const grad = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(w, mean ? tf.mean(t, c.axis) : tf.sum(t, c.axis))))(x);
          expect(grad.shape).toEqual(c.shape);
          expect(relativeError(grad.dataSync(), reference(x, c.axis, mean).dataSync())).toBeLessThan(1e-6);
        });
      }
    }
  }
});
