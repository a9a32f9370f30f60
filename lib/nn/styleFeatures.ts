/**
 * The feature network of style and perceptual losses (Gatys et al. 2016): a VGG-style stack of 3x3
 * convolutions whose every ReLU is an output. The losses on its features are lib/perceptual; the
 * trained version of this network (the lesson's loss network, with classification heads) is
 * lib/nn/lossNetwork.ts.
 */
import * as tf from '@tensorflow/tfjs';

export interface StyleNetOptions {
  /** [H, W, C] of the image; H and W may be null (any size: the network is fully convolutional). */
  inputShape: [number | null, number | null, number];
  /**
   * One entry per block: the filters of each 3x3 convolution in it (default [[64, 64], [128]]:
   * VGG's relu1_1, relu1_2, then 2x2 average pooling and relu2_1). Each ReLU is an output.
   */
  blocks?: number[][];
  seed?: number;
  name?: string;
}

/**
 * The VGG-style trunk: per block (2x2 average pooling before every block but the first) 3x3 'same'
 * convolutions `conv{b}_{c}`, each followed (with `batchNorm`) by batch norm `bn{b}_{c}` and by
 * `relu{b}_{c}`. Returns every ReLU's output, in order. He-normal initialisation, seeded from `seed`
 * upwards (one seed per convolution).
 */
export function vggTrunk(input: tf.SymbolicTensor, blocks: number[][], seed?: number, batchNorm = false): tf.SymbolicTensor[] {
  const outputs: tf.SymbolicTensor[] = [];
  let x = input;
  blocks.forEach((convs, b) => {
    if (b > 0) x = tf.layers.averagePooling2d({ poolSize: 2, strides: 2, name: `pool${b}` }).apply(x) as tf.SymbolicTensor;
    convs.forEach((f, c) => {
      x = tf.layers.conv2d({ filters: f, kernelSize: 3, padding: 'same', useBias: !batchNorm, kernelInitializer: tf.initializers.heNormal({ seed: seed == null ? undefined : seed++ }), name: `conv${b + 1}_${c + 1}` }).apply(x) as tf.SymbolicTensor;
      if (batchNorm) x = tf.layers.batchNormalization({ momentum: 0.9, name: `bn${b + 1}_${c + 1}` }).apply(x) as tf.SymbolicTensor;
      x = tf.layers.reLU({ name: `relu${b + 1}_${c + 1}` }).apply(x) as tf.SymbolicTensor;
      outputs.push(x);
    });
  });
  return outputs;
}

/**
 * A VGG-style feature network whose every ReLU output is returned (named `relu{b}_{c}`), with
 * average pooling between blocks as Gatys et al. recommend for synthesis. Random weights unless
 * loaded: random filters still carry texture statistics (Ustyuzhaninov et al. 2016).
 */
export function buildStyleFeatureNet(options: StyleNetOptions): tf.LayersModel {
  const input = tf.input({ shape: options.inputShape, name: 'image' });
  const outputs = vggTrunk(input, options.blocks ?? [[64, 64], [128]], options.seed);
  return tf.model({ inputs: input, outputs, name: options.name ?? 'style_features' });
}
