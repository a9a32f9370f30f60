/**
 * Floating-point operations of the bench's workloads, so each row can say how many GFLOP/s each side
 * achieved and how far that is from the machine's peak (lib/bench/peak.ts).
 *
 * Counted: multiply-adds of convolutions (plain, transposed, depthwise) and dense layers as 2 FLOPs
 * each, per example; element-wise layers are ignored (a few percent of these models). A training step
 * is counted as 3x the forward pass (the forward pass, the input gradient and the weight gradient each
 * do about one forward's work), the usual convention; a workload that computes something else (a
 * gradient with respect to the input only, two networks) says so where it counts.
 */
import * as tf from '@tensorflow/tfjs';

interface LayerLike { getClassName(): string; getConfig(): Record<string, unknown>; outputShape: unknown; inputShape?: unknown; input?: unknown }

const dims = (shape: unknown): number[] => ((Array.isArray(shape) && Array.isArray(shape[0]) ? shape[0] : shape) as (number | null)[]).map((d) => d ?? 1);
const size = (s: number | number[]) => (Array.isArray(s) ? s : [s, s]);

/** FLOPs of one layer's forward pass for one example. */
export function layerFlops(layer: LayerLike): number {
  const cls = layer.getClassName();
  if (!['Conv2D', 'Conv2DTranspose', 'DepthwiseConv2D', 'Dense'].includes(cls)) return 0;
  const c = layer.getConfig();
  const input = (layer as unknown as { input: { shape: unknown } | { shape: unknown }[] }).input;
  const inShape = dims(Array.isArray(input) ? input[0].shape : input.shape);
  const outShape = dims(layer.outputShape);
  const positions = (shape: number[]) => shape.slice(1, -1).reduce((a, b) => a * b, 1);
  switch (cls) {
    case 'Conv2D': {
      const [kh, kw] = size(c.kernelSize as number | number[]);
      return 2 * positions(outShape) * outShape[outShape.length - 1] * kh * kw * inShape[inShape.length - 1];
    }
    case 'Conv2DTranspose': {
      const [kh, kw] = size(c.kernelSize as number | number[]);
      return 2 * positions(inShape) * inShape[inShape.length - 1] * kh * kw * outShape[outShape.length - 1];
    }
    case 'DepthwiseConv2D': {
      const [kh, kw] = size(c.kernelSize as number | number[]);
      return 2 * positions(outShape) * outShape[outShape.length - 1] * kh * kw;
    }
    case 'Dense':
      return 2 * inShape[inShape.length - 1] * outShape[outShape.length - 1] * positions([1, ...inShape.slice(1, -1), 1]);
    default:
      return 0;
  }
}

/** Forward FLOPs of a model for `batch` examples. */
export function forwardFlops(model: tf.LayersModel, batch: number): number {
  let total = 0;
  for (const layer of model.layers) total += layerFlops(layer as unknown as LayerLike);
  return total * batch;
}

/** FLOPs of one training step (forward + input and weight gradients: 3x the forward pass). */
export function trainStepFlops(model: tf.LayersModel, batch: number): number {
  return 3 * forwardFlops(model, batch);
}

/** GFLOP/s of `flops` done in `ms` milliseconds. */
export const gflops = (flops: number, ms: number) => flops / (ms * 1e6);
