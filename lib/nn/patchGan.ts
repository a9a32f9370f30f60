/**
 * The PatchGAN discriminator of pix2pix and CycleGAN (Isola et al. 2017; NLayerDiscriminator in
 * junyanz/pytorch-CycleGAN-and-pix2pix): C(f)-C(2f)-C(4f) at stride 2, C(8f) at stride 1, then a
 * 1-channel 4x4 convolution; one logit per patch. `layers` = 3 is the paper's "70x70" (a 30x30 map on
 * 256x256); fewer layers see smaller patches (`patchGanReceptiveField`). pix2pix's sees the source
 * image concatenated (channels) with a real or generated target; CycleGAN's sees one image. Norm:
 * batch norm (pix2pix) or instance norm (CycleGAN), never on the first layer. NHWC.
 */
import * as tf from '@tensorflow/tfjs';
import { pix2pixInitializer } from './unet';
import { instanceNorm } from './instanceNorm';

export interface PatchGanOptions {
  /** [H, W, C] of the discriminator's input: source and target concatenated on channels. */
  inputShape: [number, number, number];
  /** Filters of the first layer (default 32). */
  filters?: number;
  /** Stride-2 layers (default 3). */
  layers?: number;
  /** Normalisation after every convolution but the first and the last (default 'batch'; CycleGAN: 'instance'). */
  norm?: 'batch' | 'instance' | 'none';
  seed?: number;
  name?: string;
}

/** The PatchGAN discriminator: [source, target] concatenated -> a map of real/fake logits. */
export function buildPatchGan(options: PatchGanOptions): tf.LayersModel {
  const base = options.filters ?? 32;
  const layers = options.layers ?? 3;
  const norm = options.norm ?? 'batch';
  let seed = options.seed;
  const next = () => (seed == null ? undefined : seed++);
  const input = tf.input({ shape: options.inputShape, name: 'pair' });
  let x: tf.SymbolicTensor = input;
  for (let i = 0; i <= layers; i++) {
    const f = base * Math.min(2 ** i, 8);
    x = tf.layers.conv2d({ filters: f, kernelSize: 4, strides: i < layers ? 2 : 1, padding: 'same', useBias: i === 0 || norm === 'none', kernelInitializer: pix2pixInitializer(next()), name: `d${i + 1}_conv` }).apply(x) as tf.SymbolicTensor;
    if (i > 0 && norm === 'batch') x = tf.layers.batchNormalization({ momentum: 0.9, name: `d${i + 1}_bn` }).apply(x) as tf.SymbolicTensor;
    if (i > 0 && norm === 'instance') x = instanceNorm({ name: `d${i + 1}_norm`, affine: false }).apply(x) as tf.SymbolicTensor;
    x = tf.layers.leakyReLU({ alpha: 0.2, name: `d${i + 1}_lrelu` }).apply(x) as tf.SymbolicTensor;
  }
  const logits = tf.layers.conv2d({ filters: 1, kernelSize: 4, strides: 1, padding: 'same', kernelInitializer: pix2pixInitializer(next()), name: 'patch_logits' }).apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: logits, name: options.name ?? 'patchgan' });
}

/**
 * The side of the input patch that one logit of a PatchGAN with `layers` stride-2 layers sees:
 * r = 1 + sum over its 4x4 convolutions of 3 x (product of the strides before it). layers = 3 gives
 * the paper's 70; 2 gives 34, 1 gives 16 (checked against one-pixel probes in tests/gan.test.ts).
 */
export function patchGanReceptiveField(layers = 3): number {
  const strides = [...Array.from({ length: layers }, () => 2), 1, 1];
  let field = 1;
  let jump = 1;
  for (const s of strides) {
    field += 3 * jump;
    jump *= s;
  }
  return field;
}
