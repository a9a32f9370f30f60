/**
 * Grad-CAM (Selvaraju et al. 2017), as jacobgil/pytorch-grad-cam computes it:
 *   alpha_k = mean_ij d y_c / d A^k_ij,  map = ReLU(sum_k alpha_k A^k),
 * then per image (m - min) / (max + 1e-7) and a bilinear upsample to the input size. With several
 * target layers, each layer's map is made so, the maps are averaged and renormalised.
 * Guided Grad-CAM = guided backpropagation x the upsampled Grad-CAM, elementwise.
 */
import * as tf from '@tensorflow/tfjs';
import { captureLayer, normalizePerImage, upsampleMaps, Target, resolveTargets, logits } from './core';
import { guidedBackprop } from './guidedBackprop';
import { lastConvLayerName } from '../nn/vgg';

export interface GradCamOptions {
  target?: Target;
  /** Target layer(s) (default: the layer before the global-average pool, or the last 4-D layer). */
  layers?: string | string[];
  /** Apply the ReLU (default true). False gives the raw weighted sum (for checks against CAM). */
  relu?: boolean;
  /** Normalise each map to [0, 1) (default true). */
  normalize?: boolean;
  /** Resize to the input's H x W (default true). */
  upsample?: boolean;
}

/** The default Grad-CAM layer: the one feeding 'gap', else the last layer with a 4-D output. */
export function defaultCamLayer(model: tf.LayersModel): string {
  try {
    return lastConvLayerName(model);
  } catch {
    const spatial = model.layers.filter((l) => Array.isArray(l.outputShape) && (l.outputShape as unknown[]).length === 4 && l.getClassName() !== 'InputLayer');
    if (spatial.length === 0) throw new Error(`model ${model.name} has no layer with a spatial (4-D) output for Grad-CAM`);
    return spatial[spatial.length - 1].name;
  }
}

/** [N, H, W] Grad-CAM maps (see GradCamOptions for the raw variants). */
export function gradCam(model: tf.LayersModel, x: tf.Tensor, options: GradCamOptions = {}): tf.Tensor {
  const layers = options.layers == null ? [defaultCamLayer(model)] : Array.isArray(options.layers) ? options.layers : [options.layers];
  const relu = options.relu ?? true;
  const normalize = options.normalize ?? true;
  const upsample = options.upsample ?? true;
  if (layers.length > 1 && !upsample) throw new Error('gradCam: several layers need upsample: true (their maps differ in size)');
  // The first capture's forward pass resolves the targets (no separate pass for them); the other
  // layers reuse them.
  let targets: Target = options.target ?? 'argmax';
  const maps = layers.map((layer) => {
    const c = captureLayer(model, x, layer, targets);
    targets = c.targets;
    const map = tf.tidy(() => {
      const alpha = c.gradients.mean([1, 2], true); // [N, 1, 1, K]
      let m = c.activations.mul(alpha).sum(3);
      if (relu) m = tf.relu(m);
      if (normalize) m = normalizePerImage(m);
      return upsample ? upsampleMaps(m, [x.shape[1] as number, x.shape[2] as number]) : m;
    });
    tf.dispose([c.activations, c.gradients, c.logits]);
    return map;
  });
  if (maps.length === 1) return maps[0];
  const combined = tf.tidy(() => {
    const mean = tf.stack(maps).maximum(0).mean(0);
    return normalize ? normalizePerImage(mean) : mean;
  });
  tf.dispose(maps);
  return combined;
}

/** [N, H, W, C] Guided Grad-CAM: guided backprop times the upsampled Grad-CAM. */
export function guidedGradCam(model: tf.LayersModel, x: tf.Tensor, options: GradCamOptions = {}): tf.Tensor {
  const targets = tf.tidy(() => resolveTargets(logits(model, x), options.target));
  const guided = guidedBackprop(model, x, { target: targets });
  const camMaps = gradCam(model, x, { ...options, target: targets, upsample: true });
  const out = tf.tidy(() => guided.mul(camMaps.expandDims(3)));
  tf.dispose([guided, camMaps]);
  return out;
}
