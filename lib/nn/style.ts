/**
 * Style statistics for perceptual losses (Gatys et al. 2016; Johnson et al. 2016).
 *
 * Gram matrix of NHWC features: per image, F is C x (H*W) and G = F F^T / (C*H*W), the
 * normalisation of pytorch/examples' fast_neural_style (see ../shared/guide/REFERENCE.md, section 5).
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

/** Sum over layers of mean((G(features) - target Gram)^2). */
export function styleLoss(features: tf.Tensor4D[], targetGrams: tf.Tensor3D[]): tf.Scalar {
  if (features.length !== targetGrams.length) {
    throw new Error(`styleLoss: ${features.length} feature maps but ${targetGrams.length} target Gram matrices`);
  }
  return tf.tidy(() => tf.addN(features.map((f, i) => tf.losses.meanSquaredError(targetGrams[i], gramMatrix(f)) as tf.Scalar)) as tf.Scalar);
}

export interface StyleNetOptions {
  /** [H, W, C] of the image. */
  inputShape: [number, number, number];
  /**
   * One entry per block: the filters of each 3x3 convolution in it (default [[64, 64], [128]]:
   * VGG's relu1_1, relu1_2, then 2x2 average pooling and relu2_1). Each ReLU is an output.
   */
  blocks?: number[][];
  seed?: number;
  name?: string;
}

/**
 * A VGG-style feature network whose every ReLU output is returned (named `relu{b}_{c}`), with
 * average pooling between blocks as Gatys et al. recommend for synthesis. Random weights unless
 * loaded: random filters still carry texture statistics (Ustyuzhaninov et al. 2016).
 */
export function buildStyleFeatureNet(options: StyleNetOptions): tf.LayersModel {
  const blocks = options.blocks ?? [[64, 64], [128]];
  let seed = options.seed;
  const input = tf.input({ shape: options.inputShape, name: 'image' });
  const outputs: tf.SymbolicTensor[] = [];
  let x: tf.SymbolicTensor = input;
  blocks.forEach((convs, b) => {
    if (b > 0) x = tf.layers.averagePooling2d({ poolSize: 2, strides: 2, name: `pool${b}` }).apply(x) as tf.SymbolicTensor;
    convs.forEach((f, c) => {
      x = tf.layers.conv2d({ filters: f, kernelSize: 3, padding: 'same', kernelInitializer: tf.initializers.heNormal({ seed: seed == null ? undefined : seed++ }), name: `conv${b + 1}_${c + 1}` }).apply(x) as tf.SymbolicTensor;
      x = tf.layers.reLU({ name: `relu${b + 1}_${c + 1}` }).apply(x) as tf.SymbolicTensor;
      outputs.push(x);
    });
  });
  return tf.model({ inputs: input, outputs, name: options.name ?? 'style_features' });
}

/**
 * The style loss of `image` against target Gram matrices, and its gradient with respect to the
 * image (Gatys-style synthesis optimises the image itself).
 */
export function styleLossAndGradient(net: tf.LayersModel, image: tf.Tensor4D, targetGrams: tf.Tensor3D[]): { loss: tf.Scalar; grad: tf.Tensor4D } {
  const { value, grad } = tf.valueAndGrad((img: tf.Tensor) => {
    const out = net.apply(img) as tf.Tensor | tf.Tensor[];
    return styleLoss((Array.isArray(out) ? out : [out]) as tf.Tensor4D[], targetGrams);
  })(image);
  return { loss: value as tf.Scalar, grad: grad as tf.Tensor4D };
}
