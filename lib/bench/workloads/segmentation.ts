/**
 * Lesson 04's rows: a training step of the two-stage model (lib/segmentation/maskRcnn.ts: FPN, RPN,
 * RoIAlign box and mask heads, UPSNet's semantic head; batch 16 of 64x64 scenes), one of YOLACT
 * (lib/segmentation/yolact.ts), and RoIAlign forward + backward (lib/ops/roiAlign.ts: 64 boxes over
 * 16 feature maps of 16x16x32, 14x14 output, sampling ratio 2, aligned), beside PyTorch
 * (segmentation.py: torchvision's MaskRCNN with the same sizes plus the same semantic head, the same
 * YOLACT, torchvision.ops.roi_align).
 */
import * as tf from '@tensorflow/tfjs';
import { generateScenes } from '../../../datasets/scenes';
import { roiAlign } from '../../ops/roiAlign';
import { Random } from '../../runtime/random';
import { createMaskRcnn, maskRcnnLoss, maskRcnnVariables, MASK_RCNN_CONFIG, MASK_RCNN_ROI } from '../../segmentation/maskRcnn';
import { createYolact, yolactLoss, yolactVariables, YOLACT_CONFIG } from '../../segmentation/yolact';
import { sceneBatch } from '../../segmentation/training';
import { trainStepFlops } from '../flops';
import { BenchWorkload, Measurement, measured, STEP_WARMUP, timeIt, torchBestMs, wasmLabel } from '../harness';

export const SEGMENTATION_BENCH = { batch: 16, size: 64, roiBoxes: 64, roiMap: 16, roiChannels: 32, roiOutput: 14 };
const TWO_STAGE = 'two-stage instance + semantic segmentation (FPN, RPN, RoIAlign heads; 64x64, batch 16)';
const YOLACT = 'YOLACT (FPN P2, 16 prototypes; 64x64, batch 16)';
const ROI = 'RoIAlign, 64 boxes on 16x16x16x32, 14x14, ratio 2, aligned';

/** Boxes for the RoIAlign row, 4 per image, sides 10-26 px, in pixel edges (the same on both sides). */
export function benchBoxes(count: number, images: number, seed = 3): { boxes: number[][]; index: number[] } {
  const rng = new Random(seed);
  const boxes: number[][] = [], index: number[] = [];
  for (let k = 0; k < count; k++) {
    const w = rng.uniform(10, 26), h = rng.uniform(10, 26), x = rng.uniform(0, 64 - w), y = rng.uniform(0, 64 - h);
    boxes.push([x, y, x + w, y + h]);
    index.push(k % images);
  }
  return { boxes, index };
}

export const workload: BenchWorkload = {
  id: 'segmentation',
  order: 50,
  async run(ctx) {
    if (!ctx.backends.includes('wasm')) return { measurements: [] };
    const c = SEGMENTATION_BENCH;
    const runs = ctx.quick ? 3 : 7;
    const torch = (name: string, key: string) => torchBestMs(ctx, name, 'segmentation.py', { ...c, boxes: benchBoxes(c.roiBoxes, c.batch), steps: runs, warmup: STEP_WARMUP }, key);
    const torchTwoStage = torch(TWO_STAGE, 'two_stage_ms'), torchYolact = torch(YOLACT, 'yolact_ms'), torchRoi = torch(ROI, 'roi_align_ms');
    await tf.setBackend('wasm');
    const out: Measurement[] = [];
    const data = generateScenes({ count: c.batch, seed: 1 });
    const batch = sceneBatch(data, Array.from({ length: c.batch }, (_, i) => i));
    const rng = new Random(1);

    ctx.log(`measuring wasm: ${TWO_STAGE}`);
    const net = createMaskRcnn(MASK_RCNN_CONFIG, 1);
    const netOptimizer = tf.train.adam(1e-3);
    const netVars = maskRcnnVariables(net);
    const twoStageStep = () => { tf.dispose(netOptimizer.minimize(() => maskRcnnLoss(net, batch, rng).total, true, netVars) as tf.Scalar); };
    // FLOPs: the backbone on the batch, the box head on its sampled RoIs, the mask head on its foreground RoIs.
    const twoStageFlops = trainStepFlops(net.backbone, c.batch) + trainStepFlops(net.boxHead, c.batch * MASK_RCNN_ROI.perImage) + trainStepFlops(net.maskHead, c.batch * MASK_RCNN_ROI.masksPerImage);
    out.push(await measured(ctx, { workload: TWO_STAGE, backend: wasmLabel('wasm'), kind: 'train step', flops: twoStageFlops, ms: await timeIt(twoStageStep, STEP_WARMUP, runs), torchMs: torchTwoStage }, twoStageStep));
    netOptimizer.dispose();
    [net.backbone, net.boxHead, net.maskHead].forEach((m) => m.dispose());

    ctx.log(`measuring wasm: ${YOLACT}`);
    const yolact = createYolact(YOLACT_CONFIG, 1);
    const yOptimizer = tf.train.adam(1e-3);
    const yVars = yolactVariables(yolact);
    const yolactStep = () => { tf.dispose(yOptimizer.minimize(() => yolactLoss(yolact, batch, rng).total, true, yVars) as tf.Scalar); };
    // FLOPs: the three parts' convolutions (the mask assembly P C^T is left out, as element-wise work is).
    const yolactFlops = [yolact.bottom, yolact.top, yolact.head].reduce((s, m) => s + trainStepFlops(m, c.batch), 0);
    out.push(await measured(ctx, { workload: YOLACT, backend: wasmLabel('wasm'), kind: 'train step', flops: yolactFlops, ms: await timeIt(yolactStep, STEP_WARMUP, runs), torchMs: torchYolact }, yolactStep));
    yOptimizer.dispose();
    [yolact.bottom, yolact.top, yolact.head].forEach((m) => m.dispose());
    batch.images.dispose();

    ctx.log(`measuring wasm: ${ROI}`);
    const features = tf.randomNormal([c.batch, c.roiMap, c.roiMap, c.roiChannels], 0, 1, 'float32', 4) as tf.Tensor4D;
    const upstream = tf.randomNormal([c.roiBoxes, c.roiOutput, c.roiOutput, c.roiChannels], 0, 1, 'float32', 5);
    const { boxes, index } = benchBoxes(c.roiBoxes, c.batch);
    const options = { outputSize: c.roiOutput, spatialScale: c.roiMap / c.size, samplingRatio: 2, aligned: true };
    const roiStep = () => { tf.dispose(tf.grad((f: tf.Tensor) => roiAlign(f as tf.Tensor4D, boxes, index, options).mul(upstream).sum())(features)); };
    // FLOPs: per output value, ratio^2 samples of 4 bilinear taps (a multiply and an add each) forward, the same scattered backward.
    const roiFlops = 2 * c.roiBoxes * c.roiOutput * c.roiOutput * c.roiChannels * 2 * 2 * 4 * 2;
    out.push(await measured(ctx, { workload: ROI, backend: wasmLabel('wasm'), kind: 'forward + backward', flops: roiFlops, ms: await timeIt(roiStep, STEP_WARMUP, runs * 3), torchMs: torchRoi }, roiStep));
    tf.dispose([features, upstream]);
    return { measurements: out };
  },
};
