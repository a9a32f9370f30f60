/**
 * Two image domains with a hidden correspondence, for image-to-image translation (lesson 05: pix2pix
 * on pairs, CycleGAN without them), deterministic by seed. Each scene is one shape of
 * datasets/shapes.ts (class, position, size, rotation) rendered twice:
 *
 * - domain X, **silhouette**: the object white on black (its anti-aliased coverage, the same in the
 *   three channels) — what a label map or a mask is in pix2pix's labels -> photo;
 * - domain Y, **scene**: the same object in a saturated warm colour (random hue from red to yellow) on a
 *   grey textured background (stripes at a random angle, or a checkerboard, random greys and period).
 *
 * The hue range matters for what L1 regression can learn: with hues all round the colour wheel, every
 * RGB channel of the object has median 0.5, so the best L1 answer (the per-pixel median) was a flat
 * grey object (0.51, 0.49, 0.50) on a grey (0.40) background — an L1-only pix2pix converged to exactly
 * that and looked constant (object IoU 0.00). Warm hues keep a saturated median (orange), so regression
 * draws the object recognisably and still cannot draw its texture or choose its colour.
 *
 * X -> Y is one-to-many (colour and texture are not in the silhouette: a regression averages them);
 * Y -> X is a function. Because the generator knows both renderings of every scene, a translation
 * can be scored on content: the object's class (a classifier), and its mask, which a fixed rule reads
 * back from either domain — `silhouetteMask` (luminance > 0.5) and `sceneObjectMask` (saturation,
 * max - min of RGB, > 0.25: the background is grey, the object saturated).
 *
 * Images NHWC float32 in [0, 1]; masks H*W uint8 {0, 1}.
 */
import { Random } from '../lib/runtime/random';
import { generateShapes, SHAPE_CLASSES, ShapeClass } from './shapes';

export interface SilhouetteScenes {
  count: number;
  /** Square image side. */
  size: number;
  /** Domain X: [count, size, size, 3], the object white on black. */
  silhouettes: Float32Array;
  /** Domain Y: [count, size, size, 3], the same object coloured on a grey texture. */
  scenes: Float32Array;
  /** [count, size * size]: 1 where the object covers at least half of the pixel. */
  masks: Uint8Array;
  /** The object's class (index into SHAPE_CLASSES). */
  labels: Int32Array;
  classNames: readonly ShapeClass[];
}

export interface SilhouetteOptions {
  count: number;
  seed: number;
  /** Square image side (default 32). */
  size?: number;
  /** Circumradius as a fraction of the side (default [0.22, 0.38]). */
  radius?: [number, number];
  /** Object hue range, fractions of the colour wheel (default [0, 0.17]: red to yellow; see the top of this file). */
  hue?: [number, number];
}

function hsvToRgb(h: number, s: number, v: number): [number, number, number] {
  const f = (n: number) => {
    const k = (n + h * 6) % 6;
    return v - v * s * Math.max(0, Math.min(k, 4 - k, 1));
  };
  return [f(5), f(3), f(1)];
}

/**
 * `count` scenes, each in both domains. The shape is drawn at twice the size and its coverage averaged
 * over 2x2 blocks (anti-aliased edges); the same options and seed always give the same data.
 */
export function silhouetteScenes(options: SilhouetteOptions): SilhouetteScenes {
  const size = options.size ?? 32;
  const { count } = options;
  const big = 2 * size;
  const shapes = generateShapes({ count, seed: options.seed, size: big, objects: 1, background: 'plain', noise: 0, radius: options.radius ?? [0.22, 0.38] });
  const rng = new Random(options.seed * 7919 + 17);
  const silhouettes = new Float32Array(count * size * size * 3);
  const scenes = new Float32Array(count * size * size * 3);
  const masks = new Uint8Array(count * size * size);
  const labels = new Int32Array(count);
  for (let n = 0; n < count; n++) {
    const object = shapes.instances[n][0];
    labels[n] = object.label;
    const [h0, h1] = options.hue ?? [0, 0.17];
    const colour = hsvToRgb(rng.uniform(h0, h1), rng.uniform(0.75, 1), rng.uniform(0.8, 1));
    const dark = rng.uniform(0.1, 0.4);
    const light = rng.uniform(0.55, 0.9);
    const period = rng.uniform(2, 5);
    const theta = rng.uniform(0, Math.PI);
    const phase = rng.uniform(0, 2 * period);
    const stripes = rng.next() < 0.6;
    const [ct, st] = [Math.cos(theta), Math.sin(theta)];
    for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) {
      let cover = 0;
      for (let dy = 0; dy < 2; dy++) for (let dx = 0; dx < 2; dx++) cover += object.mask[(2 * y + dy) * big + 2 * x + dx];
      cover /= 4;
      const t = stripes
        ? Math.floor((x * ct + y * st + phase) / period) % 2 === 0
        : (Math.floor((x + phase) / period) + Math.floor((y + phase) / period)) % 2 === 0;
      const grey = t ? dark : light;
      const p = ((n * size + y) * size + x) * 3;
      for (let c = 0; c < 3; c++) {
        silhouettes[p + c] = cover;
        scenes[p + c] = grey * (1 - cover) + colour[c] * cover;
      }
      masks[(n * size + y) * size + x] = cover >= 0.5 ? 1 : 0;
    }
  }
  return { count, size, silhouettes, scenes, masks, labels, classNames: SHAPE_CLASSES };
}

/** The object mask read from silhouette-domain images [count, size, size, 3]: mean channel >= threshold (the true mask is coverage >= 0.5). */
export function silhouetteMask(images: ArrayLike<number>, count: number, size: number, threshold = 0.5): Uint8Array {
  const out = new Uint8Array(count * size * size);
  for (let i = 0; i < out.length; i++) out[i] = (images[3 * i] + images[3 * i + 1] + images[3 * i + 2]) / 3 >= threshold ? 1 : 0;
  return out;
}

/** The object mask read from scene-domain images [count, size, size, 3]: saturation (max - min of RGB) > threshold. */
export function sceneObjectMask(images: ArrayLike<number>, count: number, size: number, threshold = 0.25): Uint8Array {
  const out = new Uint8Array(count * size * size);
  for (let i = 0; i < out.length; i++) {
    const r = images[3 * i], g = images[3 * i + 1], b = images[3 * i + 2];
    out[i] = Math.max(r, g, b) - Math.min(r, g, b) > threshold ? 1 : 0;
  }
  return out;
}
