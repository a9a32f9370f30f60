/**
 * The wasm kernels are one table (lib/runtime/wasm/kernels/index.ts): registering it replaces or
 * adds exactly its kernels on wasm, and docs/design.md's table is the one it renders.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { registerWasmTrainingKernels, WASM_KERNELS, WASM_TRAINING_KERNELS, wasmKernelTableMarkdown } from '../lib/runtime/wasm/kernels';

test("registering the table puts the kit's kernel in place of each row's (missing or stock) wasm kernel, and no other", () => {
  const names = tf.getKernelsForBackend('wasm').map((k) => k.kernelName);
  const before = new Map(tf.getKernelsForBackend('wasm').map((k) => [k.kernelName, k.kernelFunc]));
  expect(WASM_TRAINING_KERNELS).toEqual(WASM_KERNELS.map((k) => k.kernel));
  expect(new Set(WASM_TRAINING_KERNELS).size).toBe(WASM_TRAINING_KERNELS.length);
  for (const k of WASM_KERNELS) expect({ kernel: k.kernel, stockExists: before.has(k.kernel) }).toEqual({ kernel: k.kernel, stockExists: k.kind === 'replaces' });
  registerWasmTrainingKernels('wasm');
  const after = new Map(tf.getKernelsForBackend('wasm').map((k) => [k.kernelName, k.kernelFunc]));
  const changed = [...after.keys()].filter((name) => after.get(name) !== before.get(name)).sort();
  expect(changed).toEqual([...WASM_TRAINING_KERNELS].sort());
  expect(names.length + WASM_KERNELS.filter((k) => k.kind === 'missing').length).toBe(after.size);
  // Idempotent: a second registration wraps nothing twice (overrides keep the stock kernel they replaced).
  registerWasmTrainingKernels('wasm');
  expect(tf.getKernelsForBackend('wasm').length).toBe(after.size);
});

test("docs/design.md's wasm kernel table is the one the table renders", () => {
  const doc = fs.readFileSync(path.join(__dirname, '..', 'docs', 'design.md'), 'utf8');
  const m = /<!-- wasm-kernels:begin[^>]*-->\n([\s\S]*?)\n<!-- wasm-kernels:end -->/.exec(doc);
  expect(m).not.toBeNull();
  // On failure: paste the expected text between the markers (or run the command docs/design.md names).
  expect(m![1]).toBe(wasmKernelTableMarkdown());
});
