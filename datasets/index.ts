/** Data sets: real MNIST digits and the synthetic generators (deterministic by seed). */
export * from './shapes';
export * from './mnist';
export * from './tensors';
export * from './faces';
export * from './superResolution';
export * from './textures';
export * from './scenes';
export * from './silhouettes';
