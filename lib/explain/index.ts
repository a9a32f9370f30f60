/** Explaining a CNN (lesson 01): hooks, gradients, CAM family, occlusion, faithfulness measures. */
export * from './graph';
export * from './core';
export * from './saliency';
export * from './guidedBackprop';
export * from './cam';
export * from './gradCam';
export * from './occlusion';
export * from './faithfulness';
export * from './inspect';
export * from './receptiveField';
export * from './classVisualization';
export * from './embedding';
export * from './tsne';
export * from './mapBoxes';
