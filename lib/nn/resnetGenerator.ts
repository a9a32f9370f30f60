/**
 * CycleGAN's generator (Zhu et al. 2017; junyanz/pytorch-CycleGAN-and-pix2pix `ResnetGenerator`),
 * sized for small images: c7s1-f, d2f, d4f (stride-2 3x3 convolutions), `blocks` residual blocks at
 * 4f, u2f, uf (stride-2 3x3 transposed convolutions), c7s1-C, tanh. Every convolution but the last is
 * followed by instance normalisation (lib/nn/instanceNorm.ts) and ReLU; a residual block is
 * conv-norm-ReLU-conv-norm added to its input. Weights from N(0, 0.02), no biases before a norm.
 *
 * Differences from the reference, stated: zero padding ('same') instead of reflection padding (tfjs
 * layers have none), and a width `filters` (reference 64) and `blocks` (reference 6 at 128 px, 9 at
 * 256) chosen for 32x32 images on two cores. NHWC, images in [-1, 1].
 */
import * as tf from '@tensorflow/tfjs';
import { instanceNorm } from './instanceNorm';
import { pix2pixInitializer } from './unet';

export interface ResnetGeneratorOptions {
  /** [H, W, C] of the input image; H and W divisible by 4. */
  inputShape: [number, number, number];
  /** Channels of the output image (default: the input's). */
  outChannels?: number;
  /** Width of the first layer (default 16; reference 64). */
  filters?: number;
  /** Residual blocks at the lowest resolution (default 3; reference 6 or 9). */
  blocks?: number;
  seed?: number;
  name?: string;
}

/** The ResNet-style image-to-image generator of CycleGAN: image in [-1, 1] -> image in [-1, 1], same size. */
export function buildResnetGenerator(options: ResnetGeneratorOptions): tf.LayersModel {
  const [h, w, c] = options.inputShape;
  if (h % 4 !== 0 || w % 4 !== 0) throw new Error(`ResNet generator: input ${h}x${w} is not divisible by 4 (two stride-2 levels)`);
  const f = options.filters ?? 16;
  let seed = options.seed;
  const init = () => pix2pixInitializer(seed == null ? undefined : seed++);
  const conv = (x: tf.SymbolicTensor, filters: number, kernelSize: number, strides: number, name: string) =>
    tf.layers.conv2d({ filters, kernelSize, strides, padding: 'same', useBias: false, kernelInitializer: init(), name }).apply(x) as tf.SymbolicTensor;
  const normRelu = (x: tf.SymbolicTensor, name: string, relu = true) => {
    const y = instanceNorm({ name: `${name}_norm`, affine: false }).apply(x) as tf.SymbolicTensor;
    return relu ? (tf.layers.reLU({ name: `${name}_relu` }).apply(y) as tf.SymbolicTensor) : y;
  };
  const input = tf.input({ shape: options.inputShape, name: 'image' });
  let x = normRelu(conv(input, f, 7, 1, 'c7s1'), 'c7s1');
  x = normRelu(conv(x, 2 * f, 3, 2, 'down1'), 'down1');
  x = normRelu(conv(x, 4 * f, 3, 2, 'down2'), 'down2');
  for (let b = 1; b <= (options.blocks ?? 3); b++) {
    let r = normRelu(conv(x, 4 * f, 3, 1, `res${b}_a`), `res${b}_a`);
    r = normRelu(conv(r, 4 * f, 3, 1, `res${b}_b`), `res${b}_b`, false);
    x = tf.layers.add({ name: `res${b}_add` }).apply([x, r]) as tf.SymbolicTensor;
  }
  for (const [i, width] of [[1, 2 * f], [2, f]] as const) {
    x = tf.layers.conv2dTranspose({ filters: width, kernelSize: 3, strides: 2, padding: 'same', useBias: false, kernelInitializer: init(), name: `up${i}` }).apply(x) as tf.SymbolicTensor;
    x = normRelu(x, `up${i}`);
  }
  x = tf.layers.conv2d({ filters: options.outChannels ?? c, kernelSize: 7, padding: 'same', kernelInitializer: init(), name: 'out_conv' }).apply(x) as tf.SymbolicTensor;
  const out = tf.layers.activation({ activation: 'tanh', name: 'out_tanh' }).apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: out, name: options.name ?? 'resnet_generator' });
}
