/**
 * Generated textures and style images for lesson 06 (perceptual loss and style transfer),
 * deterministic by seed. NHWC float32 in [0, 1].
 *
 * - `generateTextures`: one texture per image from eight kinds (TEXTURE_KINDS: stripes, checker, dots,
 *   waves, mosaic, strokes, grid, blobs), each with a random palette, scale and orientation; the
 *   label is the kind.
 * - `generateTextureScenes`: a shape (datasets/shapes.ts, one object, solid colour) on a texture: the
 *   images the kit's loss network learns to name (shape class and texture kind), so its filters see
 *   both layout and texture.
 * - `styleImage(name, size)`: the fixed style targets of the lesson (STYLE_NAMES: a stained-glass
 *   mosaic, swirling brush strokes, waves, pointillist dots), built from the same painters.
 */
import { Random } from '../lib/runtime/random';
import { generateShapes, SHAPE_CLASSES } from './shapes';

export const TEXTURE_KINDS = ['stripes', 'checker', 'dots', 'waves', 'mosaic', 'strokes', 'grid', 'blobs'] as const;
export type TextureKind = (typeof TEXTURE_KINDS)[number];

export const STYLE_NAMES = ['mosaic', 'strokes', 'waves', 'dots'] as const;
export type StyleName = (typeof STYLE_NAMES)[number];

type Color = [number, number, number];

/** A square RGB image (size * size * 3, HWC) being painted. */
class Canvas {
  readonly data: Float32Array;
  constructor(readonly size: number, fill: Color) {
    this.data = new Float32Array(size * size * 3);
    for (let i = 0; i < size * size; i++) this.data.set(fill, i * 3);
  }
  /** Every pixel (x, y) (pixel centres at integers) gets colour fn(x, y). */
  paint(fn: (x: number, y: number) => Color): void {
    for (let y = 0; y < this.size; y++) for (let x = 0; x < this.size; x++) this.data.set(fn(x, y), (y * this.size + x) * 3);
  }
  /** Blends `color` in with coverage `alpha` in [0, 1] at (x, y). */
  blend(x: number, y: number, color: Color, alpha: number): void {
    if (alpha <= 0 || x < 0 || y < 0 || x >= this.size || y >= this.size) return;
    const p = (y * this.size + x) * 3;
    for (let c = 0; c < 3; c++) this.data[p + c] = this.data[p + c] * (1 - alpha) + color[c] * alpha;
  }
  /** A capsule (a segment of half-width `radius` with round ends), anti-aliased over one pixel. */
  segment(x0: number, y0: number, x1: number, y1: number, radius: number, color: Color): void {
    const [dx, dy] = [x1 - x0, y1 - y0];
    const len2 = Math.max(dx * dx + dy * dy, 1e-9);
    for (let y = Math.floor(Math.min(y0, y1) - radius - 1); y <= Math.ceil(Math.max(y0, y1) + radius + 1); y++) {
      for (let x = Math.floor(Math.min(x0, x1) - radius - 1); x <= Math.ceil(Math.max(x0, x1) + radius + 1); x++) {
        const t = Math.min(1, Math.max(0, ((x - x0) * dx + (y - y0) * dy) / len2));
        const d = dist(x - (x0 + t * dx), y - (y0 + t * dy));
        this.blend(x, y, color, Math.min(1, Math.max(0, radius + 0.5 - d)));
      }
    }
  }
  addNoise(rng: Random, std: number): void {
    for (let i = 0; i < this.data.length; i++) this.data[i] = Math.min(1, Math.max(0, this.data[i] + rng.normal(0, std)));
  }
}

function hsv(h: number, s: number, v: number): Color {
  const f = (n: number) => {
    const k = (n + h * 6) % 6;
    return v - v * s * Math.max(0, Math.min(k, 4 - k, 1));
  };
  return [f(5), f(3), f(1)];
}

const mix = (a: Color, b: Color, t: number): Color => [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t, a[2] + (b[2] - a[2]) * t];
const smooth = (edge: number) => Math.min(1, Math.max(0, edge + 0.5));
const luma = (c: Color) => 0.299 * c[0] + 0.587 * c[1] + 0.114 * c[2];

/** `n` colours around a random hue, alternating dark and light so neighbours contrast. */
function randomPalette(rng: Random, n: number): Color[] {
  const hue = rng.next();
  const spread = rng.uniform(0.05, 0.5);
  return Array.from({ length: n }, (_, k) => hsv((hue + spread * k + 1) % 1, rng.uniform(0.35, 0.95), k % 2 === 0 ? rng.uniform(0.15, 0.45) : rng.uniform(0.65, 1)));
}

interface Frame { cos: number; sin: number }
const dist = (dx: number, dy: number) => Math.sqrt(dx * dx + dy * dy);
const rotated = (f: Frame, x: number, y: number): [number, number] => [x * f.cos + y * f.sin, -x * f.sin + y * f.cos];
const frame = (angle: number): Frame => ({ cos: Math.cos(angle), sin: Math.sin(angle) });

/** One texture of `kind` (size * size * 3, HWC, [0, 1]); all randomness from `rng`. */
export function paintTexture(kind: TextureKind, size: number, rng: Random, palette: Color[] = randomPalette(rng, 4)): Float32Array {
  const [c0, c1, c2, c3] = palette;
  const canvas = new Canvas(size, c0);
  const f = frame(rng.uniform(0, Math.PI));
  switch (kind) {
    case 'stripes': {
      const period = rng.uniform(4, 12);
      const duty = rng.uniform(0.3, 0.7);
      canvas.paint((x, y) => {
        const t = (((rotated(f, x, y)[0] / period) % 1) + 1) % 1;
        // distance (pixels) inside the first band, anti-aliased at both of its edges
        const inside = Math.min(t, duty - t) * period;
        return mix(c0, c1, smooth(inside));
      });
      break;
    }
    case 'checker': {
      const period = rng.uniform(4, 12);
      canvas.paint((x, y) => {
        const [u, v] = rotated(f, x, y);
        return (Math.floor(u / period) + Math.floor(v / period)) % 2 === 0 ? c0 : c1;
      });
      break;
    }
    case 'dots': {
      const spacing = rng.uniform(6, 14);
      const radius = spacing * rng.uniform(0.2, 0.4);
      const colors = [c1, c2 ?? c1, c3 ?? c1];
      canvas.paint((x, y) => {
        const [u, v] = rotated(f, x, y);
        const row = Math.floor(v / spacing);
        const shift = row % 2 === 0 ? 0 : spacing / 2;
        const col = Math.floor((u - shift) / spacing);
        const d = dist(u - shift - (col + 0.5) * spacing, v - (row + 0.5) * spacing);
        const color = colors[(((col * 7 + row * 3) % 3) + 3) % 3];
        return mix(c0, color, smooth(radius - d));
      });
      break;
    }
    case 'waves': {
      const period = rng.uniform(6, 14);
      const amplitude = rng.uniform(0.5, 2);
      const wavelength = rng.uniform(12, 30);
      canvas.paint((x, y) => {
        const [u, v] = rotated(f, x, y);
        const s = Math.sin((2 * Math.PI * u) / period + amplitude * Math.sin((2 * Math.PI * v) / wavelength));
        return s > 0.6 ? c2 ?? c1 : s > -0.2 ? c1 : c0;
      });
      break;
    }
    case 'mosaic': {
      const cell = rng.uniform(7, 14);
      const n = Math.max(4, Math.round((size / cell) ** 2));
      const seeds = Array.from({ length: n }, () => [rng.uniform(-2, size + 2), rng.uniform(-2, size + 2), rng.int(1, palette.length - 1)] as const);
      const border = rng.uniform(0.6, 1.5);
      canvas.paint((x, y) => {
        let d1 = Infinity, d2 = Infinity, k1 = 0;
        for (let k = 0; k < seeds.length; k++) {
          const d = dist(x - seeds[k][0], y - seeds[k][1]);
          if (d < d1) { d2 = d1; d1 = d; k1 = k; } else if (d < d2) d2 = d;
        }
        // (d2 - d1) / 2 is about the distance to the cell's edge
        return mix(c0, palette[seeds[k1][2]], smooth((d2 - d1) / 2 - border));
      });
      break;
    }
    case 'strokes': {
      const length = rng.uniform(4, 10);
      const width = rng.uniform(0.8, 1.8);
      const jitter = rng.uniform(0.1, 0.6);
      const count = Math.round((1.6 * size * size) / (2 * length * (2 * width + 1)));
      for (let k = 0; k < count; k++) {
        const [x, y] = [rng.uniform(-4, size + 4), rng.uniform(-4, size + 4)];
        const a = Math.atan2(f.sin, f.cos) + rng.normal(0, jitter);
        const [dx, dy] = [Math.cos(a) * length, Math.sin(a) * length];
        canvas.segment(x - dx, y - dy, x + dx, y + dy, width, palette[rng.int(1, palette.length - 1)]);
      }
      break;
    }
    case 'grid': {
      const period = rng.uniform(6, 14);
      const width = rng.uniform(0.8, 2.5);
      canvas.paint((x, y) => {
        const [u, v] = rotated(f, x, y);
        const du = Math.abs((((u / period) % 1) + 1) % 1 - 0.5) * period;
        const dv = Math.abs((((v / period) % 1) + 1) % 1 - 0.5) * period;
        const onU = smooth(width / 2 - du), onV = smooth(width / 2 - dv);
        return mix(mix(c0, c1, onU), c2 ?? c1, onV);
      });
      break;
    }
    case 'blobs': {
      // value noise on a coarse lattice, cosine-interpolated, cut into three colour levels (camouflage)
      const cell = rng.uniform(6, 16);
      const n = Math.ceil(size / cell) + 2;
      const lattice = Float32Array.from({ length: n * n }, () => rng.next());
      const at = (i: number, j: number) => lattice[Math.min(n - 1, j) * n + Math.min(n - 1, i)];
      const ease = (t: number) => (1 - Math.cos(Math.PI * t)) / 2;
      canvas.paint((x, y) => {
        const [u, v] = [x / cell, y / cell];
        const [i, j] = [Math.floor(u), Math.floor(v)];
        const [s, t] = [ease(u - i), ease(v - j)];
        const value = (at(i, j) * (1 - s) + at(i + 1, j) * s) * (1 - t) + (at(i, j + 1) * (1 - s) + at(i + 1, j + 1) * s) * t;
        return value > 0.62 ? c2 ?? c1 : value > 0.42 ? c1 : c0;
      });
      break;
    }
  }
  return canvas.data;
}

export interface TextureOptions {
  count: number;
  seed: number;
  /** Square side (default 64). */
  size?: number;
  /** Which kinds, by index into TEXTURE_KINDS (default all). */
  kinds?: number[];
  /** Std of the per-pixel noise (default 0.02). */
  noise?: number;
}

export interface TextureDataset {
  count: number;
  height: number;
  width: number;
  /** count * size * size * 3, NHWC, [0, 1]. */
  images: Float32Array;
  /** The texture kind of each image (index into TEXTURE_KINDS). */
  labels: Int32Array;
  classNames: readonly TextureKind[];
}

/** `count` textures, one kind each; the same options give the same images. */
export function generateTextures(options: TextureOptions): TextureDataset {
  const size = options.size ?? 64;
  const rng = new Random(options.seed);
  const kinds = options.kinds ?? TEXTURE_KINDS.map((_, i) => i);
  const images = new Float32Array(options.count * size * size * 3);
  const labels = new Int32Array(options.count);
  for (let n = 0; n < options.count; n++) {
    labels[n] = rng.pick(kinds);
    const canvas = { data: paintTexture(TEXTURE_KINDS[labels[n]], size, rng) };
    images.set(canvas.data, n * size * size * 3);
  }
  addNoise(images, rng, options.noise ?? 0.02);
  return { count: options.count, height: size, width: size, images, labels, classNames: TEXTURE_KINDS };
}

function addNoise(images: Float32Array, rng: Random, std: number): void {
  if (std <= 0) return;
  for (let i = 0; i < images.length; i++) images[i] = Math.min(1, Math.max(0, images[i] + rng.normal(0, std)));
}

export interface TextureSceneDataset extends TextureDataset {
  /** The shape class of each image (index into SHAPE_CLASSES). */
  shapeLabels: Int32Array;
  shapeNames: readonly string[];
}

/**
 * `count` images of one solid-coloured shape (datasets/shapes.ts: class, size, position, rotation,
 * colour) on a texture (this file: kind, palette, scale): `labels` the texture kind, `shapeLabels`
 * the shape. The loss network's training data (lib/perceptual/recipes.ts).
 */
export function generateTextureScenes(options: TextureOptions & { radius?: [number, number] }): TextureSceneDataset {
  const size = options.size ?? 64;
  const textures = generateTextures({ ...options, noise: 0 });
  const shapes = generateShapes({ count: options.count, seed: options.seed + 7919, size, objects: 1, background: 'plain', noise: 0, radius: options.radius ?? [0.2, 0.38] });
  const rng = new Random(options.seed + 104729);
  const images = textures.images;
  const plane = size * size;
  for (let n = 0; n < options.count; n++) {
    const object = shapes.instances[n][0];
    // keep the shape visible: push its colour away from the texture's mean brightness
    let mean = 0;
    for (let i = 0; i < plane; i++) mean += luma([images[(n * plane + i) * 3], images[(n * plane + i) * 3 + 1], images[(n * plane + i) * 3 + 2]]) / plane;
    const color: Color = luma(object.color) > mean ? object.color.map((v) => Math.min(1, v * 0.5 + 0.5)) as Color : object.color.map((v) => v * 0.5) as Color;
    for (let i = 0; i < plane; i++) if (object.mask[i]) images.set(color, (n * plane + i) * 3);
  }
  addNoise(images, rng, options.noise ?? 0.02);
  return { ...textures, images, shapeLabels: Int32Array.from(shapes.instances.map((o) => o[0].label)), shapeNames: SHAPE_CLASSES };
}

const STYLE_PALETTES: Record<StyleName, Color[]> = {
  // lead, then glass: ruby, cobalt, amber, emerald, violet
  mosaic: [[0.06, 0.05, 0.05], [0.75, 0.08, 0.1], [0.1, 0.25, 0.75], [0.95, 0.65, 0.1], [0.1, 0.55, 0.3], [0.45, 0.15, 0.6]],
  // night blue, then blues and yellows
  strokes: [[0.05, 0.08, 0.25], [0.15, 0.3, 0.7], [0.35, 0.55, 0.9], [0.95, 0.85, 0.25], [0.98, 0.95, 0.7], [0.1, 0.15, 0.45]],
  // deep blue, blue, light blue, foam
  waves: [[0.03, 0.1, 0.3], [0.1, 0.3, 0.6], [0.55, 0.75, 0.9], [0.96, 0.96, 0.92]],
  // cream, then red, orange, yellow, green, blue
  dots: [[0.96, 0.93, 0.82], [0.85, 0.15, 0.1], [0.95, 0.55, 0.1], [0.95, 0.85, 0.2], [0.2, 0.6, 0.25], [0.15, 0.3, 0.75]],
};

/**
 * The lesson's style target `name` as a square image (size * size * 3, HWC, [0, 1]; default 128),
 * deterministic: a stained-glass mosaic (Voronoi cells, dark lead lines), swirling brush strokes
 * (short strokes along a vortex field), layered waves, or pointillist dots on cream.
 */
export function styleImage(name: StyleName, size = 128): { height: number; width: number; channels: number; data: Float32Array } {
  const palette = STYLE_PALETTES[name];
  if (!palette) throw new Error(`styleImage: unknown style '${name}' (known: ${STYLE_NAMES.join(', ')})`);
  const rng = new Random(STYLE_NAMES.indexOf(name) + 1);
  const scale = size / 128;
  const canvas = new Canvas(size, palette[0]);
  if (name === 'mosaic') {
    const seeds = Array.from({ length: Math.round(90 * scale * scale) }, () => [rng.uniform(-4, size + 4), rng.uniform(-4, size + 4), rng.int(1, palette.length - 1)] as const);
    canvas.paint((x, y) => {
      let d1 = Infinity, d2 = Infinity, k1 = 0;
      for (let k = 0; k < seeds.length; k++) {
        const d = dist(x - seeds[k][0], y - seeds[k][1]);
        if (d < d1) { d2 = d1; d1 = d; k1 = k; } else if (d < d2) d2 = d;
      }
      const glass = palette[seeds[k1][2]];
      const shade = 0.8 + 0.2 * Math.min(1, d1 / (9 * scale)); // lighter towards the lead, as glass in light
      return mix(palette[0], glass.map((v) => Math.min(1, v * shade + 0.08)) as Color, smooth((d2 - d1) / 2 - 1.2 * scale));
    });
  } else if (name === 'strokes') {
    const centres = [[0.3, 0.35], [0.72, 0.62], [0.2, 0.8]].map(([u, v]) => [u * size, v * size]);
    const count = Math.round(2600 * scale * scale);
    for (let k = 0; k < count; k++) {
      const [x, y] = [rng.uniform(-6, size + 6), rng.uniform(-6, size + 6)];
      // direction: around the nearest vortex, so strokes swirl
      let best = 0, bestD = Infinity;
      centres.forEach(([cx, cy], i) => { const d = dist(x - cx, y - cy); if (d < bestD) { bestD = d; best = i; } });
      const a = Math.atan2(y - centres[best][1], x - centres[best][0]) + Math.PI / 2 + rng.normal(0, 0.15);
      const len = rng.uniform(3, 6) * scale;
      const near = Math.exp(-bestD / (22 * scale));
      const color = palette[near > 0.5 && rng.next() < 0.8 ? rng.int(3, 4) : rng.pick([1, 2, 5])];
      canvas.segment(x - Math.cos(a) * len, y - Math.sin(a) * len, x + Math.cos(a) * len, y + Math.sin(a) * len, rng.uniform(0.9, 1.5) * scale, color);
    }
  } else if (name === 'waves') {
    canvas.paint((x, y) => {
      const u = x / scale, v = y / scale;
      const s = Math.sin(u / 5 + 1.6 * Math.sin(v / 9) + 0.8 * Math.sin(u / 23)) + 0.35 * Math.sin(v / 2.2 + u / 7);
      return s > 0.95 ? palette[3] : s > 0.35 ? palette[2] : s > -0.4 ? palette[1] : palette[0];
    });
  } else {
    const count = Math.round(1800 * scale * scale);
    for (let k = 0; k < count; k++) {
      const [x, y] = [rng.uniform(-2, size + 2), rng.uniform(-2, size + 2)];
      canvas.segment(x, y, x, y, rng.uniform(1.2, 2.2) * scale, palette[rng.int(1, palette.length - 1)]);
    }
  }
  canvas.addNoise(rng, 0.015);
  return { height: size, width: size, channels: 3, data: canvas.data };
}
