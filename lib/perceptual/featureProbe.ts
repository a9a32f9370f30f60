/**
 * What a loss network's deep features know, measured without training anything on top: a
 * nearest-class-mean classifier on the features of one layer averaged over positions (one C-vector
 * per image), fitted on one set of texture scenes and tested on another. Lesson 06 compares the
 * trained and the random loss network with it.
 */
import * as tf from '@tensorflow/tfjs';
import type { TextureSceneDataset } from '../../datasets/textures';
import { extractFeatures, FeatureNet } from './perceptualLoss';

/** Per image, the features at `layer` averaged over positions: [N, C] (in batches of 64). */
export function pooledFeatures(net: FeatureNet, images: Float32Array, count: number, size: number, layer: string): Float32Array[] {
  const out: Float32Array[] = [];
  const per = size * size * 3;
  for (let i = 0; i < count; i += 64) {
    const n = Math.min(64, count - i);
    const pooled = tf.tidy(() => extractFeatures(net, tf.tensor4d(images.subarray(i * per, (i + n) * per), [n, size, size, 3]))[layer].mean([1, 2]));
    const v = pooled.dataSync() as Float32Array;
    const c = pooled.shape[1] as number;
    for (let k = 0; k < n; k++) out.push(Float32Array.from(v.subarray(k * c, (k + 1) * c)));
    pooled.dispose();
  }
  return out;
}

/**
 * Test accuracy of the nearest class mean (Euclidean, on features standardised with the training
 * set's per-channel mean and std) at `layer`, for the scenes' `shape` or `texture` labels.
 */
export function nearestMeanAccuracy(net: FeatureNet, layer: string, trainSet: TextureSceneDataset, testSet: TextureSceneDataset, label: 'shape' | 'texture'): number {
  const labels = (d: TextureSceneDataset) => (label === 'shape' ? d.shapeLabels : d.labels);
  const classes = label === 'shape' ? trainSet.shapeNames.length : trainSet.classNames.length;
  const train = pooledFeatures(net, trainSet.images, trainSet.count, trainSet.height, layer);
  const test = pooledFeatures(net, testSet.images, testSet.count, testSet.height, layer);
  const c = train[0].length;
  const mean = new Float64Array(c), std = new Float64Array(c);
  for (const f of train) for (let j = 0; j < c; j++) mean[j] += f[j] / train.length;
  for (const f of train) for (let j = 0; j < c; j++) std[j] += (f[j] - mean[j]) ** 2 / train.length;
  for (let j = 0; j < c; j++) std[j] = Math.sqrt(std[j]) + 1e-6;
  const z = (f: Float32Array) => Float64Array.from(f, (v, j) => (v - mean[j]) / std[j]);
  const centroids = Array.from({ length: classes }, () => new Float64Array(c));
  const counts = new Array<number>(classes).fill(0);
  train.forEach((f, i) => { const y = labels(trainSet)[i]; const v = z(f); counts[y]++; for (let j = 0; j < c; j++) centroids[y][j] += v[j]; });
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
    if (best === labels(testSet)[i]) correct++;
  });
  return correct / test.length;
}
