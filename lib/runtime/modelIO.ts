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

/** Saves a LayersModel to `dir` (model.json + weights.bin). */
export async function saveModel(model: tf.LayersModel, dir: string): Promise<void> {
  await model.save(fileIO(dir));
}

/** Loads a LayersModel saved by saveModel (or any tfjs layers-model directory). */
export async function loadModel(dir: string): Promise<tf.LayersModel> {
  return tf.loadLayersModel(fileIO(dir));
}
