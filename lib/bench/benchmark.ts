/**
 * `npm run bench`: training-step and inference times of the kit's networks on every tfjs backend
 * that starts here, beside the same networks in PyTorch when /usr/bin/python3 has torch (Debian's
 * python3-torch), as ratios from one run: the classifiers (batch 64, 32x32x3: train step, inference,
 * Grad-CAM), a pix2pix step (U-Net 64x64 + PatchGAN, batch 4), a Gram style loss forward + backward
 * (128x128, 3 conv layers), the landmarks lesson's hourglass, and the autograder's throughput.
 *
 * Medians of several timed steps after warm-up. PyTorch runs with the malloc settings from
 * ARCHITECTURE.md and takes the best of 1 and 2 threads. `profile: true` adds each workload's top
 * kernels (tf.profile of one step; composed kernels include the kernels they call).
 */
import * as tf from '@tensorflow/tfjs';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { buildVggClassifier, VggOptions } from '../nn/vgg';
import { softmaxCrossEntropy, trainClassifier } from '../train/classifier';
import { defaultThreads } from '../train/dataParallel';
import { initRuntime, BackendChoice } from '../runtime/backend';
import { registerWasmTrainingKernels } from '../runtime/wasm/kernels';
import { Random } from '../runtime/random';
import { projectPath } from '../runtime/paths';
import { wasmThreadCount } from '../runtime/wasm/threads';

export interface Workload {
  name: string;
  model: Omit<VggOptions, 'inputShape' | 'numClasses'>;
  batch: number;
}

export const WORKLOADS: Workload[] = [
  { name: 'shapes classifier', model: { filters: [12, 24, 48, 96], stemStride: 2, batchNorm: true }, batch: 64 },
  { name: 'VGG-small (2 convs/block, 32-64-128)', model: { filters: [32, 64, 128], convsPerBlock: 2, batchNorm: true }, batch: 64 },
];

export interface Measurement {
  workload: string;
  /** tfjs backend and how its threads are used. */
  backend: string;
  kind: 'train step' | 'inference' | 'Grad-CAM, 1 image' | 'Grad-CAM, batch 32' | 'guided backprop, 1 image' | 'guided backprop, batch 32' | 'pix2pix step (D + G)' | 'style loss forward + backward';
  ms: number;
  torchMs?: number;
  /** The process's resident memory after the measurement (MB). */
  rssMb?: number;
  /** With profile: the kernels that took longest in one step, [name, ms]. */
  topKernels?: [string, number][];
}

let profiling = false;

/** Warm-up calls before timing an explanation (Grad-CAM, guided backprop), on both sides. */
const EXPLAIN_WARMUP = 20;
/**
 * Warm-up steps before timing a training step, on both sides: V8 optimises the kit's JavaScript
 * over the first ~10 steps (shapes classifier: ~50 ms for steps 2-8, ~38 ms from step 15 on).
 */
const STEP_WARMUP = 8;

/** One step under tf.profile: kernel times summed by kernel name, largest first. */
async function topKernels(fn: () => void, count = 6): Promise<[string, number][]> {
  const p = await tf.profile(() => { fn(); });
  const by = new Map<string, number>();
  for (const k of p.kernels) by.set(k.name, (by.get(k.name) ?? 0) + (k.kernelTimeMs as number));
  return [...by.entries()].sort((a, b) => b[1] - a[1]).slice(0, count);
}

async function measured(m: Measurement, step?: () => void): Promise<Measurement> {
  m.rssMb = process.memoryUsage().rss / 2 ** 20;
  if (profiling && step) m.topKernels = await topKernels(step);
  return m;
}

function wasmLabel(backend: string): string {
  if (backend !== 'wasm') return backend;
  const n = wasmThreadCount();
  return `wasm, ${n} XNNPACK thread${n === 1 ? '' : 's'}`;
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function timeIt(fn: () => void, warmup: number, runs: number): Promise<number> {
  for (let i = 0; i < warmup; i++) fn();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = process.hrtime.bigint();
    fn();
    times.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  return median(times);
}

async function measureTfjs(workload: Workload, backend: string, quick: boolean): Promise<Measurement[]> {
  await tf.setBackend(backend);
  const model = buildVggClassifier({ inputShape: [32, 32, 3], numClasses: 10, ...workload.model, seed: 1 });
  const rng = new Random(1);
  const x = tf.tensor4d(Float32Array.from({ length: workload.batch * 32 * 32 * 3 }, () => rng.next()), [workload.batch, 32, 32, 3]);
  const y = tf.tensor1d(Array.from({ length: workload.batch }, (_, i) => i % 10), 'int32');
  const optimizer = tf.train.adam(1e-3);
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const slow = backend === 'cpu';
  const step = () => {
    const loss = optimizer.minimize(() => softmaxCrossEntropy(model.apply(x, { training: true }) as tf.Tensor, y), true, vars)!;
    loss.dataSync();
    loss.dispose();
  };
  const infer = () => {
    // The whole batch in one forward pass, as PyTorch's model(x) (predict's default splits it into 32s).
    const out = model.predict(x, { batchSize: workload.batch }) as tf.Tensor;
    out.dataSync();
    out.dispose();
  };
  const out: Measurement[] = [];
  if (!(slow && quick)) out.push(await measured({ workload: workload.name, backend: wasmLabel(backend), kind: 'train step', ms: await timeIt(step, slow ? 0 : STEP_WARMUP, slow ? 1 : quick ? 3 : 7) }, slow ? undefined : step));
  const threads = backend === 'wasm' ? defaultThreads() : 1;
  if (threads > 1) {
    // The kit's training loop with its data-parallel replicas: time per step, after one warm-up epoch.
    const steps = quick ? 4 : 10;
    const xs = tf.tile(x, [steps, 1, 1, 1]) as tf.Tensor4D;
    const ys = tf.tile(y, [steps]) as tf.Tensor1D;
    const run = () => trainClassifier(model, { x: xs, y: ys }, { epochs: 1, batchSize: workload.batch, threads, progress: false });
    await run();
    const r = await run();
    out.push(await measured({ workload: workload.name, backend: `${backend}, ${threads} data-parallel replicas (kit's training loop)`, kind: 'train step', ms: (1000 * r.seconds) / r.steps }));
    tf.dispose([xs, ys]);
  }
  out.push(await measured({ workload: workload.name, backend: wasmLabel(backend), kind: 'inference', ms: await timeIt(infer, slow ? 1 : STEP_WARMUP, slow ? 2 : quick ? 5 : 15) }, slow ? undefined : infer));
  if (workload === WORKLOADS[0] && !slow) {
    // Explanations of the shapes classifier (lesson 01): one image and a batch of 32.
    const { gradCam } = await import('../explain/gradCam');
    const { guidedBackprop } = await import('../explain/guidedBackprop');
    for (const n of [1, 32]) {
      const xs = x.slice(0, n);
      const cam = () => { const m = gradCam(model, xs); m.dataSync(); m.dispose(); };
      const gbp = () => { const m = guidedBackprop(model, xs); m.dataSync(); m.dispose(); };
      // Explanations are a few milliseconds: 20 warm-up calls reach steady state (V8 optimises the
      // layer-by-layer path; with 2 the median of Grad-CAM on one image was still 2-4x its steady value).
      out.push(await measured({ workload: workload.name, backend: wasmLabel(backend), kind: n === 1 ? 'Grad-CAM, 1 image' : 'Grad-CAM, batch 32', ms: await timeIt(cam, EXPLAIN_WARMUP, quick ? 5 : 15) }, cam));
      out.push(await measured({ workload: workload.name, backend: wasmLabel(backend), kind: n === 1 ? 'guided backprop, 1 image' : 'guided backprop, batch 32', ms: await timeIt(gbp, EXPLAIN_WARMUP, quick ? 5 : 15) }));
      xs.dispose();
    }
  }
  tf.dispose([x, y]);
  optimizer.dispose();
  model.dispose();
  return out;
}

/** Why PyTorch cannot be measured here, or null when it can. */
export function torchUnavailable(python = '/usr/bin/python3'): string | null {
  if (!fs.existsSync(python)) return `${python} does not exist`;
  const r = spawnSync(python, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8' });
  if (r.status !== 0) return `${python} has no torch (apt-get install python3-torch)`;
  return null;
}

/**
 * The BLAS library PyTorch loads (Debian's python3-torch calls whatever provides libblas.so.3): with
 * the reference BLAS (package libblas3 alone) its matrix products and transposed convolutions run
 * several times slower (measured here: pix2pix step 680 ms vs 200 ms with OpenBLAS, Gram loss 340 vs
 * 62 ms), which would flatter tfjs; the bench says which one it measured and warns about the reference one.
 */
export function torchBlas(python = '/usr/bin/python3'): { library: string; optimised: boolean } {
  const script = "import torch, re\ntorch.ones(2, 2) @ torch.ones(2, 2)\n" +
    "libs = [l.split()[-1] for l in open('/proc/self/maps') if re.search(r'blas', l)]\nprint(sorted(set(libs))[0] if libs else 'none found')";
  const r = spawnSync(python, ['-c', script], { encoding: 'utf8' });
  const library = r.status === 0 ? r.stdout.trim() : 'unknown';
  return { library, optimised: /openblas|mkl|blis|atlas/i.test(library) };
}

/**
 * Runs scripts/SCRIPT with CONFIG (JSON) under /usr/bin/python3 once with 1 and once with 2 threads,
 * with the malloc settings of ARCHITECTURE.md; returns each run's JSON line, in that order.
 */
function runTorchScript<T>(script: string, config: object): [T, T] {
  const run = (threads: number): T => {
    const r = spawnSync('/usr/bin/python3', [projectPath('scripts', script), JSON.stringify(config), String(threads)], {
      encoding: 'utf8',
      env: { ...process.env, MALLOC_MMAP_THRESHOLD_: '33554432', MALLOC_TRIM_THRESHOLD_: '17179869184', OMP_NUM_THREADS: String(threads), OPENBLAS_NUM_THREADS: String(threads) },
    });
    if (r.status !== 0) throw new Error(`${script} failed: ${r.stderr}`);
    return JSON.parse(r.stdout.trim().split('\n').pop()!) as T;
  };
  return [run(1), run(2)];
}

interface TorchTimes { train: number; infer: number; gradCam1: number; gradCam32: number; threads: number; version: string }

function measureTorch(workload: Workload, quick: boolean): TorchTimes {
  type Line = { train_ms: number; infer_ms: number; gradcam1_ms: number; gradcam32_ms: number; version: string };
  const lines = runTorchScript<Line>('bench_torch.py', { ...workload.model, batch: workload.batch, classes: 10, steps: quick ? 3 : 7, quick, explain_warmup: EXPLAIN_WARMUP, warmup: STEP_WARMUP });
  const runs: TorchTimes[] = lines.map((m, i) => ({ train: m.train_ms, infer: m.infer_ms, gradCam1: m.gradcam1_ms, gradCam32: m.gradcam32_ms, threads: i + 1, version: m.version }));
  // Each measure at its best thread count.
  const fastest = runs.reduce((a, b) => (b.train < a.train ? b : a));
  return {
    train: fastest.train, threads: fastest.threads, version: fastest.version,
    infer: Math.min(...runs.map((r) => r.infer)), gradCam1: Math.min(...runs.map((r) => r.gradCam1)), gradCam32: Math.min(...runs.map((r) => r.gradCam32)),
  };
}

export interface BenchReport {
  machine: { cpus: string; cores: number; node: string; tfjs: string; wasmThreads: number };
  backends: { name: string; status: string }[];
  measurements: Measurement[];
  torch: string;
  /** Autograder throughput on assignment 1 (seconds per submission, wall clock). */
  grading?: { assignment: string; submissions: number; sandbox: string; secondsPerSubmission: { jobs: number; seconds: number }[] };
}

export const HOURGLASS_BENCH = { stacks: 2, depth: 3, features: 48, landmarks: 7, batch: 32 };
const HOURGLASS_NAME = 'stacked hourglass (2 stacks, 48 features, 64x64, batch 32)';

/** The lesson-03 hourglass: one training step (spatial cross-entropy, Adam) on wasm with 1 and 2 threads, and in PyTorch. */
export async function benchHourglass(quick: boolean, log: (line: string) => void): Promise<Measurement[]> {
  const { buildStackedHourglass } = await import('../nn/hourglass');
  const { lossGradients } = await import('../train/losses');
  const { trainDense } = await import('../train/dense');
  const c = HOURGLASS_BENCH;
  const out: Measurement[] = [];
  let torchMs: number | undefined;
  if (!torchUnavailable()) {
    log(`measuring PyTorch: ${HOURGLASS_NAME}`);
    torchMs = Math.min(...runTorchScript<{ train_ms: number }>('bench_torch_hourglass.py', { ...c, steps: quick ? 3 : 7, warmup: STEP_WARMUP }).map((r) => r.train_ms));
  }
  await tf.setBackend('wasm');
  log(`measuring wasm: ${HOURGLASS_NAME}`);
  const model = buildStackedHourglass({ inputShape: [64, 64, 3], numLandmarks: c.landmarks, stacks: c.stacks, depth: c.depth, features: c.features, seed: 1 });
  const x = tf.randomUniform([c.batch, 64, 64, 3], 0, 1, 'float32', 1);
  const y = tf.randomUniform([c.batch, 16, 16, c.landmarks], 0, 1, 'float32', 2);
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const optimizer: tf.Optimizer = tf.train.adam(2e-3);
  const step = () => {
    const { loss, grads } = lossGradients(model, x, y, vars, 'stackedSpatialCE');
    optimizer.applyGradients(grads);
    tf.dispose([loss, ...Object.values(grads)]);
  };
  out.push(await measured({ workload: HOURGLASS_NAME, backend: wasmLabel('wasm'), kind: 'train step', ms: await timeIt(step, STEP_WARMUP, quick ? 2 : 5), torchMs }, step));
  const threads = defaultThreads();
  if (threads > 1) {
    const r = await trainDense(model, { x, y }, { loss: 'stackedSpatialCE', steps: quick ? 4 : 10, batchSize: c.batch, threads, progress: false });
    out.push(await measured({ workload: HOURGLASS_NAME, backend: `wasm, ${r.threads} data-parallel replicas (kit's training loop)`, kind: 'train step', ms: r.msPerStep, torchMs }));
  }
  tf.dispose([x, y]);
  optimizer.dispose();
  model.dispose();
  return out;
}

export const GAN_STYLE_BENCH = { pix2pix: { size: 64, filters: 32, batch: 4 }, gram: { size: 128, blocks: [[64, 64], [128]] } };
const PIX2PIX_NAME = 'pix2pix (U-Net 64x64 + PatchGAN, 32 filters, batch 4)';
const GRAM_NAME = 'Gram style loss (128x128 image, convs 64-64-pool-128)';

/** A pix2pix step (discriminator + generator) and a Gram style loss forward + backward, beside PyTorch. */
export async function benchGanAndStyle(quick: boolean, log: (line: string) => void): Promise<Measurement[]> {
  const nn = await import('../nn');
  const gan = await import('../gan');
  const perceptual = await import('../perceptual');
  const c = GAN_STYLE_BENCH;
  let torch: { pix2pix_ms: number; gram_ms: number } | null = null;
  if (!torchUnavailable()) {
    log(`measuring PyTorch: ${PIX2PIX_NAME}; ${GRAM_NAME}`);
    const runs = runTorchScript<{ pix2pix_ms: number; gram_ms: number }>('bench_torch_gan_style.py', { ...c, steps: quick ? 3 : 7, warmup: STEP_WARMUP });
    torch = { pix2pix_ms: Math.min(...runs.map((r) => r.pix2pix_ms)), gram_ms: Math.min(...runs.map((r) => r.gram_ms)) };
  }
  await tf.setBackend('wasm');
  const out: Measurement[] = [];
  log(`measuring wasm: ${PIX2PIX_NAME}`);
  const p = c.pix2pix;
  const G = nn.buildUNetGenerator({ inputShape: [p.size, p.size, 3], filters: p.filters, seed: 1 });
  const D = nn.buildPatchGan({ inputShape: [p.size, p.size, 6], filters: p.filters, seed: 100 });
  const state = gan.createPix2Pix(G, D);
  const source = tf.randomUniform([p.batch, p.size, p.size, 3], -1, 1, 'float32', 1) as tf.Tensor4D;
  const target = tf.randomUniform([p.batch, p.size, p.size, 3], -1, 1, 'float32', 2) as tf.Tensor4D;
  const ganStep = () => { gan.pix2pixStep(state, source, target); };
  out.push(await measured({ workload: PIX2PIX_NAME, backend: wasmLabel('wasm'), kind: 'pix2pix step (D + G)', ms: await timeIt(ganStep, STEP_WARMUP, quick ? 3 : 7), torchMs: torch?.pix2pix_ms }, ganStep));
  tf.dispose([source, target]);
  state.gOptimizer.dispose();
  state.dOptimizer.dispose();
  G.dispose();
  D.dispose();

  log(`measuring wasm: ${GRAM_NAME}`);
  const g = c.gram;
  const net = nn.buildStyleFeatureNet({ inputShape: [g.size, g.size, 3], blocks: g.blocks, seed: 1 });
  const targets = tf.tidy(() => (net.predict(tf.randomUniform([1, g.size, g.size, 3], 0, 1, 'float32', 4)) as tf.Tensor4D[]).map((f) => perceptual.gramMatrix(f)));
  const image = tf.randomUniform([1, g.size, g.size, 3], 0, 1, 'float32', 3) as tf.Tensor4D;
  const styleStep = () => {
    const { loss, grad } = perceptual.styleLossAndGradient(net, image, targets);
    loss.dataSync();
    grad.dataSync();
    tf.dispose([loss, grad]);
  };
  out.push(await measured({ workload: GRAM_NAME, backend: wasmLabel('wasm'), kind: 'style loss forward + backward', ms: await timeIt(styleStep, STEP_WARMUP, quick ? 5 : 15), torchMs: torch?.gram_ms }, styleStep));
  tf.dispose([image, ...targets]);
  net.dispose();
  return out;
}

/** Grades copies of assignment 1's source and release with --jobs 1 and 2; seconds per submission. */
export async function benchGrading(quick: boolean, log: (line: string) => void): Promise<NonNullable<BenchReport['grading']>> {
  const g = await import('../grader');
  const a = g.loadAssignment('01-cnn-visualization');
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cvkit-bench-grading-'));
  try {
    const n = quick ? 4 : 8;
    const subs = Array.from({ length: n }, (_, i) => {
      const file = path.join(tmp, 'subs', `student${i}.ipynb`);
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.copyFileSync(i % 2 ? a.releasePath : a.sourcePath, file);
      return { student: `student${i}`, path: file };
    });
    const out: { jobs: number; seconds: number }[] = [];
    for (const jobs of [1, 2]) {
      log(`measuring grading: ${n} submissions of ${a.config.id}, --jobs ${jobs}`);
      const t0 = Date.now();
      await g.gradeBatch(a, subs, { jobs, out: path.join(tmp, `gb${jobs}`), force: true, log: () => {} });
      out.push({ jobs, seconds: (Date.now() - t0) / 1000 / n });
    }
    return { assignment: a.config.id, submissions: n, sandbox: g.bwrapAvailable() ? 'bwrap + Node permissions' : 'Node permissions only', secondsPerSubmission: out };
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

/** Runs the benchmark and returns the report (also printed as a table by `cvkit bench`). */
export async function runBenchmark(options: { quick?: boolean; profile?: boolean; grading?: boolean; log?: (line: string) => void } = {}): Promise<BenchReport> {
  const log = options.log ?? ((line: string) => console.log(line));
  const quick = options.quick ?? false;
  profiling = options.profile ?? false;
  const info = await initRuntime({ quiet: true });
  const backends: { name: string; status: string }[] = [];
  const candidates: [BackendChoice, string][] = [['gpu', 'tensorflow'], ['node', 'tensorflow'], ['wasm', 'wasm'], ['cpu', 'cpu']];
  const runnable: string[] = [];
  for (const [choice, name] of candidates) {
    const skipped = info.skipped.find((s) => s.startsWith(`${choice}:`));
    if (choice === info.choice || (name !== 'tensorflow' && !skipped)) {
      if (!runnable.includes(name)) runnable.push(name);
      backends.push({ name: choice, status: 'measured' });
    } else {
      backends.push({ name: choice, status: skipped ? `not available (${skipped.slice(choice.length + 2)})` : 'not tried' });
    }
  }
  if (runnable.includes('wasm')) registerWasmTrainingKernels('wasm');
  const torchReason = torchUnavailable();
  const torchVersion = torchReason ? '' : spawnSync('/usr/bin/python3', ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8' }).stdout.trim();
  const blas = torchReason ? null : torchBlas();
  if (blas && !blas.optimised) {
    log(`warning: PyTorch uses the reference BLAS (${blas.library}): its matrix products are several times slower than with an optimised one, so the ratios flatter tfjs. Install one: apt-get install libopenblas0-pthread`);
  }
  const measurements: Measurement[] = [];
  for (const workload of WORKLOADS) {
    let torch: ReturnType<typeof measureTorch> | null = null;
    if (!torchReason) {
      log(`measuring PyTorch: ${workload.name}`);
      torch = measureTorch(workload, quick);
    }
    for (const backend of runnable) {
      // The pure-JS cpu backend needs minutes per VGG-small step: it is measured on the first workload only.
      if (backend === 'cpu' && workload !== WORKLOADS[0]) continue;
      log(`measuring ${backend}: ${workload.name}`);
      for (const m of await measureTfjs(workload, backend, quick)) {
        if (torch) {
          const reference: Partial<Record<Measurement['kind'], number>> = { 'train step': torch.train, inference: torch.infer, 'Grad-CAM, 1 image': torch.gradCam1, 'Grad-CAM, batch 32': torch.gradCam32 };
          m.torchMs = reference[m.kind];
        }
        measurements.push(m);
      }
    }
  }
  if (runnable.includes('wasm')) {
    measurements.push(...(await benchGanAndStyle(quick, log)));
    measurements.push(...(await benchHourglass(quick, log)));
  }
  await tf.setBackend(info.backend);
  const grading = options.grading === false ? undefined : await benchGrading(quick, log);
  return {
    grading,
    machine: { cpus: os.cpus()[0]?.model ?? 'unknown', cores: os.cpus().length, node: process.version, tfjs: tf.version.tfjs, wasmThreads: wasmThreadCount() },
    backends,
    measurements,
    torch: torchReason ? `skipped: ${torchReason}` : `PyTorch ${torchVersion} (best of 1 and 2 threads; BLAS ${blas!.library}${blas!.optimised ? '' : ', the reference BLAS: install libopenblas0-pthread'})`,
  };
}

/** The machine-readable summary `--json FILE` writes: one entry per measurement. */
export function reportJson(report: BenchReport): { machine: BenchReport['machine']; torch: string; workloads: { name: string; backend: string; measure: string; tfjs_ms: number; torch_ms: number | null; ratio: number | null; rss_mb: number | null; top_kernels?: [string, number][] }[]; grading?: BenchReport['grading'] } {
  return {
    machine: report.machine,
    torch: report.torch,
    workloads: report.measurements.map((m) => ({
      name: `${m.workload}: ${m.kind}`, backend: m.backend, measure: m.kind, tfjs_ms: m.ms, torch_ms: m.torchMs ?? null,
      ratio: m.torchMs != null ? m.ms / m.torchMs : null, rss_mb: m.rssMb ?? null, ...(m.topKernels ? { top_kernels: m.topKernels } : {}),
    })),
    ...(report.grading ? { grading: report.grading } : {}),
  };
}

/** The report as a Markdown table. */
export function formatReport(report: BenchReport): string {
  const lines = [
    `machine: ${report.machine.cpus}, ${report.machine.cores} cores, Node ${report.machine.node}, tfjs ${report.machine.tfjs}`,
    `backends: ${report.backends.map((b) => `${b.name} ${b.status}`).join('; ')}`,
    `reference: ${report.torch}`,
    '',
    '| workload (32x32x3 images; batch 64 unless named) | backend | measure | tfjs ms | PyTorch ms | ratio | RSS MB |',
    '|---|---|---|---:|---:|---:|---:|',
  ];
  for (const m of report.measurements) {
    lines.push(`| ${m.workload} | ${m.backend} | ${m.kind} | ${m.ms.toFixed(1)} | ${m.torchMs != null ? m.torchMs.toFixed(1) : '-'} | ${m.torchMs != null ? (m.ms / m.torchMs).toFixed(1) + 'x' : '-'} | ${m.rssMb != null ? m.rssMb.toFixed(0) : '-'} |`);
  }
  const profiled = report.measurements.filter((m) => m.topKernels);
  if (profiled.length > 0) {
    lines.push('', 'top kernels (one step under tf.profile; a composed kernel includes the kernels it calls):');
    for (const m of profiled) lines.push(`  ${m.workload}, ${m.kind}: ${m.topKernels!.map(([k, ms]) => `${k} ${ms.toFixed(1)}`).join(', ')}`);
  }
  if (report.grading) {
    const gr = report.grading;
    lines.push('', `grading ${gr.assignment} (${gr.submissions} submissions, half full marks, half blank; ${gr.sandbox}):`);
    for (const x of gr.secondsPerSubmission) lines.push(`  --jobs ${x.jobs}: ${x.seconds.toFixed(1)} s per submission (${(3600 / x.seconds).toFixed(0)} per hour)`);
  }
  return lines.join('\n');
}
