/**
 * Lesson 04's models on the wasm backend, tiny and few steps: each loss falls on a fixed batch, the
 * inference paths return one result per image and leave no tensors behind, YolactEdge's key frames
 * equal a full run, and the mask-head experiment trains with either RoI operator.
 */
import * as tf from '@tensorflow/tfjs';
import { useBackend, expectNoLeak } from './helpers';
import { Random } from '../lib/runtime/random';
import { generateScenes, generateSceneVideo } from '../datasets/scenes';
import { imagesTensor } from '../datasets/tensors';
import {
  createMaskRcnn, maskRcnnLoss, maskRcnnVariables, detect, MASK_RCNN_CONFIG, createYolact, yolactLoss, yolactVariables, yolactDetect,
  yolactVideo, YOLACT_CONFIG, createMaskHeadNetwork, maskHeadLoss, maskHeadVariables, evaluateMaskHead, MASK_HEAD_SETUP, sceneBatch,
  SceneBatch, panopticOutputs, panopticMetrics, instanceMetrics,
} from '../lib/segmentation';

beforeAll(async () => { await useBackend('wasm'); });

const data = generateScenes({ count: 4, seed: 21 });

/** The loss on one fixed batch before and after `steps` Adam steps. */
function lossDrop(variables: tf.Variable[], loss: (b: SceneBatch, rng: Random) => { total: tf.Scalar }, steps: number, rate = 3e-3): [number, number] {
  const batch = sceneBatch(data, [0, 1, 2, 3]);
  const optimizer = tf.train.adam(rate);
  const value = () => tf.tidy(() => loss(batch, new Random(0)).total.dataSync()[0]);
  const before = value();
  for (let i = 0; i < steps; i++) tf.dispose(optimizer.minimize(() => loss(batch, new Random(0)).total, true, variables) as tf.Scalar);
  const after = value();
  optimizer.dispose();
  batch.images.dispose();
  return [before, after];
}

test('two-stage model: the loss falls on a fixed batch; detection, panoptic merge and metrics run without leaking tensors', async () => {
  const net = createMaskRcnn(MASK_RCNN_CONFIG, 3);
  const [before, after] = lossDrop(maskRcnnVariables(net), (b, rng) => maskRcnnLoss(net, b, rng), 8);
  expect(after).toBeLessThan(before);
  const x = imagesTensor(data);
  await expectNoLeak(() => {
    const out = detect(net, x, { chunk: 3 });
    expect(out.detections).toHaveLength(4);
    expect(out.semanticLogits[0]).toHaveLength(64 * 64 * 8);
    for (const d of out.detections.flat()) expect(d.mask).toHaveLength(64 * 64);
    const m = panopticMetrics(panopticOutputs(out, data), out.semanticLogits, data);
    expect(Number.isFinite(m.pq.pq) && Number.isFinite(m.semanticMeanIou)).toBe(true);
    expect(instanceMetrics(out.detections, data).ap50).toBeGreaterThanOrEqual(0);
  });
  x.dispose();
  [net.backbone, net.boxHead, net.maskHead].forEach((m) => m.dispose());
}, 300000);

test('YOLACT: the loss falls on a fixed batch; a YolactEdge key frame gives what a full run gives, the frames between do not', async () => {
  const net = createYolact(YOLACT_CONFIG, 3);
  const [before, after] = lossDrop(yolactVariables(net), (b, rng) => yolactLoss(net, b, rng), 8);
  expect(after).toBeLessThan(before);
  const video = generateSceneVideo({ seed: 5, frames: 3 });
  const x = imagesTensor(video);
  await expectNoLeak(() => {
    const full = yolactVideo(net, x, 1), reuse = yolactVideo(net, x, 3);
    expect(reuse.map((f) => f.keyFrame)).toEqual([true, false, false]);
    const boxes = (f: { detections: { box: number[] }[] }) => JSON.stringify(f.detections.map((d) => d.box.map((v) => v.toFixed(3))));
    expect(boxes(reuse[0])).toBe(boxes(full[0]));
    expect(boxes(reuse[2])).not.toBe(boxes(full[2]));
    expect(yolactDetect(net, x).detections).toHaveLength(3);
  });
  x.dispose();
  [net.bottom, net.top, net.head].forEach((m) => m.dispose());
}, 300000);

test.each([['RoIAlign', 'align'], ['RoIPool', 'pool']] as const)('mask-head experiment with %s: the mask loss falls; evaluation leaks nothing', async (_name, op) => {
  const net = createMaskHeadNetwork({ ...MASK_HEAD_SETUP, stride: 8, roiOperator: op }, 4);
  const [before, after] = lossDrop(maskHeadVariables(net), (b, rng) => maskHeadLoss(net, b, rng), 8);
  expect(after).toBeLessThan(before);
  await expectNoLeak(() => {
    const e = evaluateMaskHead(net, data, 3);
    expect(e.meanIou).toBeGreaterThanOrEqual(0);
    expect(e.meanIou).toBeLessThanOrEqual(1);
  });
  net.pyramid.dispose();
  net.maskHead.dispose();
}, 300000);
