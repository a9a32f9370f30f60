/**
 * Running a tfjs LayersModel layer by layer: the TF.js answer to PyTorch's forward hooks.
 *
 * PyTorch lets you `register_forward_hook` on a module to see its output, and `register_hook` on a
 * tensor to see its gradient. tfjs has neither, but a LayersModel is a graph of layers whose
 * connections are public (`layer.inboundNodes`). `runLayers` walks that graph eagerly, so it can:
 *   - capture the output of any named layer (a forward hook),
 *   - replace a layer's output with a tensor of ours — then `tf.grad` of the score with respect to
 *     that tensor is the gradient at the layer (what `register_hook` / `retain_grad` give),
 *   - change how ReLUs behave on the way back (guided backpropagation, deconvnet).
 * Works for sequential and functional models, branches and merges included (lesson 02 explains it).
 */
import * as tf from '@tensorflow/tfjs';

type Layer = tf.layers.Layer;
interface SymbolicLike { id: number }
interface NodeLike { inputTensors: SymbolicLike[]; outputTensors: SymbolicLike[] }

export interface RunLayersOptions {
  /** Layers whose outputs to return, by name. */
  capture?: string[];
  /** Use these tensors as the outputs of the named layers (the layers themselves do not run). */
  replace?: Record<string, tf.Tensor>;
  /**
   * A ReLU to use instead of every ReLU in the model: ReLU layers, Activation('relu') layers and
   * layers with activation 'relu' (conv, dense). E.g. a custom-gradient ReLU for guided backprop.
   */
  relu?: (x: tf.Tensor) => tf.Tensor;
  /** Run batch norm and dropout in training mode (default false: inference). */
  training?: boolean;
}

export interface RunLayersResult {
  /** The model's outputs, in order. */
  outputs: tf.Tensor[];
  captured: Record<string, tf.Tensor>;
}

function nodesOf(layer: Layer): NodeLike[] {
  return (layer as unknown as { inboundNodes: NodeLike[] }).inboundNodes ?? [];
}

function isReluActivation(layer: Layer): boolean {
  const cls = layer.getClassName();
  if (cls === 'ReLU') {
    const c = layer.getConfig() as { maxValue?: number | null; threshold?: number; negativeSlope?: number };
    return c.maxValue == null && !c.threshold && !c.negativeSlope;
  }
  return cls === 'Activation' && (layer.getConfig() as { activation?: string }).activation === 'relu';
}

function hasFusedRelu(layer: Layer): boolean {
  return !isReluActivation(layer) && (layer.getConfig() as { activation?: string }).activation === 'relu';
}

const IDENTITY = { apply: (x: tf.Tensor) => x, getClassName: () => 'Linear', getConfig: () => ({}) };

/** Applies one layer to concrete tensors, with the ReLU swapped when asked. */
function applyLayer(layer: Layer, inputs: tf.Tensor | tf.Tensor[], options: RunLayersOptions): tf.Tensor | tf.Tensor[] {
  const kwargs = { training: options.training ?? false };
  if (options.relu && isReluActivation(layer)) return options.relu(inputs as tf.Tensor);
  if (options.relu && hasFusedRelu(layer)) {
    const holder = layer as unknown as { activation: unknown };
    const original = holder.activation;
    holder.activation = IDENTITY;
    try {
      return options.relu(layer.apply(inputs, kwargs) as tf.Tensor);
    } finally {
      holder.activation = original;
    }
  }
  return layer.apply(inputs, kwargs) as tf.Tensor | tf.Tensor[];
}

/** Names of the model's layers, in execution order (input layers excluded). */
export function layerNames(model: tf.LayersModel): string[] {
  return model.layers.filter((l) => l.getClassName() !== 'InputLayer').map((l) => l.name);
}

/** The layer named `name`, or an error listing the names there are. */
export function getLayer(model: tf.LayersModel, name: string): Layer {
  const layer = model.layers.find((l) => l.name === name);
  if (!layer) throw new Error(`model ${model.name} has no layer '${name}'; its layers are: ${layerNames(model).join(', ')}`);
  return layer;
}

/**
 * Runs `model` on `input` layer by layer. Tensors it creates belong to the caller's scope (wrap in
 * tf.tidy). Only the layers the outputs need are run: a replaced layer's ancestors are skipped.
 */
export function runLayers(model: tf.LayersModel, input: tf.Tensor | tf.Tensor[], options: RunLayersOptions = {}): RunLayersResult {
  const values = new Map<number, tf.Tensor>();
  const inputs = Array.isArray(input) ? input : [input];
  const modelInputs = model.inputs as unknown as SymbolicLike[];
  if (inputs.length !== modelInputs.length) throw new Error(`model ${model.name} takes ${modelInputs.length} input(s), got ${inputs.length}`);
  modelInputs.forEach((s, i) => values.set(s.id, inputs[i]));
  const replace = options.replace ?? {};
  for (const name of [...Object.keys(replace), ...(options.capture ?? [])]) getLayer(model, name);

  // Which node produces each symbolic tensor, and which layers the requested outputs need.
  const producer = new Map<number, { layer: Layer; node: NodeLike }>();
  for (const layer of model.layers) {
    for (const node of nodesOf(layer)) for (const out of node.outputTensors) if (!producer.has(out.id)) producer.set(out.id, { layer, node });
  }
  const needed = new Set<NodeLike>();
  const wanted: SymbolicLike[] = [...(model.outputs as unknown as SymbolicLike[])];
  for (const name of options.capture ?? []) {
    const layer = getLayer(model, name);
    const node = nodesOf(layer).find((n) => n.outputTensors.some((t) => producer.get(t.id)?.layer === layer));
    if (node) wanted.push(...node.outputTensors);
  }
  const stack = [...wanted];
  while (stack.length) {
    const t = stack.pop()!;
    if (values.has(t.id)) continue;
    const p = producer.get(t.id);
    if (!p || needed.has(p.node)) continue;
    needed.add(p.node);
    if (!(p.layer.name in replace)) stack.push(...p.node.inputTensors);
  }

  const captured: Record<string, tf.Tensor> = {};
  for (const layer of model.layers) {
    for (const node of nodesOf(layer)) {
      if (!needed.has(node) || node.outputTensors.every((t) => values.has(t.id))) continue;
      let out: tf.Tensor | tf.Tensor[];
      if (layer.name in replace) {
        out = replace[layer.name];
      } else {
        const args = node.inputTensors.map((t) => {
          const v = values.get(t.id);
          if (!v) throw new Error(`runLayers: input of layer ${layer.name} is not computed (is the model a DAG in layer order?)`);
          return v;
        });
        out = applyLayer(layer, args.length === 1 ? args[0] : args, options);
      }
      const outs = Array.isArray(out) ? out : [out];
      node.outputTensors.forEach((t, i) => values.set(t.id, outs[i]));
      if ((options.capture ?? []).includes(layer.name)) captured[layer.name] = outs[0];
    }
  }
  const outputs = (model.outputs as unknown as SymbolicLike[]).map((s) => {
    const v = values.get(s.id);
    if (!v) throw new Error(`runLayers: model output ${s.id} was not computed`);
    return v;
  });
  return { outputs, captured };
}
