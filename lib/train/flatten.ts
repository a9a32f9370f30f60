/** Packing a list of tensors into one Float32Array and back (for messages between threads). */
import * as tf from '@tensorflow/tfjs';

/** Concatenates the values of `tensors` (in order) into one new Float32Array. */
export function flattenTensors(tensors: tf.Tensor[]): Float32Array {
  const total = tensors.reduce((n, t) => n + t.size, 0);
  const out = new Float32Array(total);
  let offset = 0;
  for (const t of tensors) {
    out.set(t.dataSync() as Float32Array, offset);
    offset += t.size;
  }
  return out;
}

/** Splits `flat` into tensors shaped like `variables`, keyed by variable name (for applyGradients). */
export function unflattenInto(flat: Float32Array, variables: tf.Variable[]): Record<string, tf.Tensor> {
  const out: Record<string, tf.Tensor> = {};
  let offset = 0;
  for (const v of variables) {
    out[v.name] = tf.tensor(flat.subarray(offset, offset + v.size), v.shape);
    offset += v.size;
  }
  if (offset !== flat.length) throw new Error(`unflattenInto: ${flat.length} values for ${offset} parameters`);
  return out;
}
