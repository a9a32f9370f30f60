/**
 * Training and evaluating an image classifier that outputs raw logits: one loop with progress,
 * validation metrics, early stopping, a time budget, best-weights restore and checkpoints.
 * The loop is written out (rather than model.fit) so that lessons can show each step:
 * forward, softmax cross-entropy, gradients, optimiser update.
 */
import * as tf from '@tensorflow/tfjs';
import { Progress } from '../display/progress';
import { Random } from '../runtime/random';
import { saveModel } from '../runtime/modelIO';
import { accuracy } from './metrics';
import { ReplicaPool, defaultThreads, trainStep, cosineRate } from './dataParallel';
import { Strategy, StrategyKind, useStrategy } from './strategy';
import { BatchGradients, lossGradients, softmaxCrossEntropy } from './losses';
import { Clock, TrainingClock } from './clock';

export { softmaxCrossEntropy };
export type { BatchGradients };

export interface ClassifierData {
  /** [N, H, W, C] float32. */
  x: tf.Tensor4D;
  /** [N] int32 class indices. */
  y: tf.Tensor1D;
}

export interface EpochLog {
  epoch: number;
  /** Mean training loss over the epoch's batches. */
  loss: number;
  /** Training accuracy over the epoch's batches (measured in training mode). */
  accuracy: number;
  valLoss?: number;
  valAccuracy?: number;
  /** Seconds of training (from the first step) at the end of this epoch and its validation. */
  seconds: number;
  steps: number;
}

export interface TrainOptions {
  epochs: number;
  batchSize?: number;
  /** Adam learning rate (default 1e-3); ignored when `optimizer` is given. */
  learningRate?: number;
  /**
   * 'cosine': the learning rate falls from `learningRate` to 0 along a half cosine over the run
   * (its length is the time budget when one is set, else epochs x steps per epoch). Default 'constant'.
   */
  schedule?: 'constant' | 'cosine';
  optimizer?: tf.Optimizer;
  validation?: ClassifierData;
  /** Stop when validation accuracy has not improved by minDelta for `patience` epochs. */
  earlyStopping?: { patience: number; minDelta?: number };
  /** Stop as soon as validation accuracy reaches this. */
  targetAccuracy?: number;
  /**
   * Stop at the first step (or validation) that ends this many seconds after the first step began;
   * setting up is not counted (lib/train/clock.ts). How far training gets then depends on the machine:
   * the lessons train a fixed number of epochs instead, so what they assert holds anywhere.
   */
  timeBudgetSeconds?: number;
  /** The clock that the budget and the reported seconds follow (default: monotonic wall time). */
  clock?: Clock;
  /** With validation: put back the weights of the best epoch at the end (default true). */
  restoreBest?: boolean;
  /** Save the best model here (model.json + weights.bin) whenever validation improves. */
  checkpointDir?: string;
  /** Seed for the batch order (default 0). */
  seed?: number;
  /**
   * Threads for data-parallel training (default: CVKIT_THREADS, else 2 on a 2-core machine with the
   * wasm backend). Needs the built optimiser (no `optimizer` option). Falls back to 1 with a message.
   */
  threads?: number;
  /** 'threads' (XNNPACK pool), 'replicas' (data-parallel) or 'auto' (measured; default): lib/train/strategy.ts. */
  strategy?: StrategyKind | 'auto';
  /** Draw a progress bar (default true). */
  progress?: boolean;
  /** Called after every epoch, e.g. to update a live plot. */
  onEpochEnd?: (log: EpochLog, history: EpochLog[]) => void | Promise<void>;
}

export interface TrainResult {
  history: EpochLog[];
  /** Index into history of the best validation accuracy (or the last epoch). */
  bestEpoch: number;
  stoppedBecause: 'epochs' | 'early-stopping' | 'time-budget' | 'target-accuracy';
  /** Seconds of training, from the first step (setting up not counted). */
  seconds: number;
  steps: number;
  /** Threads that computed gradients (1 = the main thread only). */
  threads: number;
  /** How the threads were used (lib/train/strategy.ts). */
  strategy: StrategyKind;
}

export interface Evaluation {
  loss: number;
  accuracy: number;
  /** argmax of the logits per example. */
  predictions: Int32Array;
}

/** One classifier training forward/backward on a batch (training mode): loss, gradients and predictions. Caller disposes. */
export function batchGradients(model: tf.LayersModel, x: tf.Tensor, y: tf.Tensor1D, vars: tf.Variable[]): BatchGradients & { predictions: tf.Tensor1D } {
  return lossGradients(model, x, y, vars, 'softmaxCrossEntropy') as BatchGradients & { predictions: tf.Tensor1D };
}

/** Loss, accuracy and predictions over a whole dataset, in batches (inference mode). */
export async function evaluateClassifier(model: tf.LayersModel, data: ClassifierData, batchSize = 256): Promise<Evaluation> {
  const n = data.x.shape[0];
  const predictions = new Int32Array(n);
  let lossSum = 0;
  for (let start = 0; start < n; start += batchSize) {
    const size = Math.min(batchSize, n - start);
    const [loss, pred] = tf.tidy(() => {
      const xb = data.x.slice([start, 0, 0, 0], [size, -1, -1, -1]);
      const yb = data.y.slice([start], [size]);
      // One forward pass per batch (predict's own default splits it into batches of 32).
      const logits = model.predict(xb, { batchSize: size }) as tf.Tensor;
      return [softmaxCrossEntropy(logits, yb).mul(size), logits.argMax(-1)];
    });
    lossSum += (await loss.data())[0];
    predictions.set(await pred.data() as Int32Array, start);
    tf.dispose([loss, pred]);
  }
  const labels = await data.y.data();
  return { loss: lossSum / n, accuracy: accuracy(predictions, labels), predictions };
}

/** Trains `model` (raw-logit outputs) on `train`. See TrainOptions for the stopping rules. */
export async function trainClassifier(model: tf.LayersModel, train: ClassifierData, options: TrainOptions): Promise<TrainResult> {
  const clock = new TrainingClock(options.timeBudgetSeconds, options.clock);
  const batchSize = options.batchSize ?? 64;
  const baseRate = options.learningRate ?? 1e-3;
  const optimizer = options.optimizer ?? tf.train.adam(baseRate);
  const ownsOptimizer = options.optimizer == null;
  const n = train.x.shape[0];
  const stepsPerEpoch = Math.ceil(n / batchSize);
  const rng = new Random(options.seed ?? 0);
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const history: EpochLog[] = [];
  const restoreBest = options.restoreBest ?? true;
  let best = -Infinity;
  let bestEpoch = 0;
  let bestWeights: tf.Tensor[] | null = null;
  let sinceBest = 0;
  let steps = 0;
  let stoppedBecause: TrainResult['stoppedBecause'] = 'epochs';
  const progress = new Progress(options.epochs * stepsPerEpoch, { enabled: options.progress ?? true });
  const labels = await train.y.data();
  const wantThreads = options.threads ?? defaultThreads();
  let pool: ReplicaPool | null = null;
  let strategy: Strategy = { kind: 'threads', threads: 1, reason: 'one thread' };
  let done = async () => {};
  if (wantThreads > 1 && options.optimizer != null) {
    console.log('[cvkit] data-parallel training needs the built-in Adam optimiser: training in one process');
  } else {
    const used = await useStrategy({ model, x: train.x, y: train.y, loss: 'softmaxCrossEntropy', batchSize, learningRate: baseRate }, { strategy: options.strategy, threads: wantThreads, quiet: options.progress === false });
    ({ pool, strategy, done } = used);
  }

  try {
    clock.begin();
    for (let epoch = 0; epoch < options.epochs && stoppedBecause === 'epochs'; epoch++) {
      progress.setLabel(`epoch ${epoch + 1}/${options.epochs}`);
      const order = rng.shuffle(Array.from({ length: n }, (_, i) => i));
      let lossSum = 0;
      let hits = 0;
      let seen = 0;
      for (let b = 0; b < stepsPerEpoch; b++) {
        if (options.schedule === 'cosine' && ownsOptimizer) {
          const fraction = clock.budgetFraction() ?? steps / (options.epochs * stepsPerEpoch);
          (optimizer as unknown as { learningRate: number }).learningRate = cosineRate(baseRate, fraction);
        }
        const idx = order.slice(b * batchSize, (b + 1) * batchSize);
        const r = await trainStep({ model, optimizer, vars, pool, x: train.x, y: train.y, loss: 'softmaxCrossEntropy' }, idx, labels);
        const lossValue = r.loss;
        hits += r.correct;
        lossSum += lossValue * idx.length;
        seen += idx.length;
        steps++;
        progress.tick(1, { loss: lossSum / seen, acc: hits / seen });
        if (clock.tick()) {
          stoppedBecause = 'time-budget';
          break;
        }
      }
      const log: EpochLog = { epoch, loss: lossSum / seen, accuracy: hits / seen, seconds: clock.seconds, steps };
      if (options.validation) {
        const ev = await evaluateClassifier(model, options.validation);
        log.valLoss = ev.loss;
        log.valAccuracy = ev.accuracy;
        if (clock.tick() && stoppedBecause === 'epochs') stoppedBecause = 'time-budget';
        log.seconds = clock.seconds;
        if (ev.accuracy > best + (options.earlyStopping?.minDelta ?? 0)) {
          best = ev.accuracy;
          bestEpoch = epoch;
          sinceBest = 0;
          if (restoreBest) {
            tf.dispose(bestWeights ?? []);
            bestWeights = model.getWeights().map((w) => w.clone());
          }
          if (options.checkpointDir) await saveModel(model, options.checkpointDir);
        } else {
          sinceBest++;
        }
        progress.tick(0, { val_acc: ev.accuracy });
        if (options.targetAccuracy != null && ev.accuracy >= options.targetAccuracy && stoppedBecause === 'epochs') stoppedBecause = 'target-accuracy';
        if (options.earlyStopping && sinceBest >= options.earlyStopping.patience && stoppedBecause === 'epochs') stoppedBecause = 'early-stopping';
      } else {
        bestEpoch = epoch;
        if (options.checkpointDir) await saveModel(model, options.checkpointDir);
      }
      history.push(log);
      if (options.onEpochEnd) await options.onEpochEnd(log, history);
    }
  } finally {
    progress.finish();
    if (bestWeights) {
      if (bestEpoch !== history.length - 1) model.setWeights(bestWeights);
      tf.dispose(bestWeights);
    }
    if (ownsOptimizer) optimizer.dispose();
    await done();
  }
  return { history, bestEpoch, stoppedBecause, seconds: clock.seconds, steps, threads: pool ? pool.size + 1 : strategy.threads, strategy: strategy.kind };
}
