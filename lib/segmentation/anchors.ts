/**
 * Anchors, the box coder and anchor matching of the detectors in this lesson (Faster R-CNN's RPN and
 * box head, YOLACT's prediction head), in the kit's pixel frame (lib/ops/boxes.ts: pixel centres at
 * integers, a box's width is x2 - x1 with no "+1").
 *
 * Anchors: at output stride s, cell (u, v) covers image columns s*u .. s*u + s - 1, so its centre is
 * x = s*u + (s - 1) / 2; each cell has one square anchor per size. Anchor a of cell (u, v) is row
 * (v * W + u) * A + a: the order of a conv output [N, H, W, A] flattened.
 *
 * Box coder (torchvision.models.detection._utils.BoxCoder, Girshick et al.): with widths w = x2 - x1,
 * centres cx = x1 + w / 2, deltas = (wx (gx - ax) / aw, wy (gy - ay) / ah, ww log(gw / aw), wh log(gh / ah));
 * decoding clamps the log-size deltas at log(1000 / 16) as torchvision does.
 */
import { Box, iou } from '../ops/boxes';
import { nms } from '../ops/nms';

/** Anchor boxes [H * W * A] of a feature map of `height` x `width` cells at `stride`, one square of each size per cell. */
export function anchorGrid(height: number, width: number, stride: number, sizes: number[]): Box[] {
  const out: Box[] = [];
  for (let v = 0; v < height; v++) for (let u = 0; u < width; u++) {
    const cx = stride * u + (stride - 1) / 2, cy = stride * v + (stride - 1) / 2;
    for (const s of sizes) out.push([cx - s / 2, cy - s / 2, cx + s / 2, cy + s / 2]);
  }
  return out;
}

/** Weights (wx, wy, ww, wh): torchvision's RPN uses (1, 1, 1, 1), its box head (10, 10, 5, 5). */
export type CoderWeights = [number, number, number, number];

const CLAMP = Math.log(1000 / 16);

/** The deltas that turn `anchor` into `target`. */
export function encodeBox(target: Box, anchor: Box, weights: CoderWeights = [1, 1, 1, 1]): [number, number, number, number] {
  const aw = anchor[2] - anchor[0], ah = anchor[3] - anchor[1];
  const gw = target[2] - target[0], gh = target[3] - target[1];
  const ax = anchor[0] + aw / 2, ay = anchor[1] + ah / 2, gx = target[0] + gw / 2, gy = target[1] + gh / 2;
  return [weights[0] * (gx - ax) / aw, weights[1] * (gy - ay) / ah, weights[2] * Math.log(gw / aw), weights[3] * Math.log(gh / ah)];
}

/** The box that `deltas` make of `anchor` (the inverse of encodeBox; size deltas clamped at log(1000/16)). */
export function decodeBox(deltas: ArrayLike<number>, anchor: Box, weights: CoderWeights = [1, 1, 1, 1], at = 0): Box {
  const aw = anchor[2] - anchor[0], ah = anchor[3] - anchor[1];
  const ax = anchor[0] + aw / 2, ay = anchor[1] + ah / 2;
  const cx = ax + (deltas[at] / weights[0]) * aw, cy = ay + (deltas[at + 1] / weights[1]) * ah;
  const w = aw * Math.exp(Math.min(deltas[at + 2] / weights[2], CLAMP)), h = ah * Math.exp(Math.min(deltas[at + 3] / weights[3], CLAMP));
  return [cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2];
}

/** A box clipped to the image [-0.5, size - 0.5] (the kit's frame: the image's edges). */
export function clipBox(b: Box, height: number, width: number): Box {
  const cx = (v: number, hi: number) => Math.min(Math.max(v, -0.5), hi - 0.5);
  return [cx(b[0], width), cx(b[1], height), cx(b[2], width), cx(b[3], height)];
}

export interface AnchorMatch {
  /** Per anchor: the index of its ground-truth box, or -1 (background), or -2 (ignored: between the thresholds). */
  matched: Int32Array;
  /** Per anchor: its best IoU with any ground-truth box. */
  bestIou: Float32Array;
}

/**
 * torchvision's Matcher: each anchor takes its highest-IoU ground-truth box when that IoU is at
 * least `high`, is background below `low`, ignored between; with `allowLowQuality`, the anchors of
 * each ground-truth box's highest IoU are positive too (so every object has a positive anchor).
 */
export function matchAnchors(anchors: Box[], truth: Box[], high: number, low: number, allowLowQuality = true): AnchorMatch {
  const matched = new Int32Array(anchors.length).fill(-1);
  const bestIou = new Float32Array(anchors.length);
  if (truth.length === 0) return { matched, bestIou };
  const ious = truth.map((g) => anchors.map((a) => iou(a, g)));
  const bestTruth = new Int32Array(anchors.length);
  for (let i = 0; i < anchors.length; i++) {
    let best = -1, value = -1;
    for (let g = 0; g < truth.length; g++) if (ious[g][i] > value) { value = ious[g][i]; best = g; }
    bestIou[i] = value;
    bestTruth[i] = best;
    matched[i] = value >= high ? best : value < low ? -1 : -2;
  }
  if (allowLowQuality) {
    // As torchvision: the anchors of each box's highest IoU become positive, matched to their own best box.
    truth.forEach((_, g) => {
      const top = Math.max(...ious[g]);
      if (top <= 0) return;
      for (let i = 0; i < anchors.length; i++) if (ious[g][i] === top) matched[i] = bestTruth[i];
    });
  }
  return { matched, bestIou };
}

/** A scored, classified box before NMS. */
export interface ScoredBox { box: Box; score: number; classId: number; /** Where it came from (an anchor or RoI index). */ source: number }

/**
 * Per-class NMS (torchvision's batched_nms: boxes of different classes never suppress each other),
 * then the `maxDetections` best by score.
 */
export function perClassNms(candidates: ScoredBox[], iouThreshold: number, maxDetections: number): ScoredBox[] {
  const kept: ScoredBox[] = [];
  const classes = [...new Set(candidates.map((x) => x.classId))];
  for (const cls of classes) {
    const list = candidates.filter((x) => x.classId === cls);
    for (const i of nms(list.map((x) => x.box), list.map((x) => x.score), iouThreshold)) kept.push(list[i]);
  }
  return kept.sort((a, b) => b.score - a.score).slice(0, maxDetections);
}
