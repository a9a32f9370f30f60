/**
 * What a loss network's deep features know, measured without training anything on top: a
 * nearest-class-mean classifier on the features of one layer averaged over positions (one C-vector
 * per image), fitted on one set of texture scenes and tested on another. Lesson 06 compares the
 * trained and the random loss network with it.
 */
import * as tf from '@tensorflow/tfjs';
import type { TextureSceneDataset } from '../../datasets/textures';
import { extractFeatures, FeatureNet } from './perceptualLoss';

/** Per layer of `net` (by name), per image: the features averaged over positions, a C-vector each (one forward pass per batch of 64 for all layers). */
export function pooledFeatures(net: FeatureNet, images: Float32Array, count: number, size: number): Record<string, Float32Array[]> {
  const out: Record<string, Float32Array[]> = Object.fromEntries(net.layers.map((l) => [l, [] as Float32Array[]]));
  const per = size * size * 3;
  for (let i = 0; i < count; i += 64) {
    const n = Math.min(64, count - i);
    const pooled = tf.tidy(() => {
      const f = extractFeatures(net, tf.tensor4d(images.subarray(i * per, (i + n) * per), [n, size, size, 3]));
      return net.layers.map((l) => f[l].mean([1, 2]) as tf.Tensor2D);
    });
    net.layers.forEach((l, j) => {
      const v = pooled[j].dataSync() as Float32Array;
      const c = pooled[j].shape[1];
      for (let k = 0; k < n; k++) out[l].push(Float32Array.from(v.subarray(k * c, (k + 1) * c)));
    });
    tf.dispose(pooled);
  }
  return out;
}

/** Test accuracy of the nearest class mean (Euclidean, on features standardised with the training set's per-channel mean and std). */
function nearestMean(train: Float32Array[], trainLabels: ArrayLike<number>, test: Float32Array[], testLabels: ArrayLike<number>, classes: number): number {
  const c = train[0].length;
  const mean = new Float64Array(c), std = new Float64Array(c);
  for (const f of train) for (let j = 0; j < c; j++) mean[j] += f[j] / train.length;
  for (const f of train) for (let j = 0; j < c; j++) std[j] += (f[j] - mean[j]) ** 2 / train.length;
  for (let j = 0; j < c; j++) std[j] = Math.sqrt(std[j]) + 1e-6;
  const z = (f: Float32Array) => Float64Array.from(f, (v, j) => (v - mean[j]) / std[j]);
  const centroids = Array.from({ length: classes }, () => new Float64Array(c));
  const counts = new Array<number>(classes).fill(0);
  train.forEach((f, i) => { const y = trainLabels[i]; const v = z(f); counts[y]++; for (let j = 0; j < c; j++) centroids[y][j] += v[j]; });
  centroids.forEach((m, y) => { for (let j = 0; j < c; j++) m[j] /= Math.max(1, counts[y]); });
  let correct = 0;
  test.forEach((f, i) => {
    const v = z(f);
    let best = -1, bestD = Infinity;
    centroids.forEach((m, y) => {
      if (counts[y] === 0) return;
      let d = 0;
      for (let j = 0; j < c; j++) d += (v[j] - m[j]) ** 2;
      if (d < bestD) { bestD = d; best = y; }
    });
    if (best === testLabels[i]) correct++;
  });
  return correct / test.length;
}

/**
 * Per layer of `net`: the held-out accuracy of a nearest-class-mean classifier on the position-averaged
 * features (standardised with the training set's per-channel mean and std), fitted on `trainSet` and
 * tested on `testSet`, for the scenes' texture and shape labels. Nothing is trained.
 */
export function nearestMeanAccuracies(net: FeatureNet, trainSet: TextureSceneDataset, testSet: TextureSceneDataset): Record<string, { texture: number; shape: number }> {
  const train = pooledFeatures(net, trainSet.images, trainSet.count, trainSet.height);
  const test = pooledFeatures(net, testSet.images, testSet.count, testSet.height);
  return Object.fromEntries(net.layers.map((l) => [l, {
    texture: nearestMean(train[l], trainSet.labels, test[l], testSet.labels, trainSet.classNames.length),
    shape: nearestMean(train[l], trainSet.shapeLabels, test[l], testSet.shapeLabels, trainSet.shapeNames.length),
  }]));
}
