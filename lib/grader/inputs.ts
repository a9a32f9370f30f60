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
import { generateShapes } from '../../datasets/shapes';
import { boxToPixelEdges } from '../ops/boxes';
import { Point } from '../landmarks/heatmap';
import { TensorValue } from './values';

/**
 * What a case asks for: `{ faces: { count: 64 } }` (64x64 faces with 7 landmarks) or
 * `{ shapes: { count: 32 } }` (32x32 images of one shape each, with its box in pixel edges).
 */
export type InputSpec = { faces: { count: number } } | { shapes: { count: number } };

export interface FacesTruth { kind: 'faces'; landmarks: Point[][]; faceSize: number[] }
/** Instance masks [count, 32, 32] (1 inside the object), row-major. */
export interface ShapesTruth { kind: 'shapes'; masks: Uint8Array; size: number }
export type Truth = FacesTruth | ShapesTruth;

export interface GeneratedInput { input: { images: TensorValue; boxes?: TensorValue }; truth: Truth }

/** The seed a notebook uses outside the grader (public: its feedback is not the grade). */
export const PUBLIC_INPUT_SEED = 20261201;

const MAX_COUNT = 256;

/** Checks an input spec from a test definition; throws a message naming what is wrong. */
export function checkInputSpec(spec: unknown): InputSpec {
  const s = spec as Record<string, { count?: unknown }>;
  const kind = s && typeof s === 'object' ? Object.keys(s)[0] : undefined;
  if ((kind !== 'faces' && kind !== 'shapes') || Object.keys(s).length !== 1 || !s[kind] || typeof s[kind] !== 'object') {
    throw new Error(`unknown input ${JSON.stringify(spec)}; known: { faces: { count } }, { shapes: { count } }`);
  }
  const count = s[kind].count;
  if (!Number.isInteger(count) || (count as number) < 1 || (count as number) > MAX_COUNT) throw new Error(`input ${kind}.count must be an integer in 1..${MAX_COUNT}, got ${count}`);
  return (kind === 'faces' ? { faces: { count } } : { shapes: { count } }) as InputSpec;
}

/** The input (tensor values, NHWC in [0, 1]) and its truth, for `seed`. */
export function generateInput(spec: InputSpec, seed: number): GeneratedInput {
  const s = checkInputSpec(spec);
  if ('faces' in s) {
    const faces = generateFaces({ count: s.faces.count, seed });
    const images: TensorValue = { kind: 'tensor', dtype: 'float32', shape: [faces.count, faces.height, faces.width, 3], data: faces.images };
    return { input: { images }, truth: { kind: 'faces', landmarks: faces.landmarks, faceSize: faces.faceSize } };
  }
  const n = s.shapes.count;
  const shapes = generateShapes({ count: n, seed, size: 32 });
  const masks = new Uint8Array(n * 32 * 32);
  const boxes = new Float32Array(n * 4);
  shapes.instances.forEach((objects, i) => {
    masks.set(objects[0].mask, i * 32 * 32);
    boxes.set(boxToPixelEdges(objects[0].box), i * 4);
  });
  return {
    input: {
      images: { kind: 'tensor', dtype: 'float32', shape: [n, 32, 32, 3], data: shapes.images },
      boxes: { kind: 'tensor', dtype: 'float32', shape: [n, 4], data: boxes },
    },
    truth: { kind: 'shapes', masks, size: 32 },
  };
}
