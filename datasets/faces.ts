/**
 * Synthetic faces with named landmarks, drawn with canvas (Skia via @napi-rs/canvas), deterministic
 * by seed — the landmark lesson's data set. Each image has one face under a random translation,
 * scale and rotation, on a cluttered background (random shapes and strokes, some of them face
 * coloured) with pixel noise; the face has random skin, eye and mouth colours, eye size and mouth width.
 *
 * Landmarks (K = 7): left eye, right eye (the viewer's left/right), nose tip, left mouth corner,
 * right mouth corner, chin, forehead top. Coordinates are in the kit's frame (the centre of
 * pixel column i is x = i; lib/ops/boxes.ts), as lib/landmarks expects; `faceSize` (the face's
 * height in pixels) is the reference size for PCK.
 */
import { createCanvas } from '@napi-rs/canvas';
import { Random } from '../lib/runtime/random';
import type { Point } from '../lib/ops/boxes';

export const FACE_LANDMARKS = ['left eye', 'right eye', 'nose', 'mouth left', 'mouth right', 'chin', 'forehead'] as const;

export interface FacesDataset {
  count: number;
  height: number;
  width: number;
  /** count*H*W*3, NHWC, values in [0, 1]. */
  images: Float32Array;
  /** landmarks[n][k] = [x, y] (pixels, the kit's frame). */
  landmarks: Point[][];
  /** Face height in pixels (PCK reference size). */
  faceSize: number[];
  /** Distance between the eyes in pixels (NME normaliser). */
  interOcular: number[];
  names: readonly string[];
}

export interface FacesOptions {
  count: number;
  seed: number;
  /** Square image side (default 64). */
  size?: number;
  /** Face height as a fraction of the side: [min, max] (default [0.45, 0.75]). */
  scale?: [number, number];
  /** Rotation range in degrees, symmetric (default 30). */
  maxRotation?: number;
  /** Clutter shapes in the background: [min, max] (default [3, 8]). */
  clutter?: [number, number];
  /** Standard deviation of the pixel noise (default 0.04; triangular, which is cheaper than Gaussian). */
  noise?: number;
}

// Canonical face, in units of the face height, centred at (0, 0), y down.
const CANON: Point[] = [[-0.17, -0.08], [0.17, -0.08], [0, 0.08], [-0.14, 0.22], [0.14, 0.22], [0, 0.46], [0, -0.46]];

function rgb(c: [number, number, number]): string {
  return `rgb(${Math.round(c[0] * 255)},${Math.round(c[1] * 255)},${Math.round(c[2] * 255)})`;
}

export function generateFaces(options: FacesOptions): FacesDataset {
  const size = options.size ?? 64;
  const [smin, smax] = options.scale ?? [0.45, 0.75];
  const maxRot = ((options.maxRotation ?? 30) * Math.PI) / 180;
  const [cmin, cmax] = options.clutter ?? [3, 8];
  const noise = options.noise ?? 0.04;
  const rng = new Random(options.seed);
  const canvas = createCanvas(size, size);
  const ctx = canvas.getContext('2d');
  const images = new Float32Array(options.count * size * size * 3);
  const landmarks: Point[][] = [];
  const faceSize: number[] = [];
  const interOcular: number[] = [];
  const color = (): [number, number, number] => [rng.next(), rng.next(), rng.next()];
  const skinTone = (): [number, number, number] => { const t = rng.uniform(0.35, 1); return [t, t * rng.uniform(0.7, 0.85), t * rng.uniform(0.5, 0.7)]; };

  for (let n = 0; n < options.count; n++) {
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    // Background: a gradient, then clutter (some of it face coloured, so colour alone is not enough).
    const g = ctx.createLinearGradient(rng.uniform(0, size), 0, rng.uniform(0, size), size);
    g.addColorStop(0, rgb(color()));
    g.addColorStop(1, rgb(color()));
    ctx.fillStyle = g;
    ctx.fillRect(0, 0, size, size);
    const clutter = rng.int(cmin, cmax);
    for (let c = 0; c < clutter; c++) {
      ctx.fillStyle = rgb(rng.next() < 0.3 ? skinTone() : color());
      ctx.strokeStyle = rgb(color());
      ctx.lineWidth = rng.uniform(1, 3);
      const x = rng.uniform(0, size), y = rng.uniform(0, size), r = rng.uniform(size * 0.04, size * 0.2);
      ctx.beginPath();
      const kind = rng.int(0, 3);
      if (kind === 0) { ctx.arc(x, y, r, 0, 2 * Math.PI); ctx.fill(); }
      else if (kind === 1) { ctx.fillRect(x - r, y - r * 0.6, 2 * r, 1.2 * r); }
      else if (kind === 2) { ctx.moveTo(x, y); ctx.lineTo(x + rng.uniform(-size, size) * 0.4, y + rng.uniform(-size, size) * 0.4); ctx.stroke(); }
      else { ctx.arc(x, y, r * 0.5, 0, 2 * Math.PI); ctx.fill(); ctx.beginPath(); ctx.arc(x + r * 0.6, y, r * 0.15, 0, 2 * Math.PI); ctx.fillStyle = 'rgb(20,20,20)'; ctx.fill(); }
    }
    // The face: an affine transform of the canonical drawing.
    const h = size * rng.uniform(smin, smax);
    const angle = rng.uniform(-maxRot, maxRot);
    const margin = h * 0.5;
    const cx = rng.uniform(margin, size - margin);
    const cy = rng.uniform(margin, size - margin);
    const cos = Math.cos(angle) * h, sin = Math.sin(angle) * h;
    ctx.setTransform(cos, sin, -sin, cos, cx, cy);
    const skin = skinTone();
    ctx.fillStyle = rgb(skin);
    ctx.beginPath();
    ctx.ellipse(0, 0, 0.36, 0.5, 0, 0, 2 * Math.PI);
    ctx.fill();
    const hair = color().map((v) => v * 0.5) as [number, number, number];
    ctx.fillStyle = rgb(hair);
    ctx.beginPath();
    ctx.ellipse(0, -0.34, 0.33, 0.16, 0, Math.PI, 2 * Math.PI);
    ctx.fill();
    const eyeR = rng.uniform(0.045, 0.075);
    for (const [ex, ey] of CANON.slice(0, 2)) {
      ctx.fillStyle = 'rgb(245,245,245)';
      ctx.beginPath();
      ctx.ellipse(ex, ey, eyeR * 1.5, eyeR, 0, 0, 2 * Math.PI);
      ctx.fill();
      ctx.fillStyle = rgb(color().map((v) => v * 0.6) as [number, number, number]);
      ctx.beginPath();
      ctx.arc(ex, ey, eyeR * 0.8, 0, 2 * Math.PI);
      ctx.fill();
    }
    ctx.strokeStyle = rgb(skin.map((v) => v * 0.6) as [number, number, number]);
    ctx.lineWidth = 0.03;
    ctx.beginPath();
    ctx.moveTo(0, -0.06);
    ctx.lineTo(-0.05, CANON[2][1]);
    ctx.lineTo(0.04, CANON[2][1]);
    ctx.stroke();
    const mouthW = rng.uniform(0.8, 1.15);
    const ml: Point = [CANON[3][0] * mouthW, CANON[3][1]];
    const mr: Point = [CANON[4][0] * mouthW, CANON[4][1]];
    ctx.strokeStyle = rgb([rng.uniform(0.5, 0.9), rng.uniform(0, 0.25), rng.uniform(0.1, 0.3)]);
    ctx.lineWidth = 0.045;
    ctx.beginPath();
    ctx.moveTo(ml[0], ml[1]);
    ctx.quadraticCurveTo(0, ml[1] + rng.uniform(-0.04, 0.12), mr[0], mr[1]);
    ctx.stroke();

    const pixels = ctx.getImageData(0, 0, size, size).data;
    const base = n * size * size * 3;
    const spread = noise * Math.sqrt(6);
    for (let i = 0; i < size * size; i++) {
      for (let ch = 0; ch < 3; ch++) {
        const v = pixels[i * 4 + ch] / 255 + (rng.next() + rng.next() - 1) * spread;
        images[base + i * 3 + ch] = v < 0 ? 0 : v > 1 ? 1 : v;
      }
    }
    // Canvas coordinates put pixel i's centre at i + 0.5 (pixel edges); the kit's frame puts it at i.
    const canon: Point[] = CANON.map((p, k) => (k === 3 ? ml : k === 4 ? mr : p));
    const pts = canon.map(([u, v]): Point => [cx + cos * u - sin * v - 0.5, cy + sin * u + cos * v - 0.5]);
    landmarks.push(pts);
    faceSize.push(h);
    interOcular.push(Math.hypot(pts[1][0] - pts[0][0], pts[1][1] - pts[0][1]));
  }
  return { count: options.count, height: size, width: size, images, landmarks, faceSize, interOcular, names: FACE_LANDMARKS };
}
