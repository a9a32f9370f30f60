/**
 * Lesson 03 (landmarks and keypoints): heatmap encoding, decoders, heatmap losses, PCK and NME,
 * landmark prediction; CenterNet's targets, decoding and loss.
 */
export * from './heatmap';
export * from './decoders';
export * from './heatmapLoss';
export * from './metrics';
export * from './centernet';
export * from './predict';
// Defined in lib/ops (shared geometry); lesson 03 scores CenterNet with them through this namespace.
export { iou, averagePrecision } from '../ops';
export type { Box, Detection } from '../ops';
