/**
 * Both cores for the wasm backend: tfjs's threaded wasm build (XNNPACK with a pthread pool)
 * loaded under Node.
 *
 * tfjs switches the threaded build off under Node (tfjs issue #3830): its flag
 * WASM_HAS_MULTITHREAD_SUPPORT answers false there, and the build's pthread workers are created from
 * `blob:` URLs, which Node's worker_threads rejects. The package ships the worker source and the main
 * script in wasm-out/, so here, for the duration of backend initialisation only:
 *  - the flag is set true and the XNNPACK pool size is set (setThreadsCount);
 *  - URL.createObjectURL returns lib/runtime/wasm/pthreadWorker.js for the worker's Blob;
 *  - os.cpus() reports 2 x threads cores: the build caps its pool at half of what emscripten
 *    reports as logical cores (meant for hyper-threads in browsers), which on a 2-core machine is 1.
 * The thread count comes from CVKIT_THREADS (default: every core, at most 8). Any failure falls
 * back to the single-threaded build with one printed line.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';

// The module object itself (emscripten calls require('os').cpus()), not an import wrapper's getters.
// eslint-disable-next-line @typescript-eslint/no-var-requires
const os = require('os') as { cpus: () => import('os').CpuInfo[] };

/** Threads requested for the backend: CVKIT_THREADS, else the core count capped at 8. */
export function requestedThreads(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.CVKIT_THREADS;
  if (raw != null && raw.trim() !== '') {
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 1) throw new Error(`CVKIT_THREADS=${raw} is not a positive integer`);
    return n;
  }
  return Math.max(1, Math.min(8, os.cpus().length));
}

/** The worker script (compiled; under ts-jest the sources have no .js, so dist/'s copy is used). */
export function pthreadWorkerPath(): string {
  const here = path.join(__dirname, 'pthreadWorker.js');
  if (fs.existsSync(here)) return here;
  const built = path.join(__dirname, '..', '..', '..', 'dist', 'lib', 'runtime', 'wasm', 'pthreadWorker.js');
  if (fs.existsSync(built)) return built;
  throw new Error(`pthreadWorker.js not found next to ${__dirname} nor in dist/ (run npm run build)`);
}

/** Why the threaded build cannot be tried here, or null. */
export function threadedBuildProblem(): string | null {
  try {
    const dir = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.js'));
    for (const f of ['tfjs-backend-wasm-threaded-simd.wasm', 'tfjs-backend-wasm-threaded-simd.worker.js']) {
      if (!fs.existsSync(path.join(dir, f))) return `${f} is missing from tfjs-backend-wasm/wasm-out`;
    }
    const worker = require(path.join(dir, 'tfjs-backend-wasm-threaded-simd.worker.js')) as { wasmWorkerContents?: unknown };
    if (typeof worker.wasmWorkerContents !== 'string') return 'tfjs-backend-wasm no longer exports wasmWorkerContents';
    pthreadWorkerPath();
    if (typeof SharedArrayBuffer === 'undefined') return 'no SharedArrayBuffer';
    return null;
  } catch (err) {
    return (err as Error).message.split('\n')[0];
  }
}

interface PThreadWorker { unref?(): void; loaded?: boolean }
interface PThreadRegistry {
  unusedWorkers: PThreadWorker[]; runningWorkers: PThreadWorker[]; allocateUnusedWorker(): void;
  loadWasmModuleToWorker(worker: PThreadWorker, onFinishedLoading?: () => void): void;
}

/** Emscripten's pthread registry of the active wasm backend (absent in the single-threaded build). */
function pthreadRegistry(): PThreadRegistry | undefined {
  return (tf.backend() as unknown as { wasm?: { PThread?: PThreadRegistry } }).wasm?.PThread;
}

/** Unreferences every pthread worker, so they never keep the process alive. */
function unrefAll(): void {
  const pthreads = pthreadRegistry();
  if (pthreads != null) [...pthreads.unusedWorkers, ...pthreads.runningWorkers].forEach((w) => w.unref?.());
}

/**
 * Lets the process exit while the pool's threads wait for work: emscripten keeps a reference on
 * each pthread worker under Node, so a script that finished would otherwise never end. Workers
 * the pool allocates later are unreferenced as they are made.
 */
function unrefPthreadWorkers(worker: string): void {
  const pthreads = pthreadRegistry();
  if (pthreads == null) return;
  unrefAll();
  const allocate = pthreads.allocateUnusedWorker.bind(pthreads);
  pthreads.allocateUnusedWorker = () => {
    withWorkerUrl(worker, allocate);
    unrefAll();
  };
}

/**
 * Makes URL.createObjectURL answer `worker` for a JavaScript Blob (tfjs's pthread worker) until the
 * returned function is called.
 */
function answerWorkerUrl(worker: string): () => void {
  const urls = URL as unknown as { createObjectURL(blob: unknown): string };
  const createObjectURL = urls.createObjectURL;
  urls.createObjectURL = (blob: unknown) => (blob instanceof Blob && /javascript/.test(blob.type) ? worker : createObjectURL(blob));
  return () => { urls.createObjectURL = createObjectURL; };
}

/** Runs `fn` while URL.createObjectURL answers `worker` for tfjs's pthread worker. */
function withWorkerUrl<T>(worker: string, fn: () => T): T {
  const restore = answerWorkerUrl(worker);
  try {
    return fn();
  } finally {
    restore();
  }
}

interface WasmModuleTfjs { initWithThreadsCount(n: number): void; getThreadsCount(): number }

function wasmModule(): WasmModuleTfjs | null {
  if (tf.getBackend() !== 'wasm') return null;
  return (tf.backend() as unknown as { wasm?: { tfjs?: WasmModuleTfjs } }).wasm?.tfjs ?? null;
}

/** Threads in the wasm backend's XNNPACK pool now (1 when wasm is not the backend). */
export function wasmThreadCount(): number {
  return wasmModule()?.getThreadsCount() ?? 1;
}

/**
 * Resizes the wasm backend's XNNPACK pool (at most the size it started with) and returns the
 * previous size. Used by data-parallel training, whose replicas are the parallelism: two
 * kernel-level threads beside a replica thread would oversubscribe the cores. Growing the pool back
 * makes a new pool (the old one's threads stay parked: one idle thread per regrowth).
 *
 * A pool takes its threads from emscripten's pre-started, loaded workers; one started on demand would
 * deadlock (creating the pool blocks the main thread, and a worker's "loaded" message can only be
 * handled there). Each regrowth uses up `threads - 1` of them, so every shrink starts loading that many
 * again in the background (the replicas' training gives them seconds to load). Without that, the
 * build's 8 pre-started workers ran out after seven shrink/regrow cycles (a bench run with several
 * replica rows) and wasm stayed on one thread for the rest of the process.
 */
export function setWasmThreads(threads: number): number {
  const m = wasmModule();
  if (m == null) return 1;
  const previous = m.getThreadsCount();
  const target = Math.max(1, Math.min(threads, startedWith));
  if (target === previous) return previous;
  const pthreads = pthreadRegistry();
  if (target > 1 && (pthreads == null || loadedWorkers(pthreads) < target - 1)) {
    if (!warnedNoWorkers) console.log(`[cvkit] wasm stays on ${previous} thread(s): no loaded pthread worker left to grow its pool`);
    warnedNoWorkers = true;
    return previous;
  }
  // emscripten takes workers from the end of the list: the loaded ones go last.
  if (pthreads != null) pthreads.unusedWorkers.sort((a, b) => Number(!!a.loaded) - Number(!!b.loaded));
  m.initWithThreadsCount(target);
  unrefAll();
  if (target < startedWith && pthreads != null) prestartWorkers(pthreads, startedWith - 1);
  return previous;
}

/** Unused pthread workers that finished loading the wasm module (a pool can start on these). */
function loadedWorkers(pthreads: PThreadRegistry): number {
  return pthreads.unusedWorkers.filter((w) => w.loaded).length;
}

/** Starts loading unused pthread workers until `count` are unused (loaded or loading). */
function prestartWorkers(pthreads: PThreadRegistry, count: number): void {
  while (pthreads.unusedWorkers.length < count) {
    pthreads.allocateUnusedWorker(); // unrefPthreadWorkers' wrapper: our worker script, unreferenced
    pthreads.loadWasmModuleToWorker(pthreads.unusedWorkers[pthreads.unusedWorkers.length - 1]);
  }
}

let warnedNoWorkers = false;

/** The pool size the backend started with. */
let startedWith = 1;

interface WasmPackage { setThreadsCount(n: number): void; getThreadsCount(): number }

/**
 * Initialises tfjs's wasm backend with `threads` XNNPACK threads (1: the single-threaded build).
 * Resolves to the thread count in use and, when it fell back to one thread, why.
 */
export async function initWasmBackend(wasm: WasmPackage, threads: number, timeoutMs = 60000): Promise<{ threads: number; fallback?: string }> {
  if (threads > 1) {
    const problem = threadedBuildProblem();
    if (problem == null) {
      const cpus = os.cpus;
      const worker = pthreadWorkerPath();
      tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', true);
      wasm.setThreadsCount(threads);
      const restoreUrl = answerWorkerUrl(worker);
      const one = cpus()[0];
      os.cpus = () => Array.from({ length: 2 * threads }, () => one);
      let timer: NodeJS.Timeout | undefined;
      try {
        const ok = await Promise.race([
          tf.setBackend('wasm'),
          new Promise<boolean>((_, reject) => { timer = setTimeout(() => reject(new Error(`no answer in ${timeoutMs / 1000} s`)), timeoutMs); }),
        ]);
        if (ok && wasm.getThreadsCount() > 1) {
          unrefPthreadWorkers(worker);
          startedWith = wasm.getThreadsCount();
          return { threads: startedWith };
        }
        throw new Error(ok ? `the pool has ${wasm.getThreadsCount()} thread` : 'initialisation failed');
      } catch (err) {
        // The engine keeps the factory: the next setBackend runs it again, now single-threaded.
        return { ...(await initSingle()), fallback: `threaded wasm build did not start (${(err as Error).message.split('\n')[0]})` };
      } finally {
        clearTimeout(timer);
        restoreUrl();
        os.cpus = cpus;
      }
    }
    return { ...(await initSingle()), fallback: `threaded wasm build unavailable (${problem})` };
  }
  return initSingle();

  async function initSingle(): Promise<{ threads: number }> {
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
    if (!(await tf.setBackend('wasm'))) throw new Error('wasm backend failed to initialise');
    return { threads: 1 };
  }
}
