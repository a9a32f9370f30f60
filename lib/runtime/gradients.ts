/**
 * Gradient definitions the kit overrides for speed; the mathematics is tfjs's own.
 *
 * FusedBatchNorm: tfjs 4.22 tiles 1/sqrt(var + eps) to the full input shape before multiplying
 * (a Tile kernel as large as the activations, a large part of a VGG step on wasm). Broadcasting
 * the [C] vector gives the same numbers without the copy. Checked against tfjs's definition in
 * tests/gradients.test.ts.
 *
 * Sum and Mean: tfjs 4.22 multiplies the reshaped dy by a tensor of ones as large as the input
 * (filled in JavaScript, uploaded, multiplied).
 * Broadcasting dy (a Tile, which the wasm runtime does as block copies) gives the same numbers.
 *
 * tf.fused.conv2d under a gradient tape: tfjs-layers convolves through tf.fused.conv2d, which, for a
 * linear activation, records one custom-gradient op whose gradient computes dx and dW eagerly, even
 * for a network's first layer whose input needs no gradient.
 * While gradients are being recorded, the kit runs it as tfjs does for the other activations:
 * tf.conv2d (+ bias), whose gradients are computed only when needed. Without a tape (inference) the
 * fused kernel runs as before. Measured: docs/design.md, "Gradients the kit redefines".
 */
import * as tf from '@tensorflow/tfjs';

let registered = false;

type FusedConv2DArgs = Parameters<typeof tf.fused.conv2d>[0];

function unfuseConvolutionsWhileRecording(): void {
  const fused = tf.fused as { conv2d: (args: FusedConv2DArgs) => tf.Tensor };
  const original = fused.conv2d;
  fused.conv2d = (args: FusedConv2DArgs) => {
    const recording = (tf.engine().state as unknown as { gradientDepth: number }).gradientDepth > 0;
    if (!recording || (args.activation != null && args.activation !== 'linear')) return original(args);
    const y = tf.conv2d(args.x as tf.Tensor4D, args.filter as tf.Tensor4D, args.strides, args.pad, args.dataFormat ?? 'NHWC',
      args.dilations ?? [1, 1], args.dimRoundingMode);
    return args.bias == null ? y : tf.add(y, args.bias);
  };
}

export function registerFastGradients(): void {
  if (registered) return;
  registered = true;
  unfuseConvolutionsWhileRecording();
  tf.registerGradient({
    kernelName: 'FusedBatchNorm',
    inputsToSave: ['x', 'mean', 'variance', 'scale'],
    gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[], attrs: tf.NamedAttrMap) => {
      const g = dy as tf.Tensor;
      const { varianceEpsilon } = attrs as unknown as { varianceEpsilon: number };
      const [x, mean, variance, scale] = saved;
      const scaleValue = scale == null ? tf.scalar(1) : scale;
      const reductionAxes = tf.backend_util.getReductionAxes(mean.shape, x.shape);
      const reduce = (t: tf.Tensor) => (reductionAxes.length > 0 ? tf.sum(t, reductionAxes) : t).reshape(mean.shape);
      const xMinusMean = tf.sub(x, mean);
      const dyTimesScale = tf.mul(g, scaleValue);
      const invStd = tf.rsqrt(tf.add(variance, tf.scalar(varianceEpsilon)));
      const minusHalfInvStdCubed = tf.mul(tf.mul(tf.mul(invStd, invStd), invStd), tf.scalar(-0.5));
      return {
        x: () => tf.mul(g, tf.mul(invStd, scaleValue)).reshape(x.shape),
        mean: () => reduce(tf.mul(tf.neg(invStd), dyTimesScale)),
        variance: () => reduce(tf.mul(tf.mul(minusHalfInvStdCubed, xMinusMean), dyTimesScale)),
        scale: () => reduce(tf.mul(g, tf.mul(xMinusMean, invStd))),
        offset: () => reduce(g),
      };
    },
  });
  for (const kernelName of ['Sum', 'Mean']) {
    tf.registerGradient({
      kernelName,
      inputsToSave: ['x'],
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[], attrs: tf.NamedAttrMap) => {
        const [x] = saved;
        const axes = tf.util.parseAxisParam((attrs as unknown as { axis: number | number[] }).axis, x.shape);
        const kept = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
        const count = axes.reduce((n, a) => n * x.shape[a], 1);
        return {
          x: () => {
            const g = tf.reshape(dy as tf.Tensor, kept);
            return tf.broadcastTo(kernelName === 'Mean' ? tf.div(g, count) : g, x.shape);
          },
        };
      },
    });
  }
}
