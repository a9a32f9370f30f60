/**
 * Stacked hourglass networks (Newell et al. 2016), as princeton-vl/pytorch_stacked_hourglass builds
 * them, sized for the kit's 64x64 images:
 *   stem        conv 3x3 stride 2 -> BN -> ReLU -> residual -> max-pool 2 -> residual   (stride 4)
 *   hourglass   recursive: up = residual(x) (the skip branch, through convolutions, added — not
 *               concatenated); low = residual(maxpool(x)) -> hourglass(depth - 1) or residual ->
 *               residual -> nearest upsample; out = up + low
 *   per stack   hourglass -> residual -> conv 1x1 + BN + ReLU -> conv 1x1 to K heatmaps (an output);
 *               between stacks x += conv1x1(features) + conv1x1(heatmaps) (intermediate supervision:
 *               every stack's heatmaps are an output, trained against the same targets)
 *   residual    pre-activation bottleneck: BN-ReLU-conv1x1(f/2)-BN-ReLU-conv3x3(f/2)-BN-ReLU-conv1x1(f),
 *               plus the input (through a 1x1 conv when the channel count changes)
 *
 * The coordinate-regression baseline uses the same stem and hourglass, then regresses 2K numbers
 * (coordinates / image size) with a strided conv, flatten and a dense layer: same backbone, other head.
 */
import * as tf from '@tensorflow/tfjs';

type S = tf.SymbolicTensor;

export interface HourglassOptions {
  /** [H, W, C] of the input (H and W divisible by 4 * 2^depth). */
  inputShape: [number, number, number];
  /** Heatmap channels (landmarks) K. */
  numLandmarks: number;
  /** Number of stacked hourglasses (default 2). */
  stacks?: number;
  /** Downsamplings inside each hourglass (default 3: 16 -> 8 -> 4 -> 2 at 64 px input). */
  depth?: number;
  /** Channels inside the network (default 64). */
  features?: number;
  seed?: number;
  name?: string;
}

/** Layer factory with unique names and seeded initialisers. */
class Builder {
  private count = 0;
  constructor(private seed: number | undefined) {}
  private init() { return tf.initializers.heNormal({ seed: this.seed == null ? undefined : this.seed++ }); }
  name(prefix: string) { return `${prefix}_${++this.count}`; }
  conv(x: S, filters: number, kernel: number, prefix: string, options: { strides?: number; useBias?: boolean; biasInit?: number; name?: string; smallInit?: boolean } = {}): S {
    return tf.layers.conv2d({
      filters, kernelSize: kernel, strides: options.strides ?? 1, padding: 'same', useBias: options.useBias ?? true,
      kernelInitializer: options.smallInit ? tf.initializers.randomNormal({ mean: 0, stddev: 0.001, seed: this.seed == null ? undefined : this.seed++ }) : this.init(), biasInitializer: options.biasInit != null ? tf.initializers.constant({ value: options.biasInit }) : 'zeros',
      name: options.name ?? this.name(`${prefix}_conv`),
    }).apply(x) as S;
  }
  bnRelu(x: S, prefix: string): S {
    x = tf.layers.batchNormalization({ momentum: 0.9, name: this.name(`${prefix}_bn`) }).apply(x) as S;
    return tf.layers.reLU({ name: this.name(`${prefix}_relu`) }).apply(x) as S;
  }
  add(a: S, b: S, prefix: string): S { return tf.layers.add({ name: this.name(`${prefix}_add`) }).apply([a, b]) as S; }
  residual(x: S, out: number, prefix: string): S {
    const inChannels = x.shape[3] as number;
    let y = this.conv(this.bnRelu(x, prefix), out / 2, 1, prefix);
    y = this.conv(this.bnRelu(y, prefix), out / 2, 3, prefix);
    y = this.conv(this.bnRelu(y, prefix), out, 1, prefix);
    const skip = inChannels === out ? x : this.conv(x, out, 1, `${prefix}_skip`);
    return this.add(y, skip, prefix);
  }
  hourglass(x: S, depth: number, f: number, prefix: string): S {
    const up = this.residual(x, f, `${prefix}_up`);
    let low = tf.layers.maxPooling2d({ poolSize: 2, strides: 2, name: this.name(`${prefix}_pool`) }).apply(x) as S;
    low = this.residual(low, f, `${prefix}_low1`);
    low = depth > 1 ? this.hourglass(low, depth - 1, f, `${prefix}_${depth - 1}`) : this.residual(low, f, `${prefix}_low2`);
    low = this.residual(low, f, `${prefix}_low3`);
    low = tf.layers.upSampling2d({ size: [2, 2], name: this.name(`${prefix}_upsample`) }).apply(low) as S;
    return this.add(up, low, prefix);
  }
  stem(input: S, f: number): S {
    let x = this.conv(input, f / 2, 3, 'stem', { strides: 2, useBias: false });
    x = this.bnRelu(x, 'stem');
    x = this.residual(x, f, 'stem_res1');
    x = tf.layers.maxPooling2d({ poolSize: 2, strides: 2, name: 'stem_pool' }).apply(x) as S;
    return this.residual(x, f, 'stem_res2');
  }
}

/** The stacked hourglass: outputs one [N, H/4, W/4, K] heatmap tensor per stack (raw, linear). */
export function buildStackedHourglass(options: HourglassOptions): tf.LayersModel {
  const stacks = options.stacks ?? 2;
  const depth = options.depth ?? 3;
  const f = options.features ?? 64;
  const k = options.numLandmarks;
  const b = new Builder(options.seed);
  const input = tf.input({ shape: options.inputShape, name: 'input' });
  let x = b.stem(input, f);
  const outputs: S[] = [];
  for (let s = 1; s <= stacks; s++) {
    const hg = b.hourglass(x, depth, f, `hg${s}`);
    let feat = b.residual(hg, f, `stack${s}_res`);
    feat = b.bnRelu(b.conv(feat, f, 1, `stack${s}_lin`, { useBias: false }), `stack${s}_lin`);
    const heat = b.conv(feat, k, 1, `stack${s}`, { name: `stack${s}_heatmaps` });
    outputs.push(heat);
    if (s < stacks) {
      const merged = b.add(b.conv(feat, f, 1, `stack${s}_merge_features`), b.conv(heat, f, 1, `stack${s}_merge_heatmaps`), `stack${s}_merge`);
      x = b.add(x, merged, `stack${s}_next`);
    }
  }
  return tf.model({ inputs: input, outputs, name: options.name ?? `hourglass_${stacks}x${depth}` });
}

/** Coordinate regression on the same backbone: outputs [N, 2K] = (x / W, y / H) per landmark. */
export function buildLandmarkRegressor(options: Omit<HourglassOptions, 'stacks'>): tf.LayersModel {
  const depth = options.depth ?? 3;
  const f = options.features ?? 64;
  const b = new Builder(options.seed);
  const input = tf.input({ shape: options.inputShape, name: 'input' });
  let x = b.hourglass(b.stem(input, f), depth, f, 'hg1');
  x = b.residual(x, f, 'head_res');
  x = b.bnRelu(b.conv(x, f, 3, 'head_down', { strides: 2, useBias: false }), 'head_down');
  x = tf.layers.flatten({ name: 'head_flatten' }).apply(x) as S;
  const coords = tf.layers.dense({ units: 2 * options.numLandmarks, kernelInitializer: tf.initializers.glorotUniform({ seed: options.seed }), name: 'coordinates' }).apply(x) as S;
  return tf.model({ inputs: input, outputs: coords, name: options.name ?? 'landmark_regressor' });
}

export interface CenterNetOptions {
  inputShape: [number, number, number];
  numClasses: number;
  depth?: number;
  features?: number;
  seed?: number;
}

/**
 * CenterNet (Zhou et al. 2019, "Objects as Points") on the hourglass backbone, output stride 4:
 * heads (conv 3x3 -> ReLU -> conv 1x1) for the centre heatmap (one channel per class, logits; bias
 * initialised to -2.19 so sigmoid starts at 0.1, weights ~N(0, 0.001)), the box size (w, h in output pixels) and the
 * sub-pixel offset of the centre. Outputs [heatmap logits, size, offset].
 */
export function buildCenterNet(options: CenterNetOptions): tf.LayersModel {
  const f = options.features ?? 64;
  const b = new Builder(options.seed);
  const input = tf.input({ shape: options.inputShape, name: 'input' });
  const feat = b.residual(b.hourglass(b.stem(input, f), options.depth ?? 3, f, 'hg1'), f, 'neck');
  const head = (name: string, out: number, biasInit?: number) => {
    const h = tf.layers.reLU({ name: `${name}_relu` }).apply(b.conv(feat, f, 3, name, { name: `${name}_conv` })) as S;
    // Output convolutions start near zero (std 0.001, as CenterNet's fill_fc_weights), so the heatmap
    // starts at sigmoid(-2.19) = 0.1 everywhere instead of saturating.
    return b.conv(h, out, 1, name, { name, biasInit, smallInit: true });
  };
  return tf.model({ inputs: input, outputs: [head('heatmap', options.numClasses, -2.19), head('size', 2), head('offset', 2)], name: 'centernet' });
}
