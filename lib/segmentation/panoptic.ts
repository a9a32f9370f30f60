/**
 * Panoptic segmentation = semantic segmentation (every pixel a class, "stuff" included) + instance
 * segmentation (every "thing" pixel also an instance id): each pixel gets (category, instance).
 * (Seed 000 writes "instance segmentation + distinguishing instances"; it is semantic + instance.)
 *
 * UPSNet's panoptic head (Xiong et al. 2019; uber-research/UPSNet, unary_logits.py, mask_removal.py):
 * parameter-free, per pixel, over the channels
 *   stuff       the semantic head's logit of each stuff class;
 *   instance i  the semantic head's logit of i's thing class inside i's box (0 outside) plus i's mask
 *               logit pasted into its box (0 outside);
 *   unknown     max over the semantic thing logits minus max over the instance channels: a pixel the
 *               semantic head calls "thing" that no instance explains becomes void;
 * argmax. Instances are the detections with score >= `scoreThreshold` by decreasing score, minus those
 * whose mask (logit > 0) lies more than 30% on already kept masks of the same class (UPSNet's
 * MaskRemoval).
 *
 * Segment ids: 0 void; stuff class s is segment 1 + s; instance i is segment 1 + S + i (S stuff classes).
 */
import { Box } from '../ops/boxes';
import { pasteMask } from './masks';
import { PanopticImage } from './metrics';
import type { SceneDataset } from '../../datasets/scenes';

/** An instance as the panoptic head takes it: box, class (0..C-1), score, and its M x M mask logits. */
export interface PanopticInstanceInput { box: Box; classId: number; score: number; maskLogits: ArrayLike<number> }

export interface UpsnetOptions {
  height: number;
  width: number;
  /** Stuff classes S: semantic channels 0..S-1; thing class c is semantic channel S + c. */
  stuffClasses: number;
  thingClasses: number;
  /** Side M of the mask logits. */
  maskSize: number;
  /** Instances below this score are left out (default 0.5). */
  scoreThreshold?: number;
  /** MaskRemoval's overlap fraction (default 0.3). */
  overlapThreshold?: number;
}

export interface PanopticOutput extends PanopticImage {
  /** The winning channel of each pixel: 0..S-1 stuff, S + i instance i (of `instances`), -1 unknown (void). */
  channel: Int32Array;
  /** The instances that made it into the panoptic output, in channel order. */
  instances: PanopticInstanceInput[];
}

/** UPSNet's panoptic head for one image: `semanticLogits` [H * W * (S + C)] (HWC) and the detected instances. */
export function upsnetPanoptic(semanticLogits: ArrayLike<number>, detections: PanopticInstanceInput[], o: UpsnetOptions): PanopticOutput {
  const { height, width, stuffClasses: s, thingClasses: c } = o;
  const channels = s + c, pixels = height * width;
  // MaskRemoval: by score, drop empty masks and masks mostly on kept masks of the same class.
  const kept: { d: PanopticInstanceInput; logits: Float32Array }[] = [];
  const taken = Array.from({ length: c }, () => new Uint8Array(pixels));
  for (const d of detections.filter((x) => x.score >= (o.scoreThreshold ?? 0.5)).sort((a, b) => b.score - a.score)) {
    const logits = pasteMask(d.maskLogits, o.maskSize, d.box, height, width, 0);
    let area = 0, overlap = 0;
    for (let p = 0; p < pixels; p++) if (logits[p] > 0 && inBox(p, width, d.box)) { area++; overlap += taken[d.classId][p]; }
    if (area === 0 || overlap / area > (o.overlapThreshold ?? 0.3)) continue;
    for (let p = 0; p < pixels; p++) if (logits[p] > 0 && inBox(p, width, d.box)) taken[d.classId][p] = 1;
    kept.push({ d, logits });
  }
  const channel = new Int32Array(pixels);
  const ids = new Int32Array(pixels);
  for (let p = 0; p < pixels; p++) {
    let best = -Infinity, at = -1;
    for (let k = 0; k < s; k++) if (semanticLogits[p * channels + k] > best) { best = semanticLogits[p * channels + k]; at = k; }
    let thingMax = -Infinity;
    for (let k = s; k < channels; k++) thingMax = Math.max(thingMax, semanticLogits[p * channels + k]);
    let instanceMax = kept.length ? -Infinity : -10; // UPSNet's SegTerm: -10 when there is no instance
    kept.forEach(({ d, logits }, i) => {
      const value = inBox(p, width, d.box) ? semanticLogits[p * channels + s + d.classId] + logits[p] : 0;
      instanceMax = Math.max(instanceMax, value);
      if (value > best) { best = value; at = s + i; }
    });
    if (thingMax - instanceMax > best) at = -1;
    channel[p] = at;
    ids[p] = at < 0 ? 0 : 1 + at;
  }
  const categories = new Map<number, number>();
  for (let k = 0; k < s; k++) categories.set(1 + k, k);
  kept.forEach(({ d }, i) => categories.set(1 + s + i, s + d.classId));
  return { ids, categories, channel, instances: kept.map((x) => x.d) };
}

/** Whether pixel p's centre lies strictly inside the box (kit frame). */
function inBox(p: number, width: number, b: Box): boolean {
  const x = p % width, y = (p - x) / width;
  return x > b[0] && x < b[2] && y > b[1] && y < b[3];
}

/** The ground-truth panoptic segmentation of scene n (stuff segments by class, one segment per visible object). */
export function scenePanoptic(data: SceneDataset, n: number): PanopticImage {
  const pixels = data.height * data.width, s = data.stuffNames.length;
  const ids = new Int32Array(pixels);
  const categories = new Map<number, number>();
  for (let p = 0; p < pixels; p++) {
    const cls = data.semantic[n * pixels + p];
    if (cls < s) { ids[p] = 1 + cls; categories.set(1 + cls, cls); }
  }
  data.instances[n].forEach((o, i) => {
    let any = false;
    for (let p = 0; p < pixels; p++) if (o.mask[p]) { ids[p] = 1 + s + i; any = true; }
    if (any) categories.set(1 + s + i, s + o.label);
  });
  return { ids, categories };
}

/**
 * A picture of a panoptic segmentation: each stuff category in its colour, each instance in its own
 * colour (a shade of a hue per segment), void black. Returns [H * W * 3] RGB in [0, 1].
 */
export function colorPanoptic(p: PanopticImage, stuffClasses: number, stuffColors: [number, number, number][]): Float32Array {
  const out = new Float32Array(p.ids.length * 3);
  for (let i = 0; i < p.ids.length; i++) {
    const id = p.ids[i];
    const cat = p.categories.get(id);
    let rgb: number[] = [0, 0, 0];
    if (id !== 0 && cat != null) rgb = cat < stuffClasses ? stuffColors[cat] : instanceColor(id);
    out.set(rgb, i * 3);
  }
  return out;
}

/** A distinct, saturated colour for segment id `id` (golden-ratio hues). */
export function instanceColor(id: number): [number, number, number] {
  const h = (id * 0.61803398875) % 1;
  const f = (n: number) => { const k = (n + h * 6) % 6; return 0.95 - 0.95 * 0.85 * Math.max(0, Math.min(k, 4 - k, 1)); };
  return [f(5), f(3), f(1)];
}
