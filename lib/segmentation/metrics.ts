/**
 * Segmentation metrics: mask average precision as COCO computes it (pycocotools' COCOeval with
 * iouType 'segm'), Panoptic Quality PQ = SQ x RQ (Kirillov et al. 2019, panopticapi's pq_compute),
 * and the mean IoU of a semantic segmentation. Masks are flat {0, 1} arrays of H * W pixels.
 */
import { maskIou } from './masks';

/** One predicted instance: its mask, score and class. */
export interface MaskDetection { mask: ArrayLike<number>; score: number; classId: number }
/** The ground-truth instances of one image. */
export interface MaskTruth { masks: ArrayLike<number>[]; classes: number[] }

export interface MaskApResult {
  /** Mean over classes (with ground truth) of the AP at each threshold of `thresholds`. */
  byThreshold: { threshold: number; mean: number; perClass: number[] }[];
  /** AP averaged over the thresholds and classes (COCO's "AP" when thresholds are 0.5:0.05:0.95). */
  mean: number;
}

/** COCO's IoU thresholds 0.5, 0.55, ..., 0.95. */
export const COCO_THRESHOLDS = Array.from({ length: 10 }, (_, i) => Math.round((0.5 + 0.05 * i) * 100) / 100);

/**
 * COCO-style mask AP (pycocotools COCOeval, iouType 'segm', areaRng 'all', maxDets 100): per class
 * and threshold, each image's detections (by decreasing score, at most `maxDetections`) are matched
 * greedily to the unmatched ground-truth mask of that class with the highest IoU >= threshold; over
 * all images, precision is made monotone and read at the 101 recall points 0, 0.01, ..., 1 (0 past the
 * highest recall reached); AP is their mean. Classes without ground truth are left out of the means.
 */
export function maskAveragePrecision(detections: MaskDetection[][], truth: MaskTruth[], numClasses: number, thresholds: number[] = COCO_THRESHOLDS, maxDetections = 100): MaskApResult {
  if (detections.length !== truth.length) throw new Error(`maskAveragePrecision: ${detections.length} images of detections, ${truth.length} of ground truth`);
  const byThreshold = thresholds.map((threshold) => ({ threshold, mean: 0, perClass: [] as number[] }));
  // IoUs per image, computed once: dets (sorted, capped) x ground truth.
  const sorted = detections.map((d) => d.map((x, i) => ({ ...x, i })).sort((a, b) => b.score - a.score || a.i - b.i).slice(0, maxDetections));
  const ious = sorted.map((dets, n) => dets.map((d) => truth[n].masks.map((g, j) => (truth[n].classes[j] === d.classId ? maskIou(d.mask, g) : 0))));
  for (let cls = 0; cls < numClasses; cls++) {
    const total = truth.reduce((s, t) => s + t.classes.filter((c) => c === cls).length, 0);
    byThreshold.forEach((entry) => {
      if (total === 0) { entry.perClass.push(NaN); return; }
      const scored: { score: number; hit: boolean }[] = [];
      sorted.forEach((dets, n) => {
        const used = new Set<number>();
        dets.forEach((d, k) => {
          if (d.classId !== cls) return;
          let best = -1, bestIou = Math.min(entry.threshold, 1 - 1e-10);
          truth[n].classes.forEach((c, j) => { if (c === cls && !used.has(j) && ious[n][k][j] >= bestIou) { bestIou = ious[n][k][j]; best = j; } });
          if (best >= 0) used.add(best);
          scored.push({ score: d.score, hit: best >= 0 });
        });
      });
      // Stable sort by score across images, as COCOeval's mergesort.
      const order = scored.map((s, i) => ({ ...s, i })).sort((a, b) => b.score - a.score || a.i - b.i);
      const precision: number[] = [], recall: number[] = [];
      let tp = 0;
      order.forEach((s, i) => { if (s.hit) tp++; precision.push(tp / (i + 1)); recall.push(tp / total); });
      for (let i = precision.length - 2; i >= 0; i--) precision[i] = Math.max(precision[i], precision[i + 1]);
      let sum = 0;
      for (let r = 0; r <= 100; r++) {
        const at = recall.findIndex((v) => v >= r / 100 - 1e-12);
        sum += at >= 0 ? precision[at] : 0;
      }
      entry.perClass.push(sum / 101);
    });
  }
  const meanOf = (xs: number[]) => { const v = xs.filter((x) => !Number.isNaN(x)); return v.length ? v.reduce((a, b) => a + b, 0) / v.length : 0; };
  for (const e of byThreshold) e.mean = meanOf(e.perClass);
  return { byThreshold, mean: meanOf(byThreshold.map((e) => e.mean)) };
}

/**
 * A panoptic segmentation of one image: `ids` [H * W] the segment of each pixel (0 = void:
 * unlabelled or ignored), `categories` the category of each segment id.
 */
export interface PanopticImage { ids: Int32Array; categories: Map<number, number> }

export interface PqEntry { pq: number; sq: number; rq: number; tp: number; fp: number; fn: number }

export interface PqResult extends PqEntry {
  perClass: PqEntry[];
  things: PqEntry;
  stuff: PqEntry;
}

/**
 * Panoptic Quality (Kirillov et al. 2019; panopticapi pq_compute): per category, a predicted and a
 * ground-truth segment match when their IoU > 0.5 (unique by construction), the union leaving out the
 * predicted pixels that fall on void; PQ = sum of matched IoUs / (TP + FP/2 + FN/2), which is
 * SQ (mean matched IoU) x RQ (TP / (TP + FP/2 + FN/2)). A predicted segment lying more than half on
 * void is not a false positive. Averages over the categories that occur (TP + FP + FN > 0); `isThing`
 * splits them into things and stuff.
 */
export function panopticQuality(predictions: PanopticImage[], truths: PanopticImage[], numCategories: number, isThing: (category: number) => boolean): PqResult {
  const acc = Array.from({ length: numCategories }, () => ({ iou: 0, tp: 0, fp: 0, fn: 0 }));
  predictions.forEach((pred, n) => {
    const gt = truths[n];
    const area = (ids: Int32Array) => { const m = new Map<number, number>(); for (const id of ids) m.set(id, (m.get(id) ?? 0) + 1); return m; };
    const predArea = area(pred.ids), gtArea = area(gt.ids);
    const inter = new Map<string, number>();
    for (let p = 0; p < pred.ids.length; p++) { const key = `${gt.ids[p]},${pred.ids[p]}`; inter.set(key, (inter.get(key) ?? 0) + 1); }
    const matchedGt = new Set<number>(), matchedPred = new Set<number>();
    for (const [key, count] of inter) {
      const [g, q] = key.split(',').map(Number);
      if (g === 0 || q === 0) continue;
      const cat = gt.categories.get(g);
      if (cat == null || cat !== pred.categories.get(q)) continue;
      const union = (predArea.get(q) ?? 0) + (gtArea.get(g) ?? 0) - count - (inter.get(`0,${q}`) ?? 0);
      const value = count / union;
      if (value > 0.5) { acc[cat].tp++; acc[cat].iou += value; matchedGt.add(g); matchedPred.add(q); }
    }
    for (const [g, cat] of gt.categories) if (g !== 0 && !matchedGt.has(g) && (gtArea.get(g) ?? 0) > 0) acc[cat].fn++;
    for (const [q, cat] of pred.categories) {
      if (q === 0 || matchedPred.has(q) || !((predArea.get(q) ?? 0) > 0)) continue;
      if ((inter.get(`0,${q}`) ?? 0) / (predArea.get(q) ?? 1) > 0.5) continue;
      acc[cat].fp++;
    }
  });
  const entry = (a: { iou: number; tp: number; fp: number; fn: number }): PqEntry => {
    const denominator = a.tp + 0.5 * a.fp + 0.5 * a.fn;
    const sq = a.tp > 0 ? a.iou / a.tp : 0, rq = denominator > 0 ? a.tp / denominator : 0;
    return { pq: sq * rq, sq, rq, tp: a.tp, fp: a.fp, fn: a.fn };
  };
  const perClass = acc.map(entry);
  const average = (cats: number[]): PqEntry => {
    const used = cats.filter((c) => acc[c].tp + acc[c].fp + acc[c].fn > 0);
    const mean = (k: 'pq' | 'sq' | 'rq') => (used.length ? used.reduce((s, c) => s + perClass[c][k], 0) / used.length : 0);
    const sum = (k: 'tp' | 'fp' | 'fn') => used.reduce((s, c) => s + perClass[c][k], 0);
    return { pq: mean('pq'), sq: mean('sq'), rq: mean('rq'), tp: sum('tp'), fp: sum('fp'), fn: sum('fn') };
  };
  const all = Array.from({ length: numCategories }, (_, c) => c);
  return { ...average(all), perClass, things: average(all.filter(isThing)), stuff: average(all.filter((c) => !isThing(c))) };
}

/**
 * Mean intersection over union of a semantic segmentation: per class, |pred = c and truth = c| /
 * |pred = c or truth = c| over all pixels of all images; the mean over classes that occur in either.
 */
export function semanticMeanIou(predicted: ArrayLike<number>, truth: ArrayLike<number>, numClasses: number): { mean: number; perClass: number[] } {
  const inter = new Float64Array(numClasses), union = new Float64Array(numClasses);
  for (let i = 0; i < truth.length; i++) {
    const p = predicted[i], t = truth[i];
    if (p === t) { inter[t]++; union[t]++; } else { union[t]++; union[p]++; }
  }
  const perClass = Array.from(union, (u, c) => (u > 0 ? inter[c] / u : NaN));
  const valid = perClass.filter((v) => !Number.isNaN(v));
  return { mean: valid.reduce((a, b) => a + b, 0) / Math.max(1, valid.length), perClass };
}
