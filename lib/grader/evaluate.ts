/**
 * The grading kernel's side of the grader's calls (lib/grader/remote.ts): a table of objects by id,
 * filled by small expressions the grader sends — a notebook name, a kit export, a call, a method
 * call, a property, a construction, a gradient — and read back as values.
 *
 * This is the whole interface between hidden tests and student code: the hidden tests themselves,
 * their expected values and their verdicts stay in the grader's process; the kernel only ever sees
 * which of its own functions to call on which inputs. A request (one hidden test's step):
 *   { defs: [{ id, expr }], fetch?: id, release?: true }
 * where expr is one of
 *   { global: name }                       a top-level name of the notebook
 *   { kit: "tf.layers.conv2d" }            an export of the kit (cv-course-kit), by path
 *   { literal: encoded }                   a value (tensors become tf tensors; {$r} refers to the table)
 *   { call: id, args: encoded[] }          table[id](...args)
 *   { invoke: id, method, args }           table[id][method](...args)
 *   { get: id, key }                       table[id][key]
 *   { construct: id, args }                new table[id](...args)
 *   { vjp: id, args, wrt: number[], dy? }  gradients of sum(table[id](...args) * dy) w.r.t. args[wrt]
 *   { tensorCount: true }                  tf.memory().numTensors
 * Promises are awaited. `fetch` returns the encoded value of one entry; `release` empties the table
 * (after each hidden test). Nothing is disposed: a student's code may keep what it was given.
 */
import * as tf from '@tensorflow/tfjs';
import { decodeValue, encodeValue, materialize } from './values';

type Expr =
  | { global: string } | { kit: string } | { literal: unknown }
  | { call: number; args?: unknown[] } | { invoke: number; method: string; args?: unknown[] }
  | { get: number; key: string | number } | { construct: number; args?: unknown[] }
  | { vjp: number; args?: unknown[]; wrt: number[]; dy?: unknown } | { tensorCount: true };

interface Request { defs?: { id: number; expr: Expr }[]; fetch?: number; release?: boolean }

const describe = (e: Expr): string => {
  if ('global' in e) return e.global;
  if ('kit' in e) return e.kit;
  if ('invoke' in e) return `.${e.method}()`;
  if ('get' in e) return `.${String(e.key)}`;
  if ('vjp' in e) return 'the gradient';
  if ('construct' in e) return 'new';
  if ('call' in e) return 'the call';
  return 'a value';
};

/** The evaluator for one kernel; `locals` are the notebook's top-level names (tslab's executor.locals). */
export function createEvaluator(locals: Record<string, unknown>): (request: unknown) => Promise<{ ok: boolean; value?: unknown; error?: string }> {
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const kit = require('../index') as Record<string, unknown>;
  const table = new Map<number, unknown>();
  const lookup = (id: unknown): unknown => {
    if (typeof id !== 'number' || !table.has(id)) throw new Error(`unknown reference ${String(id)}`);
    return table.get(id);
  };
  const args = (list: unknown[] | undefined) => (list ?? []).map((a) => materialize(decodeValue(a), lookup));

  async function evaluate(e: Expr): Promise<unknown> {
    if ('global' in e) {
      if (!Object.prototype.hasOwnProperty.call(locals, e.global)) throw new Error(`the notebook does not define \`${e.global}\` (run the cell that defines it, and keep its name)`);
      return locals[e.global];
    }
    if ('kit' in e) {
      let v: unknown = kit;
      for (const part of e.kit.split('.')) {
        if (v == null || !Object.prototype.hasOwnProperty.call(v, part) && !(part in Object(v))) throw new Error(`the kit has no ${e.kit}`);
        v = (v as Record<string, unknown>)[part];
      }
      return v;
    }
    if ('literal' in e) return materialize(decodeValue(e.literal), lookup);
    if ('tensorCount' in e) return tf.memory().numTensors;
    if ('get' in e) return (Object(lookup(e.get)) as Record<string | number, unknown>)[e.key];
    if ('invoke' in e) {
      const target = lookup(e.invoke) as Record<string, unknown>;
      const fn = target?.[e.method];
      if (typeof fn !== 'function') throw new Error(`${e.method} is not a method of the object`);
      return await (fn as (...a: unknown[]) => unknown).apply(target, args(e.args));
    }
    if ('construct' in e) {
      const C = lookup(e.construct);
      if (typeof C !== 'function') throw new Error('not a class');
      return new (C as new (...a: unknown[]) => unknown)(...args(e.args));
    }
    if ('call' in e) {
      const fn = lookup(e.call);
      if (typeof fn !== 'function') throw new Error(`${typeof fn === 'undefined' ? 'undefined' : 'the value'} is not a function`);
      return await (fn as (...a: unknown[]) => unknown)(...args(e.args));
    }
    if ('vjp' in e) {
      const fn = lookup(e.vjp) as (...a: unknown[]) => tf.Tensor;
      if (typeof fn !== 'function') throw new Error('not a function');
      const all = args(e.args);
      const dy = e.dy === undefined ? undefined : materialize(decodeValue(e.dy), lookup) as tf.Tensor;
      const wrt = e.wrt.map((i) => {
        if (!(all[i] instanceof tf.Tensor)) throw new Error(`argument ${i} is not a tensor`);
        return all[i] as tf.Tensor;
      });
      return tf.tidy(() => tf.grads((...xs: tf.Tensor[]) => {
        const full = all.slice();
        e.wrt.forEach((i, j) => { full[i] = xs[j]; });
        const y = fn(...full);
        if (!(y instanceof tf.Tensor)) throw new Error(`the function returned ${typeof y}, not a tensor`);
        return (dy ? tf.sum(tf.mul(y, dy)) : tf.sum(y)) as tf.Scalar;
      })(wrt));
    }
    throw new Error('an unknown request');
  }

  return async (raw: unknown) => {
    const request = raw as Request;
    if (!request || typeof request !== 'object') return { ok: false, error: 'a malformed request' };
    if (request.release) {
      table.clear();
      return { ok: true };
    }
    for (const def of request.defs ?? []) {
      try {
        table.set(def.id, await evaluate(def.expr));
      } catch (err) {
        const text = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
        return { ok: false, error: `${describe(def.expr)}: ${text.slice(0, 1000)}` };
      }
    }
    if (request.fetch === undefined) return { ok: true };
    try {
      return { ok: true, value: encodeValue(lookup(request.fetch)) };
    } catch (err) {
      return { ok: false, error: `the result cannot be read: ${(err as Error).message}` };
    }
  };
}
