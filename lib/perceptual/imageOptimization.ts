/**
 * Optimising the image itself (Gatys et al. 2016; Mahendran & Vedaldi 2015 for feature inversion):
 * the loss network is fixed, and gradient descent moves the pixels. One loop serves feature
 * reconstruction (content term only), texture synthesis (style term only) and Gatys style transfer
 * (content + style + total variation): they differ only in the loss.
 *
 * Optimisers: Adam on the pixels, or L-BFGS (what Gatys et al. used) with a projected backtracking
 * (Armijo) line search. Pixels are kept in [0, 1] (projected after each step). Images NHWC.
 */
import * as tf from '@tensorflow/tfjs';
import { contentFeatures, gramsOf, perceptualLoss, PerceptualLossSpec, readTerms, FeatureNet } from './perceptualLoss';
import { balancedLayerWeights } from './styleLoss';

export interface ImageOptimizationOptions {
  /** Iterations (each one gradient evaluation for Adam; L-BFGS may add line-search evaluations). */
  steps: number;
  /** 'adam' (default) or 'lbfgs'. */
  method?: 'adam' | 'lbfgs';
  /** Adam's step size in pixel units (default 0.02). */
  learningRate?: number;
  /** L-BFGS memory: the number of (s, y) pairs kept (default 10). */
  history?: number;
  /** Iterations after which a copy of the image is kept (0 = the start). */
  snapshots?: number[];
  /** Called after each iteration with the loss before it. */
  onStep?: (step: number, loss: number) => void;
}

export interface ImageOptimizationResult {
  /** The optimised image, [N, H, W, C] in [0, 1]. Caller disposes. */
  image: tf.Tensor4D;
  /** The loss before each iteration, then after the last one (steps + 1 values; after L-BFGS converges, the last loss repeats). */
  losses: number[];
  /** Copies of the image after the requested iterations. Caller disposes. */
  snapshots: { step: number; image: tf.Tensor4D }[];
  /** Loss and gradient evaluations (Adam: one per iteration). */
  evaluations: number;
  seconds: number;
}

/** Minimises `loss(image)` over the pixels of `init` (not modified), keeping them in [0, 1]. */
export function optimizeImage(loss: (image: tf.Tensor4D) => tf.Scalar, init: tf.Tensor4D, options: ImageOptimizationOptions): ImageOptimizationResult {
  const method = options.method ?? 'adam';
  const started = Date.now();
  const wanted = new Set(options.snapshots ?? []);
  const snapshots: { step: number; image: tf.Tensor4D }[] = [];
  const keep = (step: number, image: tf.Tensor4D) => { if (wanted.has(step)) snapshots.push({ step, image: tf.clone(image) }); };
  const valueAndGrad = tf.valueAndGrad((x: tf.Tensor) => loss(x as tf.Tensor4D));
  const losses: number[] = [];
  let evaluations = 0;
  const clipped = tf.clipByValue(init, 0, 1);
  const x = tf.variable(clipped, true, undefined, 'float32') as tf.Variable<tf.Rank.R4>;
  clipped.dispose();
  keep(0, x);
  if (method === 'adam') {
    const optimizer = tf.train.adam(options.learningRate ?? 0.02);
    for (let step = 1; step <= options.steps; step++) {
      const value = optimizer.minimize(() => loss(x), true, [x])!;
      evaluations++;
      const v = value.dataSync()[0];
      value.dispose();
      losses.push(v);
      tf.tidy(() => { x.assign(tf.clipByValue(x, 0, 1)); });
      options.onStep?.(step, v);
      keep(step, x);
    }
    optimizer.dispose();
  } else {
    const shape = x.shape;
    const evaluate = (values: Float32Array): { f: number; g: Float32Array } => {
      evaluations++;
      return tf.tidy(() => {
        const { value, grad } = valueAndGrad(tf.tensor(values, shape));
        return { f: value.dataSync()[0], g: Float32Array.from(grad.dataSync()) };
      });
    };
    let current = Float32Array.from(x.dataSync());
    let { f, g } = evaluate(current);
    const s: Float64Array[] = [], y: Float64Array[] = [], rho: number[] = [];
    const memory = options.history ?? 10;
    let converged = false;
    for (let step = 1; step <= options.steps; step++) {
      losses.push(f);
      // converged (no decrease found along the last direction): the image stays; the remaining steps repeat the loss
      if (converged) { options.onStep?.(step, f); keep(step, x); continue; }
      const d = lbfgsDirection(g, s, y, rho);
      // projected backtracking: x(t) = clip(x + t d) until f(x(t)) <= f + 1e-4 * g.(x(t) - x)
      // first step (no curvature yet): along -g, moving the most-changed pixel by 0.05
      let t = s.length === 0 ? 0.05 / maxAbs(g) : 1;
      let next!: Float32Array, fn = Infinity, gn!: Float32Array;
      for (let tries = 0; tries < 12; tries++, t /= 2) {
        next = Float32Array.from(current, (v, i) => Math.min(1, Math.max(0, v + t * d[i])));
        const r = evaluate(next);
        fn = r.f; gn = r.g;
        let decrease = 0;
        for (let i = 0; i < next.length; i++) decrease += g[i] * (next[i] - current[i]);
        if (fn <= f + 1e-4 * decrease) break;
      }
      if (!(fn < f)) { converged = true; options.onStep?.(step, f); keep(step, x); continue; }
      const sk = new Float64Array(next.length), yk = new Float64Array(next.length);
      let sy = 0;
      for (let i = 0; i < next.length; i++) { sk[i] = next[i] - current[i]; yk[i] = gn[i] - g[i]; sy += sk[i] * yk[i]; }
      if (sy > 1e-10) {
        s.push(sk); y.push(yk); rho.push(1 / sy);
        if (s.length > memory) { s.shift(); y.shift(); rho.shift(); }
      }
      current = next; f = fn; g = gn;
      tf.tidy(() => { x.assign(tf.tensor(current, shape) as tf.Tensor4D); });
      options.onStep?.(step, losses[losses.length - 1]);
      keep(step, x);
    }
  }
  // the loss after the last iteration
  const last = tf.tidy(() => loss(x));
  losses.push(last.dataSync()[0]);
  last.dispose();
  const image = tf.clone(x) as tf.Tensor4D;
  x.dispose();
  return { image, losses, snapshots, evaluations, seconds: (Date.now() - started) / 1000 };
}

function maxAbs(v: Float32Array): number {
  let m = 0;
  for (let i = 0; i < v.length; i++) m = Math.max(m, Math.abs(v[i]));
  return Math.max(m, 1e-12);
}

/** The L-BFGS two-loop recursion: -H g from the stored pairs (Nocedal & Wright, algorithm 7.4), H0 = (s.y / y.y) I. */
function lbfgsDirection(g: Float32Array, s: Float64Array[], y: Float64Array[], rho: number[]): Float64Array {
  const q = Float64Array.from(g);
  const alpha = new Array<number>(s.length);
  for (let k = s.length - 1; k >= 0; k--) {
    let a = 0;
    for (let i = 0; i < q.length; i++) a += s[k][i] * q[i];
    alpha[k] = a * rho[k];
    for (let i = 0; i < q.length; i++) q[i] -= alpha[k] * y[k][i];
  }
  if (s.length > 0) {
    const k = s.length - 1;
    let yy = 0;
    for (let i = 0; i < q.length; i++) yy += y[k][i] * y[k][i];
    const gamma = 1 / (rho[k] * yy);
    for (let i = 0; i < q.length; i++) q[i] *= gamma;
  }
  for (let k = 0; k < s.length; k++) {
    let b = 0;
    for (let i = 0; i < q.length; i++) b += y[k][i] * q[i];
    b *= rho[k];
    for (let i = 0; i < q.length; i++) q[i] += s[k][i] * (alpha[k] - b);
  }
  for (let i = 0; i < q.length; i++) q[i] = -q[i];
  return q;
}

/** What to optimise an image for: any of a content image, a style image, total variation. */
export interface ImageObjectiveOptions {
  net: FeatureNet;
  /** The content image [1, H, W, 3] and layer (feature reconstruction); weight default 1. */
  content?: { image: tf.Tensor4D; layer: string; weight?: number };
  /** The style image [1, h, w, 3] (any size) and layers; Gram targets with balanced layer weights; weight default 1. */
  style?: { image: tf.Tensor4D; layers: string[]; weight?: number };
  tvWeight?: number;
}

/** A perceptual objective with its targets computed once: `loss(image)` for optimizeImage, `terms(image)` as numbers, `dispose()`. */
export interface ImageObjective {
  spec: PerceptualLossSpec;
  loss(image: tf.Tensor4D): tf.Scalar;
  terms(image: tf.Tensor4D): Record<'total' | 'content' | 'style' | 'tv' | 'pixel', number>;
  dispose(): void;
}

/**
 * The loss of Gatys et al. (content + style + TV), or of one part of it: content only = feature
 * reconstruction (what a layer keeps of an image), style only = texture synthesis (what the Gram
 * matrices keep). Targets are computed here once.
 */
export function imageObjective(options: ImageObjectiveOptions): ImageObjective {
  const styleGrams = options.style ? gramsOf(options.net, options.style.image, options.style.layers) : undefined;
  const spec: PerceptualLossSpec = {
    net: options.net,
    contentLayer: options.content?.layer, contentWeight: options.content ? options.content.weight ?? 1 : 0,
    styleLayers: options.style?.layers, styleGrams, styleLayerWeights: styleGrams ? balancedLayerWeights(styleGrams) : undefined,
    styleWeight: options.style ? options.style.weight ?? 1 : 0,
    tvWeight: options.tvWeight ?? 0,
  };
  const target = options.content ? contentFeatures(spec, options.content.image) : undefined;
  const run = (image: tf.Tensor4D) => perceptualLoss(spec, image, { contentFeatures: target });
  return {
    spec,
    loss: (image) => tf.tidy(() => {
      const t = run(image);
      return t.total;
    }),
    terms: (image) => readTerms(run(image)),
    dispose: () => tf.dispose([...(styleGrams ?? []), ...(target ? [target] : [])]),
  };
}
