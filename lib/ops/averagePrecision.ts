/**
 * Average precision of detections (PASCAL VOC 2010+ "all points", as in the detection lesson and
 * CenterNet's evaluation of our synthetic shapes). Boxes follow the kit's pixel convention
 * (lib/ops/boxes.ts); IoU does not depend on it, only on using the same frame for both sides.
 */
import { Box, iou } from './boxes';

/** One detected object: its box, its score (higher = more confident) and its class index. */
export interface Detection { box: Box; score: number; classId: number }

/** The ground truth of one image: boxes and their class indices, same length. */
export interface GroundTruth { boxes: Box[]; classes: number[] }

/**
 * Average precision at an IoU threshold (default 0.5), per class and their mean, VOC style:
 * detections (one list per image) sorted by score, each matched greedily to the best unmatched
 * ground-truth box of its class in the same image with IoU >= threshold (a second detection of a
 * matched box is a false positive); AP = area under the precision-recall curve with precision made
 * monotone (all points). A class with no ground truth gets NaN and is left out of the mean.
 */
export function averagePrecision(detections: Detection[][], truth: GroundTruth[], numClasses: number, iouThreshold = 0.5): { perClass: number[]; mean: number } {
  const perClass: number[] = [];
  for (let cls = 0; cls < numClasses; cls++) {
    const dets: { score: number; image: number; box: Box }[] = [];
    detections.forEach((d, image) => d.forEach((x) => { if (x.classId === cls) dets.push({ score: x.score, image, box: x.box }); }));
    dets.sort((a, b) => b.score - a.score);
    const gts = truth.map((t) => t.boxes.filter((_, i) => t.classes[i] === cls));
    const total = gts.reduce((s, g) => s + g.length, 0);
    if (total === 0) { perClass.push(NaN); continue; }
    const used = gts.map((g) => g.map(() => false));
    const tp: number[] = [];
    for (const d of dets) {
      let best = -1, bestIou = iouThreshold;
      gts[d.image].forEach((g, j) => { const v = iou(d.box, g); if (!used[d.image][j] && v >= bestIou) { best = j; bestIou = v; } });
      if (best >= 0) used[d.image][best] = true;
      tp.push(best >= 0 ? 1 : 0);
    }
    const precision: number[] = [], recall: number[] = [];
    let cum = 0;
    tp.forEach((t, i) => { cum += t; precision.push(cum / (i + 1)); recall.push(cum / total); });
    for (let i = precision.length - 2; i >= 0; i--) precision[i] = Math.max(precision[i], precision[i + 1]);
    let ap = 0, prevRecall = 0;
    for (let i = 0; i < precision.length; i++) { ap += (recall[i] - prevRecall) * precision[i]; prevRecall = recall[i]; }
    perClass.push(ap);
  }
  const valid = perClass.filter((x) => !Number.isNaN(x));
  return { perClass, mean: valid.length ? valid.reduce((a, b) => a + b, 0) / valid.length : 0 };
}
