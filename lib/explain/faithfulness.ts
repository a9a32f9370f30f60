/**
 * Is an explanation faithful to the model? Three measures from the literature, all model-agnostic:
 * - pointing game (Zhang et al. 2016; TorchRay): the map's maximum lies on the object (within a tolerance);
 * - deletion / insertion AUC (Petsiuk et al. 2018, RISE): remove (insert) pixels most-important-first
 *   and track the target's softmax probability; a faithful map makes it fall fast (rise fast);
 * - the model-randomisation sanity check (Adebayo et al. 2018): re-initialise the weights and compare
 *   maps by rank correlation; a map that barely changes does not depend on what the model learnt.
 */
import * as tf from '@tensorflow/tfjs';
import { logits } from './core';
import { Random } from '../runtime/random';

/**
 * Fraction of maps whose argmax lies within `tolerance` pixels of the object (any pixel of its mask).
 * maps: [N, H, W]; masks: one H*W 0/1 array per image.
 */
export function pointingGame(maps: tf.Tensor, masks: ArrayLike<number>[], tolerance: number): { hitRate: number; hits: boolean[] } {
  const [n, h, w] = maps.shape as [number, number, number];
  const values = maps.dataSync();
  const hits: boolean[] = [];
  for (let i = 0; i < n; i++) {
    let best = -Infinity;
    let at = 0;
    for (let p = 0; p < h * w; p++) if (values[i * h * w + p] > best) { best = values[i * h * w + p]; at = p; }
    const [ax, ay] = [at % w, Math.floor(at / w)];
    let hit = false;
    for (let p = 0; p < h * w && !hit; p++) {
      if (masks[i][p] && Math.hypot((p % w) - ax, Math.floor(p / w) - ay) <= tolerance) hit = true;
    }
    hits.push(hit);
  }
  return { hitRate: hits.filter(Boolean).length / Math.max(1, n), hits };
}

export interface CurveOptions {
  /** Points on the curve (default 16). */
  steps?: number;
  /**
   * What deleted pixels become, and the image insertion starts from: a constant, or 'blur' (the image
   * blurred with a Gaussian of std = side/8, as RISE does for insertion). Default 'blur': a black
   * patch on a textured image is itself evidence the network never saw.
   */
  baseline?: number | 'blur';
}

/** Gaussian blur of NHWC images (std in pixels; kernel radius 2.5 std), reflecting at the borders. */
export function gaussianBlur(x: tf.Tensor, sigma: number): tf.Tensor {
  return tf.tidy(() => {
    const radius = Math.max(1, Math.min(Math.ceil(2.5 * sigma), (x.shape[1] as number) - 1, (x.shape[2] as number) - 1));
    const taps = Array.from({ length: 2 * radius + 1 }, (_, i) => Math.exp(-((i - radius) ** 2) / (2 * sigma * sigma)));
    const total = taps.reduce((a, b) => a + b, 0);
    const c = x.shape[3] as number;
    const k = tf.tensor1d(taps.map((t) => t / total));
    const kx = k.reshape([1, 2 * radius + 1, 1, 1]).tile([1, 1, c, 1]) as tf.Tensor4D;
    const ky = k.reshape([2 * radius + 1, 1, 1, 1]).tile([1, 1, c, 1]) as tf.Tensor4D;
    const padded = tf.mirrorPad(x as tf.Tensor4D, [[0, 0], [radius, radius], [radius, radius], [0, 0]], 'reflect');
    return tf.depthwiseConv2d(tf.depthwiseConv2d(padded, kx, 1, 'valid'), ky, 1, 'valid');
  });
}

/**
 * Deletion or insertion curve per image: softmax probability of `targets[i]` as pixels are set to
 * the baseline (deletion) or restored from it (insertion), most important first. Returns the curves
 * and their areas (trapezoid rule over the fraction of pixels, so AUC is in [0, 1]).
 */
export function perturbationCurve(model: tf.LayersModel, x: tf.Tensor, maps: tf.Tensor, targets: number[], mode: 'deletion' | 'insertion', options: CurveOptions = {}): { curves: number[][]; auc: number[] } {
  const [n, h, w, c] = x.shape as [number, number, number, number];
  const steps = options.steps ?? 16;
  const baseline = options.baseline ?? 'blur';
  const pixels = x.dataSync();
  const background = baseline === 'blur'
    ? tf.tidy(() => gaussianBlur(x, h / 8).dataSync())
    : new Float32Array(pixels.length).fill(baseline);
  const importance = maps.dataSync();
  const per = h * w * c;
  const curves: number[][] = [];
  for (let i = 0; i < n; i++) {
    const order = Array.from({ length: h * w }, (_, p) => p).sort((a, b) => importance[i * h * w + b] - importance[i * h * w + a]);
    const batch = new Float32Array((steps + 1) * per);
    for (let s = 0; s <= steps; s++) {
      const k = Math.round((s / steps) * h * w);
      const img = batch.subarray(s * per, (s + 1) * per);
      const [from, to] = mode === 'deletion' ? [pixels, background] : [background, pixels];
      img.set(from.subarray(i * per, (i + 1) * per));
      for (let r = 0; r < k; r++) {
        const p = order[r];
        for (let ch = 0; ch < c; ch++) img[p * c + ch] = to[i * per + p * c + ch];
      }
    }
    const probs = tf.tidy(() => tf.softmax(logits(model, tf.tensor4d(batch, [steps + 1, h, w, c]))).dataSync());
    const classes = probs.length / (steps + 1);
    curves.push(Array.from({ length: steps + 1 }, (_, s) => probs[s * classes + targets[i]]));
  }
  const auc = curves.map((curve) => curve.slice(1).reduce((a, v, s) => a + (v + curve[s]) / 2, 0) / steps);
  return { curves, auc };
}

/** Spearman rank correlation of two equally long arrays (average ranks for ties). */
export function spearman(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const rank = (v: ArrayLike<number>) => {
    const idx = Array.from({ length: v.length }, (_, i) => i).sort((i, j) => v[i] - v[j]);
    const r = new Float64Array(v.length);
    for (let s = 0; s < idx.length;) {
      let e = s;
      while (e + 1 < idx.length && v[idx[e + 1]] === v[idx[s]]) e++;
      for (let k = s; k <= e; k++) r[idx[k]] = (s + e) / 2;
      s = e + 1;
    }
    return r;
  };
  const ra = rank(a);
  const rb = rank(b);
  const mean = (ra.length - 1) / 2;
  let num = 0, da = 0, db = 0;
  for (let i = 0; i < ra.length; i++) { num += (ra[i] - mean) * (rb[i] - mean); da += (ra[i] - mean) ** 2; db += (rb[i] - mean) ** 2; }
  return da > 0 && db > 0 ? num / Math.sqrt(da * db) : 0;
}

/**
 * Spearman rank correlation image by image between two batches of maps of one shape [N, ...] (e.g.
 * [N, H, W] explanations of a model and of its randomised copy): one value in [-1, 1] per image,
 * the comparison of Adebayo et al.'s sanity check.
 * Reads the values; keeps no tensor.
 */
export function spearmanPerImage(a: tf.Tensor, b: tf.Tensor): number[] {
  if (a.shape.join() !== b.shape.join()) throw new Error(`spearmanPerImage: maps of shape [${a.shape}] and [${b.shape}]; both must have one shape [N, ...]`);
  const n = a.shape[0];
  const [va, vb] = [a.dataSync(), b.dataSync()];
  const per = va.length / n;
  return Array.from({ length: n }, (_, i) => spearman(va.subarray(i * per, (i + 1) * per), vb.subarray(i * per, (i + 1) * per)));
}

/**
 * A copy of `model` with kernels re-drawn (He-normal, seeded) and biases zeroed: what the
 * randomisation sanity check compares against. `layers`: the names of the layers to randomise
 * (default all); Adebayo et al.'s cascading test randomises from the top down (e.g. ['logits'] first).
 * Batch-norm statistics are kept. Caller disposes.
 */
export async function randomizedCopy(model: tf.LayersModel, seed = 0, layers?: string[]): Promise<tf.LayersModel> {
  const copy = await tf.models.modelFromJSON({ modelTopology: model.toJSON(null, false) } as tf.io.ModelJSON);
  const rng = new Random(seed);
  const fresh = model.getWeights().map((w, i) => {
    const name = copy.weights[i].originalName;
    const owner = name.split('/')[0];
    if (layers != null && !layers.includes(owner)) return w.clone();
    if (/kernel$/.test(name)) {
      const fanIn = w.shape.slice(0, -1).reduce((a, b) => a * b, 1);
      return tf.tidy(() => tf.randomNormal(w.shape, 0, Math.sqrt(2 / fanIn), 'float32', rng.int(0, 2 ** 30)));
    }
    if (/bias$/.test(name)) return tf.zerosLike(w);
    return w.clone();
  });
  copy.setWeights(fresh);
  tf.dispose(fresh);
  return copy;
}

/**
 * Where a signed map's evidence lies: per image, the fraction of its positive part (sum of max(m, 0))
 * and of its negative part (sum of max(-m, 0)) that falls inside `masks[i]` (H*W, 1 = inside).
 * maps: [N, H, W] raw, before any ReLU (e.g. Grad-CAM with relu: false). NaN where a part is empty.
 * Lesson 01 uses it to show why Grad-CAM keeps only the positive part.
 */
export function signedMassInside(maps: tf.Tensor, masks: ArrayLike<number>[]): { positive: number[]; negative: number[] } {
  const [n, h, w] = maps.shape as [number, number, number];
  const values = maps.dataSync();
  const positive: number[] = [], negative: number[] = [];
  for (let i = 0; i < n; i++) {
    let pIn = 0, pAll = 0, nIn = 0, nAll = 0;
    for (let p = 0; p < h * w; p++) {
      const v = values[i * h * w + p];
      if (v > 0) { pAll += v; if (masks[i][p]) pIn += v; } else if (v < 0) { nAll -= v; if (masks[i][p]) nIn -= v; }
    }
    positive.push(pAll > 0 ? pIn / pAll : NaN);
    negative.push(nAll > 0 ? nIn / nAll : NaN);
  }
  return { positive, negative };
}
