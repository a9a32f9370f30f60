/**
 * The x4 super-resolution task that lessons 05 (L2 / L1 / GAN losses) and 06 (perceptual loss) share,
 * so their numbers compare: high-resolution images are 64x64 shapes scenes (three objects on plain or textured
 * backgrounds: edges and texture the network must invent), the low-resolution input is their 4x4 average
 * (16x16). Deterministic by seed; NHWC float32 in [0, 1].
 */
import { generateShapes } from './shapes';

export interface SuperResolutionSet {
  count: number;
  factor: number;
  /** [count, size, size, 3] */
  highRes: Float32Array;
  /** [count, size / factor, size / factor, 3]: the mean of each factor x factor block. */
  lowRes: Float32Array;
  size: number;
}

/** `count` pairs (size 64, factor 4 unless given). */
export function superResolutionPairs(options: { count: number; seed: number; size?: number; factor?: number }): SuperResolutionSet {
  const size = options.size ?? 64;
  const factor = options.factor ?? 4;
  if (size % factor !== 0) throw new Error(`size ${size} is not a multiple of the factor ${factor}`);
  const scenes = generateShapes({ count: options.count, seed: options.seed, size, objects: 3, radius: [0.12, 0.24] });
  const small = size / factor;
  const lowRes = new Float32Array(options.count * small * small * 3);
  const hi = scenes.images;
  for (let n = 0; n < options.count; n++) for (let y = 0; y < small; y++) for (let x = 0; x < small; x++) for (let c = 0; c < 3; c++) {
    let s = 0;
    for (let dy = 0; dy < factor; dy++) for (let dx = 0; dx < factor; dx++) s += hi[((n * size + y * factor + dy) * size + x * factor + dx) * 3 + c];
    lowRes[((n * small + y) * small + x) * 3 + c] = s / (factor * factor);
  }
  return { count: options.count, factor, size, highRes: hi, lowRes };
}
