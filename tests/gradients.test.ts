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

test('tf.fused.conv2d under a gradient tape: same values and gradients, and no input gradient when none is asked for', async () => {
  registerFastGradients();
  for (const backend of ['cpu', 'wasm'] as const) {
    await useBackend(backend);
    const rng = new Random(9);
    const rand = (shape: number[]) => tf.tensor(Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.uniform(-1, 1)), shape);
    const x = rand([2, 6, 7, 3]) as tf.Tensor4D;
    const filter = rand([3, 3, 3, 4]) as tf.Tensor4D;
    const bias = rand([4]) as tf.Tensor1D;
    const w = rand([2, 3, 4, 4]);
    const fused = (xi: tf.Tensor4D, f: tf.Tensor4D, b: tf.Tensor1D) => tf.fused.conv2d({ x: xi, filter: f, strides: 2, pad: 'same', bias: b });
    const loss = (xi: tf.Tensor4D, f: tf.Tensor4D, b: tf.Tensor1D) => tf.sum(tf.mul(w, fused(xi, f, b))) as tf.Scalar;
    // Values: the fused kernel without a tape, the unfused ops with one.
    const plain = fused(x, filter, bias);
    const taped = tf.grad((f: tf.Tensor) => { const y = fused(x, f as tf.Tensor4D, bias); expect(relativeError(y.dataSync(), plain.dataSync())).toBeLessThan(1e-6); return tf.sum(y); })(filter);
    // Gradients: d/dfilter, d/dbias and d/dx of sum(w * y) against central differences of the loss.
    const [gx, gf, gb] = tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => loss(a as tf.Tensor4D, b as tf.Tensor4D, c as tf.Tensor1D))([x, filter, bias]);
    const numeric = (t: tf.Tensor, i: number, set: (u: tf.Tensor) => tf.Scalar) => {
      const v = t.dataSync().slice();
      const h = 1e-2;
      v[i] += h; const up = set(tf.tensor(v, t.shape)).dataSync()[0];
      v[i] -= 2 * h; const down = set(tf.tensor(v, t.shape)).dataSync()[0];
      return (up - down) / (2 * h);
    };
    for (const i of [0, 17, 50]) {
      expect(gx.dataSync()[i]).toBeCloseTo(numeric(x, i, (u) => loss(u as tf.Tensor4D, filter, bias)), 2);
      expect(gf.dataSync()[i % gf.size]).toBeCloseTo(numeric(filter, i % gf.size, (u) => loss(x, u as tf.Tensor4D, bias)), 2);
    }
    expect(gb.dataSync()[1]).toBeCloseTo(numeric(bias, 1, (u) => loss(x, filter, u as tf.Tensor1D)), 2);
    // Only the filter's gradient asked for: no Conv2DBackpropInput runs (a first layer's input needs none).
    const profile = await tf.profile(() => { tf.dispose(tf.grad((f: tf.Tensor) => loss(x, f as tf.Tensor4D, bias))(filter)); });
    expect(profile.kernels.map((k) => k.name)).toContain('Conv2DBackpropFilter');
    expect(profile.kernels.map((k) => k.name)).not.toContain('Conv2DBackpropInput');
    tf.dispose([x, filter, bias, w, plain, taped, gx, gf, gb]);
  }
});
