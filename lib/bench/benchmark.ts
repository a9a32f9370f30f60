/**
 * `npm run bench`: training-step and inference times of the kit's networks on every tfjs backend
 * that starts here, beside the same networks in PyTorch when /usr/bin/python3 has torch (Debian's
 * python3-torch), as ratios from one run, and the autograder's throughput.
 *
 * The workloads are the files of lib/bench/workloads/ (each with its PyTorch script beside it: the
 * classifiers, pix2pix, the Gram style loss, the hourglass, grading); this file finds them, runs
 * them in order and formats the report. A new lesson adds a workload file; the shared timing,
 * profiling and PyTorch runner are lib/bench/harness.ts. Medians of several timed steps after
 * warm-up; PyTorch takes the best of 1 and 2 threads. `profile: true` adds each measurement's top
 * kernels (tf.profile of one step; composed kernels include the kernels they call). Measured numbers:
 * docs/design.md, "Benchmark".
 */
import * as tf from '@tensorflow/tfjs';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { initRuntime, BackendChoice } from '../runtime/backend';
import { registerWasmTrainingKernels } from '../runtime/wasm/kernels';
import { wasmThreadCount } from '../runtime/wasm/threads';
import { BenchContext, BenchWorkload, GradingThroughput, Measurement, torchBlas, torchUnavailable } from './harness';
import { measurePeaks, Peaks } from './peak';
import { gflops } from './flops';

export type { Measurement };
export { torchUnavailable };

/** Every workload file of lib/bench/workloads/ (its `workload` export), in report order. */
export function benchWorkloads(): BenchWorkload[] {
  const dir = path.join(__dirname, 'workloads');
  const files = fs.readdirSync(dir).filter((f) => /\.(js|ts)$/.test(f) && !/\.d\.ts$/.test(f));
  const found = files.map((f) => {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const w = (require(path.join(dir, f)) as { workload?: BenchWorkload }).workload;
    if (w == null) throw new Error(`lib/bench/workloads/${f} exports no \`workload\` (see lib/bench/harness.ts, BenchWorkload)`);
    return w;
  });
  return found.sort((a, b) => a.order - b.order);
}

/** The workloads' ids, in the bench's order (what `cvkit bench --only` takes). */
export function benchWorkloadIds(): string[] {
  return benchWorkloads().map((w) => w.id);
}

export interface BenchReport {
  machine: { cpus: string; cores: number; node: string; tfjs: string; wasmThreads: number };
  backends: { name: string; status: string }[];
  measurements: Measurement[];
  torch: string;
  /** What this machine can do at all (lib/bench/peak.ts), measured at the start. */
  peaks?: Peaks;
  /** Autograder throughput on assignment 1 (seconds per submission, wall clock). */
  grading?: GradingThroughput;
}

/**
 * Runs the benchmark and returns the report (also printed as a table by `cvkit bench`). `skip`: workload
 * ids to leave out; `only`: the workload ids to run (`cvkit bench --only`), an unknown id is an error
 * naming the known ones.
 */
export async function runBenchmark(options: { quick?: boolean; profile?: boolean; grading?: boolean; skip?: string[]; only?: string[]; log?: (line: string) => void } = {}): Promise<BenchReport> {
  const ids = benchWorkloadIds();
  const unknown = (options.only ?? []).filter((id) => !ids.includes(id));
  if (unknown.length > 0) throw new Error(`no bench workload ${unknown.map((u) => `'${u}'`).join(', ')} (known: ${ids.join(', ')})`);
  const log = options.log ?? ((line: string) => console.log(line));
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
  let peaks: Peaks | undefined;
  if (runnable.includes('wasm')) {
    log('measuring the machine\'s peaks (wasm SIMD loops, wasm and native matrix products)');
    await tf.setBackend('wasm');
    peaks = await measurePeaks({ quick: options.quick, torch: !torchReason });
  }
  const ctx: BenchContext = { quick: options.quick ?? false, profile: options.profile ?? false, log, backends: runnable, torchUnavailable: torchReason };
  const skip = new Set([...(options.skip ?? []), ...(options.grading === false ? ['grading'] : [])]);
  const measurements: Measurement[] = [];
  let grading: GradingThroughput | undefined;
  for (const w of benchWorkloads()) {
    if (skip.has(w.id) || (options.only != null && !options.only.includes(w.id))) continue;
    const r = await w.run(ctx);
    measurements.push(...r.measurements);
    grading = r.grading ?? grading;
  }
  await tf.setBackend(info.backend);
  return {
    grading,
    peaks,
    machine: { cpus: os.cpus()[0]?.model ?? 'unknown', cores: os.cpus().length, node: process.version, tfjs: tf.version.tfjs, wasmThreads: wasmThreadCount() },
    backends,
    measurements,
    torch: torchReason ? `skipped: ${torchReason}` : `PyTorch ${torchVersion} (best of 1 and 2 threads; BLAS ${blas!.library}${blas!.optimised ? '' : ', the reference BLAS: install libopenblas0-pthread'})`,
  };
}

/** The machine-readable summary `--json FILE` writes: one entry per measurement. */
export function reportJson(report: BenchReport): { machine: BenchReport['machine']; torch: string; peaks?: Peaks; workloads: { name: string; backend: string; measure: string; tfjs_ms: number; torch_ms: number | null; ratio: number | null; tfjs_gflops: number | null; torch_gflops: number | null; rss_mb: number | null; top_kernels?: [string, number][] }[]; grading?: BenchReport['grading'] } {
  return {
    machine: report.machine,
    torch: report.torch,
    ...(report.peaks ? { peaks: report.peaks } : {}),
    workloads: report.measurements.map((m) => ({
      name: `${m.workload}: ${m.kind}`, backend: m.backend, measure: m.kind, tfjs_ms: m.ms, torch_ms: m.torchMs ?? null,
      ratio: m.torchMs != null ? m.ms / m.torchMs : null,
      tfjs_gflops: m.flops != null ? gflops(m.flops, m.ms) : null, torch_gflops: m.flops != null && m.torchMs != null ? gflops(m.flops, m.torchMs) : null,
      rss_mb: m.rssMb ?? null, ...(m.topKernels ? { top_kernels: m.topKernels } : {}),
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
    ...(report.peaks ? [`peaks (GFLOP/s): wasm SIMD mul+add loop ${report.peaks.wasmSimd1.toFixed(1)} on 1 thread, ${report.peaks.wasmSimdAll.toFixed(1)} on ${report.peaks.cores}; ` +
      (report.peaks.wasmFma1 != null ? `relaxed SIMD FMA loop ${report.peaks.wasmFma1.toFixed(1)} on 1 thread, ${(report.peaks.wasmFmaAll ?? NaN).toFixed(1)} on ${report.peaks.cores}; ` : 'relaxed SIMD FMA: not available here; ') +
      `wasm matrix product (XNNPACK, 1024^2) ${report.peaks.wasmGemm.toFixed(1)}` +
      (report.peaks.nativeGemm1 != null ? `; native matrix product (PyTorch's BLAS, 2048^2) ${report.peaks.nativeGemm1.toFixed(1)} on 1 thread, ${(report.peaks.nativeGemm2 ?? NaN).toFixed(1)} on 2` : '')] : []),
    '',
    '| workload (32x32x3 images; batch 64 unless named) | backend | measure | tfjs ms | PyTorch ms | ratio | tfjs GFLOP/s | PyTorch GFLOP/s | RSS MB |',
    '|---|---|---|---:|---:|---:|---:|---:|---:|',
  ];
  for (const m of report.measurements) {
    const g = (ms: number | undefined) => (m.flops != null && ms != null ? gflops(m.flops, ms).toFixed(1) : '-');
    lines.push(`| ${m.workload} | ${m.backend} | ${m.kind} | ${m.ms.toFixed(1)} | ${m.torchMs != null ? m.torchMs.toFixed(1) : '-'} | ${m.torchMs != null ? (m.ms / m.torchMs).toFixed(1) + 'x' : '-'} | ${g(m.ms)} | ${g(m.torchMs)} | ${m.rssMb != null ? m.rssMb.toFixed(0) : '-'} |`);
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
    for (const x of gr.oneSubmission ?? []) lines.push(`  one submission of ${x.assignment} alone (full marks ${x.score}/${x.max}): ${x.seconds.toFixed(1)} s${x.seconds > 60 ? ' (over the 60 s bar)' : ''}`);
  }
  return lines.join('\n');
}
