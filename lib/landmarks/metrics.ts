/**
 * Landmark metrics. PCK@alpha: the fraction of landmarks predicted within alpha x a reference size
 * (e.g. the object's box side) of the truth. NME: mean Euclidean error divided by a normaliser
 * (e.g. inter-ocular distance or box diagonal), averaged over images.
 */
import { Point } from './heatmap';

const dist = (a: Point, b: Point) => Math.hypot(a[0] - b[0], a[1] - b[1]);

/** PCK@alpha over images: predictions[n][k], truth[n][k] (null = not visible, skipped), one reference size per image. */
export function pck(predictions: Point[][], truth: (Point | null)[][], referenceSizes: number[], alpha = 0.1): number {
  let hit = 0, total = 0;
  truth.forEach((points, n) => points.forEach((t, k) => {
    if (!t) return;
    total++;
    if (dist(predictions[n][k], t) <= alpha * referenceSizes[n]) hit++;
  }));
  return total ? hit / total : 0;
}

/** Normalised mean error: mean over images of (mean landmark error / normaliser of that image). */
export function nme(predictions: Point[][], truth: (Point | null)[][], normalisers: number[]): number {
  const perImage = truth.map((points, n) => {
    const errs = points.flatMap((t, k) => (t ? [dist(predictions[n][k], t)] : []));
    return errs.length ? errs.reduce((a, b) => a + b, 0) / errs.length / normalisers[n] : 0;
  });
  return perImage.reduce((a, b) => a + b, 0) / Math.max(1, perImage.length);
}
