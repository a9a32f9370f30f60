/**
 * Receptive fields computed from the layers (not guessed), and the image patches that excite a
 * channel most ("maximally activating patches", lecture: model understanding).
 *
 * For a chain of convolutions and poolings, a unit at output position i sees input pixels
 * [offset + i * stride, offset + i * stride + size - 1] (per axis), where, layer by layer,
 * size += (k - 1) * dilation * jump, offset += (0 - padBefore) * jump, jump *= layerStride
 * (Araujo et al., "Computing receptive fields of CNNs", Distill 2019). Elementwise layers
 * (batch norm, activations) do not change it.
 */
import * as tf from '@tensorflow/tfjs';
import { getLayer, runLayers } from './graph';
import { RawImage } from '../display/image';

export interface ReceptiveField {
  /** Pixels seen per axis: [height, width]. */
  size: [number, number];
  /** Input pixels between neighbouring output units: [y, x]. */
  stride: [number, number];
  /** Input coordinate of the first pixel seen by output unit 0 (negative: padding): [y, x]. */
  offset: [number, number];
}

const SPATIAL = ['Conv2D', 'DepthwiseConv2D', 'SeparableConv2D', 'MaxPooling2D', 'AveragePooling2D'];
const NEUTRAL = ['InputLayer', 'BatchNormalization', 'ReLU', 'Activation', 'Dropout', 'LeakyReLU'];

const pair = (v: number | number[] | undefined, fallback: number): [number, number] =>
  v == null ? [fallback, fallback] : typeof v === 'number' ? [v, v] : [v[0], v[1] ?? v[0]];

/** The receptive field of `layerName`'s units, for a chain of convolution/pooling layers. */
export function receptiveField(model: tf.LayersModel, layerName: string): ReceptiveField {
  getLayer(model, layerName);
  const size: [number, number] = [1, 1];
  const stride: [number, number] = [1, 1];
  const offset: [number, number] = [0, 0];
  for (const layer of model.layers) {
    const cls = layer.getClassName();
    if (SPATIAL.includes(cls)) {
      const config = layer.getConfig() as { kernelSize?: number | number[]; poolSize?: number | number[]; strides?: number | number[]; dilationRate?: number | number[]; padding?: string };
      const k = pair(config.kernelSize ?? config.poolSize, 1);
      const s = pair(config.strides ?? (cls.includes('Pooling') ? config.poolSize : 1), 1);
      const d = pair(config.dilationRate, 1);
      const inShape = (layer.input as tf.SymbolicTensor).shape as number[];
      const outShape = layer.outputShape as number[];
      for (let a = 0; a < 2; a++) {
        const effective = (k[a] - 1) * d[a] + 1;
        const padTotal = config.padding === 'same' ? Math.max((outShape[a + 1] - 1) * s[a] + effective - inShape[a + 1], 0) : 0;
        const padBefore = Math.floor(padTotal / 2);
        offset[a] -= padBefore * stride[a];
        size[a] += (effective - 1) * stride[a];
        stride[a] *= s[a];
      }
    } else if (!NEUTRAL.includes(cls)) {
      throw new Error(`receptiveField: layer ${layer.name} (${cls}) is not a convolution, pooling or elementwise layer`);
    }
    if (layer.name === layerName) return { size, stride, offset };
  }
  throw new Error(`receptiveField: ${layerName} not reached`);
}

export interface Patch {
  /** Index of the image in the batch. */
  image: number;
  /** Position of the unit in the layer's output. */
  y: number;
  x: number;
  activation: number;
  /** The input pixels the unit sees, clipped to the image: [y0, x0, y1, x1) */
  box: [number, number, number, number];
  /** The receptive-field crop (pixels outside the image are 0), size = receptive field. */
  crop: RawImage;
}

/**
 * The `k` strongest activations of channel `channel` of `layerName` over the images `x` (at most
 * one per image), with the receptive-field patch each one sees.
 */
export function maxActivatingPatches(model: tf.LayersModel, x: tf.Tensor4D, layerName: string, channel: number, k = 9, batchSize = 128): Patch[] {
  const rf = receptiveField(model, layerName);
  const [n, h, w, c] = x.shape;
  const best: { image: number; y: number; x: number; activation: number }[] = [];
  for (let start = 0; start < n; start += batchSize) {
    const size = Math.min(batchSize, n - start);
    const act = tf.tidy(() => runLayers(model, x.slice([start, 0, 0, 0], [size, -1, -1, -1]), { capture: [layerName] }).captured[layerName]);
    const [, oh, ow, oc] = act.shape as number[];
    if (channel < 0 || channel >= oc) { act.dispose(); throw new Error(`layer ${layerName} has ${oc} channels, asked for ${channel}`); }
    const v = act.dataSync();
    act.dispose();
    for (let i = 0; i < size; i++) {
      let top = { image: start + i, y: 0, x: 0, activation: -Infinity };
      for (let y = 0; y < oh; y++) for (let xx = 0; xx < ow; xx++) {
        const a = v[((i * oh + y) * ow + xx) * oc + channel];
        if (a > top.activation) top = { image: start + i, y, x: xx, activation: a };
      }
      best.push(top);
    }
  }
  best.sort((a, b) => b.activation - a.activation);
  const pixels = x.dataSync();
  return best.slice(0, k).map((b) => {
    const y0 = rf.offset[0] + b.y * rf.stride[0];
    const x0 = rf.offset[1] + b.x * rf.stride[1];
    const data = new Float32Array(rf.size[0] * rf.size[1] * c);
    for (let yy = 0; yy < rf.size[0]; yy++) for (let xx = 0; xx < rf.size[1]; xx++) {
      const [iy, ix] = [y0 + yy, x0 + xx];
      if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
      for (let ch = 0; ch < c; ch++) data[(yy * rf.size[1] + xx) * c + ch] = pixels[((b.image * h + iy) * w + ix) * c + ch];
    }
    return { ...b, box: [Math.max(0, y0), Math.max(0, x0), Math.min(h, y0 + rf.size[0]), Math.min(w, x0 + rf.size[1])], crop: { height: rf.size[0], width: rf.size[1], channels: c, data } };
  });
}

/** What `measuredReceptiveField` returns. */
export interface MeasuredReceptiveField {
  /** Height and width of the box of input pixels whose gradient is not zero (the receptive field along every path). */
  size: [number, number];
  /** That box, in the kit's pixel frame (lib/ops/boxes.ts): [x1, y1, x2, y2]. */
  box: [number, number, number, number];
  /**
   * The effective receptive field (Luo et al. 2016): the radius in pixels, around the unit's centre,
   * of the disc that holds `massFraction` of the gradient magnitude.
   */
  effectiveRadius: number;
  /** The mean |d unit / d input| over the batch and the input channels, [H * W] row-major, max 1. */
  map: Float32Array;
}

/**
 * The receptive field of one unit measured by its gradient, for any graph (branches, skips and
 * upsampling included, where `receptiveField` only reads chains): the unit is the sum over channels
 * of `layerName`'s output at `position` (default: the centre cell), differentiated with respect to
 * the input images `x` [N, H, W, C]; a pixel is in the field when its gradient is non-zero for some
 * image. Batch norm runs in inference mode. No tensors kept.
 */
export function measuredReceptiveField(model: tf.LayersModel, x: tf.Tensor4D, layerName: string, options: { position?: [number, number]; massFraction?: number } = {}): MeasuredReceptiveField {
  const [, h, w] = x.shape;
  const probe = tf.tidy(() => runLayers(model, x.slice([0, 0, 0, 0], [1, -1, -1, -1]), { capture: [layerName] }).captured[layerName]);
  const [, oh, ow] = probe.shape as number[];
  probe.dispose();
  const [py, px] = options.position ?? [Math.floor(oh / 2), Math.floor(ow / 2)];
  const data = tf.tidy(() => {
    const unit = (input: tf.Tensor) => runLayers(model, input, { capture: [layerName] }).captured[layerName].slice([0, py, px, 0], [-1, 1, 1, -1]).sum();
    const g = tf.grad(unit)(x).abs().mean([0, 3]);
    return g.div(g.max().add(1e-30));
  });
  const map = data.dataSync() as Float32Array;
  data.dispose();
  let [x1, y1, x2, y2] = [Infinity, Infinity, -Infinity, -Infinity];
  let total = 0;
  for (let p = 0; p < h * w; p++) {
    if (map[p] <= 0) continue;
    const cx = p % w, cy = (p - cx) / w;
    x1 = Math.min(x1, cx); x2 = Math.max(x2, cx); y1 = Math.min(y1, cy); y2 = Math.max(y2, cy);
    total += map[p];
  }
  // The unit's centre in input pixels (kit frame): cell i of a stride-s map covers pixels [i s, (i + 1) s - 1].
  const sy = h / oh, sx = w / ow;
  const cy = (py + 0.5) * sy - 0.5, cx = (px + 0.5) * sx - 0.5;
  const byRadius = Array.from({ length: h * w }, (_, p) => [Math.hypot((p % w) - cx, Math.floor(p / w) - cy), map[p]]).sort((a, b) => a[0] - b[0]);
  const target = (options.massFraction ?? 0.9) * total;
  let acc = 0, effectiveRadius = 0;
  for (const [r, v] of byRadius) { acc += v; effectiveRadius = r; if (acc >= target) break; }
  return { size: [y2 - y1 + 1, x2 - x1 + 1], box: [x1 - 0.5, y1 - 0.5, x2 + 0.5, y2 + 0.5], effectiveRadius, map };
}
