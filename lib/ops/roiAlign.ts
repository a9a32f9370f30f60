/**
 * RoIAlign (He et al. 2017, Mask R-CNN), with torchvision.ops.roi_align's semantics
 * (csrc/ops/cpu/roi_align_common.h) and detectron2's reference values (tests/layers/test_roi_align.py).
 *
 * features  [N, H, W, C] (NHWC), boxes [K, 4] as (x1, y1, x2, y2) in IMAGE coordinates in torchvision's
 * convention: pixel edges (pixel i spans [i, i + 1)), the frame of COCO boxes. From the kit's frame
 * (lib/ops/boxes.ts: pixel centres at integers) convert with `boxToPixelEdges` first. boxIndex [K] says
 * which image of the batch each box belongs to. Output [K, outH, outW, C].
 *
 * For box k: its coordinates are scaled by `spatialScale` (1 / the feature stride) and, when
 * `aligned`, shifted by -0.5 (so a sample at a pixel's centre reads exactly that pixel); without
 * `aligned` (torchvision's default, detectron2's legacy) the box is not shifted — half a feature pixel
 * off — and its size is clamped to at least 1. The box is divided into outH x outW bins; each bin
 * averages gridH x gridW bilinear samples at the centres of a regular sub-grid, gridH = samplingRatio,
 * or ceil(box height / outH) when samplingRatio <= 0 (adaptive, the default -1). A sample more than
 * one pixel outside the map (y < -1 or y > H) reads 0; inside, coordinates below 0 clamp to 0 and the
 * last row/column is repeated at the high edge.
 *
 * The sample positions depend only on the boxes, so the op is linear in `features` and is built from
 * a gather and a weighted sum: gradients flow to the features (tf.grad works through it; the boxes get
 * no gradient, as in torchvision). `tf.image.cropAndResize` is not RoIAlign: it maps box corners to
 * pixel centres (y1 * (H - 1)), takes one sample per output cell and has no gradient in tfjs.
 */
import * as tf from '@tensorflow/tfjs';

export interface RoiAlignOptions {
  /** [outH, outW] (a number means square). */
  outputSize: number | [number, number];
  /** Multiplies box coordinates: 1 / stride of the feature map (default 1). */
  spatialScale?: number;
  /** Samples per bin along each axis; <= 0 means adaptive ceil(roi size / output size) (default -1). */
  samplingRatio?: number;
  /** Shift boxes by -0.5 pixel (detectron2 default true; torchvision default false). Default false, as torchvision. */
  aligned?: boolean;
}

type BoxList = ArrayLike<number> | number[][] | tf.Tensor;

/** Flat [K * 4] box coordinates and their count, from arrays or a [K, 4] tensor. */
export function flatBoxes(boxes: BoxList): Float32Array {
  if (boxes instanceof tf.Tensor) {
    if (boxes.rank !== 2 || boxes.shape[1] !== 4) throw new Error(`boxes must be [K, 4], got [${boxes.shape.join(', ')}]`);
    return Float32Array.from(boxes.dataSync());
  }
  const rows = boxes as ArrayLike<number> | number[][];
  if (rows.length > 0 && Array.isArray((rows as number[][])[0])) {
    const out = new Float32Array(rows.length * 4);
    (rows as number[][]).forEach((b, k) => {
      if (b.length !== 4) throw new Error(`box ${k} has ${b.length} coordinates, expected 4 (x1, y1, x2, y2)`);
      out.set(b, k * 4);
    });
    return out;
  }
  if (rows.length % 4 !== 0) throw new Error(`a flat box list needs 4 numbers per box, got ${rows.length}`);
  return Float32Array.from(rows as ArrayLike<number>);
}

/** Box -> image indices as an Int32Array of K (all 0 when omitted), checked against the batch size. */
export function boxImageIndices(boxIndex: ArrayLike<number> | tf.Tensor | undefined, count: number, batch: number): Int32Array {
  const idx = boxIndex === undefined ? new Int32Array(count) : Int32Array.from(boxIndex instanceof tf.Tensor ? boxIndex.dataSync() : boxIndex);
  if (idx.length !== count) throw new Error(`boxIndex has ${idx.length} entries for ${count} boxes`);
  for (const i of idx) if (i < 0 || i >= batch) throw new Error(`boxIndex ${i} is outside the batch of ${batch} images`);
  return idx;
}

export const sizeOf = (s: number | [number, number]): [number, number] => (typeof s === 'number' ? [s, s] : s);

/**
 * The bilinear sampling plan of RoIAlign: for each output cell (K * outH * outW of them), up to
 * `taps` (feature row, weight) pairs whose weighted sum is the cell's value. Exposed for the lesson
 * (where does each output cell read?) and for tests.
 */
export function roiAlignPlan(shape: [number, number, number, number], boxes: BoxList, boxIndex: ArrayLike<number> | tf.Tensor | undefined, options: RoiAlignOptions): { rows: Int32Array; weights: Float32Array; taps: number; cells: number } {
  const [n, height, width] = shape;
  const [outH, outW] = sizeOf(options.outputSize);
  if (!(outH >= 1 && outW >= 1 && Number.isInteger(outH) && Number.isInteger(outW))) throw new Error(`outputSize must be positive integers, got ${options.outputSize}`);
  const scale = options.spatialScale ?? 1;
  const ratio = options.samplingRatio ?? -1;
  const aligned = options.aligned ?? false;
  const b = flatBoxes(boxes);
  const k = b.length / 4;
  const image = boxImageIndices(boxIndex, k, n);
  const offset = aligned ? 0.5 : 0;
  // Per cell, accumulate weights by feature row (a sub-grid's samples share pixels).
  const perCell: Map<number, number>[] = [];
  let taps = 1;
  for (let r = 0; r < k; r++) {
    const x1 = b[r * 4] * scale - offset, y1 = b[r * 4 + 1] * scale - offset;
    let rw = b[r * 4 + 2] * scale - offset - x1, rh = b[r * 4 + 3] * scale - offset - y1;
    if (!aligned) { rw = Math.max(rw, 1); rh = Math.max(rh, 1); }
    const binH = rh / outH, binW = rw / outW;
    const gridH = ratio > 0 ? ratio : Math.ceil(rh / outH);
    const gridW = ratio > 0 ? ratio : Math.ceil(rw / outW);
    const count = Math.max(gridH * gridW, 1);
    const base = image[r] * height * width;
    for (let ph = 0; ph < outH; ph++) for (let pw = 0; pw < outW; pw++) {
      const cell = new Map<number, number>();
      for (let iy = 0; iy < gridH; iy++) {
        const y0 = y1 + ph * binH + ((iy + 0.5) * binH) / gridH;
        for (let ix = 0; ix < gridW; ix++) {
          const x0 = x1 + pw * binW + ((ix + 0.5) * binW) / gridW;
          if (y0 < -1 || y0 > height || x0 < -1 || x0 > width) continue;
          let y = Math.max(y0, 0), x = Math.max(x0, 0);
          let yl = Math.floor(y), xl = Math.floor(x), yh: number, xh: number;
          if (yl >= height - 1) { yl = yh = height - 1; y = yl; } else yh = yl + 1;
          if (xl >= width - 1) { xl = xh = width - 1; x = xl; } else xh = xl + 1;
          const ly = y - yl, lx = x - xl, hy = 1 - ly, hx = 1 - lx;
          const add = (row: number, w: number) => { if (w !== 0) cell.set(row, (cell.get(row) ?? 0) + w / count); };
          add(base + yl * width + xl, hy * hx);
          add(base + yl * width + xh, hy * lx);
          add(base + yh * width + xl, ly * hx);
          add(base + yh * width + xh, ly * lx);
        }
      }
      perCell.push(cell);
      taps = Math.max(taps, cell.size);
    }
  }
  const cells = perCell.length;
  const rows = new Int32Array(cells * taps);
  const weights = new Float32Array(cells * taps);
  perCell.forEach((cell, c) => {
    let j = 0;
    for (const [row, w] of cell) { rows[c * taps + j] = row; weights[c * taps + j] = w; j++; }
  });
  return { rows, weights, taps, cells };
}

/** RoIAlign of `boxes` on `features` (see the header). Differentiable with respect to the features. */
export function roiAlign(features: tf.Tensor4D, boxes: BoxList, boxIndex: ArrayLike<number> | tf.Tensor | undefined, options: RoiAlignOptions): tf.Tensor4D {
  const [n, h, w, c] = features.shape;
  const [outH, outW] = sizeOf(options.outputSize);
  const plan = roiAlignPlan([n, h, w, c], boxes, boxIndex, options);
  const k = plan.cells / (outH * outW);
  return tf.tidy(() => {
    if (k === 0) return tf.zeros([0, outH, outW, c]) as tf.Tensor4D;
    const flat = features.reshape([n * h * w, c]);
    const picked = tf.gather(flat, tf.tensor1d(plan.rows, 'int32'));
    const weighted = picked.mul(tf.tensor2d(plan.weights, [plan.weights.length, 1]));
    return weighted.reshape([plan.cells, plan.taps, c]).sum(1).reshape([k, outH, outW, c]) as tf.Tensor4D;
  });
}
