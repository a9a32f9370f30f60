/**
 * Lesson 06's style transfer on wasm, beside PyTorch (styleTransfer.py): the loss network of
 * lib/nn/lossNetwork.ts (16-16 | 32-32 | 64-64 | 128, average pooling; random weights: the time does
 * not depend on them) and the transformation network of lib/nn/transformNet.ts (16-32-48, 4
 * residual blocks, instance norm, reflection padding), with lesson 06's layers and weights:
 *   - one training step of the transformation network with the loss network frozen (batch 4 of
 *     64x64, content + style + TV, Adam: lib/perceptual/transformStep.ts), the recipe's step;
 *   - one Gatys iteration on a 128x128 image (the same loss and its gradient to the pixels, Adam);
 *   - stylising one 128x128 image with the transformation network (the lesson's <= 50 ms target).
 */
import * as tf from '@tensorflow/tfjs';
import { buildLossNetwork } from '../../nn/lossNetwork';
import { buildStyleTransformNet } from '../../nn/transformNet';
import { featureNet, gramsOf, PerceptualLossSpec } from '../../perceptual/perceptualLoss';
import { balancedLayerWeights } from '../../perceptual/styleLoss';
import { createTransformTrainer, transformStep } from '../../perceptual/transformStep';
import { imageObjective, optimizeImage } from '../../perceptual/imageOptimization';
import { CONTENT_LAYER, FAST_STYLE_SETTINGS, STYLE_LAYERS } from '../../perceptual/recipes';
import { forwardFlops } from '../flops';
import { BenchWorkload, Measurement, measured, runTorchScript, STEP_WARMUP, timeIt, wasmLabel } from '../harness';

export const STYLE_TRANSFER_BENCH = {
  trainSize: FAST_STYLE_SETTINGS.size, batch: FAST_STYLE_SETTINGS.batch, imageSize: 128, contentLayer: CONTENT_LAYER, styleLayers: STYLE_LAYERS,
  weights: { content: FAST_STYLE_SETTINGS.contentWeight, style: FAST_STYLE_SETTINGS.styleWeight, tv: FAST_STYLE_SETTINGS.tvWeight },
};
const NAME = 'style transfer (loss net 16-32-64-128, transform net 16-32-48 x4 res)';

export const workload: BenchWorkload = {
  id: 'styleTransfer',
  order: 35,
  async run(ctx) {
    if (!ctx.backends.includes('wasm')) return { measurements: [] };
    const b = STYLE_TRANSFER_BENCH;
    let torch: Record<string, number> | undefined;
    if (!ctx.torchUnavailable) {
      ctx.log(`measuring PyTorch: ${NAME}`);
      const runs = runTorchScript<Record<string, number>>('styleTransfer.py', { ...b, steps: ctx.quick ? 3 : 7, warmup: STEP_WARMUP });
      torch = Object.fromEntries(Object.keys(runs[0]).filter((k) => k.endsWith('_ms')).map((k) => [k, Math.min(runs[0][k], runs[1][k])]));
    }
    await tf.setBackend('wasm');
    ctx.log(`measuring wasm: ${NAME}`);
    const lossNetwork = buildLossNetwork({ heads: { shape: 5, texture: 8 }, seed: 1 });
    const net = featureNet(lossNetwork, [...new Set([b.contentLayer, ...b.styleLayers])]);
    const style = tf.randomUniform([1, b.imageSize, b.imageSize, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
    const grams = gramsOf(net, style, b.styleLayers);
    const spec: PerceptualLossSpec = { net, contentLayer: b.contentLayer, contentWeight: b.weights.content, styleLayers: b.styleLayers, styleGrams: grams, styleLayerWeights: balancedLayerWeights(grams), styleWeight: b.weights.style, tvWeight: b.weights.tv };
    const transformNet = buildStyleTransformNet({ seed: 2 });
    const trainer = createTransformTrainer(transformNet, spec);
    const batch = tf.randomUniform([b.batch, b.trainSize, b.trainSize, 3], 0, 1, 'float32', 2) as tf.Tensor4D;
    const out: Measurement[] = [];
    // FLOPs (lib/bench/flops.ts) on sized copies (the networks above take any size). Training step: the
    // transform net's forward + both gradients (3x forward) and the loss network's forward on the output,
    // its input gradient and its forward on the content target (3x forward); a Gatys iteration: the loss
    // network's forward and input gradient (2x forward); stylising: one forward of the transform net.
    const sized = (h: number) => ({ loss: buildLossNetwork({ heads: { shape: 5, texture: 8 }, inputSize: [h, h] }), transform: buildStyleTransformNet({ size: [h, h] }) });
    const small = sized(b.trainSize), big = sized(b.imageSize);
    const flops = {
      train: 3 * forwardFlops(small.transform, b.batch) + 3 * forwardFlops(small.loss, b.batch),
      gatys: 2 * forwardFlops(big.loss, 1),
      stylise: forwardFlops(big.transform, 1),
    };
    [small.loss, small.transform, big.loss, big.transform].forEach((m) => m.dispose());
    const trainStep = () => { transformStep(trainer, batch, { content: batch }); };
    out.push(await measured(ctx, { workload: NAME, backend: wasmLabel('wasm'), kind: `transform-net train step, frozen loss net (batch ${b.batch}, ${b.trainSize}x${b.trainSize})`, flops: flops.train, ms: await timeIt(trainStep, STEP_WARMUP, ctx.quick ? 3 : 7), torchMs: torch?.train_ms }, trainStep));

    const content = tf.randomUniform([1, b.imageSize, b.imageSize, 3], 0, 1, 'float32', 3) as tf.Tensor4D;
    const objective = imageObjective({ net, content: { image: content, layer: b.contentLayer, weight: b.weights.content }, style: { image: style, layers: b.styleLayers, weight: b.weights.style }, tvWeight: b.weights.tv });
    // one Gatys iteration = one Adam step of the image; timed as (N + 1 iterations) - (1 iteration) to leave out the setup
    const iterations = (n: number) => { const r = optimizeImage(objective.loss, content, { steps: n }); r.image.dispose(); };
    const gatysOne = () => iterations(1);
    const gatysMs = (await timeIt(() => iterations(6), 2, ctx.quick ? 3 : 5) - await timeIt(gatysOne, 2, ctx.quick ? 3 : 5)) / 5;
    out.push(await measured(ctx, { workload: NAME, backend: wasmLabel('wasm'), kind: `Gatys iteration (${b.imageSize}x${b.imageSize}, Adam)`, flops: flops.gatys, ms: gatysMs, torchMs: torch?.gatys_ms }, gatysOne));

    const stylise = () => { tf.tidy(() => { (transformNet.predict(content) as tf.Tensor).dataSync(); }); };
    out.push(await measured(ctx, { workload: NAME, backend: wasmLabel('wasm'), kind: `stylise one ${b.imageSize}x${b.imageSize} image (transform net)`, flops: flops.stylise, ms: await timeIt(stylise, STEP_WARMUP, ctx.quick ? 10 : 30), torchMs: torch?.stylise_ms }, stylise));

    objective.dispose();
    trainer.optimizer.dispose();
    tf.dispose([style, batch, content, ...grams]);
    transformNet.dispose();
    lossNetwork.dispose();
    return { measurements: out };
  },
};
