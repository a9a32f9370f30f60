/** Perceptual and style losses on a network's features (the feature network: lib/nn/styleFeatures.ts). */
export * from './styleLoss';
