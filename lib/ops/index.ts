/**
 * Shared geometry (boxes, IoU, NMS, average precision, RoIAlign and RoIPool), in the kit's one pixel convention: pixel
 * centres at integer coordinates (stated and argued in lib/ops/boxes.ts).
 */
export * from './boxes';
export * from './nms';
export * from './averagePrecision';
export * from './roiAlign';
export * from './roiPool';
export * from './imageQuality';
