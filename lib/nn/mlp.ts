/**
 * A multilayer perceptron: dense layers with an activation between them, a linear output. The
 * small networks of toys (lesson 05's "why regression blurs": a generator and a discriminator of one
 * number each). Inputs [N, inputSize] -> [N, outputs].
 */
import * as tf from '@tensorflow/tfjs';

export interface MlpOptions {
  inputSize: number;
  /** Widths of the hidden layers (default [32, 32]). */
  hidden?: number[];
  outputs: number;
  /** Between hidden layers (default 'relu'; LeakyReLU 0.2 with 'leakyRelu'). */
  activation?: 'relu' | 'leakyRelu' | 'tanh';
  /** Applied to the output (default none: logits or raw values). */
  outputActivation?: 'sigmoid' | 'tanh';
  seed?: number;
  name?: string;
}

/** The MLP as a tf.LayersModel (He-normal hidden weights, Glorot output weights, seeded). */
export function buildMlp(options: MlpOptions): tf.LayersModel {
  let seed = options.seed;
  const next = () => (seed == null ? undefined : seed++);
  const input = tf.input({ shape: [options.inputSize], name: 'input' });
  let x: tf.SymbolicTensor = input;
  (options.hidden ?? [32, 32]).forEach((units, i) => {
    x = tf.layers.dense({ units, kernelInitializer: tf.initializers.heNormal({ seed: next() }), name: `dense${i + 1}` }).apply(x) as tf.SymbolicTensor;
    const act = options.activation ?? 'relu';
    x = (act === 'leakyRelu' ? tf.layers.leakyReLU({ alpha: 0.2, name: `act${i + 1}` }) : tf.layers.activation({ activation: act, name: `act${i + 1}` })).apply(x) as tf.SymbolicTensor;
  });
  x = tf.layers.dense({ units: options.outputs, kernelInitializer: tf.initializers.glorotUniform({ seed: next() }), name: 'out' }).apply(x) as tf.SymbolicTensor;
  if (options.outputActivation) x = tf.layers.activation({ activation: options.outputActivation, name: 'out_activation' }).apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: x, name: options.name ?? 'mlp' });
}
