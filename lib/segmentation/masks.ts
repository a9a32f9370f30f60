/**
 * Masks: ground-truth mask targets in a box (Mask R-CNN's M x M targets), pasting an M x M mask back
 * into the image, mask IoU, and resampling a mask to a coarser grid (YOLACT's prototype resolution).
 *
 * Masks are flat row-major arrays, H * W (image masks, Uint8Array {0, 1}) or M * M (mask-head
 * outputs, probabilities or logits). Boxes are in the kit's frame (lib/ops/boxes.ts): a mask cell j
 * of a box [x1, x2] of width w sits at x = x1 + (j + 0.5) w / M, the sample point of RoIAlign with
 * `aligned` (torchvision, detectron2) — so targets and pasting use the same mapping.
 */
import { Box, boxToPixelEdges } from '../ops/boxes';
import { roiAlignValues } from '../ops/roiAlign';

/**
 * Mask R-CNN's mask targets: the ground-truth mask (H x W, {0, 1}) of each box's object sampled by
 * RoIAlign (aligned, adaptive sampling) onto an M x M grid over the box, then thresholded at 0.5
 * (detectron2; torchvision keeps the fractions). `masks[k]` is box k's object. Returns [K * M * M] {0, 1}.
 */
export function maskTargets(masks: ArrayLike<number>[], boxes: Box[], height: number, width: number, size = 28): Float32Array {
  const out = new Float32Array(boxes.length * size * size);
  boxes.forEach((box, k) => {
    const v = roiAlignValues(masks[k], [1, height, width, 1], [boxToPixelEdges(box)], undefined, { outputSize: size, aligned: true, samplingRatio: -1 });
    for (let i = 0; i < v.length; i++) out[k * size * size + i] = v[i] >= 0.5 ? 1 : 0;
  });
  return out;
}

/**
 * An M x M mask (probabilities or logits) pasted into an H x W image over `box`: each pixel whose
 * centre lies inside the box reads the mask bilinearly at its position (cells at x1 + (j + 0.5) w / M,
 * clamped at the border cells), as detectron2's paste_masks_in_image; pixels outside get `fill`
 * (0 for probabilities and, in UPSNet's panoptic head, for logits).
 */
export function pasteMask(mask: ArrayLike<number>, size: number, box: Box, height: number, width: number, fill = 0): Float32Array {
  const out = new Float32Array(height * width).fill(fill);
  const [x1, y1, x2, y2] = box;
  const bw = x2 - x1, bh = y2 - y1;
  if (!(bw > 0 && bh > 0)) return out;
  const clamp = (v: number) => Math.min(Math.max(v, 0), size - 1);
  for (let y = Math.max(0, Math.ceil(y1)); y <= Math.min(height - 1, Math.floor(y2)); y++) {
    if (!(y > y1 && y < y2)) continue;
    const v = clamp(((y - y1) / bh) * size - 0.5);
    const v0 = Math.floor(v), v1 = Math.min(v0 + 1, size - 1), fv = v - v0;
    for (let x = Math.max(0, Math.ceil(x1)); x <= Math.min(width - 1, Math.floor(x2)); x++) {
      if (!(x > x1 && x < x2)) continue;
      const u = clamp(((x - x1) / bw) * size - 0.5);
      const u0 = Math.floor(u), u1 = Math.min(u0 + 1, size - 1), fu = u - u0;
      out[y * width + x] = (1 - fv) * ((1 - fu) * mask[v0 * size + u0] + fu * mask[v0 * size + u1]) + fv * ((1 - fu) * mask[v1 * size + u0] + fu * mask[v1 * size + u1]);
    }
  }
  return out;
}

/** {0, 1} of `values` >= threshold (default 0.5). */
export function binarize(values: ArrayLike<number>, threshold = 0.5): Uint8Array {
  const out = new Uint8Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = values[i] >= threshold ? 1 : 0;
  return out;
}

// maskIou is shared geometry (lib/ops/boxes.ts): lesson 05's metrics and the grader use it too.
export { maskIou } from '../ops/boxes';

/**
 * A {0, 1} H x W mask at 1 / factor resolution: the mean of each factor x factor block (bilinear
 * resizing by an integer factor with half-pixel centres), >= 0.5 — YOLACT's ground truth at the
 * prototypes' resolution. Returns (H / factor) * (W / factor) values in {0, 1}.
 */
export function downsampleMask(mask: ArrayLike<number>, height: number, width: number, factor: number): Float32Array {
  const h = height / factor, w = width / factor;
  if (!Number.isInteger(h) || !Number.isInteger(w)) throw new Error(`downsampleMask: ${height}x${width} is not divisible by ${factor}`);
  const out = new Float32Array(h * w);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
    let s = 0;
    for (let dy = 0; dy < factor; dy++) for (let dx = 0; dx < factor; dx++) s += mask[(y * factor + dy) * width + x * factor + dx];
    out[y * w + x] = s / (factor * factor) >= 0.5 ? 1 : 0;
  }
  return out;
}
