/**
 * The Gram style loss (lib/perceptual/styleLoss.ts) of a 128x128 image through the 3-conv feature
 * net (lib/nn/styleFeatures.ts: 64-64-pool-128), forward + backward to the image, on wasm, beside
 * PyTorch (styleLoss.py).
 */
import * as tf from '@tensorflow/tfjs';
import { buildStyleFeatureNet } from '../../nn/styleFeatures';
import { gramMatrix, styleLossAndGradient } from '../../perceptual/styleLoss';
import { BenchWorkload, measured, STEP_WARMUP, timeIt, torchBestMs, wasmLabel } from '../harness';

export const STYLE_BENCH = { size: 128, blocks: [[64, 64], [128]] };
const NAME = 'Gram style loss (128x128 image, convs 64-64-pool-128)';

export const workload: BenchWorkload = {
  id: 'styleLoss',
  order: 30,
  async run(ctx) {
    if (!ctx.backends.includes('wasm')) return { measurements: [] };
    const g = STYLE_BENCH;
    const torchMs = torchBestMs(ctx, NAME, 'styleLoss.py', { ...g, steps: ctx.quick ? 3 : 7, warmup: STEP_WARMUP }, 'ms');
    await tf.setBackend('wasm');
    ctx.log(`measuring wasm: ${NAME}`);
    const net = buildStyleFeatureNet({ inputShape: [g.size, g.size, 3], blocks: g.blocks, seed: 1 });
    const targets = tf.tidy(() => (net.predict(tf.randomUniform([1, g.size, g.size, 3], 0, 1, 'float32', 4)) as tf.Tensor4D[]).map((f) => gramMatrix(f)));
    const image = tf.randomUniform([1, g.size, g.size, 3], 0, 1, 'float32', 3) as tf.Tensor4D;
    const step = () => {
      const { loss, grad } = styleLossAndGradient(net, image, targets);
      loss.dataSync();
      grad.dataSync();
      tf.dispose([loss, grad]);
    };
    const m = await measured(ctx, { workload: NAME, backend: wasmLabel('wasm'), kind: 'style loss forward + backward', ms: await timeIt(step, STEP_WARMUP, ctx.quick ? 5 : 15), torchMs }, step);
    tf.dispose([image, ...targets]);
    net.dispose();
    return { measurements: [m] };
  },
};
