/**
 * Training an image transformation network with a perceptual loss (Johnson et al. 2016): the network
 * maps an input to an output image in one forward pass; the loss network judges the output and stays
 * frozen — only the transformation network's weights are in the optimiser's variable list. One step
 * serves fast style transfer (content target = the input itself, style = fixed Gram matrices) and
 * super-resolution (content target = the high-resolution image; optionally a pixel term).
 * Adam 1e-3 by default, as in the paper. Images NHWC in [0, 1].
 */
import * as tf from '@tensorflow/tfjs';
import { contentFeatures, perceptualLoss, PerceptualLossSpec, PerceptualLossTerms, readTerms } from './perceptualLoss';

export interface TransformTrainer {
  /** The image transformation network being trained. */
  model: tf.LayersModel;
  optimizer: tf.Optimizer;
  spec: PerceptualLossSpec;
}

/** A trainer for `model` under `spec` (its feature network must be frozen: `featureNet` does that). */
export function createTransformTrainer(model: tf.LayersModel, spec: PerceptualLossSpec, learningRate = 1e-3): TransformTrainer {
  return { model, spec, optimizer: tf.train.adam(learningRate) };
}

/**
 * One training step on a batch: output = model(input), loss = perceptualLoss(spec, output, targets),
 * an Adam update of the model's trainable weights only. `targets.content` is the image whose features
 * the output must keep (fast style transfer: the input itself), `targets.pixels` the pixel target.
 * Returns the loss terms as numbers (read once, after the update).
 */
export function transformStep(trainer: TransformTrainer, input: tf.Tensor4D, targets: { content?: tf.Tensor4D; pixels?: tf.Tensor4D } = {}): Record<keyof PerceptualLossTerms, number> {
  const { model, spec } = trainer;
  const target = targets.content && (spec.contentWeight ?? 0) > 0 ? contentFeatures(spec, targets.content) : undefined;
  let kept!: PerceptualLossTerms;
  const total = trainer.optimizer.minimize(() => {
    const output = model.apply(input, { training: true }) as tf.Tensor4D;
    const terms = perceptualLoss(spec, output, { contentFeatures: target, pixels: targets.pixels });
    kept = { total: tf.keep(terms.total.clone()), content: tf.keep(terms.content), style: tf.keep(terms.style), tv: tf.keep(terms.tv), pixel: tf.keep(terms.pixel) };
    return terms.total;
  }, true, model.trainableWeights.map((w) => w.read() as tf.Variable))!;
  total.dispose();
  target?.dispose();
  return readTerms(kept);
}

/** Runs `model` on `images` in batches of `batchSize` and clips to [0, 1] (what the user sees). Caller disposes. */
export function transformImages(model: tf.LayersModel, images: tf.Tensor4D, batchSize = 16): tf.Tensor4D {
  return tf.tidy(() => {
    const parts: tf.Tensor4D[] = [];
    for (let i = 0; i < images.shape[0]; i += batchSize) {
      const n = Math.min(batchSize, images.shape[0] - i);
      parts.push(tf.clipByValue(model.predict(images.slice([i, 0, 0, 0], [n, -1, -1, -1])) as tf.Tensor4D, 0, 1));
    }
    return parts.length === 1 ? parts[0] : tf.concat(parts, 0);
  });
}

/** A copy of every weight of `model` (to check later that training left it unchanged). */
export function snapshotWeights(model: tf.LayersModel): Float32Array[] {
  return model.getWeights().map((w) => Float32Array.from(w.dataSync()));
}

/** How many weight values of `model` differ from `snapshot`, out of how many. */
export function changedWeights(model: tf.LayersModel, snapshot: Float32Array[]): { changed: number; total: number } {
  let changed = 0, total = 0;
  model.getWeights().forEach((w, i) => {
    const v = w.dataSync();
    total += v.length;
    for (let j = 0; j < v.length; j++) if (v[j] !== snapshot[i][j]) changed++;
  });
  return { changed, total };
}

/**
 * How much more a transformation network changed the border of its images than their inside: the mean
 * |output - input| over the outer `band` pixels of each side, divided by the same mean over the rest.
 * 1 when the change is spread evenly; a network that paints a frame along the border (what zero
 * padding lets it do, lesson 06) scores well above 1. input and output [N, H, W, C], H and W > 2 band.
 */
export function borderChangeRatio(input: tf.Tensor4D, output: tf.Tensor4D, band = 8): number {
  const [, h, w] = input.shape;
  if (h <= 2 * band || w <= 2 * band) throw new Error(`borderChangeRatio: a ${band}-pixel band needs images larger than ${2 * band}x${2 * band}, got ${h}x${w}`);
  const v = tf.tidy(() => {
    const change = tf.mean(tf.abs(tf.sub(output, input)), 3) as tf.Tensor3D;
    const inside = change.slice([0, band, band], [-1, h - 2 * band, w - 2 * band]);
    const insideSum = tf.sum(inside), allSum = tf.sum(change);
    const insideCount = inside.size, borderCount = change.size - inside.size;
    return tf.div(tf.div(tf.sub(allSum, insideSum), borderCount), tf.maximum(tf.div(insideSum, insideCount), 1e-12)).dataSync()[0];
  });
  return v;
}
