/**
 * The landmarks lesson's stacked hourglass (lib/nn/hourglass.ts; 2 stacks, 48 features, 64x64,
 * batch 32): one training step with the spatial cross-entropy and Adam on wasm, and the kit's
 * data-parallel training loop, beside PyTorch (hourglass.py).
 */
import * as tf from '@tensorflow/tfjs';
import { buildStackedHourglass } from '../../nn/hourglass';
import { lossGradients } from '../../train/losses';
import { trainDense } from '../../train/dense';
import { defaultThreads } from '../../train/dataParallel';
import { BenchWorkload, Measurement, measured, STEP_WARMUP, timedSteps, timeIt, torchBestMs, wasmLabel } from '../harness';
import { trainStepFlops } from '../flops';
import { StrategyKind } from '../../train/strategy';

export const HOURGLASS_BENCH = { stacks: 2, depth: 3, features: 48, landmarks: 7, batch: 32 };
const NAME = 'stacked hourglass (2 stacks, 48 features, 64x64, batch 32)';

export const workload: BenchWorkload = {
  id: 'hourglass',
  order: 40,
  async run(ctx) {
    if (!ctx.backends.includes('wasm')) return { measurements: [] };
    const c = HOURGLASS_BENCH;
    const out: Measurement[] = [];
    const torchMs = torchBestMs(ctx, NAME, 'hourglass.py', { ...c, steps: timedSteps(ctx), warmup: STEP_WARMUP });
    await tf.setBackend('wasm');
    ctx.log(`measuring wasm: ${NAME}`);
    const model = buildStackedHourglass({ inputShape: [64, 64, 3], numLandmarks: c.landmarks, stacks: c.stacks, depth: c.depth, features: c.features, seed: 1 });
    const x = tf.randomUniform([c.batch, 64, 64, 3], 0, 1, 'float32', 1);
    const y = tf.randomUniform([c.batch, 16, 16, c.landmarks], 0, 1, 'float32', 2);
    const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
    const optimizer: tf.Optimizer = tf.train.adam(2e-3);
    const step = () => {
      const { loss, grads } = lossGradients(model, x, y, vars, 'stackedSpatialCE');
      optimizer.applyGradients(grads);
      tf.dispose([loss, ...Object.values(grads)]);
    };
    const flops = trainStepFlops(model, c.batch);
    out.push(await measured(ctx, { workload: NAME, backend: wasmLabel('wasm'), kind: 'train step', flops, ms: await timeIt(step, STEP_WARMUP, timedSteps(ctx)), torchMs }, step));
    const threads = defaultThreads();
    if (threads > 1) {
      // The kit's training loop: forced to replicas, and as it chooses by itself (lib/train/strategy.ts).
      for (const strategy of ['replicas', 'auto'] as (StrategyKind | 'auto')[]) {
        const r = await trainDense(model, { x, y }, { loss: 'stackedSpatialCE', steps: ctx.quick ? 6 : 10, batchSize: c.batch, threads, progress: false, strategy });
        const label = strategy === 'auto' ? `wasm, kit's training loop (chose ${r.strategy === 'threads' ? `${threads} XNNPACK threads` : `${threads} replicas`})` : `wasm, ${threads} data-parallel replicas`;
        out.push(await measured(ctx, { workload: NAME, backend: label, kind: 'train step', flops, ms: r.msPerStep, torchMs }));
      }
    }
    tf.dispose([x, y]);
    optimizer.dispose();
    model.dispose();
    return { measurements: out };
  },
};
