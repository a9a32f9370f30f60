/**
 * The feature network of style and perceptual losses (Gatys et al. 2016): a VGG-style stack of 3x3
 * convolutions whose every ReLU is an output. The losses on its features are lib/perceptual.
 */
import * as tf from '@tensorflow/tfjs';

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
