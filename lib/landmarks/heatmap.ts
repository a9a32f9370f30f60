/**
 * Landmarks as heatmaps (lecture: landmark localization). A landmark at (x, y) becomes a 2-D bump
 * on a heatmap at output stride s; the network predicts heatmaps, a decoder turns them back into
 * coordinates.
 *
 * Conventions: coordinates are in the kit's frame (the centre of pixel column i is x = i;
 * lib/ops/boxes.ts); a heatmap at stride s has heatmap coordinate u = x / s, kept as a float
 * (encoding with truncated integer centres makes sub-pixel recovery impossible). So heatmap cell u
 * stands for image pixel s*u, the first pixel of the block it covers, not the block's centre
 * s*u + (s - 1) / 2 (CenterNet's grid, lib/landmarks/centernet.ts, uses the centre): a constant
 * shift that the network learns and the decoders undo (predictHeatmapLandmarks multiplies by s),
 * and the mapping assignment 02 grades against. Heatmaps are [H, W, K] (one channel per landmark),
 * peak value 1 for the Gaussian (not normalised), as in the stacked-hourglass reference.
 */
import * as tf from '@tensorflow/tfjs';
import type { Point } from '../ops/boxes';

export type { Point };

export interface HeatmapOptions {
  /** Heatmap height and width. */
  size: [number, number];
  /** Image pixels per heatmap pixel (default 1). */
  stride?: number;
  /** Spread in heatmap pixels (default 1, the hourglass value at 64 px). */
  sigma?: number;
  /** 'gaussian' exp(-d^2 / 2 sigma^2) (default) or 'cauchy' sigma / (d^2 + sigma^2)^1.5 (the seed's alternative). */
  kind?: 'gaussian' | 'cauchy';
}

/** The value of the bump centred at (cx, cy) at distance^2 d2, in heatmap pixels. */
function bump(d2: number, sigma: number, kind: 'gaussian' | 'cauchy'): number {
  return kind === 'gaussian' ? Math.exp(-d2 / (2 * sigma * sigma)) : sigma / Math.pow(d2 + sigma * sigma, 1.5);
}

/**
 * Heatmaps [H, W, K] for K landmarks given in image coordinates. A landmark that is null (not
 * visible) gets an all-zero channel.
 */
export function encodeHeatmaps(points: (Point | null)[], options: HeatmapOptions): Float32Array {
  const [h, w] = options.size;
  const stride = options.stride ?? 1;
  const sigma = options.sigma ?? 1;
  const kind = options.kind ?? 'gaussian';
  const k = points.length;
  const out = new Float32Array(h * w * k);
  points.forEach((p, c) => {
    if (!p) return;
    const [cx, cy] = [p[0] / stride, p[1] / stride];
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) out[(y * w + x) * k + c] = bump((x - cx) ** 2 + (y - cy) ** 2, sigma, kind);
    }
  });
  return out;
}

/** A batch of heatmaps as a tensor [N, H, W, K] (caller disposes). */
export function heatmapTensor(batch: (Point | null)[][], options: HeatmapOptions): tf.Tensor4D {
  const [h, w] = options.size;
  const k = batch[0]?.length ?? 0;
  const data = new Float32Array(batch.length * h * w * k);
  batch.forEach((points, n) => data.set(encodeHeatmaps(points, options), n * h * w * k));
  return tf.tensor4d(data, [batch.length, h, w, k]);
}
