/**
 * Image transformation networks of Johnson et al. 2016 ("Perceptual Losses for Real-Time Style
 * Transfer and Super-Resolution"), as pytorch/examples' fast_neural_style `TransformerNet` builds the
 * style one, scaled down for a 2-core CPU; lesson 06 trains them with lib/perceptual's losses.
 *
 * Style transfer (`buildStyleTransformNet`), image -> image of the same size:
 *   conv 9x9 (f0) -> IN -> ReLU; conv 3x3 stride 2 (f1) -> IN -> ReLU; conv 3x3 stride 2 (f2) -> IN -> ReLU
 *   residual blocks (f2): conv 3x3 -> IN -> ReLU -> conv 3x3 -> IN, plus the input
 *   up-sampling: nearest x2 then conv 3x3 (f1) -> IN -> ReLU; nearest x2 then conv 3x3 (f0) -> IN -> ReLU
 *   conv to 3 channels (no activation: the output is clipped to [0, 1] only for display)
 * IN = instance norm (lib/nn/instanceNorm.ts). Up-sampling by resize + convolution instead of a
 * transposed convolution avoids checkerboard artefacts (Odena et al. 2016). Reflection padding before
 * every convolution, as the reference (lib/nn/reflectionPad.ts; zero 'same' padding as an option).
 * Reference sizes: f = [32, 64, 128], 5 residual blocks, a
 * 9x9 output convolution; the kit's default f = [16, 32, 48], 4 blocks and a 3x3 output convolution,
 * so that one 128x128 image takes <= 50 ms on wasm (a 9x9 convolution to 3 channels was the slowest
 * layer there, 18% of the time, and f2 = 64 cost 1.4x; measured: docs/design.md, "Perceptual loss").
 *
 * Super-resolution (`buildSuperResolutionNet`), x`factor` (the SR generator lessons 05 and 06 share):
 *   conv 9x9 (f) -> ReLU; residual blocks (f) without normalisation (conv -> ReLU -> conv, plus the
 *   input: EDSR's finding that batch norm hurts SR); log2(factor) times nearest x2 + conv 3x3 (f) ->
 *   ReLU; conv 3x3 (Johnson et al.: 9x9; half the training step's time on wasm) to 3 channels,
 *   initialised near 0; added to the nearest-neighbour up-sampled input (the network predicts the
 *   detail the block average lost).
 * NHWC, images in [0, 1].
 */
import * as tf from '@tensorflow/tfjs';
import { instanceNorm } from './instanceNorm';
import { reflectionPadding } from './reflectionPad';

type S = tf.SymbolicTensor;

export interface StyleTransformOptions {
  /** Channels of the three resolutions (default [16, 32, 48]; Johnson et al.: [32, 64, 128]). */
  filters?: [number, number, number];
  /** Residual blocks at the lowest resolution (default 4; Johnson et al.: 5). */
  residualBlocks?: number;
  /** [H, W] of the input, or null for any size divisible by 4 (default null). */
  size?: [number, number] | null;
  /** Kernel of the first convolution (default 9, as the reference). */
  inputKernel?: number;
  /** Kernel of the output convolution (default 3; the reference: 9). */
  outputKernel?: number;
  /**
   * The output's activation (default 'sigmoid': pixels stay in [0, 1], as Johnson et al.'s scaled tanh
   * keeps them in range; with 'linear' the network learned to push channels far outside [0, 1], where
   * the loss network was never trained, and matched the Gram matrices with a flat green image).
   */
  outputActivation?: 'sigmoid' | 'linear';
  /**
   * How every convolution is padded (default 'reflect', as the reference: lib/nn/reflectionPad.ts; 'zero':
   * tfjs's 'same'. Trained with zero padding and a style loss, the network painted a frame along the
   * border, where zero padding told it the border was: lesson 06 shows both).
   */
  padding?: 'reflect' | 'zero';
  seed?: number;
  name?: string;
}

/** Layer factory: unique names and seeded He-normal initialisers. */
class Layers {
  constructor(private seed: number | undefined, private reflect = false) {}
  init(std?: number) {
    const seed = this.seed == null ? undefined : this.seed++;
    return std == null ? tf.initializers.heNormal({ seed }) : tf.initializers.randomNormal({ mean: 0, stddev: std, seed });
  }
  conv(x: S, filters: number, kernelSize: number, name: string, options: { strides?: number; useBias?: boolean; std?: number } = {}): S {
    const pad = this.reflect ? (kernelSize - 1) / 2 : 0;
    if (pad > 0) x = reflectionPadding({ padding: pad, name: `${name}_pad` }).apply(x) as S;
    return tf.layers.conv2d({ filters, kernelSize, strides: options.strides ?? 1, padding: this.reflect ? 'valid' : 'same', useBias: options.useBias ?? true, kernelInitializer: this.init(options.std), name }).apply(x) as S;
  }
  relu(x: S, name: string): S {
    return tf.layers.reLU({ name }).apply(x) as S;
  }
  up(x: S, name: string, factor = 2): S {
    return tf.layers.upSampling2d({ size: [factor, factor], interpolation: 'nearest', name }).apply(x) as S;
  }
  add(a: S, b: S, name: string): S {
    return tf.layers.add({ name }).apply([a, b]) as S;
  }
}

/** Conv (bias dropped: instance norm removes it) -> instance norm -> optional ReLU. */
function convNorm(L: Layers, x: S, filters: number, kernelSize: number, name: string, strides = 1, relu = true): S {
  x = L.conv(x, filters, kernelSize, `${name}_conv`, { strides, useBias: false });
  x = instanceNorm({ name: `${name}_in` }).apply(x) as S;
  return relu ? L.relu(x, `${name}_relu`) : x;
}

/** Johnson et al.'s style transformation network: image [N, H, W, 3] in [0, 1] -> stylised image [N, H, W, 3]. */
export function buildStyleTransformNet(options: StyleTransformOptions = {}): tf.LayersModel {
  const [f0, f1, f2] = options.filters ?? [16, 32, 48];
  const L = new Layers(options.seed, (options.padding ?? 'reflect') === 'reflect');
  const size = options.size ?? null;
  if (size && (size[0] % 4 !== 0 || size[1] % 4 !== 0)) throw new Error(`style transform net: ${size[0]}x${size[1]} is not divisible by 4 (two stride-2 convolutions)`);
  const input = tf.input({ shape: [size?.[0] ?? null, size?.[1] ?? null, 3], name: 'content' });
  let x = convNorm(L, input, f0, options.inputKernel ?? 9, 'down1');
  x = convNorm(L, x, f1, 3, 'down2', 2);
  x = convNorm(L, x, f2, 3, 'down3', 2);
  for (let r = 1; r <= (options.residualBlocks ?? 4); r++) {
    const y = convNorm(L, convNorm(L, x, f2, 3, `res${r}a`), f2, 3, `res${r}b`, 1, false);
    x = L.add(x, y, `res${r}_add`);
  }
  x = convNorm(L, L.up(x, 'up1_resize'), f1, 3, 'up1');
  x = convNorm(L, L.up(x, 'up2_resize'), f0, 3, 'up2');
  let out = L.conv(x, 3, options.outputKernel ?? 3, 'output');
  if ((options.outputActivation ?? 'sigmoid') === 'sigmoid') out = tf.layers.activation({ activation: 'sigmoid', name: 'output_sigmoid' }).apply(out) as S;
  return tf.model({ inputs: input, outputs: out, name: options.name ?? 'style_transform_net' });
}

export interface SuperResolutionOptions {
  /** [H, W] of the low-resolution input (default [16, 16]); the output is factor times larger. */
  inputSize?: [number, number];
  /** Up-sampling factor, a power of 2 (default 4). */
  factor?: number;
  /** Channels throughout (default 32; Johnson et al.: 64). */
  filters?: number;
  /** Residual blocks at the input resolution (default 4). */
  residualBlocks?: number;
  /** Kernel of the output convolution (default 3; Johnson et al.: 9). */
  outputKernel?: number;
  seed?: number;
  name?: string;
}

/** The super-resolution generator: low-resolution [N, h, w, 3] in [0, 1] -> [N, factor h, factor w, 3]. */
export function buildSuperResolutionNet(options: SuperResolutionOptions = {}): tf.LayersModel {
  const [h, w] = options.inputSize ?? [16, 16];
  const factor = options.factor ?? 4;
  const ups = Math.round(Math.log2(factor));
  if (2 ** ups !== factor) throw new Error(`super-resolution net: factor ${factor} is not a power of 2`);
  const f = options.filters ?? 32;
  const L = new Layers(options.seed);
  const input = tf.input({ shape: [h, w, 3], name: 'low_res' });
  let x = L.relu(L.conv(input, f, 9, 'head_conv'), 'head_relu');
  for (let r = 1; r <= (options.residualBlocks ?? 4); r++) {
    const y = L.conv(L.relu(L.conv(x, f, 3, `res${r}a_conv`), `res${r}a_relu`), f, 3, `res${r}b_conv`);
    x = L.add(x, y, `res${r}_add`);
  }
  for (let u = 1; u <= ups; u++) x = L.relu(L.conv(L.up(x, `up${u}_resize`), f, 3, `up${u}_conv`), `up${u}_relu`);
  const detail = L.conv(x, 3, options.outputKernel ?? 3, 'detail', { std: 1e-3 });
  const out = L.add(L.up(input, 'skip_resize', factor), detail, 'output');
  return tf.model({ inputs: input, outputs: out, name: options.name ?? 'super_resolution_net' });
}
