/**
 * Class activation maps (Zhou et al. 2016). For a network ending conv -> global average pool ->
 * one dense layer, the score of class c is sum_k w_k^c mean_xy f_k(x, y) + b_c, so
 * CAM_c(x, y) = sum_k w_k^c f_k(x, y) shows where the evidence for c sits. Raw values ([N, h, w]);
 * use normalizePerImage / upsampleMaps from core to display them.
 */
import * as tf from '@tensorflow/tfjs';
import { runLayers, getLayer } from './graph';
import { resolveTargets, Target } from './core';

/** The layer feeding the global-average-pool head, and the dense layer after it. */
export function camLayers(model: tf.LayersModel): { featureLayer: string; denseLayer: string } {
  const gapIndex = model.layers.findIndex((l) => l.getClassName() === 'GlobalAveragePooling2D');
  const dense = model.layers.slice(gapIndex + 1).find((l) => l.getClassName() === 'Dense');
  if (gapIndex < 1 || !dense || model.layers.indexOf(dense) !== model.layers.length - 1) {
    throw new Error(`CAM needs conv -> GlobalAveragePooling2D -> one Dense at the end; model ${model.name} is not shaped so (use Grad-CAM)`);
  }
  return { featureLayer: model.layers[gapIndex - 1].name, denseLayer: dense.name };
}

/** [N, h, w] raw class activation maps for each image's target class. */
export function cam(model: tf.LayersModel, x: tf.Tensor, options: { target?: Target } = {}): tf.Tensor {
  const { featureLayer, denseLayer } = camLayers(model);
  return tf.tidy(() => {
    const { outputs, captured } = runLayers(model, x, { capture: [featureLayer] });
    const targets = resolveTargets(outputs[0], options.target);
    const kernel = getLayer(model, denseLayer).getWeights()[0]; // [K, classes]
    const weights = tf.gather(kernel.transpose(), tf.tensor1d(targets, 'int32')); // [N, K]
    const features = captured[featureLayer]; // [N, h, w, K]
    return features.mul(weights.expandDims(1).expandDims(1)).sum(3);
  });
}
