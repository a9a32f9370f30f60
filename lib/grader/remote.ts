/**
 * Hidden tests run in the grader's process and reach into the student's kernel only through this:
 * references to the notebook's functions and the kit's exports, calls on inputs the test chooses,
 * and values read back (the kernel's side: lib/grader/evaluate.ts). A hidden test file
 * (assignments/<id>/source/hidden/<question>.ts) exports its cases:
 *
 *   import { grader } from "cv-course-kit";
 *   export default grader.hiddenTests({
 *     "dense without bias": (k) => k.call("denseParams", 7, 3, false),
 *     "another layer": { points: 2, atol: 1e-4, value: async (k) => {
 *       const model = k.fixture("shapes-classifier");               // loaded fresh in the kernel
 *       const x = k.kit("datasets.imagesTensor").call(k.kit("datasets.generateShapes").call({ count: 8, seed: 3 }));
 *       return k.global("mySaliency").call(model, x, [0, 1, 2, 3, 4, 0, 1, 2]).value();
 *     } },
 *   });
 *
 * A case returns a value; the grader compares it with the value the same case returned on the
 * reference solution (recorded by `cvkit assign` in the manifest) — or, with a `judge` (a number
 * computed here, in the grader, from what the kernel returned), against the judge's bar. The test's
 * code, its expected values and its verdict never enter the kernel.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as vm from 'vm';
import { CompareOptions } from './compare';
import { Encoded, Value, TensorValue, encodeValue, decodeValue } from './values';
import { RpcReply } from '../notebook/kernel';
import { projectRoot } from '../runtime/paths';
import { KIT_MODULE_NAME } from '../notebook/kitModule';

/** An error raised by the student's code (or the kernel) while a hidden test ran. */
export class RemoteError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RemoteError';
  }
}

type Expr = Record<string, unknown>;

/** An object in the kernel, made when first needed. */
export class RemoteRef {
  constructor(private readonly remote: Remote, readonly id: number) {}
  /** this[key] */
  get(key: string | number): RemoteRef { return this.remote.define({ get: this.id, key }); }
  /** this(...args) */
  call(...args: unknown[]): RemoteRef { return this.remote.define({ call: this.id, args: this.remote.encodeArgs(args) }); }
  /** this[method](...args) */
  invoke(method: string, ...args: unknown[]): RemoteRef { return this.remote.define({ invoke: this.id, method, args: this.remote.encodeArgs(args) }); }
  /** new this(...args) */
  construct(...args: unknown[]): RemoteRef { return this.remote.define({ construct: this.id, args: this.remote.encodeArgs(args) }); }
  /** Evaluates what this depends on and reads it as a value (numbers, arrays, tensors as TensorValue...). */
  value<T = Value>(): Promise<T> { return this.remote.fetch(this.id) as Promise<T>; }
  /** Evaluates it without reading it (a call made for its effect). */
  async run(): Promise<void> { await this.remote.flush(); }
}

/** A hidden test's handle on the kernel. */
export class Remote {
  private next = 1;
  private pending: { id: number; expr: Expr }[] = [];
  private failed: string | null = null;
  /** Requests go to the kernel one at a time (a test may await several values at once). */
  private queue: Promise<unknown> = Promise.resolve();

  /**
   * `send` carries a request to the kernel; `seed(label)` gives the test a seed the kernel never sees
   * (stable for the same submission in the same gradebook), for inputs it generates itself.
   */
  constructor(private readonly send: (request: object) => Promise<RpcReply>, private readonly seedFor: (label: string) => number = () => 0) {}

  /** A seed for this test's own inputs, secret from the kernel (e.g. images whose truth the test keeps). */
  secretSeed(label: string): number { return this.seedFor(label); }

  /** A top-level name of the notebook (a function, a class, a constant the student defined). */
  global(name: string): RemoteRef { return this.define({ global: name }); }
  /** An export of the kit inside the kernel, by path: "tf.layers.dense", "explain.captureLayer". */
  kit(pathInKit: string): RemoteRef { return this.define({ kit: pathInKit }); }
  /** A value made in the kernel from data (tensors become tf tensors there). */
  literal(value: unknown): RemoteRef { return this.define({ literal: this.encode(value) }); }
  /** A model of datasets/weights/<name>, loaded fresh in the kernel for this test (never the notebook's own copy). */
  fixture(name: string): RemoteRef {
    return this.kit('runtime.loadModel').call(this.kit('runtime.projectPath').call('datasets', 'weights', name));
  }
  /** Gradients of sum(fn(...args) * dy) with respect to args[wrt] (dy: ones when omitted); the value is one tensor per wrt. */
  vjp(fn: RemoteRef | string, args: unknown[], wrt: number | number[], dy?: unknown): RemoteRef {
    const f = typeof fn === 'string' ? this.global(fn) : fn;
    return this.define({ vjp: f.id, args: this.encodeArgs(args), wrt: Array.isArray(wrt) ? wrt : [wrt], dy: dy === undefined ? undefined : this.encode(dy) });
  }
  /** Sets every weight of the layers of class `className` (e.g. "Conv2D") of a model in the kernel to zero. */
  async zeroWeights(model: RemoteRef, className: string): Promise<void> {
    const layers = model.get('layers');
    const n = await layers.get('length').value<number>();
    for (let i = 0; i < n; i++) {
      const layer = layers.get(i);
      if ((await layer.invoke('getClassName').value()) !== className) continue;
      const weights = await layer.invoke('getWeights').value<TensorValue[]>();
      await layer.invoke('setWeights', weights.map((w) => this.tensor(new Float32Array(w.data.length), w.shape))).run();
    }
  }
  /** tf.memory().numTensors in the kernel. */
  tensorCount(): Promise<number> { return this.define({ tensorCount: true }).value<number>(); }
  /** Calls the notebook's function `name` and reads the result. */
  call(name: string, ...args: unknown[]): Promise<Value> { return this.global(name).call(...args).value(); }
  /** A tensor value to pass as an argument: data (row-major) and shape. */
  tensor(data: ArrayLike<number>, shape: number[], dtype: 'float32' | 'int32' = 'float32'): TensorValue {
    const typed = dtype === 'int32' ? Int32Array.from(data) : Float32Array.from(data);
    const size = shape.reduce((a, b) => a * b, 1);
    if (size !== typed.length) throw new Error(`tensor(): ${typed.length} values for shape [${shape.join(', ')}]`);
    return { kind: 'tensor', dtype, shape, data: typed };
  }

  /** @internal */
  define(expr: Expr): RemoteRef {
    const id = this.next++;
    this.pending.push({ id, expr });
    return new RemoteRef(this, id);
  }

  /** @internal */
  encodeArgs(args: unknown[]): Encoded[] { return args.map((a) => this.encode(a)); }

  private encode(value: unknown): Encoded {
    return encodeValue(value, (object) => {
      if (object instanceof RemoteRef) return object.id;
      throw new Error('only data and references can be passed to the kernel');
    });
  }

  /** @internal Sends what is pending (and reads `fetch`), after the requests before it. */
  flush(fetch?: number): Promise<unknown> {
    const run = async () => {
      if (this.failed) throw new RemoteError(this.failed);
      const defs = this.pending;
      this.pending = [];
      const reply = await this.send({ defs, fetch });
      if (!reply.ok) {
        this.failed = reply.error ?? 'the kernel failed';
        throw new RemoteError(this.failed);
      }
      return reply.value;
    };
    const result = this.queue.then(run, run);
    this.queue = result.catch(() => undefined);
    return result;
  }

  /** @internal */
  async fetch(id: number): Promise<Value> {
    return decodeValue(await this.flush(id));
  }

  /** Ends the test: the kernel forgets its references. */
  async release(): Promise<void> {
    await this.queue;
    this.pending = [];
    await this.send({ release: true });
  }
}

/** One hidden test: its value (computed through the kernel) and how the grader judges it. */
export interface HiddenCase extends CompareOptions {
  points?: number;
  value: (k: Remote) => unknown;
  /**
   * Judge a number the test computed itself, here, from what the kernel returned (e.g. an accuracy
   * on inputs the test generated): it must be at least / at most this. Without a judge, the value is
   * compared with the reference solution's.
   */
  atLeast?: number;
  atMost?: number;
}
export type HiddenCases = Record<string, HiddenCase | ((k: Remote) => unknown)>;

/** Declares a hidden test file's cases (an identity that gives them their type). */
export function hiddenTests(cases: HiddenCases): HiddenCases {
  return cases;
}

/** The cases, normalised. */
export function hiddenCaseList(cases: HiddenCases): { name: string; spec: HiddenCase }[] {
  return Object.keys(cases).map((name) => {
    const c = cases[name];
    return { name, spec: typeof c === 'function' ? { value: c } : c };
  });
}

/**
 * Compiles and loads a hidden test file (TypeScript, run in the grader's process: it is the author's
 * code). `cv-course-kit` resolves to this kit.
 */
export function loadHiddenTests(file: string, source = fs.readFileSync(file, 'utf8')): HiddenCases {
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const ts = require('@tslab/typescript-for-tslab');
  const js = ts.transpileModule(source, { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2020, esModuleInterop: true }, fileName: file }).outputText as string;
  const root = projectRoot();
  const localRequire = (request: string) => {
    if (request === KIT_MODULE_NAME) return require(path.join(root, 'dist', 'lib', 'index.js'));
    if (request.startsWith(KIT_MODULE_NAME + '/')) return require(path.join(root, request.slice(KIT_MODULE_NAME.length + 1)));
    return require(request);
  };
  const module = { exports: {} as Record<string, unknown> };
  vm.runInThisContext(`(function (exports, require, module, __filename, __dirname) {${js}\n})`, { filename: file })(module.exports, localRequire, module, file, path.dirname(file));
  const cases = (module.exports.default ?? module.exports) as HiddenCases;
  if (!cases || typeof cases !== 'object') throw new Error(`${file}: export default grader.hiddenTests({ ... })`);
  for (const { name, spec } of hiddenCaseList(cases)) if (typeof spec.value !== 'function') throw new Error(`${file}: the case '${name}' has no value function`);
  return cases;
}
