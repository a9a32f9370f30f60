/**
 * How a ReLU passes gradients back, three ways (Springenberg et al. 2015, Zeiler & Fergus 2014):
 *   backprop:   g_in = g_out * [x > 0]
 *   deconvnet:  g_in = relu(g_out)
 *   guided:     g_in = g_out * [x > 0] * [g_out > 0]
 * Guided backpropagation and deconvnet are input gradients with every ReLU's backward rule swapped
 * (tf.customGrad), as pytorch-grad-cam's guided_backprop.py swaps its ReLU modules.
 */
import * as tf from '@tensorflow/tfjs';
import { inputGradients, Target } from './core';

export type ReluRule = 'backprop' | 'deconvnet' | 'guided';

/** The gradient a ReLU passes back under `rule`, given its input x and the incoming gradient. */
export function reluBackward(rule: ReluRule, x: tf.Tensor, gOut: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const open = tf.step(x);
    switch (rule) {
      case 'backprop': return gOut.mul(open);
      case 'deconvnet': return tf.relu(gOut);
      case 'guided': return gOut.mul(open).mul(tf.step(gOut));
    }
  });
}

/** A ReLU whose forward is relu(x) and whose backward follows `rule`. */
export function reluWithRule(rule: ReluRule): (x: tf.Tensor) => tf.Tensor {
  const f = (...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const x = args[0] as tf.Tensor;
    (args[1] as tf.GradSaveFunc)([x]);
    return { value: tf.relu(x), gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => reluBackward(rule, saved[0], dy) };
  };
  return tf.customGrad(f as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (x: tf.Tensor) => tf.Tensor;
}

/** [N, H, W, C] guided-backpropagation gradients of the target score. */
export function guidedBackprop(model: tf.LayersModel, x: tf.Tensor, options: { target?: Target } = {}): tf.Tensor {
  return inputGradients(model, x, options.target, reluWithRule('guided')).gradients;
}

/** [N, H, W, C] deconvnet reconstructions of the target score. */
export function deconvnet(model: tf.LayersModel, x: tf.Tensor, options: { target?: Target } = {}): tf.Tensor {
  return inputGradients(model, x, options.target, reluWithRule('deconvnet')).gradients;
}
