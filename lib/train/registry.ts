/**
 * Every recipe the kit ships weights for (`cvkit train --list`): one line per topic, each topic's
 * recipes defined beside its code. A lesson adds its recipes here.
 */
import type { Recipe } from './recipe';
import { SHAPES_CLASSIFIER, MNIST_CLASSIFIER, SHAPES_CLASSIFIER_FC } from './recipes';
import { LANDMARK_RECIPES } from '../landmarks/recipes';
import { PERCEPTUAL_RECIPES } from '../perceptual/recipes';
import { TWO_STAGE_RECIPE, YOLACT_RECIPE, MASK_HEADS_RECIPE, MASK_HEAD_SEEDS_RECIPE } from '../segmentation/recipes';
import { GAN_RECIPES } from '../gan/recipes';

export const RECIPES: Recipe[] = [
  SHAPES_CLASSIFIER,
  MNIST_CLASSIFIER,
  SHAPES_CLASSIFIER_FC,
  ...LANDMARK_RECIPES,
  ...PERCEPTUAL_RECIPES,
  TWO_STAGE_RECIPE, YOLACT_RECIPE, MASK_HEADS_RECIPE, MASK_HEAD_SEEDS_RECIPE,
  ...GAN_RECIPES,
];

/** The recipe called `name`; throws listing the known ones. */
export function findRecipe(name: string): Recipe {
  const r = RECIPES.find((x) => x.name === name);
  if (!r) throw new Error(`no recipe '${name}' (known: ${RECIPES.map((x) => x.name).join(', ')})`);
  return r;
}
