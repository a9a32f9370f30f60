/**
 * Boxes, and the pixel convention of the whole kit (lib/ops: geometry shared by the lessons).
 *
 * THE CONVENTION. Pixel (column i, row j) has its centre at (x, y) = (i, j) and covers
 * [i - 0.5, i + 0.5] x [j - 0.5, j + 0.5]; x grows to the right, y downwards. Every coordinate in
 * lib/ and datasets/ uses it: landmarks and keypoints (a point on the centre of pixel i is x = i),
 * boxes, decoded detections, display.annotate's default.
 *
 * A box is [x1, y1, x2, y2], its continuous extent in that frame: the box that covers exactly the
 * columns a..b and the rows c..d is [a - 0.5, c - 0.5, b + 0.5, d + 0.5]. Its width x2 - x1 is the
 * number of columns, with no "+1" (boxArea, iou); its centre ((a + b) / 2, (c + d) / 2) is the mean
 * of the covered pixels' indices.
 *
 * Why this frame: reading a pixel needs no shift. The argmax of a map is a coordinate, and
 * bilinear sampling at x reads columns floor(x) and floor(x) + 1 with weights from x - floor(x):
 * the frame torchvision's roi_align(aligned=True) and detectron2's ROIAlign sample in. Those take
 * COCO-style boxes, whose coordinates are pixel edges (pixel i spans [i, i + 1), its centre at
 * i + 0.5), and subtract 0.5 inside the op; `aligned=False`, which forgot to, was the half-pixel
 * bug they fixed. The kit subtracts the 0.5 once, where data enters (`fromPixelEdges`), so no op
 * hides a shift. The landmark code, the faces data set and assignment 02 were already in this
 * frame; the shapes generator converts its pixel-edge boxes and keypoints when it returns them.
 *
 * At the boundary: COCO / torchvision / PyTorch boxes and canvas drawing coordinates are pixel
 * edges; convert with `boxFromPixelEdges` / `pointFromPixelEdges` and back with `boxToPixelEdges`
 * (which also gives the integer slice bounds [a, c, b + 1, d + 1] of a pixel-aligned box).
 * How each codec maps image coordinates to its output grid at a stride is stated in that codec
 * (lib/landmarks/heatmap.ts, lib/landmarks/centernet.ts).
 */

/** [x1, y1, x2, y2] in the kit's frame (pixel centres at integers; see the top of this file). */
export type Box = [number, number, number, number];

/** [x, y] in the kit's frame. */
export type Point = [number, number];

/** Width x height of a box (0 for an empty or inverted one). */
export function boxArea(b: Box): number {
  return Math.max(0, b[2] - b[0]) * Math.max(0, b[3] - b[1]);
}

/** Intersection over union of two boxes, in [0, 1] (0 when both are empty). Translation-invariant. */
export function iou(a: Box, b: Box): number {
  const ix = Math.max(0, Math.min(a[2], b[2]) - Math.max(a[0], b[0]));
  const iy = Math.max(0, Math.min(a[3], b[3]) - Math.max(a[1], b[1]));
  const inter = ix * iy;
  const union = boxArea(a) + boxArea(b) - inter;
  return union > 0 ? inter / union : 0;
}

/** A box given in pixel edges (COCO, torchvision, canvas: pixel i spans [i, i + 1)) in the kit's frame. */
export function boxFromPixelEdges(b: Box): Box {
  return [b[0] - 0.5, b[1] - 0.5, b[2] - 0.5, b[3] - 0.5];
}

/** A box of the kit's frame in pixel edges; for a pixel-aligned box, its integer slice bounds [a, c, b + 1, d + 1]. */
export function boxToPixelEdges(b: Box): Box {
  return [b[0] + 0.5, b[1] + 0.5, b[2] + 0.5, b[3] + 0.5];
}

/** A point given in pixel edges (pixel i's centre at i + 0.5) in the kit's frame. */
export function pointFromPixelEdges(p: Point): Point {
  return [p[0] - 0.5, p[1] - 0.5];
}

/** Intersection over union of two {0, 1} masks of the same size (0 when both are empty). */
export function maskIou(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`maskIou: masks of ${a.length} and ${b.length} pixels`);
  let inter = 0, union = 0;
  for (let i = 0; i < a.length; i++) {
    const p = a[i] ? 1 : 0, q = b[i] ? 1 : 0;
    inter += p & q;
    union += p | q;
  }
  return union > 0 ? inter / union : 0;
}

/**
 * The tight box of the non-zero pixels of a mask (H*W, row-major, width `width`), or null when
 * the mask is empty: [minColumn - 0.5, minRow - 0.5, maxColumn + 0.5, maxRow + 0.5].
 */
export function boxOfMask(mask: ArrayLike<number>, width: number): Box | null {
  let [x1, y1, x2, y2] = [Infinity, Infinity, -Infinity, -Infinity];
  for (let p = 0; p < mask.length; p++) {
    if (!mask[p]) continue;
    const x = p % width;
    const y = (p - x) / width;
    if (x < x1) x1 = x;
    if (x > x2) x2 = x;
    if (y < y1) y1 = y;
    if (y > y2) y2 = y;
  }
  return x2 < x1 ? null : [x1 - 0.5, y1 - 0.5, x2 + 0.5, y2 + 0.5];
}
