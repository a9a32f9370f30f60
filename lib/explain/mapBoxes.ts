/**
 * From a map to a box: weakly supervised localisation (Zhou et al. 2016, "Learning Deep Features for
 * Discriminative Localization", section 3.1): keep the pixels whose value is at least `threshold`
 * (the paper: 20%) of the map's maximum, take the largest 4-connected region, and return its tight
 * box. The classifier never saw a box; lesson 01 measures the IoU of these boxes with the truth.
 * Boxes are in the kit's frame (lib/ops/boxes.ts).
 */
import * as tf from '@tensorflow/tfjs';
import { Box, boxOfMask } from '../ops/boxes';

/** The box of the largest 4-connected region of `map` (H*W, row-major) at >= threshold x max; null for a map with no positive value. */
export function boxFromMap(map: ArrayLike<number>, height: number, width: number, threshold = 0.2): Box | null {
  let max = -Infinity;
  for (let i = 0; i < height * width; i++) max = Math.max(max, map[i]);
  if (!(max > 0)) return null;
  const on = new Uint8Array(height * width);
  for (let i = 0; i < on.length; i++) on[i] = map[i] >= threshold * max ? 1 : 0;
  const label = new Int32Array(on.length).fill(-1);
  let best: number[] = [];
  const stack: number[] = [];
  for (let start = 0; start < on.length; start++) {
    if (!on[start] || label[start] >= 0) continue;
    const region: number[] = [];
    label[start] = start;
    stack.push(start);
    while (stack.length) {
      const p = stack.pop()!;
      region.push(p);
      const x = p % width, y = (p - x) / width;
      for (const [nx, ny] of [[x - 1, y], [x + 1, y], [x, y - 1], [x, y + 1]]) {
        if (nx < 0 || ny < 0 || nx >= width || ny >= height) continue;
        const q = ny * width + nx;
        if (on[q] && label[q] < 0) { label[q] = start; stack.push(q); }
      }
    }
    if (region.length > best.length) best = region;
  }
  const mask = new Uint8Array(on.length);
  for (const p of best) mask[p] = 1;
  return boxOfMask(mask, width);
}

/** `boxFromMap` for each map of a batch [N, H, W] (e.g. CAM or Grad-CAM upsampled to the image). */
export function boxesFromMaps(maps: tf.Tensor, threshold = 0.2): (Box | null)[] {
  const [n, h, w] = maps.shape as number[];
  const data = maps.dataSync();
  return Array.from({ length: n }, (_, k) => boxFromMap(data.subarray(k * h * w, (k + 1) * h * w), h, w, threshold));
}
