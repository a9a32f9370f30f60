/**
 * Training for models whose targets are tensors, not class labels: heatmaps (the hourglass, with
 * intermediate supervision), coordinates (regression), CenterNet's packed targets. The same loop
 * shape as the classifier's — shuffled batches, Adam, cosine schedule, time budget, progress bar,
 * data-parallel worker threads (lib/train/dataParallel.ts) — counted in steps rather than epochs.
 */
import * as tf from '@tensorflow/tfjs';
import { Progress } from '../display/progress';
import { Random } from '../runtime/random';
import { defaultThreads, trainStep, startReplicas, cosineRate } from './dataParallel';
import { LossKind } from './losses';

export interface DenseData {
  /** [N, H, W, C] inputs. */
  x: tf.Tensor;
  /** [N, ...] float32 targets. */
  y: tf.Tensor;
}

export interface DenseTrainOptions {
  loss: LossKind;
  /** Optimiser steps (with a time budget: at most this many). */
  steps: number;
  /** Stop after this many seconds (the cosine schedule then follows time, not steps). */
  timeBudgetSeconds?: number;
  batchSize?: number;
  /** Adam learning rate (default 1e-3). */
  learningRate?: number;
  /** 'cosine' (default) or 'constant'. */
  schedule?: 'constant' | 'cosine';
  /** Linear warm-up over the first steps (default 0). */
  warmupSteps?: number;
  seed?: number;
  /** Threads (default: CVKIT_THREADS, else 2 on a 2-core machine with wasm). */
  threads?: number;
  progress?: boolean;
  /** Called every `logEvery` steps (default 10) with the mean loss since the last call. */
  onLog?: (log: DenseLog, history: DenseLog[]) => void | Promise<void>;
  logEvery?: number;
}

export interface DenseLog { step: number; loss: number; seconds: number }

export interface DenseTrainResult {
  history: DenseLog[];
  steps: number;
  seconds: number;
  threads: number;
  stoppedBecause: 'steps' | 'time-budget';
  /** Milliseconds per step, median over the run. */
  msPerStep: number;
}

export async function trainDense(model: tf.LayersModel, data: DenseData, options: DenseTrainOptions): Promise<DenseTrainResult> {
  const batchSize = options.batchSize ?? 32;
  const baseRate = options.learningRate ?? 1e-3;
  const optimizer = tf.train.adam(baseRate);
  const n = data.x.shape[0];
  const rng = new Random(options.seed ?? 0);
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const logEvery = options.logEvery ?? 10;
  const start = Date.now();
  const elapsed = () => (Date.now() - start) / 1000;
  const history: DenseLog[] = [];
  const stepMs: number[] = [];
  let stoppedBecause: DenseTrainResult['stoppedBecause'] = 'steps';
  const pool = await startReplicas(model, data.x, data.y, baseRate, options.threads ?? defaultThreads(), options.loss);
  const progress = new Progress(options.steps, { enabled: options.progress ?? true });
  let order: number[] = [];
  let cursor = n;
  let sum = 0, count = 0, step = 0;
  try {
    for (; step < options.steps; step++) {
      const fraction = options.timeBudgetSeconds != null ? Math.min(1, elapsed() / options.timeBudgetSeconds) : step / options.steps;
      const warm = options.warmupSteps ? Math.min(1, (step + 1) / options.warmupSteps) : 1;
      const rate = (options.schedule ?? 'cosine') === 'cosine' ? cosineRate(baseRate, fraction) : baseRate;
      (optimizer as unknown as { learningRate: number }).learningRate = rate * warm;
      if (cursor + batchSize > n) { order = rng.shuffle(Array.from({ length: n }, (_, i) => i)); cursor = 0; }
      const idx = order.slice(cursor, cursor + batchSize);
      cursor += batchSize;
      const t0 = Date.now();
      const r = await trainStep({ model, optimizer, vars, pool, x: data.x, y: data.y, loss: options.loss }, idx);
      stepMs.push(Date.now() - t0);
      sum += r.loss; count++;
      progress.tick(1, { loss: r.loss });
      if ((step + 1) % logEvery === 0) {
        history.push({ step: step + 1, loss: sum / count, seconds: elapsed() });
        sum = 0; count = 0;
        if (options.onLog) await options.onLog(history[history.length - 1], history);
      }
      if (options.timeBudgetSeconds != null && elapsed() >= options.timeBudgetSeconds) { stoppedBecause = 'time-budget'; step++; break; }
    }
  } finally {
    progress.finish();
    optimizer.dispose();
    if (pool) await pool.close();
  }
  const sorted = stepMs.slice().sort((a, b) => a - b);
  return { history, steps: step, seconds: elapsed(), threads: pool ? pool.size + 1 : 1, stoppedBecause, msPerStep: sorted[Math.floor(sorted.length / 2)] ?? 0 };
}
