/**
 * Heatmap decoders: from a heatmap [H, W] (one landmark) back to a coordinate, in heatmap pixels
 * (multiply by the stride for image pixels). docs/reference.md ("Landmarks") gives the errors to expect.
 *   argmax       — the hottest pixel: error up to half a pixel (mean ~0.37 px at sigma 2).
 *   quarter      — argmax shifted 0.25 px toward the hotter neighbour on each axis (stacked hourglass).
 *   dark         — second-order Taylor expansion of the log-heatmap at the argmax (DARK, mmpose):
 *                  offset = -H^-1 grad; exact for a clean Gaussian.
 *   softArgmax   — expected coordinate under softmax(beta * heatmap): differentiable, needs a large beta.
 *   expectation  — sum p*x with p = heatmap / sum(heatmap): biased toward the centre near the borders.
 */
import { Point } from './heatmap';

export type Decoder = 'argmax' | 'quarter' | 'dark' | 'softArgmax' | 'expectation';

/** A heatmap channel as a function of (x, y) with bounds checks. */
interface Map2D { h: number; w: number; at(x: number, y: number): number }

function channel(data: ArrayLike<number>, h: number, w: number, k = 1, c = 0): Map2D {
  return { h, w, at: (x, y) => data[(y * w + x) * k + c] };
}

function argmax(m: Map2D): Point {
  let best = -Infinity;
  let at: Point = [0, 0];
  for (let y = 0; y < m.h; y++) for (let x = 0; x < m.w; x++) {
    const v = m.at(x, y);
    if (v > best) { best = v; at = [x, y]; }
  }
  return at;
}

function decodeChannel(m: Map2D, decoder: Decoder, beta: number): Point {
  if (decoder === 'softArgmax' || decoder === 'expectation') {
    let max = -Infinity;
    for (let y = 0; y < m.h; y++) for (let x = 0; x < m.w; x++) max = Math.max(max, m.at(x, y));
    let sum = 0, sx = 0, sy = 0;
    for (let y = 0; y < m.h; y++) for (let x = 0; x < m.w; x++) {
      const p = decoder === 'softArgmax' ? Math.exp(beta * (m.at(x, y) - max)) : Math.max(0, m.at(x, y));
      sum += p; sx += p * x; sy += p * y;
    }
    return sum > 0 ? [sx / sum, sy / sum] : argmax(m);
  }
  const [x, y] = argmax(m);
  if (decoder === 'argmax') return [x, y];
  if (decoder === 'quarter') {
    const dx = x > 0 && x < m.w - 1 ? Math.sign(m.at(x + 1, y) - m.at(x - 1, y)) : 0;
    const dy = y > 0 && y < m.h - 1 ? Math.sign(m.at(x, y + 1) - m.at(x, y - 1)) : 0;
    return [x + 0.25 * dx, y + 0.25 * dy];
  }
  // DARK: Taylor expansion of log h around the maximum (needs its 8 neighbours).
  if (x < 1 || y < 1 || x > m.w - 2 || y > m.h - 2) return [x, y];
  const L = (xx: number, yy: number) => Math.log(Math.max(m.at(xx, yy), 1e-10));
  const dx = 0.5 * (L(x + 1, y) - L(x - 1, y));
  const dy = 0.5 * (L(x, y + 1) - L(x, y - 1));
  const dxx = L(x + 1, y) - 2 * L(x, y) + L(x - 1, y);
  const dyy = L(x, y + 1) - 2 * L(x, y) + L(x, y - 1);
  const dxy = 0.25 * (L(x + 1, y + 1) - L(x + 1, y - 1) - L(x - 1, y + 1) + L(x - 1, y - 1));
  const det = dxx * dyy - dxy * dxy;
  if (!(Math.abs(det) > 1e-12)) return [x, y];
  const ox = -(dyy * dx - dxy * dy) / det;
  const oy = -(dxx * dy - dxy * dx) / det;
  return Math.abs(ox) > 1 || Math.abs(oy) > 1 ? [x, y] : [x + ox, y + oy];
}

/**
 * Decodes every channel of heatmaps [H, W, K] (flat, HWC) into K coordinates in heatmap pixels.
 * `beta` is the soft-argmax temperature (default 100).
 */
export function decodeHeatmaps(data: ArrayLike<number>, size: [number, number], channels: number, decoder: Decoder = 'dark', beta = 100): Point[] {
  const [h, w] = size;
  return Array.from({ length: channels }, (_, c) => decodeChannel(channel(data, h, w, channels, c), decoder, beta));
}
