/**
 * The lesson's measurements on a scene set, shared by the recipes (their recipe.json) and the
 * notebook: COCO mask AP of any instance model, and the two-stage model's panoptic output (UPSNet's
 * head over its semantic logits and instances) with PQ, SQ, RQ and the semantic mean IoU.
 */
import { maskAveragePrecision, panopticQuality, semanticMeanIou, MaskDetection, PqResult } from './metrics';
import { maskIou } from './masks';
import { upsnetPanoptic, scenePanoptic, PanopticOutput } from './panoptic';
import { MaskRcnnOutput } from './maskRcnn';
import { sceneTruth } from './training';
import type { SceneDataset } from '../../datasets/scenes';

export interface InstanceMetrics { ap50: number; ap75: number; ap: number; perClass50: number[] }

/** COCO mask AP (0.5, 0.75 and 0.5:0.95) of detections on images `indices` of `data` (default: all). */
export function instanceMetrics(detections: MaskDetection[][], data: SceneDataset, indices = Array.from({ length: detections.length }, (_, i) => i)): InstanceMetrics {
  const truth = indices.map((n) => sceneTruth(data, n));
  const r = maskAveragePrecision(detections, truth, data.thingNames.length);
  const at = (t: number) => r.byThreshold.find((e) => Math.abs(e.threshold - t) < 1e-9)!;
  return { ap50: at(0.5).mean, ap75: at(0.75).mean, ap: r.mean, perClass50: at(0.5).perClass };
}

/** UPSNet's panoptic output of every image of a two-stage model's output. */
export function panopticOutputs(out: MaskRcnnOutput, data: SceneDataset, maskSize = 28): PanopticOutput[] {
  return out.detections.map((dets, n) => upsnetPanoptic(out.semanticLogits[n], dets, {
    height: data.height, width: data.width, stuffClasses: data.stuffNames.length, thingClasses: data.thingNames.length, maskSize,
  }));
}

export interface PanopticMetrics { pq: PqResult; semanticMeanIou: number }

/** PQ (with SQ, RQ, things and stuff) of panoptic outputs of images `indices`, and the semantic head's mean IoU. */
export function panopticMetrics(outputs: PanopticOutput[], semanticLogits: Float32Array[], data: SceneDataset, indices = Array.from({ length: outputs.length }, (_, i) => i)): PanopticMetrics {
  const classes = data.classNames.length, stuff = data.stuffNames.length, pixels = data.height * data.width;
  const pq = panopticQuality(outputs, indices.map((n) => scenePanoptic(data, n)), classes, (c) => c >= stuff);
  const predicted = new Uint8Array(indices.length * pixels), truth = new Uint8Array(indices.length * pixels);
  indices.forEach((n, i) => {
    truth.set(data.semantic.subarray(n * pixels, (n + 1) * pixels), i * pixels);
    const logits = semanticLogits[i];
    for (let p = 0; p < pixels; p++) {
      let best = 0;
      for (let c = 1; c < classes; c++) if (logits[p * classes + c] > logits[p * classes + best]) best = c;
      predicted[i * pixels + p] = best;
    }
  });
  return { pq, semanticMeanIou: semanticMeanIou(predicted, truth, classes).mean };
}

/**
 * For each visible ground-truth object of each image, the IoU of the best-matching predicted mask
 * (any class); the mean over all objects. `truth[n]` are image n's masks.
 */
export function meanBestMaskIou(predicted: ArrayLike<number>[][], truth: ArrayLike<number>[][]): number {
  let sum = 0, count = 0;
  truth.forEach((objects, n) => objects.forEach((g) => {
    if (!Array.prototype.some.call(g, (v: number) => v > 0)) return;
    sum += Math.max(0, ...predicted[n].map((m) => maskIou(m, g)));
    count++;
  }));
  return count > 0 ? sum / count : 0;
}
