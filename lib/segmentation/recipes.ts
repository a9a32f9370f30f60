/**
 * The trained models of lesson 04, as recipes (lib/train/recipe.ts; listed in lib/train/registry.ts):
 * `cvkit train <name>` trains a fixed, seeded number of steps and ships the weights and their metrics.
 *
 *   segmentation-two-stage   Mask R-CNN's two stages with UPSNet's semantic head: mask AP, PQ/SQ/RQ
 *   segmentation-yolact      YOLACT (three parts, so YolactEdge can reuse the deep features): mask AP
 *   segmentation-mask-heads  the mask-head experiments (lib/segmentation/maskHeadExperiment.ts), seed 1:
 *                            RoIPool vs RoIAlign at strides 4, 8, 16 and per-class sigmoid vs softmax;
 *                            each run's mask IoU and AP@0.5/0.75
 *   segmentation-mask-heads-seeds  the RoIPool/RoIAlign runs again with seeds 2 and 3 (the spread)
 *
 * Data: scenes (datasets/scenes.ts) with generator seed 1 for training and 2 for testing. The objects
 * below have the shape of lib/train/recipe.ts's Recipe (a topic does not import lib/train).
 */
import * as tf from '@tensorflow/tfjs';
import { generateScenes, SceneDataset } from '../../datasets/scenes';
import { imagesTensor } from '../../datasets/tensors';
import { createMaskRcnn, fromModels, maskRcnnLoss, maskRcnnVariables, detect, MASK_RCNN_CONFIG } from './maskRcnn';
import { createYolact, yolactFromModels, yolactLoss, yolactVariables, yolactDetect, YOLACT_CONFIG } from './yolact';
import { MASK_HEAD_SETUP, MaskHeadSetup, createMaskHeadNetwork, maskHeadLoss, maskHeadVariables, evaluateMaskHead } from './maskHeadExperiment';
import { instanceMetrics, panopticOutputs, panopticMetrics } from './evaluation';
import { trainSteps } from './training';

type Models = Record<string, tf.LayersModel>;
interface RunOptions { quick: boolean; seed: number; progress: boolean; log: (line: string) => void }

const LESSON = 'notebooks/04-segmentation.ipynb';

/** Training and test scenes (quick: the small versions the tests run). */
export function sceneSplits(quick: boolean): { train: SceneDataset; test: SceneDataset } {
  return { train: generateScenes({ count: quick ? 48 : 4000, seed: 1 }), test: generateScenes({ count: quick ? 32 : 300, seed: 2 }) };
}

/** Training settings of each recipe (steps of batch 16; quick: the test's few steps). */
export const SEGMENTATION_TRAINING = {
  twoStage: { steps: 1000, quickSteps: 3, learningRate: 3e-3, warmup: 100 },
  yolact: { steps: 1500, quickSteps: 3, learningRate: 3e-3, warmup: 100 },
  maskHeads: { steps: 150, quickSteps: 2, learningRate: 3e-3, warmup: 20, batchSize: 8 },
};

const round = (v: number) => Math.round(v * 10000) / 10000;

/** Mask R-CNN's two stages + UPSNet's semantic head. */
export const TWO_STAGE_RECIPE = {
  name: 'segmentation-two-stage',
  lesson: LESSON,
  summary: `two-stage instance segmentation (FPN, RPN, RoIAlign box and per-class mask heads) with UPSNet's semantic head, on 64x64 scenes: ${SEGMENTATION_TRAINING.twoStage.steps} steps of batch 16, Adam ${SEGMENTATION_TRAINING.twoStage.learningRate} (cosine)`,
  async train(o: RunOptions): Promise<{ models: Models; steps: number }> {
    const s = SEGMENTATION_TRAINING.twoStage;
    const net = createMaskRcnn(MASK_RCNN_CONFIG, o.seed + 1);
    const r = await trainSteps(sceneSplits(o.quick).train, maskRcnnVariables(net), (b, rng) => maskRcnnLoss(net, b, rng), { steps: o.quick ? s.quickSteps : s.steps, learningRate: s.learningRate, warmup: s.warmup, seed: o.seed, progress: o.progress, label: 'two-stage' });
    o.log(`two-stage: ${r.steps} steps in ${r.seconds.toFixed(0)} s (${r.msPerStep.toFixed(0)} ms/step)`);
    return { models: { backbone: net.backbone, boxHead: net.boxHead, maskHead: net.maskHead }, steps: r.steps };
  },
  async evaluate(models: Models, o: { quick: boolean }): Promise<Record<string, number>> {
    const test = sceneSplits(o.quick).test;
    const x = imagesTensor(test);
    try {
      const out = detect(fromModels(models), x);
      const inst = instanceMetrics(out.detections, test);
      const pan = panopticMetrics(panopticOutputs(out, test), out.semanticLogits, test);
      return {
        maskAP50: round(inst.ap50), maskAP75: round(inst.ap75), maskAP: round(inst.ap),
        PQ: round(pan.pq.pq), SQ: round(pan.pq.sq), RQ: round(pan.pq.rq), PQthings: round(pan.pq.things.pq), PQstuff: round(pan.pq.stuff.pq),
        semanticMeanIoU: round(pan.semanticMeanIou),
      };
    } finally {
      x.dispose();
    }
  },
};

/** YOLACT in three parts. */
export const YOLACT_RECIPE = {
  name: 'segmentation-yolact',
  lesson: LESSON,
  summary: `YOLACT (protonet with ${YOLACT_CONFIG.prototypes} prototypes, per-anchor coefficients) on the FPN's P2, on 64x64 scenes: ${SEGMENTATION_TRAINING.yolact.steps} steps of batch 16, Adam ${SEGMENTATION_TRAINING.yolact.learningRate} (cosine)`,
  async train(o: RunOptions): Promise<{ models: Models; steps: number }> {
    const s = SEGMENTATION_TRAINING.yolact;
    const net = createYolact(YOLACT_CONFIG, o.seed + 1);
    const r = await trainSteps(sceneSplits(o.quick).train, yolactVariables(net), (b, rng) => yolactLoss(net, b, rng), { steps: o.quick ? s.quickSteps : s.steps, learningRate: s.learningRate, warmup: s.warmup, seed: o.seed, progress: o.progress, label: 'YOLACT' });
    o.log(`YOLACT: ${r.steps} steps in ${r.seconds.toFixed(0)} s (${r.msPerStep.toFixed(0)} ms/step)`);
    return { models: { bottom: net.bottom, top: net.top, head: net.head }, steps: r.steps };
  },
  async evaluate(models: Models, o: { quick: boolean }): Promise<Record<string, number>> {
    const test = sceneSplits(o.quick).test;
    const x = imagesTensor(test);
    try {
      const inst = instanceMetrics(yolactDetect(yolactFromModels(models), x).detections, test);
      return { maskAP50: round(inst.ap50), maskAP75: round(inst.ap75), maskAP: round(inst.ap) };
    } finally {
      x.dispose();
    }
  },
};

/** One run of the mask-head experiments: its name (the model's key), setup and, when not the recipe's, its steps. */
export interface MaskHeadRun { key: string; setup: MaskHeadSetup; seed: number; steps?: number }

/**
 * Every run: RoIPool and RoIAlign at strides 4, 8, 16 (sigmoid masks), and softmax masks at stride 4 with
 * RoIAlign, at the recipe's steps and at 4 times as many (in 150 steps the softmax head stays near its best
 * constant answer); for each of `seeds`.
 */
export function maskHeadRuns(seeds: number[]): MaskHeadRun[] {
  const runs: MaskHeadRun[] = [];
  for (const seed of seeds) {
    for (const stride of [4, 8, 16] as const) for (const op of ['align', 'pool'] as const) {
      runs.push({ key: `s${stride}_${op}_sigmoid_seed${seed}`, setup: { ...MASK_HEAD_SETUP, stride, roiOperator: op, maskLoss: 'sigmoid' }, seed });
    }
    runs.push({ key: `s4_align_softmax_seed${seed}`, setup: { ...MASK_HEAD_SETUP, stride: 4, roiOperator: 'align', maskLoss: 'softmax' }, seed });
    runs.push(maskHeadRunOf(`s4_align_softmax_${4 * SEGMENTATION_TRAINING.maskHeads.steps}steps_seed${seed}`));
  }
  return runs;
}

/** The setup of a run from its key (`s8_pool_sigmoid_seed2`, `s4_align_softmax_600steps_seed1`). */
export function maskHeadRunOf(key: string): MaskHeadRun {
  const m = /^s(4|8|16)_(align|pool)_(sigmoid|softmax)(?:_(\d+)steps)?_seed(\d+)$/.exec(key);
  if (!m) throw new Error(`not a mask-head run: ${key}`);
  const run: MaskHeadRun = { key, setup: { ...MASK_HEAD_SETUP, stride: Number(m[1]) as 4 | 8 | 16, roiOperator: m[2] as 'align' | 'pool', maskLoss: m[3] as 'sigmoid' | 'softmax' }, seed: Number(m[5]) };
  if (m[4] != null) run.steps = Number(m[4]);
  return run;
}

/** Trains one run of the mask-head experiments (the recipe runs them all; the notebook re-runs one live). */
export async function trainMaskHeadRun(run: MaskHeadRun, train: SceneDataset, o: { quick: boolean; progress: boolean; steps?: number }) {
  const s = SEGMENTATION_TRAINING.maskHeads;
  const net = createMaskHeadNetwork(run.setup, run.seed);
  const r = await trainSteps(train, maskHeadVariables(net), (b, rng) => maskHeadLoss(net, b, rng), { steps: o.steps ?? (o.quick ? s.quickSteps : run.steps ?? s.steps), learningRate: s.learningRate, warmup: s.warmup, batchSize: s.batchSize, seed: run.seed, progress: o.progress, label: run.key });
  return { net, result: r };
}

/**
 * The mask-head experiments for `seeds`: RoIPool and RoIAlign at strides 4, 8, 16, and (withSoftmax) the
 * softmax variant at stride 4. Two recipes, so each trains in under 10 minutes on 2 cores: seed 1 with
 * the two softmax runs (8 networks) and seeds 2, 3 for the seed-to-seed spread (12 networks).
 */
function maskHeadsRecipe(name: string, seeds: number[], withSoftmax: boolean) {
  const s = SEGMENTATION_TRAINING.maskHeads;
  const runsOf = (quick: boolean) => maskHeadRuns(quick ? seeds.slice(0, 1) : seeds).filter((r) => withSoftmax || r.setup.maskLoss === 'sigmoid');
  return {
    name,
    lesson: LESSON,
    summary: `the same FPN + mask head on ground-truth boxes, RoIPool vs RoIAlign at strides 4/8/16${withSoftmax ? ` and per-class sigmoid vs softmax masks (softmax also at ${4 * s.steps} steps)` : ''}, seed${seeds.length > 1 ? 's' : ''} ${seeds.join(', ')}: ${s.steps} steps of batch ${s.batchSize} each`,
    async train(o: RunOptions): Promise<{ models: Models; steps: number }> {
      const { train } = sceneSplits(o.quick);
      const models: Models = {};
      let steps = 0;
      for (const run of runsOf(o.quick)) {
        const { net, result } = await trainMaskHeadRun({ ...run, seed: run.seed + o.seed }, train, { quick: o.quick, progress: o.progress });
        o.log(`${run.key}: ${result.steps} steps in ${result.seconds.toFixed(0)} s`);
        models[`${run.key}_pyramid`] = net.pyramid;
        models[`${run.key}_maskHead`] = net.maskHead;
        steps += result.steps;
      }
      return { models, steps };
    },
    evaluate: evaluateMaskHeads,
  };
}

/** Seed 1 of the mask-head experiments with the softmax runs (8 networks). */
export const MASK_HEADS_RECIPE = maskHeadsRecipe('segmentation-mask-heads', [1], true);
/** Seeds 2 and 3 of the RoIPool/RoIAlign runs (12 networks): with seed 1, the spread between seeds. */
export const MASK_HEAD_SEEDS_RECIPE = maskHeadsRecipe('segmentation-mask-heads-seeds', [2, 3], false);

/** Mean mask IoU and mask AP@0.5/0.75 of every mask-head network in `models` on the test scenes (ground-truth boxes). */
async function evaluateMaskHeads(models: Models, o: { quick: boolean }): Promise<Record<string, number>> {
  const { test } = sceneSplits(o.quick);
  const metrics: Record<string, number> = {};
  for (const key of Object.keys(models).filter((k) => k.endsWith('_pyramid')).map((k) => k.replace(/_pyramid$/, ''))) {
    const run = maskHeadRunOf(key);
    const e = evaluateMaskHead({ setup: run.setup, pyramid: models[`${key}_pyramid`], maskHead: models[`${key}_maskHead`] }, test);
    metrics[`${key}_meanIoU`] = round(e.meanIou);
    metrics[`${key}_AP50`] = round(e.ap50);
    metrics[`${key}_AP75`] = round(e.ap75);
  }
  return metrics;
}
