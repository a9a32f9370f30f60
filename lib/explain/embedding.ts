/**
 * The network's view of similarity (lecture: model understanding): nearest neighbours in the
 * penultimate feature space, and a 2-D embedding of those features (UMAP, via umap-js).
 */
import * as tf from '@tensorflow/tfjs';
import { UMAP } from 'umap-js';
import { runLayers } from './graph';
import { Random } from '../runtime/random';

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
