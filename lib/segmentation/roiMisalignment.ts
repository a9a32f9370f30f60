/**
 * Where RoIPool and RoIAlign read, measured without training. A box (kit frame) at feature stride s:
 *
 *  - RoIPool (torchvision) rounds the box's pixel-edge coordinates divided by s to integers and reads
 *    the cells x1..x2 inclusive (the "+1"): the image region [x1 s, (x2 + 1) s) in pixel edges. Off by
 *    up to s/2 at each edge from the rounding, plus one whole cell on the right and bottom.
 *  - RoIAlign with `aligned` samples the box itself (its samples sit at the box's own fractional
 *    positions); without `aligned` (torchvision's default) every sample is half a cell, s/2 pixels,
 *    right of and below where it should be.
 *
 * `readRegion` gives that region; `roundTripMaskIou` puts a ground-truth mask itself through each
 * operator at stride s (the mask average-pooled to the feature grid, read into 28 x 28, thresholded)
 * and compares it with the mask target of the box: how much of the object's shape each operator can
 * hand to a mask head.
 */
import * as tf from '@tensorflow/tfjs';
import { Box, boxFromPixelEdges, boxToPixelEdges, iou } from '../ops/boxes';
import { roiAlign } from '../ops/roiAlign';
import { roiPool, roundHalfAwayFromZero } from '../ops/roiPool';
import { maskTargets, maskIou } from './masks';

export type RoiReader = 'pool' | 'align' | 'align, not aligned';

/** The image region (kit frame) whose features the operator reads for `box` at `stride`. */
export function readRegion(box: Box, stride: number, reader: RoiReader): Box {
  const e = boxToPixelEdges(box);
  if (reader === 'pool') {
    const [x1, y1, x2, y2] = e.map((v) => roundHalfAwayFromZero(v / stride));
    return boxFromPixelEdges([x1 * stride, y1 * stride, Math.max(x2, x1) * stride + stride, Math.max(y2, y1) * stride + stride]);
  }
  if (reader === 'align') return box;
  const shift = stride / 2;
  const w = Math.max(e[2] - e[0], stride), h = Math.max(e[3] - e[1], stride);
  return boxFromPixelEdges([e[0] + shift, e[1] + shift, e[0] + shift + w, e[1] + shift + h]);
}

/** Mean IoU of the read region with the box, and mean absolute edge offset in pixels, over `boxes`. */
export function misalignment(boxes: Box[], stride: number, reader: RoiReader): { iou: number; edgeOffset: number } {
  let iouSum = 0, offset = 0;
  for (const b of boxes) {
    const r = readRegion(b, stride, reader);
    iouSum += iou(r, b);
    offset += (Math.abs(r[0] - b[0]) + Math.abs(r[1] - b[1]) + Math.abs(r[2] - b[2]) + Math.abs(r[3] - b[3])) / 4;
  }
  return { iou: iouSum / Math.max(1, boxes.length), edgeOffset: offset / Math.max(1, boxes.length) };
}

/**
 * A {0, 1} mask (H x W) as a feature map at `stride` (the mean of each s x s block, [1, H/s, W/s, 1]),
 * read back into a 28 x 28 grid over `box` by the operator (RoIAlign: sampling ratio 2), thresholded at
 * 0.5. Returns the 28 x 28 result and its IoU with the box's mask target (`maskTargets`).
 */
export function roundTripMaskIou(mask: ArrayLike<number>, box: Box, size: number, stride: number, reader: RoiReader): { read: Float32Array; target: Float32Array; iou: number } {
  const m = 28;
  const read = tf.tidy(() => {
    const features = tf.avgPool(tf.tensor4d(Float32Array.from(mask), [1, size, size, 1]), stride, stride, 'valid') as tf.Tensor4D;
    const edges = [boxToPixelEdges(box)];
    const out = reader === 'pool'
      ? roiPool(features, edges, [0], { outputSize: m, spatialScale: 1 / stride })
      : roiAlign(features, edges, [0], { outputSize: m, spatialScale: 1 / stride, samplingRatio: 2, aligned: reader === 'align' });
    return out.reshape([m * m]);
  });
  const values = read.dataSync() as Float32Array;
  read.dispose();
  const target = maskTargets([mask], [box], size, size, m);
  return { read: Float32Array.from(values), target, iou: maskIou(values.map((v) => (v >= 0.5 ? 1 : 0)), target) };
}
