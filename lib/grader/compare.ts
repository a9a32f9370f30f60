/**
 * The one comparison of a computed value with an expected one, used in the notebook (a student's
 * `grading.tests` feedback) and in the grader (the score): the same rule gives the same verdict.
 *
 * Numbers, nested number arrays, typed arrays and tensors compare elementwise:
 * |actual - expected| <= atol + rtol * |expected| ('close', default atol 1e-5, rtol 1e-4) or exactly
 * ('equal'); NaN matches only NaN; shapes must agree (a flat array may stand for any shape of the same
 * size). Strings, booleans, null and undefined compare with ===; arrays and plain objects
 * element by element / key by key. A message for a hidden test never quotes an expected value.
 */
import { Value, TensorValue, isTensorValue, describeValue } from './values';

export interface CompareOptions {
  mode?: 'close' | 'equal';
  atol?: number;
  rtol?: number;
}

export interface Verdict { passed: boolean; message: string }

interface Numeric { values: ArrayLike<number>; shape: number[]; loose: boolean }

/** Numbers of a value with its shape, or null when it is not all numbers. */
function numeric(v: Value): Numeric | null {
  if (typeof v === 'number') return { values: [v], shape: [], loose: false };
  if (isTensorValue(v)) return { values: (v as TensorValue).data, shape: (v as TensorValue).shape, loose: false };
  if (ArrayBuffer.isView(v)) return { values: v as unknown as ArrayLike<number>, shape: [(v as unknown as ArrayLike<number>).length], loose: true };
  if (!Array.isArray(v)) return null;
  const out: number[] = [];
  let shape: number[] | null = null;
  const walk = (x: Value, depth: number, dims: number[]): boolean => {
    if (typeof x === 'number') {
      if (shape == null) shape = dims.slice(0, depth);
      else if (shape.length !== depth) shape = [];
      out.push(x);
      return true;
    }
    if (isTensorValue(x) || ArrayBuffer.isView(x)) {
      const inner = numeric(x)!;
      for (let i = 0; i < inner.values.length; i++) out.push(inner.values[i]);
      const full = [...dims.slice(0, depth), ...inner.shape];
      if (shape == null) shape = full; else if (shape.join() !== full.join()) shape = [];
      return true;
    }
    if (!Array.isArray(x)) return false;
    const d = [...dims.slice(0, depth), x.length];
    for (const y of x) if (!walk(y, depth + 1, d)) return false;
    if (x.length === 0 && shape == null) shape = d;
    return true;
  };
  if (!walk(v, 0, [])) return null;
  const s: number[] = shape ?? [0];
  const size = s.reduce((a, b) => a * b, 1);
  return { values: out, shape: size === out.length ? s : [out.length], loose: size !== out.length };
}

const shapeText = (s: number[]) => `[${s.join(', ')}]`;

/** Flat index -> [i, j, k] in a shape. */
export function indexIn(shape: number[], flat: number): number[] {
  const idx: number[] = [];
  for (let d = shape.length - 1; d >= 0; d--) { idx.unshift(flat % shape[d]); flat = Math.floor(flat / shape[d]); }
  return idx;
}

function compareNumeric(a: Numeric, e: Numeric, o: Required<CompareOptions>, hidden: boolean, at: string): Verdict {
  const n = e.values.length;
  if (a.values.length !== n) {
    return { passed: false, message: `${at}expected ${n} value${n === 1 ? '' : 's'} (shape ${shapeText(e.shape)}), got ${a.values.length} (shape ${shapeText(a.shape)})` };
  }
  if (!a.loose && !e.loose && a.shape.length >= 2 && e.shape.length >= 2 && a.shape.join() !== e.shape.join()) {
    return { passed: false, message: `${at}expected shape ${shapeText(e.shape)}, got ${shapeText(a.shape)}` };
  }
  let bad = 0;
  let worst = -1;
  let worstExcess = -Infinity;
  for (let i = 0; i < n; i++) {
    const x = a.values[i];
    const y = e.values[i];
    let excess: number;
    if (Number.isNaN(y) || Number.isNaN(x)) excess = Number.isNaN(x) && Number.isNaN(y) ? -1 : Infinity;
    else if (o.mode === 'equal') excess = x === y ? -1 : Infinity;
    else if (!Number.isFinite(y) || !Number.isFinite(x)) excess = x === y ? -1 : Infinity;
    else excess = Math.abs(x - y) - (o.atol + o.rtol * Math.abs(y));
    if (excess > 0) {
      bad++;
      if (excess > worstExcess) { worstExcess = excess; worst = i; }
    }
  }
  if (bad === 0) return { passed: true, message: '' };
  const shape = e.shape.length ? e.shape : a.shape;
  if (hidden) return { passed: false, message: `${at}${bad} of ${n} values differ from the reference` };
  const where = n === 1 ? '' : shape.length > 1 ? `; worst at ${shapeText(indexIn(shape, worst))} (element ${worst})` : `; worst at element ${worst}`;
  const tolerance = o.mode === 'equal' ? 'exact' : `tolerance ${o.atol} + ${o.rtol}·|expected|`;
  return { passed: false, message: `${at}${n === 1 ? 'the value differs' : `${bad} of ${n} values differ`}${where}: got ${a.values[worst]}, expected ${e.values[worst]} (${tolerance})` };
}

function walk(a: Value, e: Value, o: Required<CompareOptions>, hidden: boolean, at: string, depth: number): Verdict {
  if (depth > 64) return { passed: false, message: `${at}the value is nested too deeply` };
  const en = numeric(e);
  if (en) {
    const an = numeric(a);
    if (!an) return { passed: false, message: `${at}expected ${en.values.length === 1 && en.shape.length === 0 ? 'a number' : `numbers (shape ${shapeText(en.shape)})`}, got ${describeValue(a)}` };
    return compareNumeric(an, en, o, hidden, at);
  }
  if (Array.isArray(e)) {
    if (!Array.isArray(a)) return { passed: false, message: `${at}expected an array of ${e.length}, got ${describeValue(a)}` };
    if (a.length !== e.length) return { passed: false, message: `${at}expected an array of ${e.length}, got one of ${a.length}` };
    for (let i = 0; i < e.length; i++) {
      const v = walk(a[i], e[i], o, hidden, `${at}[${i}]: `, depth + 1);
      if (!v.passed) return v;
    }
    return { passed: true, message: '' };
  }
  if (e && typeof e === 'object' && !isTensorValue(e) && !ArrayBuffer.isView(e)) {
    if (!a || typeof a !== 'object' || Array.isArray(a) || isTensorValue(a) || ArrayBuffer.isView(a)) return { passed: false, message: `${at}expected an object, got ${describeValue(a)}` };
    for (const key of Object.keys(e)) {
      if (!Object.prototype.hasOwnProperty.call(a, key)) return { passed: false, message: `${at}the key '${key}' is missing` };
      const v = walk((a as Record<string, Value>)[key], (e as Record<string, Value>)[key], o, hidden, `${at}${key}: `, depth + 1);
      if (!v.passed) return v;
    }
    return { passed: true, message: '' };
  }
  if (a === e) return { passed: true, message: '' };
  return { passed: false, message: hidden ? `${at}${describeValue(a)} is not the expected value` : `${at}expected ${describeValue(e)}, got ${describeValue(a)}` };
}

/** The verdict on `actual` against `expected` (both decoded values). */
export function compareValues(actual: Value, expected: Value, options: CompareOptions = {}, hidden = false): Verdict {
  const o: Required<CompareOptions> = { mode: options.mode ?? 'close', atol: options.atol ?? 1e-5, rtol: options.rtol ?? 1e-4 };
  return walk(actual, expected, o, hidden, '', 0);
}
