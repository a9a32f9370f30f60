/**
 * The idea behind "face de-identification" (seed 002: a change people do not see but a recogniser
 * does), measured on the kit's own classifiers: projected gradient descent (Madry et al. 2018) on the
 * L-infinity ball. Starting from the image, `steps` times: step `stepSize` along the sign of the
 * gradient of the cross-entropy of the true label (to make it less likely), then clip the change to
 * [-epsilon, epsilon] and the image to [0, 1]. An untargeted attack; NHWC images in [0, 1], labels
 * as class indices. Returns the perturbed images (|change| <= epsilon everywhere).
 */
import * as tf from '@tensorflow/tfjs';

export interface PerturbationOptions {
  /** Largest change of any pixel value (default 4/255). */
  epsilon?: number;
  /** Gradient steps (default 10). */
  steps?: number;
  /** Change per step (default epsilon / 4). */
  stepSize?: number;
}

/** Images perturbed by at most `epsilon` per value so that `classifier` stops seeing `labels` (PGD, see the top). */
export function adversarialPerturbation(classifier: tf.LayersModel, images: tf.Tensor4D, labels: ArrayLike<number>, options: PerturbationOptions = {}): tf.Tensor4D {
  const epsilon = options.epsilon ?? 4 / 255;
  const steps = options.steps ?? 10;
  const stepSize = options.stepSize ?? epsilon / 4;
  return tf.tidy(() => {
    const classes = (classifier.outputs[0].shape[1] as number);
    const target = tf.oneHot(tf.tensor1d(Array.from(labels), 'int32'), classes).toFloat();
    const lossOf = (x: tf.Tensor) => tf.losses.softmaxCrossEntropy(target, classifier.predict(x) as tf.Tensor) as tf.Scalar;
    const grad = tf.grad(lossOf);
    let x = images as tf.Tensor4D;
    for (let s = 0; s < steps; s++) {
      const next = tf.tidy(() => {
        const moved = tf.add(x, tf.mul(stepSize, tf.sign(grad(x))));
        return tf.clipByValue(tf.add(images, tf.clipByValue(tf.sub(moved, images), -epsilon, epsilon)), 0, 1) as tf.Tensor4D;
      });
      if (x !== images) x.dispose();
      x = next;
    }
    return x;
  });
}
