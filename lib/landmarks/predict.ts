/**
 * From a trained landmark model to coordinates in image pixels (the kit's frame, lib/ops/boxes.ts), for both
 * heads of the lesson: heatmaps (decoded by lib/landmarks/decoders.ts, then scaled by the stride)
 * and coordinate regression (outputs are x / W and y / H). Batched, no tensors kept.
 */
import * as tf from '@tensorflow/tfjs';
import { Point } from './heatmap';
import { decodeHeatmaps, Decoder } from './decoders';
import { spatialSoftmax } from './heatmapLoss';

function batches(n: number, size: number): [number, number][] {
  const out: [number, number][] = [];
  for (let s = 0; s < n; s += size) out.push([s, Math.min(size, n - s)]);
  return out;
}

/**
 * Landmarks from the heatmaps of the last (or the given) stack. `activation: 'softmax'` turns each
 * channel's logits into a distribution over cells first (models trained with the spatial
 * cross-entropy); DARK then reads the log-probabilities, which are the logits up to a constant.
 */
export function predictHeatmapLandmarks(model: tf.LayersModel, x: tf.Tensor4D, options: { stride: number; decoder?: Decoder; stack?: number; batchSize?: number; activation?: 'none' | 'softmax' }): Point[][] {
  const out: Point[][] = [];
  for (const [start, size] of batches(x.shape[0], options.batchSize ?? 64)) {
    const data = tf.tidy(() => {
      const outputs = model.predict(x.slice([start, 0, 0, 0], [size, -1, -1, -1]), { batchSize: size }) as tf.Tensor | tf.Tensor[];
      const list = Array.isArray(outputs) ? outputs : [outputs];
      const o = list[options.stack ?? list.length - 1];
      return options.activation === 'softmax' ? spatialSoftmax(o as tf.Tensor4D) : o;
    });
    const [, h, w, k] = data.shape as number[];
    const values = data.dataSync();
    data.dispose();
    for (let i = 0; i < size; i++) {
      const one = values.subarray(i * h * w * k, (i + 1) * h * w * k);
      out.push(decodeHeatmaps(one, [h, w], k, options.decoder ?? 'dark').map(([u, v]): Point => [u * options.stride, v * options.stride]));
    }
  }
  return out;
}

/** Landmarks from a regression model whose outputs are (x / W, y / H) per landmark. */
export function predictRegressionLandmarks(model: tf.LayersModel, x: tf.Tensor4D, batchSize = 64): Point[][] {
  const [, h, w] = x.shape;
  const out: Point[][] = [];
  for (const [start, size] of batches(x.shape[0], batchSize)) {
    // Read the values outside tidy: tidy would walk every element of a returned typed array.
    const pred = tf.tidy(() => model.predict(x.slice([start, 0, 0, 0], [size, -1, -1, -1]), { batchSize: size }) as tf.Tensor);
    const values = pred.dataSync();
    pred.dispose();
    const k = values.length / size / 2;
    for (let i = 0; i < size; i++) out.push(Array.from({ length: k }, (_, j): Point => [values[(i * k + j) * 2] * w, values[(i * k + j) * 2 + 1] * h]));
  }
  return out;
}

/** Regression targets [N, 2K]: (x / W, y / H) per landmark. */
export function coordinateTargets(points: Point[][], size: [number, number]): tf.Tensor2D {
  const k = points[0]?.length ?? 0;
  const data = new Float32Array(points.length * 2 * k);
  points.forEach((p, n) => p.forEach(([x, y], j) => { data[(n * k + j) * 2] = x / size[1]; data[(n * k + j) * 2 + 1] = y / size[0]; }));
  return tf.tensor2d(data, [points.length, 2 * k]);
}
