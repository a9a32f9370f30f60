/**
 * Lesson 03's trained models as recipes (lib/train/recipe.ts): `cvkit train <name>` trains each for a
 * fixed number of seeded steps and ships float16 weights with recipe.json in datasets/weights/<name>/;
 * the notebook loads them (`train.loadOrTrain(recipe, { live: TRAIN_LIVE })`).
 *
 *   face-hourglass       2-stack hourglass, spatial cross-entropy on every stack (intermediate supervision)
 *   face-regressor       the same stem and hourglass, a dense head regressing the 14 coordinates (MSE)
 *   face-hourglass-mse   the 2-stack hourglass with the reference loss (MSE on every stack)
 *   hourglass-stacks     1 stack vs 2 stacks with and without the intermediate loss, same steps: the table
 *                        in its recipe.json
 *   centernet-shapes     CenterNet (objects as points) on 64x64 shapes scenes, mAP@0.5
 *
 * The data: synthetic faces (datasets/faces.ts, seeds 1 train / 2 test) and shapes scenes
 * (datasets/shapes.ts, seeds 1 / 2); quick mode = the small versions the tests run in seconds.
 * This file is where the topic meets the training loops (tests/layout.test.ts treats a topic's
 * recipes.ts like an entry point).
 */
import * as tf from '@tensorflow/tfjs';
import { generateFaces, FacesDataset } from '../../datasets/faces';
import { generateShapes, ShapesDataset, SHAPE_CLASSES } from '../../datasets/shapes';
import { imagesTensor } from '../../datasets/tensors';
import { buildStackedHourglass, buildLandmarkRegressor, buildCenterNet } from '../nn/hourglass';
import { averagePrecision } from '../ops/averagePrecision';
import { trainDense } from '../train/dense';
import type { LossKind } from '../train/losses';
import type { Recipe, Models } from '../train/recipe';
import { heatmapTensor } from './heatmap';
import { pck, nme } from './metrics';
import { predictHeatmapLandmarks, predictRegressionLandmarks, coordinateTargets } from './predict';
import { centerNetTargets, decodeCenterNet } from './centernet';

const LESSON = 'notebooks/03-landmarks.ipynb';

/** The landmark models' shared settings: 64x64 faces, 7 landmarks, hourglass depth 3, 48 features. */
export const FACE_MODEL = { inputShape: [64, 64, 3] as [number, number, number], numLandmarks: 7, depth: 3, features: 48 };
/** Training steps of each face model (quick: the tests' version). */
export const FACE_STEPS = { full: 600, quick: 3 };

/** The face data of lesson 03: 4000 training faces (seed 1) and 500 test faces (seed 2); quick 96 / 32. */
export function faceData(quick: boolean): { train: FacesDataset; test: FacesDataset } {
  return { train: generateFaces({ count: quick ? 96 : 4000, seed: 1 }), test: generateFaces({ count: quick ? 32 : 500, seed: 2 }) };
}

/** PCK@0.05/0.1/0.2 (face height as the reference) and NME (inter-ocular) of predicted landmarks. */
export function landmarkMetrics(predicted: [number, number][][], test: FacesDataset): Record<string, number> {
  const r = (v: number) => Math.round(v * 10000) / 10000;
  return {
    'pck@0.05': r(pck(predicted, test.landmarks, test.faceSize, 0.05)),
    'pck@0.1': r(pck(predicted, test.landmarks, test.faceSize, 0.1)),
    'pck@0.2': r(pck(predicted, test.landmarks, test.faceSize, 0.2)),
    nme: r(nme(predicted, test.landmarks, test.interOcular)),
  };
}

interface FaceModelSpec {
  build: (seed: number) => tf.LayersModel;
  loss: LossKind;
  target: 'heatmaps' | 'coordinates';
  predict: (model: tf.LayersModel, x: tf.Tensor4D) => [number, number][][];
}

const heatmapPredict = (activation: 'softmax' | 'none') => (model: tf.LayersModel, x: tf.Tensor4D) =>
  predictHeatmapLandmarks(model, x, { stride: 4, decoder: 'dark', activation });

/** Trains the face models of `specs` on the same data, the same steps and seeds; one log line each. */
async function trainFaceModels(specs: Record<string, FaceModelSpec>, steps: number, o: { quick: boolean; seed: number; progress: boolean; log: (l: string) => void }): Promise<Models> {
  const { train } = faceData(o.quick);
  const x = imagesTensor(train);
  const heat = Object.values(specs).some((s) => s.target === 'heatmaps') ? heatmapTensor(train.landmarks, { size: [16, 16], stride: 4, sigma: 1 }) : null;
  const coords = Object.values(specs).some((s) => s.target === 'coordinates') ? coordinateTargets(train.landmarks, [64, 64]) : null;
  const models: Models = {};
  try {
    for (const [key, spec] of Object.entries(specs)) {
      const model = spec.build(o.seed + 1);
      const r = await trainDense(model, { x, y: spec.target === 'heatmaps' ? heat! : coords! }, {
        loss: spec.loss, steps, batchSize: 32, learningRate: 2e-3, seed: o.seed + 1, progress: o.progress, logEvery: 20,
      });
      o.log(`${key}: ${r.steps} steps in ${r.seconds.toFixed(0)} s (${r.msPerStep.toFixed(0)} ms/step, ${r.threads} threads), last loss ${r.history[r.history.length - 1]?.loss.toFixed(3) ?? 'n/a'}`);
      models[key] = model;
    }
  } finally {
    tf.dispose([x, ...(heat ? [heat] : []), ...(coords ? [coords] : [])]);
  }
  return models;
}

function evaluateFaceModels(specs: Record<string, FaceModelSpec>, models: Models, quick: boolean): Record<string, number> {
  const { test } = faceData(quick);
  const x = imagesTensor(test);
  try {
    const keys = Object.keys(specs);
    const out: Record<string, number> = {};
    for (const key of keys) {
      const m = landmarkMetrics(specs[key].predict(models[key], x), test);
      // One model: plain metric names; several: "<model> <metric>".
      for (const [name, v] of Object.entries(m)) out[keys.length === 1 ? name : `${key} ${name}`] = v;
    }
    return out;
  } finally {
    x.dispose();
  }
}

function faceRecipe(name: string, summary: string, specs: Record<string, FaceModelSpec>, steps: { full: number; quick: number }): Recipe {
  return {
    name, lesson: LESSON, summary,
    async train(o) {
      const n = o.quick ? steps.quick : steps.full;
      return { models: await trainFaceModels(specs, n, o), steps: n };
    },
    async evaluate(models, o) { return evaluateFaceModels(specs, models, o.quick); },
  };
}

const hourglass = (stacks: number) => (seed: number) => buildStackedHourglass({ ...FACE_MODEL, stacks, seed });

export const FACE_HOURGLASS = faceRecipe('face-hourglass',
  `2-stack hourglass (depth 3, 48 features) on 4000 synthetic faces, spatial cross-entropy on both stacks, ${FACE_STEPS.full} steps of batch 32, Adam 2e-3 (cosine); DARK decoding`,
  { model: { build: hourglass(2), loss: 'stackedSpatialCE', target: 'heatmaps', predict: heatmapPredict('softmax') } }, FACE_STEPS);

export const FACE_REGRESSOR = faceRecipe('face-regressor',
  `coordinate regression on the same stem and hourglass (dense head to 14 numbers, MSE), ${FACE_STEPS.full} steps of batch 32, Adam 2e-3 (cosine)`,
  { model: { build: (seed) => buildLandmarkRegressor({ ...FACE_MODEL, seed }), loss: 'mse', target: 'coordinates', predict: (m, x) => predictRegressionLandmarks(m, x) } }, FACE_STEPS);

export const FACE_HOURGLASS_MSE = faceRecipe('face-hourglass-mse',
  `2-stack hourglass with the reference loss (MSE against the Gaussians on both stacks), ${FACE_STEPS.full} steps of batch 32, Adam 2e-3 (cosine); DARK decoding`,
  { model: { build: hourglass(2), loss: 'stackedMSE', target: 'heatmaps', predict: heatmapPredict('none') } }, FACE_STEPS);

/** Steps of each model in the stacking ablation (fewer than the lesson's models: three models in one recipe). */
export const STACKS_STEPS = { full: 300, quick: 2 };

export const HOURGLASS_STACKS = faceRecipe('hourglass-stacks',
  `the lecture's claim about stacking, measured: 1 stack, 2 stacks with intermediate supervision, 2 stacks with the loss on the last stack only; spatial cross-entropy, ${STACKS_STEPS.full} steps each of batch 32, Adam 2e-3 (cosine), same seeds`,
  {
    oneStack: { build: hourglass(1), loss: 'stackedSpatialCE', target: 'heatmaps', predict: heatmapPredict('softmax') },
    twoStacks: { build: hourglass(2), loss: 'stackedSpatialCE', target: 'heatmaps', predict: heatmapPredict('softmax') },
    twoStacksLastLossOnly: { build: hourglass(2), loss: 'lastStackSpatialCE', target: 'heatmaps', predict: heatmapPredict('softmax') },
  }, STACKS_STEPS);

/** CenterNet's shapes scenes: 64x64, 1-3 objects of radius 10-20% of the side; train seed 1, test seed 2. */
export const CENTERNET_SCENES = { size: 64, objects: [1, 3] as [number, number], radius: [0.1, 0.2] as [number, number] };
export const CENTERNET_STEPS = { full: 1200, quick: 4 };

/** CenterNet's training and test scenes (3000 / 300; quick 128 / 32). */
export function centerNetData(quick: boolean): { train: ShapesDataset; test: ShapesDataset } {
  return {
    train: generateShapes({ count: quick ? 128 : 3000, seed: 1, ...CENTERNET_SCENES }),
    test: generateShapes({ count: quick ? 32 : 300, seed: 2, ...CENTERNET_SCENES }),
  };
}

/** mAP@0.5 and per-class AP of a CenterNet on the test scenes (decoded as lesson 03 shows them). */
export function centerNetMetrics(model: tf.LayersModel, test: ShapesDataset, classNames: readonly string[]): Record<string, number> {
  const x = imagesTensor(test);
  const outputs = model.predict(x) as tf.Tensor[];
  try {
    const truth = test.instances.map((inst) => ({ boxes: inst.map((o) => o.box), classes: inst.map((o) => o.label) }));
    const detections = decodeCenterNet(outputs, 4, 100, 0.05);
    const ap = averagePrecision(detections, truth, classNames.length, 0.5);
    const r = (v: number) => Math.round(v * 10000) / 10000;
    const out: Record<string, number> = { 'mAP@0.5': r(ap.mean) };
    classNames.forEach((c, i) => { out[`AP@0.5 ${c}`] = r(ap.perClass[i]); });
    return out;
  } finally {
    tf.dispose([x, ...outputs]);
  }
}

export const CENTERNET_SHAPES: Recipe = {
  name: 'centernet-shapes', lesson: LESSON,
  summary: `CenterNet (centre heatmap per class + size + offset heads) on the hourglass backbone (depth 3, 48 features), 3000 shapes scenes of 64x64, focal + L1 losses, ${CENTERNET_STEPS.full} steps of batch 32, Adam 2e-3 (cosine)`,
  async train(o) {
    const { train } = centerNetData(o.quick);
    const steps = o.quick ? CENTERNET_STEPS.quick : CENTERNET_STEPS.full;
    const x = imagesTensor(train);
    const y = centerNetTargets(train.instances, { size: 16, stride: 4, numClasses: 5 });
    const model = buildCenterNet({ inputShape: [64, 64, 3], numClasses: 5, depth: 3, features: 48, seed: o.seed + 1 });
    try {
      const r = await trainDense(model, { x, y }, { loss: 'centerNet', steps, batchSize: 32, learningRate: 2e-3, seed: o.seed + 1, progress: o.progress, logEvery: 20 });
      o.log(`centernet: ${r.steps} steps in ${r.seconds.toFixed(0)} s (${r.msPerStep.toFixed(0)} ms/step), last loss ${r.history[r.history.length - 1]?.loss.toFixed(3) ?? 'n/a'}`);
    } finally {
      tf.dispose([x, y]);
    }
    return { models: { model }, steps };
  },
  async evaluate(models, o) {
    const { test } = centerNetData(o.quick);
    return centerNetMetrics(models.model, test, SHAPE_CLASSES);
  },
};

export const LANDMARK_RECIPES: Recipe[] = [FACE_HOURGLASS, FACE_REGRESSOR, FACE_HOURGLASS_MSE, HOURGLASS_STACKS, CENTERNET_SHAPES];
