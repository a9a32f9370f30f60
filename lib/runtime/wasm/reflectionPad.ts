/**
 * Reflection padding of NHWC float32 tensors on the wasm heap (lib/nn/reflectionPad.ts uses these on
 * the wasm backend): the forward pass is row copies (the middle of each padded row is one contiguous
 * block of the input), the backward pass one copy of dy's middle and one add per mirrored pixel.
 * As tf ops the same padding was tfjs's MirrorPad kernel forward and 2 x 7 small ops per padding
 * backward (slices, reverses, pads, a sum): measured on the lesson 06 transform net's training step
 * (13 paddings, batch 4 of 64x64), 422 ms with those ops against 330 ms with no padding at all;
 * docs/design.md, "Perceptual loss".
 */
import * as tf from '@tensorflow/tfjs';
import { uninitialisedTensor, viewOf } from './heap';

/** The input index a padded index reads: i in [-p, len + p) mirrored about 0 and len - 1. */
const reflect = (i: number, len: number) => (i < 0 ? -i : i >= len ? 2 * (len - 1) - i : i);

/** x [N, H, W, C] padded by `p` on each side of H and W, mirrored about the edge pixels (needs p < H, p < W). */
export function wasmReflectionPad(x: tf.Tensor4D, p: number): tf.Tensor4D {
  const [n, h, w, c] = x.shape;
  const H = h + 2 * p, W = w + 2 * p;
  const out = uninitialisedTensor([n, H, W, c]) as tf.Tensor4D;
  const src = viewOf(x), dst = viewOf(out); // views after the allocation
  for (let b = 0; b < n; b++) {
    for (let Y = 0; Y < H; Y++) {
      const s = ((b * h + reflect(Y - p, h)) * w) * c;
      const d = ((b * H + Y) * W) * c;
      dst.set(src.subarray(s, s + w * c), d + p * c);
      for (let X = 0; X < p; X++) {
        const left = s + reflect(X - p, w) * c, right = s + reflect(w + X, w) * c;
        const dl = d + X * c, dr = d + (p + w + X) * c;
        for (let k = 0; k < c; k++) { dst[dl + k] = src[left + k]; dst[dr + k] = src[right + k]; }
      }
    }
  }
  return out;
}

/**
 * The gradient of `wasmReflectionPad` with respect to its input: dx = dy's middle, plus, for every
 * padded pixel, dy there added to the input pixel it copied. dy [N, H + 2p, W + 2p, C].
 */
export function wasmReflectionPadGrad(dy: tf.Tensor4D, p: number): tf.Tensor4D {
  const [n, H, W, c] = dy.shape;
  const h = H - 2 * p, w = W - 2 * p;
  const dx = uninitialisedTensor([n, h, w, c]) as tf.Tensor4D;
  const g = viewOf(dy), out = viewOf(dx);
  for (let b = 0; b < n; b++) {
    for (let y = 0; y < h; y++) {
      const s = ((b * H + y + p) * W + p) * c;
      out.set(g.subarray(s, s + w * c), ((b * h + y) * w) * c);
    }
    for (let Y = 0; Y < H; Y++) {
      const inside = Y >= p && Y < p + h;
      const rowOut = ((b * h + reflect(Y - p, h)) * w) * c;
      const rowIn = ((b * H + Y) * W) * c;
      for (let X = 0; X < W; X++) {
        if (inside && X >= p && X < p + w) { X = p + w - 1; continue; } // the middle: copied above
        const d = rowOut + reflect(X - p, w) * c, s = rowIn + X * c;
        for (let k = 0; k < c; k++) out[d + k] += g[s + k];
      }
    }
  }
  return dx;
}
