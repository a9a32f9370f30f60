/**
 * The loss network of lesson 06 (perceptual loss). Johnson et al. 2016 use VGG-16 trained on
 * ImageNet; no such weights can be downloaded here, so the kit trains its own VGG-style network on
 * generated images (a shape on a texture, datasets/textures.ts) to name both the shape and the
 * texture, and ships it (recipe `perceptual-loss-network`, lib/perceptual/recipes.ts).
 *
 * Trunk: lib/nn/styleFeatures.ts's `vggTrunk` (3x3 convolutions `conv{b}_{c}`, optional batch norm `bn{b}_{c}`,
 * `relu{b}_{c}`, 2x2 average pooling between blocks), default blocks [[16, 16], [32, 32], [64, 64], [128]]: relu1_1 ...
 * relu4_1, the small counterpart of VGG's relu1_2 / relu2_2 / relu3_3 / relu4_3. Heads: global
 * average pooling of the last ReLU, then one dense layer per task (raw logits). Input: NHWC images in
 * [0, 1] of any size (fully convolutional up to the pooling).
 */
import * as tf from '@tensorflow/tfjs';
import { vggTrunk } from './styleFeatures';

/** The loss network's default blocks (filters of each 3x3 convolution, per block). */
export const LOSS_NETWORK_BLOCKS: number[][] = [[16, 16], [32, 32], [64, 64], [128]];

export interface LossNetworkOptions {
  /** Filters per convolution, per block (default LOSS_NETWORK_BLOCKS). */
  blocks?: number[][];
  /** Classes of each head, by head name (e.g. { shape: 5, texture: 8 }): one logits output `{name}_logits` each, in this order. */
  heads: Record<string, number>;
  /**
   * Batch norm after each convolution (default false: the shipped loss network has none; frozen,
   * batch norm would be a per-channel affine map).
   */
  batchNorm?: boolean;
  /** [H, W] of the input (default null x null: any size); a fixed size only serves FLOP counting (lib/bench). */
  inputSize?: [number, number];
  seed?: number;
  name?: string;
}

/** The VGG-style loss network with its classification heads (outputs: one logits tensor [N, classes] per head). */
export function buildLossNetwork(options: LossNetworkOptions): tf.LayersModel {
  let seed = options.seed;
  const input = tf.input({ shape: [options.inputSize?.[0] ?? null, options.inputSize?.[1] ?? null, 3], name: 'image' });
  const relus = vggTrunk(input, options.blocks ?? LOSS_NETWORK_BLOCKS, seed, options.batchNorm ?? false);
  if (seed != null) seed += relus.length;
  const pooled = tf.layers.globalAveragePooling2d({ name: 'gap' }).apply(relus[relus.length - 1]) as tf.SymbolicTensor;
  const outputs = Object.entries(options.heads).map(([head, classes]) =>
    tf.layers.dense({ units: classes, kernelInitializer: tf.initializers.glorotUniform({ seed: seed == null ? undefined : seed++ }), name: `${head}_logits` }).apply(pooled) as tf.SymbolicTensor);
  return tf.model({ inputs: input, outputs, name: options.name ?? 'loss_network' });
}

/**
 * A model from `network`'s input to the outputs of the named layers (e.g. ['relu1_2', 'relu2_2']),
 * SHARING its weights (no copy): the feature extractor the perceptual losses call. Throws naming
 * the layers that exist when one is unknown.
 */
export function featureExtractor(network: tf.LayersModel, layerNames: string[]): tf.LayersModel {
  const outputs = layerNames.map((name) => {
    const layer = network.layers.find((l) => l.name === name);
    if (!layer) throw new Error(`featureExtractor: no layer '${name}' in ${network.name} (its ReLUs: ${network.layers.filter((l) => /^relu/.test(l.name)).map((l) => l.name).join(', ')})`);
    return layer.output as tf.SymbolicTensor;
  });
  return tf.model({ inputs: network.inputs, outputs, name: `${network.name}_features` });
}

/** Marks every layer of `network` not trainable, so `model.trainableWeights` is empty (the loss network stays frozen). */
export function freeze(network: tf.LayersModel): tf.LayersModel {
  network.trainable = false;
  for (const layer of network.layers) layer.trainable = false;
  return network;
}
