/**
 * Recipes for the classifiers the lessons explain: the data, model and optimiser settings in one
 * place, so a notebook, the `cvkit train-shapes` / `train-mnist` commands and the tests all train
 * the same thing, and the shipped weights (datasets/weights/) can be reproduced.
 *
 * Each recipe trains a fixed number of seeded epochs, so what it reaches (docs/design.md, "The shapes
 * classifier recipe") does not depend on how fast or busy the machine is; a time budget is an option.
 */
import * as tf from '@tensorflow/tfjs';
import { generateShapes, SHAPE_CLASSES } from '../../datasets/shapes';
import { loadMnist } from '../../datasets/mnist';
import { toTensors, ImageDataset } from '../../datasets/tensors';
import { buildVggClassifier, VggOptions } from '../nn/vgg';
import { trainClassifier, evaluateClassifier, ClassifierData, TrainResult, Evaluation, EpochLog } from './classifier';
import { seedEverything } from '../runtime/random';
import * as path from 'path';
import type { Recipe } from './recipe';

export interface RecipeData {
  train: ImageDataset;
  validation: ImageDataset;
  test: ImageDataset;
}

export interface ClassifierRecipe {
  name: string;
  inputShape: [number, number, number];
  classNames: string[];
  model: Omit<VggOptions, 'inputShape' | 'numClasses'>;
  batchSize: number;
  learningRate: number;
  schedule: 'cosine' | 'constant';
  /** Epochs of training (the lessons, the tests' full runs and the shipped weights). */
  epochs: number;
  /** With a time budget instead (RecipeOptions.timeBudgetSeconds): at most this many epochs. */
  maxEpochs: number;
  /** Where `cvkit train-*` saves the weights, relative to the project. */
  weightsDir: string;
  /** The data sets; `quick` gives the small versions the tests run. */
  data(quick: boolean): RecipeData;
  /** Epochs in quick mode (the tests), on the small data sets. */
  quick: { epochs: number };
}

export const SHAPES_RECIPE: ClassifierRecipe = {
  name: 'shapes_classifier',
  inputShape: [32, 32, 3],
  classNames: [...SHAPE_CLASSES],
  model: { filters: [12, 24, 48, 96], stemStride: 2, batchNorm: true },
  batchSize: 32,
  learningRate: 5e-3,
  schedule: 'cosine',
  epochs: 5,
  maxEpochs: 30,
  weightsDir: 'datasets/weights/shapes-classifier',
  // Generator seeds 1, 2, 3: train, validation and test never share an image. Quick mode (the recipe test:
  // trains, saves, loads back; lesson 00's quick test set) needs no accuracy: one epoch of 1,200 images.
  data: (quick) => ({
    train: generateShapes({ count: quick ? 1200 : 10000, seed: 1 }),
    validation: generateShapes({ count: quick ? 200 : 1000, seed: 2 }),
    test: generateShapes({ count: quick ? 300 : 2000, seed: 3 }),
  }),
  quick: { epochs: 1 },
};

/**
 * The shapes classifier with the classic head (flatten -> dense 128 -> logits) instead of GAP, trained
 * as SHAPES_RECIPE (data, epochs, batch, schedule, seed) except the learning rate: at the GAP recipe's
 * 5e-3 this head stayed at chance (20% after 5 epochs); Adam's usual 1e-3 trains it. What CAM's GAP head
 * costs, or buys (lesson 01, "CAM's cost").
 */
export const SHAPES_FC_RECIPE: ClassifierRecipe = {
  ...SHAPES_RECIPE,
  name: 'shapes_classifier_fc',
  model: { ...SHAPES_RECIPE.model, head: 'flatten' },
  learningRate: 1e-3,
  weightsDir: 'datasets/weights/shapes-classifier-fc',
};

export const MNIST_RECIPE: ClassifierRecipe = {
  name: 'mnist_classifier',
  inputShape: [28, 28, 1],
  classNames: Array.from({ length: 10 }, (_, d) => String(d)),
  model: { filters: [16, 32, 64], batchNorm: true },
  batchSize: 32,
  learningRate: 3e-3,
  schedule: 'cosine',
  epochs: 5,
  maxEpochs: 30,
  weightsDir: 'datasets/weights/mnist-classifier',
  data: (quick) => {
    const { train, test } = loadMnist({ seed: 0, testFraction: 0.2, limit: quick ? 1500 : undefined });
    // The last 500 training digits validate; the 20% test split is only for the final number.
    const cut = train.count - 500;
    const part = (d: typeof train, a: number, b: number): ImageDataset => ({ ...d, count: b - a, images: d.images.subarray(a * 784, b * 784), labels: d.labels.subarray(a, b) });
    return { train: part(train, 0, cut), validation: part(train, cut, train.count), test };
  },
  quick: { epochs: 1 },
};

export interface RecipeTraining {
  model: tf.LayersModel;
  result: TrainResult;
  test: Evaluation;
  data: RecipeData;
  /** The test set as tensors (disposed by dispose()). */
  testTensors: ClassifierData;
  dispose(): void;
}

export interface RecipeOptions {
  quick?: boolean;
  /** Train this many seconds (at most maxEpochs) instead of the recipe's epochs: the result then depends on the machine. */
  timeBudgetSeconds?: number;
  seed?: number;
  progress?: boolean;
  threads?: number;
  onEpochEnd?: (log: EpochLog, history: EpochLog[]) => void | Promise<void>;
}

/** Trains a classifier by its recipe and evaluates it on the recipe's test set. */
export async function trainFromRecipe(recipe: ClassifierRecipe, options: RecipeOptions = {}): Promise<RecipeTraining> {
  const quick = options.quick ?? false;
  const epochs = options.timeBudgetSeconds != null ? recipe.maxEpochs : quick ? recipe.quick.epochs : recipe.epochs;
  seedEverything(options.seed ?? 0);
  const data = recipe.data(quick);
  const train = toTensors(data.train);
  const validation = toTensors(data.validation);
  const testTensors = toTensors(data.test);
  const model = buildVggClassifier({ inputShape: recipe.inputShape, numClasses: recipe.classNames.length, ...recipe.model, seed: options.seed ?? 0, name: recipe.name });
  try {
    const result = await trainClassifier(model, train, {
      epochs,
      batchSize: recipe.batchSize,
      learningRate: recipe.learningRate,
      schedule: recipe.schedule,
      validation,
      timeBudgetSeconds: options.timeBudgetSeconds,
      seed: options.seed ?? 0,
      progress: options.progress,
      threads: options.threads,
      onEpochEnd: options.onEpochEnd,
    });
    const test = await evaluateClassifier(model, testTensors);
    model.setUserDefinedMetadata({ classNames: recipe.classNames, testAccuracy: test.accuracy, trainedSeconds: result.seconds, steps: result.steps, threads: result.threads, recipe: `lib/train/recipes.ts ${recipe.name}` });
    return { model, result, test, data, testTensors, dispose: () => { tf.dispose([testTensors.x, testTensors.y]); model.dispose(); } };
  } finally {
    tf.dispose([train.x, train.y, validation.x, validation.y]);
  }
}

/** The shapes classifier of lessons 00 and 01. */
export function trainShapesClassifier(options: RecipeOptions = {}): Promise<RecipeTraining> {
  return trainFromRecipe(SHAPES_RECIPE, options);
}

/** A classifier recipe as a generic one (lib/train/recipe.ts): `cvkit train shapes-classifier`. */
export function classifierRecipe(recipe: ClassifierRecipe, lesson: string): Recipe {
  const name = path.basename(recipe.weightsDir);
  return {
    name, lesson,
    summary: `${recipe.name}: VGG-style ${(recipe.model.filters ?? []).join("-")}${recipe.model.head === 'flatten' ? ' with a flatten-dense head' : ''} on ${recipe.inputShape.join('x')}, ${recipe.epochs} epochs of batch ${recipe.batchSize}, Adam ${recipe.learningRate} (${recipe.schedule})`,
    async train(o) {
      const run = await trainFromRecipe(recipe, { quick: o.quick, seed: o.seed, progress: o.progress });
      tf.dispose([run.testTensors.x, run.testTensors.y]);
      return { models: { model: run.model }, steps: run.result.steps };
    },
    async evaluate(models, o) {
      const test = toTensors(recipe.data(o.quick).test);
      try {
        return { testAccuracy: (await evaluateClassifier(models.model, test)).accuracy };
      } finally {
        tf.dispose([test.x, test.y]);
      }
    },
  };
}

export const SHAPES_CLASSIFIER = classifierRecipe(SHAPES_RECIPE, 'notebooks/01-cnn-visualization.ipynb');
export const MNIST_CLASSIFIER = classifierRecipe(MNIST_RECIPE, 'notebooks/02-autograd-and-hooks.ipynb');
export const SHAPES_CLASSIFIER_FC = classifierRecipe(SHAPES_FC_RECIPE, 'notebooks/01-cnn-visualization.ipynb');
