/**
 * The kit's GEMM (lib/runtime/wasm/gemm.ts) against tfjs's MatMul (XNNPACK) on the filter-gradient
 * products of the conv-heavy rows (dW = patches^T [kh*kw*Cin, rows] x dy [rows, Cout]), each side's
 * GFLOP/s: the numbers behind `useKitGemm` (docs/design.md, "The kit's own GEMM"). Both sides get a
 * new right operand every call, as in training (XNNPACK packs it each time; so does the kit's GEMM).
 * No PyTorch side.
 */
import * as tf from '@tensorflow/tfjs';
import { activeHeapBackend } from '../../runtime/wasm/heap';
import { gemmDescription, kitMatMul } from '../../runtime/wasm/gemm';
import { memoryOf, simdFlavour } from '../../runtime/wasm/simd';
import { BenchWorkload, Measurement, measured, timeIt, wasmLabel } from '../harness';

/** [label, M, K, N] of dW products measured in the bench's rows (batch as in those rows). */
export const GEMM_BENCH: [string, number, number, number][] = [
  ['VGG-small conv 32->32 (3x3, 32x32, batch 64)', 288, 65536, 32],
  ['VGG-small conv 64->64 (3x3, 16x16, batch 64)', 576, 16384, 64],
  ['hourglass residual 3x3 24->24 (32x32, batch 32)', 216, 32768, 24],
  ['pix2pix down 32->128 (4x4/2, 32x32, batch 4)', 512, 1024, 128],
  ['PatchGAN 128->256 (4x4, 8x8, batch 4)', 2048, 256, 256],
];

export const workload: BenchWorkload = {
  id: 'gemm',
  order: 80,
  async run(ctx) {
    if (!ctx.backends.includes('wasm')) return { measurements: [] };
    await tf.setBackend('wasm');
    const engine = gemmDescription(memoryOf(activeHeapBackend()));
    ctx.log(`measuring wasm: dW products, XNNPACK and the ${engine}; flavour: ${simdFlavour().reason}`);
    const out: Measurement[] = [];
    for (const [label, m, k, n] of (ctx.quick ? GEMM_BENCH.slice(1, 4) : GEMM_BENCH)) {
      const a = tf.randomUniform([m, k], -1, 1, 'float32', 1);
      const b = tf.randomUniform([k, n], -1, 1, 'float32', 2);
      const runs = ctx.quick ? 5 : 9;
      const product = (kit: boolean) => {
        // a new right operand for each call, as in training, made before the timing
        const fresh = Array.from({ length: runs + 2 }, () => tf.add(b, 0));
        let i = 0;
        return () => {
          const t = fresh[i++];
          if (kit) {
            kitMatMul(a, t).dispose();
          } else {
            // tf.matMul itself would reach the kit's GEMM through the BatchMatMul kernel (useKitGemm): force XNNPACK
            const before = process.env.CVKIT_KIT_GEMM;
            process.env.CVKIT_KIT_GEMM = '0';
            try { tf.matMul(a, t).dispose(); } finally { if (before == null) delete process.env.CVKIT_KIT_GEMM; else process.env.CVKIT_KIT_GEMM = before; }
          }
          t.dispose();
        };
      };
      const flops = 2 * m * k * n;
      const workloadName = `dW product ${label}`;
      const kind = `[${m}, ${k}] x [${k}, ${n}]`;
      out.push(await measured(ctx, { workload: workloadName, backend: `${wasmLabel('wasm')} (tf.matMul)`, kind, flops, ms: await timeIt(product(false), 2, runs) }));
      out.push(await measured(ctx, { workload: workloadName, backend: `wasm, ${engine}`, kind, flops, ms: await timeIt(product(true), 2, runs) }));
      tf.dispose([a, b]);
    }
    return { measurements: out };
  },
};
