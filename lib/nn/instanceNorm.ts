/**
 * Instance normalisation (Ulyanov et al. 2016), CycleGAN's normalisation: every image's every channel
 * is normalised over its own H x W positions, y = (x - mean) / sqrt(var + eps), with no running
 * statistics, so training and inference compute the same thing. Matches PyTorch's
 * `nn.InstanceNorm2d(C, affine=False, track_running_stats=False)`, junyanz/pytorch-CycleGAN-and-pix2pix's
 * `norm='instance'` (biased variance, eps 1e-5); `affine: true` adds a learned per-channel scale and shift.
 * NHWC. tfjs-layers has no such layer.
 *
 * The operation has one closed-form gradient (as lib/runtime/wasm/batchNormTraining.ts for batch norm):
 *   dx = invStd * (dy - mean(dy) - xhat * mean(dy * xhat)),  means over H and W of each image and channel,
 * instead of tfjs differentiating the moments op by op (measured: docs/design.md, "Conditional GANs").
 */
import * as tf from '@tensorflow/tfjs';
import { isWasmHeapBackend } from '../runtime/wasm/heap';
import { wasmInstanceNorm } from '../runtime/wasm/instanceNorm';

/**
 * Instance normalisation of x [N, H, W, C] (statistics per image and channel over H, W), differentiable.
 * On the wasm backend one SIMD operation (lib/runtime/wasm/instanceNorm.ts), elsewhere tf ops with the
 * closed-form gradient; both checked against the op-by-op formula in tests/gan.test.ts.
 */
export function instanceNorm(x: tf.Tensor4D, epsilon = 1e-5): tf.Tensor4D {
  if (x.dtype === 'float32' && x.size > 0 && isWasmHeapBackend(tf.backend())) return wasmInstanceNorm(x, epsilon);
  return instanceNormOps(x, epsilon);
}

/** instanceNorm with tf ops (any backend): the moments, and the closed-form gradient as one custom gradient. */
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
  /** Added to the variance (default 1e-5, as PyTorch). */
  epsilon?: number;
  /** Learned per-channel scale and shift (default false, as CycleGAN). */
  affine?: boolean;
  name?: string;
}

/** The layer form of `instanceNorm`, serialisable (saved and loaded with the kit's model files). */
export class InstanceNormalization extends tf.layers.Layer {
  static className = 'InstanceNormalization';
  private readonly epsilon: number;
  private readonly affine: boolean;
  private gamma: tf.LayerVariable | null = null;
  private beta: tf.LayerVariable | null = null;

  constructor(args: InstanceNormArgs = {}) {
    super({ name: args.name });
    this.epsilon = args.epsilon ?? 1e-5;
    this.affine = args.affine ?? false;
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    const c = shape[shape.length - 1] as number;
    if (this.affine) {
      this.gamma = this.addWeight('gamma', [c], 'float32', tf.initializers.ones());
      this.beta = this.addWeight('beta', [c], 'float32', tf.initializers.zeros());
    }
    this.built = true;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor4D;
      const y = instanceNorm(x, this.epsilon);
      return this.affine ? tf.add(tf.mul(y, this.gamma!.read()), this.beta!.read()) : y;
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), epsilon: this.epsilon, affine: this.affine };
  }
}
tf.serialization.registerClass(InstanceNormalization);

/** An instance-normalisation layer (see InstanceNormalization). */
export function instanceNormalization(args: InstanceNormArgs = {}): InstanceNormalization {
  return new InstanceNormalization(args);
}
