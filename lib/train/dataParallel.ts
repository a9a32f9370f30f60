/**
 * Data-parallel training over worker threads, so training uses every core (tfjs's wasm backend
 * runs one thread under Node). Each step, the batch is split into one share per thread; the main
 * thread and each replica (lib/train/replicaWorker.ts) compute gradients on their share at the
 * same time; the gradients are averaged (weighted by share size) and every copy of the model
 * applies the same average with its own, identical optimiser — so all copies keep the same weights.
 * Batch-norm statistics are per share (as in PyTorch's DistributedDataParallel without SyncBN).
 *
 * Threads: CVKIT_THREADS, else one per core (at most 2) on wasm, else 1. While replicas run, the wasm
 * backend's own XNNPACK pool is shrunk to one thread: the replicas are the parallelism, and a
 * 2-thread pool beside them was slower (measured: docs/design.md, "Both cores").
 */
import { Worker } from 'worker_threads';
import * as fs from 'fs';
import * as os from 'os';
import * as tf from '@tensorflow/tfjs';
import { projectPath } from '../runtime/paths';
import { setWasmThreads } from '../runtime/wasm/threads';
import { LossKind, lossGradients } from './losses';
import { flattenTensors, unflattenInto } from './flatten';

export interface ShareResult { grads: Float32Array; loss: number; correct: number; count: number }

/** How many threads training should use by default here. */
export function defaultThreads(): number {
  const env = process.env.CVKIT_THREADS;
  if (env != null && env !== '') {
    const n = Number(env);
    if (!Number.isInteger(n) || n < 1) throw new Error(`CVKIT_THREADS=${env} is not a positive integer`);
    return n;
  }
  return tf.getBackend() === 'wasm' ? Math.max(1, Math.min(2, os.cpus().length)) : 1;
}

/** Splits `indices` into `parts` shares of near-equal size (the first ones one longer). */
export function splitShares(indices: number[], parts: number): number[][] {
  const out: number[][] = [];
  let start = 0;
  for (let p = 0; p < parts; p++) {
    const size = Math.floor(indices.length / parts) + (p < indices.length % parts ? 1 : 0);
    out.push(indices.slice(start, start + size));
    start += size;
  }
  return out;
}

interface Pending { resolve: (r: ShareResult) => void; reject: (e: Error) => void }

/** The replicas of one model, each in its own worker thread. */
export class ReplicaPool {
  private readonly pending: (Pending | null)[];

  /** The wasm backend's XNNPACK pool size to restore on close (the replicas run with a pool of 1). */
  private restoreThreads: number | null = null;

  private constructor(private readonly workers: Worker[]) {
    this.pending = workers.map(() => null);
    workers.forEach((w, i) => {
      w.on('message', (m: { type: string; error?: string } & ShareResult) => {
        const p = this.pending[i];
        if (m.type === 'grads' && p) { this.pending[i] = null; p.resolve(m); }
        if (m.type === 'error') { this.pending[i] = null; p?.reject(new Error(`training replica ${i + 1}: ${m.error}`)); }
      });
      w.on('error', (err) => { const p = this.pending[i]; this.pending[i] = null; p?.reject(err); });
    });
  }

  /**
   * Starts `count` replicas of `model` over the training set (`x` [N, ...] and targets `y` [N, ...]:
   * int32 labels or float32 values), with an Adam optimiser at `learningRate`, computing `loss`.
   * The data is shared with the threads, not copied per step.
   */
  static async start(model: tf.LayersModel, x: tf.Tensor, y: tf.Tensor, learningRate: number, count: number, loss: LossKind = 'softmaxCrossEntropy'): Promise<ReplicaPool> {
    const script = projectPath('dist', 'lib', 'train', 'replicaWorker.js');
    if (!fs.existsSync(script)) throw new Error(`${script} is missing (run npm run build)`);
    const xShared = new Float32Array(new SharedArrayBuffer(x.size * 4));
    xShared.set(await x.data() as Float32Array);
    const yShared = y.dtype === 'int32' ? new Int32Array(new SharedArrayBuffer(y.size * 4)) : new Float32Array(new SharedArrayBuffer(y.size * 4));
    yShared.set(await y.data() as Int32Array & Float32Array);
    const topology = model.toJSON(null, false) as object;
    const weights = model.getWeights().map((w) => w.dataSync() as Float32Array);
    const workers = Array.from({ length: count }, () => new Worker(script));
    const pool = new ReplicaPool(workers);
    try {
      await Promise.all(workers.map((w) => new Promise<void>((resolve, reject) => {
        const onMessage = (m: { type: string; error?: string }) => {
          if (m.type === 'ready') { w.off('message', onMessage); resolve(); }
          if (m.type === 'error') reject(new Error(m.error));
        };
        w.on('message', onMessage);
        w.once('error', reject);
        w.postMessage({ type: 'init', topology, weights, x: xShared, xShape: x.shape, y: yShared, yShape: y.shape, yDtype: y.dtype, loss, learningRate, backend: tf.getBackend() === 'tensorflow' ? 'node' : tf.getBackend() });
      })));
    } catch (err) {
      await pool.close();
      throw err;
    }
    pool.restoreThreads = setWasmThreads(1);
    return pool;
  }

  get size(): number {
    return this.workers.length;
  }

  /** Asks replica i to compute gradients on shares[i]; resolves with every replica's result. */
  compute(shares: number[][]): Promise<ShareResult[]> {
    return Promise.all(shares.map((indices, i) => new Promise<ShareResult>((resolve, reject) => {
      this.pending[i] = { resolve, reject };
      this.workers[i].postMessage({ type: 'step', indices: Int32Array.from(indices) });
    })));
  }

  /** Sends the averaged gradients to every replica to apply at `learningRate`. */
  apply(grads: Float32Array, learningRate: number): void {
    for (const w of this.workers) w.postMessage({ type: 'apply', grads, learningRate });
  }

  async close(): Promise<void> {
    if (this.restoreThreads != null) setWasmThreads(this.restoreThreads);
    this.restoreThreads = null;
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

/**
 * The replica pool for `threads` threads in all (the main thread is one of them), or null for one
 * thread — also when the replicas cannot start, which is said in one line.
 */
export async function startReplicas(model: tf.LayersModel, x: tf.Tensor, y: tf.Tensor, learningRate: number, threads: number, loss: LossKind): Promise<ReplicaPool | null> {
  if (threads <= 1) return null;
  try {
    return await ReplicaPool.start(model, x, y, learningRate, threads - 1, loss);
  } catch (err) {
    console.log(`[cvkit] data-parallel training could not start (${(err as Error).message.split('\n')[0]}): training on 1 thread`);
    return null;
  }
}

/** Learning rate along a half cosine from `base` (fraction 0) to 0 (fraction 1). */
export function cosineRate(base: number, fraction: number): number {
  return base * 0.5 * (1 + Math.cos(Math.PI * fraction));
}

export interface StepContext {
  model: tf.LayersModel;
  optimizer: tf.Optimizer;
  vars: tf.Variable[];
  pool: ReplicaPool | null;
  x: tf.Tensor;
  y: tf.Tensor;
  loss: LossKind;
}

/**
 * One optimiser step on the examples `idx`: the main thread and each replica compute gradients on
 * their share, the gradients are averaged weighted by share size, and every copy applies the same
 * average. Returns the batch's mean loss and, for classifiers (`labels` given), the number right.
 */
export async function trainStep(ctx: StepContext, idx: number[], labels?: ArrayLike<number>): Promise<{ loss: number; correct: number }> {
  const { pool, vars, optimizer } = ctx;
  const shares = splitShares(idx, pool ? pool.size + 1 : 1);
  const others = pool ? pool.compute(shares.slice(1)) : Promise.resolve([] as ShareResult[]);
  const mine = shares[0];
  const idxTensor = tf.tensor1d(mine, 'int32');
  const xb = tf.gather(ctx.x, idxTensor);
  const yb = tf.gather(ctx.y, idxTensor);
  const { loss: value, grads, predictions } = lossGradients(ctx.model, xb, yb, vars, ctx.loss);
  let correct = 0;
  if (predictions && labels) {
    const pred = await predictions.data();
    for (let i = 0; i < mine.length; i++) if (pred[i] === labels[mine[i]]) correct++;
  }
  let lossValue = (await value.data())[0] * mine.length;
  if (pool) {
    const average = flattenTensors(vars.map((v) => grads[v.name]));
    for (let k = 0; k < average.length; k++) average[k] *= mine.length;
    for (const r of await others) {
      for (let k = 0; k < average.length; k++) average[k] += r.grads[k] * r.count;
      lossValue += r.loss * r.count;
      correct += r.correct;
    }
    for (let k = 0; k < average.length; k++) average[k] /= idx.length;
    const named = unflattenInto(average, vars);
    optimizer.applyGradients(named);
    pool.apply(average, (optimizer as unknown as { learningRate: number }).learningRate);
    tf.dispose(Object.values(named));
  } else {
    optimizer.applyGradients(grads);
  }
  tf.dispose([idxTensor, xb, yb, value, ...(predictions ? [predictions] : []), ...Object.values(grads)]);
  return { loss: lossValue / idx.length, correct };
}
