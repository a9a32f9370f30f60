/**
 * How good generated images are, in numbers the lesson can print (NHWC, images in [0, 1]):
 * - content: does a classifier see the class that was asked for (`classifierAccuracy`), does the
 *   object keep its mask (`maskIoU`), how far a cycle comes back (`meanAbsoluteDifference`);
 * - realism: the Fréchet distance between classifier features of generated and real images
 *   (`classifierFrechetDistance`: Inception FID's formula on the kit's OWN classifiers' penultimate
 *   layer, so NOT Inception FID — comparable only between runs that use the same classifier), beside
 *   lib/ops/imageQuality.ts's PSNR and high-frequency ratio;
 * - diversity: the mean distance between outputs for different inputs (`outputDiversity`): 0 when
 *   every input gets the same output (mode collapse).
 */
import * as tf from '@tensorflow/tfjs';
import { frechetDistance } from '../ops/imageQuality';
import { maskIou } from '../ops/boxes';

/** Runs `fn` over `images` in chunks of `batchSize` and concatenates the results (kept small in memory). */
function inChunks(images: tf.Tensor4D, batchSize: number, fn: (x: tf.Tensor4D) => tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const n = images.shape[0];
    const parts: tf.Tensor[] = [];
    for (let i = 0; i < n; i += batchSize) parts.push(fn(images.slice([i, 0, 0, 0], [Math.min(batchSize, n - i), -1, -1, -1])));
    return parts.length === 1 ? parts[0] : tf.concat(parts, 0);
  });
}

/** A classifier's layer output (default 'gap', the penultimate layer of the kit's VGG classifiers) as features [N, d]. */
export function classifierFeatures(classifier: tf.LayersModel, images: tf.Tensor4D, layer = 'gap', batchSize = 256): tf.Tensor2D {
  const sub = tf.model({ inputs: classifier.inputs, outputs: classifier.getLayer(layer).output as tf.SymbolicTensor });
  return inChunks(images, batchSize, (x) => sub.predict(x) as tf.Tensor).reshape([images.shape[0], -1]) as tf.Tensor2D;
}

/** The classifier's predicted class per image (argmax of its outputs). */
export function classifierPredictions(classifier: tf.LayersModel, images: tf.Tensor4D, batchSize = 256): Int32Array {
  const t = inChunks(images, batchSize, (x) => tf.argMax(classifier.predict(x) as tf.Tensor, -1));
  const out = Int32Array.from(t.dataSync());
  t.dispose();
  return out;
}

/** Fraction of images the classifier assigns to their label. */
export function classifierAccuracy(classifier: tf.LayersModel, images: tf.Tensor4D, labels: ArrayLike<number>): number {
  const p = classifierPredictions(classifier, images);
  let hits = 0;
  for (let i = 0; i < p.length; i++) if (p[i] === labels[i]) hits++;
  return hits / p.length;
}

/**
 * Fréchet distance between the classifier features (layer `layer`) of two image sets: lower = the
 * generated set's feature statistics are closer to the real set's. Not Inception FID (see the top).
 * Images are resized (bilinear) to the classifier's input size when they differ.
 */
export function classifierFrechetDistance(classifier: tf.LayersModel, generated: tf.Tensor4D, real: tf.Tensor4D, layer = 'gap'): number {
  const [h, w] = classifier.inputs[0].shape.slice(1, 3) as number[];
  const fit = (x: tf.Tensor4D) => (x.shape[1] === h && x.shape[2] === w ? x : (tf.image.resizeBilinear(x, [h, w]) as tf.Tensor4D));
  const [a, b] = tf.tidy(() => [classifierFeatures(classifier, fit(generated), layer), classifierFeatures(classifier, fit(real), layer)]);
  const d = frechetDistance(a, b);
  tf.dispose([a, b]);
  return d;
}

/** Mean over images of |a - b| (both [N, H, W, C], same range): e.g. the cycle error ||F(G(x)) - x||_1. */
export function meanAbsoluteDifference(a: tf.Tensor, b: tf.Tensor): number {
  const t = tf.tidy(() => tf.mean(tf.abs(tf.sub(a, b))));
  const v = t.dataSync()[0];
  t.dispose();
  return v;
}

/**
 * Output diversity: the mean absolute difference between image i and image (i + shift) mod N of a
 * set (outputs for N different inputs). 0 = every output the same (mode collapse); compare with the
 * same number on real images.
 */
export function outputDiversity(images: tf.Tensor4D, shift = 1): number {
  const t = tf.tidy(() => {
    const n = images.shape[0];
    const s = ((shift % n) + n) % n;
    const rolled = tf.concat([images.slice([s, 0, 0, 0], [n - s, -1, -1, -1]), images.slice([0, 0, 0, 0], [s, -1, -1, -1])], 0);
    return tf.mean(tf.abs(tf.sub(images, rolled)));
  });
  const v = t.dataSync()[0];
  t.dispose();
  return v;
}

/**
 * Mean intersection over union of binary masks, per image: predicted and truth are [count * pixels]
 * {0, 1}. An image where both masks are empty counts as 1.
 */
export function maskIoU(predicted: ArrayLike<number>, truth: ArrayLike<number>, count: number): number {
  const per = truth.length / count;
  const image = (x: ArrayLike<number>, n: number) => Array.prototype.slice.call(x, n * per, (n + 1) * per) as number[];
  let sum = 0;
  for (let n = 0; n < count; n++) {
    const p = image(predicted, n), t = image(truth, n);
    sum += p.some((v) => v > 0) || t.some((v) => v > 0) ? maskIou(p, t) : 1;
  }
  return sum / count;
}

/** Mean and sample standard deviation of some numbers (the spread over seeds). */
export function meanAndSpread(values: number[]): { mean: number; std: number } {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const std = values.length > 1 ? Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / (values.length - 1)) : 0;
  return { mean, std };
}
