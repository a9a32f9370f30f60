/**
 * Perceptual losses (Johnson et al. 2016, section 3): losses measured in a frozen loss network's
 * feature space instead of on pixels.
 *
 * - Feature reconstruction ("content") loss at one layer: mean((phi(y) - phi(c))^2), Johnson's
 *   ||phi(y) - phi(c)||^2 / (C H W) averaged over the batch. 0 for identical inputs.
 * - Style reconstruction loss: Gram matrices over several layers (styleLoss.ts).
 * - Total variation: mean((x[i+1, j] - x[i, j])^2) + mean((x[i, j+1] - x[i, j])^2), the squared
 *   (L2) anisotropic form, as means over the neighbour pairs. 0 for a constant image.
 * - Pixel loss: mean((y - target)^2), for super-resolution mixes.
 *
 * The kit's combination (`perceptualLoss`) divides the content term by mean(phi(c)^2) (a relative
 * error: 1 for an all-zero output) and uses the style layer weights the caller gives (usually
 * `balancedLayerWeights`), so one set of weights works for a trained and a random loss network of
 * the same shape. Its weights are therefore NOT Johnson's 1e5 / 1e10 (another normalisation).
 * Images NHWC in [0, 1].
 */
import * as tf from '@tensorflow/tfjs';
import { featureExtractor, freeze } from '../nn/lossNetwork';
import { gramMatrix, styleLoss } from './styleLoss';

/** A frozen feature network: `model` maps images to the outputs of `layers`, in that order. */
export interface FeatureNet {
  model: tf.LayersModel;
  layers: string[];
}

/**
 * The frozen feature network of `network` (the loss network, or a random one of the same shape) at
 * the named layers: shares and freezes its weights (they get no gradient and are never updated).
 */
export function featureNet(network: tf.LayersModel, layers: string[]): FeatureNet {
  freeze(network);
  return { model: featureExtractor(network, layers), layers: [...layers] };
}

/** The features of `images` [N, H, W, 3] at every layer of `net`, by layer name. Caller disposes. */
export function extractFeatures(net: FeatureNet, images: tf.Tensor4D): Record<string, tf.Tensor4D> {
  const out = net.model.apply(images, { training: false }) as tf.Tensor4D | tf.Tensor4D[];
  const list = Array.isArray(out) ? out : [out];
  return Object.fromEntries(net.layers.map((l, i) => [l, list[i]]));
}

/** Gram matrices [N, C, C] of `images` at `layers` of `net` (normalised by C*H*W). Caller disposes. */
export function gramsOf(net: FeatureNet, images: tf.Tensor4D, layers: string[]): tf.Tensor3D[] {
  return tf.tidy(() => {
    const f = extractFeatures(net, images);
    return layers.map((l) => gramMatrix(lookup(f, l)));
  });
}

function lookup(features: Record<string, tf.Tensor4D>, layer: string): tf.Tensor4D {
  const f = features[layer];
  if (!f) throw new Error(`perceptual loss: layer '${layer}' is not an output of the feature network (outputs: ${Object.keys(features).join(', ')})`);
  return f;
}

/** Feature reconstruction loss: mean((features - target)^2) over every element (Johnson's 1 / (C H W), batch-averaged). */
export function contentLoss(features: tf.Tensor4D, target: tf.Tensor4D): tf.Scalar {
  return tf.tidy(() => tf.mean(tf.squaredDifference(features, target)) as tf.Scalar);
}

/** Total variation (L2, anisotropic): mean of squared vertical plus mean of squared horizontal neighbour differences of [N, H, W, C]. */
export function totalVariation(images: tf.Tensor4D): tf.Scalar {
  return tf.tidy(() => {
    const [n, h, w, c] = images.shape;
    const dy = tf.sub(images.slice([0, 1, 0, 0], [-1, h - 1, -1, -1]), images.slice([0, 0, 0, 0], [-1, h - 1, -1, -1]));
    // horizontal neighbours as columns of [N*H, W*C] rows: the same differences, and a 2-D slice is 5x
    // faster than a 4-D one along W on wasm (0.48 vs 2.4 ms for 128x128x3; Gatys' iteration has four)
    const rows = images.reshape([n * h, w * c]);
    const dx = tf.sub(rows.slice([0, c], [-1, (w - 1) * c]), rows.slice([0, 0], [-1, (w - 1) * c]));
    return tf.add(tf.mean(tf.square(dy)), tf.mean(tf.square(dx))) as tf.Scalar;
  });
}

/** What a perceptual loss combines; any term may be left out (weight 0 or absent). */
export interface PerceptualLossSpec {
  net: FeatureNet;
  /** The feature reconstruction layer (Johnson et al.: relu2_2) and its weight. */
  contentLayer?: string;
  contentWeight?: number;
  /** The style layers, the target Gram matrices there ([1, C, C] or [N, C, C]), per-layer weights, and the style weight. */
  styleLayers?: string[];
  styleGrams?: tf.Tensor3D[];
  styleLayerWeights?: number[];
  styleWeight?: number;
  tvWeight?: number;
  /** Weight of mean((output - pixels)^2) (needs `pixels` in the targets). */
  pixelWeight?: number;
}

/** The loss and its terms (each unweighted; `total` weighted). Scalars; the caller disposes. */
export interface PerceptualLossTerms {
  total: tf.Scalar;
  content: tf.Scalar;
  style: tf.Scalar;
  tv: tf.Scalar;
  pixel: tf.Scalar;
}

/**
 * The perceptual loss of `output` [N, H, W, 3]: contentWeight * content / mean(target features^2) +
 * styleWeight * style + tvWeight * tv + pixelWeight * pixel. `targets.contentFeatures` are the
 * content image's features at `contentLayer` (see `contentFeatures`), `targets.pixels` the pixel target.
 */
export function perceptualLoss(spec: PerceptualLossSpec, output: tf.Tensor4D, targets: { contentFeatures?: tf.Tensor4D; pixels?: tf.Tensor4D } = {}): PerceptualLossTerms {
  const zero = () => tf.scalar(0);
  const cw = spec.contentWeight ?? 0, sw = spec.styleWeight ?? 0, tw = spec.tvWeight ?? 0, pw = spec.pixelWeight ?? 0;
  const needFeatures = (cw > 0 && spec.contentLayer) || (sw > 0 && spec.styleLayers?.length);
  const terms = tf.tidy(() => {
    const f = needFeatures ? extractFeatures(spec.net, output) : {};
    let content: tf.Scalar = zero(), relative: tf.Scalar = zero();
    if (cw > 0 && spec.contentLayer) {
      if (!targets.contentFeatures) throw new Error('perceptualLoss: a content weight needs targets.contentFeatures (contentFeatures(spec, contentImage))');
      content = contentLoss(lookup(f, spec.contentLayer), targets.contentFeatures);
      relative = tf.div(content, tf.maximum(tf.mean(tf.square(targets.contentFeatures)), 1e-12)) as tf.Scalar;
    }
    let style: tf.Scalar = zero();
    if (sw > 0 && spec.styleLayers?.length) {
      if (!spec.styleGrams) throw new Error('perceptualLoss: a style weight needs spec.styleGrams (gramsOf(net, styleImage, layers))');
      style = styleLoss(spec.styleLayers.map((l) => lookup(f, l)), spec.styleGrams, spec.styleLayerWeights);
    }
    const tv = tw > 0 ? totalVariation(output) : zero();
    let pixel: tf.Scalar = zero();
    if (pw > 0) {
      if (!targets.pixels) throw new Error('perceptualLoss: a pixel weight needs targets.pixels');
      pixel = tf.mean(tf.squaredDifference(output, targets.pixels)) as tf.Scalar;
    }
    const total = tf.addN([tf.mul(cw, relative), tf.mul(sw, style), tf.mul(tw, tv), tf.mul(pw, pixel)]) as tf.Scalar;
    return { total, content, style, tv, pixel };
  });
  return terms;
}

/** The features of the content image(s) at `spec.contentLayer` (the content target). Caller disposes. */
export function contentFeatures(spec: PerceptualLossSpec, images: tf.Tensor4D): tf.Tensor4D {
  if (!spec.contentLayer) throw new Error('contentFeatures: the spec has no contentLayer');
  return tf.tidy(() => lookup(extractFeatures(spec.net, images), spec.contentLayer!));
}

/** Reads a loss's terms as numbers and disposes them. */
export function readTerms(terms: PerceptualLossTerms): Record<keyof PerceptualLossTerms, number> {
  const keys = Object.keys(terms) as (keyof PerceptualLossTerms)[];
  const values = keys.map((k) => terms[k].dataSync()[0]);
  tf.dispose(Object.values(terms));
  return Object.fromEntries(keys.map((k, i) => [k, values[i]])) as Record<keyof PerceptualLossTerms, number>;
}
