/** Turning the kit's datasets (flat typed arrays) into tensors, and slicing them. */
import * as tf from '@tensorflow/tfjs';

export interface ImageDataset {
  count: number;
  height: number;
  width: number;
  images: Float32Array;
  labels: Int32Array;
}

/** Any of the kit's image sets (labelled or not: the faces carry landmarks instead). */
export type ImageSet = Omit<ImageDataset, 'labels'>;

export interface TensorPair {
  /** [N, H, W, C] float32. */
  x: tf.Tensor4D;
  /** [N] int32 class indices. */
  y: tf.Tensor1D;
}

/** The dataset as tensors; channels inferred from the array length. Caller disposes. */
export function toTensors(data: ImageDataset): TensorPair {
  const channels = data.images.length / (data.count * data.height * data.width);
  return {
    x: tf.tensor4d(data.images, [data.count, data.height, data.width, channels]),
    y: tf.tensor1d(data.labels, 'int32'),
  };
}

/** Images [start, end) of a dataset as an [n, H, W, C] tensor. Caller disposes. */
export function imagesTensor(data: ImageSet, start = 0, end = data.count): tf.Tensor4D {
  const per = data.images.length / data.count;
  const channels = per / (data.height * data.width);
  return tf.tensor4d(data.images.subarray(start * per, end * per), [end - start, data.height, data.width, channels]);
}

/** Image `i` of a dataset as a RawImage for the display helpers (a view, no copy). */
export function imageAt(data: ImageSet, i: number): { height: number; width: number; channels: number; data: Float32Array } {
  const per = data.images.length / data.count;
  return { height: data.height, width: data.width, channels: per / (data.height * data.width), data: data.images.subarray(i * per, (i + 1) * per) };
}
