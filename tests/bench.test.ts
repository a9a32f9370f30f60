/**
 * The benchmark: its workloads are the files of lib/bench/workloads/ (each PyTorch script beside its
 * workload); the report's --json shape, ratios from the same run, the reason PyTorch is skipped.
 */
import * as fs from 'fs';
import * as path from 'path';
import { benchWorkloads, formatReport, reportJson, torchUnavailable, BenchReport } from '../lib/bench/benchmark';

const report: BenchReport = {
  machine: { cpus: 'test CPU', cores: 2, node: 'v20', tfjs: '4.22.0', wasmThreads: 2 },
  backends: [{ name: 'wasm', status: 'measured' }],
  torch: 'PyTorch 1.13 (best of 1 and 2 threads)',
  peaks: { wasmSimd1: 27.1, wasmSimdAll: 53.9, wasmFma1: 38.5, wasmFmaAll: 76.0, cores: 2, wasmGemm: 40.2, nativeGemm1: 60.3, nativeGemm2: 118.5 },
  measurements: [
    { workload: 'pix2pix', backend: 'wasm, 2 XNNPACK threads', kind: 'pix2pix step (D + G)', ms: 500, torchMs: 125, flops: 10e9, rssMb: 800, topKernels: [['Conv2D', 100]] },
    { workload: 'shapes classifier', backend: 'wasm, 2 XNNPACK threads', kind: 'guided backprop, 1 image', ms: 8 },
  ],
};

test('--json: { machine, workloads: [{ name, tfjs_ms, torch_ms, ratio }] } with the ratio tfjs / PyTorch', () => {
  const json = reportJson(report);
  expect(json.machine.cores).toBe(2);
  expect(json.workloads).toHaveLength(2);
  expect(json.workloads[0]).toMatchObject({ name: 'pix2pix: pix2pix step (D + G)', tfjs_ms: 500, torch_ms: 125, ratio: 4, tfjs_gflops: 20, torch_gflops: 80, top_kernels: [['Conv2D', 100]] });
  expect(json.workloads[1]).toMatchObject({ tfjs_gflops: null });
  expect(json.peaks!.wasmSimdAll).toBe(53.9);
  expect(json.workloads[1]).toMatchObject({ torch_ms: null, ratio: null });
  expect(JSON.parse(JSON.stringify(json))).toEqual(json);
});

test('the table prints each ratio, RSS and, with --profile, the top kernels', () => {
  const text = formatReport(report);
  expect(text).toMatch(/\| pix2pix \| wasm, 2 XNNPACK threads \| pix2pix step \(D \+ G\) \| 500\.0 \| 125\.0 \| 4\.0x \| 20\.0 \| 80\.0 \| 800 \|/);
  expect(text).toMatch(/guided backprop, 1 image \| 8\.0 \| - \| - \| - \| - \| - \|/);
  expect(text).toMatch(/peaks \(GFLOP\/s\): wasm SIMD mul\+add loop 27\.1 on 1 thread, 53\.9 on 2; relaxed SIMD FMA loop 38\.5 on 1 thread, 76\.0 on 2; wasm matrix product \(XNNPACK, 1024\^2\) 40\.2; native matrix product \(PyTorch's BLAS, 2048\^2\) 60\.3 on 1 thread, 118\.5 on 2/);
  expect(text).toMatch(/top kernels[\s\S]*pix2pix, pix2pix step \(D \+ G\): Conv2D 100\.0/);
});

test('PyTorch is skipped with a reason when the interpreter or torch is missing', () => {
  expect(torchUnavailable('/nonexistent/python3')).toMatch(/does not exist/);
});

test('the workloads are the files of lib/bench/workloads/, each id its file name, each PyTorch script beside its workload', () => {
  const dir = path.join(__dirname, '..', 'lib', 'bench', 'workloads');
  const workloads = benchWorkloads();
  const files = fs.readdirSync(dir).filter((f) => f.endsWith('.ts')).map((f) => f.replace(/\.ts$/, ''));
  expect(workloads.map((w) => w.id).sort()).toEqual(files.sort());
  expect(workloads.map((w) => w.id)).toEqual(['classifiers', 'pix2pix', 'conditionalGans', 'styleLoss', 'styleTransfer', 'hourglass', 'segmentation', 'gemm', 'grading']);
  for (const f of files) {
    const scripts = [...fs.readFileSync(path.join(dir, `${f}.ts`), 'utf8').matchAll(/'([A-Za-z0-9_]+\.py)'/g)].map((m) => m[1]);
    for (const script of scripts) expect(script).toBe(`${f}.py`);
    if (scripts.length) expect(fs.existsSync(path.join(dir, `${f}.py`))).toBe(true);
  }
  // Every PyTorch script belongs to a workload.
  for (const py of fs.readdirSync(dir).filter((f) => f.endsWith('.py'))) expect(files).toContain(py.replace(/\.py$/, ''));
});

test('FLOP counts: a 3x3 conv 3->8 on 32x32 (same) is 2*32*32*8*9*3 per image, dense 10->5 is 100; a training step is 3x forward', () => {
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const tf = require('@tensorflow/tfjs');
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const { forwardFlops, trainStepFlops, gflops } = require('../lib/bench/flops');
  const inp = tf.input({ shape: [32, 32, 3] });
  const conv = tf.layers.conv2d({ filters: 8, kernelSize: 3, padding: 'same' }).apply(inp);
  const dense = tf.layers.dense({ units: 5 }).apply(tf.layers.dense({ units: 10 }).apply(tf.layers.globalAveragePooling2d({}).apply(conv)));
  const m = tf.model({ inputs: inp, outputs: dense });
  const expected = 2 * 32 * 32 * 8 * 9 * 3 + 2 * 8 * 10 + 2 * 10 * 5;
  expect(forwardFlops(m, 1)).toBe(expected);
  expect(trainStepFlops(m, 4)).toBe(3 * 4 * expected);
  expect(gflops(2e9, 100)).toBe(20);
  m.dispose();
});
