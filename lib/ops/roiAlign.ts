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
 * The sample positions depend only on the boxes, so the op is linear in `features`: a weighted sum
 * over each cell's bilinear taps (`forEachRoiAlignTap`), whose gradient scatters back along the same
 * taps (tf.grad works through it; the boxes get no gradient, as in torchvision). `tf.image.cropAndResize` is not RoIAlign: it maps box corners to
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
 * Visits every bilinear tap of RoIAlign (see the header): for output cell `cell` (box-major, then
 * row, then column: K * outH * outW cells), feature row `row` of the flattened map (image * H * W +
 * y * W + x) with weight `weight` (the bilinear weight divided by the bin's sample count). A cell's
 * value is the sum of weight * feature over its taps; a row may be visited more than once per cell.
 * The one definition of where RoIAlign samples: `roiAlign`, `roiAlignPlan` and `roiAlignValues`
 * are built on it.
 */
export function forEachRoiAlignTap(shape: [number, number, number, number] | number[], boxes: BoxList, boxIndex: ArrayLike<number> | tf.Tensor | undefined, options: RoiAlignOptions, visit: (cell: number, row: number, weight: number) => void): number {
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
      const cell = (r * outH + ph) * outW + pw;
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
          if (hy * hx !== 0) visit(cell, base + yl * width + xl, (hy * hx) / count);
          if (hy * lx !== 0) visit(cell, base + yl * width + xh, (hy * lx) / count);
          if (ly * hx !== 0) visit(cell, base + yh * width + xl, (ly * hx) / count);
          if (ly * lx !== 0) visit(cell, base + yh * width + xh, (ly * lx) / count);
        }
      }
    }
  }
  return k * outH * outW;
}

/**
 * The bilinear sampling plan of RoIAlign: for each output cell (K * outH * outW of them), up to
 * `taps` (feature row, weight) pairs whose weighted sum is the cell's value. Exposed for the lesson
 * (where does each output cell read?) and for tests.
 */
export function roiAlignPlan(shape: [number, number, number, number], boxes: BoxList, boxIndex: ArrayLike<number> | tf.Tensor | undefined, options: RoiAlignOptions): { rows: Int32Array; weights: Float32Array; taps: number; cells: number } {
  // Per cell, accumulate weights by feature row (a sub-grid's samples share pixels).
  const perCell: Map<number, number>[] = [];
  const cells = forEachRoiAlignTap(shape, boxes, boxIndex, options, (cell, row, w) => {
    const map = perCell[cell] ?? (perCell[cell] = new Map<number, number>());
    map.set(row, (map.get(row) ?? 0) + w);
  });
  let taps = 1;
  for (let c = 0; c < cells; c++) taps = Math.max(taps, perCell[c]?.size ?? 0);
  const rows = new Int32Array(cells * taps);
  const weights = new Float32Array(cells * taps);
  for (let c = 0; c < cells; c++) {
    let j = 0;
    for (const [row, w] of perCell[c] ?? []) { rows[c * taps + j] = row; weights[c * taps + j] = w; j++; }
  }
  return { rows, weights, taps, cells };
}

/** Every tap of RoIAlign as parallel arrays (cell, feature row, weight): what its forward and backward loops walk. */
function collectTaps(shape: number[], boxes: BoxList, boxIndex: ArrayLike<number> | tf.Tensor | undefined, options: RoiAlignOptions): { cells: Int32Array; rows: Int32Array; weights: Float32Array; count: number } {
  let cells = new Int32Array(1024), rows = new Int32Array(1024), weights = new Float32Array(1024), count = 0;
  forEachRoiAlignTap(shape, boxes, boxIndex, options, (cell, row, w) => {
    if (count === cells.length) {
      const grow = <T extends Int32Array | Float32Array>(a: T): T => { const b = new (a.constructor as { new (n: number): T })(a.length * 2); b.set(a); return b; };
      cells = grow(cells); rows = grow(rows); weights = grow(weights);
    }
    cells[count] = cell; rows[count] = row; weights[count] = w; count++;
  });
  return { cells, rows, weights, count };
}

/**
 * RoIAlign of `boxes` on `features` (see the header). Differentiable with respect to the features:
 * the forward pass sums weight x feature row over each cell's taps, the backward pass scatters the
 * output gradient back along the same taps (both plain loops over the taps: on wasm, a gather of
 * every sampled row and its scatter cost 10-50x more; docs/design.md, "Segmentation").
 */
export function roiAlign(features: tf.Tensor4D, boxes: BoxList, boxIndex: ArrayLike<number> | tf.Tensor | undefined, options: RoiAlignOptions): tf.Tensor4D {
  const [n, h, w, c] = features.shape;
  const [outH, outW] = sizeOf(options.outputSize);
  const taps = collectTaps([n, h, w, c], boxes, boxIndex, options);
  const k = flatBoxes(boxes).length / 4;
  const forward = (x: tf.Tensor) => {
    const data = x.dataSync() as Float32Array;
    const out = new Float32Array(k * outH * outW * c);
    for (let t = 0; t < taps.count; t++) {
      const o = taps.cells[t] * c, i = taps.rows[t] * c, wt = taps.weights[t];
      for (let ch = 0; ch < c; ch++) out[o + ch] += wt * data[i + ch];
    }
    return {
      value: tf.tensor4d(out, [k, outH, outW, c]),
      gradFunc: (dy: tf.Tensor) => {
        const g = dy.dataSync() as Float32Array;
        const dx = new Float32Array(n * h * w * c);
        for (let t = 0; t < taps.count; t++) {
          const o = taps.cells[t] * c, i = taps.rows[t] * c, wt = taps.weights[t];
          for (let ch = 0; ch < c; ch++) dx[i + ch] += wt * g[o + ch];
        }
        return tf.tensor4d(dx, [n, h, w, c]);
      },
    };
  };
  const op = tf.customGrad(forward as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (x: tf.Tensor) => tf.Tensor4D;
  return op(features);
}

/**
 * RoIAlign of plain arrays, without tensors or gradients (targets such as ground-truth masks):
 * `data` [N, H, W, C] flat (NHWC), boxes and options as `roiAlign`; returns [K, outH, outW, C] flat.
 */
export function roiAlignValues(data: ArrayLike<number>, shape: [number, number, number, number], boxes: BoxList, boxIndex: ArrayLike<number> | undefined, options: RoiAlignOptions): Float32Array {
  const c = shape[3];
  const [outH, outW] = sizeOf(options.outputSize);
  const k = flatBoxes(boxes).length / 4;
  const out = new Float32Array(k * outH * outW * c);
  forEachRoiAlignTap(shape, boxes, boxIndex, options, (cell, row, w) => {
    for (let ch = 0; ch < c; ch++) out[cell * c + ch] += w * data[row * c + ch];
  });
  return out;
}
