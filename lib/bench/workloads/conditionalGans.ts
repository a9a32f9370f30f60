/**
 * Lesson 05's training steps on wasm beside PyTorch (conditionalGans.py, the same networks and the same
 * iteration, lib/gan/ganModel.ts's `ganStep`), at the sizes the lesson's recipes train (lib/gan/recipes.ts):
 * - the conditional DCGAN on MNIST (batch 64 here: the issue's reference row; the recipe's batch is MNIST_GAN.batchSize);
 * - pix2pix at the lesson's size (U-Net + PatchGAN on 32x32 silhouette -> scene);
 * - CycleGAN (two ResNet generators with instance norm, two instance-norm PatchGANs, LSGAN, image pools).
 */
import * as tf from '@tensorflow/tfjs';
import { buildDcganGenerator, buildDcganDiscriminator } from '../../nn/dcgan';
import { buildUNetGenerator } from '../../nn/unet';
import { buildPatchGan } from '../../nn/patchGan';
import { createCgan } from '../../gan/cgan';
import { createPix2Pix } from '../../gan/pix2pix';
import { createCycleGan } from '../../gan/cycleGan';
import { buildCycleGanNetworks, MNIST_GAN, TRANSLATION } from '../../gan/recipes';
import { Batch, GanModel, ganStep, disposeGanModel } from '../../gan/ganModel';
import { forwardFlops } from '../flops';
import { BenchContext, BenchWorkload, Measurement, measured, STEP_WARMUP, timeIt, torchBestMs, wasmLabel } from '../harness';

const CGAN = { model: 'cgan', latent: MNIST_GAN.latentSize, filters: MNIST_GAN.filters, batch: 64 };
const P = TRANSLATION.pix2pix;
const PIX2PIX = { model: 'pix2pix', size: TRANSLATION.size, filters: P.filters, dFilters: P.discriminatorFilters, dLayers: P.discriminatorLayers, batch: P.batchSize };
const C = TRANSLATION.cycle;
const CYCLE = { model: 'cyclegan', size: TRANSLATION.size, filters: C.filters, blocks: C.blocks, dFilters: C.discriminatorFilters, dLayers: C.discriminatorLayers, batch: C.batchSize };

/**
 * FLOPs of one GAN step (lib/bench/flops.ts's convention: a training pass = 3 forward passes), for
 * generators `gens` and discriminators `dis` at `batch` (lib/gan/ganModel.ts's `ganStep`): the generator
 * step trains each generator on `gUses` batches (1 for a cGAN/pix2pix; 3 for CycleGAN: G(x), G(F(y)) of
 * the cycle and the identity G(y)) and takes each discriminator's input gradient once (3 gUses G + 2 D);
 * the discriminator step reuses those fakes and trains every discriminator on a real and a fake batch (6 D).
 */
export function ganStepFlops(gens: tf.LayersModel[], dis: tf.LayersModel[], batch: number, gUses = 1): number {
  const g = gens.reduce((a, m) => a + forwardFlops(m, batch), 0);
  const d = dis.reduce((a, m) => a + forwardFlops(m, batch), 0);
  return 3 * gUses * g + 8 * d;
}

async function row(ctx: BenchContext, name: string, config: object, make: () => { model: GanModel; batch: Batch; flops: number }): Promise<Measurement> {
  const torchMs = torchBestMs(ctx, name, 'conditionalGans.py', { ...config, steps: ctx.quick ? 3 : 7, warmup: STEP_WARMUP });
  await tf.setBackend('wasm');
  ctx.log(`measuring wasm: ${name}`);
  const { model, batch, flops } = make();
  const step = () => { ganStep(model, batch); };
  const m = await measured(ctx, { workload: name, backend: wasmLabel('wasm'), kind: 'GAN step (G + D)', flops, ms: await timeIt(step, STEP_WARMUP, ctx.quick ? 3 : 7), torchMs }, step);
  tf.dispose(Object.values(batch));
  disposeGanModel(model);
  return m;
}

export const workload: BenchWorkload = {
  id: 'conditionalGans',
  order: 25,
  async run(ctx) {
    if (!ctx.backends.includes('wasm')) return { measurements: [] };
    const measurements: Measurement[] = [];
    measurements.push(await row(ctx, `conditional DCGAN, MNIST (width ${CGAN.filters}, batch ${CGAN.batch})`, CGAN, () => {
      const G = buildDcganGenerator({ latentSize: CGAN.latent, filters: CGAN.filters, seed: 1 });
      const D = buildDcganDiscriminator({ filters: CGAN.filters, seed: 2, auxiliaryClassifier: true });   // mnist-cgan's D
      return { model: createCgan(G, D), flops: ganStepFlops([G], [D], CGAN.batch),
      batch: { real: tf.randomUniform([CGAN.batch, 28, 28, 1], -1, 1, 'float32', 1), label: tf.oneHot(tf.tensor1d(Array.from({ length: CGAN.batch }, (_, i) => i % 10), 'int32'), 10).toFloat(), noise: tf.randomNormal([CGAN.batch, CGAN.latent], 0, 1, 'float32', 2) },
      };
    }));
    const s = PIX2PIX.size;
    measurements.push(await row(ctx, `pix2pix, lesson size (U-Net ${s}x${s} width ${PIX2PIX.filters} + PatchGAN, batch ${PIX2PIX.batch})`, PIX2PIX, () => {
      const G = buildUNetGenerator({ inputShape: [s, s, 3], filters: PIX2PIX.filters, seed: 1 });
      const D = buildPatchGan({ inputShape: [s, s, 6], filters: PIX2PIX.dFilters, layers: PIX2PIX.dLayers, seed: 2 });
      return { model: createPix2Pix(G, D), flops: ganStepFlops([G], [D], PIX2PIX.batch),
      batch: { source: tf.randomUniform([PIX2PIX.batch, s, s, 3], -1, 1, 'float32', 1), target: tf.randomUniform([PIX2PIX.batch, s, s, 3], -1, 1, 'float32', 2) },
      };
    }));
    measurements.push(await row(ctx, `CycleGAN (2 ResNet generators ${s}x${s} width ${CYCLE.filters}, ${CYCLE.blocks} blocks, instance norm; 2 PatchGANs; batch ${CYCLE.batch})`, CYCLE, () => {
      const nets = buildCycleGanNetworks(0);
      return { model: createCycleGan(nets), flops: ganStepFlops([nets.G, nets.F], [nets.DX, nets.DY], CYCLE.batch, 3),
      batch: { x: tf.randomUniform([CYCLE.batch, s, s, 3], -1, 1, 'float32', 1), y: tf.randomUniform([CYCLE.batch, s, s, 3], -1, 1, 'float32', 2) },
      };
    }));
    return { measurements };
  },
};
