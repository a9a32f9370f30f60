/** Lesson 03 (landmarks and keypoints): heatmap encoding, decoders, metrics. */
export * from './heatmap';
export * from './decoders';
export * from './metrics';
export * from './centernet';
export * from './predict';
