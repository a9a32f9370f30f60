/**
 * Pictures of segmentations for lesson 04, as RawImages for lib/display (showGrid, annotate): label
 * maps in class colours, instance masks over an image, and a grid's cells drawn for the RoI operators.
 */
import type { RawImage } from '../display/image';
import { instanceColor } from './panoptic';

/** Colours of the scene classes: sky, ground, wall, then the five shapes. */
export const SCENE_PALETTE: [number, number, number][] = [
  [0.55, 0.75, 1], [0.45, 0.3, 0.15], [0.7, 0.3, 0.3], [1, 0.2, 0.2], [0.2, 0.85, 0.2], [0.2, 0.4, 1], [1, 0.85, 0.1], [0.9, 0.2, 0.9],
];

/** A label map (H * W class indices) in `palette`'s colours; labels outside the palette (void) black. */
export function labelImage(labels: ArrayLike<number>, height: number, width: number, palette = SCENE_PALETTE): RawImage {
  const data = new Float32Array(height * width * 3);
  for (let p = 0; p < height * width; p++) data.set(palette[labels[p]] ?? [0, 0, 0], p * 3);
  return { height, width, channels: 3, data };
}

/**
 * Masks (H * W {0, 1} each) over an RGB image: each mask blended in its colour (`alpha`, default 0.55;
 * later masks on top), the rest of the image dimmed to `dim` (default 0.6; 1 keeps it).
 */
export function overlayMasks(image: RawImage, masks: ArrayLike<number>[], colors: [number, number, number][] = masks.map((_, i) => instanceColor(i + 1)), alpha = 0.55, dim = 0.6): RawImage {
  const { height, width } = image;
  const data = new Float32Array(height * width * 3);
  for (let p = 0; p < height * width; p++) for (let c = 0; c < 3; c++) data[p * 3 + c] = image.data[p * image.channels + (image.channels === 1 ? 0 : c)] * dim;
  masks.forEach((m, i) => {
    for (let p = 0; p < height * width; p++) if (m[p]) for (let c = 0; c < 3; c++) data[p * 3 + c] = (1 - alpha) * image.data[p * image.channels + (image.channels === 1 ? 0 : c)] + alpha * colors[i][c];
  });
  return { height, width, channels: 3, data };
}

/** A map of values in [0, 1] (H * W) as a grey image. */
export function greyImage(values: ArrayLike<number>, height: number, width: number): RawImage {
  return { height, width, channels: 1, data: Float32Array.from(values) };
}

/** An image upscaled by `factor` (nearest), with the lines of a `stride`-pixel grid (before upscaling) drawn in `color`. */
export function withGrid(image: RawImage, stride: number, factor: number, color: [number, number, number] = [1, 1, 1]): RawImage {
  const h = image.height * factor, w = image.width * factor;
  const data = new Float32Array(h * w * 3);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
    const src = (Math.floor(y / factor) * image.width + Math.floor(x / factor)) * image.channels;
    const line = (x % (stride * factor) === 0) || (y % (stride * factor) === 0);
    for (let c = 0; c < 3; c++) data[(y * w + x) * 3 + c] = line ? color[c] : image.data[src + (image.channels === 1 ? 0 : c)];
  }
  return { height: h, width: w, channels: 3, data };
}
