/**
 * The course kit's library. Notebooks import it by name, from any folder (lib/notebook/kitModule.ts):
 *   import { runtime, display, datasets } from "cv-course-kit";
 * One namespace per folder (README.md, "Layout": architectures in nn, one folder per lecture topic,
 * shared geometry in ops, generic machinery in runtime/train/display); the TensorFlow.js namespace is `tf`.
 */
import * as tf from '@tensorflow/tfjs';
export { tf };
export * as runtime from './runtime';
export * as display from './display';
export * as nn from './nn';
export * as train from './train';
export * as notebook from './notebook';
export * as explain from './explain';
export * as landmarks from './landmarks';
export * as gan from './gan';
export * as perceptual from './perceptual';
export * as segmentation from './segmentation';
export * as ops from './ops';
export * as datasets from '../datasets';
export * as grading from './grader/testkit';
export * as grader from './grader';
