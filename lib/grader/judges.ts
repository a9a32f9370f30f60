/**
 * Judges that score a value against truth only the grader holds (lib/grader/inputs.ts), for
 * questions whose answer is a model's quality rather than one right value: the kernel returns the
 * model's predictions on the grader's inputs, the judge measures them here.
 */
import { pck } from '../landmarks/metrics';
import { maskIou } from '../ops/boxes';
import { Point } from '../landmarks/heatmap';
import { Truth } from './inputs';
import { Value, isTensorValue } from './values';
import { Verdict } from './compare';

/**
 * `{ pck: { alpha: 0.2, atLeast: 0.45 } }`: PCK@alpha of predicted landmarks [N][K][2] (pixel-index
 * units), on faces; `{ maskIoU: { atLeast: 0.7 } }`: mean IoU of predicted masks [N, H, W] (values > 0.5
 * are inside) with the instance masks, on shapes.
 */
export type JudgeSpec = { pck: { alpha: number; atLeast: number } } | { maskIoU: { atLeast: number } };

export function checkJudgeSpec(spec: unknown): JudgeSpec {
  const s = spec as Record<string, Record<string, number>>;
  if (s && typeof s === 'object' && s.pck && typeof s.pck === 'object') {
    const { alpha, atLeast } = s.pck;
    if (!(alpha > 0 && alpha <= 1) || !(atLeast >= 0 && atLeast <= 1)) throw new Error(`judge pck needs 0 < alpha <= 1 and 0 <= atLeast <= 1, got ${JSON.stringify(s.pck)}`);
    return { pck: { alpha, atLeast } };
  }
  if (s && typeof s === 'object' && s.maskIoU && typeof s.maskIoU === 'object') {
    const { atLeast } = s.maskIoU;
    if (!(atLeast >= 0 && atLeast <= 1)) throw new Error(`judge maskIoU needs 0 <= atLeast <= 1, got ${JSON.stringify(s.maskIoU)}`);
    return { maskIoU: { atLeast } };
  }
  throw new Error(`unknown judge ${JSON.stringify(spec)}; known: { pck: { alpha, atLeast } }, { maskIoU: { atLeast } }`);
}

/** Mean IoU of masks (> 0.5 inside) against 0/1 truth masks (never empty: each image holds a shape) of `n` images of `size` x `size`, or a reason. */
function meanMaskIoU(value: Value, truth: Uint8Array, n: number, size: number): number | string {
  let flat: ArrayLike<number>;
  if (isTensorValue(value)) flat = value.data;
  else if (ArrayBuffer.isView(value)) flat = value as unknown as ArrayLike<number>;
  else if (Array.isArray(value)) {
    const out: number[] = [];
    const walk = (v: Value): boolean => { if (typeof v === 'number') { out.push(v); return true; } return Array.isArray(v) && v.every(walk); };
    if (!walk(value)) return 'expected masks as numbers';
    flat = out;
  } else return 'expected masks [N, H, W] as a tensor or nested arrays';
  if (flat.length !== n * size * size) return `expected ${n} masks of ${size}x${size}, got ${flat.length} values`;
  const pixels = size * size;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const predicted = new Uint8Array(pixels);
    for (let p = 0; p < pixels; p++) predicted[p] = flat[i * pixels + p] > 0.5 ? 1 : 0;
    sum += maskIou(predicted, truth.subarray(i * pixels, (i + 1) * pixels));
  }
  return sum / n;
}

/** Landmarks [N][K][2] from a decoded value (nested arrays or a tensor), or a reason it is not that. */
function pointsOf(value: Value, n: number, k: number): Point[][] | string {
  let flat: ArrayLike<number>;
  if (isTensorValue(value)) flat = value.data;
  else if (Array.isArray(value)) {
    const out: number[] = [];
    for (const image of value) {
      if (!Array.isArray(image)) return 'expected one array of points per image';
      for (const p of image) {
        if (!Array.isArray(p) || p.length !== 2 || typeof p[0] !== 'number' || typeof p[1] !== 'number') return 'expected [x, y] points';
        out.push(p[0], p[1]);
      }
    }
    flat = out;
  } else return 'expected landmarks as [N][K][2] arrays or a tensor';
  if (flat.length !== n * k * 2) return `expected ${n} x ${k} points, got ${flat.length / 2}`;
  return Array.from({ length: n }, (_, i) => Array.from({ length: k }, (_, j) => [flat[(i * k + j) * 2], flat[(i * k + j) * 2 + 1]] as Point));
}

/** The verdict of `judge` on `value` given the input's truth. */
export function judge(spec: JudgeSpec, value: Value, truth: Truth): Verdict {
  const s = checkJudgeSpec(spec);
  if ('maskIoU' in s) {
    if (truth.kind !== 'shapes') return { passed: false, message: 'the maskIoU judge needs a shapes input' };
    const n = truth.masks.length / (truth.size * truth.size);
    const iou = meanMaskIoU(value, truth.masks, n, truth.size);
    if (typeof iou === 'string') return { passed: false, message: iou };
    const passed = iou >= s.maskIoU.atLeast;
    return { passed, message: `mean mask IoU on ${n} shapes the notebook had not seen: ${(100 * iou).toFixed(1)}%${passed ? '' : ` (needs ${(100 * s.maskIoU.atLeast).toFixed(0)}%)`}` };
  }
  if (truth.kind !== 'faces') return { passed: false, message: 'the pck judge needs a faces input' };
  const n = truth.landmarks.length;
  const k = truth.landmarks[0]?.length ?? 0;
  const points = pointsOf(value, n, k);
  if (typeof points === 'string') return { passed: false, message: points };
  if (points.some((img) => img.some((p) => !Number.isFinite(p[0]) || !Number.isFinite(p[1])))) return { passed: false, message: 'some predicted points are not finite numbers' };
  const { alpha, atLeast } = (s as Extract<JudgeSpec, { pck: unknown }>).pck;
  const score = pck(points, truth.landmarks, truth.faceSize, alpha);
  const passed = score >= atLeast;
  return { passed, message: `PCK@${alpha} on ${n} faces the notebook had not seen: ${(100 * score).toFixed(1)}%${passed ? '' : ` (needs ${(100 * atLeast).toFixed(0)}%)`}` };
}
