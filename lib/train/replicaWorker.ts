/**
 * A data-parallel training replica (a worker thread; see lib/train/dataParallel.ts).
 * It holds a copy of the model and of the optimiser, computes gradients on its share of each batch,
 * and applies the averaged gradients it is sent, so every replica keeps identical weights.
 */
import { parentPort } from 'worker_threads';
import * as tf from '@tensorflow/tfjs';
import { initRuntime } from '../runtime/backend';
import { lossGradients, LossKind } from './losses';
import { flattenTensors, unflattenInto } from './flatten';

interface Init { type: 'init'; topology: object; weights: Float32Array[]; x: Float32Array; xShape: number[]; y: Int32Array | Float32Array; yShape: number[]; yDtype: 'int32' | 'float32'; loss: LossKind; learningRate: number; backend: string }
interface Step { type: 'step'; indices: Int32Array }
interface Apply { type: 'apply'; grads: Float32Array; learningRate: number }
type Message = Init | Step | Apply | { type: 'close' };

let model: tf.LayersModel | null = null;
let optimizer: tf.AdamOptimizer | null = null;
let data: Init | null = null;

async function handle(message: Message): Promise<void> {
  switch (message.type) {
    case 'init': {
      process.env.CVKIT_BACKEND = message.backend;
      // One XNNPACK thread per replica: the replicas are the parallelism.
      await initRuntime({ quiet: true, wasmThreads: 1 });
      model = await tf.models.modelFromJSON({ modelTopology: message.topology } as tf.io.ModelJSON);
      model.setWeights(message.weights.map((w, i) => tf.tensor(w, model!.weights[i].shape as number[])));
      optimizer = tf.train.adam(message.learningRate);
      data = message;
      parentPort!.postMessage({ type: 'ready' });
      break;
    }
    case 'step': {
      const m = model!;
      const d = data!;
      const per = d.xShape.slice(1).reduce((a, b) => a * b, 1);
      const perY = d.yShape.slice(1).reduce((a, b) => a * b, 1);
      const idx = message.indices;
      const xb = new Float32Array(idx.length * per);
      const yb = d.yDtype === 'int32' ? new Int32Array(idx.length * perY) : new Float32Array(idx.length * perY);
      idx.forEach((src, k) => {
        xb.set(d.x.subarray(src * per, (src + 1) * per), k * per);
        yb.set(d.y.subarray(src * perY, (src + 1) * perY), k * perY);
      });
      const vars = m.trainableWeights.map((w) => w.read() as tf.Variable);
      let correct = 0;
      const x = tf.tensor(xb, [idx.length, ...d.xShape.slice(1)]);
      const y = tf.tensor(yb, [idx.length, ...d.yShape.slice(1)], d.yDtype);
      const { loss: value, grads, predictions } = lossGradients(m, x, y, vars, d.loss);
      if (predictions) {
        const pred = predictions.dataSync();
        for (let k = 0; k < idx.length; k++) if (pred[k] === yb[k]) correct++;
      }
      const flat = flattenTensors(vars.map((v) => grads[v.name]));
      const loss = value.dataSync()[0];
      tf.dispose([x, y, value, ...(predictions ? [predictions] : []), ...Object.values(grads)]);
      parentPort!.postMessage({ type: 'grads', grads: flat, loss, correct, count: idx.length }, [flat.buffer]);
      break;
    }
    case 'apply': {
      const m = model!;
      const vars = m.trainableWeights.map((w) => w.read() as tf.Variable);
      (optimizer as unknown as { learningRate: number }).learningRate = message.learningRate;
      const named = unflattenInto(message.grads, vars);
      (optimizer as tf.Optimizer).applyGradients(named);
      tf.dispose(Object.values(named));
      break;
    }
    case 'close':
      optimizer?.dispose();
      model?.dispose();
      parentPort!.close();
      break;
  }
}

let queue = Promise.resolve();
parentPort!.on('message', (message: Message) => {
  queue = queue.then(() => handle(message)).catch((err) => {
    parentPort!.postMessage({ type: 'error', error: String((err as Error).stack ?? err) });
  });
});
