/**
 * Batch normalisation in training as one operation with its closed-form gradient, on the wasm
 * backend.
 *
 * tfjs-layers trains a BatchNormalization layer as tf.moments (mean, then the mean of squared
 * deviations) followed by tf.batchNorm, and tfjs differentiates that graph op by op: about 40
 * kernels and 20 passes over the activations per layer in the backward pass (Sub, Square, Mul,
 * broadcasts, reductions). Here the forward is three SIMD passes (mean, variance, normalise) and the
 * backward two (per-channel sums of dy and dy * xhat, then dx), with
 *   dx = gamma * invStd * (dy - mean(dy) - xhat * mean(dy * xhat)),
 *   dgamma = sum(dy * xhat), dbeta = sum(dy),  xhat = (x - mean) * invStd,
 * which is what the op-by-op graph computes (checked against it in tests/batchNorm.test.ts).
 * The layer's moving averages are updated exactly as tfjs-layers does.
 *
 * `registerFastBatchNorm` replaces BatchNormalization's `call` with one that takes this path in
 * training on the wasm backend for channels-last layers with both gamma and beta (every batch-norm
 * layer of the kit), and calls the original otherwise.
 */
import * as tf from '@tensorflow/tfjs';
import { activeHeapBackend, isWasmHeapBackend, offsetOf, uninitialisedTensor, viewOf, withAccumulators } from './heap';
import { simdKernels } from './simd';

/** y = batch-normalised x (per-channel statistics over every other axis), and those statistics. */
export interface TrainingBatchNorm {
  y: tf.Tensor;
  mean: tf.Tensor1D;
  variance: tf.Tensor1D;
}

/** A float32 [values.length] tensor on the wasm heap. */
function heapVector(values: Float32Array | number[]): tf.Tensor1D {
  const t = uninitialisedTensor([values.length]) as tf.Tensor1D;
  viewOf(t).set(values);
  return t;
}

/**
 * Batch normalisation of x [..., C] over every axis but the last, with batch statistics, as one
 * differentiable operation (gradients for x, gamma and beta). wasm backend only.
 */
export function trainingBatchNorm(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, epsilon: number): TrainingBatchNorm {
  const c = x.shape[x.shape.length - 1];
  const rows = x.size / c;
  let stats: { mean: tf.Tensor1D; variance: tf.Tensor1D } | null = null;
  const forward = (xIn: tf.Tensor, g: tf.Tensor, b: tf.Tensor, save: tf.GradSaveFunc) => {
    const backend = activeHeapBackend();
    const simd = simdKernels(backend);
    const mean = uninitialisedTensor([c]) as tf.Tensor1D;
    const variance = uninitialisedTensor([c]) as tf.Tensor1D;
    withAccumulators(backend, c, (tmp, acc) => {
      simd.reduce_middle(offsetOf(backend, xIn), offsetOf(backend, mean), 1, rows, c, 1 / rows, tmp, acc);
      simd.channel_variance(offsetOf(backend, xIn), offsetOf(backend, mean), offsetOf(backend, variance), rows, c, tmp, acc);
    });
    const v = viewOf(variance);
    const invStd = heapVector(Array.from(v, (value) => 1 / Math.sqrt(value + epsilon)));
    const gv = viewOf(g);
    const inv = viewOf(invStd);
    const factor = heapVector(Array.from(inv, (value, i) => gv[i] * value));
    const y = uninitialisedTensor(xIn.shape);
    simd.batch_norm_apply(offsetOf(backend, xIn), offsetOf(backend, y), offsetOf(backend, mean), offsetOf(backend, factor), offsetOf(backend, b), rows, c);
    factor.dispose();
    save([xIn, g, mean, invStd]);
    // customGrad disposes what its forward made, but for the value: keep the statistics (see below).
    stats = { mean: tf.keep(mean), variance: tf.keep(variance) };
    return {
      value: y,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xs, gs, mu, is] = saved;
        const sums = uninitialisedTensor([2 * c]);
        withAccumulators(backend, 2 * c, (tmp, acc) => {
          simd.batch_norm_grad_sums(offsetOf(backend, xs), offsetOf(backend, dy), offsetOf(backend, mu), offsetOf(backend, is), offsetOf(backend, sums), rows, c, tmp, acc);
        });
        const s = viewOf(sums).slice();
        const istd = viewOf(is).slice();
        const gamma = viewOf(gs).slice();
        const a = heapVector(Array.from(istd, (value, i) => gamma[i] * value));
        const bb = heapVector(Array.from(s.subarray(0, c), (value) => value / rows));
        const k = heapVector(Array.from(istd, (value, i) => (value * s[c + i]) / rows));
        const dx = uninitialisedTensor(xs.shape);
        simd.batch_norm_grad_x(offsetOf(backend, xs), offsetOf(backend, dy), offsetOf(backend, mu), offsetOf(backend, a), offsetOf(backend, bb), offsetOf(backend, k), offsetOf(backend, dx), rows, c);
        const dGamma = heapVector(s.subarray(c));
        const dBeta = heapVector(s.subarray(0, c));
        tf.dispose([sums, a, bb, k]);
        return [dx, dGamma.reshape(gs.shape), dBeta.reshape(gs.shape)];
      },
    };
  };
  const y = tf.customGrad(forward as unknown as Parameters<typeof tf.customGrad>[0])(x, gamma, beta);
  // Hand the kept statistics to the caller's scope as ordinary tensors (a clone shares the memory).
  const kept = stats!;
  const mean = kept.mean.clone();
  const variance = kept.variance.clone();
  tf.dispose([kept.mean, kept.variance]);
  return { y, mean, variance };
}

interface BatchNormLayer {
  axis: number;
  momentum: number;
  epsilon: number;
  center: boolean;
  scale: boolean;
  gamma: tf.LayerVariable | null;
  beta: tf.LayerVariable | null;
  movingMean: tf.LayerVariable;
  movingVariance: tf.LayerVariable;
}
type Call = (this: BatchNormLayer, inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>) => tf.Tensor | tf.Tensor[];

const PATCHED = Symbol('cvkit batch norm');

/** True when trainingBatchNorm can stand in for the layer's training path on this input. */
function fastPathApplies(layer: BatchNormLayer, input: tf.Tensor): boolean {
  const rank = input.shape.length;
  const axis = layer.axis >= 0 ? layer.axis : layer.axis + rank;
  return isWasmHeapBackend(tf.backend()) && input.dtype === 'float32' && rank >= 2 && axis === rank - 1 && input.size > 0 &&
    layer.center && layer.scale && layer.gamma != null && layer.beta != null;
}

/** Makes BatchNormalization layers train through trainingBatchNorm on wasm (see the top of this file). Idempotent. */
export function registerFastBatchNorm(): void {
  const proto = Object.getPrototypeOf(tf.layers.batchNormalization({})) as { call: Call & { [PATCHED]?: Call } };
  if (proto.call[PATCHED]) return;
  const original = proto.call;
  const call: Call & { [PATCHED]?: Call } = function (this: BatchNormLayer, inputs, kwargs) {
    const input = Array.isArray(inputs) ? inputs[0] : inputs;
    const training = (kwargs ?? {}).training === true;
    if (!training || (Array.isArray(inputs) && inputs.length !== 1) || !fastPathApplies(this, input)) return original.call(this, inputs, kwargs);
    return tf.tidy(() => {
      const { y, mean, variance } = trainingBatchNorm(input, this.gamma!.read(), this.beta!.read(), this.epsilon);
      // The moving averages, as tfjs-layers updates them: v -= (v - batch value) * (1 - momentum).
      for (const [variable, value] of [[this.movingMean, mean], [this.movingVariance, variance]] as const) {
        tf.tidy(() => {
          const current = variable.read();
          variable.write(tf.sub(current, tf.mul(tf.sub(current, value), 1 - this.momentum)));
        });
      }
      return y;
    });
  };
  call[PATCHED] = original;
  proto.call = call;
}
