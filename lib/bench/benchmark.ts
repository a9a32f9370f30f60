/**
 * `npm run bench`: training-step and inference times of the kit's classifiers (batch 64, 32x32x3)
 * on every tfjs backend that starts here, beside the same networks in PyTorch when
 * /usr/bin/python3 has torch (Debian's python3-torch), as ratios from one run.
 *
 * Medians of several timed steps after warm-up. PyTorch runs with the malloc settings from
 * ARCHITECTURE.md and takes the best of 1 and 2 threads.
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
import { registerWasmTrainingKernels } from '../runtime/wasmKernels';
import { Random } from '../runtime/random';
import { projectPath } from '../runtime/paths';

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
  /** tfjs backend, with "xN threads" for data-parallel training. */
  backend: string;
  kind: 'train step' | 'inference' | 'Grad-CAM, 1 image' | 'Grad-CAM, batch 32' | 'guided backprop, 1 image' | 'guided backprop, batch 32';
  ms: number;
  torchMs?: number;
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
    const out = model.predict(x) as tf.Tensor;
    out.dataSync();
    out.dispose();
  };
  const out: Measurement[] = [];
  if (!(slow && quick)) out.push({ workload: workload.name, backend, kind: 'train step', ms: await timeIt(step, slow ? 0 : 2, slow ? 1 : quick ? 3 : 7) });
  const threads = backend === 'wasm' ? defaultThreads() : 1;
  if (threads > 1) {
    // The kit's training loop with its data-parallel replicas: time per step, after one warm-up epoch.
    const steps = quick ? 4 : 10;
    const xs = tf.tile(x, [steps, 1, 1, 1]) as tf.Tensor4D;
    const ys = tf.tile(y, [steps]) as tf.Tensor1D;
    const run = () => trainClassifier(model, { x: xs, y: ys }, { epochs: 1, batchSize: workload.batch, threads, progress: false });
    await run();
    const r = await run();
    out.push({ workload: workload.name, backend: `${backend} x${threads} threads`, kind: 'train step', ms: (1000 * r.seconds) / r.steps });
    tf.dispose([xs, ys]);
  }
  out.push({ workload: workload.name, backend, kind: 'inference', ms: await timeIt(infer, 1, slow ? 2 : quick ? 5 : 15) });
  if (workload === WORKLOADS[0] && !slow) {
    // Explanations of the shapes classifier (lesson 01): one image and a batch of 32.
    const { gradCam } = await import('../explain/gradCam');
    const { guidedBackprop } = await import('../explain/guidedBackprop');
    for (const n of [1, 32]) {
      const xs = x.slice(0, n);
      const cam = () => { const m = gradCam(model, xs); m.dataSync(); m.dispose(); };
      const gbp = () => { const m = guidedBackprop(model, xs); m.dataSync(); m.dispose(); };
      out.push({ workload: workload.name, backend, kind: n === 1 ? 'Grad-CAM, 1 image' : 'Grad-CAM, batch 32', ms: await timeIt(cam, 2, quick ? 5 : 15) });
      out.push({ workload: workload.name, backend, kind: n === 1 ? 'guided backprop, 1 image' : 'guided backprop, batch 32', ms: await timeIt(gbp, 2, quick ? 5 : 15) });
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

interface TorchTimes { train: number; infer: number; gradCam1: number; gradCam32: number; threads: number; version: string }

function measureTorch(workload: Workload, quick: boolean): TorchTimes {
  const config = JSON.stringify({ ...workload.model, batch: workload.batch, classes: 10, steps: quick ? 3 : 7, quick });
  const runs: TorchTimes[] = [];
  for (const threads of [1, 2]) {
    const r = spawnSync('/usr/bin/python3', [projectPath('scripts', 'bench_torch.py'), config, String(threads)], {
      encoding: 'utf8',
      env: { ...process.env, MALLOC_MMAP_THRESHOLD_: '33554432', MALLOC_TRIM_THRESHOLD_: '17179869184', OMP_NUM_THREADS: String(threads) },
    });
    if (r.status !== 0) throw new Error(`bench_torch.py failed: ${r.stderr}`);
    const m = JSON.parse(r.stdout.trim().split('\n').pop()!) as { train_ms: number; infer_ms: number; gradcam1_ms: number; gradcam32_ms: number; version: string };
    runs.push({ train: m.train_ms, infer: m.infer_ms, gradCam1: m.gradcam1_ms, gradCam32: m.gradcam32_ms, threads, version: m.version });
  }
  // Each measure at its best thread count.
  const fastest = runs.reduce((a, b) => (b.train < a.train ? b : a));
  return {
    train: fastest.train, threads: fastest.threads, version: fastest.version,
    infer: Math.min(...runs.map((r) => r.infer)), gradCam1: Math.min(...runs.map((r) => r.gradCam1)), gradCam32: Math.min(...runs.map((r) => r.gradCam32)),
  };
}

export interface BenchReport {
  machine: { cpus: string; cores: number; node: string; tfjs: string };
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
    const times = [1, 2].map((threads) => {
      const r = spawnSync('/usr/bin/python3', [projectPath('scripts', 'bench_torch_hourglass.py'), JSON.stringify({ ...c, steps: quick ? 3 : 7 }), String(threads)], {
        encoding: 'utf8', env: { ...process.env, MALLOC_MMAP_THRESHOLD_: '33554432', MALLOC_TRIM_THRESHOLD_: '17179869184', OMP_NUM_THREADS: String(threads) },
      });
      if (r.status !== 0) throw new Error(`bench_torch_hourglass.py failed: ${r.stderr}`);
      return (JSON.parse(r.stdout.trim().split('\n').pop()!) as { train_ms: number }).train_ms;
    });
    torchMs = Math.min(...times);
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
  out.push({ workload: HOURGLASS_NAME, backend: 'wasm', kind: 'train step', ms: await timeIt(step, 1, quick ? 2 : 5), torchMs });
  const threads = defaultThreads();
  if (threads > 1) {
    const r = await trainDense(model, { x, y }, { loss: 'stackedSpatialCE', steps: quick ? 4 : 10, batchSize: c.batch, threads, progress: false });
    out.push({ workload: HOURGLASS_NAME, backend: `wasm x${r.threads} threads`, kind: 'train step', ms: r.msPerStep, torchMs });
  }
  tf.dispose([x, y]);
  optimizer.dispose();
  model.dispose();
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
export async function runBenchmark(options: { quick?: boolean; log?: (line: string) => void } = {}): Promise<BenchReport> {
  const log = options.log ?? ((line: string) => console.log(line));
  const quick = options.quick ?? false;
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
  if (runnable.includes('wasm')) measurements.push(...(await benchHourglass(quick, log)));
  await tf.setBackend(info.backend);
  const grading = await benchGrading(quick, log);
  return {
    grading,
    machine: { cpus: os.cpus()[0]?.model ?? 'unknown', cores: os.cpus().length, node: process.version, tfjs: tf.version.tfjs },
    backends,
    measurements,
    torch: torchReason ? `skipped: ${torchReason}` : `PyTorch ${torchVersion} (best of 1 and 2 threads)`,
  };
}

/** The report as a Markdown table. */
export function formatReport(report: BenchReport): string {
  const lines = [
    `machine: ${report.machine.cpus}, ${report.machine.cores} cores, Node ${report.machine.node}, tfjs ${report.machine.tfjs}`,
    `backends: ${report.backends.map((b) => `${b.name} ${b.status}`).join('; ')}`,
    `reference: ${report.torch}`,
    '',
    '| workload (32x32x3 images; batch 64 unless named) | backend | measure | tfjs ms | PyTorch ms | ratio |',
    '|---|---|---|---:|---:|---:|',
  ];
  for (const m of report.measurements) {
    lines.push(`| ${m.workload} | ${m.backend} | ${m.kind} | ${m.ms.toFixed(1)} | ${m.torchMs != null ? m.torchMs.toFixed(1) : '-'} | ${m.torchMs != null ? (m.ms / m.torchMs).toFixed(1) + 'x' : '-'} |`);
  }
  if (report.grading) {
    const gr = report.grading;
    lines.push('', `grading ${gr.assignment} (${gr.submissions} submissions, half full marks, half blank; ${gr.sandbox}):`);
    for (const x of gr.secondsPerSubmission) lines.push(`  --jobs ${x.jobs}: ${x.seconds.toFixed(1)} s per submission (${(3600 / x.seconds).toFixed(0)} per hour)`);
  }
  return lines.join('\n');
}
