/** Model-understanding tools: receptive fields, maximally activating patches, class visualization, neighbours, embedding. */
import * as tf from '@tensorflow/tfjs';
import { useBackend, expectNoLeak } from './helpers';
import { receptiveField, maxActivatingPatches, measuredReceptiveField } from '../lib/explain/receptiveField';
import { runLayers } from '../lib/explain/graph';
import { classVisualization, roll } from '../lib/explain/classVisualization';
import { features, nearestNeighbours, embed2d } from '../lib/explain/embedding';
import { logits } from '../lib/explain/core';
import { buildVggClassifier } from '../lib/nn/vgg';

beforeAll(() => useBackend('wasm'));

/** A chain whose every weight is positive and activations linear: each output unit depends on every pixel of its field. */
function positiveChain(): tf.LayersModel {
  const ones = tf.initializers.constant({ value: 1 });
  return tf.sequential({ layers: [
    tf.layers.conv2d({ inputShape: [24, 24, 1], filters: 1, kernelSize: 3, padding: 'same', kernelInitializer: ones, name: 'c1' }),
    tf.layers.conv2d({ filters: 1, kernelSize: 3, strides: 2, padding: 'same', kernelInitializer: ones, name: 'c2' }),
    tf.layers.averagePooling2d({ poolSize: 2, name: 'p1' }),
    tf.layers.conv2d({ filters: 1, kernelSize: [3, 1], padding: 'valid', dilationRate: 2, kernelInitializer: ones, name: 'c3' }),
  ] });
}

test('the computed receptive field is exactly the set of input pixels that move a unit (probed with one-pixel images)', () => {
  const model = positiveChain();
  // The chain is linear with positive weights and zero biases: a unit's response to a one-pixel image is
  // non-zero exactly when that pixel is in its receptive field. 576 one-pixel images, one forward pass.
  const basis = tf.oneHot(tf.range(0, 576, 1, 'int32'), 576).toFloat().reshape([576, 24, 24, 1]);
  for (const layer of ['c1', 'c2', 'p1', 'c3']) {
    const rf = receptiveField(model, layer);
    const out = tf.tidy(() => runLayers(model, basis, { capture: [layer] }).captured[layer]);
    const [, oh, ow] = out.shape as number[];
    const [oy, ox] = [Math.floor(oh / 2), Math.floor(ow / 2)];
    const response = tf.tidy(() => out.slice([0, oy, ox, 0], [576, 1, 1, 1]).reshape([576]).dataSync());
    out.dispose();
    let [y0, x0, y1, x1] = [Infinity, Infinity, -Infinity, -Infinity];
    response.forEach((v, p) => { if (v !== 0) { const yy = Math.floor(p / 24); const xx = p % 24; y0 = Math.min(y0, yy); x0 = Math.min(x0, xx); y1 = Math.max(y1, yy); x1 = Math.max(x1, xx); } });
    const start = [rf.offset[0] + oy * rf.stride[0], rf.offset[1] + ox * rf.stride[1]];
    const end = [start[0] + rf.size[0] - 1, start[1] + rf.size[1] - 1];
    // The field may hang over the image edge (padding): compare with it clipped to the 24x24 image.
    expect([y0, x0, y1, x1]).toEqual([Math.max(0, start[0]), Math.max(0, start[1]), Math.min(23, end[0]), Math.min(23, end[1])]);
  }
  basis.dispose();
  // By hand: 3x3 same (3, jump 1, offset -1); 3x3 stride 2 same on 24 px, pad 0 before (5, jump 2);
  // pool 2 (7, jump 4); 3x1 dilation 2 valid (7 + 4*4 = 23 tall, 7 wide).
  expect(receptiveField(model, 'c3')).toEqual({ size: [23, 7], stride: [4, 4], offset: [-1, -1] });
});

test('the receptive field measured by the gradient equals the computed one on a chain, and grows through a skip-and-upsample graph', async () => {
  const model = positiveChain();   // (tfjs has no gradient for its dilated c3: measured up to p1)
  const x = tf.randomUniform([2, 24, 24, 1], 0.1, 1, 'float32', 4) as tf.Tensor4D;
  await expectNoLeak(() => measuredReceptiveField(model, x, 'p1'));
  for (const layer of ['c1', 'c2', 'p1']) {
    const rf = receptiveField(model, layer);
    const m = measuredReceptiveField(model, x, layer);
    // the centre unit's field lies inside the image for these layers
    expect(m.size).toEqual(rf.size);
    expect(m.effectiveRadius).toBeGreaterThan(0);
    expect(m.effectiveRadius).toBeLessThanOrEqual(Math.hypot(rf.size[0], rf.size[1]) / 2 + 1);
  }
  // A branch that pools by 4 and upsamples back, added to a 3x3 path: the field is the union of both paths.
  const input = tf.input({ shape: [16, 16, 1] });
  const ones = tf.initializers.constant({ value: 1 });
  const a = tf.layers.conv2d({ filters: 1, kernelSize: 3, padding: 'same', kernelInitializer: ones, name: 'a' }).apply(input) as tf.SymbolicTensor;
  const down = tf.layers.averagePooling2d({ poolSize: 4, name: 'down' }).apply(input) as tf.SymbolicTensor;
  const b = tf.layers.conv2d({ filters: 1, kernelSize: 3, padding: 'same', kernelInitializer: ones, name: 'b' }).apply(down) as tf.SymbolicTensor;
  const up = tf.layers.upSampling2d({ size: [4, 4], name: 'up' }).apply(b) as tf.SymbolicTensor;
  const sum = tf.layers.add({ name: 'sum' }).apply([a, up]) as tf.SymbolicTensor;
  const graph = tf.model({ inputs: input, outputs: sum });
  const y = tf.randomUniform([1, 16, 16, 1], 0.1, 1, 'float32', 5) as tf.Tensor4D;
  expect(measuredReceptiveField(graph, y, 'a').size).toEqual([3, 3]);
  expect(measuredReceptiveField(graph, y, 'sum').size).toEqual([12, 12]);   // 3 cells of 4 pixels
  tf.dispose([x, y]);
});

test('maximally activating patches come sorted, one per image, cropped to the receptive field', () => {
  const model = positiveChain();
  const x = tf.randomUniform([6, 24, 24, 1], 0, 1, 'float32', 3) as tf.Tensor4D;
  const patches = maxActivatingPatches(model, x, 'c2', 0, 4);
  expect(patches).toHaveLength(4);
  expect(new Set(patches.map((p) => p.image)).size).toBe(4);
  for (let i = 1; i < patches.length; i++) expect(patches[i].activation).toBeLessThanOrEqual(patches[i - 1].activation);
  expect([patches[0].crop.height, patches[0].crop.width]).toEqual(receptiveField(model, 'c2').size);
  expect(() => maxActivatingPatches(model, x, 'c2', 3)).toThrow(/1 channels/);
  x.dispose();
});

test('class visualization raises the class score from noise, stays in range, and repeats with its seed', async () => {
  const model = buildVggClassifier({ inputShape: [16, 16, 3], numClasses: 3, filters: [4, 8], seed: 5 });
  const scores: number[] = [];
  await expectNoLeak(() => {
    const img = classVisualization(model, 2, { iterations: 12, seed: 1, onStep: (_s, v) => scores.push(v) });
    const again = classVisualization(model, 2, { iterations: 12, seed: 1 });
    expect(Array.from(img.dataSync())).toEqual(Array.from(again.dataSync()));
    const v = img.dataSync();
    expect(Math.min(...v)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...v)).toBeLessThanOrEqual(1);
    tf.dispose([img, again]);
  });
  expect(scores[scores.length - 1]).toBeGreaterThan(scores[0]);
  const r = roll(tf.tensor4d([1, 2, 3, 4, 5, 6], [1, 2, 3, 1]), 1, 1);
  expect(Array.from(r.dataSync())).toEqual([6, 4, 5, 3, 1, 2]);
});

test('nearest neighbours: an image is its own nearest neighbour; scores are sorted; UMAP gives 2-D points', () => {
  const model = buildVggClassifier({ inputShape: [16, 16, 3], numClasses: 3, filters: [4, 8], seed: 5 });
  const x = tf.randomUniform([20, 16, 16, 3], 0, 1, 'float32', 4);
  const f = features(model, x);
  expect(f.shape).toEqual([20, 8]);
  for (const metric of ['cosine', 'l2'] as const) {
    const { indices, scores } = nearestNeighbours(f.slice(0, 3), f, 4, metric);
    expect(indices.map((row) => row[0])).toEqual([0, 1, 2]);
    for (const row of scores) for (let i = 1; i < row.length; i++) expect(metric === 'cosine' ? row[i] <= row[i - 1] : row[i] >= row[i - 1]).toBe(true);
  }
  const points = embed2d(f, { seed: 1, neighbours: 5 });
  expect(points).toHaveLength(20);
  expect(points[0]).toHaveLength(2);
  expect(embed2d(f, { seed: 1, neighbours: 5 })).toEqual(points);
  tf.dispose([x, f, logits(model, x)]);
});
