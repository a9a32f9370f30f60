/**
 * Saving and loading tfjs models and weights as files, without tfjs-node (whose `file://` handler
 * is absent on the wasm and cpu backends). Writes the standard layout that tf.loadLayersModel and
 * the tfjs converter read: `model.json` (topology + weightsManifest) beside `weights.bin`.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';

const MODEL_JSON = 'model.json';
const WEIGHTS_BIN = 'weights.bin';

function toArrayBuffer(buf: Buffer): ArrayBuffer {
  return buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer;
}

/** An IOHandler that saves to / loads from the directory `dir` (created on save). */
export function fileIO(dir: string): tf.io.IOHandler {
  return {
    async save(artifacts: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> {
      fs.mkdirSync(dir, { recursive: true });
      const weightData = artifacts.weightData == null
        ? new ArrayBuffer(0)
        : tf.io.CompositeArrayBuffer.join(artifacts.weightData);
      const modelJson: tf.io.ModelJSON = {
        modelTopology: artifacts.modelTopology as tf.io.ModelJSON['modelTopology'],
        weightsManifest: [{ paths: [WEIGHTS_BIN], weights: artifacts.weightSpecs ?? [] }],
        format: artifacts.format ?? 'layers-model',
        generatedBy: artifacts.generatedBy ?? `TensorFlow.js tfjs-layers v${tf.version_layers}`,
        convertedBy: artifacts.convertedBy ?? null,
      };
      if (artifacts.trainingConfig != null) modelJson.trainingConfig = artifacts.trainingConfig;
      if (artifacts.userDefinedMetadata != null) modelJson.userDefinedMetadata = artifacts.userDefinedMetadata;
      // Write to temporary names, then rename: a crash mid-save leaves the previous files intact.
      const tmpWeights = path.join(dir, `.${WEIGHTS_BIN}.tmp`);
      const tmpJson = path.join(dir, `.${MODEL_JSON}.tmp`);
      fs.writeFileSync(tmpWeights, Buffer.from(weightData));
      fs.writeFileSync(tmpJson, JSON.stringify(modelJson));
      fs.renameSync(tmpWeights, path.join(dir, WEIGHTS_BIN));
      fs.renameSync(tmpJson, path.join(dir, MODEL_JSON));
      return {
        modelArtifactsInfo: {
          dateSaved: new Date(),
          modelTopologyType: 'JSON',
          modelTopologyBytes: JSON.stringify(artifacts.modelTopology ?? null).length,
          weightSpecsBytes: JSON.stringify(artifacts.weightSpecs ?? []).length,
          weightDataBytes: weightData.byteLength,
        },
      };
    },
    async load(): Promise<tf.io.ModelArtifacts> {
      const jsonPath = path.join(dir, MODEL_JSON);
      if (!fs.existsSync(jsonPath)) throw new Error(`no ${MODEL_JSON} in ${dir}`);
      const modelJson = JSON.parse(fs.readFileSync(jsonPath, 'utf8')) as tf.io.ModelJSON;
      const specs: tf.io.WeightsManifestEntry[] = [];
      const buffers: ArrayBuffer[] = [];
      for (const group of modelJson.weightsManifest ?? []) {
        specs.push(...group.weights);
        for (const p of group.paths) buffers.push(toArrayBuffer(fs.readFileSync(path.join(dir, p))));
      }
      return tf.io.getModelArtifactsForJSONSync(modelJson, specs, tf.io.CompositeArrayBuffer.join(buffers));
    },
  };
}

/** IEEE 754 half precision bits of a float32 (round to nearest even; overflow to infinity). */
export function float16Bits(value: number): number {
  const f32 = new Float32Array([value]);
  const x = new Uint32Array(f32.buffer)[0];
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0); // inf / NaN
  let e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let half = mant >>> shift;
    const rest = mant & ((1 << shift) - 1), mid = 1 << (shift - 1);
    if (rest > mid || (rest === mid && (half & 1))) half++;
    return sign | half;
  }
  let half = (e << 10) | (mant >>> 13);
  const rest = mant & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && (half & 1))) half++;
  return sign | half;
}

/**
 * Re-encodes float32 weights as float16 (half the bytes), with the `quantization` entry tfjs's loader
 * reads to decode them (tf.io decodeWeights): loading gives float32 tensors again, rounded to half
 * precision (about 3 significant digits).
 */
export function quantizeFloat16(specs: tf.io.WeightsManifestEntry[], data: ArrayBuffer): { specs: tf.io.WeightsManifestEntry[]; data: ArrayBuffer } {
  const out: Uint8Array[] = [];
  const newSpecs: tf.io.WeightsManifestEntry[] = [];
  let offset = 0;
  for (const spec of specs) {
    const size = spec.shape.reduce((a, b) => a * b, 1);
    const bytes = (spec.dtype === 'float32' || spec.dtype === 'int32' ? 4 : spec.dtype === 'bool' ? 1 : 4) * size;
    if (spec.quantization || spec.dtype !== 'float32') {
      out.push(new Uint8Array(data.slice(offset, offset + bytes)));
      newSpecs.push(spec);
    } else {
      const values = new Float32Array(data.slice(offset, offset + bytes));
      const half = new Uint16Array(size);
      for (let i = 0; i < size; i++) half[i] = float16Bits(values[i]);
      out.push(new Uint8Array(half.buffer));
      newSpecs.push({ ...spec, quantization: { dtype: 'float16' } });
    }
    offset += bytes;
  }
  const total = out.reduce((s, a) => s + a.length, 0);
  const joined = new Uint8Array(total);
  let at = 0;
  for (const a of out) { joined.set(a, at); at += a.length; }
  return { specs: newSpecs, data: joined.buffer };
}

/** Saves a LayersModel to `dir` (model.json + weights.bin); `float16` halves the weights file (tfjs loads it back as float32). */
export async function saveModel(model: tf.LayersModel, dir: string, options: { float16?: boolean } = {}): Promise<void> {
  const io = fileIO(dir);
  if (!options.float16) { await model.save(io); return; }
  await model.save({
    save: (artifacts: tf.io.ModelArtifacts) => {
      const data = artifacts.weightData == null ? new ArrayBuffer(0) : tf.io.CompositeArrayBuffer.join(artifacts.weightData);
      const q = quantizeFloat16(artifacts.weightSpecs ?? [], data);
      return io.save!({ ...artifacts, weightSpecs: q.specs, weightData: q.data });
    },
  });
}

/** Loads a LayersModel saved by saveModel (or any tfjs layers-model directory). */
export async function loadModel(dir: string): Promise<tf.LayersModel> {
  return tf.loadLayersModel(fileIO(dir));
}
