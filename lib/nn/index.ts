/** Architectures: the layers of a model and nothing else (losses, steps and codecs live in each topic's folder). */
export * from './vgg';
export * from './hourglass';
export * from './unet';
export * from './patchGan';
export * from './styleFeatures';
export * from './instanceNorm';
export * from './reflectionPad';
export * from './lossNetwork';
export * from './transformNet';
export * from './segmentation';
export * from './resnetGenerator';
export * from './dcgan';
export * from './mlp';
