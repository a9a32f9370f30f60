/**
 * Synthetic scenes for segmentation (lesson 04): the shapes of datasets/shapes.ts ("things", each
 * an instance) in front of "stuff" regions with labels of their own — sky above a horizon, ground
 * below it, and often a brick wall standing on the ground — and a moving-shapes video over one
 * such scene. Deterministic by seed.
 *
 * Labels: `semantic[n * H * W + p]` is the class of pixel p of image n: 0 sky, 1 ground, 2 wall
 * (stuff), 3 + shape label for a pixel an object owns (things; SHAPE_CLASSES order). `stuff` is the
 * stuff class under the objects. Instances (class, box, mask, keypoints) are the shapes generator's,
 * in the kit's pixel frame (lib/ops/boxes.ts). Images NHWC float32 in [0, 1].
 */
import { Random } from '../lib/runtime/random';
import { SHAPE_CLASSES, ShapeClass, ShapeInstance, ShapePlacement, placeShape, drawShape, instancesFromOwner, addPixelNoise, hsvToRgb } from './shapes';

export const STUFF_CLASSES = ['sky', 'ground', 'wall'] as const;
export type StuffClass = (typeof STUFF_CLASSES)[number];
/** Every semantic class: the stuff classes, then the things (shape classes). */
export const SCENE_CLASSES = [...STUFF_CLASSES, ...SHAPE_CLASSES] as const;
/** The semantic class of shape label `l` is THING_OFFSET + l. */
export const THING_OFFSET = STUFF_CLASSES.length;

export interface SceneOptions {
  count: number;
  seed: number;
  /** Square image side (default 64). */
  size?: number;
  /** Objects per image: a number or [min, max] (default [1, 4]). */
  objects?: number | [number, number];
  /** Circumradius as a fraction of the side (default [0.1, 0.2]). */
  radius?: [number, number];
  /** Std of the per-pixel noise (default 0.03). */
  noise?: number;
  /** Probability that a scene has a wall (default 0.8). */
  wallProbability?: number;
}

export interface SceneDataset {
  count: number;
  height: number;
  width: number;
  /** count*H*W*3, NHWC, in [0, 1]. */
  images: Float32Array;
  /** count*H*W semantic class per pixel (see the top of this file). */
  semantic: Uint8Array;
  /** count*H*W stuff class per pixel, as if there were no objects. */
  stuff: Uint8Array;
  /** The objects of each image, in drawing order (later ones occlude earlier ones). */
  instances: ShapeInstance[][];
  classNames: readonly string[];
  stuffNames: readonly StuffClass[];
  thingNames: readonly ShapeClass[];
}

/** One scene's stuff layout and textures: everything needed to paint it again (the video repaints its first). */
interface StuffLayout {
  horizon: number;
  slope: number;
  wall: [number, number, number] | null; // x from, x to, top y
  sky: [number[], number[]];
  ground: [number[], number[]];
  wallColors: [number[], number[]];
  brick: number;
  grain: Float32Array;
}

function drawLayout(rng: Random, size: number, wallProbability: number): StuffLayout {
  const horizon = rng.uniform(0.35, 0.65) * size;
  const slope = rng.uniform(-0.15, 0.15);
  let wall: StuffLayout['wall'] = null;
  if (rng.next() < wallProbability) {
    const width = rng.uniform(0.25, 0.5) * size;
    const x0 = rng.uniform(-0.1 * size, size - 0.9 * width);
    wall = [x0, x0 + width, rng.uniform(0.05, 0.3) * size];
  }
  const skyTop = hsvToRgb(rng.uniform(0.52, 0.68), rng.uniform(0.3, 0.7), rng.uniform(0.55, 0.85));
  const skyLow = hsvToRgb(rng.uniform(0.5, 0.6), rng.uniform(0.05, 0.3), rng.uniform(0.8, 1));
  const groundA = hsvToRgb(rng.uniform(0.06, 0.36), rng.uniform(0.4, 0.85), rng.uniform(0.25, 0.55));
  const groundB = groundA.map((v) => Math.min(1, Math.max(0, v + rng.uniform(-0.15, 0.15))));
  const brick = hsvToRgb(rng.uniform(0, 0.08), rng.uniform(0.1, 0.7), rng.uniform(0.35, 0.7));
  const mortar = brick.map((v) => Math.min(1, v + 0.3));
  const grain = new Float32Array(size * size);
  for (let i = 0; i < grain.length; i++) grain[i] = rng.next();
  return { horizon, slope, wall, sky: [skyTop, skyLow], ground: [groundA, groundB], wallColors: [brick, mortar], brick: rng.int(4, 6), grain };
}

/** The stuff class of pixel (x, y) (pixel centres at x + 0.5 in the canvas frame used here). */
function stuffAt(l: StuffLayout, x: number, y: number, size: number): number {
  const px = x + 0.5, py = y + 0.5;
  const horizonY = l.horizon + l.slope * (px - size / 2);
  if (l.wall && px >= l.wall[0] && px < l.wall[1] && py >= l.wall[2] && py < horizonY + 2) return 2;
  return py < horizonY ? 0 : 1;
}

/** Paints the layout into image `offset` and writes the stuff classes into `stuff` at `at`. */
function paintStuff(l: StuffLayout, images: Float32Array, offset: number, stuff: Uint8Array, at: number, size: number): void {
  for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) {
    const cls = stuffAt(l, x, y, size);
    stuff[at + y * size + x] = cls;
    let color: number[];
    if (cls === 0) {
      const t = Math.min(1, Math.max(0, y / Math.max(1, l.horizon)));
      color = l.sky[0].map((v, c) => v * (1 - t) + l.sky[1][c] * t);
    } else if (cls === 1) {
      const t = l.grain[y * size + x];
      color = l.ground[0].map((v, c) => v * (1 - t) + l.ground[1][c] * t);
    } else {
      const row = Math.floor(y / l.brick);
      const joint = y % l.brick === 0 || (x + (row % 2) * l.brick) % (2 * l.brick) === 0;
      color = joint ? l.wallColors[1] : l.wallColors[0];
    }
    const p = offset + (y * size + x) * 3;
    for (let c = 0; c < 3; c++) images[p + c] = color[c];
  }
}

/** The base colour of a stuff class in a layout (what an object's colour must stand out from). */
function baseColor(l: StuffLayout, cls: number): number[] {
  return cls === 0 ? l.sky[1] : cls === 1 ? l.ground[0] : l.wallColors[0];
}

/** Semantic labels of image n from its stuff and its instances' masks (later masks win, as drawn). */
function writeSemantic(semantic: Uint8Array, stuff: Uint8Array, at: number, list: ShapeInstance[], pixels: number): void {
  for (let p = 0; p < pixels; p++) semantic[at + p] = stuff[at + p];
  for (const inst of list) for (let p = 0; p < pixels; p++) if (inst.mask[p]) semantic[at + p] = THING_OFFSET + inst.label;
}

/** A placement whose colour stands out from the stuff under its centre. */
function placeInScene(rng: Random, l: StuffLayout, size: number, radius: [number, number]): ShapePlacement {
  // The position is drawn first (placeShape's colour needs the background there): draw with a
  // throw-away background, then redraw the colour against the stuff at the centre.
  const s = placeShape(rng, size, SHAPE_CLASSES.map((_, i) => i), radius, [0.5, 0.5, 0.5]);
  const under = baseColor(l, stuffAt(l, Math.min(size - 1, Math.floor(s.cx)), Math.min(size - 1, Math.floor(s.cy)), size));
  return { ...s, color: sceneObjectColor(under, rng) };
}

const luminance = (c: number[]) => 0.299 * c[0] + 0.587 * c[1] + 0.114 * c[2];

function sceneObjectColor(background: number[], rng: Random): [number, number, number] {
  for (let attempt = 0; ; attempt++) {
    const color = hsvToRgb(rng.next(), rng.uniform(0.6, 1), rng.uniform(0.4, 1));
    const distance = Math.hypot(color[0] - background[0], color[1] - background[1], color[2] - background[2]);
    if ((Math.abs(luminance(color) - luminance(background)) > 0.2 && distance > 0.35) || attempt > 30) return color;
  }
}

function emptyScenes(count: number, size: number): SceneDataset {
  return {
    count, height: size, width: size, images: new Float32Array(count * size * size * 3), semantic: new Uint8Array(count * size * size),
    stuff: new Uint8Array(count * size * size), instances: [], classNames: SCENE_CLASSES, stuffNames: STUFF_CLASSES, thingNames: SHAPE_CLASSES,
  };
}

/** `count` scenes; the same options and seed always give the same data. */
export function generateScenes(options: SceneOptions): SceneDataset {
  const size = options.size ?? 64;
  const objects = options.objects ?? [1, 4];
  const radius = options.radius ?? [0.1, 0.2];
  const rng = new Random(options.seed);
  const out = emptyScenes(options.count, size);
  const owner = new Int16Array(size * size);
  for (let n = 0; n < options.count; n++) {
    const layout = drawLayout(rng, size, options.wallProbability ?? 0.8);
    const offset = n * size * size * 3, at = n * size * size;
    paintStuff(layout, out.images, offset, out.stuff, at, size);
    const count = typeof objects === 'number' ? objects : rng.int(objects[0], objects[1]);
    owner.fill(-1);
    const drawn = Array.from({ length: count }, (_, k) => drawShape(out.images, offset, size, placeInScene(rng, layout, size, radius), owner, k));
    const list = instancesFromOwner(drawn, owner, size);
    addPixelNoise(out.images, offset, size, options.noise ?? 0.03, rng);
    writeSemantic(out.semantic, out.stuff, at, list, size * size);
    out.instances.push(list);
  }
  return out;
}

export interface SceneVideoOptions {
  seed: number;
  frames: number;
  size?: number;
  /** Objects (tracks) in the video: a number or [min, max] (default [2, 4]). */
  objects?: number | [number, number];
  radius?: [number, number];
  /** Speed in pixels per frame: [min, max] (default [0.6, 1.6]). */
  speed?: [number, number];
  noise?: number;
}

export interface SceneVideo extends SceneDataset {
  /** instances[t][k] is track k in frame t (its mask is empty while it is hidden). */
  tracks: number;
}

/**
 * A moving-shapes video: one scene's stuff, and objects that move at constant speed, bounce off the
 * borders, turn slowly and pass in front of each other (drawing order fixed: track k hides tracks
 * below k). Frame t is image t; instances[t][k] is track k. Fresh pixel noise in every frame.
 */
export function generateSceneVideo(options: SceneVideoOptions): SceneVideo {
  const size = options.size ?? 64;
  const radius = options.radius ?? [0.1, 0.2];
  const [vMin, vMax] = options.speed ?? [0.6, 1.6];
  const rng = new Random(options.seed);
  const layout = drawLayout(rng, size, 1);
  const objects = options.objects ?? [2, 4];
  const tracks = typeof objects === 'number' ? objects : rng.int(objects[0], objects[1]);
  const moving = Array.from({ length: tracks }, () => {
    const s = placeInScene(rng, layout, size, radius);
    const heading = rng.uniform(0, 2 * Math.PI), speed = rng.uniform(vMin, vMax);
    return { s, vx: speed * Math.cos(heading), vy: speed * Math.sin(heading), spin: s.className === 'circle' ? 0 : rng.uniform(-0.05, 0.05) };
  });
  const out: SceneVideo = { ...emptyScenes(options.frames, size), tracks };
  const owner = new Int16Array(size * size);
  for (let t = 0; t < options.frames; t++) {
    const offset = t * size * size * 3, at = t * size * size;
    paintStuff(layout, out.images, offset, out.stuff, at, size);
    owner.fill(-1);
    const drawn = moving.map((m, k) => drawShape(out.images, offset, size, m.s, owner, k));
    const list = instancesFromOwner(drawn, owner, size);
    addPixelNoise(out.images, offset, size, options.noise ?? 0.03, rng);
    writeSemantic(out.semantic, out.stuff, at, list, size * size);
    out.instances.push(list);
    for (const m of moving) {
      const margin = m.s.radius * 0.9;
      let cx = m.s.cx + m.vx, cy = m.s.cy + m.vy;
      if (cx < margin || cx > size - margin) { m.vx = -m.vx; cx = Math.min(size - margin, Math.max(margin, cx)); }
      if (cy < margin || cy > size - margin) { m.vy = -m.vy; cy = Math.min(size - margin, Math.max(margin, cy)); }
      m.s = { ...m.s, cx, cy, angle: m.s.angle + m.spin };
    }
  }
  return out;
}
