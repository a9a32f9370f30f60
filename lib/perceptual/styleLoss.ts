/**
 * Style statistics for perceptual losses (Gatys et al. 2016; Johnson et al. 2016).
 *
 * Gram matrix of NHWC features: per image, F is C x (H*W) and G = F F^T / (C*H*W), the
 * normalisation of pytorch/examples' fast_neural_style (docs/reference.md, "Perceptual loss").
 * Style loss: sum over layers of the mean squared difference of Gram matrices. Loss weights tuned
 * for another normalisation do not carry over.
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
 * Sum over layers of mean((G(features) - target Gram)^2): `features` one NHWC map [N, H, W, C] per
 * layer, `targetGrams` the matching [N, C, C] (e.g. gramMatrix of the style image's features).
 */
export function styleLoss(features: tf.Tensor4D[], targetGrams: tf.Tensor3D[]): tf.Scalar {
  if (features.length !== targetGrams.length) {
    throw new Error(`styleLoss: ${features.length} feature maps but ${targetGrams.length} target Gram matrices`);
  }
  return tf.tidy(() => tf.addN(features.map((f, i) => tf.losses.meanSquaredError(targetGrams[i], gramMatrix(f)) as tf.Scalar)) as tf.Scalar);
}

/**
 * The style loss of `image` [N, H, W, C] through `net` (every output a feature map, e.g.
 * nn.buildStyleFeatureNet) against target Gram matrices, and its gradient with respect to the image
 * (Gatys-style synthesis optimises the image itself). Caller disposes both.
 */
export function styleLossAndGradient(net: tf.LayersModel, image: tf.Tensor4D, targetGrams: tf.Tensor3D[]): { loss: tf.Scalar; grad: tf.Tensor4D } {
  const { value, grad } = tf.valueAndGrad((img: tf.Tensor) => {
    const out = net.apply(img) as tf.Tensor | tf.Tensor[];
    return styleLoss((Array.isArray(out) ? out : [out]) as tf.Tensor4D[], targetGrams);
  })(image);
  return { loss: value as tf.Scalar, grad: grad as tf.Tensor4D };
}
