/**
 * The network's view of similarity (lecture: model understanding): nearest neighbours in the
 * penultimate feature space, and a 2-D embedding of those features (UMAP, via umap-js; t-SNE in
 * tsne.ts), with two numbers to compare maps: neighbourhoods kept, and which classes sit together.
 */
import * as tf from '@tensorflow/tfjs';
import { UMAP } from 'umap-js';
import { runLayers } from './graph';
import { Random } from '../runtime/random';
import { squaredDistances } from './tsne';

/** Features of `layerName` (default 'gap', the penultimate layer of the kit's classifiers) as [N, D]. */
export function features(model: tf.LayersModel, x: tf.Tensor, layerName = 'gap', batchSize = 256): tf.Tensor2D {
  const parts: tf.Tensor[] = [];
  for (let start = 0; start < x.shape[0]; start += batchSize) {
    const size = Math.min(batchSize, x.shape[0] - start);
    parts.push(tf.tidy(() => {
      const f = runLayers(model, x.slice(start, size), { capture: [layerName] }).captured[layerName];
      return f.reshape([size, -1]);
    }));
  }
  const out = tf.concat(parts) as tf.Tensor2D;
  tf.dispose(parts);
  return out;
}

/**
 * For each query row, the indices of the `k` nearest gallery rows (most similar first) by cosine
 * similarity or Euclidean distance, with the scores (similarity, or distance).
 */
export function nearestNeighbours(queries: tf.Tensor2D, gallery: tf.Tensor2D, k = 5, metric: 'cosine' | 'l2' = 'cosine'): { indices: number[][]; scores: number[][] } {
  const scores = tf.tidy(() => {
    if (metric === 'cosine') {
      const q = queries.div(queries.norm('euclidean', 1, true).add(1e-12));
      const g = gallery.div(gallery.norm('euclidean', 1, true).add(1e-12));
      return tf.matMul(q, g, false, true);
    }
    // -||q - g||^2 so that larger is nearer; the distance is reported.
    const qq = queries.square().sum(1, true);
    const gg = gallery.square().sum(1).expandDims(0);
    return tf.matMul(queries, gallery, false, true).mul(2).sub(qq).sub(gg);
  });
  const { values, indices } = tf.topk(scores, Math.min(k, gallery.shape[0]));
  const idx = (indices.arraySync() as number[][]);
  const val = (values.arraySync() as number[][]).map((row) => row.map((v) => (metric === 'l2' ? Math.sqrt(Math.max(0, -v)) : v)));
  tf.dispose([scores, values, indices]);
  return { indices: idx, scores: val };
}

/** A 2-D UMAP embedding of the rows of `data` ([N, D]), deterministic by seed. */
export function embed2d(data: tf.Tensor2D | number[][], options: { seed?: number; neighbours?: number } = {}): [number, number][] {
  const rows = Array.isArray(data) ? data : (data.arraySync() as number[][]);
  const rng = new Random(options.seed ?? 0);
  const umap = new UMAP({ nComponents: 2, nNeighbors: Math.min(options.neighbours ?? 15, rows.length - 1), random: () => rng.next() });
  return umap.fit(rows) as [number, number][];
}

/** The indices of the `k` nearest rows to each row (Euclidean, itself excluded). */
function knn(rows: ArrayLike<number>[], k: number): number[][] {
  const d = squaredDistances(rows);
  const n = rows.length;
  return Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => j).filter((j) => j !== i).sort((a, b) => d[i * n + a] - d[i * n + b]).slice(0, k));
}

/**
 * How much of each point's neighbourhood a 2-D map keeps: the mean over points of the fraction of its
 * `k` nearest neighbours in `high` ([N][D]) that are also among its `k` nearest in `low` ([N][2]).
 * 1 = every neighbourhood kept; k / (N - 1) is what a random map keeps.
 */
export function neighbourPreservation(high: ArrayLike<number>[], low: ArrayLike<number>[], k = 10): number {
  const a = knn(high, k), b = knn(low, k);
  return a.reduce((s, row, i) => s + row.filter((j) => b[i].includes(j)).length / k, 0) / a.length;
}

/**
 * Which classes a map (or a feature space) puts next to each other: for each class, the other classes
 * ordered by the distance between class centroids, in units of the mean distance of a point to its
 * own class centroid. `points` [N][D], `labels` [N] in 0..numClasses-1 (every class present).
 */
export function classNeighbours(points: ArrayLike<number>[], labels: ArrayLike<number>, numClasses: number): { nearest: number[][]; distance: number[][] } {
  const dim = points[0].length;
  const centroids = Array.from({ length: numClasses }, () => new Float64Array(dim));
  const counts = new Array(numClasses).fill(0);
  points.forEach((p, i) => { counts[labels[i]]++; for (let d = 0; d < dim; d++) centroids[labels[i]][d] += p[d]; });
  centroids.forEach((c, k) => { if (counts[k] === 0) throw new Error(`classNeighbours: class ${k} has no point`); for (let d = 0; d < dim; d++) c[d] /= counts[k]; });
  const dist = (a: ArrayLike<number>, b: ArrayLike<number>) => { let s = 0; for (let d = 0; d < dim; d++) s += (a[d] - b[d]) ** 2; return Math.sqrt(s); };
  const spread = points.reduce((s, p, i) => s + dist(p, centroids[labels[i]]), 0) / points.length;
  const nearest: number[][] = [], distance: number[][] = [];
  for (let k = 0; k < numClasses; k++) {
    const others = Array.from({ length: numClasses }, (_, j) => j).filter((j) => j !== k).sort((a, b) => dist(centroids[k], centroids[a]) - dist(centroids[k], centroids[b]));
    nearest.push(others);
    distance.push(others.map((j) => dist(centroids[k], centroids[j]) / spread));
  }
  return { nearest, distance };
}
