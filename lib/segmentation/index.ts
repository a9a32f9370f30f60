/**
 * Lesson 04, instance and panoptic segmentation: anchors and the box coder, mask targets and pasting,
 * the heads' losses, Mask R-CNN's two stages, YOLACT and YolactEdge, UPSNet's panoptic merge, the
 * metrics (COCO mask AP, PQ = SQ x RQ, mean IoU), identity tracking across frames, and the RoI
 * experiments. Architectures: lib/nn/segmentation.ts; RoIAlign and RoIPool: lib/ops.
 */
export * from './anchors';
export * from './masks';
export * from './losses';
export * from './metrics';
export * from './training';
export * from './maskRcnn';
export * from './yolact';
export * from './maskHeadExperiment';
export * from './panoptic';
export * from './tracking';
export * from './roiMisalignment';
export * from './evaluation';
export * from './recipes';
export * from './pictures';
