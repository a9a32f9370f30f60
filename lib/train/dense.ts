/**
 * Training for models whose targets are tensors, not class labels: heatmaps (the hourglass, with
 * intermediate supervision), coordinates (regression), CenterNet's packed targets. The same loop
 * shape as the classifier's — shuffled batches, Adam, cosine schedule, time budget, progress bar,
 * data-parallel worker threads (lib/train/dataParallel.ts) — counted in steps rather than epochs.
 */
import * as tf from '@tensorflow/tfjs';
import { Progress } from '../display/progress';
import { Random } from '../runtime/random';
import { defaultThreads, trainStep, cosineRate } from './dataParallel';
import { StrategyKind, useStrategy } from './strategy';
import { LossKind } from './losses';
import { Clock, TrainingClock } from './clock';

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
  /**
   * Stop at the first step that ends this many seconds after the first step began (setting up is not
   * counted; the cosine schedule then follows time, not steps). How far training gets then depends on
   * the machine: the lessons train a fixed number of steps instead.
   */
  timeBudgetSeconds?: number;
  /** The clock that the budget and the reported seconds follow (default: monotonic wall time). */
  clock?: Clock;
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
  /** 'threads', 'replicas' or 'auto' (measured; default): lib/train/strategy.ts. */
  strategy?: StrategyKind | 'auto';
  progress?: boolean;
  /** Called every `logEvery` steps (default 10) with the mean loss since the last call. */
  onLog?: (log: DenseLog, history: DenseLog[]) => void | Promise<void>;
  logEvery?: number;
}

/** `seconds`: of training, from the first step. */
export interface DenseLog { step: number; loss: number; seconds: number }

export interface DenseTrainResult {
  history: DenseLog[];
  steps: number;
  /** Seconds of training, from the first step (setting up not counted). */
  seconds: number;
  threads: number;
  /** How the threads were used (lib/train/strategy.ts). */
  strategy: StrategyKind;
  stoppedBecause: 'steps' | 'time-budget';
  /** Milliseconds per step, median over the run. */
  msPerStep: number;
}

export async function trainDense(model: tf.LayersModel, data: DenseData, options: DenseTrainOptions): Promise<DenseTrainResult> {
  const clock = new TrainingClock(options.timeBudgetSeconds, options.clock);
  const batchSize = options.batchSize ?? 32;
  const baseRate = options.learningRate ?? 1e-3;
  const optimizer = tf.train.adam(baseRate);
  const n = data.x.shape[0];
  const rng = new Random(options.seed ?? 0);
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const logEvery = options.logEvery ?? 10;
  const history: DenseLog[] = [];
  const stepMs: number[] = [];
  let stoppedBecause: DenseTrainResult['stoppedBecause'] = 'steps';
  const { pool, strategy, done } = await useStrategy({ model, x: data.x, y: data.y, loss: options.loss, batchSize, learningRate: baseRate }, { strategy: options.strategy, threads: options.threads ?? defaultThreads(), quiet: options.progress === false });
  const progress = new Progress(options.steps, { enabled: options.progress ?? true });
  let order: number[] = [];
  let cursor = n;
  let sum = 0, count = 0, step = 0;
  try {
    clock.begin();
    for (; step < options.steps; step++) {
      const fraction = clock.budgetFraction() ?? step / options.steps;
      const warm = options.warmupSteps ? Math.min(1, (step + 1) / options.warmupSteps) : 1;
      const rate = (options.schedule ?? 'cosine') === 'cosine' ? cosineRate(baseRate, fraction) : baseRate;
      (optimizer as unknown as { learningRate: number }).learningRate = rate * warm;
      if (cursor + batchSize > n) { order = rng.shuffle(Array.from({ length: n }, (_, i) => i)); cursor = 0; }
      const idx = order.slice(cursor, cursor + batchSize);
      cursor += batchSize;
      const t0 = performance.now();
      const r = await trainStep({ model, optimizer, vars, pool, x: data.x, y: data.y, loss: options.loss }, idx);
      stepMs.push(performance.now() - t0);
      const spent = clock.tick();
      sum += r.loss; count++;
      progress.tick(1, { loss: r.loss });
      if ((step + 1) % logEvery === 0) {
        history.push({ step: step + 1, loss: sum / count, seconds: clock.seconds });
        sum = 0; count = 0;
        if (options.onLog) await options.onLog(history[history.length - 1], history);
      }
      if (spent) { stoppedBecause = 'time-budget'; step++; break; }
    }
  } finally {
    progress.finish();
    optimizer.dispose();
    await done();
  }
  const sorted = stepMs.slice().sort((a, b) => a - b);
  return { history, steps: step, seconds: clock.seconds, threads: pool ? pool.size + 1 : strategy.threads, strategy: strategy.kind, stoppedBecause, msPerStep: sorted[Math.floor(sorted.length / 2)] ?? 0 };
}
