/**
 * Instance normalisation (Ulyanov et al. 2016, "Instance Normalization: The Missing Ingredient for
 * Fast Stylization"): each image's each channel is normalised over its own H x W positions, then
 * scaled and shifted per channel — PyTorch's `nn.InstanceNorm2d(C, affine=True)` (eps 1e-5, biased
 * variance), as pytorch/examples' fast_neural_style uses it. NHWC. Unlike batch norm it has no
 * running statistics: training and inference compute the same thing, and one image's contrast does
 * not depend on the others in the batch.
 */
import * as tf from '@tensorflow/tfjs';

export interface InstanceNormArgs {
  /** Added to the variance (default 1e-5, PyTorch's). */
  epsilon?: number;
  name?: string;
  trainable?: boolean;
}

/** y[n, h, w, c] = gamma[c] (x - mean[n, c]) / sqrt(var[n, c] + eps) + beta[c], mean and var over (h, w). */
export function instanceNormalize(x: tf.Tensor4D, gamma: tf.Tensor1D, beta: tf.Tensor1D, epsilon = 1e-5): tf.Tensor4D {
  return tf.tidy(() => {
    const { mean, variance } = tf.moments(x, [1, 2], true);
    // y = x * scale + shift with the small [N, 1, 1, C] scale and shift: two passes over x after the moments
    const scale = tf.mul(tf.rsqrt(tf.add(variance, epsilon)), gamma);
    const shift = tf.sub(beta, tf.mul(mean, scale));
    return tf.add(tf.mul(x, scale), shift) as tf.Tensor4D;
  });
}

/** The instance-norm layer (gamma initialised to 1, beta to 0); registered for model.json round trips. */
export class InstanceNormalization extends tf.layers.Layer {
  static className = 'InstanceNormalization';
  readonly epsilon: number;
  private gamma: tf.LayerVariable | null = null;
  private beta: tf.LayerVariable | null = null;

  constructor(args: InstanceNormArgs = {}) {
    super(args);
    this.epsilon = args.epsilon ?? 1e-5;
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    const channels = shape[shape.length - 1];
    if (channels == null) throw new Error(`InstanceNormalization '${this.name}': the channel dimension must be known, got ${JSON.stringify(shape)}`);
    this.gamma = this.addWeight('gamma', [channels], 'float32', tf.initializers.ones());
    this.beta = this.addWeight('beta', [channels], 'float32', tf.initializers.zeros());
    this.built = true;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor4D;
    return instanceNormalize(x, this.gamma!.read() as tf.Tensor1D, this.beta!.read() as tf.Tensor1D, this.epsilon);
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape | tf.Shape[] {
    return inputShape;
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), epsilon: this.epsilon };
  }
}
tf.serialization.registerClass(InstanceNormalization);

/** An instance-norm layer for the functional API. */
export function instanceNorm(args: InstanceNormArgs = {}): InstanceNormalization {
  return new InstanceNormalization(args);
}
