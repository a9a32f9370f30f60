/**
 * Class visualization by gradient ascent (Simonyan et al. 2014; CS231n assignment 3): find an image
 * I that maximises the raw score s_c(I) - lambda * ||I||^2, starting from small noise (or a given image), with the
 * CS231n regularisers: random jitter before each step, a Gaussian blur every few steps, values
 * clipped to the valid range. Step: I += lr * g / ||g||.
 */
import * as tf from '@tensorflow/tfjs';
import { logits } from './core';
import { gaussianBlur } from './faithfulness';
import { Random } from '../runtime/random';

export interface ClassVisualizationOptions {
  /** Iterations (CS231n: 100). */
  iterations?: number;
  /** Step size on the normalised gradient (CS231n: 25 on 0..255 images; default 25/255 * 10 for [0, 1] images). */
  learningRate?: number;
  /** L2 weight lambda (CS231n: 1e-3). */
  l2?: number;
  /** Blur every this many steps (CS231n: 10), with this std in pixels (0.5). 0 = never. */
  blurEvery?: number;
  blurSigma?: number;
  /** Largest random shift in pixels before each step (CS231n: 16 at 224 px; default side / 14). */
  jitter?: number;
  /** Allowed pixel range (default [0, 1]). */
  range?: [number, number];
  seed?: number;
  /**
   * The image to start from, [1, H, W, C] (default: near-grey noise, 0.45..0.55 of the range). Starting
   * from a real image shows what the network adds to it to see the class (lesson 01); not disposed.
   */
  start?: tf.Tensor4D;
  /** Called every step with the score, e.g. for progress. */
  onStep?: (step: number, score: number) => void;
}

/** Circularly shifts an NHWC image by (dy, dx) pixels. */
export function roll(x: tf.Tensor4D, dy: number, dx: number): tf.Tensor4D {
  return tf.tidy(() => {
    const [, h, w] = x.shape;
    const sy = ((dy % h) + h) % h;
    const sx = ((dx % w) + w) % w;
    let out = x;
    if (sy) out = tf.concat([out.slice([0, h - sy, 0, 0], [-1, sy, -1, -1]), out.slice([0, 0, 0, 0], [-1, h - sy, -1, -1])], 1);
    if (sx) out = tf.concat([out.slice([0, 0, w - sx, 0], [-1, -1, sx, -1]), out.slice([0, 0, 0, 0], [-1, -1, w - sx, -1])], 2);
    return out;
  });
}

/** The image [1, H, W, C] the model finds most like class `classIndex` under the regularisers. */
export function classVisualization(model: tf.LayersModel, classIndex: number, options: ClassVisualizationOptions = {}): tf.Tensor4D {
  const shape = (model.inputs[0].shape as number[]).slice(1) as [number, number, number];
  const [h, w, c] = shape;
  const iterations = options.iterations ?? 100;
  const lr = options.learningRate ?? (25 / 255) * 10;
  const l2 = options.l2 ?? 1e-3;
  const blurEvery = options.blurEvery ?? 10;
  const sigma = options.blurSigma ?? 0.5;
  const jitter = options.jitter ?? Math.max(1, Math.round(w / 14));
  const [lo, hi] = options.range ?? [0, 1];
  const rng = new Random(options.seed ?? 0);
  let image = options.start ? tf.clone(options.start) : tf.tidy(() => tf.randomUniform([1, h, w, c], 0, 1, 'float32', rng.int(0, 2 ** 30)).mul(0.1 * (hi - lo)).add(lo + 0.45 * (hi - lo))) as tf.Tensor4D;
  const objective = (img: tf.Tensor) => tf.sub(logits(model, img).slice([0, classIndex], [1, 1]).sum(), tf.mul(l2, img.square().sum())) as tf.Scalar;
  for (let step = 0; step < iterations; step++) {
    const dy = rng.int(-jitter, jitter);
    const dx = rng.int(-jitter, jitter);
    const next = tf.tidy(() => {
      const shifted = roll(image, dy, dx);
      const g = tf.grad(objective)(shifted);
      let updated = roll(shifted.add(g.div(g.norm().add(1e-12)).mul(lr)) as tf.Tensor4D, -dy, -dx);
      if (blurEvery > 0 && (step + 1) % blurEvery === 0) updated = gaussianBlur(updated, sigma) as tf.Tensor4D;
      return updated.clipByValue(lo, hi) as tf.Tensor4D;
    });
    image.dispose();
    image = next;
    if (options.onStep) options.onStep(step, tf.tidy(() => objective(image).dataSync()[0]));
  }
  return image;
}
