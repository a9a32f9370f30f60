/**
 * Reflection padding (PyTorch's `nn.ReflectionPad2d`), as Johnson et al.'s transformation network and
 * pytorch/examples' fast_neural_style pad every convolution: the border is filled with the image
 * mirrored about its edge row or column (the edge itself not repeated), so a convolution sees no
 * artificial black frame. With zero padding the network can tell where the border is, and a style
 * loss rewards it for painting a frame there (lesson 06 shows the frame such a network learned).
 *
 * Forward: tf.mirrorPad(x, 'reflect'). Backward: our own. tfjs 4.22's registered MirrorPad gradient is
 * that of a plain pad (it slices the centre out of dy and drops what the reflected border pixels
 * received), so each pixel copied into the border would miss that part of its gradient;
 * tests/perceptual.test.ts compares this gradient with the one of the same padding built from slices,
 * reverses and concatenations. On the wasm backend both directions are row copies on the heap
 * (lib/runtime/wasm/reflectionPad.ts; as tf ops they cost the transform net's training step more than
 * a quarter of its time).
 */
import * as tf from '@tensorflow/tfjs';
import { isWasmHeapBackend } from '../runtime/wasm/heap';
import { wasmReflectionPad, wasmReflectionPadGrad } from '../runtime/wasm/reflectionPad';

/** Adds to `dx` (the centre of dy) what the `p` mirrored rows/columns on each side of `axis` received. */
function foldBorder(dy: tf.Tensor4D, axis: 1 | 2, p: number): tf.Tensor4D {
  const n = dy.shape[axis] - 2 * p;
  const begin = [0, 0, 0, 0], size = [-1, -1, -1, -1];
  const part = (start: number, length: number) => {
    const b = begin.slice(), s = size.slice();
    b[axis] = start; s[axis] = length;
    return tf.slice(dy, b, s);
  };
  const pads = (before: number, after: number): Array<[number, number]> => {
    const q: Array<[number, number]> = [[0, 0], [0, 0], [0, 0], [0, 0]];
    q[axis] = [before, after];
    return q;
  };
  // border row i (0-based, i < p) of the top is a copy of centre row p - i; of the bottom, centre row n - 2 - i
  const top = tf.pad(tf.reverse(part(0, p), axis), pads(1, n - p - 1));
  const bottom = tf.pad(tf.reverse(part(p + n, p), axis), pads(n - p - 1, 1));
  return tf.addN([part(p, n), top, bottom]) as tf.Tensor4D;
}

/** x [N, H, W, C] reflection-padded by `p` on each side of H and W, differentiable (see the header). Needs p < H and p < W. */
export function reflectionPad(x: tf.Tensor4D, p: number): tf.Tensor4D {
  if (p === 0) return x.clone();
  const [, h, w] = x.shape;
  if (p >= h || p >= w) throw new Error(`reflectionPad: padding ${p} needs an image larger than ${p} pixels, got ${h}x${w}`);
  const heap = x.dtype === 'float32' && isWasmHeapBackend(tf.backend());
  const op = tf.customGrad(((input: tf.Tensor4D) => ({
    value: heap ? wasmReflectionPad(input, p) : tf.mirrorPad(input, [[0, 0], [p, p], [p, p], [0, 0]], 'reflect'),
    gradFunc: (dy: tf.Tensor4D) => (heap ? wasmReflectionPadGrad(dy, p) : tf.tidy(() => foldBorder(foldBorder(dy, 1, p), 2, p))),
  })) as unknown as Parameters<typeof tf.customGrad>[0]);
  return op(x) as tf.Tensor4D;
}

export interface ReflectionPaddingArgs {
  /** Pixels added on each side of H and W. */
  padding: number;
  name?: string;
}

/** The reflection-padding layer (registered for model.json round trips). */
export class ReflectionPadding2D extends tf.layers.Layer {
  static className = 'ReflectionPadding2D';
  readonly padding: number;

  constructor(args: ReflectionPaddingArgs) {
    super({ name: args.name });
    if (!Number.isInteger(args.padding) || args.padding < 0) throw new Error(`ReflectionPadding2D: padding must be a whole number >= 0, got ${args.padding}`);
    this.padding = args.padding;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return reflectionPad((Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor4D, this.padding);
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape | tf.Shape[] {
    const s = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    const grow = (d: number | null) => (d == null ? null : d + 2 * this.padding);
    return [s[0], grow(s[1]), grow(s[2]), s[3]];
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), padding: this.padding };
  }
}
tf.serialization.registerClass(ReflectionPadding2D);

/** A reflection-padding layer for the functional API. */
export function reflectionPadding(args: ReflectionPaddingArgs): ReflectionPadding2D {
  return new ReflectionPadding2D(args);
}
