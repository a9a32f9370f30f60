/**
 * Pictures from tensors: PNG encoding through @napi-rs/canvas (prebuilt Skia from npm; node-canvas
 * would need system cairo and a download), image grids with captions, heatmap overlays.
 *
 * An "image" here is a tensor [H, W], [H, W, 1], [H, W, 3] or [1, H, W, C], or a plain
 * `RawImage`. Float values are shown over [0, 1] unless `range` says otherwise ('auto' stretches
 * min..max). Nothing here keeps tensors: inputs are read, never disposed.
 */
import * as tf from '@tensorflow/tfjs';
import { createCanvas, SKRSContext2D } from '@napi-rs/canvas';
import { applyColormap, ColormapName } from './colormap';
import { display } from './kernel';
import { font, registerKitFonts } from './fonts';

export interface RawImage {
  height: number;
  width: number;
  /** 1 (grey) or 3 (RGB). */
  channels: number;
  /** height*width*channels, HWC. */
  data: ArrayLike<number>;
}

export type ImageLike = tf.Tensor | RawImage;
export type Range = [number, number] | 'auto';

/** Reads an image-like value into a RawImage (no tensors kept). */
export function toRawImage(image: ImageLike): RawImage {
  if (!(image instanceof tf.Tensor)) return image;
  let shape = image.shape;
  if (shape.length === 4) {
    if (shape[0] !== 1) throw new Error(`toRawImage: expected one image, got batch of ${shape[0]}`);
    shape = shape.slice(1);
  }
  if (shape.length === 2) shape = [...shape, 1];
  if (shape.length !== 3 || (shape[2] !== 1 && shape[2] !== 3)) throw new Error(`toRawImage: cannot show a tensor of shape [${image.shape}]`);
  return { height: shape[0], width: shape[1], channels: shape[2], data: image.dataSync() };
}

/** RGBA bytes of an image, values mapped from `range` to 0..255. */
export function toRgba(image: RawImage, range: Range = [0, 1]): Uint8ClampedArray {
  const { height, width, channels, data } = image;
  let [lo, hi] = range === 'auto' ? [Infinity, -Infinity] : range;
  if (range === 'auto') {
    for (let i = 0; i < data.length; i++) { lo = Math.min(lo, data[i]); hi = Math.max(hi, data[i]); }
  }
  const scale = hi > lo ? 255 / (hi - lo) : 0;
  const out = new Uint8ClampedArray(height * width * 4);
  for (let p = 0; p < height * width; p++) {
    for (let c = 0; c < 3; c++) out[p * 4 + c] = (data[p * channels + (channels === 1 ? 0 : c)] - lo) * scale;
    out[p * 4 + 3] = 255;
  }
  return out;
}

function drawImage(ctx: SKRSContext2D, image: RawImage, x: number, y: number, scale: number, range: Range): void {
  const rgba = toRgba(image, range);
  const src = createCanvas(image.width, image.height);
  const sctx = src.getContext('2d');
  const imageData = sctx.createImageData(image.width, image.height);
  imageData.data.set(rgba);
  sctx.putImageData(imageData, 0, 0);
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(src, x, y, image.width * scale, image.height * scale);
}

export interface PngOptions {
  /** Integer upscaling with nearest-neighbour pixels (default: to about 128 px wide). */
  scale?: number;
  range?: Range;
}

function defaultScale(width: number): number {
  return Math.max(1, Math.round(128 / width));
}

/** One image as PNG bytes. */
export function toPng(image: ImageLike, options: PngOptions = {}): Buffer {
  const raw = toRawImage(image);
  const scale = options.scale ?? defaultScale(raw.width);
  const canvas = createCanvas(raw.width * scale, raw.height * scale);
  drawImage(canvas.getContext('2d'), raw, 0, 0, scale, options.range ?? [0, 1]);
  return canvas.toBuffer('image/png');
}

export interface GridOptions extends PngOptions {
  /** Columns (default: up to 8). */
  columns?: number;
  /** One caption under each image. */
  captions?: string[];
  /** A title above the grid. */
  title?: string;
  /** Per-image range (e.g. 'auto' for filters); overrides `range`. */
  ranges?: Range[];
  /** Per-image boxes and points drawn over the cells (see `annotate`). */
  annotations?: (Annotations | undefined)[];
}

/** A grid of images with captions, as PNG bytes. Images may differ in size; cells fit the largest. */
export function imageGrid(images: ImageLike[], options: GridOptions = {}): Buffer {
  if (images.length === 0) throw new Error('imageGrid: no images');
  const raws = images.map(toRawImage);
  const maxW = Math.max(...raws.map((r) => r.width));
  const maxH = Math.max(...raws.map((r) => r.height));
  const scale = options.scale ?? Math.max(1, Math.round(defaultScale(maxW) / (raws.length > 16 ? 2 : 1)));
  const columns = options.columns ?? Math.min(8, raws.length);
  const rows = Math.ceil(raws.length / columns);
  const pad = 4;
  const captionH = options.captions ? 14 : 0;
  const titleH = options.title ? 20 : 0;
  const cellW = Math.max(maxW * scale, options.captions ? 40 : 0);
  const cellH = maxH * scale + captionH;
  registerKitFonts();
  const canvas = createCanvas(columns * (cellW + pad) + pad, titleH + rows * (cellH + pad) + pad);
  const ctx = canvas.getContext('2d');
  ctx.fillStyle = '#ffffff';
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  ctx.fillStyle = '#000000';
  if (options.title) {
    ctx.font = font(13, 'bold');
    ctx.fillText(options.title, pad, 15);
  }
  ctx.font = font(11);
  raws.forEach((raw, i) => {
    const x = pad + (i % columns) * (cellW + pad);
    const y = titleH + pad + Math.floor(i / columns) * (cellH + pad);
    drawImage(ctx, raw, x + (cellW - raw.width * scale) / 2, y, scale, options.ranges?.[i] ?? options.range ?? [0, 1]);
    const notes = options.annotations?.[i];
    if (notes) drawAnnotations(ctx, notes, x + (cellW - raw.width * scale) / 2, y, scale);
    ctx.font = font(11);
    const caption = options.captions?.[i];
    if (caption) {
      ctx.fillStyle = '#000000';
      const text = caption.length > 24 ? caption.slice(0, 23) + '…' : caption;
      ctx.fillText(text, x, y + maxH * scale + 11, cellW);
    }
  });
  return canvas.toBuffer('image/png');
}

/** A heatmap (values [H, W], shown over `range`) coloured by a colormap, as a RawImage. */
export function colorize(heatmap: ImageLike, colormapName: ColormapName = 'jet', range: Range = 'auto'): RawImage {
  const raw = toRawImage(heatmap);
  let [lo, hi] = range === 'auto' ? [Infinity, -Infinity] : range;
  const values = new Float32Array(raw.height * raw.width);
  for (let i = 0; i < values.length; i++) values[i] = raw.data[i * raw.channels];
  if (range === 'auto') for (const v of values) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
  const span = hi > lo ? hi - lo : 1;
  for (let i = 0; i < values.length; i++) values[i] = (values[i] - lo) / span;
  return { height: raw.height, width: raw.width, channels: 3, data: applyColormap(values, colormapName) };
}

/**
 * A heatmap over an image: out = (1 - alpha) * image + alpha * colormap(heatmap). The heatmap is
 * resized bilinearly to the image if needed. Image values in [0, 1].
 */
export function overlayHeatmap(image: ImageLike, heatmap: ImageLike, options: { alpha?: number; colormap?: ColormapName; range?: Range } = {}): RawImage {
  const base = toRawImage(image);
  let heat = toRawImage(heatmap);
  if (heat.height !== base.height || heat.width !== base.width) {
    const resized = tf.tidy(() => tf.image.resizeBilinear(tf.tensor3d(Float32Array.from(heat.data), [heat.height, heat.width, heat.channels]), [base.height, base.width], false, true));
    heat = toRawImage(resized);
    resized.dispose();
  }
  const colored = colorize(heat, options.colormap ?? 'jet', options.range ?? 'auto');
  const alpha = options.alpha ?? 0.5;
  const data = new Float32Array(base.height * base.width * 3);
  for (let p = 0; p < base.height * base.width; p++) {
    for (let c = 0; c < 3; c++) {
      const v = base.data[p * base.channels + (base.channels === 1 ? 0 : c)];
      data[p * 3 + c] = (1 - alpha) * v + alpha * colored.data[p * 3 + c];
    }
  }
  return { height: base.height, width: base.width, channels: 3, data };
}

/** Shows PNG bytes in the notebook (or writes them outside one; see display/kernel.ts). */
export function showPng(png: Buffer): void {
  display({ 'image/png': png });
}

/** Shows one image. */
export function showImage(image: ImageLike, options: PngOptions = {}): void {
  showPng(toPng(image, options));
}

/** Shows a grid of images with captions. */
export function showGrid(images: ImageLike[], options: GridOptions = {}): void {
  showPng(imageGrid(images, options));
}

export interface Annotations {
  /** [x1, y1, x2, y2] in image pixels (the frame `units` names). */
  boxes?: [number, number, number, number][];
  /** A label drawn at each box's corner. */
  labels?: string[];
  /** Points [x, y] in image pixels, drawn as dots. */
  points?: [number, number][];
  /** CSS colours, one per box (default cycles a palette). */
  colors?: string[];
  /** CSS colours, one per point (default red with a white rim). */
  pointColors?: string[];
  /**
   * The frame of `boxes` and `points`: 'index' (default), the kit's (x = i is the centre of pixel
   * column i: lib/ops/boxes.ts, every data set and decoder of the kit); 'edges', x = 0 is the left
   * edge of the image (COCO, torchvision, a canvas).
   */
  units?: 'index' | 'edges';
  /** The frame of `points` only, overriding `units` (kept for notebooks that name it). */
  pointUnits?: 'index' | 'edges';
}

const ANNOTATION_COLORS = ['#ff3b30', '#34c759', '#007aff', '#ffcc00', '#af52de', '#ff9500', '#5ac8fa'];

/** Draws boxes, labels and points (image pixel units) at offset (x0, y0) with `scale`. */
function drawAnnotations(ctx: SKRSContext2D, annotations: Annotations, x0: number, y0: number, scale: number): void {
  // The canvas works in pixel edges: the kit's frame is shifted by half a pixel.
  const boxShift = (annotations.units ?? 'index') === 'index' ? 0.5 : 0;
  const shift = (annotations.pointUnits ?? annotations.units ?? 'index') === 'index' ? 0.5 : 0;
  ctx.save();
  ctx.translate(x0, y0);
  ctx.lineWidth = 2;
  ctx.font = font(11, 'bold');
  (annotations.boxes ?? []).map((b) => b.map((v) => v + boxShift)).forEach(([x1, y1, x2, y2], i) => {
    const color = annotations.colors?.[i] ?? ANNOTATION_COLORS[i % ANNOTATION_COLORS.length];
    ctx.strokeStyle = color;
    ctx.strokeRect(x1 * scale, y1 * scale, (x2 - x1) * scale, (y2 - y1) * scale);
    const label = annotations.labels?.[i];
    if (label) {
      ctx.fillStyle = color;
      ctx.fillRect(x1 * scale, Math.max(0, y1 * scale - 13), ctx.measureText(label).width + 4, 13);
      ctx.fillStyle = '#000';
      ctx.fillText(label, x1 * scale + 2, Math.max(10, y1 * scale - 3));
    }
  });
  (annotations.points ?? []).forEach(([px, py], i) => {
    const x = px + shift, y = py + shift;
    ctx.fillStyle = '#ffffff';
    ctx.beginPath(); ctx.arc(x * scale, y * scale, 3.5, 0, 2 * Math.PI); ctx.fill();
    ctx.fillStyle = annotations.pointColors?.[i] ?? '#ff2d55';
    ctx.beginPath(); ctx.arc(x * scale, y * scale, 2.2, 0, 2 * Math.PI); ctx.fill();
  });
  ctx.restore();
}

/** An image with boxes, labels and points drawn over it, upscaled, as PNG bytes. */
export function annotate(image: ImageLike, annotations: Annotations, options: PngOptions = {}): Buffer {
  const raw = toRawImage(image);
  const scale = options.scale ?? defaultScale(raw.width) * 2;
  registerKitFonts();
  const canvas = createCanvas(raw.width * scale, raw.height * scale);
  const ctx = canvas.getContext('2d');
  drawImage(ctx, raw, 0, 0, scale, options.range ?? [0, 1]);
  drawAnnotations(ctx, annotations, 0, 0, scale);
  return canvas.toBuffer('image/png');
}

/**
 * Image `k` of a batch tensor ([N, H, W] maps or [N, H, W, C] images) as a RawImage, optionally
 * stretched to [0, 1]; reads the values and keeps no tensor (safe to call in a loop).
 */
export function imageFromBatch(batch: tf.Tensor, k: number, options: { normalize?: boolean } = {}): RawImage {
  const one = tf.tidy(() => {
    const t = batch.rank === 3 ? batch.slice([k, 0, 0], [1, -1, -1]).squeeze([0]) : batch.slice([k, 0, 0, 0], [1, -1, -1, -1]).squeeze([0]);
    return options.normalize ? t.sub(t.min()).div(t.max().sub(t.min()).add(1e-7)) : t;
  });
  const raw = toRawImage(one);
  one.dispose();
  return raw;
}
