/**
 * Style statistics for perceptual losses (Gatys et al. 2016; Johnson et al. 2016).
 *
 * Gram matrix of NHWC features: per image, F is C x (H*W) and G = F F^T / (C*H*W), the
 * normalisation of pytorch/examples' fast_neural_style (docs/reference.md, "Perceptual loss").
 * Gatys et al.'s paper writes the loss with 1 / (4 N^2 M^2) instead; loss weights tuned for one
 * normalisation do not carry over to another. G sums over positions, so it keeps which channels fire
 * together and how strongly, and forgets where: any permutation of the positions gives the same G.
 * It is the (uncentred) second moment of the features; a covariance only after subtracting each
 * channel's mean (ReLU features are never centred).
 *
 * Style loss: sum over layers of w_l * mean((G_l(features) - G_l(target))^2) — the mean over the C x C
 * entries and the batch (Johnson et al. sum the squared Frobenius distance; same up to a constant per
 * layer). Default w_l = 1; `balancedLayerWeights` gives w_l = 1 / mean(G_l(target)^2), which makes each
 * layer's term 1 for an all-zero image, whatever the network's feature scale (the lesson compares a
 * trained and a random loss network with the same weights this way).
 */
import * as tf from '@tensorflow/tfjs';

/** G[n] = F[n]^T F[n] / (C*H*W) with F[n] = features[n] reshaped to (H*W) x C. Returns [N, C, C]. */
export function gramMatrix(features: tf.Tensor4D): tf.Tensor3D {
  return tf.tidy(() => {
    const [n, h, w, c] = features.shape;
    const f = features.reshape([n, h * w, c]);
    return tf.matMul(f, f, true, false).div(c * h * w) as tf.Tensor3D;
  });
}

/**
 * The per-image covariance of the channels, [N, C, C]: (F - mean)^T (F - mean) / (H*W) with F the
 * (H*W) x C features and mean each channel's mean over positions. C * gramMatrix = covariance +
 * mean mean^T: the Gram matrix equals a covariance (times 1/C) only when every channel's mean is 0.
 */
export function featureCovariance(features: tf.Tensor4D): tf.Tensor3D {
  return tf.tidy(() => {
    const [n, h, w, c] = features.shape;
    const f = features.reshape([n, h * w, c]);
    const centred = tf.sub(f, tf.mean(f, 1, true));
    return tf.matMul(centred, centred, true, false).div(h * w) as tf.Tensor3D;
  });
}

/**
 * Sum over layers of w_l * mean((G(features_l) - targetGrams_l)^2): `features` one NHWC map
 * [N, H, W, C] per layer, `targetGrams` the matching [N, C, C] or [1, C, C] (broadcast over the batch;
 * e.g. gramMatrix of the style image's features), `layerWeights` w_l (default all 1).
 */
export function styleLoss(features: tf.Tensor4D[], targetGrams: tf.Tensor3D[], layerWeights?: number[]): tf.Scalar {
  if (features.length !== targetGrams.length) {
    throw new Error(`styleLoss: ${features.length} feature maps but ${targetGrams.length} target Gram matrices`);
  }
  if (layerWeights && layerWeights.length !== features.length) {
    throw new Error(`styleLoss: ${features.length} feature maps but ${layerWeights.length} layer weights`);
  }
  return tf.tidy(() => tf.addN(features.map((f, i) => {
    const term = tf.mean(tf.squaredDifference(gramMatrix(f), targetGrams[i]));
    return (layerWeights ? tf.mul(term, layerWeights[i]) : term) as tf.Scalar;
  })) as tf.Scalar);
}

/** w_l = 1 / mean(G_l^2) for each target Gram matrix (see the header): the layer weights that make each layer's style term scale-free. */
export function balancedLayerWeights(targetGrams: tf.Tensor3D[]): number[] {
  return targetGrams.map((g) => {
    const m = tf.tidy(() => tf.mean(tf.square(g)));
    const v = m.dataSync()[0];
    m.dispose();
    return 1 / Math.max(v, 1e-12);
  });
}

/**
 * The style loss of `image` [N, H, W, C] through `net` (every output a feature map, e.g.
 * nn.buildStyleFeatureNet) against target Gram matrices, and its gradient with respect to the image
 * (Gatys-style synthesis optimises the image itself). Caller disposes both.
 */
export function styleLossAndGradient(net: tf.LayersModel, image: tf.Tensor4D, targetGrams: tf.Tensor3D[], layerWeights?: number[]): { loss: tf.Scalar; grad: tf.Tensor4D } {
  const { value, grad } = tf.valueAndGrad((img: tf.Tensor) => {
    const out = net.apply(img) as tf.Tensor | tf.Tensor[];
    return styleLoss((Array.isArray(out) ? out : [out]) as tf.Tensor4D[], targetGrams, layerWeights);
  })(image);
  return { loss: value as tf.Scalar, grad: grad as tf.Tensor4D };
}
