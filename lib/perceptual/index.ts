/**
 * Lesson 06, perceptual loss and style transfer: Gram matrices and the style loss, the feature
 * (content) loss, total variation and their combination on a frozen loss network (architectures:
 * lib/nn/lossNetwork.ts, lib/nn/transformNet.ts), optimising the image itself (Gatys et al.; Adam or
 * L-BFGS), the transformation network's training step (Johnson et al.), the patch-shuffle measurement,
 * and the recipes that train the lesson's models.
 */
export * from './styleLoss';
export * from './perceptualLoss';
export * from './imageOptimization';
export * from './transformStep';
export * from './patchShuffle';
export * from './featureProbe';
export * from './recipes';
