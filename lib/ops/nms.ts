/**
 * Non-maximum suppression, of boxes and of score maps. Boxes and maps follow the kit's pixel
 * convention (lib/ops/boxes.ts); maps are NHWC.
 */
import * as tf from '@tensorflow/tfjs';
import { Box, iou } from './boxes';

/**
 * Greedy NMS (torchvision.ops.nms): the indices of the boxes kept, by decreasing score; a box is
 * dropped when its IoU with a box already kept is greater than `iouThreshold` (default 0.5).
 * Equal scores keep the earlier box first.
 */
export function nms(boxes: Box[], scores: ArrayLike<number>, iouThreshold = 0.5): number[] {
  if (boxes.length !== scores.length) throw new Error(`nms: ${boxes.length} boxes but ${scores.length} scores`);
  const order = Array.from({ length: boxes.length }, (_, i) => i).sort((a, b) => scores[b] - scores[a] || a - b);
  const kept: number[] = [];
  for (const i of order) {
    if (kept.every((k) => iou(boxes[k], boxes[i]) <= iouThreshold)) kept.push(i);
  }
  return kept;
}

/**
 * Max-pool NMS of score maps [N, H, W, C] (CenterNet's `_nms`): a cell keeps its score when it
 * equals the maximum of its `kernel` x `kernel` neighbourhood (same channel, 'same' padding), and
 * becomes 0 otherwise. Returns a new tensor [N, H, W, C]; caller disposes.
 */
export function maxPoolNms(scores: tf.Tensor4D, kernel = 3): tf.Tensor4D {
  return tf.tidy(() => {
    const max = tf.maxPool(scores, kernel, 1, 'same');
    return scores.mul(scores.equal(max).toFloat()) as tf.Tensor4D;
  });
}
