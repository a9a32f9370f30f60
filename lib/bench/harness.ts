/**
 * What every workload of `npm run bench` shares: the measurement record, timing (medians of timed
 * calls after warm-up), the optional per-kernel profile, and running a workload's PyTorch script
 * (lib/bench/workloads/NAME.py, beside NAME.ts) under /usr/bin/python3 with 1 and 2 threads.
 *
 * A workload is one file in lib/bench/workloads/ exporting `workload: BenchWorkload` (and, when it
 * has a PyTorch side, the .py of the same name): lib/bench/benchmark.ts finds and runs them in
 * `order`. Measured numbers: docs/design.md, "Benchmark".
 */
import * as tf from '@tensorflow/tfjs';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { wasmThreadCount } from '../runtime/wasm/threads';
import { projectPath } from '../runtime/paths';

export interface Measurement {
  workload: string;
  /** tfjs backend and how its threads are used. */
  backend: string;
  /** What was timed: 'train step', 'inference', 'Grad-CAM, 1 image', ... */
  kind: string;
  ms: number;
  torchMs?: number;
  /** Floating-point operations of one timed call (lib/bench/flops.ts), when counted: GFLOP/s columns. */
  flops?: number;
  /** The process's resident memory after the measurement (MB). */
  rssMb?: number;
  /** With profile: the kernels that took longest in one step, [name, ms]. */
  topKernels?: [string, number][];
}

/** The autograder's throughput (the grading workload). */
export interface GradingThroughput {
  assignment: string; submissions: number; sandbox: string; secondsPerSubmission: { jobs: number; seconds: number }[];
  /** Each assignment's source (full marks) graded alone, --jobs 1: the time one submission takes (the 60 s bar). */
  oneSubmission?: { assignment: string; seconds: number; score: number; max: number }[];
}

export interface BenchContext {
  quick: boolean;
  /** Adds each measurement's top kernels (tf.profile of one step). */
  profile: boolean;
  log: (line: string) => void;
  /** The tfjs backends that start here, by tfjs name ('tensorflow', 'wasm', 'cpu'). */
  backends: string[];
  /** Why PyTorch cannot be measured here, or null when it can. */
  torchUnavailable: string | null;
}

export interface WorkloadResult {
  measurements: Measurement[];
  grading?: GradingThroughput;
}

export interface BenchWorkload {
  /** The file's name (classifiers, hourglass, ...): `runBenchmark({ skip })` takes it. */
  id: string;
  /** Position in the report (lower first). */
  order: number;
  run(ctx: BenchContext): Promise<WorkloadResult>;
}

/** Warm-up calls before timing an explanation (Grad-CAM, guided backprop), on both sides (why: docs/design.md, "Benchmark"). */
export const EXPLAIN_WARMUP = 20;
/**
 * Warm-up steps before timing a training step or inference, on both sides: V8 optimises the kit's
 * JavaScript over the first steps (docs/design.md, "Benchmark").
 */
export const STEP_WARMUP = 8;
/**
 * Timed training steps after the warm-up: nearly as many in quick mode as in a full run (5 vs 7), so a
 * quick run tells the same story (it drops workloads and repeats, not the steps that make a median).
 */
export const TIMED_STEPS = { full: 7, quick: 5 };
/** TIMED_STEPS for this run. */
export const timedSteps = (ctx: { quick: boolean }): number => (ctx.quick ? TIMED_STEPS.quick : TIMED_STEPS.full);

/** One step under tf.profile: kernel times summed by kernel name, largest first. */
async function topKernels(fn: () => void, count = 6): Promise<[string, number][]> {
  const p = await tf.profile(() => { fn(); });
  const by = new Map<string, number>();
  for (const k of p.kernels) by.set(k.name, (by.get(k.name) ?? 0) + (k.kernelTimeMs as number));
  return [...by.entries()].sort((a, b) => b[1] - a[1]).slice(0, count);
}

/** Completes a measurement: the process's RSS now, and with `ctx.profile` the top kernels of one `step`. */
export async function measured(ctx: BenchContext, m: Measurement, step?: () => void): Promise<Measurement> {
  m.rssMb = process.memoryUsage().rss / 2 ** 20;
  if (ctx.profile && step) m.topKernels = await topKernels(step);
  return m;
}

/** The backend's label in the report: wasm with its XNNPACK thread count. */
export function wasmLabel(backend: string): string {
  if (backend !== 'wasm') return backend;
  const n = wasmThreadCount();
  return `wasm, ${n} XNNPACK thread${n === 1 ? '' : 's'}`;
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** Median milliseconds of `runs` calls of `fn` after `warmup` untimed calls. */
export async function timeIt(fn: () => void, warmup: number, runs: number): Promise<number> {
  for (let i = 0; i < warmup; i++) fn();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = process.hrtime.bigint();
    fn();
    times.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  return median(times);
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
 * several times slower (docs/design.md, "Benchmark"), which would flatter tfjs; the bench says which
 * one it measured and warns about the reference one.
 */
export function torchBlas(python = '/usr/bin/python3'): { library: string; optimised: boolean } {
  const script = "import torch, re\ntorch.ones(2, 2) @ torch.ones(2, 2)\n" +
    "libs = [l.split()[-1] for l in open('/proc/self/maps') if re.search(r'blas', l)]\nprint(sorted(set(libs))[0] if libs else 'none found')";
  const r = spawnSync(python, ['-c', script], { encoding: 'utf8' });
  const library = r.status === 0 ? r.stdout.trim() : 'unknown';
  return { library, optimised: /openblas|mkl|blis|atlas/i.test(library) };
}

/**
 * Runs lib/bench/workloads/SCRIPT with CONFIG (JSON) under /usr/bin/python3 once with 1 and once
 * with 2 threads, with the malloc settings of docs/design.md ("Benchmark"), lib/bench on PYTHONPATH
 * (harness.py); returns each run's last JSON line, in that order.
 */
export function runTorchScript<T>(script: string, config: object): [T, T] {
  const dir = projectPath('lib', 'bench');
  const run = (threads: number): T => {
    const r = spawnSync('/usr/bin/python3', [path.join(dir, 'workloads', script), JSON.stringify(config), String(threads)], {
      encoding: 'utf8',
      env: { ...process.env, PYTHONPATH: dir, MALLOC_MMAP_THRESHOLD_: '33554432', MALLOC_TRIM_THRESHOLD_: '17179869184', OMP_NUM_THREADS: String(threads), OPENBLAS_NUM_THREADS: String(threads) },
    });
    if (r.status !== 0) throw new Error(`${script} failed: ${r.stderr}`);
    return JSON.parse(r.stdout.trim().split('\n').pop()!) as T;
  };
  return [run(1), run(2)];
}

/**
 * PyTorch's time for the workload `name`: the best over 1 and 2 threads of the `key` field (ms) that
 * SCRIPT prints, or undefined when PyTorch is not available here.
 */
export function torchBestMs(ctx: BenchContext, name: string, script: string, config: object, key = 'train_ms'): number | undefined {
  if (ctx.torchUnavailable) return undefined;
  ctx.log(`measuring PyTorch: ${name}`);
  return Math.min(...runTorchScript<Record<string, number>>(script, config).map((r) => r[key]));
}
