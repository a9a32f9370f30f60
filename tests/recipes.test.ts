/**
 * Every recipe (lib/train/registry.ts) trains in quick mode, saves float16 weights with recipe.json,
 * and loads back to the same metrics within rounding; every recipe's shipped weights exist, come from a
 * full (not quick) run, fit in 4 MB per model and record the metrics the lessons quote.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { RECIPES } from '../lib/train/registry';
import { runRecipe, loadShipped, recipeDir } from '../lib/train/recipe';
import { initRuntime } from '../lib/runtime/backend';

// Quick runs are a few steps: measuring the training strategy first (two replica workers started per model,
// lib/train/strategy.ts, cached in out/cache/ that a fresh clone lacks) cost this file 80 s on a fresh clone,
// more than the training. The strategy and its measurement are tests/strategy.test.ts's subject; here one
// process trains (CVKIT_STRATEGY=threads, as a user can set it too).
const savedStrategy = process.env.CVKIT_STRATEGY;
beforeAll(async () => { process.env.CVKIT_STRATEGY = 'threads'; await initRuntime({ quiet: true }); });
afterAll(() => { if (savedStrategy === undefined) delete process.env.CVKIT_STRATEGY; else process.env.CVKIT_STRATEGY = savedStrategy; });

test('the registry names each recipe once, with a lesson that exists', () => {
  const names = RECIPES.map((r) => r.name);
  expect(new Set(names).size).toBe(names.length);
  for (const r of RECIPES) expect(fs.existsSync(path.join(__dirname, '..', r.lesson))).toBe(true);
});

test.each(RECIPES.map((r) => [r.name, r] as const))('%s trains in quick mode, saves float16 weights and loads back to the same metrics', async (_name, recipe) => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'cvkit-recipe-'));
  try {
    const { info, models } = await runRecipe(recipe, { quick: true, out: recipeDir(recipe.name, root), progress: false, log: () => {} });
    for (const m of Object.values(models)) m.dispose();
    expect(info.quick).toBe(true);
    expect(info.steps).toBeGreaterThan(0);
    for (const [k, v] of Object.entries(info.metrics)) {
      expect(Number.isFinite(v)).toBe(true);
      // float16 weights change each metric by less than a few percent of its value (or 0.02 absolute)
      expect(Math.abs(v - info.metricsFloat32[k])).toBeLessThanOrEqual(Math.max(0.02, 0.05 * Math.abs(info.metricsFloat32[k])));
    }
    const before = tf.memory().numTensors;
    const shipped = await loadShipped(recipe.name, root);
    expect(Object.keys(shipped.models).sort()).toEqual(Object.keys(info.bytes).sort());
    for (const m of Object.values(shipped.models)) m.dispose();
    expect(tf.memory().numTensors).toBe(before);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
}, 300000);

test.each(RECIPES.map((r) => [r.name, r] as const))('%s: shipped weights from a full run, each model <= 4 MB, with its metrics', (_name, recipe) => {
  const info = JSON.parse(fs.readFileSync(path.join(recipeDir(recipe.name), 'recipe.json'), 'utf8'));
  expect(info.quick).toBe(false);
  expect(Object.keys(info.metrics).length).toBeGreaterThan(0);
  for (const bytes of Object.values(info.bytes) as number[]) expect(bytes).toBeLessThanOrEqual(4 * 1024 * 1024);
});
