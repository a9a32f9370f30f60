/**
 * The classifiers of lessons 00-01 (lib/nn/vgg.ts; batch 64 of 32x32x3): a training step, inference,
 * and on the shapes classifier Grad-CAM and guided backprop of 1 and 32 images, on every tfjs backend
 * that starts here (the pure-JS cpu backend on the first classifier only: minutes per VGG-small step),
 * beside PyTorch (classifiers.py) and the kit's data-parallel training loop where it has replicas.
 */
import * as tf from '@tensorflow/tfjs';
import { buildVggClassifier, VggOptions } from '../../nn/vgg';
import { softmaxCrossEntropy } from '../../train/losses';
import { trainClassifier } from '../../train/classifier';
import { defaultThreads } from '../../train/dataParallel';
import { Random } from '../../runtime/random';
import { BenchContext, BenchWorkload, EXPLAIN_WARMUP, Measurement, measured, runTorchScript, STEP_WARMUP, timedSteps, timeIt, wasmLabel } from '../harness';
import { forwardFlops, trainStepFlops } from '../flops';
import { StrategyKind } from '../../train/strategy';

export interface ClassifierConfig {
  name: string;
  model: Omit<VggOptions, 'inputShape' | 'numClasses'>;
  batch: number;
}

export const CLASSIFIERS: ClassifierConfig[] = [
  { name: 'shapes classifier', model: { filters: [12, 24, 48, 96], stemStride: 2, batchNorm: true }, batch: 64 },
  { name: 'VGG-small (2 convs/block, 32-64-128)', model: { filters: [32, 64, 128], convsPerBlock: 2, batchNorm: true }, batch: 64 },
];

async function measureTfjs(ctx: BenchContext, config: ClassifierConfig, backend: string, explain: boolean): Promise<Measurement[]> {
  const { quick } = ctx;
  await tf.setBackend(backend);
  const model = buildVggClassifier({ inputShape: [32, 32, 3], numClasses: 10, ...config.model, seed: 1 });
  const rng = new Random(1);
  const x = tf.tensor4d(Float32Array.from({ length: config.batch * 32 * 32 * 3 }, () => rng.next()), [config.batch, 32, 32, 3]);
  const y = tf.tensor1d(Array.from({ length: config.batch }, (_, i) => i % 10), 'int32');
  const optimizer = tf.train.adam(1e-3);
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const slow = backend === 'cpu';
  const step = () => {
    const loss = optimizer.minimize(() => softmaxCrossEntropy(model.apply(x, { training: true }) as tf.Tensor, y), true, vars)!;
    loss.dataSync();
    loss.dispose();
  };
  const infer = () => {
    // The whole batch in one forward pass, as PyTorch's model(x) (predict's default splits it into 32s).
    const out = model.predict(x, { batchSize: config.batch }) as tf.Tensor;
    out.dataSync();
    out.dispose();
  };
  const out: Measurement[] = [];
  const flops = { train: trainStepFlops(model, config.batch), infer: forwardFlops(model, config.batch) };
  if (!(slow && quick)) out.push(await measured(ctx, { workload: config.name, backend: wasmLabel(backend), kind: 'train step', flops: flops.train, ms: await timeIt(step, slow ? 0 : STEP_WARMUP, slow ? 1 : timedSteps({ quick })) }, slow ? undefined : step));
  const threads = backend === 'wasm' ? defaultThreads() : 1;
  if (threads > 1) {
    // The kit's training loop: forced to data-parallel replicas, and as it chooses by itself
    // (lib/train/strategy.ts); time per step after one warm-up epoch.
    const steps = quick ? 6 : 10;
    const xs = tf.tile(x, [steps, 1, 1, 1]) as tf.Tensor4D;
    const ys = tf.tile(y, [steps]) as tf.Tensor1D;
    for (const strategy of ['replicas', 'auto'] as (StrategyKind | 'auto')[]) {
      const run = () => trainClassifier(model, { x: xs, y: ys }, { epochs: 1, batchSize: config.batch, threads, progress: false, strategy });
      await run();
      const r = await run();
      const label = strategy === 'auto' ? `wasm, kit's training loop (chose ${r.strategy === 'threads' ? `${threads} XNNPACK threads` : `${threads} replicas`})` : `wasm, ${threads} data-parallel replicas`;
      out.push(await measured(ctx, { workload: config.name, backend: label, kind: 'train step', flops: flops.train, ms: (1000 * r.seconds) / r.steps }));
    }
    tf.dispose([xs, ys]);
  }
  out.push(await measured(ctx, { workload: config.name, backend: wasmLabel(backend), kind: 'inference', flops: flops.infer, ms: await timeIt(infer, slow ? 1 : STEP_WARMUP, slow ? 2 : quick ? 5 : 15) }, slow ? undefined : infer));
  if (explain && !slow) {
    // Explanations of the shapes classifier (lesson 01): one image and a batch of 32.
    const { gradCam } = await import('../../explain/gradCam');
    const { guidedBackprop } = await import('../../explain/guidedBackprop');
    for (const n of [1, 32]) {
      const xs = x.slice(0, n);
      const cam = () => { const m = gradCam(model, xs); m.dataSync(); m.dispose(); };
      const gbp = () => { const m = guidedBackprop(model, xs); m.dataSync(); m.dispose(); };
      out.push(await measured(ctx, { workload: config.name, backend: wasmLabel(backend), kind: n === 1 ? 'Grad-CAM, 1 image' : 'Grad-CAM, batch 32', ms: await timeIt(cam, EXPLAIN_WARMUP, quick ? 5 : 15) }, cam));
      out.push(await measured(ctx, { workload: config.name, backend: wasmLabel(backend), kind: n === 1 ? 'guided backprop, 1 image' : 'guided backprop, batch 32', ms: await timeIt(gbp, EXPLAIN_WARMUP, quick ? 5 : 15) }));
      xs.dispose();
    }
  }
  tf.dispose([x, y]);
  optimizer.dispose();
  model.dispose();
  return out;
}

/** PyTorch's times for `config`, each measure at its best thread count: by measurement kind. */
function measureTorch(ctx: BenchContext, config: ClassifierConfig): Record<string, number> {
  type Line = { train_ms: number; infer_ms: number; gradcam1_ms: number; gradcam32_ms: number };
  const runs = runTorchScript<Line>('classifiers.py', { ...config.model, batch: config.batch, classes: 10, steps: timedSteps(ctx), quick: ctx.quick, explain_warmup: EXPLAIN_WARMUP, warmup: STEP_WARMUP });
  const best = (f: (l: Line) => number) => Math.min(...runs.map(f));
  return { 'train step': best((l) => l.train_ms), inference: best((l) => l.infer_ms), 'Grad-CAM, 1 image': best((l) => l.gradcam1_ms), 'Grad-CAM, batch 32': best((l) => l.gradcam32_ms) };
}

export const workload: BenchWorkload = {
  id: 'classifiers',
  order: 10,
  async run(ctx) {
    const measurements: Measurement[] = [];
    for (const config of CLASSIFIERS) {
      let torch: Record<string, number> | null = null;
      if (!ctx.torchUnavailable) {
        ctx.log(`measuring PyTorch: ${config.name}`);
        torch = measureTorch(ctx, config);
      }
      for (const backend of ctx.backends) {
        // The pure-JS cpu backend needs minutes per VGG-small step: it is measured on the first classifier only.
        if (backend === 'cpu' && config !== CLASSIFIERS[0]) continue;
        ctx.log(`measuring ${backend}: ${config.name}`);
        for (const m of await measureTfjs(ctx, config, backend, config === CLASSIFIERS[0])) {
          if (torch) m.torchMs = torch[m.kind];
          measurements.push(m);
        }
      }
    }
    return { measurements };
  },
};
