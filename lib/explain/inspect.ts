/**
 * Looking inside a trained CNN (lesson 01, "model understanding"): the first layer's filters as
 * pictures, and a layer's activation maps for one image.
 */
import * as tf from '@tensorflow/tfjs';
import { getLayer, runLayers } from './graph';
import { RawImage } from '../display/image';

/**
 * The filters of a convolution as images, one per output channel: [kh, kw, 3] for RGB inputs
 * (or [kh, kw, 1]), each stretched to [0, 1] on its own, as CS231n shows AlexNet's first layer.
 */
export function filterImages(model: tf.LayersModel, layerName: string): RawImage[] {
  const kernel = getLayer(model, layerName).getWeights()[0];
  if (!kernel || kernel.rank !== 4) throw new Error(`layer ${layerName} has no 4-D convolution kernel`);
  const [kh, kw, cin, cout] = kernel.shape;
  if (cin !== 1 && cin !== 3) throw new Error(`layer ${layerName} sees ${cin} channels: only 1- or 3-channel filters are pictures`);
  const values = kernel.dataSync();
  return Array.from({ length: cout }, (_, o) => {
    const data = new Float32Array(kh * kw * cin);
    for (let p = 0; p < kh * kw * cin; p++) data[p] = values[p * cout + o];
    let lo = Infinity, hi = -Infinity;
    for (const v of data) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
    for (let p = 0; p < data.length; p++) data[p] = hi > lo ? (data[p] - lo) / (hi - lo) : 0.5;
    return { height: kh, width: kw, channels: cin, data };
  });
}

/** The activation maps of `layerName` for image 0 of `x`: one [h, w] picture per channel (raw values). */
export function activationMaps(model: tf.LayersModel, x: tf.Tensor, layerName: string): RawImage[] {
  const maps = tf.tidy(() => runLayers(model, x.slice(0, 1), { capture: [layerName] }).captured[layerName]);
  if (maps.rank !== 4) { maps.dispose(); throw new Error(`layer ${layerName} output is not a feature map`); }
  const [, h, w, c] = maps.shape as number[];
  const values = maps.dataSync();
  maps.dispose();
  return Array.from({ length: c }, (_, k) => {
    const data = new Float32Array(h * w);
    for (let p = 0; p < h * w; p++) data[p] = values[p * c + k];
    return { height: h, width: w, channels: 1, data };
  });
}

/**
 * Channel masking: for each channel k of `layerName`, the drop in each image's target score when
 * that channel's activation map is set to zero (the rest of the network unchanged). Returns
 * [N, K] drops; large positive = the decision relies on that channel.
 */
export function channelAblation(model: tf.LayersModel, x: tf.Tensor, layerName: string, targets: number[]): number[][] {
  return tf.tidy(() => {
    const { outputs, captured } = runLayers(model, x, { capture: [layerName] });
    const activation = captured[layerName];
    const channels = activation.shape[activation.rank - 1] as number;
    const pick = tf.oneHot(tf.tensor1d(targets, 'int32'), outputs[0].shape[1] as number);
    const base = outputs[0].mul(pick).sum(1);
    const drops: number[][] = targets.map(() => []);
    for (let k = 0; k < channels; k++) {
      const keep = tf.oneHot(k, channels).sub(1).neg();
      const masked = runLayers(model, x, { replace: { [layerName]: activation.mul(keep) } }).outputs[0];
      const drop = base.sub(masked.mul(pick).sum(1)).dataSync();
      drop.forEach((d, i) => drops[i].push(d));
    }
    return drops;
  });
}
