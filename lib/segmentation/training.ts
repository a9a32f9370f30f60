/**
 * What the lesson's models share to train: the ground truth of an image (boxes, classes, masks), batches
 * of scenes, and one loop of seeded optimiser steps. The models' losses need RoI sampling in JavaScript
 * between the layers, so they train in one process (the 2-thread XNNPACK pool), not with the
 * data-parallel replicas of lib/train that take a loss by name.
 */
import * as tf from '@tensorflow/tfjs';
import { Box } from '../ops/boxes';
import { Progress } from '../display/progress';
import { Random } from '../runtime/random';
import type { SceneDataset } from '../../datasets/scenes';

/** The objects of one image: boxes (kit frame), classes in [0, C) and H * W {0, 1} masks, one each. */
export interface InstanceTruth { boxes: Box[]; classes: number[]; masks: Uint8Array[] }

/** The visible objects of image `n` of a scene set (an object hidden by others is left out). */
export function sceneTruth(data: SceneDataset, n: number): InstanceTruth {
  const visible = data.instances[n].filter((o) => o.mask.some((v) => v > 0));
  return { boxes: visible.map((o) => o.box), classes: visible.map((o) => o.label), masks: visible.map((o) => o.mask) };
}

/** A batch: images [N, H, W, 3], each image's objects, and (scenes) the semantic labels [N * H * W]. */
export interface SceneBatch { images: tf.Tensor4D; truth: InstanceTruth[]; semantic: Uint8Array; indices: number[] }

/** The images `indices` of a scene set as a batch (the images copied into one tensor; caller disposes `images`). */
export function sceneBatch(data: SceneDataset, indices: number[]): SceneBatch {
  const per = data.height * data.width;
  const pixels = new Float32Array(indices.length * per * 3);
  const semantic = new Uint8Array(indices.length * per);
  indices.forEach((n, i) => {
    pixels.set(data.images.subarray(n * per * 3, (n + 1) * per * 3), i * per * 3);
    semantic.set(data.semantic.subarray(n * per, (n + 1) * per), i * per);
  });
  return { images: tf.tensor4d(pixels, [indices.length, data.height, data.width, 3]), truth: indices.map((n) => sceneTruth(data, n)), semantic, indices };
}

/** Learning rate at `step` of `steps`: linear warm-up over `warmup` steps, then a cosine decay to 0. */
export function learningRateAt(base: number, step: number, steps: number, warmup: number): number {
  const warm = warmup > 0 ? Math.min(1, (step + 1) / warmup) : 1;
  return base * warm * 0.5 * (1 + Math.cos((Math.PI * step) / steps));
}

export interface StepLoopOptions {
  steps: number;
  /** Adam's base rate (default 2e-3), with warm-up and cosine decay (`learningRateAt`). */
  learningRate?: number;
  warmup?: number;
  /** Images per step (default 16). */
  batchSize?: number;
  seed: number;
  progress?: boolean;
  /** A label beside the progress bar. */
  label?: string;
  /** Called every `logEvery` steps (default 25) with the mean losses since the last call. */
  onLog?: (log: StepLog) => void;
  logEvery?: number;
}

export interface StepLog { step: number; losses: Record<string, number>; seconds: number }

export interface StepLoopResult { steps: number; seconds: number; msPerStep: number; history: StepLog[] }

/**
 * Trains `variables` for a fixed number of seeded steps of shuffled batches of `data`: each step,
 * `loss(batch, rng)` returns the total loss and its named parts (scalars, in a tape: called inside the
 * optimiser's minimize). Adam with warm-up and cosine decay. Returns timings and the loss history.
 */
export async function trainSteps(data: SceneDataset, variables: tf.Variable[], loss: (batch: SceneBatch, rng: Random) => { total: tf.Scalar; parts: Record<string, tf.Scalar> }, options: StepLoopOptions): Promise<StepLoopResult> {
  const rng = new Random(options.seed);
  const batchSize = options.batchSize ?? 16;
  const base = options.learningRate ?? 2e-3;
  const optimizer = tf.train.adam(base);
  const progress = new Progress(options.steps, { enabled: options.progress ?? false, label: options.label });
  const logEvery = options.logEvery ?? 25;
  const history: StepLog[] = [];
  const sums: Record<string, number> = {};
  let count = 0, order: number[] = [], cursor = data.count;
  const times: number[] = [];
  const start = performance.now();
  try {
    for (let step = 0; step < options.steps; step++) {
      (optimizer as unknown as { learningRate: number }).learningRate = learningRateAt(base, step, options.steps, options.warmup ?? 50);
      if (cursor + batchSize > data.count) { order = rng.shuffle(Array.from({ length: data.count }, (_, i) => i)); cursor = 0; }
      const batch = sceneBatch(data, order.slice(cursor, cursor + batchSize));
      cursor += batchSize;
      const t0 = performance.now();
      let parts: Record<string, tf.Scalar> = {};
      const cost = optimizer.minimize(() => {
        const r = loss(batch, rng);
        parts = Object.fromEntries(Object.entries(r.parts).map(([k, v]) => [k, tf.keep(v)]));
        return r.total;
      }, true, variables);
      const values: Record<string, number> = { loss: (await cost!.data())[0] };
      for (const [k, v] of Object.entries(parts)) values[k] = (await v.data())[0];
      tf.dispose([cost!, ...Object.values(parts), batch.images]);
      times.push(performance.now() - t0);
      for (const [k, v] of Object.entries(values)) sums[k] = (sums[k] ?? 0) + v;
      count++;
      progress.tick(1, { loss: values.loss });
      if ((step + 1) % logEvery === 0 || step + 1 === options.steps) {
        const log = { step: step + 1, losses: Object.fromEntries(Object.entries(sums).map(([k, v]) => [k, v / count])), seconds: (performance.now() - start) / 1000 };
        history.push(log);
        options.onLog?.(log);
        for (const k of Object.keys(sums)) delete sums[k];
        count = 0;
        // Lets a notebook's display messages (the progress bar) go out during a long loop.
        await new Promise((resolve) => setImmediate(resolve));
      }
    }
  } finally {
    progress.finish();
    optimizer.dispose();
  }
  const sorted = times.slice().sort((a, b) => a - b);
  return { steps: options.steps, seconds: (performance.now() - start) / 1000, msPerStep: sorted[Math.floor(sorted.length / 2)] ?? 0, history };
}
