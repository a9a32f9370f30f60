/**
 * Choosing the tfjs backend.
 *
 * Order: @tensorflow/tfjs-node-gpu (CUDA) > @tensorflow/tfjs-node > wasm (XNNPACK, SIMD) > cpu
 * (pure JS, a last resort: hundreds of times slower to train than wasm; measured: docs/design.md, "Benchmark").
 * `CVKIT_BACKEND=gpu|node|wasm|cpu` forces one. tfjs-node(-gpu) are optional peer dependencies:
 * they are used when installed and working, never required. The choice is printed once.
 */
import * as tf from '@tensorflow/tfjs';
import { registerWasmTrainingKernels } from './wasm/kernels';
import { registerFastGradients } from './gradients';
import { initWasmBackend, requestedThreads } from './wasm/threads';

export type BackendChoice = 'gpu' | 'node' | 'wasm' | 'cpu';

export interface RuntimeInfo {
  /** What was chosen: one of BackendChoice. */
  choice: BackendChoice;
  /** tfjs's own backend name ('tensorflow', 'wasm' or 'cpu'). */
  backend: string;
  /** Why earlier candidates were skipped, for the curious. */
  skipped: string[];
  /** For wasm: whether SIMD is used and how many threads run. */
  detail: string;
}

const ORDER: BackendChoice[] = ['gpu', 'node', 'wasm', 'cpu'];

let ready: Promise<RuntimeInfo> | null = null;

function requireOptional(name: string): unknown {
  // A plain require with a computed name: bundlers and tsc leave it alone, and a missing
  // optional package is an ordinary exception here.
  const req = require;
  return req(name);
}

/** XNNPACK threads for the wasm backend when it starts (null: CVKIT_THREADS or every core). */
let wasmThreads: number | null = null;

async function tryBackend(choice: BackendChoice): Promise<{ backend: string; detail: string }> {
  switch (choice) {
    case 'gpu':
    case 'node': {
      const pkg = choice === 'gpu' ? '@tensorflow/tfjs-node-gpu' : '@tensorflow/tfjs-node';
      requireOptional(pkg);
      if (tf.findBackend('tensorflow') == null) {
        throw new Error(`${pkg} loaded but registered no backend with this copy of tfjs-core (two copies installed?)`);
      }
      if (!(await tf.setBackend('tensorflow'))) throw new Error(`${pkg}: backend failed to initialise`);
      return { backend: 'tensorflow', detail: choice === 'gpu' ? 'CUDA' : 'libtensorflow CPU' };
    }
    case 'wasm': {
      const wasm = requireOptional('@tensorflow/tfjs-backend-wasm') as { setThreadsCount(n: number): void; getThreadsCount(): number };
      registerWasmTrainingKernels('wasm');
      const { threads, fallback } = await initWasmBackend(wasm, wasmThreads ?? requestedThreads());
      if (fallback) console.log(`[cvkit] wasm runs on 1 thread: ${fallback}`);
      const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
      return { backend: 'wasm', detail: `${simd ? 'SIMD' : 'no SIMD'}, ${threads} thread${threads === 1 ? '' : 's'}` };
    }
    case 'cpu':
      if (!(await tf.setBackend('cpu'))) throw new Error('cpu backend failed to initialise');
      return { backend: 'cpu', detail: 'pure JavaScript' };
  }
}

/** Reads CVKIT_BACKEND; throws on a value that is not a backend. */
export function requestedBackend(env: NodeJS.ProcessEnv = process.env): BackendChoice | null {
  const raw = (env.CVKIT_BACKEND ?? '').trim().toLowerCase();
  if (raw === '') return null;
  if ((ORDER as string[]).includes(raw)) return raw as BackendChoice;
  throw new Error(`CVKIT_BACKEND=${raw} is not one of ${ORDER.join(', ')}`);
}

/**
 * Picks and initialises the backend once per process; later calls return the same result.
 * With `quiet: false` (the default) prints one line naming the backend. `wasmThreads` sets the size
 * of the wasm backend's thread pool (default CVKIT_THREADS, else every core; see wasm/threads.ts).
 */
export function initRuntime(options: { quiet?: boolean; wasmThreads?: number } = {}): Promise<RuntimeInfo> {
  if (ready == null) {
    if (options.wasmThreads != null) wasmThreads = options.wasmThreads;
    ready = (async () => {
      registerFastGradients();
      const forced = requestedBackend();
      const candidates = forced ? [forced] : ORDER;
      const skipped: string[] = [];
      for (const choice of candidates) {
        try {
          const { backend, detail } = await tryBackend(choice);
          const info: RuntimeInfo = { choice, backend, skipped, detail };
          if (!options.quiet && !process.env.CVKIT_QUIET) {
            console.log(`[cvkit] tfjs backend: ${choice} (${detail})${forced ? ' — forced by CVKIT_BACKEND' : ''}`);
          }
          return info;
        } catch (err) {
          skipped.push(`${choice}: ${(err as Error).message.split('\n')[0]}`);
          if (forced) throw new Error(`CVKIT_BACKEND=${forced} could not start: ${(err as Error).message}`);
        }
      }
      throw new Error(`no tfjs backend could start:\n${skipped.join('\n')}`);
    })();
    ready.catch(() => { ready = null; });
  }
  return ready;
}

/** The tfjs namespace the kit uses (one copy of tfjs-core: see tests/runtime.test.ts). */
export { tf };
