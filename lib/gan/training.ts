/**
 * Training any model of lib/gan (the one step shape of lib/gan/ganModel.ts) for a fixed, seeded number
 * of steps, with a progress bar, a loss history and the learning-rate schedule of pix2pix and CycleGAN
 * (constant, then linear decay to 0: their n_epochs + n_epochs_decay); and the batch samplers.
 */
import * as tf from '@tensorflow/tfjs';
import { Progress } from '../display/progress';
import { Random } from '../runtime/random';
import { Batch, GanModel, ganStep } from './ganModel';

export interface GanTrainOptions {
  steps: number;
  /** The batch of step `step` (the loop disposes it). */
  batch: (step: number) => Batch;
  /** Fraction of the steps, at the end, over which both learning rates fall linearly to 0 (default 0.5, as the references). */
  decayFraction?: number;
  progress?: boolean;
  /** Shown before the progress bar. */
  label?: string;
  /** Average the losses over this many steps per history entry (default 25). */
  logEvery?: number;
  onLog?: (entry: GanLogEntry) => void;
}

/** Mean losses over the `logEvery` steps that end at `step`. */
export interface GanLogEntry { step: number; losses: Record<string, number> }

export interface GanTrainResult {
  history: GanLogEntry[];
  steps: number;
  /** Seconds of training. */
  seconds: number;
  /** Median milliseconds per step. */
  msPerStep: number;
}

function setRate(optimizer: tf.Optimizer | null, rate: number): void {
  if (optimizer) (optimizer as unknown as { learningRate: number }).learningRate = rate;
}

/** Trains `model` for `options.steps` steps of `ganStep`. */
export async function trainGan(model: GanModel, options: GanTrainOptions): Promise<GanTrainResult> {
  const logEvery = options.logEvery ?? 25;
  const decayFrom = Math.round(options.steps * (1 - (options.decayFraction ?? 0.5)));
  const rates = [model.gOptimizer, model.dOptimizer].map((o) => (o ? (o as unknown as { learningRate: number }).learningRate : 0));
  const progress = new Progress(options.steps, { enabled: options.progress ?? true, label: options.label });
  const history: GanLogEntry[] = [];
  const times: number[] = [];
  let sums: Record<string, number> = {};
  let count = 0;
  const start = performance.now();
  try {
    for (let step = 0; step < options.steps; step++) {
      const factor = step < decayFrom ? 1 : 1 - (step - decayFrom) / Math.max(1, options.steps - decayFrom);
      setRate(model.gOptimizer, rates[0] * factor);
      setRate(model.dOptimizer, rates[1] * factor);
      const t0 = performance.now();
      const batch = options.batch(step);
      const losses = ganStep(model, batch);
      tf.dispose(Object.values(batch));
      times.push(performance.now() - t0);
      for (const [k, v] of Object.entries(losses)) sums[k] = (sums[k] ?? 0) + v;
      count++;
      progress.tick(1, losses);
      if (count === logEvery || step === options.steps - 1) {
        const entry = { step: step + 1, losses: Object.fromEntries(Object.entries(sums).map(([k, v]) => [k, v / count])) };
        history.push(entry);
        options.onLog?.(entry);
        sums = {};
        count = 0;
      }
      if (step % 10 === 9) await new Promise((resolve) => setImmediate(resolve));
    }
  } finally {
    setRate(model.gOptimizer, rates[0]);
    setRate(model.dOptimizer, rates[1]);
    progress.finish();
  }
  const sorted = times.slice().sort((a, b) => a - b);
  return { history, steps: options.steps, seconds: (performance.now() - start) / 1000, msPerStep: sorted[Math.floor(sorted.length / 2)] ?? 0 };
}

/**
 * Batches of rows drawn from tensors that share their first dimension (a paired set: the same rows of
 * each), in shuffled epochs, seeded. `unpaired: true` draws every tensor's rows independently (CycleGAN's
 * two domains; the tensors may then differ in length). Returns (step) => batch; the caller disposes batches.
 */
export function batchSampler(data: Record<string, tf.Tensor>, batchSize: number, seed: number, options: { unpaired?: boolean } = {}): (step: number) => Batch {
  const keys = Object.keys(data);
  const groups = options.unpaired ? keys.map((k) => [k]) : [keys];
  const state = groups.map((group, g) => {
    const n = data[group[0]].shape[0];
    for (const k of group) if (data[k].shape[0] !== n) throw new Error(`batchSampler: '${k}' has ${data[k].shape[0]} rows, '${group[0]}' ${n} (paired tensors need the same count)`);
    if (n < batchSize) throw new Error(`batchSampler: ${n} rows, fewer than a batch of ${batchSize}`);
    return { group, n, rng: new Random(seed * 1009 + g), order: [] as number[], cursor: n };
  });
  return () => {
    const batch: Batch = {};
    for (const s of state) {
      if (s.cursor + batchSize > s.n) { s.order = s.rng.shuffle(Array.from({ length: s.n }, (_, i) => i)); s.cursor = 0; }
      const idx = tf.tensor1d(s.order.slice(s.cursor, s.cursor + batchSize), 'int32');
      s.cursor += batchSize;
      for (const k of s.group) batch[k] = tf.gather(data[k], idx);
      idx.dispose();
    }
    return batch;
  };
}

/** Images in [0, 1] -> [-1, 1] (the tanh range of the generators). */
export function toSigned(images: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.sub(tf.mul(images, 2), 1));
}

/** Images in [-1, 1] -> [0, 1], clipped. */
export function fromSigned(images: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.clipByValue(tf.mul(tf.add(images, 1), 0.5), 0, 1));
}
