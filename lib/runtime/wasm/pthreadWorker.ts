/**
 * The pthread worker of tfjs's threaded wasm build, made loadable by Node's worker_threads
 * (see lib/runtime/wasm/threads.ts). tfjs hands emscripten `blob:` URLs for the worker and for the
 * main script; Node cannot start a Worker from a blob: URL nor import one. This file is the worker:
 * it points the main-script "blob" at the package's own file and then runs the worker source the
 * package ships (wasm-out/tfjs-backend-wasm-threaded-simd.worker.js exports it as a string).
 */
import * as path from 'path';

const dir = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.js'));
const mainScript = path.join(dir, 'tfjs-backend-wasm-threaded-simd.js');
const urls = URL as unknown as { createObjectURL(blob: unknown): string; revokeObjectURL(url: string): void };
urls.createObjectURL = () => mainScript;
urls.revokeObjectURL = () => undefined;
const { wasmWorkerContents } = require(path.join(dir, 'tfjs-backend-wasm-threaded-simd.worker.js')) as { wasmWorkerContents: string };
// tfjs escapes newlines the same way before putting this source in a Blob.
new Function('require', '__filename', wasmWorkerContents.replace(/\n/g, '\\n'))(require, __filename);
