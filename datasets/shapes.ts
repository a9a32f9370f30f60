/**
 * Synthetic "shapes": coloured geometric objects on noisy or textured backgrounds, deterministic by
 * seed. Each image comes with the class of every object, its box, its instance mask and its
 * keypoints, so the same generator serves classification (lesson 0/1), detection and segmentation
 * (lesson on instance segmentation) and keypoints (landmark lesson).
 *
 * Conventions: images are NHWC float32 in [0, 1]; masks are H*W uint8 {0, 1}; boxes, keypoints,
 * centres and radii are in pixels, in the kit's frame (lib/ops/boxes.ts: the centre of pixel column
 * i is x = i, x right, y down): a box is [x1, y1, x2, y2] = [first column - 0.5, first row - 0.5,
 * last column + 0.5, last row + 0.5]. The shapes are drawn in pixel-edge coordinates (a canvas's)
 * and converted once, here, when returned. `ops.boxToPixelEdges(box)` gives a box's integer
 * slice bounds.
 */
import { Random } from '../lib/runtime/random';
import { boxOfMask, pointFromPixelEdges, Point } from '../lib/ops/boxes';

export const SHAPE_CLASSES = ['circle', 'square', 'triangle', 'star', 'cross'] as const;
export type ShapeClass = (typeof SHAPE_CLASSES)[number];

export type Background = 'plain' | 'noise' | 'stripes' | 'checker' | 'gradient';
const TEXTURED: Background[] = ['noise', 'stripes', 'checker', 'gradient'];

export interface ShapeInstance {
  label: number;
  className: ShapeClass;
  /** [x1, y1, x2, y2] in pixels (the kit's frame), the tight box of the mask; [0, 0, 0, 0] when hidden. */
  box: [number, number, number, number];
  /** H*W, 1 where the object is visible (later objects occlude earlier ones). */
  mask: Uint8Array;
  /** Named points of the shape ([x, y], pixels, the kit's frame): vertices or tips, then the centre last. */
  keypoints: [number, number][];
  center: [number, number];
  /** Circumradius in pixels. */
  radius: number;
  /** Rotation in radians. */
  angle: number;
  color: [number, number, number];
}

export interface ShapesDataset {
  count: number;
  height: number;
  width: number;
  /** count*H*W*3, NHWC, values in [0, 1]. */
  images: Float32Array;
  /** The class of the first object drawn in each image (the only one when objects = 1). */
  labels: Int32Array;
  instances: ShapeInstance[][];
  classNames: readonly ShapeClass[];
}

export interface ShapesOptions {
  count: number;
  seed: number;
  /** Square image side (default 32). */
  size?: number;
  /** Objects per image: a number, or [min, max] (default 1). */
  objects?: number | [number, number];
  /** Which classes to draw, by index into SHAPE_CLASSES (default all). */
  classes?: number[];
  /** Background kind, or 'mixed' to pick one per image (default 'mixed'). */
  background?: Background | 'mixed';
  /** Circumradius as a fraction of the side: [min, max] (default [0.18, 0.34]). */
  radius?: [number, number];
  /** Std of the per-pixel noise added to the whole image (default 0.04). */
  noise?: number;
}

/** The outline of each class in unit coordinates (circumradius 1), as a polygon; circle is special. */
function outline(className: ShapeClass): Point[] {
  const ring = (n: number, r: number, phase: number): Point[] =>
    Array.from({ length: n }, (_, k) => [r * Math.cos(phase + (2 * Math.PI * k) / n), r * Math.sin(phase + (2 * Math.PI * k) / n)]);
  switch (className) {
    case 'circle':
      return ring(4, 1, 0);
    case 'square':
      return ring(4, 1, Math.PI / 4);
    case 'triangle':
      return ring(3, 1, -Math.PI / 2);
    case 'star': {
      const outer = ring(5, 1, -Math.PI / 2);
      const inner = ring(5, 0.42, -Math.PI / 2 + Math.PI / 5);
      return outer.flatMap((p, k) => [p, inner[k]]);
    }
    case 'cross': {
      const a = 0.95;
      const b = 0.32;
      return [[b, -a], [b, -b], [a, -b], [a, b], [b, b], [b, a], [-b, a], [-b, b], [-a, b], [-a, -b], [-b, -b], [-b, -a]];
    }
  }
}

/** Keypoints in unit coordinates: corners or tips (circle: its four compass points). */
function unitKeypoints(className: ShapeClass): Point[] {
  const poly = outline(className);
  if (className === 'star') return poly.filter((_, k) => k % 2 === 0);
  if (className === 'cross') return [[0, -0.95], [0.95, 0], [0, 0.95], [-0.95, 0]];
  return poly;
}

/** The four sub-pixel samples of each pixel's coverage (anti-aliasing). */
const COVER_SAMPLES: Point[] = [[0.25, 0.25], [0.75, 0.25], [0.25, 0.75], [0.75, 0.75]];

function insidePolygon(x: number, y: number, poly: Point[]): boolean {
  let inside = false;
  for (let i = 0, j = poly.length - 1; i < poly.length; j = i++) {
    const [xi, yi] = poly[i];
    const [xj, yj] = poly[j];
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

/** HSV in [0, 1] to RGB in [0, 1]. */
export function hsvToRgb(h: number, s: number, v: number): [number, number, number] {
  const f = (n: number) => {
    const k = (n + h * 6) % 6;
    return v - v * s * Math.max(0, Math.min(k, 4 - k, 1));
  };
  return [f(5), f(3), f(1)];
}

const luminance = (c: number[]) => 0.299 * c[0] + 0.587 * c[1] + 0.114 * c[2];

function paintBackground(img: Float32Array, offset: number, size: number, kind: Background, rng: Random): number[] {
  const base = hsvToRgb(rng.next(), rng.uniform(0, 0.6), rng.uniform(0.15, 0.9));
  const other = base.map((v) => Math.min(1, Math.max(0, v + rng.uniform(-0.25, 0.25))));
  const period = rng.int(3, 8);
  const theta = rng.uniform(0, Math.PI);
  const [ct, st] = [Math.cos(theta), Math.sin(theta)];
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      let t = 0;
      if (kind === 'stripes') t = Math.floor((x * ct + y * st) / period) % 2 === 0 ? 0 : 1;
      else if (kind === 'checker') t = (Math.floor(x / period) + Math.floor(y / period)) % 2;
      else if (kind === 'gradient') t = (x * ct + y * st) / (size * 1.5) + 0.3;
      else if (kind === 'noise') t = rng.next();
      const p = offset + (y * size + x) * 3;
      for (let c = 0; c < 3; c++) img[p + c] = base[c] * (1 - t) + other[c] * t;
    }
  }
  return base;
}

/** A colour whose luminance differs from `background`'s by more than 0.22 (after 20 tries, any). */
export function objectColor(background: number[], rng: Random): [number, number, number] {
  for (let attempt = 0; ; attempt++) {
    const color = hsvToRgb(rng.next(), rng.uniform(0.5, 1), rng.uniform(0.35, 1));
    if (Math.abs(luminance(color) - luminance(background)) > 0.22 || attempt > 20) return color;
  }
}

/** Where, how large, how turned and in what colour one shape is drawn (pixel edges: a canvas's frame). */
export interface ShapePlacement {
  label: number;
  className: ShapeClass;
  /** Centre in pixel edges (pixel i spans [i, i + 1)). */
  cx: number;
  cy: number;
  /** Circumradius in pixels. */
  radius: number;
  angle: number;
  color: [number, number, number];
}

/**
 * Draws a random shape's placement from `rng` (class from `classes`, circumradius a fraction in
 * [rMin, rMax] of `size`, centre kept 0.9 radius from the border, colour contrasting with `background`):
 * the draws, in this order, that `generateShapes` makes for each object.
 */
export function placeShape(rng: Random, size: number, classes: number[], [rMin, rMax]: [number, number], background: number[]): ShapePlacement {
  const label = rng.pick(classes);
  const className = SHAPE_CLASSES[label];
  const radius = rng.uniform(rMin, rMax) * size;
  const margin = radius * 0.9;
  const cx = rng.uniform(margin, size - margin);
  const cy = rng.uniform(margin, size - margin);
  const angle = className === 'circle' ? 0 : rng.uniform(0, 2 * Math.PI);
  const color = objectColor(background, rng);
  return { label, className, cx, cy, radius, angle, color };
}

/**
 * Paints one shape into image `offset` of `images` (size x size x 3, anti-aliased over 4 samples per
 * pixel) and marks `owner[p] = k` where it covers at least half of pixel p (later shapes occlude
 * earlier ones). Returns the instance's fields besides its mask and box, in the kit's frame.
 */
export function drawShape(images: Float32Array, offset: number, size: number, s: ShapePlacement, owner: Int16Array, k: number): Omit<ShapeInstance, 'mask' | 'box'> {
  const { className, cx, cy, radius, angle, color } = s;
  const [ca, sa] = [Math.cos(angle), Math.sin(angle)];
  const poly = outline(className);
  const toImage = ([u, v]: Point): Point => [cx + radius * (u * ca - v * sa), cy + radius * (u * sa + v * ca)];
  const inside = (px: number, py: number) => {
    const dx = (px - cx) / radius;
    const dy = (py - cy) / radius;
    const u = dx * ca + dy * sa;
    const v = -dx * sa + dy * ca;
    return className === 'circle' ? u * u + v * v <= 1 : insidePolygon(u, v, poly);
  };
  const x0 = Math.max(0, Math.floor(cx - radius));
  const x1 = Math.min(size - 1, Math.ceil(cx + radius));
  const y0 = Math.max(0, Math.floor(cy - radius));
  const y1 = Math.min(size - 1, Math.ceil(cy + radius));
  for (let y = y0; y <= y1; y++) {
    for (let x = x0; x <= x1; x++) {
      let cover = 0;
      for (const [sx, sy] of COVER_SAMPLES) if (inside(x + sx, y + sy)) cover++;
      if (cover === 0) continue;
      const alpha = cover / COVER_SAMPLES.length;
      const p = offset + (y * size + x) * 3;
      for (let c = 0; c < 3; c++) images[p + c] = images[p + c] * (1 - alpha) + color[c] * alpha;
      if (alpha >= 0.5) owner[y * size + x] = k;
    }
  }
  // Drawn in pixel edges (pixel i spans [i, i + 1)); returned in the kit's frame.
  const keypoints = [...unitKeypoints(className).map(toImage), [cx, cy] as Point].map(pointFromPixelEdges);
  return { label: s.label, className, keypoints, center: pointFromPixelEdges([cx, cy]), radius, angle, color };
}

/** The instances of one image from what `drawShape` returned and the owner map: masks and tight boxes. */
export function instancesFromOwner(drawn: Omit<ShapeInstance, 'mask' | 'box'>[], owner: Int16Array, size: number): ShapeInstance[] {
  return drawn.map((d, k) => {
    const mask = new Uint8Array(size * size);
    for (let i = 0; i < mask.length; i++) if (owner[i] === k) mask[i] = 1;
    return { ...d, mask, box: boxOfMask(mask, size) ?? [0, 0, 0, 0] };
  });
}

/** Adds N(0, noise) to every value of image `offset` (size x size x 3), clamped to [0, 1]. */
export function addPixelNoise(images: Float32Array, offset: number, size: number, noise: number, rng: Random): void {
  if (!(noise > 0)) return;
  const end = offset + size * size * 3;
  for (let p = offset; p < end; p++) images[p] = Math.min(1, Math.max(0, images[p] + rng.normal(0, noise)));
}

/** Generates `count` images; the same options and seed always give the same data. */
export function generateShapes(options: ShapesOptions): ShapesDataset {
  const size = options.size ?? 32;
  const count = options.count;
  const rng = new Random(options.seed);
  const classes = options.classes ?? SHAPE_CLASSES.map((_, i) => i);
  const radius = options.radius ?? [0.18, 0.34];
  const noise = options.noise ?? 0.04;
  const objects = options.objects ?? 1;
  const images = new Float32Array(count * size * size * 3);
  const labels = new Int32Array(count);
  const instances: ShapeInstance[][] = [];
  const owner = new Int16Array(size * size);

  for (let n = 0; n < count; n++) {
    const offset = n * size * size * 3;
    const kind = options.background == null || options.background === 'mixed'
      ? rng.pick(['plain', ...TEXTURED] as Background[])
      : options.background;
    const bg = paintBackground(images, offset, size, kind, rng);
    const numObjects = typeof objects === 'number' ? objects : rng.int(objects[0], objects[1]);
    owner.fill(-1);
    const drawn: Omit<ShapeInstance, 'mask' | 'box'>[] = [];
    for (let k = 0; k < numObjects; k++) drawn.push(drawShape(images, offset, size, placeShape(rng, size, classes, radius, bg), owner, k));
    const list = instancesFromOwner(drawn, owner, size);
    addPixelNoise(images, offset, size, noise, rng);
    instances.push(list);
    labels[n] = list.length > 0 ? list[0].label : -1;
  }
  return { count, height: size, width: size, images, labels, instances, classNames: SHAPE_CLASSES };
}
