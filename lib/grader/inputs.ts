/**
 * Inputs the grader chooses for a test: drawn from a kit generator with a seed the kernel never
 * sees, so the only way for a notebook to produce the right answer is to compute it. The truth that
 * goes with them stays in the grader's process, where a judge (lib/grader/judges.ts) scores the
 * values the kernel returned.
 *
 * In a student's own notebook the same case runs on the same generator with a fixed public seed, so
 * the feedback there is computed the way the grade is.
 */
import { generateFaces } from '../../datasets/faces';
import { Point } from '../landmarks/heatmap';
import { TensorValue } from './values';

/** What a case asks for: `{ faces: { count: 64 } }`. */
export type InputSpec = { faces: { count: number } };

export interface FacesTruth { kind: 'faces'; landmarks: Point[][]; faceSize: number[] }
export type Truth = FacesTruth;

export interface GeneratedInput { input: { images: TensorValue }; truth: Truth }

/** The seed a notebook uses outside the grader (public: its feedback is not the grade). */
export const PUBLIC_INPUT_SEED = 20261201;

const MAX_COUNT = 256;

/** Checks an input spec from a test definition; throws a message naming what is wrong. */
export function checkInputSpec(spec: unknown): InputSpec {
  const s = spec as InputSpec;
  if (!s || typeof s !== 'object' || !s.faces || typeof s.faces !== 'object') throw new Error(`unknown input ${JSON.stringify(spec)}; known: { faces: { count } }`);
  const count = s.faces.count;
  if (!Number.isInteger(count) || count < 1 || count > MAX_COUNT) throw new Error(`input faces.count must be an integer in 1..${MAX_COUNT}, got ${count}`);
  return { faces: { count } };
}

/** The input (images as a tensor value, [N, 64, 64, 3] in [0, 1]) and its truth, for `seed`. */
export function generateInput(spec: InputSpec, seed: number): GeneratedInput {
  const s = checkInputSpec(spec);
  const faces = generateFaces({ count: s.faces.count, seed });
  const images: TensorValue = { kind: 'tensor', dtype: 'float32', shape: [faces.count, faces.height, faces.width, 3], data: faces.images };
  return { input: { images }, truth: { kind: 'faces', landmarks: faces.landmarks, faceSize: faces.faceSize } };
}
