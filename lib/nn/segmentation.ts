/**
 * Architectures of the segmentation lesson (lesson 04), sized for 64x64 images and 2 CPU cores.
 * Only layers here; targets, losses, RoI sampling and decoding are lib/segmentation.
 *
 *   bottom-up   C1 conv 3x3 s2 (stride 2) -> C2 (stride 4) -> C3 (stride 8) -> C4 (stride 16):
 *               each stage a stride-2 conv 3x3 then a conv 3x3, with batch norm and ReLU
 *   FPN         (Lin et al. 2017) top-down: P4 = 1x1(C4); P3 = 1x1(C3) + up2(P4); P2 = 1x1(C2) + up2(P3);
 *               a 3x3 conv smooths each; every level has `features` channels
 *   RPN head    on P2: conv 3x3 -> ReLU -> objectness logits (one per anchor) and box deltas (4 per anchor)
 *   semantic    (UPSNet / Panoptic FPN) each level -> conv 3x3 -> ReLU -> upsampled to stride 4 -> summed
 *   head           -> 1x1 conv to one logit per semantic class (stuff and things)
 *   box head    (Faster R-CNN) RoI features [R, 7, 7, F] -> flatten -> 2 dense layers -> class logits
 *               (background + C) and class-specific box deltas (4 C)
 *   mask head   (Mask R-CNN) RoI features [R, 14, 14, F] -> conv 3x3 layers -> transposed conv 2x2 stride 2
 *               -> ReLU -> 1x1 conv: [R, 28, 28, K] logits (K = C per-class masks, or C + 1 for a softmax)
 *   YOLACT      (Bolya et al. 2019) protonet on P2: conv 3x3 x 2 -> up2 -> conv 3x3 -> 1x1 to k prototypes
 *               (ReLU), [N, 32, 32, k]; prediction head on P2: per anchor class logits (background + C),
 *               box deltas, k mask coefficients (tanh). Split in three models — bottom (image -> C2), top
 *               (C2 -> C3, C4) and head (C2, C3, C4 -> outputs) — so YolactEdge can reuse top's
 *               features between key frames.
 * Layout NHWC; every initialiser seeded.
 */
import * as tf from '@tensorflow/tfjs';

type S = tf.SymbolicTensor;

export interface FpnOptions {
  /** [H, W, C] of the images (H and W divisible by 16). Default [64, 64, 3]. */
  inputShape?: [number, number, number];
  /** Channels of C1..C4 (default [16, 32, 48, 64]). */
  widths?: [number, number, number, number];
  /** Channels of every pyramid level (default 32). */
  features?: number;
  seed?: number;
}

/** Seeded layers with unique names. */
class Layers {
  private count = 0;
  constructor(private seed: number | undefined, private prefix: string) {}
  private nextSeed() { return this.seed == null ? undefined : this.seed++; }
  name(kind: string) { return `${this.prefix}_${kind}_${++this.count}`; }
  conv(x: S, filters: number, kernel: number, o: { strides?: number; bias?: boolean; biasValue?: number; small?: boolean; activation?: 'relu' | 'tanh'; name?: string } = {}): S {
    return tf.layers.conv2d({
      filters, kernelSize: kernel, strides: o.strides ?? 1, padding: 'same', useBias: o.bias ?? true, activation: o.activation,
      kernelInitializer: o.small ? tf.initializers.randomNormal({ mean: 0, stddev: 0.01, seed: this.nextSeed() }) : tf.initializers.heNormal({ seed: this.nextSeed() }),
      biasInitializer: o.biasValue != null ? tf.initializers.constant({ value: o.biasValue }) : 'zeros',
      name: o.name ?? this.name('conv'),
    }).apply(x) as S;
  }
  /** conv (no bias) -> batch norm -> ReLU. */
  convBnRelu(x: S, filters: number, kernel: number, strides = 1): S {
    const y = this.conv(x, filters, kernel, { strides, bias: false });
    const n = tf.layers.batchNormalization({ momentum: 0.9, name: this.name('bn') }).apply(y) as S;
    return tf.layers.reLU({ name: this.name('relu') }).apply(n) as S;
  }
  relu(x: S): S { return tf.layers.reLU({ name: this.name('relu') }).apply(x) as S; }
  up(x: S, factor = 2, interpolation: 'nearest' | 'bilinear' = 'nearest'): S {
    return tf.layers.upSampling2d({ size: [factor, factor], interpolation, name: this.name('up') }).apply(x) as S;
  }
  add(xs: S[]): S { return tf.layers.add({ name: this.name('add') }).apply(xs) as S; }
  dense(x: S, units: number, o: { activation?: 'relu'; small?: boolean; name?: string } = {}): S {
    return tf.layers.dense({
      units, activation: o.activation, name: o.name ?? this.name('dense'),
      kernelInitializer: o.small ? tf.initializers.randomNormal({ mean: 0, stddev: 0.01, seed: this.nextSeed() }) : tf.initializers.heNormal({ seed: this.nextSeed() }),
    }).apply(x) as S;
  }
}

const defaults = (o: FpnOptions) => ({ inputShape: o.inputShape ?? [64, 64, 3] as [number, number, number], widths: o.widths ?? [16, 32, 48, 64] as [number, number, number, number], features: o.features ?? 32 });

/** Bottom-up stages to C2 (stride 4). */
function bottomStages(l: Layers, x: S, widths: number[]): S {
  let y = l.convBnRelu(x, widths[0], 3, 2);
  y = l.convBnRelu(y, widths[0], 3);
  y = l.convBnRelu(y, widths[1], 3, 2);
  return l.convBnRelu(y, widths[1], 3);
}

/** Bottom-up stages C3 (stride 8) and C4 (stride 16) from C2. */
function topStages(l: Layers, c2: S, widths: number[]): [S, S] {
  const c3 = l.convBnRelu(l.convBnRelu(c2, widths[2], 3, 2), widths[2], 3);
  const c4 = l.convBnRelu(l.convBnRelu(c3, widths[3], 3, 2), widths[3], 3);
  return [c3, c4];
}

/** The FPN's top-down pathway with lateral 1x1 connections, smoothed: [P2, P3, P4]. */
function topDown(l: Layers, c2: S, c3: S, c4: S, f: number): [S, S, S] {
  const p4 = l.conv(c4, f, 1);
  const p3 = l.add([l.conv(c3, f, 1), l.up(p4)]);
  const p2 = l.add([l.conv(c2, f, 1), l.up(p3)]);
  return [l.conv(p2, f, 3), l.conv(p3, f, 3), l.conv(p4, f, 3)];
}

/** A bottom-up network with an FPN: image -> [P2, P3, P4] (strides 4, 8, 16, `features` channels each). */
export function buildFeaturePyramid(options: FpnOptions = {}): tf.LayersModel {
  const o = defaults(options);
  const l = new Layers(options.seed, 'fpn');
  const input = tf.input({ shape: o.inputShape, name: 'image' });
  const c2 = bottomStages(l, input, o.widths);
  const [c3, c4] = topStages(l, c2, o.widths);
  return tf.model({ inputs: input, outputs: topDown(l, c2, c3, c4, o.features), name: 'feature_pyramid' });
}

export interface MaskRcnnBackboneOptions extends FpnOptions {
  /** Anchors per cell of the RPN (on P2). */
  anchors: number;
  /** Semantic classes of the UPSNet-style semantic head (stuff + things); 0 leaves it out. */
  semanticClasses: number;
}

/**
 * The two-stage model's shared part: image -> [P2, P3, P4, RPN objectness logits [N, H/4, W/4, A],
 * RPN box deltas [N, H/4, W/4, 4A], semantic logits [N, H/4, W/4, S] (when semanticClasses > 0)].
 */
export function buildMaskRcnnBackbone(options: MaskRcnnBackboneOptions): tf.LayersModel {
  const o = defaults(options);
  const l = new Layers(options.seed, 'backbone');
  const input = tf.input({ shape: o.inputShape, name: 'image' });
  const c2 = bottomStages(l, input, o.widths);
  const [c3, c4] = topStages(l, c2, o.widths);
  const [p2, p3, p4] = topDown(l, c2, c3, c4, o.features);
  const shared = l.relu(l.conv(p2, o.features, 3));
  const objectness = l.conv(shared, options.anchors, 1, { small: true, name: 'rpn_objectness' });
  const deltas = l.conv(shared, 4 * options.anchors, 1, { small: true, name: 'rpn_deltas' });
  const outputs = [p2, p3, p4, objectness, deltas];
  if (options.semanticClasses > 0) {
    const levels = [p2, p3, p4].map((p, i) => {
      const y = l.relu(l.conv(p, o.features, 3));
      return i === 0 ? y : l.up(y, 2 ** i, 'bilinear');
    });
    outputs.push(l.conv(l.add(levels), options.semanticClasses, 1, { name: 'semantic_logits' }));
  }
  return tf.model({ inputs: input, outputs, name: 'mask_rcnn_backbone' });
}

export interface BoxHeadOptions {
  /** RoI side (default 7). */
  roiSize?: number;
  features: number;
  /** Hidden units of the two dense layers (default 128). */
  hidden?: number;
  /** Object classes C (the background is extra). */
  numClasses: number;
  seed?: number;
}

/** Faster R-CNN's box head: [R, s, s, F] -> [class logits [R, C + 1] (0 = background), box deltas [R, 4C]]. */
export function buildBoxHead(options: BoxHeadOptions): tf.LayersModel {
  const s = options.roiSize ?? 7;
  const l = new Layers(options.seed, 'box_head');
  const input = tf.input({ shape: [s, s, options.features], name: 'roi_features' });
  let x = tf.layers.flatten({ name: 'box_head_flatten' }).apply(input) as S;
  x = l.dense(x, options.hidden ?? 128, { activation: 'relu' });
  x = l.dense(x, options.hidden ?? 128, { activation: 'relu' });
  const logits = l.dense(x, options.numClasses + 1, { small: true, name: 'class_logits' });
  const deltas = l.dense(x, 4 * options.numClasses, { small: true, name: 'box_deltas' });
  return tf.model({ inputs: input, outputs: [logits, deltas], name: 'box_head' });
}

export interface MaskHeadOptions {
  /** RoI side (default 14); the masks are twice that (28). */
  roiSize?: number;
  features: number;
  /** Output channels: C per-class masks (Mask R-CNN), or C + 1 for the softmax variant. */
  outputs: number;
  /** 3x3 conv layers before the upsampling (default 2; Mask R-CNN: 4). */
  convs?: number;
  /** Their channels (default: features). */
  channels?: number;
  seed?: number;
}

/** Mask R-CNN's FCN mask head: [R, s, s, F] -> mask logits [R, 2s, 2s, outputs]. */
export function buildMaskHead(options: MaskHeadOptions): tf.LayersModel {
  const s = options.roiSize ?? 14;
  const ch = options.channels ?? options.features;
  const l = new Layers(options.seed, 'mask_head');
  const input = tf.input({ shape: [s, s, options.features], name: 'roi_features' });
  let x: S = input;
  for (let i = 0; i < (options.convs ?? 2); i++) x = l.relu(l.conv(x, ch, 3));
  x = tf.layers.conv2dTranspose({ filters: ch, kernelSize: 2, strides: 2, padding: 'valid', activation: 'relu', kernelInitializer: tf.initializers.heNormal({ seed: options.seed == null ? undefined : options.seed + 101 }), name: 'mask_head_upsample' }).apply(x) as S;
  const logits = l.conv(x, options.outputs, 1, { name: 'mask_logits' });
  return tf.model({ inputs: input, outputs: logits, name: 'mask_head' });
}

export interface YolactOptions extends FpnOptions {
  anchors: number;
  /** Object classes C (the background is extra). */
  numClasses: number;
  /** Prototypes k (default 16; the paper 32). */
  prototypes?: number;
}

/**
 * YOLACT in three models (see the top of the file): `bottom` image -> C2; `top` C2 -> [C3, C4];
 * `head` [C2, C3, C4] -> [prototypes [N, H/2, W/2, k] (ReLU), class logits [N, H/4, W/4, A(C + 1)],
 * box deltas [N, H/4, W/4, 4A], coefficients [N, H/4, W/4, Ak] (tanh)].
 */
export function buildYolact(options: YolactOptions): { bottom: tf.LayersModel; top: tf.LayersModel; head: tf.LayersModel } {
  const o = defaults(options);
  const k = options.prototypes ?? 16;
  const l = new Layers(options.seed, 'yolact');
  const image = tf.input({ shape: o.inputShape, name: 'image' });
  const bottom = tf.model({ inputs: image, outputs: bottomStages(l, image, o.widths), name: 'yolact_bottom' });
  const [h, w] = [o.inputShape[0] / 4, o.inputShape[1] / 4];
  const c2In = tf.input({ shape: [h, w, o.widths[1]], name: 'c2' });
  const top = tf.model({ inputs: c2In, outputs: topStages(l, c2In, o.widths), name: 'yolact_top' });
  const c2 = tf.input({ shape: [h, w, o.widths[1]], name: 'c2_features' });
  const c3 = tf.input({ shape: [h / 2, w / 2, o.widths[2]], name: 'c3_features' });
  const c4 = tf.input({ shape: [h / 4, w / 4, o.widths[3]], name: 'c4_features' });
  const [p2] = topDown(l, c2, c3, c4, o.features);
  let proto = l.relu(l.conv(p2, o.features, 3));
  proto = l.relu(l.conv(proto, o.features, 3));
  proto = l.relu(l.conv(l.up(proto, 2, 'bilinear'), o.features, 3));
  const prototypes = l.relu(l.conv(proto, k, 1, { name: 'prototypes' }));
  const shared = l.relu(l.conv(p2, o.features, 3));
  const classes = l.conv(shared, options.anchors * (options.numClasses + 1), 1, { small: true, name: 'class_logits' });
  const deltas = l.conv(shared, 4 * options.anchors, 1, { small: true, name: 'box_deltas' });
  const coefficients = l.conv(shared, options.anchors * k, 1, { activation: 'tanh', name: 'mask_coefficients' });
  const head = tf.model({ inputs: [c2, c3, c4], outputs: [prototypes, classes, deltas, coefficients], name: 'yolact_head' });
  return { bottom, top, head };
}
