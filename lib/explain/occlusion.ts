/**
 * Occlusion (Zeiler & Fergus 2014; captum's Occlusion): slide a patch of the baseline value over the
 * image, record how much the target's raw score drops; each pixel gets the mean drop over the
 * windows that cover it. All channels are occluded together. Returns [N, H, W].
 */
import * as tf from '@tensorflow/tfjs';
import { logits, resolveTargets, Target } from './core';

export interface OcclusionOptions {
  target?: Target;
  /** Patch side in pixels (default 4). */
  window?: number;
  /** Step between patches (default 2). */
  stride?: number;
  /** Value the patch is filled with (default 0). */
  baseline?: number;
  /** Occluded images per forward pass (default 64). */
  batchSize?: number;
}

export function occlusion(model: tf.LayersModel, x: tf.Tensor, options: OcclusionOptions = {}): tf.Tensor {
  const [n, h, w, c] = x.shape as [number, number, number, number];
  const win = options.window ?? 4;
  const stride = options.stride ?? 2;
  const baseline = options.baseline ?? 0;
  const batch = options.batchSize ?? 64;
  const targets = tf.tidy(() => resolveTargets(logits(model, x), options.target));
  const base = tf.tidy(() => logits(model, x).dataSync());
  const classes = base.length / n;
  const ys: number[] = [];
  for (let y = 0; y + win <= h; y += stride) ys.push(y);
  if (ys[ys.length - 1] + win < h) ys.push(h - win);
  const xs: number[] = [];
  for (let v = 0; v + win <= w; v += stride) xs.push(v);
  if (xs[xs.length - 1] + win < w) xs.push(w - win);
  const windows = ys.flatMap((y) => xs.map((v) => [y, v] as [number, number]));
  const pixels = x.dataSync();
  const per = h * w * c;
  const sum = new Float32Array(n * h * w);
  const count = new Float32Array(n * h * w);
  for (let img = 0; img < n; img++) {
    const original = pixels.subarray(img * per, (img + 1) * per);
    const baseScore = base[img * classes + targets[img]];
    for (let start = 0; start < windows.length; start += batch) {
      const chunk = windows.slice(start, start + batch);
      const data = new Float32Array(chunk.length * per);
      chunk.forEach(([y0, x0], k) => {
        data.set(original, k * per);
        for (let y = y0; y < y0 + win; y++) for (let v = x0; v < x0 + win; v++) for (let ch = 0; ch < c; ch++) data[k * per + (y * w + v) * c + ch] = baseline;
      });
      const scores = tf.tidy(() => logits(model, tf.tensor4d(data, [chunk.length, h, w, c])).dataSync());
      chunk.forEach(([y0, x0], k) => {
        const drop = baseScore - scores[k * classes + targets[img]];
        for (let y = y0; y < y0 + win; y++) for (let v = x0; v < x0 + win; v++) { sum[img * h * w + y * w + v] += drop; count[img * h * w + y * w + v] += 1; }
      });
    }
  }
  for (let i = 0; i < sum.length; i++) sum[i] = count[i] > 0 ? sum[i] / count[i] : 0;
  return tf.tensor3d(sum, [n, h, w]);
}
