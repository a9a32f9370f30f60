/**
 * Data movement on wasm without copies: Identity, Cast to the same dtype and a Slice of the whole
 * tensor as a second reference to the same memory, and Tile as block copies. Rows of the table in
 * lib/runtime/wasm/kernels/index.ts; measured: docs/design.md.
 */
import * as tf from '@tensorflow/tfjs';
import { isWasmHeapBackend } from '../heap';
import { overrideKernel } from '../override';

/**
 * Identity, Cast to the tensor's own dtype and a Slice of the whole tensor, as a second reference
 * to the same memory (what the cpu backend does, and wasm's own Reshape). The stock wasm kernels
 * copy, and the engine clones every tensor it saves for the backward pass, so a training step
 * copied each activation once more. Sharing is safe because tfjs never writes into a tensor's
 * memory after creating it (a Variable's assign takes the new tensor's memory).
 */
function share(x: tf.TensorInfo, backend: unknown): tf.TensorInfo {
  (backend as { incRef(dataId: object): void }).incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}

/** Slice: shares a slice that is the whole tensor (model.predict slices its batch even when it is one batch). */
export function registerSharingSlice(backendName: string): void {
  overrideKernel('Slice', backendName, (stock) => (args) => {
    const x = args.inputs.x as tf.TensorInfo;
    const { begin, size } = args.attrs as { begin: number | number[]; size?: number | number[] };
    if (x.dtype === 'string' || !isWasmHeapBackend(args.backend)) return stock(args);
    const [b, sz] = tf.slice_util.parseSliceParams(x as unknown as tf.Tensor, begin, size);
    return b.every((v) => v === 0) && sz.every((v, i) => v === x.shape[i]) ? share(x, args.backend) : stock(args);
  });
}

/** Identity: shares its input (see `share`). */
export function registerSharingIdentity(backendName: string): void {
  overrideKernel('Identity', backendName, (stock) => (args) => {
    const x = args.inputs.x as tf.TensorInfo;
    return x.dtype === 'string' || !isWasmHeapBackend(args.backend) ? stock(args) : share(x, args.backend);
  });
}

/** Cast to the input's own dtype: shares its input (see `share`); other casts go to the stock kernel. */
export function registerSharingCast(backendName: string): void {
  overrideKernel('Cast', backendName, (stock) => (args) => {
    const x = args.inputs.x as tf.TensorInfo;
    const same = x.dtype === (args.attrs as { dtype: tf.DataType }).dtype && x.dtype !== 'string';
    return same && isWasmHeapBackend(args.backend) ? share(x, args.backend) : stock(args);
  });
}

/**
 * Tile (and so tf.broadcastTo) as block copies on the heap: each input row is copied once, then
 * every tiled block is doubled with copyWithin (a memmove) until it fills its repeats. The stock
 * kernel computes each output element's source index, which made the broadcasts of the Sum and
 * Mean gradients (lib/runtime/gradients.ts) a large part of a step (measured: docs/design.md).
 */
export function registerBlockTile(backendName: string): void {
  overrideKernel('Tile', backendName, (stock) => (args) => {
    const { inputs, attrs, backend } = args;
    const x = inputs.x as tf.TensorInfo;
    const reps = (attrs as { reps: number[] }).reps;
    if (!isWasmHeapBackend(backend) || x.dtype === 'string' || x.shape.length === 0 || reps.length !== x.shape.length) return stock(args);
    const shape = x.shape;
    const outShape = shape.map((d, i) => d * reps[i]);
    const out = backend.makeOutput(outShape, x.dtype);
    if (outShape.some((d) => d === 0)) return out;
    const src = backend.typedArrayFromHeap(x);
    const dst = backend.typedArrayFromHeap(out);
    const rank = shape.length;
    // outBlock[d]: elements of out under one index of axis d-1 (so outBlock[0] = the whole output).
    const outBlock = new Array<number>(rank + 1).fill(1);
    const inBlock = new Array<number>(rank + 1).fill(1);
    for (let d = rank - 1; d >= 0; d--) {
      outBlock[d] = outBlock[d + 1] * outShape[d];
      inBlock[d] = inBlock[d + 1] * shape[d];
    }
    const fill = (d: number, from: number, to: number): void => {
      const span = shape[d] * outBlock[d + 1];
      if (d === rank - 1) {
        dst.set(src.subarray(from, from + shape[d]), to);
      } else {
        for (let j = 0; j < shape[d]; j++) fill(d + 1, from + j * inBlock[d + 1], to + j * outBlock[d + 1]);
      }
      // Repeat the first `span` elements reps[d] times by doubling.
      for (let done = span, total = span * reps[d]; done < total; done *= 2) dst.copyWithin(to + done, to, to + Math.min(done, total - done));
    };
    fill(0, 0, 0);
    return out;
  });
}
