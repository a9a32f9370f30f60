/**
 * Batch normalisation in training as one operation (lib/runtime/wasm/batchNormTraining.ts): on wasm, a
 * BatchNormalization layer in training gives the same output, gradients (x, gamma, beta) and moving
 * statistics as tfjs-layers' own op-by-op graph on the cpu backend, and leaks nothing.
 */
import * as tf from '@tensorflow/tfjs';
import { useBackend, relativeError, expectNoLeak } from './helpers';
import { Random } from '../lib/runtime/random';
import { registerFastBatchNorm } from '../lib/runtime/wasm/batchNormTraining';

interface Outcome { y: Float32Array; dx: Float32Array; dGamma: Float32Array; dBeta: Float32Array; movingMean: Float32Array; movingVariance: Float32Array }

async function trainOnce(backend: 'cpu' | 'wasm', shape: number[], momentum: number, epsilon: number): Promise<Outcome> {
  await useBackend(backend);
  const c = shape[shape.length - 1];
  const rng = new Random(11);
  const values = (n: number, scale: number, shift: number) => Float32Array.from({ length: n }, () => shift + scale * rng.uniform(-1, 1));
  const layer = tf.layers.batchNormalization({ momentum, epsilon, gammaInitializer: 'ones' });
  layer.build(shape);
  layer.setWeights([tf.tensor1d(values(c, 0.5, 1)), tf.tensor1d(values(c, 0.3, 0)), tf.tensor1d(values(c, 0.2, 0)), tf.tensor1d(values(c, 0.2, 1))]);
  const x = tf.tensor(values(shape.reduce((a, b) => a * b, 1), 2, 0.5), shape);
  const w = tf.tensor(values(shape.reduce((a, b) => a * b, 1), 1, 0), shape);
  const [gamma, beta] = layer.trainableWeights.map((v) => v.read() as tf.Variable);
  // A loss that weights every output differently, so each gradient term matters.
  const f = (xIn: tf.Tensor) => tf.sum(tf.mul(w, layer.apply(xIn, { training: true }) as tf.Tensor)) as tf.Scalar;
  const y = tf.tidy(() => layer.apply(x, { training: true }) as tf.Tensor);
  const { grads } = tf.variableGrads(() => f(x), [gamma, beta]);
  const dx = tf.grad(f)(x);
  const out: Outcome = {
    y: y.dataSync() as Float32Array, dx: dx.dataSync() as Float32Array,
    dGamma: grads[gamma.name].dataSync() as Float32Array, dBeta: grads[beta.name].dataSync() as Float32Array,
    movingMean: layer.getWeights()[2].dataSync() as Float32Array, movingVariance: layer.getWeights()[3].dataSync() as Float32Array,
  };
  tf.dispose([x, w, y, dx, ...Object.values(grads)]);
  layer.weights.forEach((v) => v.dispose());
  return out;
}

describe('BatchNormalization in training on wasm (one op, closed-form gradient) equals tfjs-layers on cpu', () => {
  test.each([
    { shape: [8, 5, 6, 12], momentum: 0.9, epsilon: 1e-3 },
    { shape: [3, 7, 5], momentum: 0.99, epsilon: 1e-5 },
    { shape: [16, 6], momentum: 0.5, epsilon: 1e-3 },
  ])('input $shape, momentum $momentum, epsilon $epsilon', async (c) => {
    const cpu = await trainOnce('cpu', c.shape, c.momentum, c.epsilon);
    registerFastBatchNorm();
    const wasm = await trainOnce('wasm', c.shape, c.momentum, c.epsilon);
    for (const key of Object.keys(cpu) as (keyof Outcome)[]) {
      // (the key is in the comparison so that a failure names the quantity)
      expect({ key, close: relativeError(wasm[key], cpu[key]) < 2e-5 }).toEqual({ key, close: true });
    }
    // The loss weights differ per element, so the x gradient is not zero (the test can fail).
    expect(cpu.dx.some((v) => Math.abs(v) > 1e-3)).toBe(true);
  });

  test('the training path leaves no tensors behind (forward and backward)', async () => {
    await useBackend('wasm');
    registerFastBatchNorm();
    const layer = tf.layers.batchNormalization({});
    layer.build([4, 3, 3, 8]);
    const x = tf.randomNormal([4, 3, 3, 8]);
    const vars = layer.trainableWeights.map((v) => v.read() as tf.Variable);
    const step = () => {
      const { value, grads } = tf.variableGrads(() => tf.sum(tf.square(layer.apply(x, { training: true }) as tf.Tensor)) as tf.Scalar, vars);
      tf.dispose([value, ...Object.values(grads)]);
    };
    step();
    await expectNoLeak(step);
    tf.dispose(x);
    layer.weights.forEach((v) => v.dispose());
  });
});
