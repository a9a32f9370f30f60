/**
 * Instance normalisation (Ulyanov et al. 2016, "Instance Normalization: The Missing Ingredient for
 * Fast Stylization"): each image's each channel is normalised over its own H x W positions,
 * y = (x - mean) / sqrt(var + eps), then (affine) scaled and shifted per channel. NHWC. Unlike batch
 * norm it has no running statistics: training and inference compute the same thing, and one image's
 * contrast does not depend on the others in the batch. tfjs-layers has no such layer.
 *   - `affine: true` (the layer's default) = PyTorch's `nn.InstanceNorm2d(C, affine=True)` (eps 1e-5,
 *     biased variance), as pytorch/examples' fast_neural_style uses it (lesson 06's transform net);
 *   - `affine: false` = `nn.InstanceNorm2d(C)`, junyanz/pytorch-CycleGAN-and-pix2pix's `norm='instance'`
 *     (lesson 05's ResNet generator and PatchGAN).
 *
 * The normalisation has one closed-form gradient (as lib/runtime/wasm/batchNormTraining.ts for batch norm):
 *   dx = invStd * (dy - mean(dy) - xhat * mean(dy * xhat)),  means over H and W of each image and channel,
 * instead of tfjs differentiating the moments op by op. On the wasm backend it is one SIMD operation
 * (lib/runtime/wasm/instanceNorm.ts; measured: docs/design.md, "Conditional GANs").
 */
import * as tf from '@tensorflow/tfjs';
import { isWasmHeapBackend } from '../runtime/wasm/heap';
import { wasmInstanceNorm } from '../runtime/wasm/instanceNorm';

/**
 * y[n, h, w, c] = gamma[c] (x - mean[n, c]) / sqrt(var[n, c] + eps) + beta[c], mean and var over (h, w);
 * x [N, H, W, C]; without gamma and beta the plain normalisation. Differentiable: on the wasm backend
 * one SIMD operation, elsewhere tf ops with the closed-form gradient (`instanceNormOps`); both checked
 * against the op-by-op formula in tests/gan.test.ts.
 */
export function instanceNormalize(x: tf.Tensor4D, gamma?: tf.Tensor1D | null, beta?: tf.Tensor1D | null, epsilon = 1e-5): tf.Tensor4D {
  const normalised = x.dtype === 'float32' && x.size > 0 && isWasmHeapBackend(tf.backend())
    ? wasmInstanceNorm(x, epsilon) : instanceNormOps(x, epsilon);
  if (gamma == null && beta == null) return normalised;
  return tf.tidy(() => {
    let y: tf.Tensor = normalised;
    if (gamma != null) y = tf.mul(y, gamma);
    if (beta != null) y = tf.add(y, beta);
    normalised.dispose();
    return y as tf.Tensor4D;
  });
}

/** The plain normalisation of x [N, H, W, C] with tf ops (any backend): the moments, and the closed-form gradient as one custom gradient. */
export function instanceNormOps(x: tf.Tensor4D, epsilon = 1e-5): tf.Tensor4D {
  const op = tf.customGrad(((input: tf.Tensor4D, save: tf.GradSaveFunc) => {
    const { xhat, invStd } = tf.tidy(() => {
      const mean = tf.mean(input, [1, 2], true);
      const centred = tf.sub(input, mean);
      const variance = tf.mean(tf.square(centred), [1, 2], true);
      const inv = tf.rsqrt(tf.add(variance, epsilon));
      return { xhat: tf.mul(centred, inv) as tf.Tensor4D, invStd: inv };
    });
    save([xhat, invStd]);
    return {
      value: xhat,
      gradFunc: (dy: tf.Tensor4D, saved: tf.Tensor[]) => {
        const [xh, inv] = saved;
        const meanDy = tf.mean(dy, [1, 2], true);
        const meanDyXhat = tf.mean(tf.mul(dy, xh), [1, 2], true);
        return tf.mul(inv, tf.sub(tf.sub(dy, meanDy), tf.mul(xh, meanDyXhat)));
      },
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return op(x) as tf.Tensor4D;
}

export interface InstanceNormArgs {
  /** Added to the variance (default 1e-5, PyTorch's). */
  epsilon?: number;
  /** Learned per-channel scale gamma (init 1) and shift beta (init 0); default true (lesson 06). CycleGAN's: false. */
  affine?: boolean;
  name?: string;
  trainable?: boolean;
}

/** The instance-norm layer; registered for model.json round trips (configs saved without `affine` load as affine). */
export class InstanceNormalization extends tf.layers.Layer {
  static className = 'InstanceNormalization';
  readonly epsilon: number;
  readonly affine: boolean;
  private gamma: tf.LayerVariable | null = null;
  private beta: tf.LayerVariable | null = null;

  constructor(args: InstanceNormArgs = {}) {
    super({ name: args.name, trainable: args.trainable });
    this.epsilon = args.epsilon ?? 1e-5;
    this.affine = args.affine ?? true;
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    const channels = shape[shape.length - 1];
    if (channels == null) throw new Error(`InstanceNormalization '${this.name}': the channel dimension must be known, got ${JSON.stringify(shape)}`);
    if (this.affine) {
      this.gamma = this.addWeight('gamma', [channels], 'float32', tf.initializers.ones());
      this.beta = this.addWeight('beta', [channels], 'float32', tf.initializers.zeros());
    }
    this.built = true;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor4D;
    return instanceNormalize(x, this.gamma?.read() as tf.Tensor1D | undefined, this.beta?.read() as tf.Tensor1D | undefined, this.epsilon);
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape | tf.Shape[] {
    return inputShape;
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), epsilon: this.epsilon, affine: this.affine };
  }
}
tf.serialization.registerClass(InstanceNormalization);

/** An instance-norm layer for the functional API (see InstanceNormalization; affine by default). */
export function instanceNorm(args: InstanceNormArgs = {}): InstanceNormalization {
  return new InstanceNormalization(args);
}
