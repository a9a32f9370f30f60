/**
 * VPSNet's idea, simply (Kim et al. 2020, video panoptic segmentation): an instance keeps its id from
 * frame to frame. VPSNet learns a track head on RoI features; here instances are matched between
 * consecutive frames by mask IoU, the association its track head is trained to reproduce.
 *
 * `trackByMaskIou` gives each detection of each frame a track id; `identityConsistency` measures, over
 * the ground-truth tracks of a video, how often the id a ground-truth object is given stays the same.
 */
import { maskIou } from './masks';

/** A detection to track: its mask (H * W, {0, 1}) and class. */
export interface TrackInput { mask: ArrayLike<number>; classId: number }

export interface TrackOptions {
  /** Minimum mask IoU to continue a track (default 0.3). */
  iouThreshold?: number;
  /** Only instances of the same class continue a track (default true). */
  sameClass?: boolean;
  /** Frames a track may go unmatched and still be continued (default 2). */
  maxAge?: number;
}

/**
 * Track ids for the detections of every frame: each frame's detections are matched to the live tracks
 * (last seen at most `maxAge` frames ago) greedily by decreasing mask IoU with the track's last mask;
 * a pair below `iouThreshold` (or of another class) is not matched; an unmatched detection starts a
 * new track. Ids count from 0 in order of appearance.
 */
export function trackByMaskIou(frames: TrackInput[][], options: TrackOptions = {}): number[][] {
  const threshold = options.iouThreshold ?? 0.3, maxAge = options.maxAge ?? 2;
  const tracks: { id: number; mask: ArrayLike<number>; classId: number; lastSeen: number }[] = [];
  let next = 0;
  return frames.map((dets, t) => {
    const live = tracks.filter((tr) => t - tr.lastSeen <= maxAge + 1);
    const pairs: { d: number; tr: number; iou: number }[] = [];
    dets.forEach((d, i) => live.forEach((tr, j) => {
      if ((options.sameClass ?? true) && tr.classId !== d.classId) return;
      const v = maskIou(d.mask, tr.mask);
      if (v >= threshold) pairs.push({ d: i, tr: j, iou: v });
    }));
    pairs.sort((a, b) => b.iou - a.iou);
    const ids = dets.map(() => -1);
    const usedTrack = new Set<number>();
    for (const p of pairs) {
      if (ids[p.d] >= 0 || usedTrack.has(p.tr)) continue;
      ids[p.d] = live[p.tr].id;
      usedTrack.add(p.tr);
      Object.assign(live[p.tr], { mask: dets[p.d].mask, lastSeen: t });
    }
    dets.forEach((d, i) => {
      if (ids[i] >= 0) return;
      ids[i] = next++;
      tracks.push({ id: ids[i], mask: d.mask, classId: d.classId, lastSeen: t });
    });
    return ids;
  });
}

export interface IdentityReport {
  /** Of the consecutive frame pairs in which a ground-truth object was found both times, the fraction with the same predicted id. */
  consistency: number;
  /** Changes of predicted id along the ground-truth tracks. */
  switches: number;
  /** Ground-truth objects found (a detection with mask IoU >= 0.5), over all frames. */
  found: number;
  /** Ground-truth objects visible, over all frames. */
  visible: number;
}

/**
 * How consistently the predicted ids follow the ground-truth tracks: in each frame every visible
 * ground-truth object (truth[t][k] is track k) takes the predicted detection of highest mask IoU
 * (at least 0.5, each detection once); along each track, consecutive findings that carry the same
 * predicted id count as consistent, a change as a switch.
 */
export function identityConsistency(truth: ArrayLike<number>[][], detections: TrackInput[][], ids: number[][]): IdentityReport {
  const last = new Map<number, { t: number; id: number }>();
  let same = 0, pairs = 0, switches = 0, found = 0, visible = 0;
  truth.forEach((objects, t) => {
    const used = new Set<number>();
    objects.forEach((mask, k) => {
      if (!Array.prototype.some.call(mask, (v: number) => v > 0)) return;
      visible++;
      let best = -1, bestIou = 0.5;
      detections[t].forEach((d, i) => { const v = maskIou(d.mask, mask); if (!used.has(i) && v >= bestIou) { bestIou = v; best = i; } });
      if (best < 0) return;
      used.add(best);
      found++;
      const previous = last.get(k);
      if (previous && previous.t === t - 1) {
        pairs++;
        if (previous.id === ids[t][best]) same++; else switches++;
      } else if (previous && previous.id !== ids[t][best]) switches++;
      last.set(k, { t, id: ids[t][best] });
    });
  });
  return { consistency: pairs > 0 ? same / pairs : 0, switches, found, visible };
}
