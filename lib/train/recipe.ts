/**
 * How a lesson gets a trained model: a recipe trains it for a fixed, seeded number of steps
 * (`cvkit train <name>`), saves its weights in datasets/weights/<name>/ (float16 where that costs
 * nothing measurable) with the metrics measured on the saved weights in recipe.json, and the notebook
 * loads them — or, with one switch, trains live with a progress bar (`loadOrTrain`).
 *
 * A recipe is a small object (below) defined next to its topic's code (lib/<topic>/recipes.ts) and
 * listed in lib/train/registry.ts; a test runs every recipe in quick mode (tests/recipes.test.ts).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { saveModel, loadModel } from '../runtime/modelIO';
import { projectPath, quickMode } from '../runtime/paths';
import { seedEverything } from '../runtime/random';

/** What a recipe is given. */
export interface RecipeRunOptions {
  /** The small version the tests run (a few seconds); never what is shipped. */
  quick: boolean;
  seed: number;
  /** Show progress bars (notebook, CLI). */
  progress: boolean;
  log: (line: string) => void;
}

/** Models by name; a recipe with one model calls it `model`. */
export type Models = Record<string, tf.LayersModel>;

export interface Recipe {
  /** The name `cvkit train <name>` takes, and the folder under datasets/weights/. */
  name: string;
  /** The lesson that uses it (a notebook path relative to the project). */
  lesson: string;
  /** One line: what it trains, on what data, for how many steps. */
  summary: string;
  /** Trains the models for a fixed number of seeded steps. */
  train(options: RecipeRunOptions): Promise<{ models: Models; steps: number }>;
  /** The metrics recorded with the weights (measured on held-out data; lower or higher is better per name). */
  evaluate(models: Models, options: { quick: boolean }): Promise<Record<string, number>>;
  /** Save these models as float32 (default: every model float16). */
  float32?: string[];
}

/** recipe.json: what the shipped weights are and how good they are. */
export interface RecipeInfo {
  name: string;
  lesson: string;
  summary: string;
  seed: number;
  steps: number;
  /** Seconds of training (not evaluation), on the machine below. */
  seconds: number;
  /** Measured on the saved (float16) weights. */
  metrics: Record<string, number>;
  /** Measured on the float32 weights before saving. */
  metricsFloat32: Record<string, number>;
  backend: string;
  machine: string;
  date: string;
  quick: boolean;
  /** Bytes on disk per model. */
  bytes: Record<string, number>;
}

/** Where a recipe's weights live (`model` directly in the folder, other models in subfolders). */
export function recipeDir(name: string, root = projectPath('datasets', 'weights')): string {
  return path.join(root, name);
}
const modelDir = (dir: string, key: string) => (key === 'model' ? dir : path.join(dir, key));

const dirBytes = (dir: string) => ['model.json', 'weights.bin'].reduce((s, f) => s + (fs.existsSync(path.join(dir, f)) ? fs.statSync(path.join(dir, f)).size : 0), 0);

/** Trains a recipe, measures it, saves it (float16 unless listed in `float32`), measures the saved weights again and writes recipe.json. */
export async function runRecipe(recipe: Recipe, options: Partial<RecipeRunOptions> & { out?: string } = {}): Promise<{ info: RecipeInfo; models: Models }> {
  const o: RecipeRunOptions = { quick: options.quick ?? false, seed: options.seed ?? 0, progress: options.progress ?? true, log: options.log ?? ((l) => console.log(l)) };
  seedEverything(o.seed);
  const started = Date.now();
  const { models, steps } = await recipe.train(o);
  const seconds = (Date.now() - started) / 1000;
  const metricsFloat32 = await recipe.evaluate(models, { quick: o.quick });
  const dir = options.out ?? recipeDir(recipe.name);
  fs.mkdirSync(dir, { recursive: true });
  const bytes: Record<string, number> = {};
  for (const [key, model] of Object.entries(models)) {
    await saveModel(model, modelDir(dir, key), { float16: !(recipe.float32 ?? []).includes(key) });
    bytes[key] = dirBytes(modelDir(dir, key));
  }
  const saved = await loadModels(dir, Object.keys(models));
  const metrics = await recipe.evaluate(saved, { quick: o.quick });
  for (const m of Object.values(saved)) m.dispose();
  const info: RecipeInfo = {
    name: recipe.name, lesson: recipe.lesson, summary: recipe.summary, seed: o.seed, steps, seconds: Math.round(seconds * 10) / 10,
    metrics, metricsFloat32, backend: tf.getBackend(), machine: `${os.cpus()[0]?.model ?? 'unknown cpu'}, ${os.cpus().length} cores`,
    date: new Date().toISOString(), quick: o.quick, bytes,
  };
  fs.writeFileSync(path.join(dir, 'recipe.json'), JSON.stringify(info, null, 1) + '\n');
  return { info, models };
}

async function loadModels(dir: string, keys: string[]): Promise<Models> {
  const out: Models = {};
  for (const key of keys) out[key] = await loadModel(modelDir(dir, key));
  return out;
}

/** The shipped weights and their recipe.json; throws, saying how to make them, when absent. */
export async function loadShipped(name: string, root?: string): Promise<{ models: Models; info: RecipeInfo }> {
  const dir = recipeDir(name, root);
  const infoPath = path.join(dir, 'recipe.json');
  if (!fs.existsSync(infoPath)) throw new Error(`no shipped weights for '${name}' in ${dir}: train them with \`npx cvkit train ${name}\``);
  const info = JSON.parse(fs.readFileSync(infoPath, 'utf8')) as RecipeInfo;
  return { models: await loadModels(dir, Object.keys(info.bytes)), info };
}

/** One line about shipped weights: steps, time, machine, metrics. */
export function describeRecipe(info: RecipeInfo): string {
  const metrics = Object.entries(info.metrics).map(([k, v]) => `${k} ${Math.abs(v) < 10 ? v.toFixed(3) : v.toFixed(1)}`).join(', ');
  return `${info.name}: ${info.steps} steps in ${info.seconds.toFixed(0)} s on ${info.backend} (${info.machine}); ${metrics}`;
}

/**
 * What a lesson calls: the shipped weights (default), or with `live: true` a training run of the recipe
 * with a progress bar (quick mode, CVKIT_QUICK=1, trains the small version). Prints what it did.
 */
export async function loadOrTrain(recipe: Recipe, options: { live?: boolean; seed?: number; log?: (line: string) => void } = {}): Promise<{ models: Models; info: RecipeInfo; trained: boolean }> {
  const log = options.log ?? ((l: string) => console.log(l));
  if (!options.live) {
    const shipped = await loadShipped(recipe.name);
    log(`loaded the shipped weights — ${describeRecipe(shipped.info)}`);
    return { ...shipped, trained: false };
  }
  const quick = quickMode();
  const seed = options.seed ?? 0;
  seedEverything(seed);
  const started = Date.now();
  const { models, steps } = await recipe.train({ quick, seed, progress: true, log });
  const seconds = (Date.now() - started) / 1000;
  const metrics = await recipe.evaluate(models, { quick });
  const info: RecipeInfo = {
    name: recipe.name, lesson: recipe.lesson, summary: recipe.summary, seed, steps, seconds, metrics, metricsFloat32: metrics,
    backend: tf.getBackend(), machine: `${os.cpus()[0]?.model ?? 'unknown cpu'}, ${os.cpus().length} cores`, date: new Date().toISOString(), quick, bytes: {},
  };
  log(`trained live${quick ? ' (quick version)' : ''} — ${describeRecipe(info)}`);
  return { models, info, trained: true };
}
