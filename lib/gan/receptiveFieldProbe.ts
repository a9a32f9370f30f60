/**
 * The receptive field of a fully convolutional map (a PatchGAN's logits) measured, not computed: light
 * one input pixel at a time along the row through the centre logit's field and record which pixels move
 * that logit. So that no path through the network is too weak to register, the probe sets every
 * convolution kernel to the positive constant 1 / fan-in, every bias (and batch norm's beta and moving
 * mean) to 0 and batch norm's gamma and moving variance to 1 (a pixel's effect then adds up, never
 * cancels), and restores the weights afterwards. Input [1, S, S, C]; the model's output
 * [1, S', S', ...]. Compare with `patchGanReceptiveField` (closed form) and lib/explain's `receptiveField`.
 */
import * as tf from '@tensorflow/tfjs';

/** Width (pixels) of the input span that moves the centre logit of `model`'s output map. */
export function probeReceptiveField(model: tf.LayersModel): number {
  const [size, , channels] = (model.inputs[0].shape as number[]).slice(1);
  const saved = model.getWeights().map((w) => w.clone());
  const probe = tf.tidy(() => model.weights.map((v, i) => {
    const w = model.getWeights()[i];
    if (w.rank >= 2) return tf.fill(w.shape, 1 / (w.size / (w.shape[w.rank - 1] as number)));
    return /gamma|moving_variance/.test(v.name) ? tf.onesLike(w) : tf.zerosLike(w);
  }));
  model.setWeights(probe);
  tf.dispose(probe);
  try {
    const outSize = model.outputs[0].shape[1] as number;
    const centre = Math.floor(outSize / 2);
    const row = Math.round(((centre + 0.5) * size) / outSize);
    const logit = (col: number) => tf.tidy(() => {
      const image = tf.buffer([1, size, size, channels]);
      if (col >= 0) image.set(1, 0, row, col, 0);
      const out = model.predict(image.toTensor()) as tf.Tensor;
      return out.slice([0, centre, centre], [1, 1, 1]).dataSync()[0];
    });
    const base = logit(-1);
    const moved: number[] = [];
    for (let col = 0; col < size; col++) if (logit(col) !== base) moved.push(col);
    return moved.length ? moved[moved.length - 1] - moved[0] + 1 : 0;
  } finally {
    model.setWeights(saved);
    tf.dispose(saved);
  }
}
