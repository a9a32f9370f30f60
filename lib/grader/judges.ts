/**
 * Judges that score a value against truth only the grader holds (lib/grader/inputs.ts), for
 * questions whose answer is a model's quality rather than one right value: the kernel returns the
 * model's predictions on the grader's inputs, the judge measures them here.
 */
import { pck } from '../landmarks/metrics';
import { Point } from '../landmarks/heatmap';
import { Truth } from './inputs';
import { Value, isTensorValue } from './values';
import { Verdict } from './compare';

/** `{ pck: { alpha: 0.2, atLeast: 0.45 } }`: PCK@alpha of predicted landmarks [N][K][2] (pixel-index units). */
export type JudgeSpec = { pck: { alpha: number; atLeast: number } };

export function checkJudgeSpec(spec: unknown): JudgeSpec {
  const s = spec as JudgeSpec;
  if (!s || typeof s !== 'object' || !s.pck || typeof s.pck !== 'object') throw new Error(`unknown judge ${JSON.stringify(spec)}; known: { pck: { alpha, atLeast } }`);
  const { alpha, atLeast } = s.pck;
  if (!(alpha > 0 && alpha <= 1) || !(atLeast >= 0 && atLeast <= 1)) throw new Error(`judge pck needs 0 < alpha <= 1 and 0 <= atLeast <= 1, got ${JSON.stringify(s.pck)}`);
  return { pck: { alpha, atLeast } };
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
  const n = truth.landmarks.length;
  const k = truth.landmarks[0]?.length ?? 0;
  const points = pointsOf(value, n, k);
  if (typeof points === 'string') return { passed: false, message: points };
  if (points.some((img) => img.some((p) => !Number.isFinite(p[0]) || !Number.isFinite(p[1])))) return { passed: false, message: 'some predicted points are not finite numbers' };
  const score = pck(points, truth.landmarks, truth.faceSize, s.pck.alpha);
  const passed = score >= s.pck.atLeast;
  return { passed, message: `PCK@${s.pck.alpha} on ${n} faces the notebook had not seen: ${(100 * score).toFixed(1)}%${passed ? '' : ` (needs ${(100 * s.pck.atLeast).toFixed(0)}%)`}` };
}
