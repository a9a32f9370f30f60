/**
 * The x4 super-resolution network that lessons 05 (MSE / MAE / GAN losses) and 06 (perceptual loss)
 * both train on datasets/superResolution.ts, so their outputs compare: an SRResNet-style body
 * (Ledig et al. 2017) without batch norm (EDSR, Lim et al. 2017), upsampled by nearest-neighbour
 * resize + 3x3 convolution per factor 2 (Odena et al. 2016: no checkerboard of transposed
 * convolutions; the same as Johnson et al.'s transform net), and a global skip: the output is the
 * bilinear upsampling of the input plus a learned residual, so a network that outputs 0 is plain
 * bilinear interpolation.
 *
 *   low-res [N, h, w, 3] in [0, 1] -> conv3x3(f), ReLU -> `blocks` x [conv, ReLU, conv, + skip]
 *   -> per factor 2: upsample x2 (nearest), conv3x3, ReLU -> conv3x3(3) -> + bilinear(low-res)
 *   -> [N, h * factor, w * factor, 3] (not clipped; evaluation clips to [0, 1]).
 *
 * Images stay in [0, 1] (not [-1, 1]): PSNR and the losses read them as they are.
 */
import * as tf from '@tensorflow/tfjs';

export interface SuperResolutionOptions {
  /** [h, w, C] of the low-resolution input (default [16, 16, 3]). */
  inputShape?: [number, number, number];
  /** Upscaling factor, a power of 2 (default 4). */
  factor?: number;
  /** Width of the body (default 32). */
  filters?: number;
  /** Width of the last upsampling stage (default filters / 2: it runs at full resolution). */
  outFilters?: number;
  /** Residual blocks at low resolution (default 4). */
  blocks?: number;
  seed?: number;
  name?: string;
}

/** The SR network: low-res image in [0, 1] -> image `factor` times larger (see the top of this file). */
export function buildSuperResolutionNet(options: SuperResolutionOptions = {}): tf.LayersModel {
  const inputShape = options.inputShape ?? [16, 16, 3];
  const factor = options.factor ?? 4;
  const stages = Math.round(Math.log2(factor));
  if (2 ** stages !== factor) throw new Error(`super-resolution factor must be a power of 2, got ${factor}`);
  const f = options.filters ?? 32;
  const fOut = options.outFilters ?? Math.max(8, f / 2);
  let seed = options.seed;
  const init = () => tf.initializers.heNormal({ seed: seed == null ? undefined : seed++ });
  const conv = (x: tf.SymbolicTensor, filters: number, name: string, relu = false, scale = 1) => {
    const kernelInitializer = scale === 1 ? init() : tf.initializers.varianceScaling({ scale: 2 * scale * scale, mode: 'fanIn', distribution: 'normal', seed: seed == null ? undefined : seed++ });
    const y = tf.layers.conv2d({ filters, kernelSize: 3, padding: 'same', kernelInitializer, name }).apply(x) as tf.SymbolicTensor;
    return relu ? (tf.layers.reLU({ name: `${name}_relu` }).apply(y) as tf.SymbolicTensor) : y;
  };
  const input = tf.input({ shape: inputShape, name: 'low_res' });
  let x = conv(input, f, 'head', true);
  for (let b = 1; b <= (options.blocks ?? 4); b++) {
    const r = conv(conv(x, f, `res${b}_a`, true), f, `res${b}_b`, false, 0.1);
    x = tf.layers.add({ name: `res${b}_add` }).apply([x, r]) as tf.SymbolicTensor;
  }
  for (let s = 1; s <= stages; s++) {
    x = tf.layers.upSampling2d({ size: [2, 2], name: `up${s}` }).apply(x) as tf.SymbolicTensor;
    x = conv(x, s === stages ? fOut : f, `up${s}_conv`, true);
  }
  const residual = tf.layers.conv2d({ filters: inputShape[2], kernelSize: 3, padding: 'same', kernelInitializer: tf.initializers.zeros(), name: 'residual' }).apply(x) as tf.SymbolicTensor;
  const bilinear = tf.layers.upSampling2d({ size: [factor, factor], interpolation: 'bilinear', name: 'bilinear' }).apply(input) as tf.SymbolicTensor;
  const out = tf.layers.add({ name: 'high_res' }).apply([bilinear, residual]) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: out, name: options.name ?? 'super_resolution' });
}
