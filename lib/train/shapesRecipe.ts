/**
 * The recipe that trains the shapes classifier used across the lessons (getting started, CNN
 * visualization): the data, model and optimiser settings in one place, so a notebook, the
 * `cvkit train-shapes` command and the tests all train the same thing.
 *
 * Measured on the wasm backend, one core of a 2-core machine: about 96-97% test accuracy after 60 s.
 */
import * as tf from '@tensorflow/tfjs';
import { generateShapes, ShapesDataset, SHAPE_CLASSES } from '../../datasets/shapes';
import { toTensors } from '../../datasets/tensors';
import { buildVggClassifier } from '../nn/vgg';
import { trainClassifier, evaluateClassifier, ClassifierData, TrainResult, Evaluation, EpochLog } from './classifier';
import { seedEverything } from '../runtime/random';

export const SHAPES_RECIPE = {
  trainCount: 10000,
  validationCount: 1000,
  testCount: 2000,
  /** Generator seeds: train, validation, test never share an image. */
  seeds: { train: 1, validation: 2, test: 3 },
  model: { filters: [12, 24, 48, 96], stemStride: 2, batchNorm: true },
  batchSize: 32,
  learningRate: 5e-3,
  schedule: 'cosine' as const,
  timeBudgetSeconds: 60 as number | null,
  maxEpochs: 30,
};

/**
 * A smaller run for tests and CI: 4,000 training images, 3 epochs, no time budget, so the result
 * does not depend on how busy the machine is (about 30 s on one free core).
 */
export const SHAPES_QUICK = { trainCount: 4000, validationCount: 300, testCount: 500, maxEpochs: 3, timeBudgetSeconds: null };

export interface ShapesTraining {
  model: tf.LayersModel;
  result: TrainResult;
  test: Evaluation;
  data: { train: ShapesDataset; validation: ShapesDataset; test: ShapesDataset };
  /** The test set as tensors (caller disposes, or calls dispose()). */
  testTensors: ClassifierData;
  dispose(): void;
}

/** Trains the shapes classifier with SHAPES_RECIPE (or its quick variant). */
export async function trainShapesClassifier(options: {
  quick?: boolean;
  timeBudgetSeconds?: number;
  seed?: number;
  progress?: boolean;
  onEpochEnd?: (log: EpochLog, history: EpochLog[]) => void | Promise<void>;
} = {}): Promise<ShapesTraining> {
  const r = { ...SHAPES_RECIPE, ...(options.quick ? SHAPES_QUICK : {}) };
  seedEverything(options.seed ?? 0);
  const data = {
    train: generateShapes({ count: r.trainCount, seed: r.seeds.train }),
    validation: generateShapes({ count: r.validationCount, seed: r.seeds.validation }),
    test: generateShapes({ count: r.testCount, seed: r.seeds.test }),
  };
  const train = toTensors(data.train);
  const validation = toTensors(data.validation);
  const testTensors = toTensors(data.test);
  const model = buildVggClassifier({ inputShape: [32, 32, 3], numClasses: SHAPE_CLASSES.length, ...r.model, seed: options.seed ?? 0, name: 'shapes_classifier' });
  try {
    const result = await trainClassifier(model, train, {
      epochs: r.maxEpochs,
      batchSize: r.batchSize,
      learningRate: r.learningRate,
      schedule: r.schedule,
      validation,
      timeBudgetSeconds: options.timeBudgetSeconds ?? r.timeBudgetSeconds ?? undefined,
      seed: options.seed ?? 0,
      progress: options.progress,
      onEpochEnd: options.onEpochEnd,
    });
    const test = await evaluateClassifier(model, testTensors);
    return { model, result, test, data, testTensors, dispose: () => { tf.dispose([testTensors.x, testTensors.y]); model.dispose(); } };
  } finally {
    tf.dispose([train.x, train.y, validation.x, validation.y]);
  }
}
