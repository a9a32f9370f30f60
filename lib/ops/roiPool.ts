/**
 * RoIPool (Girshick 2015, Fast R-CNN), with torchvision.ops.roi_pool's semantics
 * (csrc/ops/cpu/roi_pool_kernel.cpp): the operator whose integer coordinates RoIAlign replaced.
 *
 * features [N, H, W, C] (NHWC); boxes [K, 4] as (x1, y1, x2, y2) in image coordinates in torchvision's
 * convention (pixel edges, as for lib/ops/roiAlign.ts); boxIndex [K]: the image of each box.
 * Output [K, outH, outW, C].
 *
 * For box k: x1, y1, x2, y2 are scaled by `spatialScale` and ROUNDED to integers (half away from zero,
 * as C's round), the RoI spans roi_w = max(x2 - x1 + 1, 1) columns (the "+1": both ends inclusive) and
 * roi_h rows. Bin (ph, pw) covers rows floor(ph * roi_h / outH) .. ceil((ph + 1) * roi_h / outH) - 1
 * (offset by y1, clipped to the map), likewise columns, and outputs the maximum over it per channel;
 * a bin that is empty after clipping outputs 0. The gradient goes to the first maximum of each bin
 * (torchvision's argmax), nothing to an empty bin.
 */
import * as tf from '@tensorflow/tfjs';
import { flatBoxes, boxImageIndices, sizeOf } from './roiAlign';

export interface RoiPoolOptions {
  /** [outH, outW] (a number means square). */
  outputSize: number | [number, number];
  /** Multiplies box coordinates: 1 / stride of the feature map (default 1). */
  spatialScale?: number;
}

/** C's round(): half away from zero (JavaScript's Math.round rounds -2.5 to -2). */
export const roundHalfAwayFromZero = (x: number) => Math.sign(x) * Math.round(Math.abs(x));

/** The bins of every box: [rowStart, rowEnd, colStart, colEnd) per output cell, in feature pixels of its image. */
export function roiPoolBins(shape: [number, number, number, number], boxes: ArrayLike<number> | number[][] | tf.Tensor, boxIndex: ArrayLike<number> | tf.Tensor | undefined, options: RoiPoolOptions): { image: Int32Array; bins: Int32Array; count: number } {
  const [n, height, width] = shape;
  const [outH, outW] = sizeOf(options.outputSize);
  const scale = options.spatialScale ?? 1;
  const b = flatBoxes(boxes);
  const k = b.length / 4;
  const image = boxImageIndices(boxIndex, k, n);
  const bins = new Int32Array(k * outH * outW * 4);
  const clip = (v: number, hi: number) => Math.min(Math.max(v, 0), hi);
  for (let r = 0; r < k; r++) {
    const x1 = roundHalfAwayFromZero(b[r * 4] * scale), y1 = roundHalfAwayFromZero(b[r * 4 + 1] * scale);
    const x2 = roundHalfAwayFromZero(b[r * 4 + 2] * scale), y2 = roundHalfAwayFromZero(b[r * 4 + 3] * scale);
    const roiW = Math.max(x2 - x1 + 1, 1), roiH = Math.max(y2 - y1 + 1, 1);
    // In float32, as torchvision's kernel (T = float): floor/ceil of a bin edge can differ in float64.
    const f = Math.fround;
    const binH = f(roiH / outH), binW = f(roiW / outW);
    for (let ph = 0; ph < outH; ph++) for (let pw = 0; pw < outW; pw++) {
      const o = ((r * outH + ph) * outW + pw) * 4;
      bins[o] = clip(Math.floor(f(ph * binH)) + y1, height);
      bins[o + 1] = clip(Math.ceil(f((ph + 1) * binH)) + y1, height);
      bins[o + 2] = clip(Math.floor(f(pw * binW)) + x1, width);
      bins[o + 3] = clip(Math.ceil(f((pw + 1) * binW)) + x1, width);
    }
  }
  return { image, bins, count: k };
}

/** RoIPool of `boxes` on `features` (see the header). Differentiable with respect to the features. */
export function roiPool(features: tf.Tensor4D, boxes: ArrayLike<number> | number[][] | tf.Tensor, boxIndex: ArrayLike<number> | tf.Tensor | undefined, options: RoiPoolOptions): tf.Tensor4D {
  const [n, h, w, c] = features.shape;
  const [outH, outW] = sizeOf(options.outputSize);
  const { image, bins, count } = roiPoolBins([n, h, w, c], boxes, boxIndex, options);
  const forward = (x: tf.Tensor, save: tf.GradSaveFunc) => {
    const data = x.dataSync();
    const cells = count * outH * outW;
    const out = new Float32Array(cells * c);
    const argmax = new Int32Array(cells * c).fill(-1);
    for (let cell = 0; cell < cells; cell++) {
      const r = Math.floor(cell / (outH * outW));
      const [hs, he, ws, we] = bins.subarray(cell * 4, cell * 4 + 4);
      const empty = he <= hs || we <= ws;
      for (let ch = 0; ch < c; ch++) {
        let best = empty ? 0 : -Infinity;
        let at = -1;
        for (let yy = hs; yy < he; yy++) for (let xx = ws; xx < we; xx++) {
          const i = ((image[r] * h + yy) * w + xx) * c + ch;
          if (data[i] > best) { best = data[i]; at = i; }
        }
        out[cell * c + ch] = best;
        argmax[cell * c + ch] = at;
      }
    }
    const index = tf.tensor1d(argmax, 'int32');
    save([index]);
    return {
      value: tf.tensor4d(out, [count, outH, outW, c]),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        // Each output's gradient goes to its argmax; empty bins (-1) go to an extra slot, dropped.
        const target = tf.where(tf.less(saved[0], 0), tf.fill(saved[0].shape, n * h * w * c, 'int32'), saved[0]);
        return tf.unsortedSegmentSum(dy.reshape([-1]), target as tf.Tensor1D, n * h * w * c + 1).slice(0, n * h * w * c).reshape([n, h, w, c]);
      },
    };
  };
  const op = tf.customGrad(forward as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (x: tf.Tensor) => tf.Tensor4D;
  return op(features);
}
