/**
 * A pix2pix iteration (lib/gan/pix2pix.ts: a discriminator and a generator step; U-Net 64x64 +
 * PatchGAN, 32 filters, batch 4) on wasm, beside PyTorch (pix2pix.py).
 */
import * as tf from '@tensorflow/tfjs';
import { buildUNetGenerator } from '../../nn/unet';
import { buildPatchGan } from '../../nn/patchGan';
import { createPix2Pix, pix2pixStep } from '../../gan/pix2pix';
import { ganStepFlops } from './conditionalGans';
import { BenchWorkload, measured, STEP_WARMUP, timeIt, torchBestMs, wasmLabel } from '../harness';

export const PIX2PIX_BENCH = { size: 64, filters: 32, batch: 4 };
const NAME = 'pix2pix (U-Net 64x64 + PatchGAN, 32 filters, batch 4)';

export const workload: BenchWorkload = {
  id: 'pix2pix',
  order: 20,
  async run(ctx) {
    if (!ctx.backends.includes('wasm')) return { measurements: [] };
    const p = PIX2PIX_BENCH;
    const torchMs = torchBestMs(ctx, NAME, 'pix2pix.py', { ...p, steps: ctx.quick ? 3 : 7, warmup: STEP_WARMUP });
    await tf.setBackend('wasm');
    ctx.log(`measuring wasm: ${NAME}`);
    const G = buildUNetGenerator({ inputShape: [p.size, p.size, 3], filters: p.filters, seed: 1 });
    const D = buildPatchGan({ inputShape: [p.size, p.size, 6], filters: p.filters, seed: 100 });
    const state = createPix2Pix(G, D);
    const source = tf.randomUniform([p.batch, p.size, p.size, 3], -1, 1, 'float32', 1) as tf.Tensor4D;
    const target = tf.randomUniform([p.batch, p.size, p.size, 3], -1, 1, 'float32', 2) as tf.Tensor4D;
    const step = () => { pix2pixStep(state, source, target); };
    const m = await measured(ctx, { workload: NAME, backend: wasmLabel('wasm'), kind: 'pix2pix step (D + G)', flops: ganStepFlops([G], [D], p.batch), ms: await timeIt(step, STEP_WARMUP, ctx.quick ? 3 : 7), torchMs }, step);
    tf.dispose([source, target]);
    state.gOptimizer.dispose();
    state.dOptimizer!.dispose();
    G.dispose();
    D.dispose();
    return { measurements: [m] };
  },
};
