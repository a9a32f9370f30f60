/**
 * "Gram matrices carry style, not layout": shuffle an image's patches and compare what the loss
 * network sees. Feature maps keep positions, so the feature distance is large; Gram matrices sum over
 * positions, so theirs stays near 0 (exactly 0 when the feature positions themselves are permuted;
 * near 0, not 0, for image patches, because the convolutions see across the new patch seams).
 */
import * as tf from '@tensorflow/tfjs';
import { Random } from '../runtime/random';
import { extractFeatures, FeatureNet } from './perceptualLoss';
import { gramMatrix } from './styleLoss';

/** A seeded permutation of 0..n-1. */
function permutation(n: number, seed: number): number[] {
  return new Random(seed).shuffle(Array.from({ length: n }, (_, i) => i));
}

/**
 * `images` [N, H, W, C] cut into `patch` x `patch` tiles (H and W divisible by `patch`) and the
 * tiles put back in a seeded random order (the same order for every image). Caller disposes.
 */
export function shufflePatches(images: tf.Tensor4D, patch: number, seed: number): tf.Tensor4D {
  const [n, h, w, c] = images.shape;
  if (h % patch !== 0 || w % patch !== 0) throw new Error(`shufflePatches: ${h}x${w} is not divisible into ${patch}x${patch} patches`);
  const [rows, cols] = [h / patch, w / patch];
  const order = tf.tensor1d(permutation(rows * cols, seed), 'int32');
  const out = tf.tidy(() => {
    const tiles = images.reshape([n, rows, patch, cols, patch, c]).transpose([0, 1, 3, 2, 4, 5]).reshape([n, rows * cols, patch, patch, c]);
    const shuffled = tf.gather(tiles, order, 1);
    return shuffled.reshape([n, rows, cols, patch, patch, c]).transpose([0, 1, 3, 2, 4, 5]).reshape([n, h, w, c]) as tf.Tensor4D;
  });
  order.dispose();
  return out;
}

/** `features` [N, H, W, C] with its H*W positions permuted (seeded; the same for every image and channel). Caller disposes. */
export function shufflePositions(features: tf.Tensor4D, seed: number): tf.Tensor4D {
  const [n, h, w, c] = features.shape;
  const order = tf.tensor1d(permutation(h * w, seed), 'int32');
  const out = tf.tidy(() => tf.gather(features.reshape([n, h * w, c]), order, 1).reshape([n, h, w, c]) as tf.Tensor4D);
  order.dispose();
  return out;
}

/** Per layer of `net`: relative feature distance ||F(a) - F(b)||^2 / ||F(a)||^2 and relative Gram distance ||G(a) - G(b)||^2 / ||G(a)||^2. */
export interface LayerDistance {
  layer: string;
  feature: number;
  gram: number;
}

/** How far image(s) `b` are from `a` [N, H, W, 3] in each layer's features and in its Gram matrix (relative squared distances, see LayerDistance). */
export function featureAndGramDistances(net: FeatureNet, a: tf.Tensor4D, b: tf.Tensor4D): LayerDistance[] {
  const values = tf.tidy(() => {
    const fa = extractFeatures(net, a), fb = extractFeatures(net, b);
    const relative = (x: tf.Tensor, y: tf.Tensor) => tf.div(tf.sum(tf.squaredDifference(x, y)), tf.maximum(tf.sum(tf.square(x)), 1e-12));
    return tf.stack(net.layers.flatMap((l) => [relative(fa[l], fb[l]), relative(gramMatrix(fa[l]), gramMatrix(fb[l]))]));
  });
  const v = values.dataSync();
  values.dispose();
  return net.layers.map((layer, i) => ({ layer, feature: v[2 * i], gram: v[2 * i + 1] }));
}
