/**
 * A small VGG-style classifier family with a global-average-pool head, so that CAM applies
 * (Zhou et al. 2016: conv -> GAP -> one dense layer). Outputs raw logits (no softmax): explanation
 * methods differentiate the raw score, and the loss applies softmax itself.
 *
 * Layer names are stable so lessons can address them: `block{b}_conv{c}`, `block{b}_bn{c}`,
 * `block{b}_relu{c}`, `block{b}_pool`, then `gap` and `logits`. The last ReLU before `gap` is
 * `lastConvLayerName(model)`.
 */
import * as tf from '@tensorflow/tfjs';

export interface VggOptions {
  /** [H, W, C] of the input. */
  inputShape: [number, number, number];
  numClasses: number;
  /** Filters per block; each block but the last ends with 2x2 max-pooling (default [16, 32, 64]). */
  filters?: number[];
  /** Convolutions per block (default 1). */
  convsPerBlock?: number;
  /** Batch normalisation after each convolution (default true). */
  batchNorm?: boolean;
  /**
   * Stride of the very first convolution (default 1). With 2, block 1 downsamples by its
   * convolution instead of a pooling layer: half the resolution, a quarter of the work, for
   * every later layer.
   */
  stemStride?: number;
  /**
   * The head: 'gap' (default) global average pooling then one dense layer, so CAM applies; 'flatten'
   * the classic VGG head, flatten -> dense 128 + ReLU (`fc1`) -> dense logits, which CAM cannot read
   * (lesson 01 measures what the GAP head costs in accuracy against it).
   */
  head?: 'gap' | 'flatten';
  /** Seed for the weight initialisers (default: from Math.random, see seedEverything). */
  seed?: number;
  name?: string;
}

/** Builds the classifier as a functional tf.LayersModel. */
export function buildVggClassifier(options: VggOptions): tf.LayersModel {
  const filters = options.filters ?? [16, 32, 64];
  const convs = options.convsPerBlock ?? 1;
  const batchNorm = options.batchNorm ?? true;
  const stemStride = options.stemStride ?? 1;
  let seed = options.seed;
  const init = () => tf.initializers.heNormal({ seed: seed == null ? undefined : seed++ });
  const input = tf.input({ shape: options.inputShape, name: 'input' });
  let x: tf.SymbolicTensor = input;
  filters.forEach((f, b) => {
    for (let c = 1; c <= convs; c++) {
      const id = `block${b + 1}`;
      const strides = b === 0 && c === 1 ? stemStride : 1;
      x = tf.layers.conv2d({ filters: f, kernelSize: 3, strides, padding: 'same', useBias: !batchNorm, kernelInitializer: init(), name: `${id}_conv${c}` }).apply(x) as tf.SymbolicTensor;
      if (batchNorm) x = tf.layers.batchNormalization({ momentum: 0.9, name: `${id}_bn${c}` }).apply(x) as tf.SymbolicTensor;
      x = tf.layers.reLU({ name: `${id}_relu${c}` }).apply(x) as tf.SymbolicTensor;
    }
    if (b < filters.length - 1 && !(b === 0 && stemStride > 1)) {
      x = tf.layers.maxPooling2d({ poolSize: 2, strides: 2, name: `block${b + 1}_pool` }).apply(x) as tf.SymbolicTensor;
    }
  });
  if ((options.head ?? 'gap') === 'flatten') {
    x = tf.layers.flatten({ name: 'flatten' }).apply(x) as tf.SymbolicTensor;
    x = tf.layers.dense({ units: 128, activation: 'relu', kernelInitializer: init(), name: 'fc1' }).apply(x) as tf.SymbolicTensor;
  } else {
    x = tf.layers.globalAveragePooling2d({ name: 'gap' }).apply(x) as tf.SymbolicTensor;
  }
  const logits = tf.layers.dense({ units: options.numClasses, kernelInitializer: tf.initializers.glorotUniform({ seed }), name: 'logits' }).apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: logits, name: options.name ?? ((options.head ?? 'gap') === 'gap' ? 'vgg_gap' : 'vgg_fc') });
}

/** The name of the last layer before global average pooling (the CAM / Grad-CAM layer). */
export function lastConvLayerName(model: tf.LayersModel): string {
  const names = model.layers.map((l) => l.name);
  const gap = names.indexOf('gap');
  if (gap < 1) throw new Error(`model ${model.name} has no 'gap' layer`);
  return names[gap - 1];
}

/** Number of trainable parameters (what PyTorch's sum(p.numel() for p in ... if p.requires_grad) counts). */
export function countParameters(model: tf.LayersModel, trainableOnly = true): number {
  const weights = trainableOnly ? model.trainableWeights : model.weights;
  return weights.reduce((sum, w) => sum + w.shape.reduce((a: number, b) => a * (b as number), 1), 0);
}
