/**
 * Lesson 05's library (lib/gan, its networks in lib/nn, datasets/silhouettes.ts): the reference values
 * and checks of docs/reference.md, "Conditional generative models" — PatchGAN output shape and receptive
 * field, identity generators give cycle and identity loss 0, the image pool's size and history rate, LSGAN's D loss at D = 0.5,
 * BCE and LSGAN against hand values — plus: one step updates only the networks it should, instance
 * norm against the op-by-op formula and across backends, no tensor left behind over 100 steps.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { useBackend, onBackend, relativeError } from './helpers';
import { bceWithLogits, leastSquares, discriminatorLoss } from '../lib/gan/adversarialLoss';
import { ganStep, generatorStep, discriminatorStep, trainableVariables, GanModel } from '../lib/gan/ganModel';
import { ImagePool } from '../lib/gan/imagePool';
import { createCgan } from '../lib/gan/cgan';
import { createPix2Pix } from '../lib/gan/pix2pix';
import { createCycleGan, cycleTerms } from '../lib/gan/cycleGan';
import { createTemplateModel } from '../lib/gan/template';
import { trainGan, batchSampler } from '../lib/gan/training';
import { maskIoU, outputDiversity, meanAndSpread } from '../lib/gan/metrics';
import { trainBlurToy } from '../lib/gan/regressionBlur';
import { probeReceptiveField } from '../lib/gan/receptiveFieldProbe';
import { adversarialPerturbation } from '../lib/gan/adversarialPerturbation';
import { buildPatchGan, patchGanReceptiveField } from '../lib/nn/patchGan';
import { buildUNetGenerator } from '../lib/nn/unet';
import { buildResnetGenerator } from '../lib/nn/resnetGenerator';
import { buildDcganGenerator, buildDcganDiscriminator } from '../lib/nn/dcgan';
import { buildSuperResolutionNet } from '../lib/nn/transformNet';
import { instanceNorm, instanceNormalize, instanceNormOps } from '../lib/nn/instanceNorm';
import { buildVggClassifier } from '../lib/nn/vgg';
import { saveModel, loadModel } from '../lib/runtime/modelIO';
import { silhouetteScenes, sceneObjectMask, silhouetteMask } from '../datasets/silhouettes';

const values = (t: tf.Tensor) => Array.from(t.dataSync());
const scalar = (t: tf.Tensor) => { const v = t.dataSync()[0]; t.dispose(); return v; };

beforeAll(async () => { await useBackend('wasm'); });

describe('losses against hand values', () => {
  test('BCE with logits: log(1 + e^-s) against real, log(1 + e^s) against fake, averaged', () => {
    const logits = tf.tensor1d([0, 2, -1]);
    const real = [0, 2, -1].map((s) => Math.log(1 + Math.exp(-s)));
    const fake = [0, 2, -1].map((s) => Math.log(1 + Math.exp(s)));
    expect(scalar(bceWithLogits(logits, 1))).toBeCloseTo(real.reduce((a, b) => a + b) / 3, 5);
    expect(scalar(bceWithLogits(logits, 0))).toBeCloseTo(fake.reduce((a, b) => a + b) / 3, 5);
    expect(scalar(bceWithLogits(tf.scalar(0), 1))).toBeCloseTo(Math.LN2, 6);
    logits.dispose();
  });

  test('LSGAN: mean (score - label)^2; the discriminator loss with every score 0.5 is 0.25', () => {
    const s = tf.tensor1d([0.2, 1.5]);
    expect(scalar(leastSquares(s, 1))).toBeCloseTo((0.64 + 0.25) / 2, 6);
    expect(scalar(leastSquares(s, 0))).toBeCloseTo((0.04 + 2.25) / 2, 6);
    const half = tf.fill([2, 4, 4, 1], 0.5);
    expect(scalar(discriminatorLoss('lsgan', half, half))).toBeCloseTo(0.25, 6);
    // and BCE's halved loss at logit 0 (D = 0.5) is ln 2
    const zero = tf.zeros([2, 1]);
    expect(scalar(discriminatorLoss('bce', zero, zero))).toBeCloseTo(Math.LN2, 6);
    tf.dispose([s, half, zero]);
  });
});

describe('CycleGAN pieces', () => {
  test('identity generators give cycle and identity loss 0; a generator that changes images does not', () => {
    const x = tf.randomUniform([2, 8, 8, 3], -1, 1, 'float32', 1);
    const y = tf.randomUniform([2, 8, 8, 3], -1, 1, 'float32', 2);
    const same = (t: tf.Tensor) => t;
    const terms = cycleTerms(same, same, x, y);
    expect(Object.keys(terms).sort()).toEqual(['cycleX', 'cycleY', 'identityX', 'identityY']);
    for (const t of Object.values(terms)) expect(scalar(t)).toBe(0);
    const shift = (t: tf.Tensor) => tf.add(t, 0.1);
    const moved = cycleTerms(shift, same, x, y, { lambdaCycle: 10, lambdaIdentity: 0.5 });
    expect(scalar(moved.cycleX)).toBeCloseTo(10 * 0.1, 4);
    expect(scalar(moved.identityY)).toBeCloseTo(5 * 0.1, 4);
    expect(scalar(moved.identityX)).toBe(0);
    // cycle weight 0: no cycle and no identity term at all
    expect(Object.keys(cycleTerms(shift, same, x, y, { lambdaCycle: 0 }))).toEqual([]);
    tf.dispose([x, y]);
  });

  test('the image pool never holds more than its capacity and, once full, returns history about half the time', () => {
    const start = tf.memory().numTensors;
    const pool = new ImagePool(50, 3);
    const seen = new Set<number>();
    let historyAfterFull = 0, afterFull = 0;
    for (let i = 0; i < 600; i++) {
      const batch = tf.fill([2, 2, 2, 1], i) as tf.Tensor4D;
      const wasFull = pool.size === 50;
      const before = pool.historyReturned;
      const out = pool.query(batch);
      const ids = tf.tidy(() => values(out.reshape([2, 4]).max(1)));
      for (const v of ids) {
        expect(v === i || seen.has(v)).toBe(true);   // a returned image is the new one or one shown before
        expect(v).toBeLessThanOrEqual(i);
      }
      seen.add(i);
      expect(pool.size).toBeLessThanOrEqual(50);
      if (wasFull) { afterFull += 2; historyAfterFull += pool.historyReturned - before; }
      tf.dispose([batch, out]);
    }
    expect(pool.size).toBe(50);
    expect(historyAfterFull / afterFull).toBeGreaterThan(0.45);
    expect(historyAfterFull / afterFull).toBeLessThan(0.55);
    // the pool holds 50 images (and the history images its last query returned): dispose frees them all
    expect(tf.memory().numTensors).toBeGreaterThanOrEqual(start + 50);
    pool.dispose();
    expect(tf.memory().numTensors).toBe(start);
    // capacity 0: the query comes back unchanged
    const empty = new ImagePool(0);
    const b = tf.fill([1, 2, 2, 1], 7) as tf.Tensor4D;
    const out = empty.query(b);
    expect(values(out)).toEqual(values(b));
    tf.dispose([b, out]);
  });
});

describe('PatchGAN', () => {
  test('output shape: one logit per patch ([N, H/2^layers, W/2^layers, 1]); receptive field 70 / 34 / 16 for 3 / 2 / 1 layers', () => {
    expect([3, 2, 1].map((l) => patchGanReceptiveField(l))).toEqual([70, 34, 16]);
    const D = buildPatchGan({ inputShape: [32, 32, 6], filters: 4, layers: 2, seed: 1 });
    expect(D.outputs[0].shape).toEqual([null, 8, 8, 1]);
    const D3 = buildPatchGan({ inputShape: [256, 256, 6], filters: 2, layers: 3, seed: 1 });
    expect(D3.outputs[0].shape).toEqual([null, 32, 32, 1]);   // the reference's 30x30 with padding 1; 'same' padding keeps 32
    D.dispose();
    D3.dispose();
  });

  test.each([1, 2, 3])('the receptive field computed for %i layers equals the one probed with one-pixel inputs', (layers) => {
    const D = buildPatchGan({ inputShape: [96, 96, 1], filters: 2, layers, norm: 'none', seed: 7 });
    const before = D.getWeights().map((w) => values(w));
    expect(probeReceptiveField(D)).toBe(patchGanReceptiveField(layers));
    // the probe puts the weights back
    D.getWeights().forEach((w, i) => expect(values(w)).toEqual(before[i]));
    D.dispose();
  }, 60_000);

  test('the probe is not fooled by a field that does not fit: a 3-layer PatchGAN on 48x48 sees at most the image', () => {
    const D = buildPatchGan({ inputShape: [48, 48, 1], filters: 2, layers: 3, norm: 'batch', seed: 7 });
    const seen = probeReceptiveField(D);
    expect(seen).toBeLessThanOrEqual(48);
    expect(seen).toBeGreaterThan(34);
    D.dispose();
  });
});

describe('instance normalisation', () => {
  const reference = (x: tf.Tensor4D) => {
    const { mean, variance } = tf.moments(x, [1, 2], true);
    return tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, 1e-5)));
  };

  test('equals (x - mean) / sqrt(var + eps) per image and channel, with the same gradient as the op-by-op graph', () => {
    const x = tf.randomNormal([2, 5, 4, 3], 1, 2, 'float32', 3) as tf.Tensor4D;
    const w = tf.randomNormal([2, 5, 4, 3], 0, 1, 'float32', 4);
    const ours = instanceNormalize(x);
    expect(relativeError(values(ours), values(reference(x)))).toBeLessThan(1e-5);
    // the tf-ops path (other backends) and the affine form: gamma * xhat + beta per channel
    const ops = instanceNormOps(x);
    expect(relativeError(values(ops), values(reference(x)))).toBeLessThan(1e-5);
    const gamma = tf.tensor1d([2, -1, 0.5]), beta = tf.tensor1d([1, 0, -3]);
    const affine = instanceNormalize(x, gamma, beta);
    const affineRef = tf.add(tf.mul(reference(x), gamma), beta);
    expect(relativeError(values(affine), values(affineRef))).toBeLessThan(1e-5);
    tf.dispose([ops, gamma, beta, affine, affineRef]);
    // every image-channel slice has mean 0 and variance 1
    const m = tf.moments(ours, [1, 2]);
    for (const v of values(m.mean)) expect(Math.abs(v)).toBeLessThan(1e-5);
    for (const v of values(m.variance)) expect(v).toBeCloseTo(1, 3);
    const g1 = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(instanceNormalize(t as tf.Tensor4D), w)))(x);
    const g2 = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(reference(t as tf.Tensor4D), w)))(x);
    expect(relativeError(values(g1), values(g2))).toBeLessThan(1e-4);
    tf.dispose([x, w, ours, m.mean, m.variance, g1, g2]);
  });

  test('the layer gives the same values and gradients on wasm and cpu, leaks nothing, and saves and loads', async () => {
    const run = () => {
      const x = tf.randomNormal([2, 6, 6, 4], 0.5, 1.5, 'float32', 9) as tf.Tensor4D;
      const w = tf.randomNormal([2, 6, 6, 4], 0, 1, 'float32', 10);
      const layer = instanceNorm({ affine: true });
      const y = layer.apply(x) as tf.Tensor;
      const dx = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(layer.apply(t) as tf.Tensor, w)))(x);
      return [y, dx];
    };
    const cpu = await onBackend('cpu', run);
    const wasm = await onBackend('wasm', run);
    cpu.forEach((c, i) => expect(relativeError(wasm[i], c)).toBeLessThan(1e-4));
    const before = tf.memory().numTensors;
    const x = tf.randomNormal([1, 4, 4, 2]) as tf.Tensor4D;
    tf.grad((t: tf.Tensor) => tf.sum(instanceNormalize(t as tf.Tensor4D)))(x).dispose();
    x.dispose();
    expect(tf.memory().numTensors).toBe(before);
    const G = buildResnetGenerator({ inputShape: [8, 8, 3], filters: 4, blocks: 1, seed: 2 });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cvkit-in-'));
    try {
      await saveModel(G, dir);
      const back = await loadModel(dir);
      const input = tf.randomUniform([1, 8, 8, 3], -1, 1, 'float32', 5);
      const a = G.predict(input) as tf.Tensor, b = back.predict(input) as tf.Tensor;
      expect(relativeError(values(a), values(b))).toBeLessThan(1e-6);
      tf.dispose([input, a, b]);
      back.dispose();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
      G.dispose();
    }
  });
});

describe('architectures', () => {
  test('shapes: DCGAN 28x28x1 from noise (+ label), ResNet generator keeps the size, SR x4, U-Net', () => {
    const G = buildDcganGenerator({ latentSize: 8, filters: 4, seed: 1 });
    const D = buildDcganDiscriminator({ filters: 4, seed: 2 });
    expect(G.outputs[0].shape).toEqual([null, 28, 28, 1]);
    expect(G.inputs.map((i) => i.shape)).toEqual([[null, 8], [null, 10]]);
    expect(D.outputs[0].shape).toEqual([null, 1]);
    const U = buildDcganGenerator({ latentSize: 8, classes: 0, filters: 4 });
    expect(U.inputs.length).toBe(1);
    const R = buildResnetGenerator({ inputShape: [32, 32, 3], outChannels: 1, filters: 4, blocks: 2 });
    expect(R.outputs[0].shape).toEqual([null, 32, 32, 1]);
    const S = buildSuperResolutionNet({ filters: 8, residualBlocks: 1, seed: 3 });
    expect(S.outputs[0].shape).toEqual([null, 64, 64, 3]);
    [G, D, U, R, S].forEach((m) => m.dispose());
  });
});

/** Snapshots of every trainable weight of some networks. */
const snapshot = (nets: Record<string, tf.LayersModel>) => trainableVariables(nets).map((v) => values(v));
const changed = (before: number[][], nets: Record<string, tf.LayersModel>) => trainableVariables(nets).map((v, i) => relativeError(values(v), before[i]) > 0);

function tinyModels(): [string, () => { model: GanModel; batch: () => Record<string, tf.Tensor> }][] {
  const tinyCgan = (auxiliaryClassifier: boolean) => () => ({
    model: createCgan(buildDcganGenerator({ latentSize: 4, filters: 2, seed: 1 }), buildDcganDiscriminator({ filters: 2, seed: 2, auxiliaryClassifier })),
    batch: () => tf.tidy(() => ({ real: tf.randomUniform([3, 28, 28, 1], -1, 1), label: tf.oneHot(tf.tensor1d([1, 4, 7], 'int32'), 10).toFloat(), noise: tf.randomNormal([3, 4]) })),
  });
  return [
    ['cGAN', tinyCgan(false)],
    ['cGAN with an auxiliary classifier', tinyCgan(true)],
    ['pix2pix', () => {
      const model = createPix2Pix(buildUNetGenerator({ inputShape: [16, 16, 3], filters: 2, seed: 1 }), buildPatchGan({ inputShape: [16, 16, 6], filters: 2, layers: 2, seed: 2 }));
      return { model, batch: () => ({ source: tf.randomUniform([2, 16, 16, 3], -1, 1), target: tf.randomUniform([2, 16, 16, 3], -1, 1) }) };
    }],
    ['CycleGAN', () => {
      const g = (s: number) => buildResnetGenerator({ inputShape: [8, 8, 3], filters: 2, blocks: 1, seed: s });
      const d = (s: number) => buildPatchGan({ inputShape: [8, 8, 3], filters: 2, layers: 1, norm: 'instance', seed: s });
      const model = createCycleGan({ G: g(1), F: g(20), DX: d(40), DY: d(60) }, { poolSize: 3 });
      return { model, batch: () => ({ x: tf.randomUniform([2, 8, 8, 3], -1, 1), y: tf.randomUniform([2, 8, 8, 3], -1, 1) }) };
    }],
    ['template', () => {
      const model = createTemplateModel(buildUNetGenerator({ inputShape: [8, 8, 3], filters: 2, seed: 1 }), buildPatchGan({ inputShape: [8, 8, 3], filters: 2, layers: 1, seed: 2 }));
      return { model, batch: () => ({ source: tf.randomUniform([2, 8, 8, 3], -1, 1), target: tf.randomUniform([2, 8, 8, 3], -1, 1) }) };
    }],
  ];
}

describe('the one step shape', () => {
  test('AC-GAN: the auxiliary terms are the cross-entropy of the class logits with the asked labels (on the fakes for G, the real images for D), times their weight', () => {
    const G = buildDcganGenerator({ latentSize: 4, filters: 2, seed: 1 });
    const D = buildDcganDiscriminator({ filters: 2, seed: 2, auxiliaryClassifier: true });
    expect(D.outputs.map((o) => o.shape)).toEqual([[null, 1], [null, 10]]);
    expect(() => buildDcganDiscriminator({ classes: 0, auxiliaryClassifier: true })).toThrow(/needs classes/);
    const model = createCgan(G, D, { auxiliaryWeight: 0.5 });
    const b = tf.tidy(() => ({ real: tf.randomUniform([4, 28, 28, 1], -1, 1, 'float32', 3), label: tf.oneHot(tf.tensor1d([0, 3, 3, 9], 'int32'), 10).toFloat(), noise: tf.randomNormal([4, 4], 0, 1, 'float32', 4) }));
    const before = tf.memory().numTensors;
    tf.tidy(() => {
      const g = model.generatorLoss(b);
      const byHand = (image: tf.Tensor) => 0.5 * tf.losses.softmaxCrossEntropy(b.label, (D.apply([image, b.label], { training: true }) as tf.Tensor[])[1]).dataSync()[0];
      expect(g.terms.gAux.dataSync()[0]).toBeCloseTo(byHand(g.fakes.fake), 5);
      expect(g.total.dataSync()[0]).toBeCloseTo(g.terms.gAdv.dataSync()[0] + g.terms.gAux.dataSync()[0], 5);
      const d = model.discriminatorLoss(b, g.fakes)!;
      expect(d.terms.dAux.dataSync()[0]).toBeCloseTo(byHand(b.real), 5);
      const logit = (image: tf.Tensor) => (D.apply([image, b.label], { training: true }) as tf.Tensor[])[0];
      expect(d.total.dataSync()[0]).toBeCloseTo(discriminatorLoss('bce', logit(b.real), logit(g.fakes.fake)).dataSync()[0] + d.terms.dAux.dataSync()[0], 5);
    });
    expect(tf.memory().numTensors).toBe(before);
    expect(() => createCgan(buildDcganGenerator({ latentSize: 4, classes: 0, filters: 2 }), D)).toThrow(/both take the label/);
    tf.dispose(Object.values(b));
    G.dispose(); D.dispose(); model.gOptimizer.dispose(); model.dOptimizer?.dispose();
  });

  test.each(tinyModels())('%s: the generator step leaves every discriminator weight unchanged, the discriminator step every generator weight', (_name, make) => {
    const { model, batch } = make();
    const b = batch();
    const g0 = snapshot(model.generators), d0 = snapshot(model.discriminators);
    const { losses, fakes } = generatorStep(model, b);
    expect(changed(d0, model.discriminators).some((c) => c)).toBe(false);
    expect(changed(g0, model.generators).filter((c) => c).length).toBeGreaterThan(0.5 * g0.length);
    const g1 = snapshot(model.generators);
    const dLosses = discriminatorStep(model, b, fakes);
    expect(changed(g1, model.generators).some((c) => c)).toBe(false);
    expect(changed(d0, model.discriminators).filter((c) => c).length).toBeGreaterThan(0.5 * d0.length);
    expect(Object.keys(dLosses)).toContain('d');
    tf.dispose([...Object.values(losses), ...Object.values(fakes), ...Object.values(dLosses), ...Object.values(b)]);
    for (const m of [...Object.values(model.generators), ...Object.values(model.discriminators)]) m.dispose();
    model.gOptimizer.dispose(); model.dOptimizer?.dispose(); model.disposeState?.();
  }, 60_000);

  test.each(tinyModels())('%s: 100 training steps leave no tensor behind', async (_name, make) => {
    const { model, batch } = make();
    const first = batch();
    ganStep(model, first);   // the first step creates the optimisers' moment variables
    tf.dispose(Object.values(first));
    const pools = (model as Partial<ReturnType<typeof createCycleGan>>).pools;
    const pooled = () => (pools ? pools.x.size + pools.y.size : 0);   // CycleGAN's pools fill up to their capacity (3 here), then stay
    const before = tf.memory().numTensors - pooled();
    const run = await trainGan(model, { steps: 100, batch, progress: false });
    expect(run.history.length).toBe(4);
    for (const entry of run.history) for (const v of Object.values(entry.losses)) expect(Number.isFinite(v)).toBe(true);
    expect(tf.memory().numTensors - pooled()).toBe(before);
    if (pools) expect(pools.x.size).toBe(3);
    for (const m of [...Object.values(model.generators), ...Object.values(model.discriminators)]) m.dispose();
    model.gOptimizer.dispose(); model.dOptimizer?.dispose(); model.disposeState?.();
  }, 120_000);

  test('a regression model (no discriminator) trains with the same step and reports only its reconstruction term', () => {
    const model = createPix2Pix(buildUNetGenerator({ inputShape: [8, 8, 3], filters: 2, seed: 1 }), null, { reconstruction: 'l2' });
    const source = tf.randomUniform([2, 8, 8, 3], -1, 1, 'float32', 1), target = tf.randomUniform([2, 8, 8, 3], -1, 1, 'float32', 2);
    const r = ganStep(model, { source, target });
    expect(Object.keys(r).sort()).toEqual(['g', 'l2']);
    expect(r.g).toBeCloseTo(r.l2, 6);
    tf.dispose([source, target]);
    model.generators.generator.dispose();
    model.gOptimizer.dispose();
  });

  test('batchSampler: paired tensors get the same rows, unpaired ones independent rows; seeded', () => {
    const a = tf.range(0, 10).reshape([10, 1]), b = tf.range(100, 110).reshape([10, 1]);
    const paired = batchSampler({ a, b }, 4, 1);
    const unpaired = batchSampler({ a, b }, 4, 1, { unpaired: true });
    let differ = false;
    for (let s = 0; s < 5; s++) {
      const p = paired(s);
      expect(values(p.b).map((v) => v - 100)).toEqual(values(p.a));
      const u = unpaired(s);
      if (values(u.b).some((v, i) => v - 100 !== values(u.a)[i])) differ = true;
      tf.dispose([...Object.values(p), ...Object.values(u)]);
    }
    expect(differ).toBe(true);
    const again = batchSampler({ a, b }, 4, 1)(0);
    const first = batchSampler({ a, b }, 4, 1)(0);
    expect(values(again.a)).toEqual(values(first.a));
    tf.dispose([a, b, ...Object.values(again), ...Object.values(first)]);
  });
});

describe('why regression blurs (the toy)', () => {
  test('with the target black 30% of the time: L2 outputs the mean (0.7), L1 the median (white), the GAN both black and white', async () => {
    // 600 steps: at 300 the grey / white fractions were 0.90-0.95 over seeds 0-2 and one CI run measured 0.876;
    // at 600 they are 0.96 (L2 grey) and 0.98-0.99 (L1 white) on each seed.
    const l2 = await trainBlurToy('l2', { pBlack: 0.3, steps: 600 });
    const l1 = await trainBlurToy('l1', { pBlack: 0.3, steps: 600 });
    expect(l2.mean).toBeCloseTo(0.7, 1);
    expect(l2.grey).toBeGreaterThan(0.9);
    expect(l1.median).toBeCloseTo(1, 1);
    expect(l1.white).toBeGreaterThan(0.9);
    // The notebook's count (at 600 steps it had no black yet). A 1-D GAN is fragile: one seed can collapse
    // onto white when the float rounding changes (the same seed gave black 0.00 and 0.28 on two backends) or
    // when it trains longer (seed 0 on wasm with 2 threads: black 0.26 at 1000 steps, 0.00 at 1500), so the
    // property is checked on most of three seeds: both modes, little grey (seeds 0-2 at 1000 steps: black
    // 0.26-0.27, grey 0.09-0.11).
    let bothModes = 0;
    for (const seed of [0, 1, 2]) {
      const g = await trainBlurToy('gan', { pBlack: 0.3, steps: 1000, seed });
      if (g.black > 0.1 && g.white > 0.4 && g.grey < 0.2) bothModes++;
    }
    expect(bothModes).toBeGreaterThanOrEqual(2);
  }, 240_000);
});

describe('metrics and data', () => {
  test('mask IoU, output diversity and the spread over seeds on hand examples', () => {
    expect(maskIoU([1, 1, 0, 0, 0, 0, 0, 0], [1, 0, 0, 0, 0, 0, 0, 0], 2)).toBeCloseTo((0.5 + 1) / 2, 6);
    const same = tf.ones([4, 2, 2, 1]) as tf.Tensor4D;
    expect(outputDiversity(same)).toBe(0);
    const two = tf.concat([tf.zeros([1, 2, 2, 1]), tf.ones([1, 2, 2, 1])]) as tf.Tensor4D;
    expect(outputDiversity(two)).toBe(1);
    const { mean, std } = meanAndSpread([1, 2, 3]);
    expect(mean).toBe(2);
    expect(std).toBeCloseTo(1, 6);
    tf.dispose([same, two]);
  });

  test('silhouettes and scenes: deterministic, the two renderings of a scene share its mask, and each rule reads the mask back', () => {
    const a = silhouetteScenes({ count: 20, seed: 5 });
    const b = silhouetteScenes({ count: 20, seed: 5 });
    expect(Buffer.from(a.scenes.buffer).equals(Buffer.from(b.scenes.buffer))).toBe(true);
    expect(maskIoU(silhouetteMask(a.silhouettes, 20, 32), a.masks, 20)).toBeGreaterThan(0.97);
    expect(maskIoU(sceneObjectMask(a.scenes, 20, 32), a.masks, 20)).toBeGreaterThan(0.95);
    // the background is grey: no background pixel passes the saturation rule
    const rule = sceneObjectMask(a.scenes, 20, 32);
    let background = 0;
    for (let i = 0; i < rule.length; i++) if (rule[i] && !a.masks[i]) background++;
    expect(background / rule.length).toBeLessThan(0.01);
    const c = silhouetteScenes({ count: 20, seed: 6 });
    expect(Buffer.from(c.scenes.buffer).equals(Buffer.from(a.scenes.buffer))).toBe(false);
  });

  test('the adversarial perturbation changes no value by more than epsilon and raises the loss of the true label', () => {
    const clf = buildVggClassifier({ inputShape: [16, 16, 3], numClasses: 3, filters: [4, 8], seed: 1 });
    const x = tf.randomUniform([4, 16, 16, 3], 0, 1, 'float32', 2) as tf.Tensor4D;
    const labels = [0, 1, 2, 1];
    const eps = 4 / 255;
    const adv = adversarialPerturbation(clf, x, labels, { epsilon: eps, steps: 5 });
    expect(Math.max(...values(tf.abs(tf.sub(adv, x))))).toBeLessThanOrEqual(eps + 1e-6);
    const loss = (t: tf.Tensor) => scalar(tf.losses.softmaxCrossEntropy(tf.oneHot(tf.tensor1d(labels, 'int32'), 3), clf.predict(t) as tf.Tensor));
    expect(loss(adv)).toBeGreaterThan(loss(x));
    tf.dispose([x, adv]);
    clf.dispose();
  });
});
